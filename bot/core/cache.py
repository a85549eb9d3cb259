"""The one cache: values remembered under a key that holds everything they depend on.

The rule, the only one: an entry is never invalidated. A value is found again only under a key
equal to the one it was stored under, and that key holds everything the value depends on:
  - the objects it was drawn from, by identity (`Same(roadmap)`, `Same(calendar)`): a roadmap
    or calendar is immutable and replaced whole when it changes;
  - plain values it depends on, by value (the user, the day, the stored calendar changes);
  - the database's state when it reads the database (`PRAGMA data_version` and the
    connection's `total_changes`, with the connection itself: see `bot.core.deps`);
  - a time window (`time_window(seconds)`) for what must be asked again every so often:
    an entry is then never older than `seconds`.
When any of these changes the key changes, so the old entry is simply never found again; it
falls out when the cache is full (least recently used first). Nothing else removes an entry,
and a `build` that raises stores nothing, so a failure is never remembered.

Thread-safe: one lock around the table, never held while a value is built (two threads may
build the same value at once; both get an equal value).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Same:
    """An object in a key by identity: equal only to a `Same` of that very object.

    For immutable values that are costly (or impossible) to hash, like a roadmap or a calendar.
    The key holds the object, so its id cannot be reused by another one while the entry lives.
    """

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj

    def __repr__(self) -> str:
        return f"Same({type(self.obj).__name__}@{id(self.obj):#x})"


def time_window(seconds: float) -> int:
    """The number of the current `seconds`-long window of the monotonic clock: a key part for
    values that must be asked again at least every `seconds`."""
    return int(time.monotonic() // seconds)


class Cache(Generic[V]):
    """At most `size` values, each under the key it was built for (see the module's rule)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a cache holds at least one entry")
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value stored under `key`, else build() stored under it (unless build raises).

        Callers must not mutate what they get: the next caller gets the same object."""
        with self._lock:
            try:
                self._entries.move_to_end(key)
                return self._entries[key]
            except KeyError:
                pass
        value = build()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)
