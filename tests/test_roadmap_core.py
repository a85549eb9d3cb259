"""Core reading first (issue 15): the weekly post, /nexttopic and /resources, through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import format as fmt
from bot.core.clock import ManualClock
from bot.core.post_plan import EVENT_TYPE
from bot.core.roadmap_load import load
from bot.slack.delivery import SlackPoster, deliver
from tests.blockkit import all_text, assert_valid_message
from tests.commands_kit import SMALL, answer, monday
from tests.paths import FIXTURES

CORE = FIXTURES / "roadmaps" / "core.yaml"
ROADMAP = load(CORE)
EIGEN = ROADMAP.topic("eigen")
MML, AXLER, ESSENCE = (r.title for r in EIGEN.resources)  # core, optional, core: as written


def box_at(tmp_path: Path, week: int, **overrides: Any) -> Sandbox:
    """The real app on the core fixture roadmap, Monday 10:00 of calendar week `week`."""
    clock = ManualClock(monday(CORE, week))
    return Sandbox(roadmap_path=CORE, db_path=tmp_path / "c.db", clock=clock, **overrides)


@pytest.fixture
def eigen_week(tmp_path: Path) -> Iterator[Sandbox]:
    """Week 2 of the full roadmap: eigen, part 1 of 3."""
    with box_at(tmp_path, 2) as box:
        yield box


def in_order(text: str, *parts: str) -> None:
    """Each part is in the text, after the one before."""
    at = -1
    for part in parts:
        found = text.find(part, at + 1)
        assert found > at, f"{part!r} missing or before {text[at : at + 60]!r}"
        at = found


def weekly_post(box: Sandbox) -> dict[str, Any]:
    outcome = deliver(box.deps, SlackPoster(box.app.client), "weekly")
    assert outcome.status == "sent", outcome
    [post] = [
        call.params
        for call in box.slack.posts(box.channel)
        if (call.get("metadata") or {}).get("event_type") == EVENT_TYPE
    ]
    assert_valid_message(post)
    return post


def test_the_fixture_writes_core_and_optional_in_mixed_order() -> None:
    assert [r.core for r in EIGEN.resources] == [True, False, True]
    assert (EIGEN.core_hours, EIGEN.optional_hours) == (11, 12)


def test_weekly_post_shows_the_core_reading_first_with_its_hours_a_week(eigen_week: Sandbox):
    text = all_text(weekly_post(eigen_week))
    in_order(
        text,
        "Week 2 of 6: Eigenvectors and eigenvalues",
        "Core reading",
        "core ~11 h (~3.7 h a week) · optional ~12 h",
        MML,
        ESSENCE,
        "Optional extras",
        AXLER,
        "Discussion prompts",
    )


def test_a_track_that_gives_the_topic_fewer_weeks_shows_more_a_week(tmp_path: Path):
    with box_at(tmp_path, 1, track="fast") as box:  # fast: eigen in 2 weeks, from week 1
        text = all_text(weekly_post(box))
    assert "Week 1 of 4: Eigenvectors and eigenvalues" in text
    assert "core ~11 h (~5.5 h a week) · optional ~12 h" in text


def test_nexttopic_card_shows_the_core_reading_and_counts_the_extras(eigen_week: Sandbox):
    body = answer(eigen_week.client.command("/nexttopic"))
    text = all_text(body)
    in_order(
        text,
        "*Core reading* · core ~11 h (~3.7 h a week) · optional ~12 h",
        MML,
        ESSENCE,
        "…and 1 optional extra: `/resources eigen`",
    )
    assert AXLER not in text  # optional: /resources lists it


def test_resources_lists_core_first_then_the_extras_by_kind(eigen_week: Sandbox):
    body = answer(eigen_week.client.command("/resources", "eigen"))
    text = all_text(body)
    in_order(
        text,
        "Resources: Eigenvectors and eigenvalues",
        "3 resources, 2 free · core ~11 h · optional ~12 h · $90 for the paid ones",
        "Core reading",
        MML,
        ESSENCE,
        "Optional: books",
        AXLER,
    )
    in_order(body["text"], MML, ESSENCE, AXLER)  # the notification text too


def test_resources_filters_keep_core_first(eigen_week: Sandbox):
    text = all_text(answer(eigen_week.client.command("/resources", "eigen books")))
    in_order(text, "Core reading", MML, "Optional: books", AXLER)
    assert ESSENCE not in text  # a video
    text = all_text(answer(eigen_week.client.command("/resources", "eigen free")))
    in_order(text, "Core reading", MML, ESSENCE)
    assert AXLER not in text and "Optional" not in text


def test_an_older_roadmap_without_core_shows_as_before(tmp_path: Path):
    clock = ManualClock(monday(SMALL, 2))
    with Sandbox(roadmap_path=SMALL, db_path=tmp_path / "s.db", clock=clock) as box:
        card = all_text(answer(box.client.command("/nexttopic")))
        listing = all_text(answer(box.client.command("/resources")))
        post = all_text(weekly_post(box))
    assert "*Start with*" in card and "Core reading" not in card
    assert " in all" in listing and "Core reading" not in listing and "Optional" not in listing
    assert ":books: Resources" in post and "Core reading" not in post


def test_workload_reads_core_then_optional() -> None:
    assert fmt.workload(11, 12, weeks=3) == "core ~11 h (~3.7 h a week) · optional ~12 h"
    assert fmt.workload(6, 0) == "core ~6 h"
    assert fmt.workload(0, 2) == "optional ~2 h"
    assert fmt.workload(0, 0) == ""
    assert fmt.hours(0.25) == "~0.25 h" and fmt.hours(19 / 3) == "~6.3 h"
