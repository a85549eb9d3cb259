"""✅ marks and "Mark answered" presses on archived messages: who made them, and if they count."""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from bot.core.db import transaction
from bot.core.questions import (
    PENDING_DAYS,
    Question,
    get_question,
    iso,
    question_for_item,
    refresh,
)

# The reactions that mark a question or an answer, and the kind a "Mark answered" press records.
CHECK_MARKS = frozenset({"white_check_mark", "heavy_check_mark"})
BUTTON = "button"


def add_mark(
    db: sqlite_utils.Database,
    *,
    channel: str,
    item_ts: str,
    user: str,
    kind: str,
    at: dt.datetime,
    organizer: bool | None = None,
) -> Question | None:
    """A ✅ (or a "Mark answered" press) on a message; whether it counts is decided by who
    made it: the asker always, an organizer once known. Returns the question it touches."""
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO qa_marks (channel, item_ts, user, kind, marked_at, organizer)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, item_ts, user, kind) DO UPDATE"
            " SET organizer = coalesce(excluded.organizer, organizer)",
            (channel, item_ts, user, kind, iso(at), None if organizer is None else int(organizer)),
        )
        question = question_for_item(db, channel, item_ts)
        if question:
            refresh(db, question.id)
            question = get_question(db, question.id)
    return question


def remove_mark(
    db: sqlite_utils.Database, *, channel: str, item_ts: str, user: str, kind: str
) -> Question | None:
    """A ✅ taken back: the question reopens unless another valid mark remains."""
    with transaction(db) as conn:
        conn.execute(
            "DELETE FROM qa_marks WHERE channel = ? AND item_ts = ? AND user = ? AND kind = ?",
            (channel, item_ts, user, kind),
        )
        question = question_for_item(db, channel, item_ts)
        if question:
            refresh(db, question.id)
            question = get_question(db, question.id)
    return question


# Marks older than this are not checked any more (their message never arrived).
VERIFY_DAYS = PENDING_DAYS

# Recent marks waiting for an organizer check, with the asker and the question of the
# message marked (NULL while that message is not archived). The partial index on unchecked
# marks keeps this to the few that wait.
_UNCHECKED = (
    "SELECT m.rowid, m.user, coalesce(q.user, aq.user) AS asker, coalesce(q.id, aq.id) AS qid"
    " FROM qa_marks m"
    " LEFT JOIN qa_questions q ON q.channel = m.channel AND q.ts = m.item_ts"
    " LEFT JOIN qa_answers a ON a.channel = m.channel AND a.ts = m.item_ts"
    " LEFT JOIN qa_questions aq ON aq.id = a.question_id"
    " WHERE m.organizer IS NULL AND m.marked_at >= ?"
)


def since_checked(now: dt.datetime) -> dt.datetime:
    """The oldest mark still checked at `now`."""
    return now - dt.timedelta(days=VERIFY_DAYS)


def any_to_verify(db: sqlite_utils.Database, since: dt.datetime) -> bool:
    """Whether marks_to_verify(db, since) has anything to do: a recent mark on an archived
    message waits for its check (one that arrived after its ✅, say)."""
    row = db.execute(
        f"SELECT 1 FROM ({_UNCHECKED}) WHERE qid IS NOT NULL LIMIT 1", (iso(since),)
    ).fetchone()
    return row is not None


def marks_to_verify(db: sqlite_utils.Database, since: dt.datetime) -> list[str]:
    """Users whose recent marks on archived messages wait for an organizer check (users.info).
    The asker's own marks count without asking Slack, so they are settled here."""
    rows = db.execute(_UNCHECKED, (iso(since),)).fetchall()
    users: list[str] = []
    settled = []
    for rowid, user, asker, question_id in rows:
        if question_id is None:
            continue  # not (yet) a question or an answer: wait for it to arrive
        if user == asker:
            settled.append((rowid,))
        elif user not in users:
            users.append(user)
    if settled:  # most calls find nothing, and take no write lock
        with transaction(db) as conn:
            conn.executemany(
                "UPDATE qa_marks SET organizer = 0 WHERE rowid = ? AND organizer IS NULL", settled
            )
    return users


def set_organizer(db: sqlite_utils.Database, user: str, organizer: bool) -> list[int]:
    """Record the organizer check for `user`'s pending marks; returns the questions refreshed."""
    with transaction(db) as conn:
        rows = conn.execute(
            "SELECT channel, item_ts FROM qa_marks WHERE user = ? AND organizer IS NULL", (user,)
        ).fetchall()
        conn.execute(
            "UPDATE qa_marks SET organizer = ? WHERE user = ? AND organizer IS NULL",
            (int(organizer), user),
        )
        touched: list[int] = []
        for channel, item_ts in rows:
            question = question_for_item(db, channel, item_ts)
            if question and question.id not in touched:
                refresh(db, question.id)
                touched.append(question.id)
    return touched
