"""Study buddies: /buddy on|off, the weekly pairing in group DMs, /studygroup buddies pause|resume."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import buddies, channel_members
from bot.core.clock import ManualClock
from bot.slack.manual_scheduler import ManualScheduler
from tests.posts_kit import at, due, week
from tests.social_kit import (
    PEOPLE,
    boxed,
    command,
    dms_to,
    group_dms,
    mondays,
    open_box,
    organizer,
    pairs,
    text_of,
)


@pytest.fixture
def clock() -> ManualClock:
    """Sunday noon before week 5 (matrices) of the LA roadmap: the next pairing is Monday 09:00."""
    return ManualClock(at(4, 6, 12))


@pytest.fixture
def bbox(tmp_path: Path, clock: ManualClock) -> Iterator[Sandbox]:
    yield from boxed(tmp_path / "studybot.db", clock)


def _opt_in(box: Sandbox, people: tuple[str, ...] | list[str]) -> None:
    for user in people:
        assert "You're in" in text_of(command(box, "/buddy", "on", user))


def _weekly_groups(box: Sandbox, manual: ManualScheduler, weeks: int) -> list[list[list[str]]]:
    """Run `weeks` weeks from week 5; the groups DMed each week."""
    out = []
    for noon in mondays(due("weekly", 5), weeks):
        before = len(group_dms(box))
        manual.run_until(noon)
        out.append([members for members, _ in group_dms(box)[before:]])
    return out


def test_six_members_meet_every_other_exactly_once_in_five_weeks(bbox: Sandbox):
    six = PEOPLE[:6]
    _opt_in(bbox, six)
    manual = ManualScheduler(bbox.deps, bbox.app.client)
    manual.run_until(due("weekly", 5) - dt.timedelta(minutes=1))
    assert group_dms(bbox) == []  # pairing waits for the weekly post's time
    weeks = _weekly_groups(bbox, manual, 6)
    for groups in weeks:
        assert sorted(len(g) for g in groups) == [2, 2, 2]
        assert sorted(u for g in groups for u in g) == sorted(six)
    met = Counter(p for groups in weeks[:5] for p in pairs(groups))
    assert len(met) == 15 and set(met.values()) == {1}  # every pair, exactly once
    # The sixth week starts a new round, and no pair of the fifth week meets again at once.
    assert not set(pairs(weeks[5])) & set(pairs(weeks[4]))
    # The group DM names the week's topic and its code exercise, and each member by mention.
    members, message = group_dms(bbox)[0]
    body = text_of(message)
    assert "Matrices" in body and "Implement a tiny matrices example" in body
    assert all(f"<@{u}>" in body for u in members)
    assert "/buddy off" in body


def test_an_odd_number_makes_one_trio_and_a_lone_member_is_told(bbox: Sandbox):
    _opt_in(bbox, PEOPLE[:5])
    manual = ManualScheduler(bbox.deps, bbox.app.client)
    weeks = _weekly_groups(bbox, manual, 3)
    for groups in weeks:
        assert sorted(len(g) for g in groups) == [2, 3]
    assert "trio" in text_of(next(m for g, m in group_dms(bbox) if len(g) == 3))
    for user in PEOPLE[1:5]:
        command(bbox, "/buddy", "off", user)
    before = len(group_dms(bbox))
    manual.run_until(mondays(due("weekly", 8), 1)[0])
    assert len(group_dms(bbox)) == before
    told = dms_to(bbox, PEOPLE[0])
    assert len(told) == 1 and "no partner" in text_of(told[0])


def test_members_who_opted_out_or_left_the_channel_are_never_paired(bbox: Sandbox):
    bbox.slack.members_page_size = 2  # conversations.members in pages: all of them are read
    _opt_in(bbox, PEOPLE[:6])
    command(bbox, "/buddy", "off", PEOPLE[1])
    bbox.slack.leave(bbox.channel, PEOPLE[2])
    manual = ManualScheduler(bbox.deps, bbox.app.client)
    weeks = _weekly_groups(bbox, manual, 4)
    for groups in weeks:
        everyone = [u for g in groups for u in g]
        assert sorted(everyone) == sorted([PEOPLE[0], *PEOPLE[3:6]])
    assert bbox.slack.calls_to("conversations.members")
    # Back in the channel: paired again.
    bbox.slack.join(bbox.channel, PEOPLE[2])
    manual.run_until(mondays(due("weekly", 9), 1)[0])
    assert PEOPLE[2] in [u for g, _ in group_dms(bbox)[-3:] for u in g]


def test_a_week_is_paired_once_even_across_a_restart(tmp_path: Path, clock: ManualClock):
    path = tmp_path / "studybot.db"
    with open_box(path, clock) as first:
        _opt_in(first, PEOPLE[:4])
        # The first group DM fails after the week was claimed: it is not sent again.
        first.slack.fail("conversations.open", error="cannot_dm_bot")
        ManualScheduler(first.deps, first.app.client).run_until(due("weekly", 5))
        assert len(group_dms(first)) == 1
        assert len(first.slack.calls_to("conversations.open")) == 1  # the other group's
        again = ManualScheduler(first.deps, first.app.client)
        again.run_until(due("weekly", 5) + dt.timedelta(hours=3))
        assert len(group_dms(first)) == 1
        statuses = first.deps.db.execute("SELECT status FROM buddy_groups").fetchall()
        assert sorted(s for (s,) in statuses) == ["failed", "sent"]
    # A new process the same week: nothing more.
    later = ManualClock(due("weekly", 5) + dt.timedelta(hours=5))
    with open_box(path, later) as second:
        ManualScheduler(second.deps, second.app.client).run_until(at(5, 3, 12))
        assert group_dms(second) == []
        assert second.slack.calls_to("conversations.open") == []
        assert buddies.pair_week(second.deps.db, week(5).key, PEOPLE[:4], later.now()) is None
        # The next week is paired as usual.
        ManualScheduler(second.deps, second.app.client).run_until(due("weekly", 6))
        assert len(group_dms(second)) == 2


def test_organizers_pause_and_resume_the_pairing(bbox: Sandbox):
    _opt_in(bbox, PEOPLE[:4])
    refused = organizer(bbox, "buddies pause", user=PEOPLE[0])
    assert "organizers" in text_of(refused)
    assert not buddies.paused(bbox.deps.db)
    assert "paused" in text_of(organizer(bbox, "buddies pause"))
    manual = ManualScheduler(bbox.deps, bbox.app.client)
    manual.run_until(mondays(due("weekly", 6), 1)[0])
    assert group_dms(bbox) == []
    assert "paused" in text_of(command(bbox, "/buddy", "", PEOPLE[0]))
    assert "back on" in text_of(organizer(bbox, "buddies resume"))
    manual.run_until(mondays(due("weekly", 7), 1)[0])
    # Resumed on Monday 12:00 of week 6, within a day of its weekly post: it pairs at once.
    assert len(group_dms(bbox)) == 4
    assert "How to use `/studygroup`" in text_of(organizer(bbox, "buddies maybe"))


def test_who_opts_in_mid_week_waits_for_the_next_weeks_pairing(bbox: Sandbox):
    manual = ManualScheduler(bbox.deps, bbox.app.client)
    manual.run_until(at(5, 2, 9))  # Wednesday of week 5
    _opt_in(bbox, PEOPLE[:2])
    manual.run_until(at(5, 6, 12))
    assert group_dms(bbox) == []
    manual.run_until(due("weekly", 6))
    assert [g for g, _ in group_dms(bbox)] == [sorted(PEOPLE[:2])]


def test_bad_input_gets_the_usage_card(bbox: Sandbox):
    for text in ("maybe", "on now", "off please"):
        body = text_of(command(bbox, "/buddy", text, PEOPLE[0]))
        assert "How to use `/buddy`" in body
    assert "How to use `/buddy`" in text_of(command(bbox, "/buddy", "help", PEOPLE[0]))
    assert not buddies.is_in(bbox.deps.db, PEOPLE[0])
    assert "How to use `/studygroup`" in text_of(organizer(bbox, "buddies"))
    command(bbox, "/buddy", "on", PEOPLE[0])
    assert "already" in text_of(command(bbox, "/buddy", "on", PEOPLE[0]))
    assert "signed up" in text_of(command(bbox, "/buddy", "", PEOPLE[0]))
    assert "out of" in text_of(command(bbox, "/buddy", "off", PEOPLE[0]))
    assert "weren't" in text_of(command(bbox, "/buddy", "off", PEOPLE[0]))


def test_circle_method_slots_meet_every_pair_once():
    for n in range(2, 12):
        seats = [f"U{i}" for i in range(n)]
        met = Counter(frozenset(p) for slot in buddies.slots(seats) for p in slot if None not in p)
        assert len(met) == n * (n - 1) // 2 and set(met.values()) == {1}


def test_buddy_counts_only_the_members_still_in_the_channel(bbox: Sandbox):
    """Four sign up, two leave the channel (as the pairing last read it): /buddy says one
    other, as the pairing will have it."""
    _opt_in(bbox, PEOPLE[:4])
    channel_members.remember(bbox.deps.db, bbox.channel, [PEOPLE[0], PEOPLE[1]], bbox.clock.now())
    assert "with 1 other" in text_of(command(bbox, "/buddy", "", PEOPLE[0]))


def test_a_members_answer_without_members_leaves_nobody_out(bbox: Sandbox):
    """conversations.members answered {"ok": true} and no `members` (a minimal Slack stand-in,
    or a Slack that answered oddly) is Slack not saying who is in the channel, as when the call
    fails: it must not read as an empty channel, where every volunteer had "left" and nobody
    was ever paired (nor chosen to lead)."""
    bbox.slack.unmodelled.add("conversations.members")
    _opt_in(bbox, PEOPLE[:4])
    manual = ManualScheduler(bbox.deps, bbox.app.client)
    (groups,) = _weekly_groups(bbox, manual, 1)
    assert sorted(u for g in groups for u in g) == sorted(PEOPLE[:4])
    assert bbox.slack.calls_to("conversations.members")
