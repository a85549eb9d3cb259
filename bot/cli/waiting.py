"""Waiting on a stand-in's condition until what a test or the console expects has happened."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def wait_on(
    changed: threading.Condition,
    done: Callable[[], bool],
    timeout: float,
    why_not: Callable[[], str],
) -> None:
    """Wait (holding `changed`) until `done()` is true, woken by `changed.notify_all()`;
    after `timeout` seconds raise AssertionError with `why_not()`."""
    deadline = time.time() + timeout
    with changed:
        while not done():
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(why_not())
            changed.wait(left)
