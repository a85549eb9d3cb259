"""Shared fixtures: the real app over HTTP, the Slack stand-in, a fresh SQLite file per test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.sandbox import Sandbox
from bot.cli.standin import SlackStandIn
from bot.core.clock import ManualClock

ROOT = Path(__file__).resolve().parent.parent
ROADMAP = ROOT / "roadmap.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAYLOADS = ROOT.parent / "shared" / "slack-payloads"


@pytest.fixture
def clock() -> ManualClock:
    """Monday of the roadmap's week 3, 10:00 in the roadmap's timezone (override per test)."""
    from bot.core.roadmap_load import load

    schedule = load(ROADMAP).schedule
    start = dt.datetime.combine(schedule.start + dt.timedelta(weeks=2), dt.time(10, 0), schedule.tz)
    return ManualClock(start)


@pytest.fixture
def box(tmp_path: Path, clock: ManualClock) -> Iterator[Sandbox]:
    """The real app on 127.0.0.1 against the stand-in, with a fresh database file."""
    with Sandbox(roadmap_path=ROADMAP, db_path=tmp_path / "studybot.db", clock=clock) as sandbox:
        yield sandbox


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin
