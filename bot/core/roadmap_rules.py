"""The curriculum rules a busy member's syllabus keeps (issue 15): warnings, errors under --strict.

An organizer's own roadmap.yaml that loaded before an upgrade must keep loading, so these rules
only warn when the bot loads a roadmap; `studybot roadmap check --strict` (and CI, on the
shipped roadmap) makes them errors. They run on the built model once the schema found no error;
`Places` says where each thing was written, so every finding has its field path and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.core import format as fmt
from bot.core.roadmap import FULL_TRACK, Roadmap, Topic, Track

RECALL_FORM = 'write it as {q: "…", a: "…"}'


@dataclass
class Places:
    """Where the roadmap wrote what the rules look at: field paths and 1-based lines."""

    topics: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (path, line)
    resources: dict[str, int] = field(default_factory=dict)  # topic id -> its list's line
    recall: dict[str, list[int]] = field(default_factory=dict)  # topic id -> each item's line
    tracks: dict[str, list[int]] = field(default_factory=dict)  # track id -> each topic's line


@dataclass(frozen=True)
class Finding:
    """One broken rule: where (line, field path) and what."""

    line: int
    where: str
    message: str


def check(roadmap: Roadmap, places: Places) -> list[Finding]:
    """Every finding of every rule, in no particular order (the caller sorts by line)."""
    out: list[Finding] = []
    for topic in roadmap.topics:
        out += _topic(roadmap, topic, places)
    for track in roadmap.tracks.values():
        out += _closed(roadmap, track, places)
    return out


def _topic(roadmap: Roadmap, topic: Topic, places: Places) -> Iterator[Finding]:
    where, line = places.topics[topic.id]
    resources_line = places.resources.get(topic.id, line)
    if not topic.marks_core:
        yield Finding(
            resources_line,
            f"{where}.resources",
            "no core resource: mark the reading the group does together with `core: true`",
        )
    else:
        yield from _core_hours(roadmap, topic, where, resources_line)
    if not topic.exercise:
        yield Finding(
            line,
            f"{where}.exercise",
            "required field is missing: a code exercise saying what to compute, on what input, "
            "and how to check the result",
        )
    lines = places.recall.get(topic.id, [])
    for i, answer in enumerate(topic.answers):
        if answer is None:
            at = lines[i] if i < len(lines) else line
            yield Finding(at, f"{where}.recall[{i}]", f"no model answer; {RECALL_FORM}")


def _core_hours(roadmap: Roadmap, topic: Topic, where: str, line: int) -> Iterator[Finding]:
    """The topic's core hours a week, on the full roadmap and every track that has it, within
    schedule.max_core_hours; views that give the topic the same weeks share one finding."""
    limit = roadmap.schedule.max_core_hours
    by_weeks: dict[int, list[str]] = {topic.weeks: [FULL_TRACK]}
    for track in roadmap.tracks.values():
        if topic.id in track.topics:
            by_weeks.setdefault(track.pace.get(topic.id, topic.weeks), []).append(track.id)
    hours = topic.core_hours
    for weeks in sorted(by_weeks):
        per_week = hours / weeks
        if per_week > limit:
            yield Finding(
                line,
                f"{where}.resources",
                f"core reading of {topic.id} is {fmt.hours(hours)} over {_weeks(weeks)} "
                f"{_on(by_weeks[weeks])} ({_number(per_week)} h a week; "
                f"schedule.max_core_hours is {_number(limit)})",
            )


def _closed(roadmap: Roadmap, track: Track, places: Places) -> Iterator[Finding]:
    """Every prerequisite of a topic on the track, however indirect, is on the track or in its
    assumes: (an assumed topic is known, and so is what it builds on)."""
    on_track = set(track.topics)
    stop = on_track | set(track.assumes)  # those on the track are checked in their own turn
    reported: set[str] = set()
    lines = places.tracks.get(track.id, [])
    for i, topic_id in enumerate(track.topics):
        for missing, through in _missing(roadmap, topic_id, stop):
            if missing in reported:
                continue
            reported.add(missing)
            via = f" (through {', '.join(_quoted(through))})" if through else ""
            yield Finding(
                lines[i] if i < len(lines) else 1,
                f"tracks.{track.id}.topics[{i}]",
                f'"{topic_id}" needs "{missing}"{via}, which is not on this track; add it to '
                "the track's topics or to its assumes:",
            )


def _missing(roadmap: Roadmap, topic_id: str, stop: set[str]) -> list[tuple[str, list[str]]]:
    """The prerequisites of `topic_id` not in `stop`, depth first, each with the chain of
    missing topics it was reached through."""
    found: list[tuple[str, list[str]]] = []
    seen: set[str] = set()

    def walk(current: str, chain: list[str]) -> None:
        topic = roadmap.topic(current)
        for prereq in topic.prerequisites if topic else ():
            if prereq in stop or prereq in seen:
                continue
            seen.add(prereq)
            found.append((prereq, chain))
            walk(prereq, [*chain, prereq])

    walk(topic_id, [])
    return found


def _on(views: list[str]) -> str:
    """`on the full roadmap`, `on track a`, `on the full roadmap and tracks a, b`."""
    tracks = [v for v in views if v != FULL_TRACK]
    parts = ["the full roadmap"] if FULL_TRACK in views else []
    if tracks:
        parts.append(("track " if len(tracks) == 1 else "tracks ") + ", ".join(tracks))
    return "on " + " and ".join(parts)


def _weeks(n: int) -> str:
    return f"{n} week" if n == 1 else f"{n} weeks"


def _number(amount: float) -> str:
    return f"{round(amount, 1):g}"


def _quoted(ids: list[str]) -> list[str]:
    return [f'"{i}"' for i in ids]
