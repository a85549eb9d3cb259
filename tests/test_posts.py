"""The scheduled posts: what they say, the ledger that sends each once, and Slack failures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import calendar, post_plan
from bot.core import format as fmt
from bot.core.calendar import Change
from bot.core.clock import ManualClock
from bot.core.ledger import LEASE, failures, weekly_ts
from bot.core.post_plan import Outcome
from bot.slack import workspace
from bot.slack.delivery import SlackPoster
from bot.slack.delivery import deliver as deliver_post
from bot.slack.manual_scheduler import ManualScheduler
from bot.slack.render import posts as render
from tests.blockkit import all_text, assert_valid_message
from tests.polling import wait_until
from tests.posts_kit import ADMIN, CAL, LA, ROADMAP, at, due, ledger, sent, week

WORKSPACE = "https://standin.slack.com/"  # the stand-in's auth.test url


@pytest.fixture
def lbox(tmp_path: Path) -> Iterator[Sandbox]:
    """The real app on the LA fixture roadmap, Monday 08:00 of week 9, with one organizer."""
    clock = ManualClock(at(9, 0, 8))
    with Sandbox(
        roadmap_path=LA, db_path=tmp_path / "studybot.db", clock=clock, admins=(ADMIN,)
    ) as box:
        yield box


def ask(box: Sandbox, user: str, text: str, thread_ts: str | None = None) -> str:
    """A member's message in the study channel, delivered as Slack would; returns its ts."""
    extra = {"thread_ts": thread_ts} if thread_ts else {}
    event = box.slack.add_message(box.channel, user, text, **extra)
    assert box.client.event(event).status == 200
    return event["ts"]


def accept(box: Sandbox, user: str, ts: str) -> None:
    """`user` reacts ✅ to the message at ts (the asker accepting a reply)."""
    event = {
        "type": "reaction_added",
        "user": user,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": box.channel, "ts": ts},
        "event_ts": box.slack.next_ts(),
    }
    assert box.client.event(event).status == 200


def deliver(box: Sandbox, kind: str, force: bool = False) -> Outcome:
    return deliver_post(box.deps, SlackPoster(box.app.client), kind, force=force)


# --- content ---------------------------------------------------------------------------------


def test_weekly_post_carries_the_weeks_material_review_and_open_questions(lbox):
    lbox.clock.set(at(8, 1, 10))  # last week: one question answered, one left open, one hostile
    answered = ask(lbox, "U0MEMBER1", "How do I read a gradient?")
    accept(lbox, "U0MEMBER1", ask(lbox, "U0MEMBER2", "The slope each way.", thread_ts=answered))
    replied = ask(lbox, "U0MEMBER6", "Is a gradient a vector?")
    ask(lbox, "U0MEMBER2", "Yes.", thread_ts=replied)  # a reply nobody accepted: still open
    ask(lbox, "U0MEMBER3", "Why is the chain rule a product?")
    ask(lbox, "U0MEMBER4", "<!channel> anyone &lt;here&gt; who gets SVD?")
    lbox.clock.set(at(9, 0, 8, 30))
    ask(lbox, "U0MEMBER5", "Is this week's question carried?")

    ManualScheduler(lbox.deps, lbox.app.client).run_until(due("weekly", 9))

    [post] = sent(lbox, "weekly", 9)
    assert_valid_message(post)
    text = all_text(post)
    topic = week(9).topic
    assert post["blocks"][0]["text"]["text"] == f"Week 9 of {CAL.total_study_weeks}: {topic.title}"
    assert f"{week(9).start:%b %-d} – {week(9).end:%b %-d}" in text
    for expected in (topic.summary, *topic.key_points, *topic.prompts, topic.exercise):
        assert expected in text
    for resource in topic.resources:
        assert resource.title in text and resource.url in text
    assert "*free*" in text and "$39.50" in text and "~2 h" in text
    assert "Learn it through code" in text
    # Spaced review: 1 and 8 study weeks back (3 back is the same topic as 1 back), never this one.
    one_back, eight_back = week(8).topic, week(1).topic
    assert any(q in text for q in one_back.recall)
    assert any(q in text for q in eight_back.recall)
    assert not any(q in text for q in topic.recall)
    # Last week's unanswered questions, linked, member text made harmless.
    assert "Why is the chain rule a product?" in text
    assert "How do I read a gradient?" not in text
    assert "Is a gradient a vector?" in text
    assert "Is this week's question carried?" not in text
    assert "<!channel>" not in json.dumps(post) and "@channel anyone &lt;here&gt;" in text
    assert f"{WORKSPACE}archives/" in text and "https://slack.com/archives/" not in text
    assert "thread" in post["blocks"][-1]["text"]["text"]
    assert post["metadata"] == post_plan.metadata("weekly", week(9).key, 0)
    assert topic.title in post["text"]


def test_nudge_counts_the_weeks_questions_and_links_the_unanswered(lbox):
    scheduler = ManualScheduler(lbox.deps, lbox.app.client)
    scheduler.run_until(at(9, 1, 10))
    first = ask(lbox, "U0MEMBER1", "What is a Jacobian?")
    accept(lbox, "U0MEMBER1", ask(lbox, "U0MEMBER2", "Partial derivatives.", thread_ts=first))
    ask(lbox, "U0MEMBER3", "Q: how big should the learning rate be")
    replied = ask(lbox, "U0MEMBER4", "What is momentum?")
    ask(lbox, "U0MEMBER2", "A running average of gradients.", thread_ts=replied)
    scheduler.run_until(due("nudge", 9))

    [post] = sent(lbox, "nudge", 9)
    assert_valid_message(post)
    text = all_text(post)
    # Answered is one thing everywhere: a reply nobody accepted still waits.
    assert "*3* questions so far this week, *2* still waiting" in text
    assert "how big should the learning rate be" in text and "What is momentum?" in text
    assert "What is a Jacobian?" not in text
    [weekly] = lbox.deps.db.execute(
        "SELECT ts FROM posts_ledger WHERE kind = 'weekly' AND week = ?", [week(9).key]
    ).fetchall()
    assert fmt.message_link(lbox.channel, weekly[0], team=WORKSPACE) not in text  # no plea
    assert f"{WORKSPACE}archives/" in text and "https://slack.com/archives/" not in text


def test_nudge_in_a_quiet_week_points_at_the_weekly_thread(lbox):
    """Also the bot's first acts (no /qa, no App Home yet): their links already go through the
    workspace URL auth.test gives, as /qa's will, not slack.com's (one host everywhere)."""
    ManualScheduler(lbox.deps, lbox.app.client).run_until(due("nudge", 9))
    [post] = sent(lbox, "nudge", 9)
    ts = weekly_ts(lbox.deps.db, lbox.channel, week(9).key)
    assert ts and fmt.message_link(lbox.channel, ts, team=WORKSPACE) in all_text(post)
    assert "https://slack.com/archives/" not in all_text(post)
    assert "No questions yet" in all_text(post)
    assert workspace.url(lbox.deps.db, None) == WORKSPACE  # kept, for `faq export` too


def test_posts_link_messages_through_the_workspace_the_bot_learnt(lbox):
    """One link host: once auth.test told the workspace URL, the posts' links use it too."""
    team = workspace.url(lbox.deps.db, lbox.app.client)
    assert team.startswith("https://") and team != fmt.SLACK_URL
    ManualScheduler(lbox.deps, lbox.app.client).run_until(due("nudge", 9))
    [post] = sent(lbox, "nudge", 9)
    ts = weekly_ts(lbox.deps.db, lbox.channel, week(9).key)
    assert ts and fmt.message_link(lbox.channel, ts, team=team) in all_text(post)
    assert "https://slack.com/archives/" not in all_text(post)


def test_recap_counts_thanks_the_answerers_and_says_whats_next(lbox):
    scheduler = ManualScheduler(lbox.deps, lbox.app.client)
    scheduler.run_until(at(9, 2, 9))
    first = ask(lbox, "U0MEMBER1", "Why do we normalise inputs?")
    accept(lbox, "U0MEMBER1", ask(lbox, "U0HELPER1", "One scale.", thread_ts=first))
    second = ask(lbox, "U0MEMBER2", "Is <@U0MEMBER9> around?")
    accept(lbox, "U0MEMBER2", ask(lbox, "U0HELPER1", "They are on leave.", thread_ts=second))
    third = ask(lbox, "U0MEMBER4", "What is a batch?")
    ask(lbox, "U0HELPER1", "A few examples at once.", thread_ts=third)  # not accepted
    ask(lbox, "U0MEMBER3", "What is an epoch?")
    scheduler.run_until(due("recap", 9))

    [post] = sent(lbox, "recap", 9)
    assert_valid_message(post)
    text = all_text(post)
    assert "*4* questions asked this week, *2* answered" in text
    assert "The 2 still open carry over" in text
    assert "<@U0HELPER1> (3 answers)" in text
    assert "<@U0MEMBER9>" not in json.dumps(post)  # only the thank-you mentions anyone
    nxt = calendar.next_due(ROADMAP.schedule, CAL, "weekly", due("recap", 9))
    assert nxt and nxt[0].topic.title in text and "<!date^" in text


def test_recap_of_the_last_week_says_the_roadmap_is_done(tmp_path):
    last = len(CAL.weeks)
    clock = ManualClock(at(last, 4, 12))
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        ManualScheduler(box.deps, box.app.client).run_until(due("recap", last))
        [post] = sent(box, "recap", last)
        assert "last week of the roadmap" in all_text(post)


def test_weeks_without_a_topic_get_no_post(lbox):
    calendar.record_change(lbox.deps.db, Change("skip", week(10).start))
    ManualScheduler(lbox.deps, lbox.app.client).run_until(at(11, 0, 8))
    assert sent(lbox, n=10) == []
    assert {p["metadata"]["event_payload"]["kind"] for p in sent(lbox, n=9)} == {
        "weekly",
        "nudge",
        "recap",
    }
    lbox.clock.set(at(10, 2, 9))
    outcome = deliver(lbox, "weekly")
    assert outcome.status == "nothing" and not outcome.ok


# --- exactly once ------------------------------------------------------------------------------


def test_a_post_goes_out_once_and_force_sends_another(lbox):
    lbox.clock.set(at(9, 0, 9))
    first, second = deliver(lbox, "weekly"), deliver(lbox, "weekly")
    assert (first.status, second.status) == ("sent", "already")
    assert second.ts == first.ts
    forced = deliver(lbox, "weekly", force=True)
    assert forced.status == "sent" and forced.attempt == 1 and forced.ts != first.ts
    assert len(sent(lbox, "weekly", 9)) == 2
    assert [(r["attempt"], r["status"]) for r in ledger(lbox)] == [(0, "sent"), (1, "sent")]
    # The scheduler then finds the week's weekly already out.
    ManualScheduler(lbox.deps, lbox.app.client).run_until(at(9, 0, 10))
    assert len(sent(lbox, "weekly", 9)) == 2


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def _claim_as(box: Sandbox, owner: str, kind: str = "weekly", n: int = 9) -> None:
    box.deps.db["posts_ledger"].insert(
        {
            "kind": kind,
            "channel": box.channel,
            "week": week(n).key,
            "attempt": 0,
            "status": "claimed",
            "owner": owner,
            "claimed_at": box.clock.now().isoformat(),
            "tries": 1,
        }
    )


def test_a_claim_held_by_a_live_process_is_left_alone(lbox):
    lbox.clock.set(at(9, 0, 9))
    _claim_as(lbox, f"{socket.gethostname()}:{os.getppid()}:othernonce")
    assert deliver(lbox, "weekly").status == "busy"
    assert sent(lbox) == []


def test_a_claim_left_by_a_dead_process_is_checked_in_the_channel_then_sent_once(lbox):
    lbox.clock.set(at(9, 0, 9))
    _claim_as(lbox, f"{socket.gethostname()}:{_dead_pid()}:gone")
    # Long enough ago that its request is surely done (a fresher one is waited for: see
    # test_posts_processes.py), so one look decides.
    lbox.clock.set(at(9, 0, 9) + dt.timedelta(minutes=2))
    outcome = deliver(lbox, "weekly")
    assert outcome.status == "sent"
    [history] = lbox.slack.calls_to("conversations.history")
    assert history.get("include_all_metadata") in (True, "true", "1", 1)
    assert len(sent(lbox, "weekly", 9)) == 1
    assert [(r["status"], r["tries"]) for r in ledger(lbox)] == [("sent", 2)]


def test_a_claim_from_another_host_waits_for_its_lease(lbox):
    lbox.clock.set(at(9, 0, 9))
    _claim_as(lbox, "some-other-host:4242:abcd")
    assert deliver(lbox, "weekly").status == "busy"
    lbox.clock.set(at(9, 0, 9) + LEASE + dt.timedelta(minutes=1))
    assert deliver(lbox, "weekly").status == "sent"
    assert len(sent(lbox, "weekly", 9)) == 1


def test_changing_the_channel_mid_week_does_not_repeat_the_weeks_posts(lbox):
    scheduler = ManualScheduler(lbox.deps, lbox.app.client)
    scheduler.run_until(at(9, 1, 9))
    # An organizer moves the posts to another channel, as /studygroup does it.
    reply = lbox.client.command(
        "/studygroup", "channel <#C0OTHER01|other>", user=ADMIN, channel=lbox.channel
    )
    assert reply.status == 200
    wait_until(lambda: lbox.deps.channel == "C0OTHER01")
    scheduler.run_until(at(10, 0, 10))
    mine = [
        (
            c.get("channel"),
            c["metadata"]["event_payload"]["kind"],
            c["metadata"]["event_payload"]["week"],
        )
        for c in lbox.slack.posts()
        if c.get("metadata")
    ]
    assert mine == [
        (lbox.channel, "weekly", week(9).key),
        ("C0OTHER01", "nudge", week(9).key),
        ("C0OTHER01", "recap", week(9).key),
        ("C0OTHER01", "weekly", week(10).key),
    ]


# --- Slack failures ----------------------------------------------------------------------------


@pytest.mark.slow
def test_rate_limited_post_waits_for_retry_after_and_goes_out_once(lbox):
    lbox.slack.fail("chat.postMessage", 429, times=2, retry_after=1)
    lbox.clock.set(at(9, 0, 9))
    assert deliver(lbox, "weekly").status == "sent"
    statuses = [c.status for c in lbox.slack.calls if c.method == "chat.postMessage"]
    assert statuses == [429, 429, 200]
    assert len(sent(lbox, "weekly", 9)) == 1


@pytest.mark.slow
def test_server_errors_retry_with_backoff_and_look_before_each_retry(lbox):
    lbox.slack.fail("chat.postMessage", 500, times=2)
    lbox.clock.set(at(9, 0, 9))
    assert deliver(lbox, "weekly").status == "sent"
    methods = [(c.method, c.status) for c in lbox.slack.calls if c.method != "auth.test"]
    assert methods == [
        ("chat.postMessage", 500),
        ("conversations.history", 200),
        ("chat.postMessage", 500),
        ("conversations.history", 200),
        ("chat.postMessage", 200),
    ]
    assert len(sent(lbox, "weekly", 9)) == 1


@pytest.mark.slow  # the grace period of looks before a second send: 30 s
def test_network_errors_retry_after_looking_for_the_post(lbox):
    lbox.slack.fail("chat.postMessage", 0, times=1)  # the connection drops after sending
    lbox.clock.set(at(9, 0, 9))
    assert deliver(lbox, "weekly").status == "sent"
    assert len(sent(lbox, "weekly", 9)) == 1
    assert len(lbox.slack.calls_to("conversations.history")) > 1  # looked, then sent


@pytest.mark.slow
def test_a_post_that_keeps_failing_is_recorded_reported_and_retried_later(lbox):
    scheduler = ManualScheduler(lbox.deps, lbox.app.client)
    tries = 1 + len(SlackPoster(lbox.app.client).backoff)
    lbox.slack.fail("chat.postMessage", 503, times=tries)
    scheduler.run_until(due("weekly", 9))

    [row] = ledger(lbox)
    assert (row["status"], row["error"], row["reported"]) == ("failed", "internal_error", 1)
    assert sent(lbox) == []
    [report] = [c for c in lbox.slack.posts() if c.get("channel") == ADMIN]
    assert_valid_message(report.params)
    assert "weekly post" in report["text"] and week(9).key in report["text"]
    assert [f for f in failures(lbox.deps.db)][0].id == row["id"]

    scheduler.run_until(due("weekly", 9) + dt.timedelta(minutes=4))
    assert sent(lbox) == []  # the retry comes after five minutes
    scheduler.run_until(due("weekly", 9) + dt.timedelta(minutes=6))
    assert len(sent(lbox, "weekly", 9)) == 1
    [row] = ledger(lbox)
    assert (row["status"], row["tries"]) == ("sent", 2)
    assert failures(lbox.deps.db) == []
    assert len([c for c in lbox.slack.posts() if c.get("channel") == ADMIN]) == 1  # told once


def test_a_post_slack_refuses_is_not_retried_in_a_loop(lbox):
    lbox.slack.fail("chat.postMessage", 200, error="channel_not_found", times=1)
    lbox.clock.set(at(9, 0, 9))
    outcome = deliver(lbox, "weekly")
    assert (outcome.status, outcome.error) == ("failed", "channel_not_found")
    assert (
        len(
            [
                c
                for c in lbox.slack.calls
                if c.method == "chat.postMessage" and c.get("channel") == lbox.channel
            ]
        )
        == 1
    )


def test_a_huge_topic_still_fits_one_message(lbox):
    from dataclasses import replace

    big = replace(
        week(9).topic,
        summary="S" * 5000,
        key_points=tuple(f"point {i} " + "k" * 400 for i in range(60)),
        prompts=tuple(f"prompt {i} <!here> " + "p" * 300 for i in range(40)),
        exercise="e" * 4000,
    )
    cal = calendar.Calendar((*ROADMAP.topics[:2], big, *ROADMAP.topics[3:]), ROADMAP.schedule.start)
    ctx = post_plan.Context(ROADMAP, cal, cal.weeks[8], lbox.deps.db, at(9, 0, 9), lbox.channel)
    for kind in calendar.POST_KINDS:
        message = render.compose(post_plan.gather(kind, ctx))
        assert_valid_message(message)
        assert "<!here>" not in json.dumps(message)


def test_stale_posts_after_a_late_first_start():
    """post_plan.stale, the rule run_due applies to the posts due now (core, no Slack)."""
    schedule, w = ROADMAP.schedule, week(5)
    monday, thursday, saturday = at(5, 0, 9), at(5, 3, 10), at(5, 5, 10)
    assert not post_plan.stale("weekly", w, schedule, thursday, None)  # days left to run
    assert post_plan.stale("weekly", w, schedule, saturday, None)  # the recap's time is past
    assert post_plan.stale("recap", w, schedule, saturday, None)  # no prompt went out
    assert not post_plan.stale("recap", w, schedule, saturday, monday)
    assert not post_plan.stale("nudge", w, schedule, thursday, monday)
    assert post_plan.stale("nudge", w, schedule, thursday, thursday)  # right behind a late prompt
    weekly_only = dataclasses.replace(schedule, nudge=None, recap=None)
    assert not post_plan.stale("weekly", w, weekly_only, saturday, None)
