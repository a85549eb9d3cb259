"""The Q&A archive: questions, threaded answers, resolution, search and digests — no Slack imports.

CONTRACT (used by commands, posts and home; keep these signatures):
  Question, Answer dataclasses below.
  add_question(db, *, channel, ts, user, text, asked_at, topic_id=None, week=None,
               source="channel", anonymous=False) -> Question     (idempotent on channel+ts)
  get_question(db, question_id) -> Question | None
  questions_between(db, start, end) -> list[Question]            (asked in [start, end), oldest first)
  open_questions(db, *, asked_before=None, asked_since=None, topic_id=None, user=None,
                 exclude_user=None, limit=None) -> list[Question] (unanswered, oldest first)
  answers_for(db, question_id) -> list[Answer]
  answerers_between(db, start, end) -> list[tuple[str, int]]     (user, answers given), most first
Texts are stored in Slack's wire format (&, <, > escaped; mentions as <@U…>): re-post with
blocks.escape(), export with blocks.plain(). Times are aware datetimes (UTC).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class Question:
    id: int
    channel: str
    ts: str
    user: str | None  # None when asked anonymously
    text: str
    asked_at: dt.datetime
    topic_id: str | None
    week: str | None
    source: str  # channel | thread | ask | backfill
    anonymous: bool
    status: str  # open | answered
    accepted_answer_ts: str | None
    answer_count: int
    permalink: str | None = None


@dataclass(frozen=True)
class Answer:
    id: int
    question_id: int
    channel: str
    ts: str
    user: str
    text: str
    answered_at: dt.datetime


def add_question(
    db: sqlite_utils.Database,
    *,
    channel: str,
    ts: str,
    user: str,
    text: str,
    asked_at: dt.datetime,
    topic_id: str | None = None,
    week: str | None = None,
    source: str = "channel",
    anonymous: bool = False,
) -> Question:
    raise NotImplementedError


def get_question(db: sqlite_utils.Database, question_id: int) -> Question | None:
    raise NotImplementedError


def questions_between(
    db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime
) -> list[Question]:
    raise NotImplementedError


def open_questions(
    db: sqlite_utils.Database,
    *,
    asked_before: dt.datetime | None = None,
    asked_since: dt.datetime | None = None,
    topic_id: str | None = None,
    user: str | None = None,
    exclude_user: str | None = None,
    limit: int | None = None,
) -> list[Question]:
    raise NotImplementedError


def answers_for(db: sqlite_utils.Database, question_id: int) -> list[Answer]:
    raise NotImplementedError


def answerers_between(
    db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, int]]:
    raise NotImplementedError
