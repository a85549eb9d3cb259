"""Shared fixtures: the real app over HTTP, the Slack stand-in, a fresh SQLite file per test.

Support modules (plain code, no tests; import what you need from them):
  tests/paths.py        where the roadmap, fixture files and shared payloads are
  tests/polling.py      wait_until / quiet_for: the one way to wait for work done after the ack
  tests/processes.py    `studybot` as a subprocess (one-shot, or serving HTTP)
  tests/blockkit.py     checks of messages and views against Block Kit and Slack's limits
  tests/qa_kit.py       the Q&A tests' roadmap, members and Slack event builders
  tests/commands_kit.py the slash-command tests' small roadmap and answer checks
  tests/posts_kit.py    the scheduled-post tests' calendar and what was sent
  tests/hardening.py    hostile texts and ping checks for the security tests
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.sandbox import Sandbox
from bot.cli.standin import SlackStandIn
from bot.core.clock import ManualClock
from tests import qa_kit
from tests.commands_kit import SMALL, monday
from tests.paths import FIXTURES, PAYLOADS, ROADMAP, ROOT

__all__ = ["FIXTURES", "PAYLOADS", "ROADMAP", "ROOT"]  # still importable from here


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


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Sandbox]:
    """The app on the small fixture roadmap, Monday of its week 2 (eigen, part 1 of 2)."""
    clock = ManualClock(monday(SMALL, 2))
    with Sandbox(roadmap_path=SMALL, db_path=tmp_path / "s.db", clock=clock) as sandbox:
        yield sandbox


@pytest.fixture
def qa_box(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sandbox]:
    """The real app on the Q&A tests' roadmap (tests/qa_kit.py), its members known to Slack;
    over HTTP, or over Socket Mode for a test parametrized with `indirect=["qa_box"]` and
    "socket"."""
    with Sandbox(
        roadmap_path=qa_kit.QA_ROADMAP,
        db_path=tmp_path / "qa.db",
        clock=qa_kit.qa_clock(),
        admins=(qa_kit.ADMIN,),
        question_prefix="Q:",
        socket=getattr(request, "param", "http") == "socket",
    ) as box:
        for user in (qa_kit.ASKER, qa_kit.HELPER, qa_kit.OTHER, qa_kit.ADMIN):
            box.slack.add_user(user)
        box.slack.add_user(qa_kit.OWNER, is_admin=True)
        yield box


@pytest.fixture
def archive(qa_box: Sandbox) -> dict[str, dict]:
    """A few questions across topics, answered and not."""
    eig = qa_kit.say(qa_box, qa_kit.ASKER, "How do I compute eigenvalues of a 3x3 matrix by hand?")
    eig_answer = qa_kit.reply(
        qa_box, eig, qa_kit.HELPER, "Solve the characteristic polynomial det(A - λI) = 0"
    )
    qa_kit.send(qa_box, qa_kit.reaction(qa_box, qa_kit.ASKER, eig_answer))
    qa_box.clock.advance(dt.timedelta(hours=1))
    chain = qa_kit.say(qa_box, qa_kit.OTHER, "Why does backprop use the chain rule?")
    qa_kit.reply(qa_box, chain, qa_kit.HELPER, "Because the loss is a composition of functions")
    qa_box.clock.advance(dt.timedelta(hours=1))
    mine = qa_kit.say(qa_box, qa_kit.ASKER, "Q: intuition for the determinant")
    return {"eig": eig, "eig_answer": eig_answer, "chain": chain, "mine": mine}
