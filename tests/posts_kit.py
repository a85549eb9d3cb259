"""The scheduled-post tests' kit: the Los Angeles fixture roadmap's calendar, and what was sent.

Shared by tests/test_posts.py, test_posts_processes.py, test_scheduler.py and test_studygroup.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.cli.sandbox import Sandbox
from bot.core import calendar
from bot.core.post_plan import EVENT_TYPE
from bot.core.roadmap_load import load
from tests.paths import FIXTURES

LA = FIXTURES / "posts_los_angeles.yaml"
ROADMAP = load(LA)
TZ = ROADMAP.schedule.tz
ADMIN = "U0ORGANIZ1"
CAL = calendar.Calendar(ROADMAP.topics, ROADMAP.schedule.start)


def week(n: int) -> calendar.Week:
    return CAL.weeks[n - 1]


def at(n: int, weekday: int, hh: int, mm: int = 0) -> dt.datetime:
    """Local time on a weekday (0 = Monday) of calendar week n."""
    day = week(n).start + dt.timedelta(days=weekday)
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


def due(kind: str, n: int) -> dt.datetime:
    when = calendar.due_at(ROADMAP.schedule, kind, week(n))  # type: ignore[arg-type]
    assert when is not None
    return when


def sent(box: Sandbox, kind: str | None = None, n: int | None = None) -> list[dict[str, Any]]:
    """The scheduled posts Slack received in the study channel (optionally of a kind/week)."""
    out = []
    for call in box.slack.posts(box.channel):
        meta = call.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") != EVENT_TYPE:
            continue
        if kind and payload.get("kind") != kind or n and payload.get("week") != week(n).key:
            continue
        out.append(call.params)
    return out


def ledger(box: Sandbox) -> list[dict[str, Any]]:
    return list(box.deps.db.query("SELECT * FROM posts_ledger ORDER BY id"))
