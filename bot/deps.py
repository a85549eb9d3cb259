"""What listeners and jobs share: settings, the database pool, the roadmap, the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from bot import calendar
from bot.clock import Clock
from bot.db import Pool
from bot.roadmap import Roadmap, RoadmapStore
from bot.settings import Settings


@dataclass(frozen=True)
class Deps:
    settings: Settings
    pool: Pool
    roadmaps: RoadmapStore
    clock: Clock

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection."""
        return self.pool.get()

    @property
    def roadmap(self) -> Roadmap:
        return self.roadmaps.current()

    def now(self) -> dt.datetime:
        return self.clock.now()

    def calendar(self) -> calendar.Calendar:
        roadmap = self.roadmap
        return calendar.Calendar(
            roadmap.followed(self.roadmaps.track),
            roadmap.schedule.start,
            calendar.load_changes(self.db),
        )

    def this_week(self) -> tuple[calendar.Calendar, calendar.Week]:
        cal = self.calendar()
        return cal, cal.week_of(calendar.local_today(self.roadmap.schedule, self.now()))

    @property
    def channel(self) -> str | None:
        """The study channel: an organizer's `/studygroup channel` choice, else STUDYBOT_CHANNEL."""
        row = self.db.execute("SELECT value FROM kv WHERE key = 'channel'").fetchone()
        return row[0] if row else self.settings.channel
