"""`studybot backup` / `restore`: a consistent copy while the bot takes events, and putting it back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import backup
from bot.core.db import Pool, migration_steps
from tests.conftest import ROADMAP


def question(n: int) -> dict:
    return {
        "type": "message",
        "channel": "C0STUDY01",
        "user": "U0MEMBER1",
        "text": f"Why does eigendecomposition number {n} work?",
        "ts": f"{1700000000 + n}.000100",
    }


def studybot(*args: str, db, cwd=None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))}
    env.update(STUDYBOT_DB=str(db), STUDYBOT_ROADMAP=str(ROADMAP))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.mark.slow  # 1,000 events and two subprocesses
def test_a_backup_taken_during_1000_events_is_intact_and_a_restored_bot_answers_from_it(
    box, tmp_path, clock
):
    statuses: list[int] = []

    def send() -> None:
        for n in range(1000):
            statuses.append(box.client.event(question(n)).status)

    sender = threading.Thread(target=send)
    sender.start()
    while len(statuses) < 300:  # well into the burst
        sender.join(0.01)
    copy = tmp_path / "copy.db"
    done = studybot("backup", str(copy), db=box.settings.db_path)
    assert done.returncode == 0, done.stderr
    sender.join()
    assert statuses == [200] * 1000

    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    held = conn.execute("SELECT count(*) FROM qa_questions").fetchone()[0]
    conn.close()
    assert 300 <= held <= 1000

    restored = tmp_path / "restored.db"
    done = studybot("restore", str(copy), db=restored)
    assert done.returncode == 0, done.stderr
    with Sandbox(roadmap_path=ROADMAP, db_path=restored, clock=clock) as again:
        assert again.client.command("/qa", "eigendecomposition number 7").status == 200
        [answer] = again.slack.wait_for("response_url", 1)
        assert "1 result" in answer.params["text"]
        assert "p1700000007000100" in str(answer.params["blocks"])  # question 7, from the copy


def test_restore_refuses_a_damaged_backup_and_keeps_the_file_it_replaces(tmp_path):
    db = tmp_path / "bot.db"
    Pool(db).close()
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    done = studybot("restore", str(bad), db=db)
    assert done.returncode == 1 and "damaged" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    good = tmp_path / "good.db"
    backup.backup(db, good)
    kept = backup.restore(good, db)
    assert kept is not None and kept.exists() and kept.name.startswith("bot.db.before-restore-")


def test_backup_refuses_to_overwrite_the_database_itself(tmp_path):
    db = tmp_path / "bot.db"
    Pool(db).close()
    with pytest.raises(backup.BackupError):
        backup.backup(db, db)


def test_an_upgrade_backs_the_database_up_before_migrating(tmp_path):
    db = tmp_path / "bot.db"
    pool = Pool(db)
    pool.get().execute("INSERT INTO kv (key, value) VALUES ('channel', 'C0KEEP')")
    pool.close()
    # The file as the previous version left it: the last migration not applied yet.
    last = migration_steps()[-1][0]
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM migrations WHERE name = ?", (last,))
    conn.executescript(  # and without what it made
        "DROP TRIGGER qa_answered_fts_insert; DROP TRIGGER qa_answered_fts_update;"
        " DROP TRIGGER qa_answered_fts_delete; DROP TABLE qa_answered_fts;"
    )
    conn.commit()
    conn.close()
    kept = backup.before_migrations(db)
    assert kept is not None and kept.name == f"bot.db.before-{last.removesuffix('.sql')}"
    copy = sqlite3.connect(kept)
    assert copy.execute("SELECT value FROM kv WHERE key = 'channel'").fetchone() == ("C0KEEP",)
    copy.close()
    Pool(db).close()  # migrates
    assert backup.before_migrations(db) is None  # up to date: nothing to keep


def studybot_db(path, channel: str = "C0KEEP"):
    """A studybot database at `path` whose kv table holds `channel`."""
    pool = Pool(path)
    pool.get().execute("INSERT OR REPLACE INTO kv (key, value) VALUES ('channel', ?)", (channel,))
    pool.close()
    return path


def channel_in(path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM kv WHERE key = 'channel'").fetchone()
    finally:
        conn.close()
    return row[0] if row else None


@pytest.mark.parametrize("name", ["a#1.db", "what?.db", "100%.db", "x%23y.db"])
def test_a_name_with_uri_characters_is_backed_up_and_restored_from_that_file(tmp_path, name):
    db = studybot_db(tmp_path / name)
    copy = backup.backup(db, tmp_path / f"copy-{name}")
    assert channel_in(copy) == "C0KEEP"  # not an empty database from a cut-short name
    studybot_db(db, "C0CHANGED")
    backup.restore(copy, db)
    assert channel_in(db) == "C0KEEP"
    assert sorted(p.name for p in tmp_path.iterdir() if "before-restore" not in p.name) == sorted(
        [name, f"copy-{name}"]
    )


def test_restores_within_one_second_each_keep_the_file_they_replaced(tmp_path):
    db = studybot_db(tmp_path / "bot.db", "C0FIRST")
    backups = [studybot_db(tmp_path / f"b{n}.db", f"C0B{n}") for n in range(3)]
    kept = [backup.restore(b, db) for b in backups]
    assert len({k.name for k in kept if k}) == 3
    assert [channel_in(k) for k in kept if k] == ["C0FIRST", "C0B0", "C0B1"]
    assert channel_in(db) == "C0B2"


def not_a_backup(tmp_path, kind: str):
    """A file that `restore` must refuse: empty, another app's SQLite, or not SQLite at all."""
    path = tmp_path / f"{kind}.db"
    if kind == "empty":
        path.touch()
    elif kind == "other-sqlite":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE foo (x)")
        conn.commit()
        conn.close()
    else:
        path.write_text(ROADMAP.read_text())
    return path


@pytest.mark.parametrize("kind", ["empty", "other-sqlite", "text"])
def test_restore_refuses_a_file_that_is_not_a_studybot_database(tmp_path, kind):
    db = studybot_db(tmp_path / "bot.db")
    done = studybot("restore", str(not_a_backup(tmp_path, kind)), db=db)
    assert done.returncode == 1, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "studybot" in done.stderr and kind in done.stderr
    assert channel_in(db) == "C0KEEP"
    assert not any("before-restore" in p.name for p in tmp_path.iterdir())


def test_restore_refuses_the_database_itself(tmp_path):
    db = studybot_db(tmp_path / "bot.db")
    done = studybot("restore", f"{tmp_path}/./bot.db", db=db)
    assert done.returncode == 1 and "the database itself" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert channel_in(db) == "C0KEEP"
    assert not any("before-restore" in p.name for p in tmp_path.iterdir())


def test_backup_refuses_to_overwrite_a_file_that_is_not_an_earlier_backup(tmp_path):
    db = studybot_db(tmp_path / "bot.db")
    roadmap = tmp_path / "roadmap.yaml"
    roadmap.write_text(ROADMAP.read_text())
    other = not_a_backup(tmp_path, "other-sqlite")
    before = {p: p.read_bytes() for p in (roadmap, other)}
    for target in (roadmap, other):
        done = studybot("backup", str(target), db=db)
        assert done.returncode == 1 and "not overwriting" in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in before} == before
    earlier = backup.backup(db, tmp_path / "nightly.db")
    studybot_db(db, "C0NEWER")
    done = studybot("backup", str(earlier), db=db)  # last night's backup: replaced
    assert done.returncode == 0, done.stderr
    assert channel_in(earlier) == "C0NEWER"


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_backup_refuses_the_databases_own_side_files(tmp_path, suffix):
    db = studybot_db(tmp_path / "bot.db")
    pool = Pool(db)  # open, so that its -wal and -shm are there
    try:
        side = tmp_path / f"bot.db{suffix}"
        was = side.read_bytes() if side.exists() else None
        done = studybot("backup", f"./bot.db{suffix}", db=db, cwd=tmp_path)
        assert done.returncode == 1 and f"own {suffix} file" in done.stderr, done.stderr
        assert (side.read_bytes() if side.exists() else None) == was
        assert pool.get().execute("SELECT value FROM kv").fetchone() == ("C0KEEP",)
    finally:
        pool.close()
    assert channel_in(db) == "C0KEEP"


def test_a_failed_backup_leaves_no_partial_file(tmp_path):
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("not a database\n" * 100)
    done = studybot("backup", str(tmp_path / "copy.db"), db=not_a_db)
    assert done.returncode == 1 and "could not copy" in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_a_folder_as_the_database_is_a_configuration_error(tmp_path, command):
    folder = tmp_path / "data"
    folder.mkdir()
    copy = studybot_db(tmp_path / "copy.db")
    done = studybot(command, str(copy), db=folder)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "STUDYBOT_DB" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "data"]
