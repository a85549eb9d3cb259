"""`studybot browse`: the archive in Datasette, read-only, its canned queries and search,
driven through Datasette's own in-process client."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli import browse
from bot.core.roadmap_load import load
from tests.qa_kit import ASKER, HELPER, OTHER, QA_ROADMAP, reply, say

ROADMAP = load(QA_ROADMAP)


def get(ds: Any, path: str) -> Any:
    async def fetch() -> Any:
        return await ds.client.get(path)

    return asyncio.run(fetch())


def rows(ds: Any, db: str, query: str, **params: str) -> list[dict[str, Any]]:
    qs = "".join(f"&{k}={v}" for k, v in params.items())
    response = get(ds, f"/{db}/{query}.json?_shape=array{qs}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def browsed(qa_box, archive) -> tuple[Any, str]:
    """The `archive` fixture's questions, plus answers that rank the members."""
    q = say(qa_box, OTHER, "Is the SVD the same as PCA?")
    reply(qa_box, q, HELPER, "PCA is the SVD of centered data")
    reply(qa_box, q, OTHER, "Thanks, and what about whitening?")  # one's own: not counted
    path = qa_box.settings.db_path
    return browse.archive(path, ROADMAP), Path(path).stem


def test_unanswered_questions_by_topic_show_the_topic_titles(browsed) -> None:
    ds, db = browsed
    found = rows(ds, db, "unanswered_by_topic")
    questions = [r["question"] for r in found]
    assert "Why does backprop use the chain rule?" in questions
    assert not any("eigenvalues of a 3x3" in q for q in questions)  # answered: not listed
    titles = {t.id: t.title for t in ROADMAP.topics}
    assert {r["topic"] for r in found} <= set(titles.values()) | {"(no topic)"}


def test_the_faq_has_the_accepted_answer(browsed) -> None:
    ds, db = browsed
    (entry,) = rows(ds, db, "faq_by_topic")
    assert "eigenvalues of a 3x3" in entry["question"]
    assert "characteristic polynomial" in entry["answer"]


def test_questions_per_week_count_answered_and_open(browsed) -> None:
    ds, db = browsed
    weeks = rows(ds, db, "questions_per_week")
    assert sum(w["questions"] for w in weeks) == 4
    assert sum(w["answered"] for w in weeks) == 1 and sum(w["open"] for w in weeks) == 3


def test_members_who_answered_most(browsed) -> None:
    ds, db = browsed
    ranked = rows(ds, db, "top_answerers")
    assert ranked[0]["member"] == HELPER and ranked[0]["answers"] == 3
    assert ranked[0]["accepted"] == 1
    assert OTHER not in [r["member"] for r in ranked]  # answered only their own question
    assert ASKER not in [r["member"] for r in ranked]


def test_search_uses_the_fts_index_on_questions_and_answers(browsed) -> None:
    ds, db = browsed
    by_question = rows(ds, db, "search", q="eigenvalues")
    assert [r["question"] for r in by_question][0].startswith("How do I compute eigenvalues")
    by_answer = rows(ds, db, "search", q="composition")  # only in an answer
    assert [r["question"] for r in by_answer] == ["Why does backprop use the chain rule?"]
    assert rows(ds, db, "search", q="") == []
    assert rows(ds, db, "search", q='" AND NEAR(') == []  # FTS syntax is searched, not obeyed
    # The table page's search box goes through the same index.
    table = get(ds, f"/{db}/qa_questions.json?_search=backprop&_shape=array").json()
    assert [r["body"] for r in table] == ["Why does backprop use the chain rule?"]


def test_the_archive_is_read_only(browsed, qa_box) -> None:
    ds, db = browsed
    before = qa_box.deps.db.execute("SELECT count(*) FROM qa_questions").fetchone()[0]
    response = get(ds, f"/{db}.json?sql=DELETE+FROM+qa_questions")
    assert response.status_code >= 400
    conn = ds.databases[db].connect()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM qa_questions")
    after = qa_box.deps.db.execute("SELECT count(*) FROM qa_questions").fetchone()[0]
    assert before == after


def test_every_canned_query_runs_on_an_empty_archive_without_a_roadmap(box) -> None:
    ds = browse.archive(box.settings.db_path, None)
    db = Path(box.settings.db_path).stem
    for name in browse.QUERIES:
        assert rows(ds, db, name, **({"q": "x"} if name == "search" else {})) == []
    index = get(ds, f"/{db}.json").json()
    assert set(browse.QUERIES) <= {q["name"] for q in index["queries"]}


def test_without_datasette_one_line_says_how_to_install_it(box, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "datasette", None)
    monkeypatch.setitem(sys.modules, "datasette.app", None)
    err = io.StringIO()
    assert browse.command(box.settings, open_browser=False, err=err) == 1
    assert err.getvalue().strip().splitlines() == [browse.INSTALL]


def test_browse_needs_an_existing_database(box, tmp_path: Path) -> None:
    from dataclasses import replace

    err = io.StringIO()
    missing = replace(box.settings, db_path=str(tmp_path / "none.db"))
    assert browse.command(missing, open_browser=False, err=err) == 1
    assert "no database" in err.getvalue() and not (tmp_path / "none.db").exists()
