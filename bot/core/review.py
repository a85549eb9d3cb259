"""Personal spaced review: each member's recall cards, scheduled by FSRS, in SQLite — no Slack.

A card is (topic id, recall index): its front the topic's recall question, its back the model
answer. A card never reviewed is due at once; after a grade, fsrs decides when it is due again.
Its state is stored as fsrs's own `Card.to_dict()` (JSON), with the due time copied out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils
from fsrs import Card, Rating, Scheduler

from bot.core import progress
from bot.core.calendar import Calendar, Week
from bot.core.db import transaction
from bot.core.roadmap import Topic

Scope = Literal["ticked", "group"]
RATINGS: dict[str, Rating] = {
    "again": Rating.Again,
    "hard": Rating.Hard,
    "good": Rating.Good,
    "easy": Rating.Easy,
}
# Fuzzing spreads real reviews apart; off, a grade always gives the same interval (members can
# predict it, and tests can check it).
SCHEDULER = Scheduler(enable_fuzzing=False)


@dataclass(frozen=True)
class ReviewCard:
    """One card: where it comes from, its two sides, and whether it was ever reviewed."""

    topic: Topic
    index: int
    question: str
    answer: str | None
    new: bool

    @property
    def key(self) -> str:
        """`topic_id:index`, the card's id in buttons."""
        return f"{self.topic.id}:{self.index}"


@dataclass(frozen=True)
class ReviewSettings:
    """A member's choices: which cards, and the daily DM's local time and zone."""

    scope: Scope = "ticked"
    remind_at: dt.time | None = None
    tz: str | None = None  # the member's zone (from Slack), once known


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat()


def zone(name: str) -> dt.tzinfo:
    """The time zone named `name`, UTC when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def settings(db: sqlite_utils.Database, user: str) -> ReviewSettings:
    """`user`'s review settings (the defaults when they never set any)."""
    row = db.execute(
        "SELECT scope, remind_at, tz FROM review_settings WHERE user = ?", (user,)
    ).fetchone()
    if row is None:
        return ReviewSettings()
    remind = dt.time.fromisoformat(row[1]) if row[1] else None
    return ReviewSettings(scope=row[0], remind_at=remind, tz=row[2])


def set_scope(db: sqlite_utils.Database, user: str, scope: Scope) -> None:
    """Review the topics `user` ticked ('ticked') or all the group has covered ('group')."""
    db.execute(
        "INSERT INTO review_settings (user, scope) VALUES (?, ?) "
        "ON CONFLICT (user) DO UPDATE SET scope = excluded.scope",
        (user, scope),
    )


def set_reminder(
    db: sqlite_utils.Database,
    user: str,
    at: dt.time | None,
    tz: str | None,
    now: dt.datetime | None = None,
) -> None:
    """The daily DM at local time `at` in zone `tz` (None: the zone known), from `now` on (a
    time already past today waits for tomorrow); `at` None turns it off."""
    remind = at.strftime("%H:%M") if at else None
    since = _iso(now) if now else None
    db.execute(
        "INSERT INTO review_settings (user, remind_at, remind_since, tz) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user) DO UPDATE SET remind_at = excluded.remind_at, "
        "remind_since = excluded.remind_since, "
        "tz = COALESCE(excluded.tz, review_settings.tz)",
        (user, remind, since, tz),
    )


def source_topics(
    topics: Sequence[Topic], cal: Calendar, week: Week, done: Iterable[str], scope: Scope
) -> list[Topic]:
    """The topics whose cards `user` reviews: those ticked, or with scope 'group' also those
    the group has covered (every week of the topic before `week`), in roadmap order."""
    chosen = set(done)
    if scope == "group":
        spans = cal.spans
        for topic in topics:
            if week.kind == "after" or (topic.id in spans and spans[topic.id][1] < week.index):
                chosen.add(topic.id)
    return [t for t in topics if t.id in chosen and t.recall]


def _states(db: sqlite_utils.Database, user: str) -> dict[tuple[str, int], tuple[str, str]]:
    rows = db.execute(
        "SELECT topic_id, idx, card, due FROM review_cards WHERE user = ?", (user,)
    ).fetchall()
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def due_cards(
    db: sqlite_utils.Database, user: str, topics: Sequence[Topic], now: dt.datetime
) -> list[ReviewCard]:
    """The cards of `topics` due at `now`: reviewed ones by due time (most overdue first), then
    the new ones in roadmap order."""
    states = _states(db, user)
    seen: list[tuple[str, ReviewCard]] = []
    new: list[ReviewCard] = []
    at = _iso(now)
    for topic in topics:
        for index, question in enumerate(topic.recall):
            answer = topic.answers[index] if index < len(topic.answers) else None
            state = states.get((topic.id, index))
            if state is None:
                new.append(ReviewCard(topic, index, question, answer, new=True))
            elif state[1] <= at:
                seen.append((state[1], ReviewCard(topic, index, question, answer, new=False)))
    return [card for _, card in sorted(seen, key=lambda s: s[0])] + new


def member_cards(
    db: sqlite_utils.Database,
    user: str,
    topics: Sequence[Topic],
    cal: Calendar,
    week: Week,
    now: dt.datetime,
) -> tuple[list[Topic], list[ReviewCard]]:
    """`user`'s card topics (by their ticks and scope) and the cards of them due at `now`."""
    chosen = source_topics(
        topics, cal, week, progress.done_topics(db, user), settings(db, user).scope
    )
    return chosen, due_cards(db, user, chosen, now)


def next_due(db: sqlite_utils.Database, user: str) -> dt.datetime | None:
    """When `user`'s next reviewed card falls due (None when none was ever reviewed)."""
    row = db.execute("SELECT MIN(due) FROM review_cards WHERE user = ?", (user,)).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


def find_card(topics: Sequence[Topic], key: str) -> ReviewCard | None:
    """The card `topic_id:index` among `topics`' cards (None when the roadmap lost it)."""
    topic_id, _, index = key.rpartition(":")
    topic = next((t for t in topics if t.id == topic_id), None)
    if topic is None or not index.isdigit() or int(index) >= len(topic.recall):
        return None
    i = int(index)
    answer = topic.answers[i] if i < len(topic.answers) else None
    return ReviewCard(topic, i, topic.recall[i], answer, new=False)


def grade(
    db: sqlite_utils.Database,
    user: str,
    topic_id: str,
    index: int,
    rating: str,
    now: dt.datetime,
    tz: dt.tzinfo = dt.UTC,
) -> dt.datetime:
    """Record `user`'s grade ('again', 'hard', 'good', 'easy') of a card; its next due time."""
    row = db.execute(
        "SELECT card FROM review_cards WHERE user = ? AND topic_id = ? AND idx = ?",
        (user, topic_id, index),
    ).fetchone()
    card = Card.from_dict(json.loads(row[0])) if row else Card()
    card, _ = SCHEDULER.review_card(card, RATINGS[rating], now.astimezone(dt.UTC))
    # One transaction: `with db.conn:` is none on an autocommit connection.
    with transaction(db):
        db.execute(
            "INSERT INTO review_cards (user, topic_id, idx, card, due) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user, topic_id, idx) DO UPDATE SET card = excluded.card, "
            "due = excluded.due",
            (user, topic_id, index, json.dumps(card.to_dict()), _iso(card.due)),
        )
        db.execute(
            "INSERT INTO review_log (user, topic_id, idx, rating, reviewed_at, local_day) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (user, topic_id, index, rating, _iso(now), now.astimezone(tz).date().isoformat()),
        )
    return card.due


def streak(db: sqlite_utils.Database, user: str, today: dt.date) -> int:
    """Consecutive local days with at least one review, ending today (or yesterday, while today
    is still open)."""
    rows = db.execute(
        "SELECT DISTINCT local_day FROM review_log WHERE user = ? ORDER BY local_day DESC",
        (user,),
    ).fetchall()
    days = {dt.date.fromisoformat(r[0]) for r in rows}
    day = today if today in days else today - dt.timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= dt.timedelta(days=1)
    return count


EXPORT_COLUMNS = ("kind", "topic_id", "index", "rating_or_due", "at", "fsrs_card")


def export_csv(db: sqlite_utils.Database, user: str) -> str:
    """All `user`'s review data as CSV: one row per card (its fsrs state) and per grade."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for topic_id, idx, card, due in db.execute(
        "SELECT topic_id, idx, card, due FROM review_cards WHERE user = ? ORDER BY topic_id, idx",
        (user,),
    ).fetchall():
        writer.writerow(("card", topic_id, idx, due, "", card))
    for topic_id, idx, rating, at in db.execute(
        "SELECT topic_id, idx, rating, reviewed_at FROM review_log WHERE user = ? ORDER BY id",
        (user,),
    ).fetchall():
        writer.writerow(("review", topic_id, idx, rating, at, ""))
    return out.getvalue()


def forget(db: sqlite_utils.Database, user: str) -> int:
    """Delete all `user`'s review data (cards, grades, settings, DMs); how many rows went."""
    gone = 0
    with transaction(db):
        for table in ("review_cards", "review_log", "review_settings", "review_dms"):
            gone += db.execute(f"DELETE FROM {table} WHERE user = ?", (user,)).rowcount
    return gone


# --- the daily DM -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """A member whose daily DM time has come: the local day it is for."""

    user: str
    day: dt.date


def _latest(at: dt.time, tz: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    """The latest local `at` at or before `now`."""
    local = now.astimezone(tz)
    when = dt.datetime.combine(local.date(), at, tz)
    if when > local:
        when = dt.datetime.combine(local.date() - dt.timedelta(days=1), at, tz)
    return when


def _reminders(db: sqlite_utils.Database) -> list[tuple[str, dt.time, dt.tzinfo, str]]:
    rows = db.execute(
        "SELECT user, remind_at, tz, COALESCE(remind_since, '') FROM review_settings "
        "WHERE remind_at IS NOT NULL"
    ).fetchall()
    return [(r[0], dt.time.fromisoformat(r[1]), zone(r[2] or "UTC"), r[3]) for r in rows]


def _due_now(
    db: sqlite_utils.Database,
    user: str,
    when: dt.datetime,
    since: str,
    now: dt.datetime,
    grace: dt.timedelta,
) -> bool:
    """The DM time `when` has come, not long ago, after the DM was turned on, and its local day
    has no DM yet."""
    return now - when < grace and _iso(when) >= since and not _claimed(db, user, when.date())


def _claimed(db: sqlite_utils.Database, user: str, day: dt.date) -> bool:
    row = db.execute(
        "SELECT 1 FROM review_dms WHERE user = ? AND day = ?", (user, day.isoformat())
    ).fetchone()
    return row is not None


def reminders_due(
    db: sqlite_utils.Database, now: dt.datetime, grace: dt.timedelta
) -> list[Reminder]:
    """Members whose DM time passed less than `grace` ago and whose local day has no DM yet."""
    out = []
    for user, at, tz, since in _reminders(db):
        when = _latest(at, tz, now)
        if _due_now(db, user, when, since, now, grace):
            out.append(Reminder(user, when.date()))
    return out


def next_reminder_at(
    db: sqlite_utils.Database, now: dt.datetime, grace: dt.timedelta
) -> dt.datetime | None:
    """When the next daily DM falls due (`now` when one is due already); None when no member
    wants one."""
    times = []
    for user, at, tz, since in _reminders(db):
        when = _latest(at, tz, now)
        if _due_now(db, user, when, since, now, grace):
            return now
        local = now.astimezone(tz)
        nxt = dt.datetime.combine(local.date(), at, tz)
        if nxt <= local:
            nxt = dt.datetime.combine(local.date() + dt.timedelta(days=1), at, tz)
        times.append(nxt.astimezone(dt.UTC))
    return min(times, default=None)


def claim_reminder(
    db: sqlite_utils.Database, reminder: Reminder, now: dt.datetime, status: str
) -> bool:
    """Claim `reminder`'s day before sending (so at most one DM a day); False if taken."""
    inserted = db.execute(
        "INSERT OR IGNORE INTO review_dms (user, day, claimed_at, status) VALUES (?, ?, ?, ?)",
        (reminder.user, reminder.day.isoformat(), _iso(now), status),
    ).rowcount
    return inserted > 0
