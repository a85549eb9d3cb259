"""Is the database fit to keep what Slack sends? Cheap probes for start-up and readiness."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

from bot.core.db import Pool, migration_steps, read_only, read_write, transaction

# SQLite's primary result codes for a damaged file (extended codes keep them in the low byte).
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
# Start-up checks the whole file when that is quick; on a large archive it stops after this
# long (a full check is `studybot doctor`'s job), so a restart stays fast.
STARTUP_CHECK_SECONDS = 1.0
# Below this much free disk the next write may fail: not ready, before it does.
MIN_FREE_BYTES = 8 * 1024 * 1024
# How long the readiness probe waits for another writer: a platform's probe gives up after a
# second or a few, and a database held that long cannot take Slack's events either.
READY_WAIT_SECONDS = 1.0
# How long `studybot doctor` waits for another process's write lock before calling it held.
LOCK_PROBE_SECONDS = 3.0
RESTORE_HINT = (
    "check it with `studybot doctor`; restore a backup (`studybot restore FILE`) "
    "or recover what is readable with `sqlite3 BROKEN.db .recover | sqlite3 NEW.db`"
)


def is_damage(error: BaseException) -> bool:
    """True when SQLite says the file itself is damaged (not busy, not full, not read-only)."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(error).lower()
    return "malformed" in text or "not a database" in text


SQLITE_BUSY, SQLITE_LOCKED = 5, 6
# SQLite's primary result codes that say the database cannot serve right now (busy, locked,
# read-only, I/O error, damaged, full, cannot open, not a database): the state of the file,
# not a bug in a query.
_UNAVAILABLE = {SQLITE_BUSY, SQLITE_LOCKED, 8, 10, SQLITE_CORRUPT, 13, 14, SQLITE_NOTADB}


def is_locked(error: BaseException) -> bool:
    """Another writer holds the database: SQLite's busy or locked, by its code or, where there
    is none (this process's own writers' queue refusing, bot.core.db.transaction), its text."""
    if not isinstance(error, sqlite3.Error):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    return (code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)) or (
        "locked" in str(error)
    )


def unavailable(error: BaseException) -> str | None:
    """What is wrong with the database when `error` says it cannot serve right now (damaged,
    locked, full, read-only, removed), in a few words; None for anything else (a bug)."""
    if not isinstance(error, sqlite3.DatabaseError):
        return None
    if is_damage(error):
        return f"database damaged ({error}); {RESTORE_HINT}"
    code = getattr(error, "sqlite_errorcode", None)
    text = str(error)
    if (code is not None and code & 0xFF in _UNAVAILABLE) or (
        code is None and ("locked" in text or "the database file" in text)
    ):
        return f"database unavailable ({text})"
    return None


class Health:
    """What this process has seen of its database: the first sign of damage is kept, so the
    readiness check stays false until an operator restores the file and restarts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._damage: str | None = None

    def saw(self, error: BaseException) -> bool:
        """Remember `error` if it is damage; True if it was (the caller answers 503)."""
        if not is_damage(error):
            return False
        with self._lock:
            if self._damage is None:
                self._damage = f"database damaged: {error}"
        return True

    @property
    def damage(self) -> str | None:
        """Why the database is known to be damaged, or None."""
        return self._damage


def startup_problem(path: str | Path, budget: float = STARTUP_CHECK_SECONDS) -> str | None:
    """Why the bot must not start on this file, or None: it cannot be written, or a quick
    integrity check (bounded by `budget` seconds) finds damage."""
    file = Path(path)
    folder = file.resolve().parent
    if file.is_dir():
        return f"{file} is a folder; name the database file (e.g. {file / 'studybot.db'})"
    if file.exists() and not os.access(file, os.W_OK):
        return f"{file} is read-only for this user; the bot must write to it"
    if not os.access(folder, os.W_OK):
        return f"{folder} is not writable; SQLite keeps its journal next to the database"
    if not file.exists():
        return None
    conn = sqlite3.connect(str(file), timeout=10)
    try:
        deadline = time.monotonic() + budget
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                return None  # a large file: checked as far as the budget allows
            raise
        except sqlite3.DatabaseError as exc:
            return f"{file} is damaged ({exc}); {RESTORE_HINT}"
        problems = [" ".join(r[0].split()) for r in rows if r[0] != "ok"]
        if problems:
            return f"{file} is damaged ({problems[0]}); {RESTORE_HINT}"
    finally:
        conn.close()
    return None


def readiness_problem(pool: Pool, health: Health, min_free: int = MIN_FREE_BYTES) -> str | None:
    """Why the bot cannot keep what Slack sends right now, or None: damage seen at run time,
    the file removed or replaced under it (asked before a connection is taken: a new one
    would create an empty file), a disk nearly full, or a write that fails (read-only, full,
    damaged)."""
    if health.damage:
        return health.damage
    replaced = pool.replaced()
    if replaced is not None:
        return replaced
    db = pool.get()
    folder = Path(pool.path).resolve().parent
    free = shutil.disk_usage(folder).free
    if free < min_free:
        return f"disk nearly full: {free // 1024} KiB free in {folder}"
    try:
        with transaction(db, wait=READY_WAIT_SECONDS) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO kv (key, value) VALUES ('readyz', ?)",
                (dt.datetime.now(dt.UTC).isoformat(),),
            )
    except sqlite3.DatabaseError as exc:
        health.saw(exc)
        if is_locked(exc):
            return f"database locked: another process or connection is writing to it ({exc})"
        return f"database not writable: {exc}"
    return None


def write_lock_problem(path: str | Path, wait: float = LOCK_PROBE_SECONDS) -> str | None:
    """Whether another connection keeps the file's write lock longer than `wait` seconds (a
    running bot holds it for a batch, milliseconds), or None. Nothing is written."""
    conn = read_write(path, wait)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if is_locked(exc):
            return f"locked: another process has held its write lock for over {wait:.0f} s ({exc})"
        raise
    finally:
        conn.close()
    return None


def integrity_problems(path: str | Path, limit: int = 10) -> list[str]:
    """SQLite's full `integrity_check` (every page, every index entry): its complaints, or []
    when the file is intact. Slow on a large archive: `studybot doctor` runs it, not start-up."""
    conn = read_only(path)
    try:
        rows = conn.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [" ".join(r[0].split()) for r in rows if r[0] != "ok"]


def migration_state(path: str | Path) -> tuple[list[str], list[str]]:
    """(migrations this code ships that the file lacks, migrations the file has that this code
    does not know: a newer version wrote it)."""
    shipped = [name for name, _ in migration_steps()]
    conn = read_only(path)
    try:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
        ).fetchone()
        applied = [r[0] for r in conn.execute("SELECT name FROM migrations")] if has_table else []
    finally:
        conn.close()
    return [n for n in shipped if n not in applied], [n for n in applied if n not in shipped]
