"""Damaging a database file as a failing disk would (support for the damaged-database tests)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path


def damage_event_index(db_path: Path, seed: int = 7) -> None:
    """Random bytes over the root page of the event-dedupe index. The WAL is checkpointed and
    reset first, so every connection reads the damaged page from the file at its next
    transaction."""
    damage_root_page(
        db_path,
        "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events_seen'",
        seed,
    )


def damage_table(db_path: Path, table: str, seed: int = 7) -> None:
    """Random bytes over the root page of `table` (as damage_event_index)."""
    damage_root_page(
        db_path,
        f"SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = '{table}'",
        seed,
    )


def damage_root_page(db_path: Path, which: str, seed: int = 7) -> None:
    """Random bytes over the root page that the query `which` names (see damage_event_index)."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute(which).fetchone()
    conn.close()
    with open(db_path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(random.Random(seed).randbytes(page_size))
