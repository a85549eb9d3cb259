"""Clocks: the real one, and a manual one that tests and the console move forward."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol


class Clock(Protocol):
    """Where the time comes from: the system in production, a ManualClock in tests and the console."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> dt.datetime:
        """The current time, in UTC."""
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """The clock's time, in UTC."""
        with self._lock:
            return self._now

    def set(self, when: dt.datetime) -> None:
        """Move the clock to `when`."""
        with self._lock:
            self._now = when.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the clock on by `delta`; the new time."""
        with self._lock:
            self._now += delta
            return self._now
