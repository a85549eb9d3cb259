"""An archive made before migration 0610 is brought up to date on start: status, text, index."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from bot.core import listings, qa_search, questions
from bot.core.db import Pool, connect, migration_steps

NEW = "0610_qa_archive_v2.sql"


def old_archive(path: Path, before: str = NEW) -> sqlite_utils.Database:
    """A database with every migration before `before` applied, as an earlier release left it."""
    db = connect(path)
    db.conn.execute(
        "CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT '')"
    )
    for name, sql in migration_steps():
        if name >= before:
            break
        db.conn.executescript(sql)
        db.conn.execute("INSERT INTO migrations (name) VALUES (?)", (name,))
    return db


def question(db: sqlite_utils.Database, qid: int, text: str, status: str = "open") -> None:
    db.conn.execute(
        "INSERT INTO qa_questions (id, channel, ts, user, text, body, asked_at, status)"
        " VALUES (?, 'C1', ?, 'U1', ?, ?, '2025-01-06T10:00:00.000000+00:00', ?)",
        (qid, f"1736157600.00000{qid}", text, text, status),
    )


def answer(db: sqlite_utils.Database, aid: int, qid: int, text: str) -> None:
    db.conn.execute(
        "INSERT INTO qa_answers (id, question_id, channel, ts, thread_ts, user, text, body,"
        " answered_at) VALUES (?, ?, 'C1', ?, ?, 'U2', ?, ?, '2025-01-06T11:00:00+00:00')",
        (aid, qid, f"1736161200.00000{aid}", f"1736157600.00000{qid}", text, text),
    )


def test_a_check_without_a_reply_is_open_after_the_upgrade(tmp_path):
    db = old_archive(tmp_path / "old.db")
    question(db, 1, "Checked with no reply?", status="answered")
    question(db, 2, "Checked with a reply?", status="answered")
    answer(db, 1, 2, "Here is one")
    db.conn.close()

    pool = Pool(tmp_path / "old.db")  # the bot starting on the old file
    db = pool.get()
    assert [q.text for q in listings.answered_questions(db)] == ["Checked with a reply?"]
    assert [q.text for q in listings.open_questions(db)] == ["Checked with no reply?"]
    pool.close()


def test_the_prefix_leaves_old_questions_and_the_index_follows(tmp_path):
    db = old_archive(tmp_path / "old.db")
    question(db, 1, "Q: why transpose twice")
    question(db, 2, " q:\nwhat is a norm")
    question(db, 3, "Q:")
    question(db, 4, "Quick one?")
    db.conn.close()

    pool = Pool(tmp_path / "old.db")
    db = pool.get()
    texts = [r[0] for r in db.execute("SELECT text FROM qa_questions ORDER BY id")]
    assert texts == ["why transpose twice", "what is a norm", "Q:", "Quick one?"]
    [hit] = qa_search.search(db, "transpose")
    assert hit.question.text == "why transpose twice" and "\x02transpose" in hit.snippet
    pool.close()


def test_chinese_and_japanese_already_kept_become_searchable(tmp_path):
    db = old_archive(tmp_path / "old.db")
    question(db, 1, "日本語を勉強しています。SVD分解とは？")
    question(db, 2, "plain english, no change")
    answer(db, 1, 1, "特異値分解のことです")
    db.conn.close()

    pool = Pool(tmp_path / "old.db")
    db = pool.get()
    assert qa_search.search(db, "日本語")[0].question.id == 1
    [hit] = qa_search.search(db, "特異値")
    assert hit.answer is not None and hit.snippet == "\x02特異値\x03分解のことです"
    assert [h.question.id for h in qa_search.search(db, "english")] == [2]
    bodies = [r[0] for r in db.execute("SELECT body FROM qa_questions ORDER BY id")]
    assert bodies[1] == "plain english, no change"
    # The same as a question archived now would get.
    assert bodies[0] == questions._body("日本語を勉強しています。SVD分解とは？")
    pool.close()
