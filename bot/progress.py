"""Members' progress through the roadmap's topics — no Slack imports.

CONTRACT (used by commands and home; keep these signatures):
  done_topics(db, user) -> set[str]
  mark_done(db, user, topic_id, at) -> bool     (False if already done)
  undo(db, user, topic_id) -> bool              (False if it was not done)
"""

from __future__ import annotations

import datetime as dt

import sqlite_utils


def done_topics(db: sqlite_utils.Database, user: str) -> set[str]:
    raise NotImplementedError


def mark_done(db: sqlite_utils.Database, user: str, topic_id: str, at: dt.datetime) -> bool:
    raise NotImplementedError


def undo(db: sqlite_utils.Database, user: str, topic_id: str) -> bool:
    raise NotImplementedError
