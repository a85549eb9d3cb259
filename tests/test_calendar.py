"""The reading calendar, by properties: topics keep their weeks and order whatever organizers do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from bot.core import calendar
from bot.core.calendar import MAX_WEEKS, POST_KINDS, Calendar, Change, due_at, next_due
from bot.core.db import connect, migrate
from bot.core.roadmap import PostTime, Schedule, Topic
from bot.core.roadmap_load import load
from tests.conftest import ROADMAP

START = dt.date(2026, 9, 7)  # a Monday
ZONES = ("America/Los_Angeles", "Europe/Berlin", "Australia/Sydney", "UTC", "Asia/Kolkata")


def make_topic(i: int, weeks: int) -> Topic:
    return Topic(f"t{i}", f"Topic {i}", "s", weeks, "summary", ("k",), (), ("p",))


topic_lists = st.lists(st.integers(1, 4), min_size=1, max_size=8).map(
    lambda weeks: tuple(make_topic(i, w) for i, w in enumerate(weeks))
)
starts = st.dates(dt.date(2025, 1, 1), dt.date(2030, 12, 31))


change_specs = st.lists(
    st.tuples(
        st.sampled_from(("skip", "skip", "extend", "extend", "pause", "resume")),
        st.integers(-1, 40),  # the week it is about (slot; <= 0 is before the start)
        st.integers(0, 6),  # any day of that week
        st.integers(0, 7),  # which topic, for an extension
    ),
    max_size=10,
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[tuple[Topic, ...], dt.date, list[Change]]:
    """Topics, a start date, and organizer changes in recorded order (any day of a week)."""
    topics = draw(topic_lists)
    start = draw(st.one_of(st.just(START), starts))
    horizon = sum(t.weeks for t in topics) + 12
    changes = [
        Change(
            kind,
            start + dt.timedelta(weeks=min(slot, horizon) - 1, days=day),
            topics[which % len(topics)].id if kind == "extend" else None,
        )
        for kind, slot, day, which in draw(change_specs)
    ]
    return topics, start, changes


def expansion(topics: tuple[Topic, ...], extra: dict[str, int]) -> list[tuple[str, int, int]]:
    """Each topic's weeks in order: (id, week within the topic, weeks of the topic)."""
    out = []
    for t in topics:
        n = t.weeks + extra.get(t.id, 0)
        out += [(t.id, i, n) for i in range(1, n + 1)]
    return out


def taught(cal: Calendar) -> list[tuple[str, int, int]]:
    return [(w.topic.id, w.topic_week, w.topic_weeks) for w in cal.weeks if w.kind == "topic"]


def extensions(cal: Calendar) -> dict[str, int]:
    """Extra weeks per topic, read back from the calendar itself."""
    return {
        w.topic.id: w.topic_weeks - w.topic.weeks
        for w in cal.weeks
        if w.kind == "topic" and w.topic_weeks > w.topic.weeks
    }


@settings(deadline=None)
@given(topic_lists, starts)
def test_without_changes_every_topic_gets_its_weeks_in_order(topics, start) -> None:
    cal = Calendar(topics, start)
    assert taught(cal) == expansion(topics, {})
    assert [w.index for w in cal.weeks] == list(range(1, len(cal.weeks) + 1))
    assert [w.start for w in cal.weeks] == [
        start + dt.timedelta(weeks=i) for i in range(len(cal.weeks))
    ]
    assert [w.study_week for w in cal.weeks] == list(range(1, len(cal.weeks) + 1))
    assert cal.total_study_weeks == sum(t.weeks for t in topics)
    assert cal.end == start + dt.timedelta(weeks=cal.total_study_weeks, days=-1)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_no_change_ever_loses_or_repeats_a_topic(scenario) -> None:
    topics, start, changes = scenario
    cal = Calendar(topics, start, changes)
    extra = extensions(cal)
    # Extensions only ever add weeks, and only as many as were asked for.
    asked = {
        t.id: sum(1 for c in changes if c.kind == "extend" and c.topic_id == t.id) for t in topics
    }
    assert all(0 <= extra.get(t.id, 0) <= asked[t.id] for t in topics)
    full = expansion(topics, extra)
    got = taught(cal)
    if cal.weeks and cal.weeks[-1].kind == "paused":
        # Paused with no resume to come: the calendar stops there, mid-way but in order.
        last = cal.weeks[-1].index
        assert not any(
            c.kind == "resume" and calendar._slot(start, c.week_start) > last for c in changes
        )
        assert got == full[: len(got)] and len(cal.weeks) < MAX_WEEKS
    else:
        assert got == full  # every topic, each of its weeks, in order, none twice
        assert cal.weeks[-1].kind == "topic"  # no trailing break
    study = [w.study_week for w in cal.weeks if w.kind == "topic"]
    assert study == list(range(1, len(study) + 1))
    assert all(w.study_week == 0 and w.topic is None for w in cal.weeks if w.kind != "topic")


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_breaks_are_exactly_the_skipped_and_paused_weeks(scenario) -> None:
    topics, start, changes = scenario
    cal = Calendar(topics, start, changes)
    skipped = {calendar._slot(start, c.week_start) for c in changes if c.kind == "skip"}
    # (week, recorded order, kind) of each pause/resume: the latest week wins, then the latest
    # recorded within that week.
    toggles = [
        (calendar._slot(start, c.week_start), n, c.kind)
        for n, c in enumerate(changes)
        if c.kind in ("pause", "resume")
    ]
    for w in cal.weeks:
        so_far = [t for t in toggles if t[0] <= w.index]
        if so_far and max(so_far)[2] == "pause":
            assert w.kind == "paused"
        elif w.index in skipped:
            assert w.kind == "skip"
        else:
            assert w.kind == "topic"


def test_a_pause_recorded_after_a_resume_of_the_same_week_wins() -> None:
    # Bug fixed: pauses were sorted by (week, kind), so "resume" always beat "pause".
    topics = (make_topic(0, 3),)
    week2 = START + dt.timedelta(weeks=1)
    changes = [Change("pause", week2), Change("resume", week2), Change("pause", week2)]
    cal = Calendar(topics, START, changes)
    assert [w.kind for w in cal.weeks] == ["topic", "paused"]  # paused from week 2 on
    assert cal.week_of(week2 + dt.timedelta(weeks=5)).kind == "paused"
    changes.append(Change("resume", week2 + dt.timedelta(weeks=2)))
    cal = Calendar(topics, START, changes)
    assert [w.kind for w in cal.weeks] == ["topic", "paused", "paused", "topic", "topic"]


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(scenarios(), st.data())
def test_a_new_change_never_rewrites_earlier_weeks(scenario, data) -> None:
    topics, start, changes = scenario
    before = Calendar(topics, start, changes)
    kind = data.draw(st.sampled_from(("skip", "extend", "pause", "resume")))
    slot = data.draw(st.integers(1, len(before.weeks) + 2))
    topic_id = data.draw(st.sampled_from([t.id for t in topics])) if kind == "extend" else None
    change = Change(kind, start + dt.timedelta(weeks=slot - 1), topic_id)
    after = Calendar(topics, start, [*changes, change])

    def past(cal: Calendar) -> list[tuple]:
        # All but topic_weeks: "week 1 of 3" may read "week 1 of 4" once the topic is extended.
        weeks = (cal.week_of(start + dt.timedelta(weeks=i)) for i in range(slot - 1))
        return [(w.index, w.start, w.kind, w.topic, w.topic_week, w.study_week) for w in weeks]

    assert past(after) == past(before)


def test_extending_a_topic_that_is_already_over_changes_nothing() -> None:
    # Bug fixed: an extension asked for after its topic ended moved every later week,
    # including weeks that had already been posted.
    topics = (make_topic(0, 1), make_topic(1, 2))
    late = Change("extend", START + dt.timedelta(weeks=2), "t0")
    assert Calendar(topics, START, [late]).weeks == Calendar(topics, START).weeks
    on_time = Change("extend", START + dt.timedelta(days=3), "t0")
    cal = Calendar(topics, START, [on_time])
    assert [(w.topic.id, w.topic_week, w.topic_weeks) for w in cal.weeks] == [
        ("t0", 1, 2),
        ("t0", 2, 2),
        ("t1", 1, 2),
        ("t1", 2, 2),
    ]
    ahead = Change("extend", START, "t1")  # a topic still to come may be extended in advance
    assert Calendar(topics, START, [ahead]).total_study_weeks == 4


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.integers(-30, 500))
def test_week_of_agrees_with_the_weeks(scenario, offset) -> None:
    topics, start, changes = scenario
    cal = Calendar(topics, start, changes)
    day = start + dt.timedelta(days=offset)
    week = cal.week_of(day)
    assert week.start <= day <= week.end and week.start.weekday() == start.weekday()
    if day < start:
        assert week.kind == "before"
    elif day <= cal.end:
        assert week == cal.weeks[week.index - 1]
    else:
        assert week.kind == ("paused" if cal.weeks[-1].kind == "paused" else "after")


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_first_next_and_back_weeks_are_consistent(scenario) -> None:
    topics, start, changes = scenario
    cal = Calendar(topics, start, changes)
    firsts = [w for w in cal.weeks if w.kind == "topic" and w.topic_week == 1]
    for w in firsts:
        assert cal.first_week_of(w.topic.id) == w
    for w in cal.weeks:
        later = [f for f in firsts if f.index > w.index and (w.topic is None or f.topic != w.topic)]
        assert cal.next_topic_week(w) == (later[0] if later else None)
        for n in (1, 2, 4):
            back = cal.weeks_back(w, n)
            if w.kind == "topic" and w.study_week > n:
                assert back is not None and back.study_week == w.study_week - n
                assert back.index < w.index
            else:
                assert back is None


def schedule_for(zone: str, start: dt.date, times: list[tuple[int, dt.time]]) -> Schedule:
    weekly, nudge, recap = (PostTime(d, t) for d, t in times)
    return Schedule(zone, start, weekly, nudge, recap)


post_times = st.lists(
    st.tuples(st.integers(0, 6), st.times().map(lambda t: t.replace(second=0, microsecond=0))),
    min_size=3,
    max_size=3,
)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(scenarios(), st.sampled_from(ZONES), post_times)
def test_each_post_falls_in_its_week_at_the_local_time(scenario, zone, times) -> None:
    topics, start, changes = scenario
    schedule = schedule_for(zone, start, times)
    cal = Calendar(topics, start, changes)
    for week in cal.weeks[:40]:
        for kind, (weekday, at) in zip(POST_KINDS, times, strict=True):
            due = due_at(schedule, kind, week)
            local = due.astimezone(schedule.tz)
            assert week.start <= local.date() <= week.end
            assert local.weekday() == weekday
            # The wall-clock time holds across DST, except inside a spring-forward gap.
            assert local.time() == at or local.utcoffset() != due.utcoffset()


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(scenarios(), st.sampled_from(ZONES), post_times, st.integers(-20, 400), st.data())
def test_next_due_is_the_earliest_later_post_of_a_topic_week(
    scenario, zone, times, day, data
) -> None:
    topics, start, changes = scenario
    schedule = schedule_for(zone, start, times)
    cal = Calendar(topics, start, changes)
    kind = data.draw(st.sampled_from(POST_KINDS))
    after = dt.datetime.combine(
        start + dt.timedelta(days=day), dt.time(data.draw(st.integers(0, 23))), schedule.tz
    ).astimezone(dt.UTC)
    brute = [
        (w, due_at(schedule, kind, w))
        for w in cal.weeks
        if w.kind == "topic" and due_at(schedule, kind, w) > after
    ]
    expected = min(brute, key=lambda pair: pair[1]) if brute else None
    assert next_due(schedule, cal, kind, after) == expected


def test_the_real_roadmap_runs_week_after_week_around_today() -> None:
    roadmap = load(ROADMAP)
    cal = calendar.Calendar(roadmap.followed(), roadmap.schedule.start)
    today = dt.date(2026, 11, 22)
    week = cal.week_of(today)
    assert (
        week.kind == "topic" and week.study_week == (today - roadmap.schedule.start).days // 7 + 1
    )
    assert cal.total_study_weeks == roadmap.total_weeks()


def test_changes_round_trip_through_the_database(tmp_path: Path) -> None:
    db = connect(tmp_path / "cal.db")
    migrate(db)
    changes = [
        Change("skip", START),
        Change("extend", START + dt.timedelta(weeks=1), "t0"),
        Change("pause", START + dt.timedelta(weeks=2)),
        Change("resume", START + dt.timedelta(weeks=4)),
    ]
    for change in changes:
        calendar.record_change(db, change, by_user="U1", now=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    assert calendar.load_changes(db) == changes
    row = next(db.query("SELECT by_user, created_at FROM calendar_changes LIMIT 1"))
    assert row == {"by_user": "U1", "created_at": "2026-09-01T00:00:00+00:00"}


def test_week_n_of_m_keeps_m_while_paused_without_resume():
    from bot.core.calendar import Calendar, Change
    from bot.core.roadmap_load import load
    from tests.conftest import ROADMAP

    roadmap = load(ROADMAP)
    topics = roadmap.followed()
    start = roadmap.schedule.start
    full = Calendar(topics, start).total_study_weeks
    paused = Calendar(topics, start, [Change("pause", start + dt.timedelta(weeks=3))])
    assert full == sum(t.weeks for t in topics)
    assert paused.total_study_weeks == full
    extended = Calendar(topics, start, [Change("extend", start, topics[0].id)])
    assert extended.total_study_weeks == full + 1


@given(scenarios(), st.integers(1, 60))
@settings(max_examples=100, deadline=None)
def test_a_restart_is_the_first_round_again_from_its_day(scenario, slot):
    topics, start, changes = scenario
    again = start + dt.timedelta(weeks=slot)
    cal = Calendar(topics, start, [*changes, Change("restart", again)])
    fresh = Calendar(topics, again)
    assert cal.start == again and cal.round == 2
    assert [(w.kind, w.topic, w.study_week) for w in cal.weeks] == [
        (w.kind, w.topic, w.study_week) for w in fresh.weeks
    ]
    assert cal.week_of(again - dt.timedelta(days=1)).kind == "before"
    # Changes made after the restart apply to the new round.
    skipped = Calendar(topics, start, [*changes, Change("restart", again), Change("skip", again)])
    assert skipped.week_of(again).kind == "skip"
    assert skipped.week_of(again + dt.timedelta(weeks=1)).topic == topics[0]


def test_undone_changes_stay_on_record_and_no_longer_apply(tmp_path: Path) -> None:
    db = connect(tmp_path / "cal.db")
    migrate(db)
    now = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    calendar.record_change(db, Change("skip", START), by_user="U1", now=now)
    calendar.record_change(db, Change("restart", START + dt.timedelta(weeks=9)), "U1", now)
    latest = calendar.latest_change(db)
    assert latest is not None and latest.change.kind == "restart" and latest.by_user == "U1"
    assert calendar.mark_undone(db, latest.id, "U2", now) is True
    assert calendar.mark_undone(db, latest.id, "U2", now) is False  # a second click
    assert calendar.load_changes(db) == [Change("skip", START)]
    assert db.execute("SELECT count(*) FROM calendar_changes").fetchone()[0] == 2


def test_the_undo_migration_keeps_the_changes_made_before_it(tmp_path: Path) -> None:
    from bot.core.db import _statements, migration_steps

    db = connect(tmp_path / "old.db")
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, sql in migration_steps():
        if name < "0600":
            for statement in _statements(sql):
                db.execute(statement)
            db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, 'x')", (name,))
    db.execute(
        "INSERT INTO calendar_changes (kind, week_start, topic_id, by_user, created_at)"
        " VALUES ('extend', ?, 't0', 'U1', '2026-09-01T00:00:00+00:00')",
        (START.isoformat(),),
    )
    assert "0600_calendar_undo.sql" in migrate(db)
    assert calendar.load_changes(db) == [Change("extend", START, "t0")]
    calendar.record_change(db, Change("restart", START), "U1")
    assert [c.kind for c in calendar.load_changes(db)] == ["extend", "restart"]
