"""The event writer (bot/core/event_writer.py): events recorded in batches, one transaction
each, on a real SQLite file with the archive's real recorder. A batch is caught in the act by
holding this process's writer lock while events queue behind the first one."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import ingest
from bot.core.deps import Deps
from bot.core.event_writer import EventWriter, Outcome

CHANNEL = "C0STUDY01"


def message(n: int, text: str | None = None) -> dict[str, Any]:
    ts = f"1732230{n:03d}.000100"
    return {
        "type": "message",
        "channel": CHANNEL,
        "user": "U0MEMBER01",
        "text": text or f"question {n}: why do eigenvectors matter?",
        "ts": ts,
        "event_ts": ts,
    }


class Batches:
    """What the writer told, batch by batch: [(event id, outcome)] per call of `done`."""

    def __init__(self) -> None:
        self.seen: list[list[tuple[str, Outcome]]] = []
        self.futures: dict[str, Future[Outcome]] = {}

    def submit(
        self, writer: EventWriter, event_id: str, event: dict[str, Any], tag: str = ""
    ) -> None:
        self.futures[event_id + tag] = Future()
        writer.submit(event_id, event, event_id + tag, self.done)

    def done(self, pairs: list[tuple[Any, Outcome]]) -> None:
        self.seen.append(list(pairs))
        for token, outcome in pairs:
            self.futures[token].set_result(outcome)

    def outcome(self, token: str) -> Outcome:
        return self.futures[token].result(timeout=30)


@pytest.fixture
def deps(box: Sandbox) -> Deps:
    return box.deps


@pytest.fixture
def writer(deps: Deps) -> Iterator[EventWriter]:
    def picky(deps: Deps, event: dict[str, Any]) -> str | None:
        """A second recorder that cannot take one message, after the archive wrote it."""
        if "unrecordable" in str(event.get("text")):
            raise ValueError("this recorder cannot take it")
        return None

    writer = EventWriter(deps, [ingest.record, picky])
    yield writer
    assert writer.close(30)


def stored(deps: Deps) -> tuple[set[str], set[str]]:
    db = deps.pool.get()
    seen = {r[0] for r in db.execute("SELECT event_id FROM events_seen")}
    asked = {r[0] for r in db.execute("SELECT text FROM qa_questions")}
    return seen, asked


def held_then_released(deps: Deps, submit: Any) -> None:
    """Submit while this process's writer lock is held, so the events queue into one batch."""
    lock = deps.pool.get().writer_lock  # type: ignore[attr-defined]
    with lock:
        submit()
        time.sleep(0.3)  # the writer has taken the first and waits for the lock


def test_a_batch_commits_together_and_a_failing_event_costs_only_itself(deps, writer):
    batches = Batches()

    def submit() -> None:
        batches.submit(writer, "Ev0", message(0))
        for n in range(1, 6):
            text = "question 3 is unrecordable?" if n == 3 else None
            batches.submit(writer, f"Ev{n}", message(n, text))
        batches.submit(writer, "Ev1", message(1), "again")  # Slack's re-delivery

    held_then_released(deps, submit)
    kinds = {token: batches.outcome(token).kind for token in batches.futures}
    assert kinds == {f"Ev{n}": "recorded" for n in range(6)} | {
        "Ev3": "failed",
        "Ev1again": "duplicate",
    }
    # The failing event shared its batch (one transaction, one commit) with the others.
    shared = next(batch for batch in batches.seen if "Ev3" in dict(batch))
    assert {"Ev2", "Ev4", "Ev5", "Ev1again"} <= set(dict(shared))
    seen, asked = stored(deps)
    # The failing event left nothing behind (its archive write undone), the others are kept.
    assert seen == {"Ev0", "Ev1", "Ev2", "Ev4", "Ev5"}
    assert not any("unrecordable" in text for text in asked)
    assert batches.outcome("Ev2").recorded == ("question", None)


def test_a_lone_surrogate_is_kept_replaced_inside_a_batch(deps, writer):
    batches = Batches()

    def submit() -> None:
        batches.submit(writer, "Ev0", message(0))
        batches.submit(writer, "Ev1", message(1, "why \ud800 here?"))
        batches.submit(writer, "Ev2", message(2))

    held_then_released(deps, submit)
    assert batches.outcome("Ev1").kind == "recorded"
    assert batches.outcome("Ev1").event["text"] == "why \ufffd here?"
    assert batches.outcome("Ev2").kind == "recorded"
    assert "why \ufffd here?" in stored(deps)[1]


@pytest.mark.slow  # SQLite's real busy timeout (10 s)
def test_a_database_held_by_another_process_refuses_the_batch_once_not_event_by_event(
    deps, writer, box: Sandbox
):
    other = sqlite3.connect(box.settings.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the timeout
    batches = Batches()
    try:
        started = time.monotonic()
        for n in range(8):
            batches.submit(writer, f"Ev{n}", message(n))
        kinds = {batches.outcome(f"Ev{n}").kind for n in range(8)}
        took = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert kinds == {"unavailable"}  # answered 503: Slack delivers them again
    # At most two waits of the busy timeout (the first event, then the rest together): an
    # event-by-event retry would have kept Slack waiting 10 s for each.
    assert took < 25, took
    assert stored(deps)[0] == set()


def test_after_close_events_are_refused_and_queued_ones_kept(deps, writer):
    batches = Batches()
    lock = deps.pool.get().writer_lock  # type: ignore[attr-defined]
    with lock:
        for n in range(4):
            batches.submit(writer, f"Ev{n}", message(n))
        closing = threading.Thread(target=writer.close, args=(30,))
        closing.start()
        time.sleep(0.2)
    closing.join(30)
    assert {batches.outcome(f"Ev{n}").kind for n in range(4)} == {"recorded"}
    batches.submit(writer, "Ev9", message(9))
    assert batches.outcome("Ev9").kind == "unavailable"
    assert "Ev9" not in stored(deps)[0]


def test_a_full_disk_is_reported_as_such_and_the_writer_goes_on(deps):
    """SQLite rolls back by itself when the disk is full; the writer must report that error
    (not a failed second ROLLBACK) and leave its connection fit for the next batch."""
    room = {"full": True}
    deps.pool.get().execute("CREATE TABLE attachments (data BLOB)")

    def disk(deps: Deps, event: dict[str, Any]) -> str | None:
        """A recorder keeping 200 KB per event, on the writer's connection: no page to spare
        while `full`, plenty after."""
        conn = deps.db.conn
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages if room['full'] else 1 << 30}")
        conn.execute("INSERT INTO attachments VALUES (?)", (b"x" * 200_000,))
        return ingest.record(deps, event)

    writer = EventWriter(deps, [disk])
    try:
        big = message(1)
        outcome = writer.record("Ev1", big)
        assert outcome.kind == "unavailable"  # answered 503: Slack delivers it again
        assert "full" in str(outcome.error), outcome.error
        room["full"] = False
        assert writer.record("Ev1", big).kind == "recorded"  # the re-delivery is kept
        assert writer.record("Ev2", message(2)).kind == "recorded"
    finally:
        assert writer.close(30)
    assert {"Ev1", "Ev2"} <= stored(deps)[0]


def test_a_lone_event_is_recorded_where_it_came_and_its_redelivery_found(deps, writer):
    here = writer.record_here("Ev0", message(0))
    assert here is not None and here.kind == "recorded"
    assert here.recorded == ("question", None)
    assert writer.record_here("Ev0", message(0)).kind == "duplicate"  # type: ignore[union-attr]
    # The writer's own path agrees: one event, one question.
    assert writer.record("Ev0", message(0)).kind == "duplicate"
    assert stored(deps) == ({"Ev0"}, {message(0)["text"]})


def test_recording_where_it_came_steps_aside_for_any_other_writer(deps, writer, box: Sandbox):
    # Another process writing: no wait at all (the writer's path waits, bounded).
    other = sqlite3.connect(box.settings.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        assert writer.record_here("Ev1", message(1)) is None
        assert time.monotonic() - started < 0.5
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Another thread of this process writing.
    lock = deps.pool.get().writer_lock  # type: ignore[attr-defined]
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        assert writer.record_here("Ev2", message(2)) is None
    finally:
        done.set()
        holder.join()
    # A batch being written (it waits for this process's writer lock, held here), and an
    # event submitted before: it goes first, on the writer's path.
    batches = Batches()
    with lock:
        batches.submit(writer, "Ev5", message(5))
        assert writer.record_here("Ev6", message(6)) is None
    assert batches.outcome("Ev5").kind == "recorded"
    # An event a recorder cannot take is left to the writer, whose care it needs.
    assert writer.record_here("Ev3", message(3, "is this unrecordable?")) is None
    assert writer.record("Ev3", message(3, "is this unrecordable?")).kind == "failed"
    # Nothing was kept by the attempts that stepped aside.
    assert stored(deps)[0] == {"Ev5"}
    writer.close(30)
    assert writer.record_here("Ev4", message(4)) is None  # closed: Slack re-delivers
    assert stored(deps)[0] == {"Ev5"}
