"""/studygroup over signed HTTP: organizers only; status, skip, extend, pause, resume, post, channel."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import calendar
from bot.core.clock import ManualClock
from bot.slack.manual_scheduler import ManualScheduler
from tests.blockkit import all_text, assert_valid_message
from tests.posts_kit import ADMIN, LA, at, due, ledger, sent, week
from tests.posts_kit import TZ as LA_TZ

MEMBER = "U0MEMBER1"
WORKSPACE_ADMIN = "U0WSADMIN"


@pytest.fixture
def sbox(tmp_path: Path) -> Iterator[Sandbox]:
    """Tuesday 10:00 of week 9 (its weekly post is out), one STUDYBOT_ADMINS organizer."""
    clock = ManualClock(at(9, 0, 8))
    with Sandbox(
        roadmap_path=LA, db_path=tmp_path / "studybot.db", clock=clock, admins=(ADMIN,)
    ) as box:
        box.slack.add_user(MEMBER)
        box.slack.add_user(WORKSPACE_ADMIN, is_admin=True)
        ManualScheduler(box.deps, box.app.client).run_until(at(9, 1, 10))
        yield box


def command(box: Sandbox, text: str, user: str = ADMIN, **form: Any) -> dict[str, Any]:
    """Run /studygroup and return what it answered (after the ack, through response_url)."""
    before = len(box.slack.calls_to("response_url"))
    reply = box.client.command("/studygroup", text, user=user, channel=box.channel, **form)
    assert reply.status == 200
    answer = box.slack.wait_for("response_url", before + 1)[before].params
    payload = {k: v for k, v in answer.items() if not k.startswith("_")}
    assert_valid_message(payload)
    assert payload.get("response_type") == "ephemeral"
    return payload


def changes(box: Sandbox) -> list[tuple[str, str, str | None]]:
    rows = box.deps.db.query("SELECT kind, week_start, topic_id FROM calendar_changes ORDER BY id")
    return [(r["kind"], r["week_start"], r["topic_id"]) for r in rows]


def test_members_get_a_polite_refusal_and_nothing_changes(sbox):
    for text in ("skip", "pause", "post weekly force", "channel C0ELSEWHERE", "status"):
        # A crafted payload claiming admin rights changes nothing: users.info decides.
        answer = command(sbox, text, user=MEMBER, is_admin="true", user_name="admin")
        assert "organizers" in answer["text"]
    assert changes(sbox) == []
    assert len(sent(sbox)) == 1
    assert sbox.deps.channel == sbox.channel


def test_workspace_admins_are_organizers_too(sbox):
    answer = command(sbox, "status", user=WORKSPACE_ADMIN)
    assert "organizers" not in answer["text"]
    assert any(c.get("user") == WORKSPACE_ADMIN for c in sbox.slack.calls_to("users.info"))


def test_help_and_unknown_words_get_the_usage_card(sbox):
    assert "/studygroup" in all_text(command(sbox, "help"))
    answer = command(sbox, "reboot")
    assert "don't know `reboot`" in all_text(answer) and "skip" in all_text(answer)
    assert "not a date" in all_text(command(sbox, "skip next-friday"))
    assert "which post" in all_text(command(sbox, "post everything"))


@pytest.mark.slow
def test_status_shows_the_calendar_ahead_the_ledger_and_failures(sbox):
    sbox.slack.fail("chat.postMessage", 500, times=4)
    ManualScheduler(sbox.deps, sbox.app.client).run_until(due("nudge", 9))
    answer = command(sbox, "status")
    text = all_text(answer)
    assert week(9).topic.title in text and f"<#{sbox.channel}>" in text
    for n in range(9, 17):
        assert f"{week(n).start:%b %-d} – {week(n).end:%b %-d}" in text
    assert ":white_check_mark: weekly · week of " + week(9).key in text
    assert ":x: nudge · week of " + week(9).key in text
    assert "Posts that failed and have not gone out since" in text and "internal_error" in text
    assert "monday 09:00".lower() in text.lower() or "Mon 09:00" in text


def test_skip_defaults_to_the_next_week_not_yet_posted(sbox):
    answer = command(sbox, "skip")
    assert changes(sbox) == [("skip", week(10).key, None)]
    assert f"{week(10).start:%b %-d}" in answer["text"]
    assert sbox.deps.calendar().week_of(week(10).start).kind == "skip"
    ManualScheduler(sbox.deps, sbox.app.client).run_until(at(10, 6, 12))
    assert sent(sbox, n=10) == []


def test_skip_a_given_week_and_refuse_past_or_repeated_ones(sbox):
    target = week(12).start + dt.timedelta(days=3)
    command(sbox, f"skip {target.isoformat()}")
    assert changes(sbox) == [("skip", week(12).key, None)]
    assert "already skipped" in command(sbox, f"skip {week(12).key}")["text"]
    assert "already over" in all_text(command(sbox, f"skip {week(3).key}"))
    assert len(changes(sbox)) == 1


def test_extend_gives_the_current_topic_another_week(sbox):
    topic = week(9).topic
    answer = command(sbox, "extend")
    assert changes(sbox) == [("extend", week(9).key, topic.id)]
    assert topic.title in answer["text"] and "5 weeks" in answer["text"]
    cal = sbox.deps.calendar()
    assert sum(1 for w in cal.weeks if w.topic and w.topic.id == topic.id) == 5


def test_pause_and_resume(sbox):
    command(sbox, "pause")
    assert changes(sbox) == [("pause", week(10).key, None)]
    assert "already paused" in command(sbox, f"pause {week(11).key}")["text"]
    sbox.clock.set(at(11, 2, 12))
    answer = command(sbox, "resume")  # Wednesday: week 11's post time has passed
    assert changes(sbox)[-1] == ("resume", week(12).key, None)
    assert "Resuming from the week of" in answer["text"]
    cal = sbox.deps.calendar()
    assert [cal.week_of(week(n).start).kind for n in (10, 11, 12)] == ["paused", "paused", "topic"]
    assert "not paused" in command(sbox, f"resume {week(13).key}")["text"]


def test_post_sends_once_and_force_sends_again(sbox):
    answer = command(sbox, "post weekly")
    assert "already went out" in answer["text"] and "force" in answer["text"]
    assert len(sent(sbox, "weekly", 9)) == 1
    answer = command(sbox, "post nudge")
    assert "Sent the mid-week nudge" in answer["text"]
    assert len(sent(sbox, "nudge", 9)) == 1
    command(sbox, "post weekly force")
    assert len(sent(sbox, "weekly", 9)) == 2
    assert [(r["kind"], r["attempt"]) for r in ledger(sbox)] == [
        ("weekly", 0),
        ("nudge", 0),
        ("weekly", 1),
    ]
    # The scheduler does not send the nudge again at its time.
    ManualScheduler(sbox.deps, sbox.app.client).run_until(due("nudge", 9))
    assert len(sent(sbox, "nudge", 9)) == 1


def test_channel_sets_where_the_posts_go(sbox):
    answer = command(sbox, "channel <#C0NEWSTUDY|new-study>")
    assert "<#C0NEWSTUDY>" in all_text(answer)
    assert sbox.deps.channel == "C0NEWSTUDY"
    command(sbox, "post nudge")
    [nudge] = [
        c
        for c in sbox.slack.posts()
        if (c.get("metadata") or {}).get("event_payload", {}).get("kind") == "nudge"
    ]
    assert nudge["channel"] == "C0NEWSTUDY"
    # Without an argument: the channel the command was typed in.
    sbox.client.command("/studygroup", "channel", user=ADMIN, channel="C0TYPEDHERE")
    sbox.slack.wait_for("response_url", 3)
    assert sbox.deps.channel == "C0TYPEDHERE"
    assert "couldn't find" in all_text(command(sbox, "channel #no-such-channel"))
    assert sbox.deps.channel == "C0TYPEDHERE"


def test_answers_never_ping_or_echo_markup(sbox):
    answer = command(sbox, "skip <!channel>")
    assert "<!channel>" not in json.dumps(answer)
    assert calendar.load_changes(sbox.deps.db) == []


# --- undo and restart -----------------------------------------------------------------------


def applying(box: Sandbox) -> list[tuple[str, str, str | None]]:
    return [
        (c.kind, c.week_start.isoformat(), c.topic_id) for c in calendar.load_changes(box.deps.db)
    ]


def test_undo_reverses_the_latest_change_and_says_which(sbox):
    assert "no calendar change to undo" in command(sbox, "undo")["text"]
    before = [sbox.deps.calendar().week_of(week(n).start) for n in range(9, 20)]
    command(sbox, "skip")
    command(sbox, "extend")
    answer = command(sbox, "undo")
    assert "Undid the extra week for" in answer["text"] and week(9).topic.title in answer["text"]
    assert applying(sbox) == [("skip", week(10).key, None)]
    answer = command(sbox, "undo")
    assert f"Undid the skip of the week of {week(10).start:%b %-d}" in answer["text"]
    assert "Next weekly post" in answer["text"]
    assert applying(sbox) == []
    assert [sbox.deps.calendar().week_of(week(n).start) for n in range(9, 20)] == before
    # Both are kept on record, marked undone by whom.
    rows = sbox.deps.db.execute("SELECT kind, undone_by FROM calendar_changes ORDER BY id")
    assert [tuple(r) for r in rows] == [("skip", ADMIN), ("extend", ADMIN)]
    assert "no calendar change to undo" in command(sbox, "undo")["text"]


def test_commands_sent_one_after_the_others_answer_run_in_that_order(sbox):
    """An organizer's `skip` and then `undo`, each sent once Slack has the other's 200: the undo
    reverses that skip, even when the skip's check of the organizer (users.info) is slow and
    the undo's is not. (/studygroup answers after its ack, so the order is the bot's to keep.)"""
    sbox.slack.fail("users.info", status=200, delay=1.0)  # the first look-up only
    before = len(sbox.slack.calls_to("response_url"))
    for text in ("skip", "undo"):
        reply = sbox.client.command("/studygroup", text, user=WORKSPACE_ADMIN, channel=sbox.channel)
        assert reply.status == 200
    answers = [c["text"] for c in sbox.slack.wait_for("response_url", before + 2)[before:]]
    assert "Skipped the week of" in answers[0], answers
    assert "Undid the skip of the week of" in answers[1], answers
    assert applying(sbox) == []


def test_undo_of_a_pause_and_a_resume(sbox):
    command(sbox, "pause")
    command(sbox, f"resume {week(12).key}")
    command(sbox, "undo")
    assert sbox.deps.calendar().week_of(week(14).start).kind == "paused"
    answer = command(sbox, "undo")
    assert f"the pause from the week of {week(10).start:%b %-d}" in answer["text"]
    assert sbox.deps.calendar().week_of(week(10).start).kind == "topic"


def test_undo_never_rewrites_a_week_already_posted(sbox):
    command(sbox, "skip")  # week 10
    ManualScheduler(sbox.deps, sbox.app.client).run_until(at(11, 1, 10))  # week 11 posted
    answer = command(sbox, "undo")
    assert "already gone out" in answer["text"]
    assert applying(sbox) == [("skip", week(10).key, None)]
    # Someone else's change is named with who made it.
    sbox.deps.db.execute("UPDATE calendar_changes SET by_user = 'U0OTHER01'")
    command(sbox, f"skip {week(14).key}")
    sbox.deps.db.execute("UPDATE calendar_changes SET by_user = 'U0OTHER01'")
    assert "by <@U0OTHER01>" in all_text(command(sbox, "undo"))


def test_restart_starts_the_next_round_on_the_weekly_posts_day(sbox):
    end = sbox.deps.calendar().end
    sbox.clock.set(dt.datetime.combine(end + dt.timedelta(days=3), dt.time(10), LA_TZ))
    answer = command(sbox, "restart")
    monday = end + dt.timedelta(days=8)  # the calendar ends on a Sunday: the Monday a week on
    assert monday.weekday() == 0
    assert f"starts on {monday:%a %b %-d, %Y}" in answer["text"]
    assert week(1).topic.title in answer["text"] and "ends early" not in answer["text"]
    cal = sbox.deps.calendar()
    assert cal.start == monday and cal.round == 2
    assert cal.week_of(monday).study_week == 1 and cal.week_of(monday).topic == week(1).topic
    # The changes of the first round no longer apply; the posts go out from the new start.
    ManualScheduler(sbox.deps, sbox.app.client).run_until(
        dt.datetime.combine(monday, dt.time(9, 1), LA_TZ)
    )
    [post] = sent(sbox, "weekly", None)[-1:]
    assert post["metadata"]["event_payload"]["week"] == monday.isoformat()
    assert f"Week 1 of {cal.total_study_weeks}" in all_text(post)
    assert "under way" in command(sbox, "undo")["text"]


def test_restart_refuses_a_day_that_is_not_the_weekly_posts_day_or_is_past(sbox):
    wednesday = week(12).start + dt.timedelta(days=2)
    text = all_text(command(sbox, f"restart {wednesday.isoformat()}"))
    assert "not a Monday" in text and week(12).key in text and week(13).key in text
    assert "in the past" in all_text(command(sbox, f"restart {week(3).key}"))
    sbox.clock.set(at(10, 0, 10))  # Monday 10:00: this Monday's post time has passed
    assert "has passed" in all_text(command(sbox, f"restart {week(10).key}"))
    assert applying(sbox) == []


def test_restart_mid_round_says_what_is_dropped_and_undo_takes_it_back(sbox):
    before = sbox.deps.calendar()
    answer = command(sbox, f"restart {week(20).key}")
    assert "ends early" in answer["text"]
    assert sbox.deps.calendar().week_of(week(12).start).kind == "before"
    answer = command(sbox, "undo")
    assert f"Undid the new round from {week(20).start:%a %b %-d}" in answer["text"]
    assert sbox.deps.calendar().weeks == before.weeks


def test_status_says_the_end_of_the_roadmap_once_and_the_latest_change(sbox):
    end = sbox.deps.calendar().end
    sbox.clock.set(dt.datetime.combine(end - dt.timedelta(days=12), dt.time(10), LA_TZ))
    command(sbox, "extend")
    text = all_text(command(sbox, "status"))
    assert text.count("after the roadmap ends") == 1
    assert "Latest change: the extra week for" in text and "`/studygroup undo`" in text


def test_usage_card_lists_undo_and_restart(sbox):
    text = all_text(command(sbox, "help"))
    assert "/studygroup undo" in text and "/studygroup restart [YYYY-MM-DD]" in text


def test_status_says_who_takes_part_in_buddies_and_who_leads_this_week(sbox):
    assert "Study buddies" not in all_text(command(sbox, "status"))
    for user in ("U0BUDDY01", "U0BUDDY02", "U0BUDDY03"):
        sbox.slack.add_user(user)  # people of the workspace, as users.info knows them
        sbox.client.command("/buddy", "on", user=user, channel=sbox.channel)
    sbox.client.command("/lead", "on", user="U0BUDDY01", channel=sbox.channel)
    command(sbox, "buddies pause")
    command(sbox, "lead <@U0BUDDY02>")
    text = all_text(command(sbox, "status"))
    assert "Study buddies: 3 members opted in" in text and "paused" in text
    assert "Discussion lead this week" in text and "1 volunteer" in text
    command(sbox, "buddies resume")
    assert "paused" not in all_text(command(sbox, "status"))


def test_after_an_early_weekly_post_the_next_post_lines_name_the_week_after(sbox):
    sbox.clock.set(at(10, 0, 8))  # Monday 08:00: week 10's post is due at 09:00
    assert "Sent" in command(sbox, "post weekly")["text"]
    assert len(sent(sbox, "weekly", 10)) == 1
    status = all_text(command(sbox, "status"))
    assert "weekly for week 11:" in status and "weekly for week 10:" not in status
    assert "nudge for week 10:" in status  # the nudge still goes out at its time
    reply = command(sbox, f"skip {week(13).key}")["text"]
    assert "Next weekly post: week 11 of" in reply
    manual = ManualScheduler(sbox.deps, sbox.app.client)
    upcoming = manual.upcoming(sbox.clock.now())
    assert upcoming[0] == ("nudge", due("nudge", 10))
    assert ("weekly", due("weekly", 11)) in upcoming


def test_with_the_group_paused_the_replies_say_so_not_that_the_roadmap_is_done(sbox):
    command(sbox, "pause")
    command(sbox, "resume")
    answer = command(sbox, "undo")["text"]
    assert "Undid the resume" in answer and "roadmap is done" not in answer
    assert f"paused from the week of {week(10).start:%b %-d}" in answer
    assert "`/studygroup resume`" in answer
    sbox.clock.set(at(9, 5, 10))  # Saturday: this week's nudge and recap are behind us
    status = all_text(command(sbox, "status"))
    assert "roadmap is done" not in status and "• none: the group is paused" in status


def test_members_get_the_usage_card_for_help(sbox):
    for word in ("help", "?"):
        text = all_text(command(sbox, word, user=MEMBER))
        assert "/studygroup skip" in text and "organizers' commands" in text
    assert "organizers' commands" not in all_text(command(sbox, "help"))
