"""`studybot roadmap check`: validate a roadmap and summarise it (or, with --stats, measure it).

Errors go to stderr as `PATH:LINE: field: message` (exit 1). The curriculum rules
(bot.core.roadmap_rules) go there too as `PATH:LINE: field: warning: message` and leave the
exit status 0, unless `--strict` makes them errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from bot.core.calendar import Calendar
from bot.core.format import hours, money, plural
from bot.core.roadmap import FULL_TRACK, WEEKDAYS, PostTime, Roadmap, RoadmapError
from bot.core.roadmap_load import load
from bot.core.roadmap_stats import TrackStats, stats

# What every topic of a complete curriculum has (issue 3); short of it is a note, not an error,
# so small test roadmaps and drafts still load.
MIN_RESOURCES = 2
MIN_PROMPTS = 2
RECALL_RANGE = (2, 3)


def check(path: str, strict: bool = False, stats: bool = False) -> int:
    """Exit status 1 printing every error (stderr), or 0 printing the warnings (stderr) and
    the summary, or with `stats` the numbers per track (stdout)."""
    try:
        roadmap = load(path, strict=strict, checking=True)
    except RoadmapError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        print(f"{path}: {plural(len(exc.errors), 'error')}", file=sys.stderr)
        return 1
    for line in roadmap.warnings:
        print(line, file=sys.stderr)
    if roadmap.warnings:
        n = len(roadmap.warnings)
        as_errors = "it as an error" if n == 1 else "them as errors"
        print(f"{path}: {plural(n, 'warning')}; --strict treats {as_errors}", file=sys.stderr)
    for line in stats_lines(roadmap) if stats else summary(roadmap):
        print(line)
    return 0


def summary(roadmap: Roadmap) -> list[str]:
    return [*_overview(roadmap), *_stages(roadmap), *_resources(roadmap), *_tracks(roadmap)] + [
        f"note: {note}" for note in notes(roadmap)
    ]


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
    yield (
        "  tracks (cost = every paid resource of its topics, each bought once; "
        "the budget counts the core ones):"
    )
    rows: list[tuple[str, str, float | None]] = [(FULL_TRACK, "the whole roadmap", None)]
    rows += [(t.id, t.title, t.budget_usd) for t in roadmap.tracks.values()]
    width = max(len(track_id) for track_id, _, _ in rows)
    for track_id, title, budget in rows:
        topics = roadmap.followed(track_id)
        paid = roadmap.paid_resources(track_id)
        core, _ = roadmap.paid_split(track_id)
        core_cost = sum(r.cost_usd for r in core)
        budget_text = f", budget {money(budget)}" if budget is not None else ""
        yield (
            f"    {track_id:<{width}}  {plural(len(topics), 'topic'):>10}  "
            f"{plural(sum(t.weeks for t in topics), 'week'):>9}  "
            f"cost {money(roadmap.cost_usd(track_id))} "
            f"(core {money(core_cost)}; {plural(len(paid), 'paid item')}{budget_text}) - {title}"
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


def stats_lines(roadmap: Roadmap) -> list[str]:
    """`--stats`: the full roadmap and every track, in numbers (bot.core.roadmap_stats)."""
    limit = roadmap.schedule.max_core_hours
    out = [
        f"{roadmap.path}: stats - {roadmap.title}",
        "  (core = the resources marked core; a topic marking none counts all of its resources)",
    ]
    for row in stats(roadmap):
        out += _track_stats(row, limit)
    return out


def _track_stats(row: TrackStats, limit: float) -> list[str]:
    weeks = _count(row.weeks, "week")
    heaviest = f" ({row.max_topic})" if row.max_topic else ""
    budget = f", budget {money(row.budget)}" if row.budget is not None else ""
    missing = f" ({', '.join(row.no_exercise)})" if row.no_exercise else ""
    return [
        f"  {row.track}: {_count(row.topics, 'topic')}, {weeks} - {row.title}",
        f"    core hours a week: max {hours(row.max_week)}{heaviest}, median "
        f"{hours(row.median_week)}; {row.over_limit} of {weeks} over max_core_hours {limit:g}",
        f"    paid: core {money(row.paid_core)}, optional {money(row.paid_optional)}{budget}",
        f"    topics without an exercise: {len(row.no_exercise)}{missing}",
        f"    resources without a pointer (section): {len(row.no_pointer)} of {row.resources}",
    ]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
