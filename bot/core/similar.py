"""Asked before? Questions compared by keywords, and the answered ones closest to a new one."""

from __future__ import annotations

import re
from functools import lru_cache

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
SIMILAR_TERMS = 6


# Where question_columns() puts the id and the text in a row.
_COLUMNS = [column.strip() for column in question_columns().split(",")]
_ID, _TEXT = _COLUMNS.index("id"), _COLUMNS.index("text")

# Hiragana mostly writes Japanese grammar (particles, endings): its pairs are stopwords.
_HIRAGANA = re.compile("[\u3040-\u309f]")
_ONE_CJK = re.compile(f"^[{CJK}]$")
_ANY_CJK = re.compile(f"[{CJK}]")
_WORD = re.compile(r"[^\W_]+")
_LONG_WORD = re.compile(r"[^\W_]{2,}")  # the same runs, but only those of two or more
# Each ASCII character that is neither letter nor digit (what [^\W_] leaves out), as a space.
_ASCII_GAPS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})


def _words(text: str) -> set[str]:
    """The words of member text that tell it apart: no links, mentions or stopwords; Chinese
    and Japanese, written without spaces, as pairs of characters (none with hiragana)."""
    lowered = plain(without_controls(text)).lower()
    # Every candidate's text is cut up on every lookup, so the common cases go the short way:
    # without CJK each word is itself and one letter is no word; in ASCII, a word is a run
    # of letters and digits, which str.split finds three times as fast as the regex.
    if lowered.isascii():
        return {w for w in lowered.translate(_ASCII_GAPS).split() if len(w) > 1} - STOPWORDS
    if not _ANY_CJK.search(lowered):
        return set(_LONG_WORD.findall(lowered)) - STOPWORDS
    split = [part for w in _WORD.findall(lowered) for part in cjk_bigrams(w)]
    return {
        w
        for w in split
        if w not in STOPWORDS and (len(w) > 1 or _ONE_CJK.match(w)) and not _HIRAGANA.search(w)
    }


# The vocabulary is small next to the text read (the same words in every question), so each
# word's singular is worked out once. Bounded, and only for words of a plausible length:
# member text can hold any string.
_cached_singular = lru_cache(maxsize=1 << 16)(singular)


def _singular(word: str) -> str:
    return _cached_singular(word) if len(word) <= 40 else singular(word)


def _keywords(text: str) -> set[str]:
    return {_singular(w) for w in _words(text)}


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
    mine_words = _words(question.text)
    words = sorted(mine_words, key=lambda w: (-len(w), w))[:SIMILAR_TERMS]
    if not words or not _any_answered(db):
        return []
    # The index stems words (porter), so plurals and -ing forms find each other; irregular
    # ones are looked for in every form, CJK characters apart as the index keeps them.
    per_word = [" OR ".join(f'"{cjk_spaced(f)}"' for f in forms(w)) for w in words]
    # The index of answered questions alone (migration 0900): it stays compact while messages
    # arrive, where the index of every question gains a segment with each batch archived.
    floor = qa_search.floor_rowid(
        db, "qa_answered_fts", " OR ".join(per_word), qa_search.RANKED_MATCHES
    )
    # The candidates share the most of those words (one index walk per word, down to the
    # floor), newest first among equals. Not bm25(): its weights need, for every word, a
    # count of all the questions holding it, a walk of the word's whole list that grows with
    # the archive (19 ms a question at a million; this way 2 ms, BENCHMARKS.md). Each walk
    # goes newest first: FTS5 starts a list at its newest end for nothing, but seeks to a
    # rowid in every segment of the index (walking up from the floor took twice as long).
    each = " UNION ALL ".join(
        [
            "SELECT * FROM (SELECT rowid AS id FROM qa_answered_fts"
            " WHERE qa_answered_fts MATCH ? AND rowid >= ? ORDER BY rowid DESC)"
        ]
        * len(per_word)
    )
    # Only the 20 chosen are read whole: reading every candidate's row (text and all) cost
    # more than finding them, and the index holds only answered questions. Their order does
    # not matter, they are scored below. Their status is asked again, the one definition of
    # answered (the index follows it by triggers); CROSS JOIN keeps SQLite from walking the
    # status index instead of reading 20 rows.
    rows = db.execute(
        f"SELECT {question_columns('q.')} FROM"
        f" (SELECT id FROM (SELECT id, count(*) AS shared FROM ({each}) GROUP BY id)"
        "   WHERE id != ? ORDER BY shared DESC, id DESC LIMIT 20) m"
        " CROSS JOIN qa_questions q ON q.id = m.id"
        f" WHERE {answered_sql(alias='q.')} AND q.deleted = 0",
        (*(x for match in per_word for x in (match, floor)), question.id),
    ).fetchall()
    mine = {_singular(w) for w in mine_words}
    # Scored on the rows themselves: only the few returned become Questions.
    scored = sorted(
        (-score, row[_ID], row)
        for row in rows
        if (score := _jaccard(mine, _keywords(row[_TEXT]))) >= MIN_SIMILARITY
    )
    return [question_of(row) for _, _, row in scored[:limit]]


def _any_answered(db: sqlite_utils.Database) -> bool:
    """Is any question answered? One step down an index: a group's first weeks (or an archive
    where no reply was accepted yet) need no walk through the words' index lists."""
    sql = f"SELECT EXISTS (SELECT 1 FROM qa_questions WHERE {answered_sql()} AND deleted = 0)"
    return bool(db.execute(sql).fetchone()[0])


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
