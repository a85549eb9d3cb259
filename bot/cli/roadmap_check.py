"""`studybot roadmap check`: validate a roadmap and summarise it."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from bot.core.calendar import Calendar
from bot.core.roadmap import FULL_TRACK, WEEKDAYS, PostTime, Roadmap, RoadmapError
from bot.core.roadmap_load import load
from bot.slack.render.phrases import plural

# What every topic of a complete curriculum has (issue 3); short of it is a note, not an error,
# so small test roadmaps and drafts still load.
MIN_RESOURCES = 2
MIN_PROMPTS = 2
RECALL_RANGE = (2, 3)


def check(path: str) -> int:
    """Exit status 1 printing every error (stderr), or 0 printing the summary (stdout)."""
    try:
        roadmap = load(path)
    except RoadmapError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        print(f"{path}: {len(exc.errors)} error(s)", file=sys.stderr)
        return 1
    for line in summary(roadmap):
        print(line)
    return 0


def summary(roadmap: Roadmap) -> list[str]:
    return [*_overview(roadmap), *_stages(roadmap), *_resources(roadmap), *_tracks(roadmap)] + [
        f"note: {note}" for note in notes(roadmap)
    ]


def _usd(amount: float) -> str:
    return f"${amount:,.2f}".removesuffix(".00")


def _when(post: PostTime | None) -> str:
    if post is None:
        return "none"
    return f"{WEEKDAYS[post.weekday].title()} {post.time:%H:%M}"


def _overview(roadmap: Roadmap) -> Iterator[str]:
    s = roadmap.schedule
    following = s.track or FULL_TRACK
    calendar = Calendar(roadmap.followed(), s.start)
    yield f"{roadmap.path}: ok - {roadmap.title}"
    yield (
        f"  {plural(len(roadmap.stages), 'stage')}, {plural(len(roadmap.topics), 'topic')}, "
        f"{plural(roadmap.total_weeks(FULL_TRACK), 'week')} in total"
    )
    yield (
        f"  schedule: {s.timezone}, following {following!r} from {s.start:%a %Y-%m-%d} "
        f"to {calendar.end:%a %Y-%m-%d}; weekly {_when(s.weekly)}, nudge {_when(s.nudge)}, "
        f"recap {_when(s.recap)}"
    )


def _stages(roadmap: Roadmap) -> Iterator[str]:
    yield "  stages:"
    width = max((len(st.title) for st in roadmap.stages), default=0)
    for stage in roadmap.stages:
        topics = [t for t in roadmap.topics if t.stage == stage.id]
        weeks = sum(t.weeks for t in topics)
        yield f"    {stage.title:<{width}}  {plural(len(topics), 'topic'):>10}  {plural(weeks, 'week'):>9}"


def _resources(roadmap: Roadmap) -> Iterator[str]:
    every = [r for t in roadmap.topics for r in t.resources]
    free = sum(1 for r in every if r.free)
    distinct_paid = roadmap.paid_resources(FULL_TRACK)
    yield (
        f"  resources: {len(every)} ({free} free, {len(every) - free} paid; "
        f"{plural(len(distinct_paid), 'distinct paid item')})"
    )


def _tracks(roadmap: Roadmap) -> Iterator[str]:
    yield "  tracks (cost = every paid resource of its topics, each bought once):"
    rows: list[tuple[str, str, float | None]] = [(FULL_TRACK, "the whole roadmap", None)]
    rows += [(t.id, t.title, t.budget_usd) for t in roadmap.tracks.values()]
    width = max(len(track_id) for track_id, _, _ in rows)
    for track_id, title, budget in rows:
        topics = roadmap.followed(track_id)
        paid = roadmap.paid_resources(track_id)
        budget_text = f", budget {_usd(budget)}" if budget is not None else ""
        yield (
            f"    {track_id:<{width}}  {plural(len(topics), 'topic'):>10}  "
            f"{plural(sum(t.weeks for t in topics), 'week'):>9}  "
            f"cost {_usd(roadmap.cost_usd(track_id))} "
            f"({plural(len(paid), 'paid item')}{budget_text}) - {title}"
        )


def notes(roadmap: Roadmap) -> list[str]:
    """Advice, not errors: where a topic falls short of a complete curriculum's topic."""
    out = []
    for topic in roadmap.topics:
        short = []
        if len(topic.resources) < MIN_RESOURCES:
            short.append(f"{len(topic.resources)} resource(s), want {MIN_RESOURCES}+")
        if len(topic.prompts) < MIN_PROMPTS:
            short.append(f"{len(topic.prompts)} prompt(s), want {MIN_PROMPTS}+")
        low, high = RECALL_RANGE
        if not low <= len(topic.recall) <= high:
            short.append(f"{len(topic.recall)} recall question(s), want {low}-{high}")
        if short:
            out.append(f"topic {topic.id!r}: " + "; ".join(short))
    return out
