"""One writer thread records Slack's events in batches, one transaction each, and tells every
caller once its event is committed: the ack still follows the commit, but 16 events arriving
together pay for one commit and one hand-over instead of sixteen."""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Literal

from bot.core import health
from bot.core.db import transaction
from bot.core.deps import Deps

log = logging.getLogger(__name__)

# Called inside the batch's transaction with (deps, event): the archive's writes. It may say
# what it did (e.g. "question"); listeners after the ack find it in Outcome.recorded.
Recorder = Callable[[Deps, dict[str, Any]], str | None]
# Called on the writer thread, once per batch, with (token, outcome) for each of its events
# that the caller submitted with this function.
Done = Callable[[list[tuple[Any, "Outcome"]]], None]

# Events in one transaction at most: enough to take a burst of concurrent deliveries in one
# commit, few enough that the first of them is not kept waiting long for the last.
MAX_BATCH = 64
# How long a batch waits for another writer (another process, `studybot post`, a sqlite3
# shell) before its events are refused with 503: Slack stops waiting for an answer after 3 s,
# and an event may wait out the batch before its own. A healthy writer holds it for
# milliseconds.
WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Outcome:
    """What became of one event.

    recorded: committed (with what each recorder did); duplicate: its id was committed before
    (a re-delivery); failed: a recorder raised on it (nothing kept: a re-delivery would fail
    the same way, so it is acknowledged); unavailable: the database refused (busy, full,
    read-only or damaged: nothing kept, Slack must deliver it again)."""

    kind: Literal["recorded", "duplicate", "failed", "unavailable"]
    event: dict[str, Any]  # as recorded (a lone surrogate replaced by U+FFFD)
    recorded: tuple[str | None, ...] = ()
    error: BaseException | None = None


@dataclass(frozen=True)
class _Entry:
    token: Any
    event_id: str
    event: dict[str, Any]
    done: Done


_STOP = object()


class EventWriter:
    """`submit` an event and get its Outcome on `done` after its batch commits; `record` waits
    for it; `record_here` records a lone one on the caller's thread. The thread starts with
    `start` or the first event, and ends with `close`."""

    def __init__(
        self, deps: Deps, recorders: Iterable[Recorder], max_batch: int = MAX_BATCH
    ) -> None:
        self.deps = deps
        self.recorders = tuple(recorders)
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # Held while a batch is written, or an event recorded where it came (record_here).
        self._writing = threading.Lock()
        self._pending = 0  # submitted and not yet written (under _lock)
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, event_id: str, event: dict[str, Any], token: Any, done: Done) -> None:
        """Record `event` in the next batch; `done` gets (token, outcome) after its commit."""
        with self._lock:
            if self._closed:  # shutting down: Slack delivers it again to the next process
                refused = RuntimeError("the bot is shutting down")
                done([(token, Outcome("unavailable", event, error=refused))])
                return
            self._start()
            self._pending += 1
            self._queue.put(_Entry(token, event_id, event, done))

    def start(self) -> None:
        """Start the thread now rather than with the first event submitted: its connection is
        then open, and a removed database file's data still reachable through it at once
        (Pool.replaced), even when every event so far was recorded where it came."""
        with self._lock:
            if not self._closed:
                self._start()

    def _start(self) -> None:
        """(Under _lock.)"""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="event-writer", daemon=True)
            self._thread.start()

    def record(self, event_id: str, event: dict[str, Any]) -> Outcome:
        """Record `event` and wait until its batch is committed (or refused)."""
        waiter: Future[Outcome] = Future()
        self.submit(event_id, event, waiter, _resolve)
        return waiter.result()

    def record_here(self, event_id: str, event: dict[str, Any]) -> Outcome | None:
        """Record `event` now, on the caller's thread, if nothing else is writing: no batch
        being written or waiting, no other writer holding the database (never waited for).
        None when something is (or anything goes wrong): `submit` it then, as usual.

        For an event that comes alone this saves the two thread hand-offs of the writer's
        path (to the writer and back), which cost more than recording it (BENCHMARKS.md);
        events that come together still share a batch's commit."""
        if not self._writing.acquire(blocking=False):
            return None
        try:
            with self._lock:  # an event submitted before it goes first, as it came first
                busy = self._closed or self._pending > 0
            if busy or not self.deps.pool.same_file():
                return None  # (a removed file's data is rescued on the writer's path)
            try:
                with transaction(self.deps.db, wait=0.0) as conn:
                    return self._record(conn, event_id, event)
            except Exception:  # busy, or an event the writer's care is for: it goes there
                return None
        finally:
            self._writing.release()

    def close(self, timeout: float) -> bool:
        """Take no more events, finish the ones queued; True when the thread ended in time
        (and no event was still being recorded where it came)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join(timeout)
        # One being recorded by record_here finishes; none starts after this.
        if not self._writing.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            return False
        self._writing.release()
        return thread is None or not thread.is_alive()

    def _run(self) -> None:
        # This thread's connection, open from the start (the file gone already: each batch
        # says so, unavailable).
        with contextlib.suppress(Exception):
            self.deps.pool.get()
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    break
                if entry is _STOP:
                    stop = True
                    break
                batch.append(entry)
            try:
                with self._writing:
                    self._finish(batch)
            finally:
                with self._lock:
                    self._pending -= len(batch)
            if stop:
                return

    def _finish(self, batch: list[_Entry]) -> None:
        try:
            outcomes = self._write(batch)
        except BaseException as exc:  # never leave a caller waiting for its ack
            log.exception("the event writer failed on a batch of %d", len(batch))
            outcomes = [Outcome("unavailable", e.event, error=exc) for e in batch]
        groups: dict[Hashable, list[tuple[Any, Outcome]]] = {}
        for entry, outcome in zip(batch, outcomes, strict=True):
            groups.setdefault(entry.done, []).append((entry.token, outcome))
        for done, pairs in groups.items():
            try:
                done(pairs)  # type: ignore[operator]
            except Exception:
                log.exception("telling %d callers of their events failed", len(pairs))

    def _write(self, batch: list[_Entry]) -> list[Outcome]:
        """The batch in one transaction. If anything in it fails, each event alone, so an event
        a recorder or the database cannot take costs only itself (rare: no savepoint per
        event, which cost more than a quarter of recording one)."""
        replaced = self.deps.pool.replaced()
        if replaced is not None:  # kept there, it would be lost: 503, Slack delivers it again
            error = sqlite3.OperationalError(replaced)
            return [Outcome("unavailable", e.event, error=error) for e in batch]
        if len(batch) > 1:
            try:
                with transaction(self.deps.db, wait=WAIT_SECONDS) as conn:
                    return [self._record(conn, e.event_id, e.event) for e in batch]
            except sqlite3.DatabaseError as exc:
                if health.is_locked(exc):  # each alone would wait as long again, for every event
                    return [Outcome("unavailable", e.event, error=exc) for e in batch]
            except Exception:
                pass
        return [self._alone(entry) for entry in batch]

    def _alone(self, entry: _Entry) -> Outcome:
        """One event in a transaction of its own."""
        outcome = self._attempt(entry.event_id, entry.event)
        if isinstance(outcome.error, UnicodeEncodeError):
            # A lone surrogate (JSON allows "\ud800"; SQLite cannot store it): keep the
            # message with the character replaced rather than drop it.
            clean = _without_surrogates(entry.event)
            outcome = self._attempt(_without_surrogates(entry.event_id), clean)
        return outcome

    def _attempt(self, event_id: str, event: dict[str, Any]) -> Outcome:
        try:
            with transaction(self.deps.db, wait=WAIT_SECONDS) as conn:
                return self._record(conn, event_id, event)
        except sqlite3.DatabaseError as exc:
            return Outcome("unavailable", event, error=exc)
        except Exception as exc:
            return Outcome("failed", event, error=exc)

    def _record(self, conn: sqlite3.Connection, event_id: str, event: dict[str, Any]) -> Outcome:
        fresh = conn.execute(
            "INSERT OR IGNORE INTO events_seen (event_id) VALUES (?)", (event_id,)
        ).rowcount
        if not fresh:
            return Outcome("duplicate", event)
        recorded = tuple(record(self.deps, event) for record in self.recorders)
        return Outcome("recorded", event, recorded)


def _resolve(pairs: list[tuple[Any, Outcome]]) -> None:
    for waiter, outcome in pairs:
        waiter.set_result(outcome)


def _without_surrogates(value: Any) -> Any:
    """`value` with every lone surrogate in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {k: _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value
