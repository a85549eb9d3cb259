"""Two years of posts in three timezones, across every DST change: one of each kind a week, on time.

The clock is a ManualClock; the jobs, CronTriggers and job store are APScheduler's own
(bot.slack.manual_scheduler.ManualScheduler moves the clock from one fire time to the next)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import calendar
from bot.core.calendar import Change
from bot.core.clock import ManualClock
from bot.core.roadmap_load import load
from bot.slack.manual_scheduler import ManualScheduler
from tests.conftest import FIXTURES


def _posts(box: Sandbox) -> Counter[tuple[str, str]]:
    """(kind, week) of every post Slack received in the study channel, by its metadata."""
    found: Counter[tuple[str, str]] = Counter()
    for call in box.slack.posts(box.channel):
        payload = (call.get("metadata") or {}).get("event_payload") or {}
        found[(payload.get("kind"), payload.get("week"))] += 1
    return found


def _dst_changes(tz, start: dt.date, end: dt.date) -> list[dt.date]:
    days = []
    day = start
    while day < end:
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=tz)
        if noon.utcoffset() != (noon + dt.timedelta(days=1)).utcoffset():
            days.append(day + dt.timedelta(days=1))
        day += dt.timedelta(days=1)
    return days


@pytest.mark.slow
@pytest.mark.parametrize("place", ["los_angeles", "berlin", "sydney"])
def test_two_years_of_weeks_one_post_of_each_kind_at_the_local_time(tmp_path: Path, place: str):
    path = FIXTURES / f"posts_{place}.yaml"
    schedule = load(path).schedule
    tz = schedule.tz
    begin = dt.datetime.combine(schedule.start - dt.timedelta(days=2), dt.time(12), tzinfo=tz)
    clock = ManualClock(begin)
    with Sandbox(roadmap_path=path, db_path=tmp_path / "s.db", clock=clock) as box:
        db = box.deps.db
        # Weeks without a topic on the way: a skipped week and a two-week pause.
        first = calendar.Calendar(box.deps.roadmap.topics, schedule.start)
        calendar.record_change(db, Change("skip", first.weeks[19].start))
        calendar.record_change(db, Change("pause", first.weeks[49].start))
        calendar.record_change(db, Change("resume", first.weeks[51].start))
        cal = box.deps.calendar()
        assert cal.end - cal.start > dt.timedelta(days=2 * 365)
        changes = _dst_changes(tz, cal.start, cal.end)
        assert len(changes) >= 4, changes

        ManualScheduler(box.deps, box.app.client).run_until(
            dt.datetime.combine(cal.end + dt.timedelta(days=7), dt.time(12), tzinfo=tz)
        )

        expected = {
            (kind, w.key) for w in cal.weeks if w.kind == "topic" for kind in calendar.POST_KINDS
        }
        received = _posts(box)
        assert set(received) == expected
        assert set(received.values()) == {1}
        assert {w.kind for w in cal.weeks} == {"topic", "skip", "paused"}

        rows = list(db.query("SELECT kind, week, status, sent_at FROM posts_ledger"))
        assert len(rows) == len(expected)
        offsets = set()
        for row in rows:
            assert row["status"] == "sent"
            when = dt.datetime.fromisoformat(row["sent_at"]).astimezone(tz)
            wanted = calendar.post_time(schedule, row["kind"])
            assert (when.weekday(), when.time()) == (wanted.weekday, wanted.time), row
            start = dt.date.fromisoformat(row["week"])
            assert start <= when.date() <= start + dt.timedelta(days=6)
            offsets.add(when.utcoffset())
        assert len(offsets) == 2  # posts on both sides of the changes, same wall-clock time


def test_a_time_that_happens_twice_or_never_still_posts_once(tmp_path: Path):
    """Berlin's recap moved to Sunday 02:30: on the autumn change that hour happens twice (the
    CronTrigger fires twice), on the spring change it never happens."""
    text = (FIXTURES / "posts_berlin.yaml").read_text()
    text = text.replace(
        'recap: {weekday: sunday, time: "18:00"}', 'recap: {weekday: sunday, time: "02:30"}'
    )
    path = tmp_path / "night.yaml"
    path.write_text(text)
    schedule = load(path).schedule
    tz = schedule.tz
    clock = ManualClock(dt.datetime(2027, 3, 15, 12, tzinfo=tz))
    with Sandbox(roadmap_path=path, db_path=tmp_path / "s.db", clock=clock) as box:
        ManualScheduler(box.deps, box.app.client).run_until(dt.datetime(2027, 11, 8, tzinfo=tz))
        recaps = {
            row["week"]: dt.datetime.fromisoformat(row["sent_at"]).astimezone(tz)
            for row in box.deps.db.query(
                "SELECT week, sent_at FROM posts_ledger WHERE kind = 'recap'"
            )
        }
        received = _posts(box)
        assert all(received[("recap", week)] == 1 for week in recaps)
        autumn = recaps["2027-10-25"]
        assert (autumn.date(), autumn.time(), autumn.fold) == (
            dt.date(2027, 10, 31),
            dt.time(2, 30),
            0,
        )
        spring = recaps["2027-03-22"]  # 02:00-03:00 does not exist that night
        assert spring.date() == dt.date(2027, 3, 28)
        # The instant zoneinfo gives 02:30 that night (as calendar.due_at does): 03:30 CEST.
        assert spring.timestamp() == dt.datetime(2027, 3, 28, 2, 30, tzinfo=tz).timestamp()
        assert spring.time() == dt.time(3, 30)
        others = [w for w in recaps.values() if w.date() not in (dt.date(2027, 3, 28),)]
        assert all(w.time() == dt.time(2, 30) for w in others)
