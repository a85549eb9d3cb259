"""Replies nobody waits on ("asked before") go out in a lull between Slack's requests.

Slack wants every request answered within 3 s; a reply to a question is a courtesy. Both
need the same interpreter, so under a burst (Slack re-delivering what piled up while the bot
was down, say) a reply waits for a lull, QUIET without a request from Slack, and the acks
keep their pace. ("None being answered" alone is no lull: the writer acks a batch of events
together, and their senders send the next ones a moment later.) At a study group's pace the
lull is there 50 ms after the question's own ack. A reply waits for a lull no longer than
LONGEST_WAIT, so a burst that goes on still gets its replies; only replies before it still
waiting on a slow Slack (AT_ONCE of them) make it wait longer."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future

log = logging.getLogger(__name__)

# The longest a reply waits for a lull, from when it was handed over.
LONGEST_WAIT = 5.0
# How long without a request makes a lull: many times the gap between a burst's batches.
QUIET = 0.05
# How many run at once (on the after-ack threads): as many as a slow Slack may hold.
AT_ONCE = 5


class Courtesy:
    """Work handed over after an ack, started on `executor` in a lull between the requests
    the servers count in (`started`/`finished`), in the order it came."""

    def __init__(
        self, executor: Executor, longest: float = LONGEST_WAIT, at_once: int = AT_ONCE
    ) -> None:
        self._executor = executor
        self._longest = longest
        self._at_once = at_once
        self._changed = threading.Condition()
        self._answering = 0  # Slack's requests being answered now
        self._last = 0.0  # when the last one came or was answered (time.monotonic())
        self._waiting: deque[tuple[float, Callable[[], None]]] = deque()
        self._running = 0
        self._stopping = False  # no more requests: what waits goes at once
        self._closed = False
        self._thread: threading.Thread | None = None

    # No notify in these two: a lull cannot come sooner than QUIET after them, and the
    # hand-over looks again by then (a wake-up per request would cost the acks).
    def started(self) -> None:
        """A request from Slack is being answered."""
        with self._changed:
            self._answering += 1
            self._last = time.monotonic()

    def finished(self) -> None:
        """That request is answered."""
        with self._changed:
            self._answering -= 1
            self._last = time.monotonic()

    def submit(self, work: Callable[[], None]) -> None:
        """Run `work` (it logs its own failures) in the next lull, or LONGEST_WAIT from now."""
        with self._changed:
            stopping, closed = self._stopping, self._closed
            if not (stopping or closed):
                if self._thread is None or not self._thread.is_alive():
                    # Started first: if it cannot be, nothing is left waiting for no thread.
                    thread = threading.Thread(target=self._hand_over, name="courtesy", daemon=True)
                    thread.start()
                    self._thread = thread
                self._waiting.append((time.monotonic(), work))
                self._changed.notify_all()
        if stopping:
            # Handed over by a listener still at work when the stop began: it runs here, on
            # the after-ack thread the stop waits for (its question's claim is taken already).
            work()
        elif closed:
            log.warning("shutting down: a reply after the ack skipped")

    def pending(self) -> int:
        """Handed over and not finished (waiting or running)."""
        with self._changed:
            return len(self._waiting) + self._running

    def finish(self, timeout: float) -> bool:
        """The servers have stopped: hand over what waits without a lull, and wait (bounded)
        until it is done; True if it all was."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
            return self._changed.wait_for(lambda: not self._waiting and not self._running, timeout)

    def close(self) -> None:
        """Take no more into the queue; what has not started is dropped (its question is
        kept). Work handed over after finish() still runs where it is handed over."""
        with self._changed:
            self._closed = True
            dropped = len(self._waiting)
            self._waiting.clear()
            self._changed.notify_all()
        if dropped:
            log.warning(
                "shutting down: %d repl%s after the ack skipped",
                dropped,
                "y" if dropped == 1 else "ies",
            )

    def _hand_over(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda: self._closed or (self._waiting and self._running < self._at_once)
                )
                if self._closed:
                    return
                since, _ = self._waiting[0]
                if not self._lull(since + self._longest):
                    return
                _, work = self._waiting.popleft()
                self._running += 1
            try:
                future = self._executor.submit(work)
            except RuntimeError:  # the executor is shutting down
                self._done()
                log.warning("shutting down: a reply after the ack skipped")
            else:
                # Also when the future is cancelled (a stop drops what has not started).
                future.add_done_callback(self._done)

    def _lull(self, deadline: float) -> bool:
        """Wait (holding the lock) for QUIET without a request, or until `deadline`; False
        once closed."""
        while not self._closed:
            now = time.monotonic()
            if now >= deadline or self._stopping:
                return True
            if self._answering:
                self._changed.wait(min(QUIET, deadline - now))
            elif (quiet := self._last + QUIET - now) <= 0:
                return True
            else:
                self._changed.wait(min(quiet, deadline - now))
        return False

    def _done(self, _: Future[None] | None = None) -> None:
        with self._changed:
            self._running -= 1
            self._changed.notify_all()
