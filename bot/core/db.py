"""The SQLite database: one connection per thread, WAL, busy timeout, schema by migrations."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.checkpoints import BACKSTOP_PAGES, Checkpoints

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


def connect(path: str | Path, create: bool = True) -> sqlite_utils.Database:
    """Open the database file with the pragmas every connection needs (`create=False`: only
    if the file is there; SQLite would otherwise make an empty one)."""
    conn = sqlite3.connect(
        str(path) if create else _uri(path, "rw"),
        uri=not create,
        timeout=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=False,
        isolation_level=None,  # autocommit; explicit transactions via `with transaction(db):`
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _wal(conn)
    # WAL + NORMAL survives a process crash (kill -9) without losing committed transactions.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Imported at the first connection, not with this module: the HTTP server's readiness
    # check names this module, and /healthz answers before the database is opened.
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    db.writer_lock = writer_lock(str(Path(path).resolve()))  # type: ignore[attr-defined]
    return db


def read_only(path: str | Path, timeout: float = 10.0) -> sqlite3.Connection:
    """A read-only connection to the file at `path`, safe while others write to it."""
    return sqlite3.connect(_uri(path, "ro"), uri=True, timeout=timeout)


def read_write(path: str | Path, timeout: float) -> sqlite3.Connection:
    """A plain connection to the existing file at `path` (never created), in autocommit
    mode: for probes that take a lock themselves."""
    return sqlite3.connect(_uri(path, "rw"), uri=True, timeout=timeout, isolation_level=None)


def _uri(path: str | Path, mode: str) -> str:
    """The file's SQLite URI with `mode` (ro, rw: never created). A URI reads `?`, `#` and
    `%` in a file name as its own syntax (an unescaped `a#1.db` opens `a`); as_uri() escapes
    them."""
    return Path(path).resolve().as_uri() + f"?mode={mode}"


def _wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL (kept in the file). Processes opening a new file at once may find it
    locked while another switches it, and SQLite answers that at once, without its busy
    handler: ask again for as long as the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def migration_steps() -> list[tuple[str, str]]:
    """(name, sql) of every migration shipped in bot/core/migrations, in name order."""
    folder = resources.files("bot.core") / "migrations"
    steps = [(p.name, p.read_text(encoding="utf-8")) for p in folder.iterdir()]
    return sorted((name, sql) for name, sql in steps if name.endswith(".sql"))


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet applied; safe when two processes start at once."""
    conn = db.conn
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations ("
        " name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
    )
    applied: list[str] = []
    for name, sql in migration_steps():
        # BEGIN IMMEDIATE takes the write lock first, so a second process waits, then skips.
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone()
            if not done:
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO migrations (name) VALUES (?)", (name,))
                applied.append(name)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return [s for s in statements if s.strip(" ;\n")]


class DatabaseGone(sqlite3.OperationalError):
    """The database file was removed or replaced while the bot ran; the message says what to
    do (the operator's to fix, not a bug)."""


class Pool:
    """One connection per thread: Bolt runs listeners on a thread pool.

    `checkpoints`: the connections checkpoint the WAL in their commits only as a backstop; a
    thread of the pool's does, after them (bot/core/checkpoints.py). For a process that runs
    on (`studybot run`); a command that writes and exits leaves it to SQLite."""

    def __init__(self, path: str | Path, checkpoints: bool = False) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite_utils.Database] = []
        self._identity: tuple[int, int] | None = None  # the file opened (set once migrated)
        self._rescue_path: str | None = None  # where a removed file's data goes
        self._rescued = False  # copied once already (close() copies again)
        self._checkpoints = Checkpoints(self._checkpoint) if checkpoints else None
        try:
            migrate(self.get())
        except BaseException:
            if self._checkpoints is not None:
                self._checkpoints.close()
            raise
        self._identity = _identity(self.path)

    def _checkpoint(self) -> None:
        """A passive checkpoint, on the checkpoint thread's own connection."""
        self.get().conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def same_file(self) -> bool:
        """Whether the file at the path is still the one the connections have open (one
        stat; replaced() says why not, and rescues a removed file's data)."""
        return self._identity is None or _identity(self.path) == self._identity

    def replaced(self) -> str | None:
        """Why the file at the path is no longer the one the connections have open (removed,
        or another put in its place, as a restore while the bot runs does), or None. What is
        written then goes to a file nobody will read again."""
        if self._identity is None:
            return None
        now = _identity(self.path)
        if now == self._identity:
            return None
        if now is not None:
            return f"the database file {self.path} was replaced by another file; restart the bot"
        target = self._rescue()
        return (
            f"the database file {self.path} was removed while the bot ran; its data is still in "
            f"the bot's open connections: stop the bot (not kill -9), which saves it to {target}, "
            f"then move that file back to {self.path}"
        )

    def _rescue(self) -> str:
        """The removed file's data copied out (the open connections are the only way left to
        it) to `<path>.recovered-<time>`, whose name is returned: now, through this thread's
        connection if it has one outside a transaction, and again in close(), which copies
        what was written since."""
        db = getattr(self._local, "db", None)
        with self._lock:
            if self._rescue_path is None:
                self._rescue_path = f"{self.path}.recovered-{time.strftime('%Y%m%dT%H%M%S')}"
            target = self._rescue_path
            now = not self._rescued and db is not None and not db.conn.in_transaction
            self._rescued = self._rescued or now
        if now and db is not None:
            _copy(db.conn, target)  # outside the lock: a large archive takes a while
        return target

    def close(self) -> None:
        """Close every connection; threads that ask again get new ones (which checkpoint in
        their commits again). A removed file's data is copied out first (see _rescue), with
        everything written up to now."""
        checkpoints, self._checkpoints = self._checkpoints, None
        stopped = checkpoints is None or checkpoints.close()
        with self._lock:
            if self._rescue_path is not None and self._all:
                _copy(self._all[0].conn, self._rescue_path)
            if not stopped:
                # Closing the connection it still uses would crash the interpreter; committed
                # work is safe in the WAL, and the process is ending.
                log.warning("a WAL checkpoint still running; the database is left open")
                return
            for db in self._all:
                db.conn.close()
            self._all.clear()
        self._local = threading.local()

    def get(self) -> sqlite_utils.Database:
        """This thread's connection (opened on first use). Not once the file was removed or
        replaced: SQLite would create an empty one at the path, which the next start would
        take for the group's database."""
        db = getattr(self._local, "db", None)
        if db is None:
            if self._identity is not None and (problem := self.replaced()):
                raise DatabaseGone(problem)
            # Once the file exists, never create it: removed just now, it stays removed.
            db = connect(self.path, create=self._identity is None)
            checkpoints = self._checkpoints
            if checkpoints is not None:
                db.conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
                db.checkpoints = checkpoints  # type: ignore[attr-defined]
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db


def _copy(conn: sqlite3.Connection, target: str) -> None:
    """The database `conn` has open, copied to `target` (SQLite's backup); quietly nothing
    when it cannot (the folder gone too)."""
    try:
        copy = sqlite3.connect(target)
        try:
            conn.backup(copy)
        finally:
            copy.close()
    except sqlite3.Error:
        pass


def _identity(path: str) -> tuple[int, int] | None:
    """The file's device and inode (None when there is none)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


# One writer lock per database file in this process (see transaction).
_writer_locks: dict[str, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def writer_lock(path: str) -> threading.RLock:
    """This process's lock for writing to the database file at `path` (see transaction)."""
    with _writer_locks_guard:
        return _writer_locks.setdefault(path, threading.RLock())


class transaction:
    """`with transaction(db):` — BEGIN IMMEDIATE … COMMIT, ROLLBACK on error. Nestable (no-op).

    Threads of this process queue on a lock before asking SQLite for the write lock: SQLite's
    busy handler sleeps and polls (backing off up to 100 ms), so under load its waiters woke
    late; a queue wakes the next writer the moment the last one commits (ingest p99 at
    concurrency 16: 543 -> 120 ms). busy_timeout still arbitrates between processes.

    `wait`: give up after this many seconds (both queues together) instead of the busy
    timeout, for a caller with a deadline of its own (an event Slack stops waiting for after
    3 s, a readiness probe)."""

    def __init__(self, db: sqlite_utils.Database, wait: float | None = None) -> None:
        self.conn = db.conn
        self.outer = False
        self.lock: threading.RLock | None = getattr(db, "writer_lock", None)
        # Told of each commit, when a thread checkpoints for the connection (Pool).
        self.checkpoints: Checkpoints | None = getattr(db, "checkpoints", None)
        self.wait = wait

    def __enter__(self) -> sqlite3.Connection:
        if not self.conn.in_transaction:
            # As long as SQLite would wait, so a database held by another process still fails
            # (and is answered 503) in time instead of queueing every writer behind it.
            wait = BUSY_TIMEOUT_MS / 1000 if self.wait is None else self.wait
            deadline = time.monotonic() + wait
            if self.lock is not None and not self.lock.acquire(timeout=wait):
                raise sqlite3.OperationalError(
                    "database is locked (waited for this process's writers)"
                )
            try:
                if self.wait is None:
                    self.conn.execute("BEGIN IMMEDIATE")
                else:
                    self._begin_within(deadline)
            except BaseException:
                if self.lock is not None:
                    self.lock.release()
                raise
            self.outer = True
        return self.conn

    def _begin_within(self, deadline: float) -> None:
        """BEGIN IMMEDIATE with SQLite's busy handler cut to the time left (in WAL mode only
        BEGIN IMMEDIATE waits for another writer; the statements after it do not)."""
        left = max(int((deadline - time.monotonic()) * 1000), 1)
        self.conn.execute(f"PRAGMA busy_timeout = {left}")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.outer:
            return
        try:
            if exc_type is None:
                try:
                    self.conn.execute("COMMIT")
                    if self.checkpoints is not None:
                        self.checkpoints.wrote()
                except BaseException:
                    # A failed COMMIT (busy, full) may leave the transaction open: end it, or
                    # this connection's next transaction() would nest inside it and never commit.
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
            elif self.conn.in_transaction:
                # SQLite rolls back itself on some errors (a full disk): a second ROLLBACK
                # would fail and hide the error that matters.
                self.conn.execute("ROLLBACK")
        finally:
            if self.lock is not None:
                self.lock.release()
