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


SQLITE_HEADER = b"SQLite format 3\x00"
# Files SQLite keeps beside a database: they belong to it, and writing one breaks it.
SIDE_FILES = ("-wal", "-shm", "-journal")


def _beside(path: Path, suffix: str) -> Path:
    """`path` with `suffix` added to its name (its -wal, its .partial)."""
    return path.with_name(path.name + suffix)


def _discard(partial: Path) -> None:
    """Remove a copy that was not finished, and the journal SQLite may have left with it."""
    for file in (partial, _beside(partial, "-journal")):
        file.unlink(missing_ok=True)


def _copy(source: sqlite3.Connection, dest: Path) -> None:
    """Copy `source` into a new file at `dest`, atomically: a crash leaves no half copy there."""
    _move_in(_partial_copy(source, dest), dest)


def _partial_copy(source: sqlite3.Connection, dest: Path) -> Path:
    """A complete copy of `source` beside `dest`, for _move_in(); nothing is left on failure."""
    partial = _beside(dest, ".partial")
    partial.unlink(missing_ok=True)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target, pages=PAGES_PER_STEP)
            # One self-contained file (no -wal beside it), so it can be moved or uploaded as is.
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    except BaseException:
        _discard(partial)
        raise
    return partial


def _move_in(partial: Path, dest: Path) -> None:
    """Put a finished copy at `dest` (one rename); on failure the copy is removed."""
    try:
        os.replace(partial, dest)
    except BaseException:
        _discard(partial)
        raise


def not_studybot(path: Path) -> str | None:
    """Why the file at `path` is not a studybot database (a phrase), or None when it is."""
    if path.stat().st_size == 0:
        return "is empty"
    with path.open("rb") as f:
        if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return "is not an SQLite database"
    try:
        missing, _newer = health.migration_state(path)
    except sqlite3.DatabaseError as exc:
        return f"is damaged ({exc})"
    # Every studybot database records its migrations, starting with the first one.
    if migration_steps()[0][0] in missing:
        return "is an SQLite database, but not a studybot one (no studybot migrations in it)"
    return None


def _check_destination(src: Path, out: Path) -> None:
    """Refuse a backup that would overwrite the database, a file beside it, or a file that is
    not an earlier backup (a roadmap, anyone's other data)."""
    live = src.resolve()
    if out.resolve() == live or (out.exists() and os.path.samefile(out, src)):
        raise BackupError("the backup must go to another file than the database")
    for suffix in SIDE_FILES:
        if out.resolve() == _beside(live, suffix):
            raise BackupError(
                f"{out} is the database's own {suffix} file; name the backup something else"
            )
    if out.is_dir():
        raise BackupError(f"{out} is a folder; name the backup file")
    if not out.exists():
        return
    if not out.is_file():
        raise BackupError(f"{out} is not a regular file; name the backup file")
    problem = None if out.stat().st_size == 0 else not_studybot(out)
    if problem:
        raise BackupError(
            f"{out} already exists and {problem}; not overwriting it (choose another name)"
        )
    if any(_beside(out, s).exists() for s in ("-wal", "-journal")):
        # Stale sidecars would be read as the new copy's own and break it.
        raise BackupError(
            f"{out} is in use (its -wal or -journal is beside it); choose another name"
        )


def backup(db_path: str | Path, dest: str | Path) -> Path:
    """A consistent copy of the database at `dest`, taken while others may be writing."""
    src, out = Path(db_path), Path(dest)
    if not src.exists():
        raise BackupError(f"{src} does not exist")
    if not src.is_file():
        raise BackupError(f"{src} is not a database file")
    _check_destination(src, out)
    try:
        source = read_only(src)
    except sqlite3.Error as exc:
        raise BackupError(f"could not open {src}: {exc}") from None
    try:
        _copy(source, out)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"could not copy {src} to {out}: {exc}") from None
    finally:
        source.close()
    return out


def restore(backup_file: str | Path, db_path: str | Path) -> Path | None:
    """Put `backup_file` in place of the database, after checking it is intact and known; the
    database it replaces is kept beside it (returned), so a restore can be undone."""
    src, db = Path(backup_file), Path(db_path)
    if not src.is_file():
        raise BackupError(f"{src} does not exist" if not src.exists() else f"{src} is not a file")
    if db.is_dir():
        raise BackupError(f"{db} is a folder, not the database file")
    if db.exists() and os.path.samefile(src, db):
        raise BackupError(f"{src} is the database itself; restore a backup of it instead")
    problem = not_studybot(src)
    if problem:
        raise BackupError(f"{src} {problem}; choose a file written by `studybot backup`")
    problems = health.integrity_problems(src)
    if problems:
        raise BackupError(f"{src} is damaged ({problems[0]}); choose another backup")
    _missing, unknown = health.migration_state(src)
    if unknown:
        raise BackupError(f"{src} was written by a newer studybot ({', '.join(unknown)})")
    # The copy is made first: the database is moved aside only once its replacement is whole.
    source = read_only(src)
    try:
        partial = _partial_copy(source, db)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"could not copy {src}: {exc}") from None
    finally:
        source.close()
    try:
        kept = _set_aside(db) if db.exists() else None
    except OSError as exc:
        _discard(partial)
        raise BackupError(f"could not move {db} aside: {exc}") from None
    _move_in(partial, db)
    return kept


def _set_aside(db: Path) -> Path:
    """Move the database (and its -wal, -shm) to a new name beside it, never over a file."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    kept, n = _beside(db, f".before-restore-{stamp}"), 1
    # Two restores within a second would otherwise share the name and lose the first's copy.
    while any(_beside(kept, s).exists() for s in ("", *SIDE_FILES)):
        n += 1
        kept = _beside(db, f".before-restore-{stamp}-{n}")
    os.replace(db, kept)
    for suffix in ("-wal", "-shm"):  # they belong to the file just moved aside
        side = _beside(db, suffix)
        if side.exists():
            os.replace(side, _beside(kept, suffix))
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
