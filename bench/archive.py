"""A realistic Q&A archive built through the archive's own functions (bot.core.questions.add_question /
add_answer) in one transaction, so the rows, triggers and FTS5 indexes are the real ones."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import inspect
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import sqlite_utils

from bench.corpus import Corpus
from bench.target import CHANNEL, ROOT

CACHE = Path(tempfile.gettempdir()) / "studybot-bench-cache"
MARKED = 0.7  # answered questions whose asker reacted ✅ (the rest stay open)
CACHE_FROM_ROWS = 10_000  # smaller archives build in a second: not worth a file left behind


def fill(
    db: sqlite_utils.Database,
    questions: int,
    answers: int,
    start: dt.datetime,
    end: dt.datetime,
    topic_ids: list[str],
    seed: int = 3,
) -> None:
    """`questions` asked evenly over [start, end), `answers` spread over them at random (about
    `answers / questions` each, some none), each answer minutes to hours after its question;
    most answered questions are marked answered by their asker."""
    from bot.core.db import transaction
    from bot.core.marks import add_mark
    from bot.core.questions import add_answer, add_question
    from bot.core.search_index import compact

    corpus = Corpus(seed)
    rng = random.Random(seed)
    per_question = [0] * questions
    for _ in range(answers):
        per_question[rng.randrange(questions)] += 1
    step = (end - start) / max(questions, 1)
    serial = 0
    marks: list[tuple[str, str, dt.datetime]] = []
    with transaction(db):
        for i in range(questions):
            asked_at = start + step * i
            serial += 1
            ts = _ts(asked_at, serial)
            message = corpus.question()
            q = add_question(
                db,
                channel=CHANNEL,
                ts=ts,
                user=message.user,
                text=message.text,
                asked_at=asked_at,
                topic_id=topic_ids[i * len(topic_ids) // questions] if topic_ids else None,
            )
            first: tuple[str, dt.datetime] | None = None
            for _ in range(per_question[i]):
                reply = corpus.answer()
                at = min(asked_at + dt.timedelta(minutes=rng.randrange(2, 600)), end)
                serial += 1
                add_answer(
                    db,
                    question_id=q.id,
                    channel=CHANNEL,
                    ts=_ts(at, serial),
                    thread_ts=ts,
                    user=reply.user,
                    text=reply.text,
                    answered_at=at,
                )
                first = first or (_ts(at, serial), at)
            if first and rng.random() < MARKED:
                marks.append((first[0], message.user, min(first[1] + dt.timedelta(hours=1), end)))
        # The asker's ✅ on the first answer: the question is answered, as most are. Added
        # after the messages (the end state is the same): when _refresh still read every mark
        # of the channel, interleaving them made the build quadratic in time.
        for item_ts, user, at in marks:
            add_mark(
                db, channel=CHANNEL, item_ts=item_ts, user=user, kind="white_check_mark", at=at
            )
    # As the bot's nightly job leaves it (bot.slack.scheduler): a group's archive is compacted
    # every night, and the benchmarks' live events then add their segments to it.
    compact(db)


def _ts(at: dt.datetime, serial: int) -> str:
    """A Slack message ts: seconds, then a 6-digit part kept unique by `serial`."""
    return f"{int(at.timestamp())}.{serial % 1_000_000:06d}"


def _builders() -> list[Path]:
    """The core modules the archive is built with (bot.core.questions, bot.core.marks and
    bot.core.search_index, and every bot.core module they import, transitively): what its rows
    depend on."""
    core = ROOT / "bot" / "core"
    todo, seen = ["questions", "marks", "search_index"], set()
    while todo:
        name = todo.pop()
        if name in seen or not (core / f"{name}.py").exists():
            continue
        seen.add(name)
        for node in ast.walk(ast.parse((core / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("bot.core."):
                    todo.append(node.module.split(".")[2])
                elif node.module == "bot.core":
                    todo += [alias.name for alias in node.names]
    return sorted(core / f"{name}.py" for name in seen)


def fingerprint(*parts: object) -> str:
    """What the built archive depends on: the schema, the code that writes it (not the code
    that searches it: a change to search is measured on the same archive), the corpus, the
    sizes."""
    digest = hashlib.sha256()
    folder = resources.files("bot.core") / "migrations"
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        digest.update(path.name.encode() + path.read_bytes())
    for path in [*_builders(), ROOT / "bench" / "corpus.py"]:
        digest.update(path.read_bytes())
    digest.update(inspect.getsource(fill).encode())
    digest.update(repr(parts).encode())
    return digest.hexdigest()[:16]


def cached_copy(key: str, dest: Path, build: Callable[[Path], None], rows: int) -> bool:
    """Copy the archive cached under `key` to `dest`, building it with build(path) first if it
    is not cached. Returns True when it came from the cache."""
    if rows < CACHE_FROM_ROWS:
        build(dest)
        return False
    cached = CACHE / f"qa-{key}.db"
    hit = cached.exists()
    if not hit:
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        t0 = time.perf_counter()
        build(partial)
        partial.replace(cached)
        _build_seconds(cached).write_text(f"{time.perf_counter() - t0:.1f}\n")
    shutil.copyfile(cached, dest)
    return hit


def _build_seconds(cached: Path) -> Path:
    return cached.with_suffix(".seconds")


def build_seconds(key: str) -> float | None:
    """How long the archive cached under `key` took to build, if it was timed."""
    try:
        return float(_build_seconds(CACHE / f"qa-{key}.db").read_text())
    except (OSError, ValueError):
        return None
