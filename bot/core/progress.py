"""Members' progress through the roadmap's topics — no Slack imports.

CONTRACT (used by commands and home; keep these signatures):
  done_topics(db, user) -> set[str]
  mark_done(db, user, topic_id, at) -> bool     (False if already done)
  undo(db, user, topic_id) -> bool              (False if it was not done)
Also: standing(topics, cal, week, done) -> Standing (where a member is against the group's
schedule) and missing_prerequisites(roadmap, topic, done) -> list[Topic].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlite_utils

from bot.core.calendar import Calendar, Week
from bot.core.roadmap import Roadmap, Topic


def done_topics(db: sqlite_utils.Database, user: str) -> set[str]:
    """The ids of the topics `user` has ticked."""
    rows = db.execute("SELECT topic_id FROM progress WHERE user = ?", (user,)).fetchall()
    return {row[0] for row in rows}


def mark_done(db: sqlite_utils.Database, user: str, topic_id: str, at: dt.datetime) -> bool:
    """Tick a topic for `user`; False if it was ticked already."""
    # One statement in autocommit mode: atomic, and a double click cannot tick twice.
    inserted = db.execute(
        "INSERT OR IGNORE INTO progress (user, topic_id, done_at) VALUES (?, ?, ?)",
        (user, topic_id, at.astimezone(dt.UTC).isoformat()),
    ).rowcount
    return inserted > 0


def undo(db: sqlite_utils.Database, user: str, topic_id: str) -> bool:
    """Untick a topic for `user`; False if it was not ticked."""
    deleted = db.execute(
        "DELETE FROM progress WHERE user = ? AND topic_id = ?", (user, topic_id)
    ).rowcount
    return deleted > 0


@dataclass(frozen=True)
class Standing:
    """A member against the group's schedule (the calendar is where the group is)."""

    done: int  # ticked topics among those the group follows
    total: int  # topics the group follows
    behind: tuple[Topic, ...]  # topics the group has finished that the member has not ticked
    ahead: tuple[Topic, ...]  # ticked topics the group has not reached yet
    current: Topic | None  # the topic on this week, if any

    @property
    def on_track(self) -> bool:
        """Nothing the group has finished is left unticked."""
        return not self.behind


def standing(topics: Sequence[Topic], cal: Calendar, week: Week, done: Collection[str]) -> Standing:
    """Finished = every week of the topic lies before `week`; reached = finished or begun."""
    spans = cal.spans
    if week.kind == "after":
        finished = list(topics)
    else:
        finished = [t for t in topics if t.id in spans and spans[t.id][1] < week.index]
    reached = {t.id for t in finished} | {
        t.id for t in topics if t.id in spans and spans[t.id][0] <= week.index
    }
    return Standing(
        done=sum(1 for t in topics if t.id in done),
        total=len(topics),
        behind=tuple(t for t in finished if t.id not in done),
        ahead=tuple(t for t in topics if t.id in done and t.id not in reached),
        current=week.topic if week.kind == "topic" else None,
    )


def missing_prerequisites(roadmap: Roadmap, topic: Topic, done: Collection[str]) -> list[Topic]:
    """The topic's prerequisites (and theirs, transitively) not yet ticked, in roadmap order."""
    needed: set[str] = set()
    stack = list(topic.prerequisites)
    while stack:
        topic_id = stack.pop()
        if topic_id in needed or topic_id == topic.id:
            continue
        needed.add(topic_id)
        prereq = roadmap.topic(topic_id)
        if prereq is not None:
            stack.extend(prereq.prerequisites)
    return [t for t in roadmap.topics if t.id in needed and t.id not in done]
