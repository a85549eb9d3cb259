"""Who is in the study channel, as the bot last read it from Slack: kept, so a job that cannot
ask Slack at that moment still leaves out members who left."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlite_utils

from bot.core.db import transaction

_READ_AT = "channel_members_read_at:"


def remember(
    db: sqlite_utils.Database, channel: str, users: Iterable[str], now: dt.datetime
) -> None:
    """Keep `users` as the members of `channel` read at `now` (replacing what was kept)."""
    with transaction(db) as conn:
        conn.execute("DELETE FROM channel_members WHERE channel = ?", (channel,))
        conn.execute(
            "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)",
            (_READ_AT + channel, now.astimezone(dt.UTC).isoformat()),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO channel_members (channel, user) VALUES (?, ?)",
            [(channel, user) for user in users],
        )


def known(db: sqlite_utils.Database, channel: str | None) -> set[str] | None:
    """The members of `channel` as last read (None: never read, so nobody can be left out)."""
    if not channel:
        return None
    rows = db.execute("SELECT user FROM channel_members WHERE channel = ?", (channel,)).fetchall()
    return {r[0] for r in rows} if rows else None


def read_at(db: sqlite_utils.Database, channel: str | None) -> str:
    """When the members of `channel` were last read (UTC ISO 8601; '' for never)."""
    if not channel:
        return ""
    row = db.execute("SELECT value FROM kv WHERE key = ?", (_READ_AT + channel,)).fetchone()
    return str(row[0]) if row else ""
