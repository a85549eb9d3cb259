"""The reading calendar: which topic (or break) is on in which week, and when each post is due."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.core.roadmap import PostTime, Roadmap, Schedule, Topic

ChangeKind = Literal["skip", "extend", "pause", "resume", "restart"]
PostKind = Literal["weekly", "nudge", "recap"]
if TYPE_CHECKING:  # only for hints: `roadmap check` loads the calendar without a database
    import sqlite_utils

POST_KINDS: tuple[PostKind, ...] = ("weekly", "nudge", "recap")
# A safety bound on the calendar's length (ten years of weeks); a pause with no resume ends
# the calendar at its first paused week instead (week_of answers "paused" beyond it).
MAX_WEEKS = 520


@dataclass(frozen=True)
class Change:
    """An organizer's change: skip a week, extend a topic by a week, pause, resume, or restart
    (the next round: the calendar begins again at `week_start`)."""

    kind: ChangeKind
    week_start: dt.date  # the week it applies from (for extend: when it was asked)
    topic_id: str | None = None


@dataclass(frozen=True)
class Week:
    """One calendar week (Monday to Sunday) and what happens in it: a topic, a skip, a pause, or nothing yet/any more."""

    index: int  # 1-based slot number counted from the start date
    start: dt.date
    kind: Literal["topic", "skip", "paused", "before", "after"]
    topic: Topic | None = None
    topic_week: int = 0  # 1..topic_weeks within the topic
    topic_weeks: int = 0
    study_week: int = 0  # N of "week N of M": counts only weeks with a topic

    @property
    def end(self) -> dt.date:
        """The week's Sunday."""
        return self.start + dt.timedelta(days=6)

    @property
    def key(self) -> str:
        """Stable identifier of the week (its start date), used by the post ledger."""
        return self.start.isoformat()


class Calendar:
    """The weeks of a roadmap from its start date, with organizer changes applied."""

    def __init__(self, topics: Sequence[Topic], start: dt.date, changes: Iterable[Change] = ()):
        self.topics = tuple(topics)
        self.changes = tuple(changes)
        # The latest round: a restart begins the calendar again, and the changes made for the
        # rounds before it no longer apply.
        self.start, current = _latest_round(start, self.changes)
        self.round = 1 + sum(1 for c in self.changes if c.kind == "restart")
        effective = _effective(self.topics, self.start, current)
        self.weeks: tuple[Week, ...] = tuple(_weeks(self.topics, self.start, effective))
        # Counted from the topics, not the built weeks: an open-ended pause stops the build early
        # but the roadmap still has all its weeks ("week N of M" must not shrink while paused).
        self.total_study_weeks = sum(_extended_weeks(self.topics, effective).values())

    def _slot_start(self, index: int) -> dt.date:
        return self.start + dt.timedelta(weeks=index - 1)

    def _slot_index(self, day: dt.date) -> int:
        return _slot(self.start, day)

    def week_of(self, day: dt.date) -> Week:
        """The week containing `day` (kind 'before'/'after' outside the calendar)."""
        index = self._slot_index(day)
        if index < 1:
            return Week(index, self._slot_start(index), "before")
        if index <= len(self.weeks):
            return self.weeks[index - 1]
        if self.paused_from is not None:
            return Week(index, self._slot_start(index), "paused")
        return Week(index, self._slot_start(index), "after")

    def first_week_of(self, topic_id: str) -> Week | None:
        """The week a topic starts, if it is scheduled."""
        return next(
            (w for w in self.weeks if w.topic and w.topic.id == topic_id and w.topic_week == 1),
            None,
        )

    def next_topic_week(self, week: Week) -> Week | None:
        """The first week of the next topic after `week` (or the first topic, before the start)."""
        current = week.topic.id if week.topic else None
        for w in self.weeks:
            if w.index <= week.index:
                continue
            if w.kind == "topic" and w.topic_week == 1 and w.topic and w.topic.id != current:
                return w
        return None

    def current_topic(self, week: Week) -> Topic | None:
        """The topic "this week" means: `week`'s, or the one coming up in a break or before
        the start; None once the roadmap is over."""
        if week.kind == "topic":
            return week.topic
        if week.kind == "after":
            return None
        nxt = self.next_topic_week(week)
        return nxt.topic if nxt else None

    def weeks_back(self, week: Week, n: int) -> Week | None:
        """The study week `n` study weeks before `week` (for spaced review)."""
        target = week.study_week - n
        if target < 1:
            return None
        return next((w for w in self.weeks if w.study_week == target), None)

    @property
    def paused_from(self) -> dt.date | None:
        """The start of a pause with no resume to come (the group stays paused), or None."""
        last = self.weeks[-1] if self.weeks else None
        return last.start if last is not None and last.kind == "paused" else None

    @property
    def end(self) -> dt.date:
        """The last day of the last scheduled week (the start, when nothing is scheduled)."""
        return self.weeks[-1].end if self.weeks else self.start

    @functools.cached_property
    def spans(self) -> dict[str, tuple[int, int]]:
        """Each scheduled topic's first and last week index (kept: the calendar never changes)."""
        found: dict[str, tuple[int, int]] = {}
        for w in self.weeks:
            if w.topic is not None:
                first = found.get(w.topic.id, (w.index, w.index))[0]
                found[w.topic.id] = (first, w.index)
        return found


def _latest_round(start: dt.date, changes: Sequence[Change]) -> tuple[dt.date, list[Change]]:
    """The start of the latest round and the changes made for it."""
    restarts = [i for i, c in enumerate(changes) if c.kind == "restart"]
    if not restarts:
        return start, list(changes)
    last = restarts[-1]
    return changes[last].week_start, list(changes[last + 1 :])


def _slot(start: dt.date, day: dt.date) -> int:
    """1-based slot of the week containing `day`, counted from `start` (<= 0 before it)."""
    return (day - start).days // 7 + 1


def _effective(
    topics: Sequence[Topic], start: dt.date, changes: Sequence[Change]
) -> tuple[Change, ...]:
    """The changes that take effect, in the order they were recorded.

    An extension only counts if its topic was still on (or still to come) in the week it was
    asked for, judged by the changes recorded before it: extending a topic that is already
    over would move every week after it, rewriting weeks that were already posted.
    """
    kept: list[Change] = []
    known = {t.id for t in topics}
    for change in changes:
        if change.kind == "extend":
            if change.topic_id not in known:
                continue
            last = None
            for week in _weeks(topics, start, kept):
                if week.topic is not None and week.topic.id == change.topic_id:
                    last = week.index
            if last is not None and last < _slot(start, change.week_start):
                continue
        kept.append(change)
    return tuple(kept)


def _extended_weeks(topics: Sequence[Topic], changes: Sequence[Change]) -> dict[str, int]:
    """Each topic's weeks with its extensions."""
    weeks = {t.id: t.weeks for t in topics}
    for change in changes:
        if change.kind == "extend" and change.topic_id in weeks:
            weeks[change.topic_id] += 1
    return weeks


def _weeks(topics: Sequence[Topic], start: dt.date, changes: Sequence[Change]) -> Iterable[Week]:
    weeks_of = _extended_weeks(topics, changes)
    skipped = {_slot(start, c.week_start) for c in changes if c.kind == "skip"}
    # Sorted by week only: a stable sort keeps the recorded order of a pause and a resume for
    # the same week, so the later one wins (sorting on the kind too let "resume" always win).
    pauses = sorted(
        ((_slot(start, c.week_start), c.kind) for c in changes if c.kind in ("pause", "resume")),
        key=lambda p: p[0],
    )
    sequence = [
        (topic, i, weeks_of[topic.id]) for topic in topics for i in range(1, weeks_of[topic.id] + 1)
    ]
    position = 0
    study_week = 0
    index = 0
    while position < len(sequence) and index < MAX_WEEKS:
        index += 1
        week_start = start + dt.timedelta(weeks=index - 1)
        if _paused_at(pauses, index):
            yield Week(index, week_start, "paused")
            if not any(at > index for at, _ in pauses):
                return  # paused with no resume to come: one paused week stands for the rest
        elif index in skipped:
            yield Week(index, week_start, "skip")
        else:
            topic, i, n = sequence[position]
            position += 1
            study_week += 1
            yield Week(index, week_start, "topic", topic, i, n, study_week)


def _paused_at(pauses: Sequence[tuple[int, str]], index: int) -> bool:
    state = False
    for at, kind in pauses:
        if at > index:
            break
        state = kind == "pause"
    return state


def post_time(schedule: Schedule, kind: PostKind) -> PostTime | None:
    """When in the week a post of `kind` goes out (None: the roadmap has no such post)."""
    return {"weekly": schedule.weekly, "nudge": schedule.nudge, "recap": schedule.recap}[kind]


def due_at(schedule: Schedule, kind: PostKind, week: Week) -> dt.datetime | None:
    """When the post of `kind` for `week` is due: the first such weekday on/after the week's
    start, at the configured local time (so DST changes never move it)."""
    when = post_time(schedule, kind)
    if when is None:
        return None
    offset = (when.weekday - week.start.weekday()) % 7
    day = week.start + dt.timedelta(days=offset)
    return dt.datetime.combine(day, when.time, tzinfo=schedule.tz)


def around_weekly(
    schedule: Schedule, week: Week, before: dt.timedelta, after: dt.timedelta
) -> tuple[dt.datetime, dt.datetime] | None:
    """From `before` ahead of `week`'s weekly post to `after` past it, never past the week's
    recap (a DM sent after it is of no use to the week); None when the week has no topic."""
    post = due_at(schedule, "weekly", week)
    if week.kind != "topic" or post is None:
        return None
    end = post + after
    recap = due_at(schedule, "recap", week)
    if recap is not None and post < recap < end:
        end = recap
    return post - before, end


def next_due(
    schedule: Schedule, calendar: Calendar, kind: PostKind, after: dt.datetime
) -> tuple[Week, dt.datetime] | None:
    """The next post of `kind` strictly after `after` for a week that has a topic, by the
    calendar alone (`ledger.next_unsent` also leaves out the posts already sent early)."""
    local = after.astimezone(schedule.tz).date()
    start = max(1, calendar.week_of(local).index - 1)
    for week in calendar.weeks[start - 1 :]:
        if week.kind != "topic":
            continue
        at = due_at(schedule, kind, week)
        if at is not None and at > after:
            return week, at
    return None


def local_today(schedule: Schedule, now: dt.datetime) -> dt.date:
    """Today's date in the roadmap's timezone (weeks begin on the group's Monday, not UTC's)."""
    return now.astimezone(schedule.tz).date()


# --- organizer changes, kept in the database -------------------------------------------


@dataclass(frozen=True)
class StoredChange:
    """A change as kept: its row id, who made it and when."""

    id: int
    change: Change
    by_user: str | None
    created_at: dt.datetime


def load_changes(db: sqlite_utils.Database) -> list[Change]:
    """The organizers' calendar changes that apply (none undone), oldest first."""
    rows = db.execute(
        "SELECT kind, week_start, topic_id FROM calendar_changes"
        " WHERE undone_at IS NULL ORDER BY id"
    )
    return [Change(kind, dt.date.fromisoformat(start), topic_id) for kind, start, topic_id in rows]


def stored_changes(db: sqlite_utils.Database) -> list[StoredChange]:
    """The changes that apply (none undone) as kept, oldest first."""
    rows = db.execute(
        "SELECT id, kind, week_start, topic_id, by_user, created_at FROM calendar_changes"
        " WHERE undone_at IS NULL ORDER BY id"
    )
    return [
        StoredChange(row_id, Change(kind, dt.date.fromisoformat(start), topic_id), by_user, at)
        for row_id, kind, start, topic_id, by_user, created_at in rows
        for at in (dt.datetime.fromisoformat(created_at),)
    ]


def latest_change(db: sqlite_utils.Database) -> StoredChange | None:
    """The last change that applies (the one an undo reverses), or None."""
    kept = stored_changes(db)
    return kept[-1] if kept else None


def mark_undone(
    db: sqlite_utils.Database, change_id: int, by_user: str | None, now: dt.datetime
) -> bool:
    """Stop change `change_id` from applying (it stays on record); False if it no longer
    applied (undone already, e.g. by a second click)."""
    undone = db.execute(
        "UPDATE calendar_changes SET undone_at = ?, undone_by = ?"
        " WHERE id = ? AND undone_at IS NULL",
        (now.astimezone(dt.UTC).isoformat(), by_user, change_id),
    ).rowcount
    return undone > 0


def record_change(
    db: sqlite_utils.Database,
    change: Change,
    by_user: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Keep an organizer's calendar change; the calendar is rebuilt from all of them."""
    db.table("calendar_changes").insert(
        {
            "kind": change.kind,
            "week_start": change.week_start.isoformat(),
            "topic_id": change.topic_id,
            "by_user": by_user,
            "created_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
        }
    )


def for_roadmap(roadmap: Roadmap, db: sqlite_utils.Database, track: str | None = None) -> Calendar:
    """The group's calendar: the followed topics, the start date and the stored changes."""
    return Calendar(roadmap.followed(track), roadmap.schedule.start, load_changes(db))
