"""Benchmarks 3 and 4: /qa search over a large archive, and composing the weekly recap.

3 times bot.core.qa_search.search exactly as /qa calls it (fts_query, 10 results with snippets) for the
queries members type, against a naive LIKE '%term%' scan of the same rows in the same repeat.
4 times bot.slack.render.posts.compose(gather("recap", …)) for a week holding `recap_questions` questions."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from bench import archive
from bench.config import Sizes
from bench.corpus import QUERIES
from bench.stats import Figure, Target
from bench.target import CHANNEL, study_clock

RESULTS = 10  # what /qa shows (bot.slack.listeners.qa_command.RESULTS)
# /qa with a filter: `unanswered <terms>`, `topic:<id> <terms>`, `mine <terms>`.
FILTERED = [
    ("unanswered", "eigenvectors"),
    ("unanswered", "kronecker"),
    ("topic", "gradient descent"),
    ("mine", "bayes"),
    ("unanswered", "floating point"),
]
FILTERED_BUDGET_S = 60.0  # stop timing filtered searches past this: the run must end by itself
YEARS_OF_ARCHIVE = 2


def _roadmap(path: Path) -> Any:
    from bot.core.roadmap_load import load

    return load(path)


def naive_like(db: sqlite_utils.Database, words: list[str]) -> list[int]:
    """The obvious search without an index: every live question or answer whose text contains
    every word, scanned in full (ranking needs all matches), as question ids."""
    where = " AND ".join(["body LIKE ?"] * len(words))
    params = [f"%{w}%" for w in words]
    rows = db.execute(
        f"SELECT id FROM qa_questions WHERE deleted = 0 AND {where}"
        f" UNION SELECT question_id FROM qa_answers WHERE deleted = 0 AND {where}",
        params * 2,
    ).fetchall()
    return [r[0] for r in rows]


def _ms(call: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1000


def archive_copy(
    sizes: Sizes,
    roadmap_path: Path,
    dest: Path,
    questions: int | None = None,
    answers: int | None = None,
) -> str:
    """The large archive (qa_questions, qa_answers over two years up to the bot's clock) at
    `dest`, from the cache when this code and these sizes built it before; returns a note.
    `questions`/`answers` override the sizes' (the scale benchmark's levels)."""
    from bot.core.db import Pool

    n_questions = sizes.qa_questions if questions is None else questions
    n_answers = sizes.qa_answers if answers is None else answers
    roadmap = _roadmap(roadmap_path)
    end = study_clock(roadmap_path).astimezone(dt.UTC)
    start = end - dt.timedelta(weeks=52 * YEARS_OF_ARCHIVE)
    topics = [t.id for t in roadmap.topics]
    key = archive.fingerprint("qa", n_questions, n_answers, start, topics)

    def build(path: Path) -> None:
        pool = Pool(path)
        try:
            archive.fill(pool.get(), n_questions, n_answers, start, end, topics)
        finally:
            pool.close()

    t0 = time.perf_counter()
    cached = archive.cached_copy(key, dest, build, n_questions + n_answers)
    took = f"{'cached' if cached else 'built'} in {time.perf_counter() - t0:.0f} s"
    built = archive.build_seconds(key)
    return f"{took}; building it took {built:.0f} s" if cached and built else took


def qa_search(sizes: Sizes, roadmap_path: Path) -> list[Figure]:
    """3: /qa's search over the large archive, plain and filtered, against a LIKE scan."""
    from bot.core import qa_search as search
    from bot.core.db import Pool

    with tempfile.TemporaryDirectory(prefix="bench-qa-") as tmp:
        path = Path(tmp) / "archive.db"
        setup = archive_copy(sizes, roadmap_path, path)
        pool = Pool(path)
        try:
            return _measure(search, pool.get(), sizes, setup)
        finally:
            pool.close()


def ingest_archive(sizes: Sizes, roadmap_path: Path) -> list[Figure]:
    """2b: benchmark 2 at the highest concurrency, with the bot's database holding the large
    archive: what ingest costs once the group has two years of questions."""
    from bench import http_bench

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        path = Path(tmp) / "archive.db"
        setup = archive_copy(sizes, roadmap_path, path)
        with http_bench.Env(roadmap_path, db=path) as env:
            figures = http_bench.ingest(
                env, sizes, bench="ingest_archive", levels=[max(sizes.concurrency)]
            )
    figures[0].note += f"; archive {setup}"
    return figures


def _measure(search: Any, db: sqlite_utils.Database, sizes: Sizes, setup: str) -> list[Figure]:
    counts = {
        table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("qa_questions", "qa_answers")
    }
    queries = [search.fts_query(text) for text in QUERIES]
    matches = {
        text: len(naive_like(db, [t.rstrip("*") for t in q.terms]))
        for text, q in zip(QUERIES, queries, strict=True)
    }
    for q in queries:  # warm the page cache, as a running bot's would be
        search.search(db, q, limit=RESULTS)
    fts_ms: list[float] = []
    like_ms: list[float] = []
    speedups: list[float] = []
    per_repeat = max(sizes.qa_queries, len(queries))
    for _ in range(sizes.repeats):
        cycle = [queries[i % len(queries)] for i in range(per_repeat)]
        this_fts = [_ms(lambda q=q: search.search(db, q, limit=RESULTS)) for q in cycle]
        # The scan is slow; once per query per repeat is enough for its median.
        this_like = [
            _ms(lambda q=q: naive_like(db, [t.rstrip("*") for t in q.terms])) for q in queries
        ]
        fts_ms += this_fts
        like_ms += this_like
        speedups.append(statistics.median(this_like) / statistics.median(this_fts))
    filtered_ms, stopped = _filtered(search, db, sizes.repeats)
    note = f"{counts['qa_questions']:,} questions, {counts['qa_answers']:,} answers ({setup})"
    detail = {"archive": counts, "matching_questions_per_query": matches}
    return [
        Figure(
            "qa_search",
            "fts_search",
            "ms",
            fts_ms,
            target=Target("<", 20.0, "p95"),
            note=note,
            extra=detail,
        ),
        Figure(
            "qa_search",
            "fts_search_filtered",
            "ms",
            filtered_ms,
            target=Target("<", 20.0, "p95"),
            note=stopped or "unanswered / topic: / mine with terms",
            extra={"queries": [" ".join(pair) for pair in FILTERED]},
        ),
        Figure("qa_search", "naive_like_scan", "ms", like_ms),
        Figure(
            "qa_search",
            "like_over_fts",
            "LIKE/FTS",
            speedups,
            higher_is_better=True,
            note="median LIKE scan / median FTS search, per repeat",
        ),
    ]


def _filtered(search: Any, db: sqlite_utils.Database, repeats: int) -> tuple[list[float], str]:
    """Each filtered query once per repeat, within FILTERED_BUDGET_S."""
    busiest = db.execute(
        "SELECT topic_id, (SELECT user FROM qa_questions WHERE user IS NOT NULL"
        "  GROUP BY user ORDER BY count(*) DESC LIMIT 1)"
        " FROM qa_questions GROUP BY topic_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    topic, user = busiest if busiest else (None, None)
    filters = {
        "unanswered": {"answered": False},
        "topic": {"topic_id": topic},
        "mine": {"user": user},
    }
    spent, times = 0.0, []
    for _ in range(repeats):
        for kind, text in FILTERED:
            query = search.fts_query(text)
            ms = _ms(lambda q=query, f=filters[kind]: search.search(db, q, limit=RESULTS, **f))
            times.append(ms)
            spent += ms / 1000
            if spent > FILTERED_BUDGET_S:
                return times, f"stopped after {len(times)} searches: {spent:.0f} s spent"
    return times, ""


def recap(sizes: Sizes, roadmap_path: Path) -> list[Figure]:
    """4: the recap for a week in which `recap_questions` questions were asked."""
    from bot.core import calendar, listings, post_plan
    from bot.core.db import Pool
    from bot.core.roadmap_load import RoadmapStore
    from bot.slack.render.posts import compose

    roadmaps = RoadmapStore(roadmap_path)
    roadmap = roadmaps.current()
    monday = study_clock(roadmap_path)
    with tempfile.TemporaryDirectory(prefix="bench-recap-") as tmp:
        pool = Pool(Path(tmp) / "recap.db")
        try:
            db = pool.get()
            cal = calendar.Calendar(
                roadmap.followed(roadmaps.track), roadmap.schedule.start, calendar.load_changes(db)
            )
            week = cal.week_of(monday.date())
            start, week_end = post_plan.week_span(week, roadmap.schedule.tz)
            due = calendar.due_at(roadmap.schedule, "recap", week)
            now = due if due is not None else week_end - dt.timedelta(hours=8)
            topic = [week.topic.id] if week.topic else []
            answers = sizes.recap_questions * sizes.recap_answers_per_question
            archive.fill(db, sizes.recap_questions, answers, start, now, topic, seed=4)
            ctx = post_plan.Context(roadmap, cal, week, db, now.astimezone(dt.UTC), CHANNEL)
            message = compose(post_plan.gather("recap", ctx))
            asked = len(listings.questions_between(db, start, ctx.now))
            runs = [
                _ms(lambda: compose(post_plan.gather("recap", ctx)))
                for _ in range(max(sizes.repeats * 10, 5))
            ]
        finally:
            pool.close()
    return [
        Figure(
            "recap",
            f"compose_{sizes.recap_questions}_questions",
            "ms",
            runs,
            target=Target("<", 100.0),
            note=f"{asked} questions that week; {len(message['blocks'])} blocks",
            extra={"questions_in_week": asked, "answers": answers},
        )
    ]
