"""bot.progress: ticks stored per member, and where a member stands against the schedule."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from bot.core import progress
from bot.core.calendar import Calendar, Change
from bot.core.db import Pool
from bot.core.roadmap import Topic
from bot.core.roadmap_load import load
from tests.conftest import FIXTURES

NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
START = dt.date(2026, 9, 7)  # a Monday


def topic(tid: str, weeks: int = 1, prerequisites: tuple[str, ...] = ()) -> Topic:
    return Topic(tid, tid.title(), "s", weeks, "", (), (), (), prerequisites)


@pytest.fixture
def db(tmp_path: Path):
    pool = Pool(tmp_path / "p.db")
    yield pool.get()
    pool.close()


def test_mark_done_and_undo_report_whether_anything_changed(db):
    assert progress.done_topics(db, "U1") == set()
    assert progress.mark_done(db, "U1", "a", NOW) is True
    assert progress.mark_done(db, "U1", "a", NOW) is False
    assert progress.mark_done(db, "U1", "b", NOW) is True
    assert progress.mark_done(db, "U2", "a", NOW) is True
    assert progress.done_topics(db, "U1") == {"a", "b"}
    assert progress.undo(db, "U1", "a") is True
    assert progress.undo(db, "U1", "a") is False
    assert progress.done_topics(db, "U1") == {"b"}
    assert progress.done_topics(db, "U2") == {"a"}
    row = db.execute("SELECT done_at FROM progress WHERE user = 'U1'").fetchone()
    assert dt.datetime.fromisoformat(row[0]) == NOW


def test_concurrent_ticks_of_one_topic_count_once(tmp_path: Path):
    pool = Pool(tmp_path / "c.db")
    results: list[bool] = []
    lock = threading.Lock()

    def tick() -> None:
        changed = progress.mark_done(pool.get(), "U1", "a", NOW)
        with lock:
            results.append(changed)

    threads = [threading.Thread(target=tick) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert progress.done_topics(pool.get(), "U1") == {"a"}
    pool.close()


def test_standing_against_the_schedule():
    topics = [topic("a", 2), topic("b"), topic("c"), topic("d")]
    cal = Calendar(topics, START)
    week_b = cal.weeks[2]  # weeks: a, a, b, c, d
    assert week_b.topic and week_b.topic.id == "b"

    s = progress.standing(topics, cal, week_b, set())
    assert [t.id for t in s.behind] == ["a"] and not s.ahead and s.current == topics[1]
    assert (s.done, s.total) == (0, 4)

    s = progress.standing(topics, cal, week_b, {"a", "b"})
    assert s.on_track and not s.ahead and s.done == 2

    s = progress.standing(topics, cal, week_b, {"a", "c", "d", "zzz"})
    assert s.on_track and [t.id for t in s.ahead] == ["c", "d"] and s.done == 3


def test_standing_before_the_start_and_after_the_end():
    topics = [topic("a"), topic("b")]
    cal = Calendar(topics, START)
    before = cal.week_of(START - dt.timedelta(days=3))
    after = cal.week_of(cal.end + dt.timedelta(days=1))
    assert (before.kind, after.kind) == ("before", "after")

    s = progress.standing(topics, cal, before, {"a"})
    assert s.on_track and [t.id for t in s.ahead] == ["a"] and s.current is None

    s = progress.standing(topics, cal, after, {"a"})
    assert [t.id for t in s.behind] == ["b"] and not s.ahead


def test_standing_in_a_skipped_week_counts_the_topic_before_it_as_finished():
    topics = [topic("a"), topic("b")]
    cal = Calendar(topics, START, [Change("skip", START + dt.timedelta(weeks=1))])
    skip = cal.weeks[1]
    assert skip.kind == "skip"
    s = progress.standing(topics, cal, skip, set())
    assert [t.id for t in s.behind] == ["a"] and s.current is None


def test_missing_prerequisites_are_transitive_and_in_roadmap_order():
    roadmap = load(FIXTURES / "roadmap_commands.yaml")
    by_id = {t.id: t for t in roadmap.topics}
    last = roadmap.topics[-1]
    needed = progress.missing_prerequisites(roadmap, last, set())
    assert needed, "the fixture's last topic has prerequisites"
    order = [t.id for t in roadmap.topics]
    assert [t.id for t in needed] == sorted((t.id for t in needed), key=order.index)
    for t in needed:
        assert t.id in by_id
    done = {needed[0].id}
    assert needed[0] not in progress.missing_prerequisites(roadmap, last, done)
