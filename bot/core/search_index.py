"""The archive's search indexes kept compact: their segments merged into one, in short steps.

Every transaction that archives a message adds a segment to each FTS5 index, and SQLite's
automatic merging leaves a dozen or more of them. A lookup seeks every segment for every word,
so "asked before" and /qa slow down with the count, not with the archive: on the two-year
archive one segment instead of sixteen made a lookup four times faster (BENCHMARKS.md). The
nightly job (bot.slack.scheduler) merges them with FTS5's own 'merge' command, a bounded
amount of work per transaction, so a message arriving meanwhile waits one step at most.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlite_utils

from bot.core.db import transaction

FTS_TABLES = ("qa_questions_fts", "qa_answers_fts", "qa_answered_fts")
# Pages (about 4 KB) merged per transaction: a step holds the write lock for tens of ms.
STEP_PAGES = 256


def compact(db: sqlite_utils.Database) -> int:
    """Merge each index into one segment; returns the steps taken (a compact index costs one
    step that does nothing)."""
    return sum(1 for _ in merge_steps(db))


def merge_steps(db: sqlite_utils.Database) -> Iterator[bool]:
    """The merge of every index, one step each time it is advanced (True when that step found
    its index done), each index within its step budget. The nightly job advances it with a
    pause between steps (bot.slack.scheduler)."""
    for table in FTS_TABLES:
        for _ in range(step_budget(db, table)):
            done = merge_step(db, table)
            yield done
            if done:
                break


def step_budget(db: sqlite_utils.Database, table: str) -> int:
    """Steps enough to merge the index `table` as it is now, twice over: while messages keep
    arriving each step finds a new segment to merge, and "done" might never come. What is
    left when the budget is spent waits for the next night."""
    pages = int(db.execute(f"SELECT count(*) FROM {_checked(table)}_data").fetchone()[0])
    return 2 * (pages // STEP_PAGES + 1) + 1


def merge_step(db: sqlite_utils.Database, table: str) -> bool:
    """Merge up to STEP_PAGES pages of the index `table`, in a transaction of its own; True
    when there was nothing left to merge."""
    _checked(table)
    with transaction(db) as conn:
        before = conn.total_changes
        # A negative page count merges across levels, down to one segment; FTS5 says a step
        # that changed fewer than two rows found nothing left to merge.
        conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('merge', ?)", (-STEP_PAGES,))
        return conn.total_changes - before < 2


def segments(db: sqlite_utils.Database, table: str) -> int:
    """How many segments the index `table` has (each is a seek per word looked up)."""
    return int(db.execute(f"SELECT count(DISTINCT segid) FROM {_checked(table)}_idx").fetchone()[0])


def _checked(table: str) -> str:
    """`table`, one of the search indexes (its name goes into SQL)."""
    if table not in FTS_TABLES:
        raise ValueError(f"not a search index: {table}")
    return table
