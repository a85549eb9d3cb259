"""Archived questions listed by time, status, topic and asker, for posts, home, /qa and the FAQ."""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from bot.core.questions import Question, answered_sql, iso, select_questions


def questions_between(
    db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime
) -> list[Question]:
    """The live questions asked in [start, end), oldest first."""
    return select_questions(
        db, "asked_at >= ? AND asked_at < ? ORDER BY asked_at, id", (iso(start), iso(end))
    )


def count_between(
    db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime
) -> tuple[int, int]:
    """(asked, answered) among questions asked in [start, end), answered as Question.answered
    means it: a recap counts thousands of questions without building them."""
    asked, answered = db.execute(
        f"SELECT count(*), coalesce(sum({answered_sql()}), 0)"
        " FROM qa_questions WHERE deleted = 0 AND asked_at >= ? AND asked_at < ?",
        (iso(start), iso(end)),
    ).fetchone()
    return asked, answered


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
    """Live unanswered questions, oldest first, filtered (exclude_user keeps anonymous ones)."""
    clause, params = where(
        answered=False,
        asked_before=asked_before,
        asked_since=asked_since,
        topic_id=topic_id,
        user=user,
        exclude_user=exclude_user,
    )
    sql = f"{clause} ORDER BY asked_at, id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(max(int(limit), 0))
    return select_questions(db, sql, params)


def listing(
    db: sqlite_utils.Database,
    *,
    topic_id: str | None = None,
    answered: bool | None = None,
    user: str | None = None,
    oldest_first: bool = False,
    limit: int = 10,
) -> list[Question]:
    """Questions without search terms (/qa): newest first, or oldest first."""
    clause, params = where(answered=answered, topic_id=topic_id, user=user)
    order = "asked_at, id" if oldest_first else "asked_at DESC, id DESC"
    return select_questions(db, f"{clause} ORDER BY {order} LIMIT ?", [*params, max(int(limit), 0)])


def answered_questions(db: sqlite_utils.Database, topic_id: str | None = None) -> list[Question]:
    """Every live answered question (optionally of one topic), oldest first."""
    clause, params = where(answered=True, topic_id=topic_id)
    return select_questions(db, f"{clause} ORDER BY asked_at, id", params)


def answerers_between(
    db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, int]]:
    """(user, answers given) in [start, end), most first; answers to one's own question
    are not counted."""
    rows = db.execute(
        "SELECT a.user, count(*) AS n FROM qa_answers a JOIN qa_questions q ON q.id = a.question_id"
        " WHERE a.answered_at >= ? AND a.answered_at < ? AND a.deleted = 0 AND q.deleted = 0"
        # Answering your own question is not helping someone else.
        " AND (q.user IS NULL OR q.user != a.user)"
        " GROUP BY a.user ORDER BY n DESC, a.user",
        (iso(start), iso(end)),
    ).fetchall()
    return [(user, n) for user, n in rows]


def where(
    *,
    answered: bool | None = None,
    asked_before: dt.datetime | None = None,
    asked_since: dt.datetime | None = None,
    topic_id: str | None = None,
    user: str | None = None,
    exclude_user: str | None = None,
    prefix: str = "",
) -> tuple[str, list]:
    """An SQL condition on qa_questions (its alias `prefix`, with the dot) and its parameters,
    for the filters given: answered or open, asked before/since, topic, asker, not the asker."""
    clauses: list[str] = ["1"]
    params: list = []
    if answered is not None:
        clauses.append(answered_sql(answered, prefix))
    if asked_before is not None:
        clauses.append(f"{prefix}asked_at < ?")
        params.append(iso(asked_before))
    if asked_since is not None:
        clauses.append(f"{prefix}asked_at >= ?")
        params.append(iso(asked_since))
    if topic_id is not None:
        clauses.append(f"{prefix}topic_id = ?")
        params.append(topic_id)
    if user is not None:
        clauses.append(f"{prefix}user = ?")
        params.append(user)
    if exclude_user is not None:
        # Anonymous questions (user NULL) are nobody's, so they stay in.
        clauses.append(f"({prefix}user IS NULL OR {prefix}user != ?)")
        params.append(exclude_user)
    return " AND ".join(clauses), params
