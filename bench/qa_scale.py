"""Benchmark 8: how /qa and "asked before" grow with the archive (issue 18, goal 4).

At each level (10k, 100k and 1M questions by default, three answers each) the archive is built
through the core's own functions (bench/archive.py, cached), then timed: `qa_search.search` as
/qa calls it for the queries members type, and `similar.similar_answered` (the "asked before"
lookup) for the newest questions; the database's size on disk is reported alongside."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.config import Sizes
from bench.corpus import QUERIES
from bench.qa_bench import RESULTS, archive_copy
from bench.stats import Figure, Target

ASKED_BEFORE_SAMPLE = 50  # newest questions whose "asked before" lookup is timed, per repeat


def _label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _ms(call: object) -> float:
    t0 = time.perf_counter()
    call()  # type: ignore[operator]
    return (time.perf_counter() - t0) * 1000


def qa_scale(sizes: Sizes, roadmap: Path) -> list[Figure]:
    """8: search time, asked-before time and database size at each of `sizes.scale_levels`."""
    from bot.core import qa_search, similar
    from bot.core.db import Pool
    from bot.core.questions import get_question

    figures: list[Figure] = []
    for level in sizes.scale_levels:
        label = _label(level)
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            path = Path(tmp) / "archive.db"
            setup = archive_copy(sizes, roadmap, path, questions=level, answers=3 * level)
            size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
            pool = Pool(path)
            try:
                db = pool.get()
                queries = [qa_search.fts_query(text) for text in QUERIES]
                ids = [
                    r[0]
                    for r in db.execute(
                        "SELECT id FROM qa_questions ORDER BY id DESC LIMIT ?",
                        (ASKED_BEFORE_SAMPLE,),
                    ).fetchall()
                ]
                asked = [q for q in (get_question(db, i) for i in ids) if q is not None]
                for q in queries:  # warm the page cache, as a running bot's would be
                    qa_search.search(db, q, limit=RESULTS)
                search_ms: list[float] = []
                similar_ms: list[float] = []
                for _ in range(sizes.repeats):
                    search_ms += [
                        _ms(lambda q=q, db=db: qa_search.search(db, q, limit=RESULTS))
                        for q in queries
                    ]
                    similar_ms += [
                        _ms(lambda q=q, db=db: similar.similar_answered(db, q)) for q in asked
                    ]
            finally:
                pool.close()
        big = level >= 1_000_000
        note = f"{level:,} questions, {3 * level:,} answers ({setup})"
        figures += [
            Figure(
                "qa_scale",
                f"search_{label}",
                "ms",
                search_ms,
                target=Target("<", 20.0, "p95") if big else None,
                note=note,
            ),
            Figure(
                "qa_scale",
                f"asked_before_{label}",
                "ms",
                similar_ms,
                target=Target("<", 5.0, "p95") if big else None,
            ),
            Figure("qa_scale", f"db_size_{label}", "MB", [size_mb]),
        ]
    return figures
