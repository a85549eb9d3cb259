"""The curriculum as typed, immutable values (bot.core.roadmap_load reads them from roadmap.yaml)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RESOURCE_KINDS = ("course", "book", "video", "article", "docs", "paper", "exercise")
FULL_TRACK = "full"  # the whole roadmap, always available besides the named tracks
MAX_CORE_HOURS = 8.0  # schedule.max_core_hours when the roadmap gives none (~an hour a day)


class RoadmapError(Exception):
    """The roadmap is invalid; `errors` holds every `PATH:LINE: field.path: message` line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Resource:
    """Something to read, watch or do for a topic, with its cost and time."""

    title: str
    url: str
    kind: str  # course, book, video, article, docs, paper, exercise
    cost_usd: float  # 0 means free
    section: str | None = None
    hours: float | None = None
    core: bool = False  # the reading the group does together; the rest are optional extras

    @property
    def free(self) -> bool:
        """Costs nothing."""
        return self.cost_usd == 0


@dataclass(frozen=True)
class Topic:
    """One topic of the roadmap: what to learn, from what, how to practise it, for how many weeks."""

    id: str
    title: str
    stage: str
    weeks: int
    summary: str
    key_points: tuple[str, ...]
    resources: tuple[Resource, ...]
    prompts: tuple[str, ...]
    prerequisites: tuple[str, ...] = ()
    recall: tuple[str, ...] = ()
    exercise: str | None = None
    aliases: tuple[str, ...] = ()
    # The model answer of each recall question, by position (None where the roadmap gives none).
    answers: tuple[str | None, ...] = ()

    @property
    def marks_core(self) -> bool:
        """Whether the roadmap marks any of this topic's resources as core (older ones don't)."""
        return any(r.core for r in self.resources)

    @property
    def core(self) -> tuple[Resource, ...]:
        """The reading the group does together: the resources marked core, or all of them when
        the topic marks none (an older roadmap, where every resource was the reading)."""
        marked = tuple(r for r in self.resources if r.core)
        return marked or self.resources

    @property
    def optional(self) -> tuple[Resource, ...]:
        """The extras besides the core reading (none when the topic marks no core)."""
        return tuple(r for r in self.resources if not r.core) if self.marks_core else ()

    @property
    def core_hours(self) -> float:
        """The core reading's estimated hours (resources without an estimate count 0)."""
        return sum(r.hours or 0 for r in self.core)

    @property
    def optional_hours(self) -> float:
        """The optional extras' estimated hours."""
        return sum(r.hours or 0 for r in self.optional)


@dataclass(frozen=True)
class Stage:
    """A group of topics (e.g. "Mathematics: linear algebra")."""

    id: str
    title: str


@dataclass(frozen=True)
class PostTime:
    """A weekday and local time at which a scheduled post goes out."""

    weekday: int  # 0 = Monday
    time: dt.time


@dataclass(frozen=True)
class VoteRule:
    """When the group's pace vote (bot.core.pace_vote) passes: more than `share` of the votes
    say yes, and at least `min_votes` of them."""

    share: float = 0.5
    min_votes: int = 3


@dataclass(frozen=True)
class Schedule:
    """When the group starts, in which timezone, and when each post goes out."""

    timezone: str
    start: dt.date
    weekly: PostTime
    nudge: PostTime | None = None
    recap: PostTime | None = None
    track: str | None = None
    max_core_hours: float = MAX_CORE_HOURS  # the most core reading a topic may ask for a week
    vote: VoteRule = VoteRule()  # schedule.vote: when "another week?" passes

    @property
    def tz(self) -> ZoneInfo:
        """The schedule's timezone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Track:
    """A named path through the roadmap (a subset of its topics), with an optional budget."""

    id: str
    title: str
    topics: tuple[str, ...]
    # Optional per-topic pace for this track (topic id -> weeks); else the topic's own pace.
    pace: dict[str, int] = field(default_factory=dict)
    budget_usd: float | None = None
    description: str = ""
    # What the track takes as known: topic ids (excusing those prerequisites) or free text.
    assumes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Roadmap:
    """The whole curriculum: stages, topics, schedule and tracks."""

    title: str
    schedule: Schedule
    stages: tuple[Stage, ...]
    topics: tuple[Topic, ...]
    tracks: dict[str, Track] = field(default_factory=dict)
    path: str = "roadmap.yaml"
    # The curriculum rules' warnings (PATH:LINE: field: warning: message), logged at load.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def topic(self, topic_id: str) -> Topic | None:
        """The topic with this id, if any."""
        return next((t for t in self.topics if t.id == topic_id), None)

    def stage_title(self, stage_id: str) -> str:
        """A stage's title (its id when unknown)."""
        return next((s.title for s in self.stages if s.id == stage_id), stage_id)

    def followed(self, track: str | None = None) -> tuple[Topic, ...]:
        """The topics the group follows, in order, with the track's pace applied."""
        track_id = track or self.schedule.track
        if not track_id or track_id == FULL_TRACK:
            return self.topics
        chosen = self.tracks[track_id]
        out = []
        for topic_id in chosen.topics:
            topic = self.topic(topic_id)
            assert topic is not None
            weeks = chosen.pace.get(topic_id, topic.weeks)
            out.append(topic if weeks == topic.weeks else _with_weeks(topic, weeks))
        return tuple(out)

    def total_weeks(self, track: str | None = None) -> int:
        """How many weeks the topics of `track` take in all."""
        return sum(t.weeks for t in self.followed(track))

    def paid_resources(self, track: str | None = None) -> tuple[Resource, ...]:
        """The paid resources of the followed topics, each URL once (a book bought once serves
        every topic that cites it)."""
        seen: dict[str, Resource] = {}
        for topic in self.followed(track):
            for r in topic.resources:
                if not r.free and r.url not in seen:
                    seen[r.url] = r
        return tuple(seen.values())

    def cost_usd(self, track: str | None = None) -> float:
        """What buying every paid resource of the followed topics costs."""
        return sum(r.cost_usd for r in self.paid_resources(track))

    def paid_split(
        self, track: str | None = None
    ) -> tuple[tuple[Resource, ...], tuple[Resource, ...]]:
        """The followed topics' paid resources as (core, optional), each URL once: a book that
        is core reading for one topic is bought for it, whatever the other topics say."""
        core: dict[str, Resource] = {}
        optional: dict[str, Resource] = {}
        for topic in self.followed(track):
            for r in topic.core:
                if not r.free:
                    core.setdefault(r.url, r)
            for r in topic.optional:
                if not r.free:
                    optional.setdefault(r.url, r)
        return tuple(core.values()), tuple(r for u, r in optional.items() if u not in core)


def _with_weeks(topic: Topic, weeks: int) -> Topic:
    return replace(topic, weeks=weeks)


def weekday_number(name: str) -> int:
    """Monday = 0 … Sunday = 6, from a weekday name."""
    return WEEKDAYS.index(name.strip().lower())
