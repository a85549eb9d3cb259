"""The search indexes: the index of answered questions follows the status, the nightly merge
leaves one segment per index and finds the same, and an archive from before gets its index."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import sqlite_utils

from bot.core import marks, qa_search, questions, search_index, similar
from bot.core.db import Pool, transaction
from tests.test_qa_upgrade import old_archive

T0 = dt.datetime(2027, 1, 4, 10, tzinfo=dt.UTC)
# What each index must hold: the rows it is built from.
INDEXED = {
    "qa_questions_fts": "SELECT id, body FROM qa_questions WHERE deleted = 0",
    "qa_answers_fts": "SELECT id, body FROM qa_answers WHERE deleted = 0",
    "qa_answered_fts": "SELECT id, body FROM qa_questions WHERE status = 'answered' AND deleted = 0",
}


def assert_indexes_exact(db: sqlite_utils.Database) -> None:
    """Each index holds exactly its rows' words at their places, compared with an index built
    afresh from those rows: FTS5's own integrity-check cannot tell an external-content index
    that kept a stale row (it checks only the index's own structure)."""
    conn = db.conn
    for table, rows in INDEXED.items():
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
        conn.execute("DROP TABLE IF EXISTS temp.fresh")
        conn.execute(
            "CREATE VIRTUAL TABLE temp.fresh USING fts5"
            " (body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        conn.execute(f"INSERT INTO temp.fresh (rowid, body) {rows}")
        conn.execute("DROP TABLE IF EXISTS temp.fresh_words")
        conn.execute("CREATE VIRTUAL TABLE temp.fresh_words USING fts5vocab(temp, fresh, instance)")
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}_words")
        conn.execute(
            f"CREATE VIRTUAL TABLE temp.{table}_words USING fts5vocab(main, {table}, instance)"
        )
        held = conn.execute(f"SELECT * FROM temp.{table}_words ORDER BY 1, 2, 3, 4").fetchall()
        fresh = conn.execute("SELECT * FROM temp.fresh_words ORDER BY 1, 2, 3, 4").fetchall()
        assert held == fresh, table


def _answered_ids(db: sqlite_utils.Database, word: str) -> list[int]:
    return [
        row[0]
        for row in db.execute(
            "SELECT rowid FROM qa_answered_fts WHERE qa_answered_fts MATCH ? ORDER BY rowid",
            (word,),
        )
    ]


def _ask(db: sqlite_utils.Database, n: int, text: str) -> questions.Question:
    return questions.add_question(
        db, channel="C1", ts=f"1800000000.{n:06d}", user="U1", text=text, asked_at=T0
    )


def _reply(db: sqlite_utils.Database, n: int, q: questions.Question, text: str) -> str:
    ts = f"1800000001.{n:06d}"
    questions.add_answer(
        db,
        question_id=q.id,
        channel="C1",
        ts=ts,
        thread_ts=q.ts,
        user="U2",
        text=text,
        answered_at=T0 + dt.timedelta(minutes=5),
    )
    return ts


def test_a_question_is_in_the_answered_index_while_it_is_answered(tmp_path: Path):
    pool = Pool(tmp_path / "s.db")
    db = pool.get()
    q = _ask(db, 1, "How do eigenvectors rotate?")
    answer_ts = _reply(db, 1, q, "They do not: they stretch")
    assert _answered_ids(db, "eigenvectors") == []  # open: not looked at by "asked before"
    # The asker's ✅ on the reply: answered, so in the index.
    marks.add_mark(db, channel="C1", item_ts=answer_ts, user="U1", kind="white_check_mark", at=T0)
    assert questions.get_question(db, q.id).answered
    assert _answered_ids(db, "eigenvectors") == [q.id]
    # Edited: found by its new words only.
    questions.edit_message(db, "C1", q.ts, "How do eigenvalues scale?")
    assert _answered_ids(db, "eigenvectors") == [] and _answered_ids(db, "eigenvalues") == [q.id]
    # The ✅ taken back: open again, out of the index.
    marks.remove_mark(db, channel="C1", item_ts=answer_ts, user="U1", kind="white_check_mark")
    assert _answered_ids(db, "eigenvalues") == []
    # Answered again, then deleted in Slack: out.
    marks.add_mark(db, channel="C1", item_ts=answer_ts, user="U1", kind="white_check_mark", at=T0)
    assert _answered_ids(db, "eigenvalues") == [q.id]
    questions.delete_message(db, "C1", q.ts)
    assert _answered_ids(db, "eigenvalues") == []
    assert_indexes_exact(db)
    pool.close()


def test_asked_before_finds_an_answered_question_and_not_an_open_one(tmp_path: Path):
    pool = Pool(tmp_path / "s.db")
    db = pool.get()
    answered = _ask(db, 1, "What is a gradient of a loss function?")
    answer_ts = _reply(db, 1, answered, "The vector of partial derivatives")
    marks.add_mark(db, channel="C1", item_ts=answer_ts, user="U1", kind="white_check_mark", at=T0)
    still_open = _ask(db, 2, "What is the gradient of a loss function?")
    new = _ask(db, 3, "What's the gradient of the loss function?")
    assert [q.id for q in similar.similar_answered(db, new)] == [answered.id]
    assert still_open.id not in [q.id for q in similar.similar_answered(db, new)]
    pool.close()


def test_the_merge_leaves_one_segment_per_index_and_finds_the_same(tmp_path: Path):
    pool = Pool(tmp_path / "s.db")
    db = pool.get()
    # Each question and answer archived in a transaction of its own, as messages arrive: a
    # segment each, merged only now and then by SQLite.
    for n in range(40):
        q = _ask(db, n, f"Question {n} about matrix rank and eigenvalues")
        answer_ts = _reply(db, n, q, f"Answer {n}: rank is the number of pivots")
        if n % 2:
            marks.add_mark(
                db, channel="C1", item_ts=answer_ts, user="U1", kind="white_check_mark", at=T0
            )
    before = {table: search_index.segments(db, table) for table in search_index.FTS_TABLES}
    assert all(count > 1 for count in before.values()), before
    found = [(h.question.id, h.snippet) for h in qa_search.search(db, "rank pivots", limit=50)]
    probe = _ask(db, 99, "matrix rank and eigenvalues, question 7")
    asked = [q.id for q in similar.similar_answered(db, probe)]
    assert asked  # the answered ones it closely matches

    steps = search_index.compact(db)

    assert steps > len(search_index.FTS_TABLES)
    assert {t: search_index.segments(db, t) for t in search_index.FTS_TABLES} == dict.fromkeys(
        search_index.FTS_TABLES, 1
    )
    assert [(h.question.id, h.snippet) for h in qa_search.search(db, "rank pivots", limit=50)] == (
        found
    )
    assert [q.id for q in similar.similar_answered(db, probe)] == asked
    # Compact already: one step an index, nothing merged.
    assert search_index.compact(db) == len(search_index.FTS_TABLES)
    assert_indexes_exact(db)
    pool.close()


def test_a_merge_step_holds_the_write_lock_briefly(tmp_path: Path):
    """A step is a transaction of its own: a message archived between two steps is kept."""
    pool = Pool(tmp_path / "s.db")
    db = pool.get()
    for n in range(30):
        _ask(db, n, f"Question {n} on the chain rule")
    assert not search_index.merge_step(db, "qa_questions_fts")
    with transaction(db):
        pass  # not left inside a transaction
    assert not db.conn.in_transaction
    _ask(db, 100, "Between two steps")
    while not search_index.merge_step(db, "qa_questions_fts"):
        pass
    assert questions.question_at(db, "C1", "1800000000.000100") is not None
    assert search_index.segments(db, "qa_questions_fts") == 1
    pool.close()


def test_an_archive_from_before_gets_its_answered_questions_indexed(tmp_path: Path):
    db = old_archive(tmp_path / "old.db", before="0900_answered_index.sql")
    db.conn.execute(
        "INSERT INTO qa_questions (id, channel, ts, user, text, body, asked_at, status)"
        " VALUES (1, 'C1', '1.1', 'U1', 'Why convexity?', 'Why convexity?', '2025', 'answered'),"
        " (2, 'C1', '1.2', 'U1', 'Convexity again?', 'Convexity again?', '2025', 'open')"
    )
    db.conn.close()
    pool = Pool(tmp_path / "old.db")  # the bot starting on the old file
    assert _answered_ids(pool.get(), "convexity") == [1]
    pool.close()


def test_messages_archived_while_the_indexes_merge_are_all_kept(tmp_path: Path):
    """The merge and the archive write the same file at once: every question is kept and
    found, and the indexes end whole."""
    pool = Pool(tmp_path / "s.db")
    db = pool.get()
    for n in range(60):
        q = _ask(db, n, f"Older question {n} on the singular value decomposition")
        _reply(db, n, q, f"Older answer {n}")
    errors: list[BaseException] = []

    def archive() -> None:
        mine = pool.get()  # a thread's own connection, as the event writer has
        try:
            for n in range(100, 160):
                _ask(mine, n, f"Newer question {n} on the singular value decomposition")
        except BaseException as exc:  # reported below
            errors.append(exc)

    writer = threading.Thread(target=archive)
    writer.start()
    search_index.compact(db)
    writer.join()
    assert not errors
    found = {h.question.id for h in qa_search.search(db, "newer singular", limit=100)}
    assert len(found) == 60
    assert_indexes_exact(db)
    pool.close()
