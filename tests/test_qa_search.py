"""Full-text search without Slack: query escaping for any input, and ranking that stays exact."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import listings, marks, qa_search, questions
from bot.core.db import connect, migrate
from bot.core.questions import Question

T0 = dt.datetime(2025, 1, 6, 9, tzinfo=dt.UTC)
WORDS = [
    "eigen",
    "vector",
    "matrix",
    "chain",
    "rule",
    "gradient",
    "basis",
    "norm",
    "svd",
    "rank",
    "trace",
    "span",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A small archive with skewed word use, many answers per question, some deletions."""
    database = connect(tmp_path_factory.mktemp("core") / "core.db")
    migrate(database)
    rng = random.Random(5)
    for i in range(120):
        q = questions.add_question(
            database,
            channel="C1",
            ts=f"{1700000000 + i}.000001",
            user=f"U{i % 7}",
            text=" ".join(rng.choices(WORDS, k=rng.randint(2, 9))) + "?",
            asked_at=T0 + dt.timedelta(minutes=i),
            topic_id=f"t{i % 3}",
        )
        for j in range(rng.choice((0, 1, 3, 8))):
            questions.add_answer(
                database,
                question_id=q.id,
                channel="C1",
                ts=f"{1700000000 + i}.{j + 100:06d}",
                thread_ts=q.ts,
                user=f"U{j % 5}",
                text=" ".join(rng.choices(WORDS, k=rng.randint(1, 12))),
                answered_at=T0 + dt.timedelta(minutes=i, seconds=j),
            )
        if i % 17 == 0:
            questions.delete_message(database, "C1", q.ts)
    return database


def reference(db, match: str, where: str = "1", params=()) -> list[tuple[int, float]]:
    """The obvious ranking: every live match scored, best per question."""
    rows = db.execute(
        f"""SELECT question_id, min(score) FROM (
              SELECT q.id AS question_id, bm25(qa_questions_fts) * {qa_search.QUESTION_WEIGHT} AS score
                FROM qa_questions_fts JOIN qa_questions q ON q.id = qa_questions_fts.rowid
               WHERE qa_questions_fts MATCH ? AND q.deleted = 0 AND {where}
              UNION ALL
              SELECT q.id, bm25(qa_answers_fts) FROM qa_answers_fts
                JOIN qa_answers a ON a.id = qa_answers_fts.rowid
                JOIN qa_questions q ON q.id = a.question_id
               WHERE qa_answers_fts MATCH ? AND a.deleted = 0 AND q.deleted = 0 AND {where}
            ) GROUP BY question_id ORDER BY 2, 1""",
        (match, *params, match, *params),
    ).fetchall()
    return rows


@pytest.mark.parametrize("text", ["eigen", "chain rule", "svd trace", "matrix", "span*"])
@pytest.mark.parametrize("limit", [1, 3, 10, 40])
def test_ranking_matches_the_obvious_query_when_nothing_is_capped(db, text, limit):
    match = qa_search.fts_query(text).match
    expected = [qid for qid, _ in reference(db, match)][:limit]
    assert [h.question.id for h in qa_search.search(db, text, limit=limit)] == expected


def test_filters_match_the_obvious_query(db):
    match = qa_search.fts_query("vector").match
    where = "q.topic_id = ? AND q.user = ?"
    expected = [qid for qid, _ in reference(db, match, where, ("t1", "U3"))]
    hits = qa_search.search(db, "vector", topic_id="t1", user="U3", limit=50)
    assert [h.question.id for h in hits] == expected
    assert all(h.question.topic_id == "t1" and h.question.user == "U3" for h in hits)


def test_the_answered_filter_alone_is_obeyed(tmp_path):
    database = connect(tmp_path / "answered.db")
    migrate(database)
    asked = [
        questions.add_question(
            database,
            channel="C1",
            ts=f"{1700000000 + i}.000001",
            user="U1",
            text=f"matrix question {i}?",
            asked_at=T0 + dt.timedelta(minutes=i),
        )
        for i in range(4)
    ]
    for q in asked[::2]:  # a reply, and the asker's ✅ on the question itself
        questions.add_answer(
            database,
            question_id=q.id,
            channel="C1",
            ts=q.ts[:-1] + "2",
            thread_ts=q.ts,
            user="U2",
            text="an answer",
            answered_at=T0,
        )
        marks.add_mark(
            database, channel="C1", item_ts=q.ts, user="U1", kind="white_check_mark", at=T0
        )

    def found(**filters) -> set[int]:
        return {h.question.id for h in qa_search.search(database, "matrix", **filters)}

    assert found(answered=True) == {q.id for q in asked[::2]}
    assert found(answered=False) == {q.id for q in asked[1::2]}
    assert found() == {q.id for q in asked}
    assert [q.id for q in listings.listing(database, answered=False, oldest_first=True)] == [
        q.id for q in asked[1::2]
    ]


def test_a_very_common_word_is_ranked_among_its_newest_matches(db, monkeypatch):
    monkeypatch.setattr(qa_search, "RANKED_MATCHES", 20)
    match = qa_search.fts_query("matrix").match
    floor_q = qa_search.floor_rowid(db, "qa_questions_fts", match, 20)
    newest = {
        qid
        for (qid,) in db.execute(
            "SELECT rowid FROM qa_questions_fts WHERE qa_questions_fts MATCH ? AND rowid >= ?",
            (match, floor_q),
        )
    }
    hits = qa_search.search(db, "matrix", limit=10)
    assert len(hits) == 10
    floor_a = qa_search.floor_rowid(db, "qa_answers_fts", match, 20)
    for hit in hits:  # each comes from a ranked (newest) question or answer
        assert hit.question.id in newest or (hit.answer and hit.answer.id >= floor_a)


def test_capped_tells_when_older_matches_were_left_unranked(db, monkeypatch):
    query = qa_search.fts_query("matrix")
    assert not qa_search.capped(db, query)
    monkeypatch.setattr(qa_search, "RANKED_MATCHES", 20)
    assert qa_search.capped(db, query)
    assert not qa_search.capped(db, query, filtered=True)
    assert not qa_search.capped(db, qa_search.fts_query("nosuchword"))


def test_snippets_mark_the_match_and_stay_short(db):
    hit = qa_search.search(db, "gradient", limit=1)[0]
    assert "\x02" in hit.snippet and hit.snippet.count("\x02") == hit.snippet.count("\x03")
    assert len(hit.snippet.split()) <= qa_search.SNIPPET_WORDS + 1


def test_window_keeps_markers_balanced():
    text = " ".join(f"w{i}" for i in range(100)) + " \x02chain rule\x03 end"
    cut = qa_search.window(text, 10)
    assert cut.startswith("…") and "\x02chain rule\x03" in cut
    assert qa_search.window("a \x02b c d e\x03", 3).count("\x03") == 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_typed_text_is_a_valid_query(db, text):
    query = qa_search.fts_query(text)
    qa_search.search(db, query, limit=3)  # never raises
    qa_search.search(db, query, answered=False, topic_id="t1", limit=3)


@given(
    st.lists(
        st.sampled_from(['"', "*", "-", "^", ":", "(", ")", "NEAR", "AND", "OR", "NOT", "x", "{"]),
        max_size=12,
    )
)
@settings(max_examples=300, deadline=None)
def test_fts_syntax_soup_is_a_valid_query(db, parts):
    qa_search.search(db, qa_search.fts_query(" ".join(parts)), limit=3)
    qa_search.search(db, qa_search.fts_query("".join(parts)), limit=3)


def test_a_filtered_search_past_its_depth_finds_nothing_and_says_it_was_capped(
    tmp_path, monkeypatch
):
    database = connect(tmp_path / "deep.db")
    migrate(database)

    def ask(i: int, user: str, topic: str) -> Question:
        return questions.add_question(
            database,
            channel="C1",
            ts=f"{1700000000 + i}.000001",
            user=user,
            text=f"matrix question number {i}?",
            asked_at=T0 + dt.timedelta(minutes=i),
            topic_id=topic,
        )

    mine = ask(0, "UME", "linear-algebra")
    for i in range(1, 31):  # newer matches of the same word, none passing the filters
        ask(i, "UOTHER", "calculus")
    query = qa_search.fts_query("matrix")
    assert [h.question.id for h in qa_search.search(database, query, user="UME")] == [mine.id]
    assert not qa_search.capped(database, query, filtered=True)
    # Only the newest 10 matches are scanned: the old question is out of reach, and capped()
    # is what lets /qa say "add a word" instead of "no match".
    monkeypatch.setattr(qa_search, "SCANNED_MATCHES", 10)
    assert qa_search.search(database, query, user="UME") == []
    assert qa_search.search(database, query, topic_id="linear-algebra") == []
    assert qa_search.capped(database, query, filtered=True)


def _newest_matches(db, match: str, where: str = "1", params=()) -> list[int]:
    """The obvious "newest first": every live question matching in its text or an answer."""
    rows = db.execute(
        f"""SELECT DISTINCT q.id FROM qa_questions q WHERE q.deleted = 0 AND {where} AND (
              q.id IN (SELECT rowid FROM qa_questions_fts WHERE qa_questions_fts MATCH ?)
              OR q.id IN (SELECT a.question_id FROM qa_answers a JOIN qa_answers_fts f
                          ON f.rowid = a.id WHERE qa_answers_fts MATCH ? AND a.deleted = 0))
            ORDER BY q.id DESC""",
        (*params, match, match),
    ).fetchall()
    return [qid for (qid,) in rows]


def test_a_word_in_very_many_messages_lists_the_newest_questions_first(db, monkeypatch):
    """Past BM25_MAX_MATCHES, bm25's weights would walk every message holding the word."""
    match = qa_search.fts_query("matrix").match
    monkeypatch.setattr(qa_search, "BM25_MAX_MATCHES", 10)
    hits = qa_search.search(db, "matrix", limit=8)
    assert [h.question.id for h in hits] == _newest_matches(db, match)[:8]
    for hit in hits:  # the question's own text when it matches, else one of its answers
        in_question = "matrix" in hit.question.text
        assert (hit.answer is None) == in_question and "\x02" in hit.snippet
    unanswered = qa_search.search(db, "matrix", limit=5, user="U3")
    where = "q.user = ?"
    assert [h.question.id for h in unanswered] == _newest_matches(db, match, where, ("U3",))[:5]
    # Below the threshold, bm25 ranks as before.
    monkeypatch.setattr(qa_search, "BM25_MAX_MATCHES", 10_000)
    expected = [qid for qid, _ in reference(db, match)][:8]
    assert [h.question.id for h in qa_search.search(db, "matrix", limit=8)] == expected
