"""Hot reload: a running bot picks up an edited roadmap on the next command; a bad edit is
logged and the last good roadmap stays."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.sandbox import Sandbox
from bot.core.clock import ManualClock
from bot.core.roadmap_load import RoadmapStore, load
from tests.conftest import FIXTURES

SMALL = FIXTURES / "roadmaps" / "small.yaml"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Sandbox]:
    """The real app on a copy of the small roadmap, on Monday of its week 1."""
    path = tmp_path / "roadmap.yaml"
    shutil.copy(SMALL, path)
    schedule = load(path).schedule
    clock = ManualClock(dt.datetime.combine(schedule.start, dt.time(10, 0), schedule.tz))
    with Sandbox(roadmap_path=path, db_path=tmp_path / "studybot.db", clock=clock) as box:
        yield box


def nexttopic(box: Sandbox) -> str:
    reply = box.client.command("/nexttopic")
    assert reply.status == 200, reply.text
    return reply.json()["text"]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_an_edit_shows_on_the_next_command(live: Sandbox) -> None:
    path = Path(live.roadmaps.path)
    assert "Eigenvectors and eigenvalues" in nexttopic(live)

    edit(path, "title: Eigenvectors and eigenvalues", "title: Eigen-everything, edited live")
    assert "Eigen-everything, edited live" in nexttopic(live)

    # A structural edit too: drop the first topic, and week 1 is now the next one.
    text = path.read_text()
    start = text.index("      - id: eigen")
    path.write_text(text[:start] + text[text.index("      - id: derivatives") :])
    assert "Derivatives and the chain rule" in nexttopic(live)
    assert live.roadmaps.last_error is None


def test_an_invalid_edit_keeps_the_last_good_roadmap_and_logs_why(
    live: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    path = Path(live.roadmaps.path)
    edit(path, "title: Eigenvectors and eigenvalues", "title: Eigenvalues, good edit")
    assert "Eigenvalues, good edit" in nexttopic(live)

    line = path.read_text().splitlines().index("        weeks: 2") + 1
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot.core.roadmap_load"):
        edit(path, "        weeks: 2", "        weeks: 0")
        edit(path, "title: Eigenvalues, good edit", "title: Never shown")
        assert "Eigenvalues, good edit" in nexttopic(live)  # the last good version
        assert "Eigenvalues, good edit" in nexttopic(live)

    expected = (
        f"{path}:{line}: stages[0].topics[0].weeks: must be a whole number of weeks from 1 "
        "to 52, not 0"
    )
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # logged once per bad version, not on every command
    assert "keeping the last good version" in errors[0].getMessage()
    assert expected in errors[0].getMessage()
    assert live.roadmaps.last_error == expected

    edit(path, "        weeks: 0", "        weeks: 2")  # fixed: taken on the next command
    assert "Never shown" in nexttopic(live)
    assert live.roadmaps.last_error is None


def test_a_vanished_file_keeps_the_roadmap_until_it_is_back(
    live: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    path = Path(live.roadmaps.path)
    saved = path.read_text()
    path.unlink()
    with caplog.at_level(logging.ERROR, logger="bot.core.roadmap_load"):
        assert "Eigenvectors and eigenvalues" in nexttopic(live)
    assert "cannot read the file" in caplog.text
    # An editor's save: write elsewhere, then rename over the path.
    tmp = path.with_suffix(".swp")
    tmp.write_text(saved.replace("Eigenvectors and eigenvalues", "Back again"))
    os.replace(tmp, path)
    assert "Back again" in nexttopic(live)


def test_reload_on_demand_for_sighup(tmp_path: Path) -> None:
    path = tmp_path / "roadmap.yaml"
    shutil.copy(SMALL, path)
    store = RoadmapStore(path)
    text = path.read_text()
    path.write_text(text.replace("title: Clustering", "title: Clusters"))
    assert store.reload() is True and store.current().topic("clustering").title == "Clusters"
    path.write_text("stages: [")
    assert store.reload() is False and store.current().topic("clustering").title == "Clusters"
    assert store.last_error and store.last_error.startswith(f"{path}:1: (yaml): ")


def test_a_roadmap_with_warnings_is_used_and_its_warnings_logged_once(
    live: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # The small roadmap predates the curriculum rules (no core, no answers): it warns, it runs.
    path = Path(live.roadmaps.path)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot.core.roadmap_load"):
        edit(path, "title: Eigenvectors and eigenvalues", "title: Still served")
        assert "Still served" in nexttopic(live)
        assert "Still served" in nexttopic(live)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1  # once per version taken, not on every command
    message = warned[0].getMessage()
    assert f"roadmap {path} loaded with " in message and "--strict" in message
    assert f"{path}:13: stages[0].topics[0].exercise: warning: " not in message  # it has one
    assert f"{path}:23: stages[0].topics[0].recall[0]: warning: no model answer" in message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert live.roadmaps.last_error is None


def test_at_start_warnings_are_logged_once_and_a_long_list_cut(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "roadmap.yaml"
    shutil.copy(SMALL, path)
    questions = ", ".join(f'"Question {i}?"' for i in range(30))  # 30 without an answer
    edit(path, 'recall: ["What does an eigenvalue of 0 tell you?"]', f"recall: [{questions}]")
    with caplog.at_level(logging.WARNING, logger="bot.core.roadmap_load"):
        store = RoadmapStore(path)
        store.current()
    total = len(store.current().warnings)
    assert total > 30
    [record] = caplog.records
    assert f"loaded with {total} warnings" in record.getMessage()
    assert record.getMessage().count(": warning: ") == 20
    assert record.getMessage().endswith(f"…and {total - 20} more")


def test_an_edit_saved_in_another_encoding_keeps_the_last_good_roadmap(tmp_path: Path) -> None:
    path = tmp_path / "roadmap.yaml"
    shutil.copy(SMALL, path)
    store = RoadmapStore(path)
    path.write_bytes(
        path.read_text().replace("title: Clustering", "title: Clusters").encode("utf-16")
    )
    assert store.reload() is False and store.current().topic("clustering").title == "Clustering"
    assert store.last_error and store.last_error.startswith(f"{path}:1: (file): not UTF-8 text")
