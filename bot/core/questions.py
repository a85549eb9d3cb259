"""The Q&A archive's store: questions and answers as values, kept, edited, deleted and resolved."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from bot.core.db import transaction
from bot.core.format import message_link
from bot.core.text import plain
from bot.core.words import cjk_spaced

# A reply whose parent never arrives is kept this long, then forgotten.
PENDING_DAYS = 30

# A question's status, derived from its replies and marks by refresh(): the one place that
# decides it. THE meaning of "answered", for every surface (recap, nudge, weekly post, /qa,
# App Home, the FAQ): someone replied, and the asker or an organizer accepted it with a ✅
# (or "Mark answered") on one of the replies or on the question. A reply nobody accepted
# leaves it open; so does a ✅ with no reply under it (there is no answer to keep).
OPEN = "open"
ANSWERED = "answered"


@dataclass(frozen=True)
class Question:
    """An archived question, as its row reads now (answer_count and status kept by refresh)."""

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
    thread_ts: str | None = None  # the post whose thread it was asked in, if any
    resolved_at: dt.datetime | None = None

    @property
    def answered(self) -> bool:
        """A reply accepted by its asker or an organizer (see ANSWERED, decided by refresh)."""
        return self.status == ANSWERED


@dataclass(frozen=True)
class Answer:
    """A reply archived as an answer to a question."""

    id: int
    question_id: int
    channel: str
    ts: str
    user: str
    text: str
    answered_at: dt.datetime
    thread_ts: str | None = None


def answered_sql(answered: bool = True, alias: str = "") -> str:
    """SQL for "this qa_questions row is answered" (or open, with answered=False), `alias`
    being the table's alias with its dot: every query that asks uses this, as every value
    asks Question.answered (the status refresh() derived)."""
    return f"{alias}status = '{ANSWERED if answered else OPEN}'"


# --- stored forms -------------------------------------------------------------------------


def iso(when: dt.datetime) -> str:
    """The stored form: UTC, microseconds, so strings sort as times do."""
    if when.tzinfo is None:
        raise ValueError("aware datetimes only")
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def ts_time(ts: str) -> dt.datetime:
    """A Slack message ts as an aware datetime."""
    return dt.datetime.fromtimestamp(float(ts), dt.UTC)


def _body(text: str) -> str:
    """What the search index reads: the text made plain, CJK characters apart (words.cjk_spaced).
    `text` itself is kept in Slack's wire format (&, <, > escaped, mentions as <@U…>): re-post
    it with text.escape(), export it with text.plain()."""
    return cjk_spaced(plain(text or ""))


# --- rows ---------------------------------------------------------------------------------

_Q_COLUMNS = (
    "id, channel, ts, user, text, asked_at, topic_id, week, source, anonymous, status, "
    "accepted_answer_ts, answer_count, permalink, thread_ts, resolved_at"
)
_A_COLUMNS = "id, question_id, channel, ts, user, text, answered_at, thread_ts"


def question_columns(alias: str = "") -> str:
    """The qa_questions columns question_of() reads, in its order, each after `alias`."""
    return ", ".join(f"{alias}{column.strip()}" for column in _Q_COLUMNS.split(","))


def question_of(row: sqlite3.Row | tuple) -> Question:
    """The Question of a row selected with question_columns()."""
    (
        id_,
        channel,
        ts,
        user,
        text,
        asked_at,
        topic_id,
        week,
        source,
        anonymous,
        status,
        accepted,
        count,
        permalink,
        thread_ts,
        resolved_at,
    ) = row
    return Question(
        id=id_,
        channel=channel,
        ts=ts,
        user=user,
        text=text,
        asked_at=dt.datetime.fromisoformat(asked_at),
        topic_id=topic_id,
        week=week,
        source=source,
        anonymous=bool(anonymous),
        status=status,
        accepted_answer_ts=accepted,
        answer_count=count,
        permalink=permalink,
        thread_ts=thread_ts,
        resolved_at=_time(resolved_at),
    )


def _answer(row: sqlite3.Row | tuple) -> Answer:
    id_, question_id, channel, ts, user, text, answered_at, thread_ts = row
    return Answer(
        id=id_,
        question_id=question_id,
        channel=channel,
        ts=ts,
        user=user,
        text=text,
        answered_at=dt.datetime.fromisoformat(answered_at),
        thread_ts=thread_ts,
    )


def select_questions(
    db: sqlite_utils.Database, where: str, params: Iterable = ()
) -> list[Question]:
    """The live questions matching an SQL condition (and ORDER BY / LIMIT) on qa_questions."""
    sql = f"SELECT {_Q_COLUMNS} FROM qa_questions WHERE deleted = 0 AND {where}"
    return [question_of(r) for r in db.execute(sql, tuple(params)).fetchall()]


# --- reading one question -----------------------------------------------------------------


def get_question(db: sqlite_utils.Database, question_id: int) -> Question | None:
    """The live question with this id."""
    found = select_questions(db, "id = ?", (question_id,))
    return found[0] if found else None


def question_at(db: sqlite_utils.Database, channel: str, ts: str) -> Question | None:
    """The live question whose message is channel+ts."""
    found = select_questions(db, "channel = ? AND ts = ?", (channel, ts))
    return found[0] if found else None


def question_for_item(db: sqlite_utils.Database, channel: str, ts: str) -> Question | None:
    """The live question a message belongs to: the question itself, or one of its answers."""
    found = question_at(db, channel, ts)
    if found:
        return found
    row = db.execute(
        "SELECT question_id FROM qa_answers WHERE channel = ? AND ts = ? AND deleted = 0",
        (channel, ts),
    ).fetchone()
    return get_question(db, row[0]) if row else None


def answers_for(db: sqlite_utils.Database, question_id: int) -> list[Answer]:
    """The question's live answers, oldest first."""
    rows = db.execute(
        f"SELECT {_A_COLUMNS} FROM qa_answers WHERE question_id = ? AND deleted = 0 ORDER BY ts",
        (question_id,),
    ).fetchall()
    return [_answer(r) for r in rows]


def answer_by_id(db: sqlite_utils.Database, answer_id: int) -> Answer | None:
    """An answer by its id, deleted or not."""
    row = db.execute(f"SELECT {_A_COLUMNS} FROM qa_answers WHERE id = ?", (answer_id,)).fetchone()
    return _answer(row) if row else None


def answers_accepted_first(db: sqlite_utils.Database, question: Question) -> list[Answer]:
    """The question's live answers, the accepted one first, then oldest first."""
    answers = answers_for(db, question.id)
    return sorted(answers, key=lambda a: (a.ts != question.accepted_answer_ts, a.ts))


# --- questions, answers, out-of-order replies, edits, deletions ---------------------------


def add_question(
    db: sqlite_utils.Database,
    *,
    channel: str,
    ts: str,
    user: str | None,
    text: str,
    asked_at: dt.datetime,
    topic_id: str | None = None,
    week: str | None = None,
    source: str = "channel",
    anonymous: bool = False,
    thread_ts: str | None = None,
) -> Question:
    """Archive a question once (by channel+ts); replies that arrived first become its answers.
    An anonymous question keeps no trace of who asked: the user is dropped here."""
    with transaction(db) as conn:
        conn.execute(
            "INSERT OR IGNORE INTO qa_questions (channel, ts, thread_ts, user, text, body,"
            " asked_at, topic_id, week, source, anonymous, asked_before_checked)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                channel,
                ts,
                thread_ts if thread_ts and thread_ts != ts else None,
                None if anonymous else user,
                text,
                _body(text),
                iso(asked_at),
                topic_id,
                week,
                source,
                int(anonymous),
                # History is not news: backfilled questions never get an "asked before" reply.
                int(source == "backfill"),
            ),
        )
        row = conn.execute(
            "SELECT id FROM qa_questions WHERE channel = ? AND ts = ?", (channel, ts)
        ).fetchone()
        question_id = row[0]
        _adopt_pending(db, question_id, channel, ts)
        refresh(db, question_id)
        found = select_questions(db, "id = ?", (question_id,))
        if found:
            return found[0]
        # Asked, then deleted, then delivered again: still the same (deleted) question.
        sql = f"SELECT {_Q_COLUMNS} FROM qa_questions WHERE id = ?"
        return question_of(conn.execute(sql, (question_id,)).fetchone())


def add_answer(
    db: sqlite_utils.Database,
    *,
    question_id: int,
    channel: str,
    ts: str,
    thread_ts: str,
    user: str,
    text: str,
    answered_at: dt.datetime,
) -> bool:
    """Archive a reply as an answer once (by channel+ts); False if it was already there."""
    with transaction(db) as conn:
        # A reply to a deleted question is kept hidden, as its siblings are.
        fresh = conn.execute(
            "INSERT OR IGNORE INTO qa_answers (question_id, channel, ts, thread_ts, user, text,"
            " body, answered_at, deleted) SELECT ?, ?, ?, ?, ?, ?, ?, ?, deleted"
            " FROM qa_questions WHERE id = ?",
            (
                question_id,
                channel,
                ts,
                thread_ts,
                user,
                text,
                _body(text),
                iso(answered_at),
                question_id,
            ),
        ).rowcount
        conn.execute("DELETE FROM qa_pending WHERE channel = ? AND ts = ?", (channel, ts))
        if fresh:
            _count_answer(db, question_id, channel, ts)
    return bool(fresh)


def _count_answer(db: sqlite_utils.Database, question_id: int, channel: str, ts: str) -> None:
    """A new answer: one more on the count, unless a ✅ was already waiting on it or on the
    question (then the status may change too: a ✅ counts once there is a reply). Every answer
    comes through here: two indexed lookups, not a refresh."""
    waiting = db.execute(
        "SELECT EXISTS (SELECT 1 FROM qa_marks WHERE channel = :c AND item_ts = :ts)"
        " OR EXISTS (SELECT 1 FROM qa_marks WHERE channel = :c AND item_ts ="
        " (SELECT ts FROM qa_questions WHERE id = :q))",
        {"c": channel, "ts": ts, "q": question_id},
    ).fetchone()[0]
    if waiting:
        refresh(db, question_id)
    else:  # a hidden answer (to a deleted question) is not counted, as in refresh
        db.execute(
            "UPDATE qa_questions SET answer_count = answer_count + 1 WHERE id = ? AND deleted = 0",
            (question_id,),
        )


def add_pending(
    db: sqlite_utils.Database,
    *,
    channel: str,
    ts: str,
    thread_ts: str,
    user: str,
    text: str,
    received_at: dt.datetime,
) -> None:
    """Keep a reply whose parent is not (yet) a question; add_question links it later."""
    with transaction(db) as conn:
        conn.execute(
            "INSERT OR IGNORE INTO qa_pending (channel, ts, thread_ts, user, text, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (channel, ts, thread_ts, user, text, iso(received_at)),
        )
        cutoff = received_at - dt.timedelta(days=PENDING_DAYS)
        conn.execute("DELETE FROM qa_pending WHERE received_at < ?", (iso(cutoff),))


def _adopt_pending(db: sqlite_utils.Database, question_id: int, channel: str, ts: str) -> None:
    rows = db.execute(
        "SELECT ts, thread_ts, user, text, received_at FROM qa_pending"
        " WHERE channel = ? AND thread_ts = ?",
        (channel, ts),
    ).fetchall()
    for reply_ts, thread_ts, user, text, received_at in rows:
        db.execute(
            "INSERT OR IGNORE INTO qa_answers (question_id, channel, ts, thread_ts, user, text,"
            " body, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (question_id, channel, reply_ts, thread_ts, user, text, _body(text), received_at),
        )
    if rows:
        db.execute("DELETE FROM qa_pending WHERE channel = ? AND thread_ts = ?", (channel, ts))


def edit_message(
    db: sqlite_utils.Database,
    channel: str,
    ts: str,
    text: str,
    *,
    question_text: str | None = None,
) -> str | None:
    """A member edited a message: the archive (and the search index) follow; a question keeps
    `question_text` when given (its text without the prefix, bot.core.ingest.without_prefix).
    Returns 'question', 'answer' or 'pending' for what was edited, None if unknown."""
    with transaction(db) as conn:
        for table, kind in (("qa_questions", "question"), ("qa_answers", "answer")):
            row = conn.execute(
                f"SELECT id, text, deleted FROM {table} WHERE channel = ? AND ts = ?",
                (channel, ts),
            ).fetchone()
            if row is None:
                continue
            kept = question_text if kind == "question" and question_text is not None else text
            if not row[2] and row[1] != kept:
                conn.execute(
                    f"UPDATE {table} SET text = ?, body = ? WHERE id = ?",
                    (kept, _body(kept), row[0]),
                )
            return kind
        changed = conn.execute(
            "UPDATE qa_pending SET text = ? WHERE channel = ? AND ts = ?", (text, channel, ts)
        ).rowcount
    return "pending" if changed else None


def delete_message(db: sqlite_utils.Database, channel: str, ts: str) -> str | None:
    """A member deleted a message: it leaves search, digests and exports. It is kept with
    deleted = 1 (a late reply or edit must not bring it back), which every reader skips."""
    with transaction(db) as conn:
        conn.execute("DELETE FROM qa_pending WHERE channel = ? AND ts = ?", (channel, ts))
        if conn.execute(
            "UPDATE qa_questions SET deleted = 1 WHERE channel = ? AND ts = ? AND deleted = 0",
            (channel, ts),
        ).rowcount:
            # Its answers go too: without the question they are not Q&A.
            conn.execute(
                "UPDATE qa_answers SET deleted = 1 WHERE deleted = 0 AND question_id ="
                " (SELECT id FROM qa_questions WHERE channel = ? AND ts = ?)",
                (channel, ts),
            )
            return "question"
        row = conn.execute(
            "SELECT id, question_id FROM qa_answers WHERE channel = ? AND ts = ? AND deleted = 0",
            (channel, ts),
        ).fetchone()
        if row:
            conn.execute("UPDATE qa_answers SET deleted = 1 WHERE id = ?", (row[0],))
            refresh(db, row[1])
            return "answer"
    return None


def move_topic(db: sqlite_utils.Database, question_id: int, topic_id: str) -> bool:
    """File a live question under another topic (the asker or an organizer said it was the
    wrong one); False when there is no such live question."""
    with transaction(db) as conn:
        return bool(
            conn.execute(
                "UPDATE qa_questions SET topic_id = ? WHERE id = ? AND deleted = 0",
                (topic_id, question_id),
            ).rowcount
        )


def refresh(db: sqlite_utils.Database, question_id: int) -> None:
    """Derive answer_count, status, accepted answer and resolved_at from answers and marks.
    The rule for "answered" (see ANSWERED): at least one live answer, and a mark by the asker
    or an organizer on the question or on one of its live answers; the latest such mark on an
    answer makes it the accepted one. Marks wait: a ✅ made before the first reply counts
    once a reply is there, so the order events arrive in never matters."""
    row = db.execute(
        "SELECT channel, ts, user FROM qa_questions WHERE id = ?", (question_id,)
    ).fetchone()
    if row is None:
        return
    channel, ts, asker = row
    # Two indexed lookups (the question's own marks, its answers' marks): one condition with
    # OR … IN hid item_ts from the planner, which then read every ✅ in the channel.
    marks = db.execute(
        "SELECT item_ts, marked_at FROM ("
        " SELECT m.item_ts, m.marked_at, m.rowid AS r FROM qa_marks m"
        "  WHERE m.channel = :channel AND m.item_ts = :ts AND (m.user = :asker OR m.organizer = 1)"
        " UNION ALL"
        " SELECT m.item_ts, m.marked_at, m.rowid FROM qa_answers a"
        "  JOIN qa_marks m ON m.channel = a.channel AND m.item_ts = a.ts"
        "  WHERE a.question_id = :question_id AND a.deleted = 0"
        "  AND (m.user = :asker OR m.organizer = 1)"
        ") ORDER BY marked_at, r",
        {"channel": channel, "ts": ts, "asker": asker, "question_id": question_id},
    ).fetchall()
    on_answers = [item for item, _ in marks if item != ts]
    replies = db.execute(
        "SELECT count(*) FROM qa_answers WHERE question_id = ? AND deleted = 0", (question_id,)
    ).fetchone()[0]
    answered = bool(marks) and replies > 0
    db.execute(
        "UPDATE qa_questions SET answer_count = ?, status = ?, accepted_answer_ts = ?,"
        " resolved_at = ? WHERE id = ?",
        (
            replies,
            ANSWERED if answered else OPEN,
            on_answers[-1] if on_answers else None,
            marks[0][1] if answered else None,
            question_id,
        ),
    )


# --- permalinks ---------------------------------------------------------------------------


def question_link(team_url: str, question: Question) -> str:
    """The question's permalink (as Slack gave it, else built for the workspace at team_url)."""
    return question.permalink or message_link(
        question.channel, question.ts, question.thread_ts, team_url
    )


def answer_link(team_url: str, answer: Answer) -> str:
    """The answer's link in its thread, for the workspace at team_url."""
    return message_link(answer.channel, answer.ts, answer.thread_ts, team_url)
