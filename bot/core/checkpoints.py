"""WAL checkpoints on a thread of their own, so that no commit of the bot's pays for one.

SQLite checkpoints inside the commit that takes the write-ahead log past 1,000 pages: in the
bot one commit in about sixty, which then takes milliseconds (the log's pages copied into the
database file, two fsyncs) instead of tens of microseconds, on whichever thread committed:
the event loop itself, for a message recorded where it came. That was half of all the time
commits took (BENCHMARKS.md). A pool made with `checkpoints=True` (bot/core/db.py) keeps its
connections from checkpointing but as a backstop; once a commit says it wrote, this thread
waits EVERY seconds (the commits meanwhile join it) and checkpoints passively: it never
blocks a reader or a writer, and SQLite does it without the interpreter lock, on another
core.

The backstop: a passive checkpoint copies the log's pages but cannot start the log over
while writes go on, so under a long burst the log would only grow. Past BACKSTOP_PAGES a
commit checkpoints itself, as SQLite does by default past 1,000: most of those pages were
copied already, and the log starts over at the next write."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

# How long after a commit the checkpoint comes (an idle bot never wakes up for it).
EVERY = 0.2
# The log's pages past which a commit checkpoints itself after all (16 MiB of 4 KiB pages).
BACKSTOP_PAGES = 4000


class Checkpoints:
    """Calls `checkpoint` on its thread EVERY seconds after a commit said it `wrote`."""

    def __init__(self, checkpoint: Callable[[], None], every: float = EVERY) -> None:
        self._checkpoint = checkpoint
        self._every = every
        self._wrote = threading.Event()
        self._closing = threading.Event()
        self._failing = False  # the last checkpoint failed (said once, until one succeeds)
        self._thread = threading.Thread(target=self._run, name="checkpoints", daemon=True)
        self._thread.start()

    def wrote(self) -> None:
        """A commit added to the log. No wake-up while a checkpoint is due already: a burst's
        commits cost a flag each."""
        if not self._wrote.is_set():
            self._wrote.set()

    def close(self, timeout: float = 10.0) -> bool:
        """Stop, after a checkpoint under way; True when the thread ended in time. What the
        log still holds is checkpointed when the database's last connection closes."""
        self._closing.set()
        self._wrote.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            self._wrote.wait()
            if self._closing.wait(self._every):
                return
            self._wrote.clear()  # a commit from now on asks for the next one
            try:
                self._checkpoint()
            except Exception as exc:  # the database busy, gone or damaged: try after the next
                if not self._failing:
                    log.warning(
                        "a WAL checkpoint failed (tried again after the next write): %s", exc
                    )
                self._failing = True
            else:
                self._failing = False
