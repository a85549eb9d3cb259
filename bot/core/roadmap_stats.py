"""What a roadmap asks of a member, per track: weeks, core hours a week, money, gaps."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bot.core.roadmap import FULL_TRACK, Roadmap


@dataclass(frozen=True)
class TrackStats:
    """One track (or the full roadmap) in numbers. Core hours follow `Topic.core`: a topic
    that marks no core counts all of its resources."""

    track: str
    title: str
    topics: int
    weeks: int
    max_week: float  # core hours of the heaviest week
    max_topic: str | None  # the topic of that week
    median_week: float
    over_limit: int  # weeks whose core hours exceed schedule.max_core_hours
    paid_core: float  # each paid resource bought once
    paid_optional: float
    budget: float | None
    no_exercise: tuple[str, ...]  # topic ids
    resources: int
    no_pointer: tuple[tuple[str, str], ...]  # (topic id, resource title) without a section


def stats(roadmap: Roadmap) -> list[TrackStats]:
    """The full roadmap first, then every track in the roadmap's order."""
    views: list[tuple[str, str, float | None]] = [(FULL_TRACK, "the whole roadmap", None)]
    views += [(t.id, t.title, t.budget_usd) for t in roadmap.tracks.values()]
    return [_one(roadmap, track, title, budget) for track, title, budget in views]


def _one(roadmap: Roadmap, track: str, title: str, budget: float | None) -> TrackStats:
    topics = roadmap.followed(track)
    weekly = [(t.core_hours / t.weeks, t.id) for t in topics for _ in range(t.weeks)]
    heaviest = max(weekly, key=lambda w: w[0], default=(0.0, None))
    core, optional = roadmap.paid_split(track)
    limit = roadmap.schedule.max_core_hours
    return TrackStats(
        track=track,
        title=title,
        topics=len(topics),
        weeks=len(weekly),
        max_week=heaviest[0],
        max_topic=heaviest[1],
        median_week=statistics.median(h for h, _ in weekly) if weekly else 0.0,
        over_limit=sum(1 for h, _ in weekly if h > limit),
        paid_core=sum(r.cost_usd for r in core),
        paid_optional=sum(r.cost_usd for r in optional),
        budget=budget,
        no_exercise=tuple(t.id for t in topics if not t.exercise),
        resources=sum(len(t.resources) for t in topics),
        no_pointer=tuple((t.id, r.title) for t in topics for r in t.resources if not r.section),
    )
