"""Consistent copies of the database while the bot runs (SQLite's online backup), and putting one back."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from bot.core import health
from bot.core.db import migration_steps, read_only

PAGES_PER_STEP = 1024  # copy in steps, so the bot's writers wait milliseconds, not the whole copy


class BackupError(Exception):
    """The copy could not be made or put back; the message says why, in one line."""


def _copy(source: sqlite3.Connection, dest: Path) -> None:
    """Copy `source` into a new file at `dest`, atomically: a crash leaves no half copy there."""
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    target = sqlite3.connect(partial)
    try:
        source.backup(target, pages=PAGES_PER_STEP)
        # One self-contained file (no -wal beside it), so it can be moved or uploaded as is.
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
    os.replace(partial, dest)


def backup(db_path: str | Path, dest: str | Path) -> Path:
    """A consistent copy of the database at `dest`, taken while others may be writing."""
    src, out = Path(db_path), Path(dest)
    if not src.exists():
        raise BackupError(f"{src} does not exist")
    if out.resolve() == src.resolve():
        raise BackupError("the backup must go to another file than the database")
    if out.is_dir():
        raise BackupError(f"{out} is a folder; name the backup file")
    source = read_only(src)
    try:
        _copy(source, out)
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy {src}: {exc}") from None
    finally:
        source.close()
    return out


def restore(backup_file: str | Path, db_path: str | Path) -> Path | None:
    """Put `backup_file` in place of the database, after checking it is intact and known; the
    database it replaces is kept beside it (returned), so a restore can be undone."""
    src, db = Path(backup_file), Path(db_path)
    if not src.is_file():
        raise BackupError(f"{src} does not exist")
    problems = health.integrity_problems(src)
    if problems:
        raise BackupError(f"{src} is damaged ({problems[0]}); choose another backup")
    _missing, unknown = health.migration_state(src)
    if unknown:
        raise BackupError(f"{src} was written by a newer studybot ({', '.join(unknown)})")
    kept = None
    if db.exists():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = db.with_name(f"{db.name}.before-restore-{stamp}")
        os.replace(db, kept)
        for suffix in ("-wal", "-shm"):  # they belong to the file just moved aside
            side = db.with_name(db.name + suffix)
            if side.exists():
                os.replace(side, kept.with_name(kept.name + suffix))
    source = read_only(src)
    try:
        _copy(source, db)
    finally:
        source.close()
    return kept


def before_migrations(db_path: str | Path) -> Path | None:
    """Back the database up next to itself when this version will migrate it (upgrades only go
    forward; the copy is the way back). None when nothing is to be migrated."""
    db = Path(db_path)
    if not db.exists():
        return None
    missing, _unknown = health.migration_state(db)
    if not missing:
        return None
    applied_any = len(missing) < len(migration_steps())
    if not applied_any:
        return None  # an empty file: nothing to keep
    dest = db.with_name(f"{db.name}.before-{missing[0].removesuffix('.sql')}")
    return backup(db, dest)
