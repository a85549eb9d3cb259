"""The rotating discussion lead: volunteers, each week's lead, the lead's reminder — no Slack.

A week's lead is chosen once and kept (the weekly post names the same lead however often it
is rendered, and the rotation survives a restart): the volunteer who led least recently
(never first, then in the order they volunteered), skipping anyone who opted out or left the
channel. That is round-robin, and stays fair when an organizer sets a lead out of turn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import sqlite_utils

from bot.core import calendar, channel_members, ledger
from bot.core.calendar import Week
from bot.core.db import transaction
from bot.core.roadmap import Schedule

# The lead's reminder goes this long before the week's weekly post.
AHEAD = dt.timedelta(days=1)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat()


# --- volunteers -------------------------------------------------------------------------------


def volunteer(db: sqlite_utils.Database, user: str, now: dt.datetime) -> bool:
    """`user` volunteers to lead (last in the queue); False when they had already."""
    with transaction(db) as conn:
        row = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM lead_volunteers").fetchone()
        return (
            conn.execute(
                "INSERT OR IGNORE INTO lead_volunteers (user, seq, since) VALUES (?, ?, ?)",
                (user, row[0], _iso(now)),
            ).rowcount
            > 0
        )


def withdraw(db: sqlite_utils.Database, user: str) -> bool:
    """`user` no longer leads: out of the rotation, and off the weeks they were chosen for by
    the rotation whose weekly post has not gone out (chosen again later). False when they had
    not volunteered."""
    with transaction(db) as conn:
        gone = conn.execute("DELETE FROM lead_volunteers WHERE user = ?", (user,)).rowcount > 0
        weeks = conn.execute(
            "SELECT week FROM lead_weeks WHERE user = ? AND by_user IS NULL", (user,)
        ).fetchall()
        for (week,) in weeks:
            if ledger.sent_row(db, "weekly", week) is None:
                conn.execute("DELETE FROM lead_weeks WHERE week = ?", (week,))
    return gone


def is_volunteer(db: sqlite_utils.Database, user: str) -> bool:
    """Whether `user` volunteers to lead."""
    row = db.execute("SELECT 1 FROM lead_volunteers WHERE user = ?", (user,)).fetchone()
    return row is not None


def volunteers(db: sqlite_utils.Database) -> list[str]:
    """The volunteers, in the order they volunteered."""
    return [r[0] for r in db.execute("SELECT user FROM lead_volunteers ORDER BY seq").fetchall()]


def presumed_members(db: sqlite_utils.Database, channel: str | None) -> set[str] | None:
    """The channel's members as last read, and the volunteers since then (not read yet, so
    presumed in); None: never read, nobody can be left out."""
    known = channel_members.known(db, channel)
    if known is None:
        return None
    since = channel_members.read_at(db, channel)
    rows = db.execute("SELECT user FROM lead_volunteers WHERE since > ?", (since,)).fetchall()
    return known | {r[0] for r in rows}


# --- a week's lead ----------------------------------------------------------------------------


def chosen(db: sqlite_utils.Database, week_key: str) -> str | None:
    """The lead kept for the week, if one was chosen."""
    row = db.execute("SELECT user FROM lead_weeks WHERE week = ?", (week_key,)).fetchone()
    return row[0] if row else None


def next_in_turn(
    db: sqlite_utils.Database, week_key: str, members: Collection[str] | None
) -> str | None:
    """Whose turn it is for the week: the volunteer in `members` (None: anyone) who led least
    recently before it — never first, then by when they volunteered."""
    rows = db.execute(
        "SELECT v.user, COALESCE((SELECT MAX(w.week) FROM lead_weeks w "
        "WHERE w.user = v.user AND w.week < ?), '') AS led "
        "FROM lead_volunteers v ORDER BY led, v.seq",
        (week_key,),
    ).fetchall()
    return next((r[0] for r in rows if members is None or r[0] in members), None)


def lead_for(
    db: sqlite_utils.Database,
    week_key: str,
    members: Collection[str] | None,
    now: dt.datetime,
) -> str | None:
    """The week's lead: the one kept, else whose turn it is (then kept); None: no volunteer."""
    if found := chosen(db, week_key):
        return found
    turn = next_in_turn(db, week_key, members)
    if turn is None:
        return None
    with transaction(db) as conn:
        conn.execute(
            "INSERT OR IGNORE INTO lead_weeks (week, user, chosen_at) VALUES (?, ?, ?)",
            (week_key, turn, _iso(now)),
        )
    return chosen(db, week_key)


def set_lead(
    db: sqlite_utils.Database, week_key: str, user: str, by_user: str, now: dt.datetime
) -> str | None:
    """An organizer makes `user` the week's lead; the lead it replaces (None: there was none)."""
    with transaction(db) as conn:
        before = chosen(db, week_key)
        conn.execute(
            "INSERT INTO lead_weeks (week, user, chosen_at, by_user) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (week) DO UPDATE SET user = excluded.user, "
            "chosen_at = excluded.chosen_at, by_user = excluded.by_user",
            (week_key, user, _iso(now), by_user),
        )
    return before


def anyone(db: sqlite_utils.Database) -> bool:
    """Whether the feature is in use: a volunteer, or a lead set by an organizer."""
    row = db.execute(
        "SELECT EXISTS (SELECT 1 FROM lead_volunteers) OR EXISTS (SELECT 1 FROM lead_weeks)"
    ).fetchone()
    return bool(row[0])


# --- the reminder a day before ----------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """A lead to remind: the week they lead and who."""

    week: Week
    user: str


def window(schedule: Schedule, week: Week) -> tuple[dt.datetime, dt.datetime] | None:
    """When the lead's reminder for `week` may go: from a day before its weekly post until a
    day after it (the bot was down), never after the week's recap. None: no topic."""
    return calendar.around_weekly(schedule, week, AHEAD, AHEAD)


def reminded(db: sqlite_utils.Database, week_key: str, user: str) -> bool:
    """Whether `user`'s reminder for the week was claimed already."""
    row = db.execute(
        "SELECT 1 FROM lead_dms WHERE week = ? AND user = ?", (week_key, user)
    ).fetchone()
    return row is not None


def claim_reminder(
    db: sqlite_utils.Database, week_key: str, user: str, now: dt.datetime, status: str = "sent"
) -> bool:
    """Claim the lead's reminder before sending it (at most one per week and lead); False if
    it was taken."""
    return (
        db.execute(
            "INSERT OR IGNORE INTO lead_dms (week, user, claimed_at, status) VALUES (?, ?, ?, ?)",
            (week_key, user, _iso(now), status),
        ).rowcount
        > 0
    )


def mark_reminder(db: sqlite_utils.Database, week_key: str, user: str, status: str) -> None:
    """How the reminder went ('sent' or 'failed'; never sent again either way)."""
    db.execute(
        "UPDATE lead_dms SET status = ? WHERE week = ? AND user = ?", (status, week_key, user)
    )
