"""The rotating discussion lead: /lead on|off, the weekly post names the lead, the lead's DM a
day before, /studygroup lead @member."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import lead
from bot.core.clock import ManualClock
from bot.slack.manual_scheduler import ManualScheduler
from tests import qa_kit
from tests.posts_kit import ADMIN, at, due, sent, week
from tests.social_kit import PEOPLE, boxed, command, dms_to, open_box, organizer, text_of

A, B, C, D = PEOPLE[:4]


@pytest.fixture
def clock() -> ManualClock:
    """Sunday 08:00 ending week 4 on the LA roadmap: week 5's lead is reminded at 09:00, the
    day before its weekly post (Monday 09:00)."""
    return ManualClock(at(4, 6, 8))


@pytest.fixture
def lbox(tmp_path: Path, clock: ManualClock) -> Iterator[Sandbox]:
    yield from boxed(tmp_path / "studybot.db", clock)


def _volunteer(box: Sandbox, *people: str) -> None:
    for user in people:
        assert "Thanks for volunteering" in text_of(command(box, "/lead", "on", user))


def _named(box: Sandbox, n: int) -> list[str]:
    """Who week n's weekly posts name as the lead (every copy sent)."""
    out = []
    for post in sent(box, "weekly", n):
        body = text_of(post)
        out += [u for u in PEOPLE if f"Discussion lead this week:* <@{u}>" in body]
    return out


def _run_weeks(box: Sandbox, manual: ManualScheduler, first: int, last: int) -> list[str]:
    leads = []
    for n in range(first, last + 1):
        manual.run_until(due("weekly", n) + dt.timedelta(hours=1))
        named = _named(box, n)
        assert len(named) == 1, (n, named)
        leads.append(named[0])
    return leads


def test_round_robin_skips_who_opted_out_or_left(lbox: Sandbox):
    _volunteer(lbox, A, B, C, D)
    lbox.slack.leave(lbox.channel, D)
    manual = ManualScheduler(lbox.deps, lbox.app.client)
    assert _run_weeks(lbox, manual, 5, 6) == [A, B]
    command(lbox, "/lead", "off", C)
    assert _run_weeks(lbox, manual, 7, 9) == [A, B, A]
    lbox.slack.join(lbox.channel, D)  # back, and never led: next
    _volunteer(lbox, C)
    assert _run_weeks(lbox, manual, 10, 12) == [D, C, B]


def test_the_rotation_survives_a_restart_and_a_resend_names_the_same_lead(
    tmp_path: Path, clock: ManualClock
):
    path = tmp_path / "studybot.db"
    with open_box(path, clock) as first:
        _volunteer(first, A, B, C)
        manual = ManualScheduler(first.deps, first.app.client)
        assert _run_weeks(first, manual, 5, 6) == [A, B]
        assert ":white_check_mark:" in text_of(organizer(first, "post weekly force"))
        assert _named(first, 6) == [B, B]
    later = ManualClock(due("weekly", 6) + dt.timedelta(days=2))
    with open_box(path, later) as second:
        manual = ManualScheduler(second.deps, second.app.client)
        assert _run_weeks(second, manual, 7, 8) == [C, A]


def test_organizers_set_and_swap_the_lead_and_the_post_names_them(lbox: Sandbox):
    _volunteer(lbox, A, B)
    assert "organizers" in text_of(organizer(lbox, f"lead <@{C}>", user=A))
    reply = text_of(organizer(lbox, f"lead <@{C}>"))
    assert f"<@{C}> leads the week of" in reply
    assert lead.chosen(lbox.deps.db, week(5).key) == C
    lbox.slack.users[D]["name"] = "dora"
    reply = text_of(organizer(lbox, "lead @dora"))
    assert f"<@{D}> leads" in reply and f"instead of <@{C}>" in reply
    manual = ManualScheduler(lbox.deps, lbox.app.client)
    assert _run_weeks(lbox, manual, 5, 5) == [D]
    # The rotation goes on among the volunteers, who have not led yet.
    assert _run_weeks(lbox, manual, 6, 7) == [A, B]
    for bad in ("lead nobody", "lead", f"lead <@{A}> <@{B}>"):
        assert "How to use `/studygroup`" in text_of(organizer(lbox, bad))


def test_the_leads_dm_goes_a_day_before_once_across_a_restart(tmp_path: Path, clock: ManualClock):
    path = tmp_path / "studybot.db"
    with open_box(path, clock) as first:
        _volunteer(first, A, B)
        qa_kit.say(first, C, "<!channel> why is the dot product of orthogonal vectors zero?")
        manual = ManualScheduler(first.deps, first.app.client)
        manual.run_until(due("weekly", 5) - dt.timedelta(days=1, minutes=1))
        assert dms_to(first, A) == []
        manual.run_until(due("weekly", 5) - dt.timedelta(days=1))
        dms = dms_to(first, A)
        assert len(dms) == 1
        body = text_of(dms[0])
        assert "You lead the discussion" in body and "Matrices" in body
        assert first.deps.roadmap.topic("matrices").prompts[0][:30] in body  # type: ignore[union-attr]
        assert "orthogonal vectors" in body  # last week's open question
        assert "<!channel>" not in body and "@channel why is" in body  # shown, never a ping
        again = ManualScheduler(first.deps, first.app.client)
        again.run_until(due("weekly", 5) - dt.timedelta(hours=12))
        assert len(dms_to(first, A)) == 1
    later = ManualClock(due("weekly", 5) - dt.timedelta(hours=6))
    with open_box(path, later) as second:
        manual = ManualScheduler(second.deps, second.app.client)
        manual.run_until(due("weekly", 5) + dt.timedelta(hours=1))
        assert dms_to(second, A) == []
        assert _named(second, 5) == [A]
        # A lead swapped in after the reminder's time gets theirs at once, once.
        organizer(second, f"lead <@{B}>")
        assert lead.chosen(second.deps.db, week(6).key) == B
        manual.run_until(due("weekly", 6) - dt.timedelta(days=1))
        assert len(dms_to(second, B)) == 1
        manual.run_until(due("weekly", 6) + dt.timedelta(hours=1))
        assert len(dms_to(second, B)) == 1 and _named(second, 6) == [B]


def test_lead_commands_and_bad_input(lbox: Sandbox):
    for text in ("on extra", "maybe", "off now"):
        assert "How to use `/lead`" in text_of(command(lbox, "/lead", text, A))
    assert "How to use `/lead`" in text_of(command(lbox, "/lead", "help", A))
    assert not lead.is_volunteer(lbox.deps.db, A)
    assert "not in the discussion-lead rotation" in text_of(command(lbox, "/lead", "", A))
    assert "up next" in text_of(command(lbox, "/lead", "on", A))
    assert "already" in text_of(command(lbox, "/lead", "on", A))
    assert f"Next up: <@{A}>" in text_of(command(lbox, "/lead", "", A))
    assert "out of" in text_of(command(lbox, "/lead", "off", A))
    assert "weren't" in text_of(command(lbox, "/lead", "off", A))


def test_no_volunteers_no_lead_line(lbox: Sandbox):
    manual = ManualScheduler(lbox.deps, lbox.app.client)
    manual.run_until(due("weekly", 5) + dt.timedelta(hours=1))
    assert len(sent(lbox, "weekly", 5)) == 1
    assert "Discussion lead" not in text_of(sent(lbox, "weekly", 5)[0])
    assert ADMIN not in [c.get("channel") for c in lbox.slack.posts()]


def test_after_an_early_weekly_post_members_see_the_lead_organizers_set(lbox: Sandbox):
    _volunteer(lbox, A, B)
    lbox.clock.set(at(5, 0, 8))  # Monday 08:00: week 5's post is due at 09:00
    assert ":white_check_mark:" in text_of(organizer(lbox, "post weekly"))
    assert _named(lbox, 5) == [A]
    # The organizer's lead goes to the first week not posted: week 6, not the one just out.
    assert f"<@{C}> leads the week of" in text_of(organizer(lbox, f"lead <@{C}>"))
    assert lead.chosen(lbox.deps.db, week(6).key) == C
    assert f"Next up: <@{C}>" in text_of(command(lbox, "/lead", "", B))


def test_organizers_cannot_make_a_bot_or_a_deactivated_account_lead(lbox: Sandbox):
    lbox.slack.add_user("UBOT0001", "studybot", is_bot=True)
    lbox.slack.add_user("U0GONE001", "gone", deleted=True)
    for ref in ("<@UBOT0001>", "UBOT0001", "<@U0GONE001|gone>", "U0NOBODY1"):
        assert "couldn't find the member" in text_of(organizer(lbox, f"lead {ref}"))
    assert lead.chosen(lbox.deps.db, week(5).key) is None
    assert f"<@{C}> leads the week of" in text_of(organizer(lbox, f"lead {C}"))
