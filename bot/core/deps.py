"""What listeners and jobs share: settings, the database pool, the roadmap, the clock."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlite_utils

from bot.core import calendar
from bot.core.clock import Clock
from bot.core.db import Pool
from bot.core.roadmap import Roadmap
from bot.core.roadmap_load import RoadmapStore
from bot.core.settings import Settings

T = TypeVar("T")
# Answers remembered per thread until the database changes; beyond this many, start over.
REMEMBERED_MAX = 1024


@dataclass(frozen=True)
class Deps:
    settings: Settings
    pool: Pool
    roadmaps: RoadmapStore
    clock: Clock
    # The last calendar built, with what it was built from: the roadmap and the changes are
    # immutable, and rebuilding the calendar was a third of every /nexttopic's time.
    _calendars: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _remembered: threading.local = field(
        default_factory=threading.local, init=False, repr=False, compare=False
    )

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection."""
        return self.pool.get()

    @property
    def roadmap(self) -> Roadmap:
        return self.roadmaps.current()

    def now(self) -> dt.datetime:
        return self.clock.now()

    def remembered(self, key: Hashable, build: Callable[[], T]) -> T:
        """build(), reused until the database changes. Costs one statement instead of the
        several build() may run: under load each statement costs far more than its work.

        Per thread, as connections are: PRAGMA data_version moves when another connection
        (thread or process) commits, total_changes when this one writes. The key must hold
        everything else the answer depends on (the user, the day, the roadmap's id)."""
        conn = self.db.conn
        version = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        local = self._remembered
        if getattr(local, "version", None) != version or len(local.memo) >= REMEMBERED_MAX:
            local.version, local.memo = version, {}
        if key not in local.memo:
            local.memo[key] = build()
        return local.memo[key]

    def calendar(self) -> calendar.Calendar:
        roadmap = self.roadmap
        changes = tuple(calendar.load_changes(self.db))
        last = self._calendars.get("last")
        if last is not None and last[0] is roadmap and last[1] == changes:
            return last[2]
        built = calendar.Calendar(
            roadmap.followed(self.roadmaps.track), roadmap.schedule.start, changes
        )
        self._calendars["last"] = (roadmap, changes, built)
        return built

    def this_week(self) -> tuple[calendar.Calendar, calendar.Week]:
        roadmap = self.roadmap
        cal = self.calendar()
        return cal, cal.week_of(calendar.local_today(roadmap.schedule, self.now()))

    @property
    def channel(self) -> str | None:
        """The study channel: an organizer's `/studygroup channel` choice, else STUDYBOT_CHANNEL."""
        row = self.db.execute("SELECT value FROM kv WHERE key = 'channel'").fetchone()
        return row[0] if row else self.settings.channel
