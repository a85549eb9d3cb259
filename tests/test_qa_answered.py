"""One meaning of "answered" (bot/core/questions.py): every surface agrees on which questions are.

The issue: after a ✅ was removed, the recap said "3 answered" and the nudge "0 still waiting"
while `/qa unanswered` listed the question; and a question ✅'d with no reply went into the FAQ
with no answer under it. Answered means a reply accepted with a ✅ (or "Mark answered") by the
asker or an organizer; these tests ask the recap, the nudge, the weekly post, /qa, App Home
and the FAQ about the same archive, through the app over signed HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import faq
from bot.cli.sandbox import Sandbox
from bot.core import listings
from bot.core.clock import ManualClock
from bot.slack.manual_scheduler import ManualScheduler
from tests.blockkit import all_text
from tests.polling import quiet_for, wait_until
from tests.posts_kit import LA, ROADMAP, at, due, sent

ASKER, HELPER, OTHER, MEMBER = "U0ASKER01", "U0HELPER1", "U0OTHER01", "U0MEMBER1"
REOPENED = "Why do residuals sum to zero?"  # a reply, ✅'d, then the ✅ taken back
BARE = "Is a ridge penalty convex?"  # the asker's ✅ on the question, nobody replied
ACCEPTED = "What does a learning curve show?"  # a reply, accepted with a ✅


@pytest.fixture
def abox(tmp_path: Path) -> Iterator[Sandbox]:
    """The app on the LA fixture roadmap (weekly, nudge and recap), Monday 08:00 of week 9."""
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "a.db", clock=ManualClock(at(9, 0, 8))) as box:
        for user in (ASKER, HELPER, OTHER, MEMBER):
            box.slack.add_user(user)
        yield box


def post(box: Sandbox, user: str, text: str, thread_ts: str | None = None) -> str:
    extra = {"thread_ts": thread_ts} if thread_ts else {}
    event = box.slack.add_message(box.channel, user, text, **extra)
    assert box.client.event(event).status == 200
    return event["ts"]


def check(box: Sandbox, user: str, ts: str, added: bool = True) -> None:
    event = {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": box.channel, "ts": ts},
        "event_ts": box.slack.next_ts(),
    }
    assert box.client.event(event).status == 200


def the_week(box: Sandbox) -> None:
    """Three questions of week 9: one reopened, one ✅'d bare, one accepted."""
    reopened = post(box, ASKER, REOPENED)
    answer = post(box, HELPER, "By construction of least squares.", thread_ts=reopened)
    check(box, ASKER, answer)
    check(box, ASKER, answer, added=False)
    bare = post(box, OTHER, BARE)
    check(box, OTHER, bare)
    accepted = post(box, OTHER, ACCEPTED)
    check(box, OTHER, post(box, HELPER, "Error against data size.", thread_ts=accepted))


def qa(box: Sandbox, text: str, user: str = MEMBER) -> str:
    before = len(box.slack.calls_to("response_url"))
    reply = box.client.command("/qa", text, user=user)
    assert reply.status == 200
    if reply.text.strip():
        return all_text(json.loads(reply.text))
    return all_text(dict(box.slack.wait_for("response_url", before + 1)[-1].params))


def home(box: Sandbox, user: str) -> str:
    before = len(box.slack.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1.1"}
    assert box.client.event(event).status == 200
    view: Any = box.slack.wait_for("views.publish", before + 1)[-1]["view"]
    return all_text(json.loads(view) if isinstance(view, str) else view)


def test_every_surface_counts_the_same_questions_answered(abox):
    scheduler = ManualScheduler(abox.deps, abox.app.client)
    scheduler.run_until(at(9, 1, 10))
    the_week(abox)
    answered = {q.text for q in listings.answered_questions(abox.deps.db)}
    assert answered == {ACCEPTED}

    scheduler.run_until(due("nudge", 9))
    nudge = all_text(sent(abox, "nudge", 9)[0])
    assert "*3* questions so far this week, *2* still waiting" in nudge
    assert REOPENED in nudge and BARE in nudge and ACCEPTED not in nudge

    open_now = qa(abox, "unanswered")
    assert REOPENED in open_now and BARE in open_now and ACCEPTED not in open_now

    helping = home(abox, MEMBER)
    assert REOPENED in helping and BARE in helping and ACCEPTED not in helping
    assert BARE in home(abox, OTHER).split("Questions you could help with")[0]  # theirs, open

    text = faq.export(abox.deps.db, ROADMAP)
    assert ACCEPTED in text and "Error against data size." in text
    assert REOPENED not in text and BARE not in text  # no answer to show under them

    scheduler.run_until(due("recap", 9))
    recap = all_text(sent(abox, "recap", 9)[0])
    assert "*3* questions asked this week, *1* answered" in recap
    assert "The 2 still open carry over" in recap

    scheduler.run_until(due("weekly", 10))
    weekly = all_text(sent(abox, "weekly", 10)[0])
    assert REOPENED in weekly and BARE in weekly and ACCEPTED not in weekly


def test_a_reply_to_the_bare_check_makes_it_answered_everywhere(abox):
    abox.clock.set(at(9, 1, 10))
    the_week(abox)
    bare = next(q for q in listings.open_questions(abox.deps.db) if q.text == BARE)
    post(abox, HELPER, "Yes, a squared norm is convex.", thread_ts=bare.ts)
    # The asker's ✅ was waiting for a reply: now there is one, the question is answered.
    answered = {q.text for q in listings.answered_questions(abox.deps.db)}
    assert answered == {ACCEPTED, BARE}
    assert BARE not in qa(abox, "unanswered") and BARE in faq.export(abox.deps.db, ROADMAP)
    assert listings.count_between(abox.deps.db, at(9, 0, 0), at(10, 0, 0)) == (3, 2)


def test_asked_before_offers_only_answered_questions(abox):
    abox.clock.set(at(9, 1, 10))
    the_week(abox)
    before = len([c for c in abox.slack.calls_to("chat.postMessage") if c.get("thread_ts")])
    post(abox, MEMBER, "Is a ridge penalty convex??")  # the bare ✅'d one: nothing to offer
    sentinel = post(abox, MEMBER, "What does a learning curve show??")  # the answered one

    def threaded() -> list[str]:
        calls = abox.slack.calls_to("chat.postMessage")
        return [c["thread_ts"] for c in calls if c.get("thread_ts")][before:]

    wait_until(lambda: sentinel in threaded())
    assert quiet_for(0.3, threaded) == [sentinel]
