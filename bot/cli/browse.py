"""`studybot browse`: the Q&A archive read-only in Datasette, with canned queries and search."""

from __future__ import annotations

import sys
import threading
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.core.questions import answered_sql
from bot.core.roadmap import Roadmap, RoadmapError
from bot.core.settings import Settings

if TYPE_CHECKING:
    from datasette.app import Datasette

INSTALL = "studybot browse needs Datasette: pip install 'studybot[browse]'"
# The archive's full-text indexes (bot/core/migrations/0300_qa.sql), kept by triggers.
QUESTIONS_FTS = "qa_questions_fts"
ANSWERS_FTS = "qa_answers_fts"

# Every query sees a `topics` table built from the roadmap (id, title, position), so
# questions show their topic's title, in the roadmap's order.
_TOPIC = "coalesce(t.title, q.topic_id, '(no topic)')"
_ORDER = "coalesce(t.position, 1000000), q.topic_id"

QUERIES: dict[str, dict[str, str]] = {
    "unanswered_by_topic": {
        "title": "Unanswered questions by topic",
        "description": "Open questions (no ✅ from the asker or an organizer), oldest first.",
        "sql": f"""
SELECT {_TOPIC} AS topic, q.asked_at, q.body AS question, q.answer_count AS replies,
       q.permalink
FROM qa_questions q LEFT JOIN topics t ON t.id = q.topic_id
WHERE q.deleted = 0 AND {answered_sql(False, "q.")}
ORDER BY {_ORDER}, q.asked_at""",
    },
    "faq_by_topic": {
        "title": "The FAQ by topic",
        "description": "Answered questions with the accepted answer (else the first one).",
        "sql": f"""
SELECT {_TOPIC} AS topic, q.body AS question,
       coalesce(accepted.body, (SELECT a.body FROM qa_answers a WHERE a.question_id = q.id
                                AND a.deleted = 0 ORDER BY a.ts LIMIT 1)) AS answer,
       q.asked_at, q.permalink
FROM qa_questions q LEFT JOIN topics t ON t.id = q.topic_id
LEFT JOIN qa_answers accepted ON accepted.question_id = q.id
     AND accepted.ts = q.accepted_answer_ts AND accepted.deleted = 0
WHERE q.deleted = 0 AND {answered_sql(True, "q.")}
ORDER BY {_ORDER}, q.asked_at""",
    },
    "questions_per_week": {
        "title": "Questions per week",
        "description": "By the group's calendar week (its Monday), with how many were answered.",
        "sql": f"""
SELECT coalesce(q.week, date(q.asked_at, '-6 days', 'weekday 1')) AS week,
       group_concat(DISTINCT {_TOPIC}) AS topics, count(*) AS questions,
       sum({answered_sql(True, "q.")}) AS answered, sum({answered_sql(False, "q.")}) AS open
FROM qa_questions q LEFT JOIN topics t ON t.id = q.topic_id
WHERE q.deleted = 0
GROUP BY 1 ORDER BY 1""",
    },
    "top_answerers": {
        "title": "Members who answered most",
        "description": "Answers to other members' questions (one's own do not count).",
        "sql": """
SELECT a.user AS member, count(*) AS answers,
       sum(a.ts = q.accepted_answer_ts) AS accepted, count(DISTINCT a.question_id) AS questions,
       max(a.answered_at) AS last_answer
FROM qa_answers a JOIN qa_questions q ON q.id = a.question_id
WHERE a.deleted = 0 AND q.deleted = 0 AND (q.user IS NULL OR q.user != a.user)
GROUP BY a.user ORDER BY answers DESC, accepted DESC, a.user
LIMIT 100""",
    },
    "search": {
        "title": "Search questions and answers",
        "description": "Full-text search (the index /qa uses): questions whose text or answers match.",
        "sql": f"""
WITH hits(id, rank) AS (
    SELECT rowid, rank FROM {QUESTIONS_FTS}
    WHERE :q != '' AND {QUESTIONS_FTS} MATCH escape_fts(:q)
    UNION ALL
    SELECT a.question_id, f.rank FROM {ANSWERS_FTS} f JOIN qa_answers a ON a.id = f.rowid
    WHERE :q != '' AND {ANSWERS_FTS} MATCH escape_fts(:q) AND a.deleted = 0
)
SELECT {_TOPIC} AS topic, q.body AS question, q.status, q.answer_count AS replies,
       q.asked_at, q.permalink
FROM hits h JOIN qa_questions q ON q.id = h.id LEFT JOIN topics t ON t.id = q.topic_id
WHERE q.deleted = 0
GROUP BY q.id ORDER BY min(h.rank), q.asked_at DESC
LIMIT 200""",
    },
}


def _literal(value: str | int) -> str:
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def topics_cte(roadmap: Roadmap | None) -> str:
    """`WITH topics(id, title, position) AS (…)`: the roadmap's topics, in its order."""
    rows = [
        f"({_literal(t.id)}, {_literal(' '.join(t.title.split()))}, {i})"
        for i, t in enumerate(roadmap.topics if roadmap else (), start=1)
    ]
    body = f"VALUES {', '.join(rows)}" if rows else "SELECT NULL, NULL, NULL WHERE 0"
    return f"WITH topics(id, title, position) AS ({body})"


def _with_topics(sql: str, cte: str) -> str:
    sql = sql.strip()
    if sql.startswith("WITH "):  # join the query's own common table expressions
        return f"{cte},\n{sql[len('WITH ') :]}"
    return f"{cte}\n{sql}"


def metadata(name: str, roadmap: Roadmap | None) -> dict[str, Any]:
    """Datasette's metadata for the archive named `name`: titles, the canned queries, and
    full-text search on the questions and answers tables."""
    cte = topics_cte(roadmap)
    title = f"{roadmap.title}: the Q&A archive" if roadmap else "Study Companion: the Q&A archive"
    return {
        "title": title,
        "description": "Read-only: the bot's database, opened so that nothing here can change it.",
        "databases": {
            name: {
                "queries": {
                    key: {**query, "sql": _with_topics(query["sql"], cte)}
                    for key, query in QUERIES.items()
                },
                "tables": {
                    "qa_questions": {
                        "fts_table": QUESTIONS_FTS,
                        "fts_pk": "id",
                        "sort_desc": "asked_at",
                        "label_column": "body",
                    },
                    "qa_answers": {
                        "fts_table": ANSWERS_FTS,
                        "fts_pk": "id",
                        "sort_desc": "answered_at",
                    },
                },
            }
        },
    }


def archive(db_path: str, roadmap: Roadmap | None) -> Datasette:
    """A Datasette over the archive, read-only: the file opened with `mode=ro`, which is
    consistent while the bot writes to it (immutable mode would assume it never changes)."""
    from datasette.app import Datasette

    name = Path(db_path).stem
    return Datasette(files=[db_path], metadata=metadata(name, roadmap))


def _roadmap(settings: Settings) -> Roadmap | None:
    from bot.core.roadmap_load import load

    try:
        return load(settings.roadmap_path)
    except (RoadmapError, OSError):
        return None  # topics show by id


def command(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8001,
    open_browser: bool = True,
    err: TextIO | None = None,
) -> int:
    """Serve the archive until Ctrl-C. Exit 1 without Datasette (one line: how to get it) or
    without a database."""
    err = err or sys.stderr
    try:
        import uvicorn
        from datasette.app import Datasette  # noqa: F401 (is it installed?)
    except ModuleNotFoundError:
        print(INSTALL, file=err)
        return 1
    path = Path(settings.db_path)
    if not path.is_file():
        print(f"studybot browse: no database at {path} (STUDYBOT_DB)", file=err)
        return 1
    ds = archive(str(path), _roadmap(settings))
    url = f"http://{host}:{port}/{path.stem}"
    print(f"The archive, read-only, at {url} (Ctrl-C to stop)", file=err)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
    return 0
