"""The database: WAL, busy timeout, migrations applied once even by two processes at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.db import Pool, connect, migrate, migration_steps


def test_migrations_are_recorded_and_applied_once(tmp_path):
    db = connect(tmp_path / "a.db")
    first = migrate(db)
    assert first == [name for name, _ in migration_steps()]
    assert migrate(db) == []
    applied = [r["name"] for r in db.query("SELECT name FROM migrations ORDER BY name")]
    assert applied == first
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


@pytest.mark.slow
def test_two_processes_migrate_the_same_file(tmp_path):
    path = tmp_path / "shared.db"
    code = "import sys; from bot.core.db import Pool; Pool(sys.argv[1]); print('ok')"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    assert [p.communicate(timeout=60)[0].strip() for p in procs] == ["ok"] * 4
    db = connect(path)
    names = [r["name"] for r in db.query("SELECT name FROM migrations")]
    assert len(names) == len(set(names)) == len(migration_steps())


def test_each_thread_gets_its_own_connection(tmp_path):
    import threading

    pool = Pool(tmp_path / "t.db")
    seen = []

    def work():
        db = pool.get()
        db["kv"].insert({"key": threading.current_thread().name, "value": "x"}, replace=True)
        seen.append(id(db))

    threads = [threading.Thread(target=work, name=f"t{i}") for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 8
    assert pool.get()["kv"].count == 8
    pool.close()


def test_a_queued_writer_gives_up_instead_of_waiting_forever(tmp_path):
    """Writers of one process queue on a lock; none waits there longer than SQLite would, so a
    transaction left open (a stuck thread) costs others an error (a 503), not a hang."""
    import sqlite3
    import threading

    from bot.core import db as dbmod

    path = tmp_path / "held.db"
    migrate(connect(path))
    opened, release = threading.Event(), threading.Event()

    def stuck() -> None:
        with dbmod.transaction(connect(path)):
            opened.set()
            release.wait(60)

    outcomes: list[str] = []

    def write() -> None:
        conn = connect(path)
        try:
            with dbmod.transaction(conn) as c:
                c.execute("INSERT INTO kv (key, value) VALUES ('k', 'v')")
            outcomes.append("written")
        except sqlite3.OperationalError as exc:
            outcomes.append(str(exc))

    original = dbmod.BUSY_TIMEOUT_MS
    dbmod.BUSY_TIMEOUT_MS = 300  # the queue's wait follows SQLite's; kept short here
    holder = threading.Thread(target=stuck)
    holder.start()
    try:
        assert opened.wait(10)
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=20)
        assert not writer.is_alive() and release.is_set() is False
        assert outcomes and "locked" in outcomes[0], outcomes
    finally:
        dbmod.BUSY_TIMEOUT_MS = original
        release.set()
        holder.join()


def _in_the_file(path) -> int:
    """Rows of `big` in the database file itself, not counting the WAL (immutable=1 reads
    the file as it is): what a checkpoint has copied there (-1 while one is copying)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM big").fetchone()[0]
    except sqlite3.OperationalError:  # the table itself is still only in the WAL
        return 0
    except sqlite3.DatabaseError:  # read in the middle of a checkpoint's copying
        return -1
    finally:
        conn.close()


@pytest.mark.parametrize("checkpoints", [False, True], ids=["sqlite-in-the-commit", "a-thread"])
def test_what_is_written_reaches_the_database_file_by_a_checkpoint(tmp_path, checkpoints):
    """SQLite checkpoints in the commit that takes the log past 1,000 pages; a running bot's
    pool leaves that to a thread of its own, after the commits, and the data reaches the file
    all the same."""
    from bot.core.checkpoints import BACKSTOP_PAGES
    from bot.core.db import transaction
    from tests.polling import wait_until

    path = tmp_path / "c.db"
    pool = Pool(path, checkpoints=checkpoints)
    db = pool.get()
    try:
        backstop = db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        assert backstop == (BACKSTOP_PAGES if checkpoints else 1000)
        with transaction(db) as conn:
            conn.execute("CREATE TABLE big (data BLOB)")
        for _ in range(3):  # about 1,500 pages of 4 KiB, three commits (under the backstop)
            with transaction(db) as conn:
                conn.executemany("INSERT INTO big VALUES (?)", [(b"x" * 3000,)] * 500)
        if checkpoints:
            # No commit checkpointed: the file has nothing yet, until the thread has run.
            wait_until(lambda: _in_the_file(path) == 1500, timeout=5)
        else:
            assert _in_the_file(path) >= 1000  # checkpointed by the commit that passed 1,000 pages
    finally:
        pool.close()


def test_a_long_burst_of_commits_keeps_the_log_bounded(tmp_path):
    """A passive checkpoint cannot start the log over while writes go on: past the backstop
    a commit checkpoints itself, so 100 MB written without a pause leave a log of tens of MB,
    not 100."""
    from bot.core.checkpoints import BACKSTOP_PAGES
    from bot.core.db import transaction

    path = tmp_path / "burst.db"
    pool = Pool(path, checkpoints=True)
    db = pool.get()
    try:
        with transaction(db) as conn:
            conn.execute("CREATE TABLE big (data BLOB)")
        for _ in range(250):  # 25,000 pages of 4 KiB, in commits of 100
            with transaction(db) as conn:
                conn.executemany("INSERT INTO big VALUES (?)", [(b"x" * 3000,)] * 100)
        log_bytes = Path(f"{path}-wal").stat().st_size
    finally:
        pool.close()
    assert log_bytes < 2 * BACKSTOP_PAGES * 4096, log_bytes
