"""The Q&A archive: questions, threaded answers, resolution, full-text search, digests — no Slack imports.

CONTRACT (used by commands, posts and home; keep these signatures):
  Question, Answer dataclasses below.
  add_question(db, *, channel, ts, user, text, asked_at, topic_id=None, week=None,
               source="channel", anonymous=False) -> Question     (idempotent on channel+ts)
  get_question(db, question_id) -> Question | None
  questions_between(db, start, end) -> list[Question]            (asked in [start, end), oldest first)
  count_between(db, start, end) -> (asked, answered or replied to)
  open_questions(db, *, asked_before=None, asked_since=None, topic_id=None, user=None,
                 exclude_user=None, limit=None) -> list[Question] (unanswered, oldest first)
  answers_for(db, question_id) -> list[Answer]
  answerers_between(db, start, end) -> list[tuple[str, int]]     (user, answers given), most first
Texts are stored in Slack's wire format (&, <, > escaped; mentions as <@U…>): re-post with
blocks.escape(), export with blocks.plain(). Times are aware datetimes (UTC).

Beyond the contract (used by the listeners, backfill and the FAQ export): add_answer,
add_pending, edit_message, delete_message, add_mark, remove_mark, marks_to_verify,
set_organizer, search, similar_answered, claim_asked_before, answered_questions, permalink.
Deleted messages are kept with deleted = 1 and left out of every function here.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from bot.core.db import transaction
from bot.core.format import message_link
from bot.core.text import plain
from bot.core.words import STOPWORDS, singular, without_controls

CHECK_MARKS = frozenset({"white_check_mark", "heavy_check_mark"})
BUTTON = "button"
# A reply whose parent never arrives is kept this long, then forgotten.
PENDING_DAYS = 30


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
    thread_ts: str | None = None  # the post whose thread it was asked in, if any
    resolved_at: dt.datetime | None = None


@dataclass(frozen=True)
class Answer:
    id: int
    question_id: int
    channel: str
    ts: str
    user: str
    text: str
    answered_at: dt.datetime
    thread_ts: str | None = None


@dataclass(frozen=True)
class Hit:
    """A search result: the question, and the best-matching snippet (plain text with
    \\x02 … \\x03 around the matched terms) from the question or from one of its answers."""

    question: Question
    snippet: str
    answer: Answer | None  # the answer the snippet comes from, if not the question


# --- time and text helpers ----------------------------------------------------------------


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


def is_question(text: str, prefix: str | None = "Q:") -> bool:
    """A question mark outside links and mentions, or the configured prefix at the start."""
    words = without_controls(text)
    if "?" in words or "？" in words:
        return True
    if prefix and prefix.strip():
        return plain(text or "").lstrip().lower().startswith(prefix.strip().lower())
    return False


def _body(text: str) -> str:
    return plain(text or "")


# --- rows ---------------------------------------------------------------------------------

_Q_COLUMNS = (
    "id, channel, ts, user, text, asked_at, topic_id, week, source, anonymous, status, "
    "accepted_answer_ts, answer_count, permalink, thread_ts, resolved_at"
)
_Q_COLUMNS_OF_Q = ", ".join(f"q.{c.strip()}" for c in _Q_COLUMNS.split(","))
_A_COLUMNS = "id, question_id, channel, ts, user, text, answered_at, thread_ts"


def _question(row: sqlite3.Row | tuple) -> Question:
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


def _questions(db: sqlite_utils.Database, where: str, params: Iterable = ()) -> list[Question]:
    sql = f"SELECT {_Q_COLUMNS} FROM qa_questions WHERE deleted = 0 AND {where}"
    return [_question(r) for r in db.execute(sql, tuple(params)).fetchall()]


# --- the contract -------------------------------------------------------------------------


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
        _refresh(db, question_id)
        found = _questions(db, "id = ?", (question_id,))
        if found:
            return found[0]
        # Asked, then deleted, then delivered again: still the same (deleted) question.
        sql = f"SELECT {_Q_COLUMNS} FROM qa_questions WHERE id = ?"
        return _question(conn.execute(sql, (question_id,)).fetchone())


def get_question(db: sqlite_utils.Database, question_id: int) -> Question | None:
    found = _questions(db, "id = ?", (question_id,))
    return found[0] if found else None


def question_at(db: sqlite_utils.Database, channel: str, ts: str) -> Question | None:
    """The live question whose message is channel+ts."""
    found = _questions(db, "channel = ? AND ts = ?", (channel, ts))
    return found[0] if found else None


def questions_between(
    db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime
) -> list[Question]:
    return _questions(
        db, "asked_at >= ? AND asked_at < ? ORDER BY asked_at, id", (iso(start), iso(end))
    )


def count_between(
    db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime
) -> tuple[int, int]:
    """(asked, replied to or answered) among questions asked in [start, end): a recap counts
    thousands of questions without building them."""
    asked, replied = db.execute(
        "SELECT count(*), coalesce(sum(status = 'answered' OR answer_count > 0), 0)"
        " FROM qa_questions WHERE deleted = 0 AND asked_at >= ? AND asked_at < ?",
        (iso(start), iso(end)),
    ).fetchone()
    return asked, replied


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
    where, params = _filters(
        status="open",
        asked_before=asked_before,
        asked_since=asked_since,
        topic_id=topic_id,
        user=user,
        exclude_user=exclude_user,
    )
    sql = f"{where} ORDER BY asked_at, id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(max(int(limit), 0))
    return _questions(db, sql, params)


def _filters(
    *,
    status: str | None = None,
    asked_before: dt.datetime | None = None,
    asked_since: dt.datetime | None = None,
    topic_id: str | None = None,
    user: str | None = None,
    exclude_user: str | None = None,
    prefix: str = "",
) -> tuple[str, list]:
    clauses, params = ["1"], []
    if status:
        clauses.append(f"{prefix}status = ?")
        params.append(status)
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


def answers_for(db: sqlite_utils.Database, question_id: int) -> list[Answer]:
    rows = db.execute(
        f"SELECT {_A_COLUMNS} FROM qa_answers WHERE question_id = ? AND deleted = 0 ORDER BY ts",
        (question_id,),
    ).fetchall()
    return [_answer(r) for r in rows]


def answerers_between(
    db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, int]]:
    rows = db.execute(
        "SELECT a.user, count(*) AS n FROM qa_answers a JOIN qa_questions q ON q.id = a.question_id"
        " WHERE a.answered_at >= ? AND a.answered_at < ? AND a.deleted = 0 AND q.deleted = 0"
        # Answering your own question is not helping someone else.
        " AND (q.user IS NULL OR q.user != a.user)"
        " GROUP BY a.user ORDER BY n DESC, a.user",
        (iso(start), iso(end)),
    ).fetchall()
    return [(user, n) for user, n in rows]


# --- answers, out-of-order replies, edits, deletions --------------------------------------


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
    """A new answer: one more on the count, unless a ✅ was already waiting on it (then the
    status may change too). Every answer comes through here: one lookup, not a refresh."""
    waiting = db.execute(
        "SELECT 1 FROM qa_marks WHERE channel = ? AND item_ts = ? LIMIT 1", (channel, ts)
    ).fetchone()
    if waiting:
        _refresh(db, question_id)
    else:  # a hidden answer (to a deleted question) is not counted, as in _refresh
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


def edit_message(db: sqlite_utils.Database, channel: str, ts: str, text: str) -> str | None:
    """A member edited a message: the archive (and the search index) follow.
    Returns 'question', 'answer' or 'pending' for what was edited, None if unknown."""
    with transaction(db) as conn:
        for table, kind in (("qa_questions", "question"), ("qa_answers", "answer")):
            row = conn.execute(
                f"SELECT id, text, deleted FROM {table} WHERE channel = ? AND ts = ?",
                (channel, ts),
            ).fetchone()
            if row is None:
                continue
            if not row[2] and row[1] != text:
                conn.execute(
                    f"UPDATE {table} SET text = ?, body = ? WHERE id = ?",
                    (text, _body(text), row[0]),
                )
            return kind
        changed = conn.execute(
            "UPDATE qa_pending SET text = ? WHERE channel = ? AND ts = ?", (text, channel, ts)
        ).rowcount
    return "pending" if changed else None


def delete_message(db: sqlite_utils.Database, channel: str, ts: str) -> str | None:
    """A member deleted a message: it leaves search, digests and exports (kept as deleted)."""
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
            _refresh(db, row[1])
            return "answer"
    return None


# --- resolution ---------------------------------------------------------------------------


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
            _refresh(db, question.id)
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
            _refresh(db, question.id)
            question = get_question(db, question.id)
    return question


def marks_to_verify(db: sqlite_utils.Database, since: dt.datetime) -> list[str]:
    """Users whose recent marks on archived messages wait for an organizer check (users.info).
    The asker's own marks count without asking Slack, so they are settled here."""
    rows = db.execute(
        "SELECT m.rowid, m.user, coalesce(q.user, aq.user), coalesce(q.id, aq.id)"
        " FROM qa_marks m"
        " LEFT JOIN qa_questions q ON q.channel = m.channel AND q.ts = m.item_ts"
        " LEFT JOIN qa_answers a ON a.channel = m.channel AND a.ts = m.item_ts"
        " LEFT JOIN qa_questions aq ON aq.id = a.question_id"
        " WHERE m.organizer IS NULL AND m.marked_at >= ?",
        (iso(since),),
    ).fetchall()
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
                _refresh(db, question.id)
                touched.append(question.id)
    return touched


def _refresh(db: sqlite_utils.Database, question_id: int) -> None:
    """Derive answer_count, status, accepted answer and resolved_at from answers and marks."""
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
    db.execute(
        "UPDATE qa_questions SET answer_count ="
        " (SELECT count(*) FROM qa_answers WHERE question_id = ? AND deleted = 0),"
        " status = ?, accepted_answer_ts = ?, resolved_at = ? WHERE id = ?",
        (
            question_id,
            "answered" if marks else "open",
            on_answers[-1] if on_answers else None,
            marks[0][1] if marks else None,
            question_id,
        ),
    )


# --- search -------------------------------------------------------------------------------

# FTS5 operators a member may type; they are searched for as words would be, never obeyed.
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_CHUNK = re.compile(r'"([^"]*)"|([^\s"]+)')
_WORD = re.compile(r"[^\W_]", re.UNICODE)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TERMS = 16
# How many of a query's newest matches are ranked, per index (see search()).
RANKED_MATCHES = 500
SCANNED_MATCHES = 1000
# A prefix* needs this many characters: a shorter one would merge thousands of doclists.
MIN_PREFIX = 3
SNIPPET_WORDS = 30


@dataclass(frozen=True)
class Query:
    """What a member typed, as an FTS5 expression that cannot fail, and what was ignored."""

    match: str  # '' when nothing searchable was typed
    terms: tuple[str, ...]
    ignored: tuple[str, ...]


def fts_query(text: str) -> Query:
    """Every word or "quoted phrase" becomes a quoted FTS5 string (all must match); a trailing
    * keeps prefix search. Operators, column filters, ^, -, parentheses and stray quotes are
    not FTS syntax any more, so no input can make the query fail. Words such as "what" or
    "the" are left out when other words remain: every message has them."""
    found: list[tuple[str, str, bool]] = []  # (FTS string, as shown, a stopword)
    ignored: list[str] = []
    # FTS5 reads a NUL as the end of the query (an unterminated string); controls are noise.
    text = _CONTROLS.sub(" ", text).replace("(", " ").replace(")", " ")
    for phrase, bare in _CHUNK.findall(text):
        chunk = phrase if phrase else bare
        if bare in _OPERATORS or bare.startswith(("NEAR", "-")):
            # No NOT/NEAR/exclusions: obeying half of FTS5's syntax would surprise more.
            ignored.append(bare)
            continue
        if bare:
            chunk = chunk.lstrip("+^")
        prefix = bool(bare) and bare.endswith("*")
        chunk = chunk.rstrip("*") if prefix else chunk
        if prefix and len(chunk) < MIN_PREFIX:
            prefix = False
            ignored.append("*")
        if not _WORD.search(chunk):
            if chunk.strip():
                ignored.append(chunk)
            continue
        if len(found) >= MAX_TERMS:
            ignored.append(chunk)
            continue
        quoted = '"' + chunk.replace('"', '""') + '"' + ("*" if prefix else "")
        stop = bool(bare) and not prefix and chunk.lower() in STOPWORDS
        found.append((quoted, chunk + ("*" if prefix else ""), stop))
    if any(not stop for _, _, stop in found):
        found = [item for item in found if not item[2]]
    return Query(
        " ".join(quoted for quoted, _, _ in found),
        tuple(term for _, term, _ in found),
        tuple(dict.fromkeys(ignored)),
    )


def search(
    db: sqlite_utils.Database,
    query: Query | str,
    *,
    topic_id: str | None = None,
    status: str | None = None,
    user: str | None = None,
    limit: int = 10,
) -> list[Hit]:
    """Questions whose text or answers match, best first (bm25 over both indexes), each with
    a highlighted snippet from its best-matching text.

    Ranking costs time in proportion to the matches ranked, so a very common word is ranked
    among its newest RANKED_MATCHES matches in each index (SCANNED_MATCHES with filters, which
    then rank only what passes them): exact for ordinary queries, fast for every query."""
    q = fts_query(query) if isinstance(query, str) else query
    limit = max(int(limit), 0)
    if not q.match or not limit:
        return []
    where, params = _filters(status=status, topic_id=topic_id, user=user, prefix="q.")
    if params:
        ranked = _ranked_filtered(db, q.match, where, params, limit)
    else:
        ranked = _ranked(db, q.match, limit)
    hits: list[Hit] = []
    for question_id, answer_id in ranked:
        question = get_question(db, question_id)
        if question is None:
            continue
        answer = _answer_by_id(db, answer_id) if answer_id else None
        hits.append(Hit(question, _snippet(db, q.match, answer_id, question_id), answer))
    return hits


# A match in the question itself weighs a little more than one in an answer.
QUESTION_WEIGHT = 1.25


def _ranked(db: sqlite_utils.Database, match: str, limit: int) -> list[tuple[int, int | None]]:
    """(question_id, best answer_id or None), best first, without filters: the top rows of
    each index alone (FTS5 ranks inside the index, no joins), merged per question. Deleted
    messages are not in the indexes. Grows `k` until the merge is provably the top `limit`."""
    floors = {
        t: _floor(db, t, match, RANKED_MATCHES) for t in ("qa_questions_fts", "qa_answers_fts")
    }
    k = limit * 3
    while True:
        top = {t: _top(db, t, match, floor, k) for t, floor in floors.items()}
        best: dict[int, tuple[float, int | None]] = {}
        for rowid, score in top["qa_questions_fts"]:
            best[rowid] = min(best.get(rowid, (0.0, None)), (score * QUESTION_WEIGHT, None))
        owners = _answer_owners(db, [rowid for rowid, _ in top["qa_answers_fts"]])
        for rowid, score in top["qa_answers_fts"]:
            if rowid in owners:
                question_id = owners[rowid]
                if question_id not in best or score < best[question_id][0]:
                    best[question_id] = (score, rowid)
        # A question not seen has all its rows below the k-th of every index that had more.
        cutoffs = [
            rows[-1][1] * (QUESTION_WEIGHT if t == "qa_questions_fts" else 1)
            for t, rows in top.items()
            if len(rows) == k
        ]
        ordered = sorted(best.items(), key=lambda item: (item[1][0], item[0]))
        sure = [item for item in ordered if not cutoffs or item[1][0] <= min(cutoffs)]
        if len(sure) >= limit or not cutoffs:
            return [(question_id, answer_id) for question_id, (_, answer_id) in sure[:limit]]
        k *= 4


def _top(
    db: sqlite_utils.Database, table: str, match: str, floor: int, k: int
) -> list[tuple[int, float]]:
    return db.execute(
        f"SELECT rowid, rank FROM {table} WHERE {table} MATCH ? AND rowid >= ?"
        " ORDER BY rank LIMIT ?",
        (match, floor, k),
    ).fetchall()


def _answer_owners(db: sqlite_utils.Database, answer_ids: list[int]) -> dict[int, int]:
    if not answer_ids:
        return {}
    marks = ",".join("?" * len(answer_ids))
    rows = db.execute(
        f"SELECT a.id, a.question_id FROM qa_answers a JOIN qa_questions q ON q.id = a.question_id"
        f" WHERE a.id IN ({marks}) AND a.deleted = 0 AND q.deleted = 0",
        answer_ids,
    ).fetchall()
    return dict(rows)


def _ranked_filtered(
    db: sqlite_utils.Database, match: str, where: str, params: list, limit: int
) -> list[tuple[int, int | None]]:
    """With filters: join each match to its question, rank only what passes. CROSS JOIN
    keeps the full-text index first: SQLite otherwise started from the questions passing
    the filter and ran the MATCH once per question (seconds on a large archive)."""
    floors = [_floor(db, t, match, SCANNED_MATCHES) for t in ("qa_questions_fts", "qa_answers_fts")]
    # SQLite returns the bare column (answer_id) from the row holding min(score): the
    # best-matching text of each question.
    sql = f"""
        SELECT question_id, min(score) AS best, answer_id FROM (
            SELECT q.id AS question_id, bm25(qa_questions_fts) * {QUESTION_WEIGHT} AS score,
                   NULL AS answer_id
              FROM qa_questions_fts CROSS JOIN qa_questions q ON q.id = qa_questions_fts.rowid
             WHERE qa_questions_fts MATCH ? AND qa_questions_fts.rowid >= ?
               AND q.deleted = 0 AND {where}
            UNION ALL
            SELECT q.id, bm25(qa_answers_fts), a.id
              FROM qa_answers_fts CROSS JOIN qa_answers a ON a.id = qa_answers_fts.rowid
              CROSS JOIN qa_questions q ON q.id = a.question_id
             WHERE qa_answers_fts MATCH ? AND qa_answers_fts.rowid >= ?
               AND a.deleted = 0 AND q.deleted = 0 AND {where}
        ) GROUP BY question_id ORDER BY best, question_id LIMIT ?
    """
    args = (match, floors[0], *params, match, floors[1], *params, limit)
    return [(qid, aid) for qid, _, aid in db.execute(sql, args).fetchall()]


def capped(db: sqlite_utils.Database, query: Query, *, filtered: bool = False) -> bool:
    """Did search() leave older matches unranked (a word in very many messages)? Also when
    it found nothing: the member is told to add a word rather than that nothing matches."""
    depth = SCANNED_MATCHES if filtered else RANKED_MATCHES
    return bool(query.match) and any(
        _floor(db, table, query.match, depth + 1)
        for table in ("qa_questions_fts", "qa_answers_fts")
    )


def _floor(db: sqlite_utils.Database, table: str, match: str, depth: int) -> int:
    """The rowid of the depth-th newest match (0 when there are fewer): FTS5 walks a doclist
    newest first without ranking it, so this is cheap even for a word in every message."""
    row = db.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (match, depth - 1),
    ).fetchone()
    return row[0] if row else 0


def _answer_by_id(db: sqlite_utils.Database, answer_id: int) -> Answer | None:
    row = db.execute(f"SELECT {_A_COLUMNS} FROM qa_answers WHERE id = ?", (answer_id,)).fetchone()
    return _answer(row) if row else None


def _snippet(db: sqlite_utils.Database, match: str, answer_id: int | None, question_id: int) -> str:
    table, rowid = ("qa_answers_fts", answer_id) if answer_id else ("qa_questions_fts", question_id)
    # highlight() and a window cut here, rather than snippet(): FTS5's snippet() takes seconds
    # on a long message that repeats the term thousands of times.
    row = db.execute(
        f"SELECT highlight({table}, 0, char(2), char(3)) FROM {table}"
        f" WHERE {table} MATCH ? AND rowid = ?",
        (match, rowid),
    ).fetchone()
    return window(row[0]) if row and row[0] else ""


def window(marked: str, words: int = SNIPPET_WORDS) -> str:
    """About `words` words around the first highlighted match, markers kept balanced."""
    tokens = marked.split()
    first = next((i for i, token in enumerate(tokens) if "\x02" in token), 0)
    # From the start when the match is near it, else a little context before the match.
    start = 0 if first < words * 3 // 4 else first - words // 4
    piece = " ".join(tokens[start : start + words])
    if piece.count("\x02") > piece.count("\x03"):
        piece += "\x03"
    return ("…" if start > 0 else "") + piece + ("…" if start + words < len(tokens) else "")


def listing(
    db: sqlite_utils.Database,
    *,
    topic_id: str | None = None,
    status: str | None = None,
    user: str | None = None,
    oldest_first: bool = False,
    limit: int = 10,
) -> list[Question]:
    """Questions without search terms: open ones oldest first, others newest first."""
    where, params = _filters(status=status, topic_id=topic_id, user=user)
    order = "asked_at, id" if oldest_first else "asked_at DESC, id DESC"
    return _questions(db, f"{where} ORDER BY {order} LIMIT ?", [*params, max(int(limit), 0)])


# --- "asked before" ----------------------------------------------------------------------

MIN_SIMILARITY = 0.6
SIMILAR_TERMS = 8


def _words(text: str) -> list[str]:
    words = re.findall(r"[^\W_]+", plain(without_controls(text)).lower())
    return [w for w in words if w not in STOPWORDS and len(w) > 1]


def _keywords(text: str) -> set[str]:
    return {singular(w) for w in _words(text)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' keywords (0..1)."""
    return _jaccard(_keywords(a), _keywords(b))


def _jaccard(ka: set[str], kb: set[str]) -> float:
    if not ka or not kb:
        return 0.0
    return len(ka & kb) / len(ka | kb)


def similar_answered(
    db: sqlite_utils.Database, question: Question, limit: int = 3
) -> list[Question]:
    """Answered questions that closely match `question` (its keywords, mostly the same)."""
    # Its most specific (longest) words find the candidates: a close match shares most of
    # them, and each word fewer is one doclist fewer to merge after every question.
    words = sorted(set(_words(question.text)), key=lambda w: (-len(w), w))[:SIMILAR_TERMS]
    if not words:
        return []
    # The index stems words (porter), so plurals and -ing forms find each other.
    match = " OR ".join(f'"{w}"' for w in words)
    floor = _floor(db, "qa_questions_fts", match, RANKED_MATCHES)
    # CROSS JOIN keeps the full-text index first: otherwise SQLite may start from the
    # answered questions and run the MATCH once for each of them. bm25() rather than the rank
    # column: FTS5 ranks every match for `ORDER BY rank`, bm25() is computed only for the
    # answered ones (none, in a new group: 1.7 -> 0.6 ms).
    rows = db.execute(
        f"SELECT {_Q_COLUMNS_OF_Q} FROM qa_questions_fts CROSS JOIN qa_questions q"
        " ON q.id = qa_questions_fts.rowid WHERE qa_questions_fts MATCH ?"
        " AND qa_questions_fts.rowid >= ? AND q.status = 'answered' AND q.deleted = 0"
        " AND q.id != ? ORDER BY bm25(qa_questions_fts) LIMIT 20",
        (match, floor, question.id),
    ).fetchall()
    mine = _keywords(question.text)
    candidates = {c.id: c for c in map(_question, rows)}
    scored = sorted(
        (-score, c.id)
        for c in candidates.values()
        if (score := _jaccard(mine, _keywords(c.text))) >= MIN_SIMILARITY
    )
    return [candidates[candidate_id] for _, candidate_id in scored[:limit]]


def claim_asked_before(db: sqlite_utils.Database, question_id: int) -> bool:
    """True exactly once per question: whoever gets it looks for earlier answers."""
    with transaction(db) as conn:
        return bool(
            conn.execute(
                "UPDATE qa_questions SET asked_before_checked = 1"
                " WHERE id = ? AND asked_before_checked = 0 AND deleted = 0",
                (question_id,),
            ).rowcount
        )


# --- the FAQ ------------------------------------------------------------------------------


def answered_questions(db: sqlite_utils.Database, topic_id: str | None = None) -> list[Question]:
    """Every live answered question (optionally of one topic), oldest first."""
    where, params = _filters(status="answered", topic_id=topic_id)
    return _questions(db, f"{where} ORDER BY asked_at, id", params)


def answers_accepted_first(db: sqlite_utils.Database, question: Question) -> list[Answer]:
    answers = answers_for(db, question.id)
    return sorted(answers, key=lambda a: (a.ts != question.accepted_answer_ts, a.ts))


# --- permalinks ---------------------------------------------------------------------------


def question_link(team_url: str, question: Question) -> str:
    return question.permalink or message_link(
        question.channel, question.ts, question.thread_ts, team_url
    )


def answer_link(team_url: str, answer: Answer) -> str:
    return message_link(answer.channel, answer.ts, answer.thread_ts, team_url)
