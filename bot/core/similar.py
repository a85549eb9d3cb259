"""Asked before? Questions compared by keywords, and the answered ones closest to a new one."""

from __future__ import annotations

import re

import sqlite_utils

from bot.core import qa_search
from bot.core.db import transaction
from bot.core.questions import Question, answered_sql, question_columns, question_of
from bot.core.text import plain
from bot.core.words import (
    CJK,
    STOPWORDS,
    cjk_bigrams,
    cjk_spaced,
    forms,
    singular,
    without_controls,
)

# How much two questions' keywords must overlap for one to be the other asked again.
MIN_SIMILARITY = 0.6
# How many of a question's words look for candidates.
SIMILAR_TERMS = 8


# Hiragana mostly writes Japanese grammar (particles, endings): its pairs are stopwords.
_HIRAGANA = re.compile("[\u3040-\u309f]")
_ONE_CJK = re.compile(f"^[{CJK}]$")


def _words(text: str) -> list[str]:
    """The words of member text that tell it apart: no links, mentions or stopwords; Chinese
    and Japanese, written without spaces, as pairs of characters (none with hiragana)."""
    words = re.findall(r"[^\W_]+", plain(without_controls(text)).lower())
    split = [part for w in words for part in cjk_bigrams(w)]
    return [
        w
        for w in split
        if w not in STOPWORDS and (len(w) > 1 or _ONE_CJK.match(w)) and not _HIRAGANA.search(w)
    ]


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
    # The index stems words (porter), so plurals and -ing forms find each other; irregular
    # ones are looked for in every form, CJK characters apart as the index keeps them.
    match = " OR ".join(f'"{cjk_spaced(f)}"' for w in words for f in forms(w))
    floor = qa_search.floor_rowid(db, "qa_questions_fts", match, qa_search.RANKED_MATCHES)
    # CROSS JOIN keeps the full-text index first: otherwise SQLite may start from the
    # answered questions and run the MATCH once for each of them. bm25() rather than the rank
    # column: FTS5 ranks every match for `ORDER BY rank`, bm25() is computed only for the
    # answered ones (none, in a new group: 1.7 -> 0.6 ms).
    rows = db.execute(
        f"SELECT {question_columns('q.')} FROM qa_questions_fts CROSS JOIN qa_questions q"
        " ON q.id = qa_questions_fts.rowid WHERE qa_questions_fts MATCH ?"
        f" AND qa_questions_fts.rowid >= ? AND {answered_sql(alias='q.')} AND q.deleted = 0"
        " AND q.id != ? ORDER BY bm25(qa_questions_fts) LIMIT 20",
        (match, floor, question.id),
    ).fetchall()
    mine = _keywords(question.text)
    candidates = {c.id: c for c in map(question_of, rows)}
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
