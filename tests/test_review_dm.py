"""The daily review DM: at the member's own local time, once a local day, only when cards are due."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.cli.sandbox import Sandbox
from bot.core import review
from bot.core.clock import ManualClock
from bot.slack.manual_scheduler import ManualScheduler
from bot.slack.render.ids import REVIEW_SHOW, REVIEW_START
from tests.commands_kit import MEMBER, answer, buttons, responses

BERLIN = ZoneInfo("Europe/Berlin")


def _dms(box: Sandbox) -> int:
    return len(box.slack.posts(MEMBER))


def _berlin(clock: ManualClock, days: int, hour: int, minute: int = 0) -> dt.datetime:
    day = clock.now().astimezone(BERLIN).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), BERLIN)


def test_one_dm_a_local_day_at_the_members_time_and_none_after_off(
    box: Sandbox, clock: ManualClock
):
    box.slack.add_user(MEMBER, tz="Europe/Berlin")  # the roadmap runs on Los Angeles time
    answer(box.client.command("/progress", "done quick-start"))
    assert box.client.command("/review", "on 08:30").status == 200
    assert "Europe/Berlin" in responses(box, 1)[-1]["text"]
    # Monday 10:00 in Los Angeles is 19:00 in Berlin: today's 08:30 there has passed.
    tuesday, wednesday, thursday = (_berlin(clock, d, 0) for d in (1, 2, 3))
    manual = ManualScheduler(box.deps, box.app.client)
    manual.run_until(clock.now())
    assert _dms(box) == 0  # 08:30 in Berlin was before it was turned on

    manual.run_until(tuesday + dt.timedelta(hours=8, minutes=29))
    assert _dms(box) == 0
    manual.run_until(tuesday + dt.timedelta(hours=8, minutes=30))
    assert _dms(box) == 1
    manual.run_until(tuesday + dt.timedelta(hours=23))
    assert _dms(box) == 1
    dm = box.slack.posts(MEMBER)[0].params
    assert "3 cards due" in dm["text"]
    assert REVIEW_START in buttons(dm)
    box.client.action(REVIEW_START, channel="D" + MEMBER[1:])
    assert REVIEW_SHOW in buttons(responses(box, 2)[-1])

    # A restart the same day sends nothing more.
    manual.shutdown()
    again = ManualScheduler(box.deps, box.app.client)
    again.run_until(clock.now() + dt.timedelta(minutes=30))
    assert _dms(box) == 1

    again.run_until(wednesday + dt.timedelta(hours=12))
    assert _dms(box) == 2
    assert box.slack.posts(MEMBER)[1].at  # sent at Wednesday 08:30 Berlin

    answer(box.client.command("/review", "off"))
    again.run_until(thursday + dt.timedelta(hours=12))
    assert _dms(box) == 2


def test_no_dm_on_a_day_with_nothing_due(box: Sandbox, clock: ManualClock):
    box.slack.add_user(MEMBER, tz="Europe/Berlin")
    answer(box.client.command("/progress", "done quick-start"))
    topic = box.deps.roadmap.topic("quick-start")
    assert topic is not None
    for index in range(len(topic.recall)):  # all reviewed: due again in days
        review.grade(box.deps.db, MEMBER, topic.id, index, "easy", clock.now())
    assert box.client.command("/review", "on 07:00").status == 200
    responses(box, 1)
    tuesday = _berlin(clock, 1, 0)
    manual = ManualScheduler(box.deps, box.app.client)
    manual.run_until(tuesday + dt.timedelta(hours=9))
    assert _dms(box) == 0
    assert box.deps.db.execute("SELECT status FROM review_dms").fetchall() == [("nothing-due",)]
    manual.run_until(tuesday + dt.timedelta(hours=23))
    assert _dms(box) == 0
