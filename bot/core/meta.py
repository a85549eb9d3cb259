"""Small facts the bot learns and keeps across restarts (the workspace URL), by key."""

from __future__ import annotations

import sqlite_utils

# The workspace URL (https://team.slack.com/) that auth.test gave: message links open in place.
TEAM_URL = "team_url"


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    """The value kept under `key`, or None."""
    row = db.execute("SELECT value FROM qa_meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    """Keep `value` under `key`, replacing what was there."""
    db.execute(
        "INSERT INTO qa_meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
