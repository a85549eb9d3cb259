"""Full-text search of the archive: member text as a safe FTS5 query, ranked hits with snippets."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from bot.core.listings import where
from bot.core.questions import Answer, Question, answer_by_id, get_question
from bot.core.words import SEPARATOR, STOPWORDS, cjk_spaced, forms

# FTS5 operators a member may type; they are searched for as words would be, never obeyed.
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_CHUNK = re.compile(r'"([^"]*)"|([^\s"]+)')
_WORD = re.compile(r"[^\W_]", re.UNICODE)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TERMS = 16
# How many of a query's newest matches are ranked, per index (see search()).
RANKED_MATCHES = 500
SCANNED_MATCHES = 1000
# Past this many matches in an index, its newest matches come first instead of bm25's order:
# bm25() weighs each word by how many messages hold it, a walk of the word's whole list in
# the index on every search, which grows with the archive (a word in a third of a million
# questions: 9-57 ms a search; BENCHMARKS.md). Below it, that walk is short and bm25 ranks.
BM25_MAX_MATCHES = 5000
# A prefix* needs this many characters: a shorter one would merge thousands of doclists.
MIN_PREFIX = 3
# Spellings of one term searched for at most (its irregular plurals, words.forms()).
MAX_VARIANTS = 8
_TOKEN = re.compile(r"([^\W_]+)", re.UNICODE)
SNIPPET_WORDS = 30


@dataclass(frozen=True)
class Hit:
    """A search result: the question, and the best-matching snippet (plain text with
    \\x02 … \\x03 around the matched terms) from the question or from one of its answers."""

    question: Question
    snippet: str
    answer: Answer | None  # the answer the snippet comes from, if not the question


@dataclass(frozen=True)
class Query:
    """What a member typed, as an FTS5 expression that cannot fail, and what was ignored."""

    match: str  # '' when nothing searchable was typed
    terms: tuple[str, ...]
    ignored: tuple[str, ...]


def _quoted(chunk: str) -> str:
    return '"' + cjk_spaced(chunk).replace('"', '""') + '"'


def _term(chunk: str, prefix: bool) -> str:
    """One word or phrase as FTS5: quoted, its CJK characters apart as the index keeps them,
    and with every spelling of an irregular word ("matrix" OR "matrices"); a prefix as typed."""
    if prefix:
        return _quoted(chunk) + "*"
    variants = [""]
    for i, part in enumerate(_TOKEN.split(chunk)):
        options = forms(part) if i % 2 else (part,)
        variants = [v + o for v in variants for o in options][:MAX_VARIANTS]
    if len(variants) == 1:
        return _quoted(chunk)
    return "(" + " OR ".join(_quoted(v) for v in variants) + ")"


def fts_query(text: str) -> Query:
    """Every word or "quoted phrase" becomes a quoted FTS5 string (all must match); a trailing
    * keeps prefix search. Operators, column filters, ^, -, parentheses and stray quotes are
    not FTS syntax any more, so no input can make the query fail. Words such as "what" or
    "the" are left out when other words remain: every message has them. Irregular plurals
    find their singular and back ("matrix" finds "matrices"), and a Chinese or Japanese word
    is found inside the longer runs of characters those languages write without spaces."""
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
        quoted = _term(chunk, prefix)
        stop = bool(bare) and not prefix and chunk.lower() in STOPWORDS
        found.append((quoted, chunk + ("*" if prefix else ""), stop))
    if any(not stop for _, _, stop in found):
        found = [item for item in found if not item[2]]
    return Query(
        # AND written out: FTS5 takes "a b" as both, but not "a (b OR c)".
        " AND ".join(quoted for quoted, _, _ in found),
        tuple(term for _, term, _ in found),
        tuple(dict.fromkeys(ignored)),
    )


def search(
    db: sqlite_utils.Database,
    query: Query | str,
    *,
    topic_id: str | None = None,
    answered: bool | None = None,
    user: str | None = None,
    limit: int = 10,
) -> list[Hit]:
    """Questions whose text or answers match, best first (bm25 over both indexes), each with
    a highlighted snippet from its best-matching text.

    Ranking costs time in proportion to the matches ranked, so a very common word is ranked
    among its newest RANKED_MATCHES matches in each index (SCANNED_MATCHES with filters, which
    then rank only what passes them): exact for ordinary queries, fast for every query. Words
    in more than BM25_MAX_MATCHES messages of an index: the newest questions first."""
    q = fts_query(query) if isinstance(query, str) else query
    limit = max(int(limit), 0)
    if not q.match or not limit:
        return []
    filtered = answered is not None or topic_id is not None or user is not None
    clause, params = (
        where(answered=answered, topic_id=topic_id, user=user, prefix="q.")
        if filtered
        else ("1", [])
    )
    if _crowded(db, q.match):
        ranked = _newest(db, q.match, clause, params, limit, filtered)
    elif filtered:
        ranked = _ranked_filtered(db, q.match, clause, params, limit)
    else:
        ranked = _ranked(db, q.match, limit)
    hits: list[Hit] = []
    for question_id, answer_id in ranked:
        question = get_question(db, question_id)
        if question is None:
            continue
        answer = answer_by_id(db, answer_id) if answer_id else None
        hits.append(Hit(question, _snippet(db, q.match, answer_id, question_id), answer))
    return hits


# A match in the question itself weighs a little more than one in an answer.
QUESTION_WEIGHT = 1.25


def _ranked(db: sqlite_utils.Database, match: str, limit: int) -> list[tuple[int, int | None]]:
    """(question_id, best answer_id or None), best first, without filters: the top rows of
    each index alone (FTS5 ranks inside the index, no joins), merged per question. Deleted
    messages are not in the indexes. Grows `k` until the merge is provably the top `limit`."""
    floors = {
        t: floor_rowid(db, t, match, RANKED_MATCHES) for t in ("qa_questions_fts", "qa_answers_fts")
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


def _crowded(db: sqlite_utils.Database, match: str) -> bool:
    """More than BM25_MAX_MATCHES matches in either index (bm25 would walk them all)."""
    return any(
        floor_rowid(db, table, match, BM25_MAX_MATCHES + 1)
        for table in ("qa_questions_fts", "qa_answers_fts")
    )


def _newest(
    db: sqlite_utils.Database,
    match: str,
    clause: str,
    params: list,
    limit: int,
    filtered: bool,
) -> list[tuple[int, int | None]]:
    """(question_id, answer_id or None), newest question first, among the newest matches of
    each index (the question's own text preferred to an answer's); with filters, only what
    passes them among the newest SCANNED_MATCHES."""
    depth = SCANNED_MATCHES if filtered else limit * 3
    floors = [
        floor_rowid(db, t, match, SCANNED_MATCHES) if filtered else 0
        for t in ("qa_questions_fts", "qa_answers_fts")
    ]
    asked = db.execute(
        "SELECT q.id FROM qa_questions_fts CROSS JOIN qa_questions q"
        " ON q.id = qa_questions_fts.rowid WHERE qa_questions_fts MATCH ?"
        f" AND qa_questions_fts.rowid >= ? AND q.deleted = 0 AND {clause}"
        " ORDER BY qa_questions_fts.rowid DESC LIMIT ?",
        (match, floors[0], *params, depth),
    ).fetchall()
    answered = db.execute(
        "SELECT q.id, a.id FROM qa_answers_fts CROSS JOIN qa_answers a"
        " ON a.id = qa_answers_fts.rowid CROSS JOIN qa_questions q ON q.id = a.question_id"
        " WHERE qa_answers_fts MATCH ? AND qa_answers_fts.rowid >= ?"
        f" AND a.deleted = 0 AND q.deleted = 0 AND {clause}"
        " ORDER BY qa_answers_fts.rowid DESC LIMIT ?",
        (match, floors[1], *params, depth),
    ).fetchall()
    best: dict[int, int | None] = {}
    for question_id, answer_id in answered:  # newest answer first: keep the first seen
        best.setdefault(question_id, answer_id)
    for (question_id,) in asked:
        best[question_id] = None
    return sorted(best.items(), reverse=True)[:limit]


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
    db: sqlite_utils.Database, match: str, clause: str, params: list, limit: int
) -> list[tuple[int, int | None]]:
    """With filters: join each match to its question, rank only what passes. CROSS JOIN
    keeps the full-text index first: SQLite otherwise started from the questions passing
    the filter and ran the MATCH once per question (seconds on a large archive)."""
    floors = [
        floor_rowid(db, t, match, SCANNED_MATCHES) for t in ("qa_questions_fts", "qa_answers_fts")
    ]
    # SQLite returns the bare column (answer_id) from the row holding min(score): the
    # best-matching text of each question.
    sql = f"""
        SELECT question_id, min(score) AS best, answer_id FROM (
            SELECT q.id AS question_id, bm25(qa_questions_fts) * {QUESTION_WEIGHT} AS score,
                   NULL AS answer_id
              FROM qa_questions_fts CROSS JOIN qa_questions q ON q.id = qa_questions_fts.rowid
             WHERE qa_questions_fts MATCH ? AND qa_questions_fts.rowid >= ?
               AND q.deleted = 0 AND {clause}
            UNION ALL
            SELECT q.id, bm25(qa_answers_fts), a.id
              FROM qa_answers_fts CROSS JOIN qa_answers a ON a.id = qa_answers_fts.rowid
              CROSS JOIN qa_questions q ON q.id = a.question_id
             WHERE qa_answers_fts MATCH ? AND qa_answers_fts.rowid >= ?
               AND a.deleted = 0 AND q.deleted = 0 AND {clause}
        ) GROUP BY question_id ORDER BY best, question_id LIMIT ?
    """
    args = (match, floors[0], *params, match, floors[1], *params, limit)
    return [(qid, aid) for qid, _, aid in db.execute(sql, args).fetchall()]


def capped(db: sqlite_utils.Database, query: Query, *, filtered: bool = False) -> bool:
    """Did search() leave older matches unranked (a word in very many messages)? Also when
    it found nothing: the member is told to add a word rather than that nothing matches."""
    depth = SCANNED_MATCHES if filtered else RANKED_MATCHES
    return bool(query.match) and any(
        floor_rowid(db, table, query.match, depth + 1)
        for table in ("qa_questions_fts", "qa_answers_fts")
    )


def floor_rowid(db: sqlite_utils.Database, table: str, match: str, depth: int) -> int:
    """The rowid of the depth-th newest match (0 when there are fewer): FTS5 walks a doclist
    newest first without ranking it, so this is cheap even for a word in every message."""
    row = db.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (match, depth - 1),
    ).fetchone()
    return row[0] if row else 0


def _snippet(db: sqlite_utils.Database, match: str, answer_id: int | None, question_id: int) -> str:
    table, rowid = ("qa_answers_fts", answer_id) if answer_id else ("qa_questions_fts", question_id)
    # highlight() and a window cut here, rather than snippet(): FTS5's snippet() takes seconds
    # on a long message that repeats the term thousands of times.
    row = db.execute(
        f"SELECT highlight({table}, 0, char(2), char(3)) FROM {table}"
        f" WHERE {table} MATCH ? AND rowid = ?",
        (match, rowid),
    ).fetchone()
    # The separators between CJK characters are the index's, not the member's.
    return window(row[0].replace(SEPARATOR, "")) if row and row[0] else ""


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
