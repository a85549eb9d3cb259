"""What listeners and jobs share: settings, the database pool, the roadmap, the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlite_utils

from bot.core import calendar
from bot.core.cache import Cache, Same
from bot.core.calendar import Calendar, Week
from bot.core.clock import Clock
from bot.core.db import Pool
from bot.core.health import Health
from bot.core.roadmap import Roadmap
from bot.core.roadmap_load import RoadmapStore
from bot.core.settings import Settings

T = TypeVar("T")
# Answers remembered for the database's state they were read in (bot.core.cache's rule).
REMEMBERED_MAX = 1024
# Calendars by roadmap and stored changes: the current one, and the last few around a change.
CALENDARS_MAX = 4


@dataclass(frozen=True)
class Deps:
    """The shared parts every listener and job is given (in Bolt's context as "deps")."""

    settings: Settings
    pool: Pool
    roadmaps: RoadmapStore
    clock: Clock
    # What this process has seen of the database's state (damage), for readiness and 503s.
    health: Health = field(default_factory=Health, repr=False, compare=False)
    _calendars: Cache[Calendar] = field(
        default_factory=lambda: Cache(CALENDARS_MAX), init=False, repr=False, compare=False
    )
    _remembered: Cache[Any] = field(
        default_factory=lambda: Cache(REMEMBERED_MAX), init=False, repr=False, compare=False
    )

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection."""
        return self.pool.get()

    @property
    def roadmap(self) -> Roadmap:
        """The current roadmap (re-read when the file changes)."""
        return self.roadmaps.current()

    def now(self) -> dt.datetime:
        """The time by the app's clock."""
        return self.clock.now()

    def remembered(self, key: Hashable, build: Callable[[], T]) -> T:
        """build(), reused until the database changes. Costs one statement instead of the
        several build() may run: under load each statement costs far more than its work.

        Keyed by this thread's connection and its state: PRAGMA data_version moves when another
        connection (thread or process) commits, total_changes when this one writes. The key
        must hold everything else the answer depends on (the user, the day, the roadmap)."""
        conn = self.db.conn
        version = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        value: T = self._remembered.get((Same(conn), version, key), build)
        return value

    def calendar(self) -> Calendar:
        """The reading calendar: built once per roadmap and stored changes (rebuilding it was a
        third of every /nexttopic's time)."""
        roadmap = self.roadmap
        changes = tuple(calendar.load_changes(self.db))
        track = self.roadmaps.track
        return self._calendars.get(
            (Same(roadmap), track, changes),
            lambda: Calendar(roadmap.followed(track), roadmap.schedule.start, changes),
        )

    def this_week(self) -> tuple[Calendar, Week]:
        """The calendar and today's week in it."""
        roadmap = self.roadmap
        cal = self.calendar()
        return cal, cal.week_of(calendar.local_today(roadmap.schedule, self.now()))

    @property
    def channel(self) -> str | None:
        """The study channel: an organizer's `/studygroup channel` choice, else STUDYBOT_CHANNEL."""
        row = self.db.execute("SELECT value FROM kv WHERE key = 'channel'").fetchone()
        return row[0] if row else self.settings.channel
