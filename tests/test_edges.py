"""Promises at the edges of HTTP mode: idle sockets, a damaged or unwritable database, odd input."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.cli.signed import SignedClient, signature
from bot.core import health
from bot.core.db import Pool
from bot.core.health import Health
from bot.slack.server import IDLE_SECONDS
from tests.damage import damage_event_index, damage_table
from tests.polling import wait_until
from tests.processes import bot_env, free_port, start_bot, stop_bot

SECRET = "test-signing-secret"


def _get(url: str, timeout: float = 5.0) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _message(text: str, ts: str) -> dict:
    return {"type": "message", "channel": "C0STUDY01", "user": "U0MEMBER1", "text": text, "ts": ts}


@pytest.fixture
def bot(tmp_path, slack):
    env = bot_env(slack, tmp_path / "bot.db", free_port())
    proc, base = start_bot(env, tmp_path, tmp_path / "bot.log")
    yield base, SignedClient(base + "/slack/events", SECRET, response_url=slack.response_url())
    stop_bot(proc)


@pytest.mark.slow  # a `studybot run` process
def test_200_idle_connections_neither_stall_http_mode_nor_stay_open(bot):
    base, client = bot
    port = int(base.rsplit(":", 1)[1])
    idle = []
    for n in range(200):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if n % 2:  # half of them send half of their headers, then nothing
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Le")
        idle.append(sock)
    try:
        started = time.monotonic()
        reply = client.command("/nexttopic")
        answered_in = time.monotonic() - started
        assert reply.status == 200 and "Week" in reply.text, reply.text
        assert answered_in < 1.0, f"/nexttopic took {answered_in:.2f} s with 200 idle sockets"
        started = time.monotonic()
        assert _get(base + "/healthz")[0] == 200
        assert time.monotonic() - started < 1.0
        # The idle ones are closed after a few seconds: the server reads end-of-stream.
        deadline = time.monotonic() + IDLE_SECONDS + 5
        still_open = list(idle)
        while still_open and time.monotonic() < deadline:
            for sock in list(still_open):
                sock.settimeout(0.01)
                try:
                    if sock.recv(1024) == b"":
                        still_open.remove(sock)
                except TimeoutError:
                    pass
                except OSError:
                    still_open.remove(sock)
        assert not still_open, f"{len(still_open)} idle sockets still open"
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.slow  # a `studybot run` process
def test_a_signed_chunked_request_is_read_and_verified(bot):
    base, client = bot
    body = b"command=%2Fnexttopic&text=&user_id=U0MEMBER1&channel_id=C0STUDY01&team_id=T0STUDY01"
    ts = str(int(time.time()))
    conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=10)
    conn.putrequest("POST", "/slack/events")
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("X-Slack-Request-Timestamp", ts)
    conn.putheader("X-Slack-Signature", signature(SECRET, ts, body))
    conn.endheaders()
    for start in range(0, len(body), 20):
        chunk = body[start : start + 20]
        conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    conn.send(b"0\r\n\r\n")
    reply = conn.getresponse()
    text = reply.read().decode()
    conn.close()
    assert reply.status == 200 and "Week" in text, text


@pytest.mark.slow  # a `studybot run` process
def test_readiness_is_ok_on_a_healthy_database_and_liveness_is_cheap(bot):
    base, _ = bot
    assert _get(base + "/readyz") == (200, {"ok": True})
    assert _get(base + "/healthz") == (200, {"ok": True})


def test_a_damaged_database_acknowledges_nothing_it_did_not_store(box, caplog):
    """Damage found at run time: every event gets 503 (Slack re-delivers), the readiness check
    says why, liveness stays up, and one clear line is logged per refused event."""
    assert box.client.event(_message("What is a basis?", "1700000001.000100")).status == 200
    damage_event_index(Path(box.settings.db_path))
    # (Every connection of the app reads the damaged page at its next transaction.)
    with caplog.at_level("ERROR"):
        replies = [
            box.client.event(_message(f"Question {n}?", f"17000000{n:02d}.000100"))
            for n in range(10, 15)
        ]
    assert [r.status for r in replies] == [503] * 5
    damaged = [r for r in caplog.records if "database damaged" in r.getMessage()]
    assert len(damaged) == 5 and "studybot doctor" in damaged[0].getMessage()
    status, body = _get(box.url + "/readyz")
    assert status == 503 and "damaged" in body["reason"]
    assert _get(box.url + "/healthz")[0] == 200


def test_a_database_locked_by_another_process_is_answered_503_within_slacks_3_s(box):
    """Another writer holds the database (a sqlite3 shell's BEGIN EXCLUSIVE, another process
    busy): an event gets 503 before Slack gives up waiting (3 s), so it is delivered again,
    and /readyz says so in time for a probe; once the lock goes, the re-delivery is kept."""
    other = sqlite3.connect(box.settings.db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        event = _message("What does a lock do?", "1700000100.000100")
        started = time.monotonic()
        reply = box.client.event(event, event_id="EvLOCKED01", timeout=3.0)
        assert reply.status == 503 and time.monotonic() - started < 2.5
        started = time.monotonic()
        status, body = _get(box.url + "/readyz", timeout=3.0)
        assert status == 503 and "locked" in body["reason"]
        assert time.monotonic() - started < 2.5
        assert _get(box.url + "/healthz", timeout=1.0)[0] == 200
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert box.client.event(event, event_id="EvLOCKED01", retry_num=1).status == 200
    texts = [r["text"] for r in box.deps.db.query("SELECT text FROM qa_questions")]
    assert texts == ["What does a lock do?"]
    assert _get(box.url + "/readyz") == (200, {"ok": True})


def test_messages_that_come_alone_are_recorded_without_the_writers_thread(box):
    """One sender, one request at a time: each message is recorded on the event loop
    (nothing to batch it with), none is handed to the writer's thread."""
    writer = box.app.writer
    handed: list[str] = []
    submit = writer.submit
    writer.submit = lambda event_id, *rest: (handed.append(event_id), submit(event_id, *rest))
    for n in range(5):
        event = _message(f"Why is {n} alone?", f"17000003{n:02d}.000100")
        assert box.client.event(event).status == 200
    texts = {r["text"] for r in box.deps.db.query("SELECT text FROM qa_questions")}
    assert texts == {f"Why is {n} alone?" for n in range(5)}
    assert handed == []


def test_a_database_another_process_holds_for_a_moment_still_takes_a_lone_message(box):
    """A lone message is recorded on the event loop only when nothing else writes; another
    writer holding the database sends it the writer's way, which waits for it (bounded)."""
    other = sqlite3.connect(box.settings.db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: (other.execute("ROLLBACK"), other.close()))
    release.start()
    try:
        reply = box.client.event(_message("Is this kept?", "1700000200.000100"), timeout=3.0)
    finally:
        release.join()
    assert reply.status == 200
    texts = [r["text"] for r in box.deps.db.query("SELECT text FROM qa_questions")]
    assert texts == ["Is this kept?"]


def test_a_command_that_meets_a_damaged_database_logs_one_line_not_a_traceback(box, caplog):
    """A listener reading a damaged page (/qa over the archive's table) fails: one line that
    says the database is damaged and what to do, no traceback (the failure is the file's, not
    a bug), and the readiness check says so."""
    for n in range(3):
        box.client.event(_message(f"What is an eigenvector {n}?", f"170000010{n}.000100"))
    damage_table(Path(box.settings.db_path), "qa_questions")
    with caplog.at_level("DEBUG", logger="bot"):
        caplog.clear()
        assert box.client.command("/qa", "eigenvector").status == 200
        wait_until(lambda: any("/qa" in r.getMessage() for r in caplog.records), timeout=5)
    failed = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(failed) == 1, [r.getMessage() for r in failed]
    line = failed[0].getMessage()
    assert "database damaged" in line and "studybot doctor" in line and "\n" not in line
    assert failed[0].exc_info is None
    status, body = _get(box.url + "/readyz")
    assert status == 503 and "damaged" in body["reason"]


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_database_file_removed_or_replaced_under_the_bot_acknowledges_nothing(box, how):
    """Someone deletes the database file, or puts another in its place (a restore while the
    bot runs): what the bot writes would go to a file nobody reads again. Events get 503
    (Slack re-delivers them), and the readiness check says why."""
    assert box.client.event(_message("What is a basis?", "1700000001.000100")).status == 200
    path = Path(box.settings.db_path)
    for extra in ("", "-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    if how == "replaced":
        Pool(path).close()
    reply = box.client.event(_message("Still there?", "1700000002.000100"))
    assert reply.status == 503
    status, body = _get(box.url + "/readyz")
    assert status == 503 and how in body["reason"]
    assert _get(box.url + "/healthz")[0] == 200
    # Asking again (on any thread) never creates a file at the path to take for the database.
    for _ in range(3):
        assert _get(box.url + "/readyz")[0] == 503
    if how == "removed":
        assert not path.exists()
        # The data only the open connections could still reach is copied out, and named.
        (rescued,) = path.parent.glob(f"{path.name}.recovered-*")
        assert str(rescued) in body["reason"]
        kept = sqlite3.connect(rescued).execute("SELECT text FROM qa_questions").fetchall()
        assert kept == [("What is a basis?",)]


@pytest.mark.slow  # a `studybot run` process
def test_run_refuses_to_start_on_a_damaged_database(tmp_path, slack):
    db = tmp_path / "bot.db"
    pool = Pool(db)
    pool.get().execute("INSERT INTO events_seen (event_id) VALUES ('Ev1')")
    pool.close()
    damage_event_index(db)
    env = bot_env(slack, db, free_port())
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True, timeout=30
    )
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "STUDYBOT_DB" in lines[0] and "damaged" in lines[0] and "studybot doctor" in lines[0]


@pytest.mark.slow  # a `studybot run` process
def test_run_refuses_a_database_it_cannot_write(tmp_path, slack):
    """Root may write any file, so as root the bot runs in a user namespace as `nobody`
    (mapped to the file's owner, without root's override) over a read-only file."""
    db = tmp_path / "bot.db"
    Pool(db).close()
    db.chmod(0o444)
    env = bot_env(slack, db, free_port())
    as_nobody = ["unshare", "--user", "--map-user=65534"] if os.geteuid() == 0 else []
    try:
        done = subprocess.run(
            [*as_nobody, sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=30,
        )
    finally:
        db.chmod(0o644)
    assert done.returncode == 2, done.stderr.decode()
    line = done.stderr.decode().strip()
    assert "\n" not in line and "STUDYBOT_DB" in line and "read-only" in line


@pytest.mark.slow  # waits out SQLite's busy timeout (10 s)
def test_run_on_a_database_another_process_keeps_locked_says_so(tmp_path, slack):
    """Another process holds the write lock for as long as `studybot run` waits to migrate:
    one line saying the file is locked and to try again, not "cannot open" as if the file
    or the setting were wrong."""
    db = tmp_path / "bot.db"
    Pool(db).close()
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            env=bot_env(slack, db, free_port()),
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert done.returncode == 2, done.stderr.decode()
    line = done.stderr.decode().strip()
    assert "\n" not in line and "STUDYBOT_DB" in line
    assert "is locked: another process" in line and "try again" in line


def test_readiness_says_why_when_the_disk_is_nearly_full_or_writes_fail(box):
    """The probe itself, on this thread's connection: a disk with less free space than the
    margin, then a connection that may not write (as a read-only file gives)."""
    pool, db, path = box.pool, box.deps.db, box.settings.db_path
    assert health.readiness_problem(pool, Health()) is None
    free = shutil.disk_usage(Path(path).parent).free
    problem = health.readiness_problem(pool, Health(), min_free=free * 2)
    assert problem and problem.startswith("disk nearly full")
    db.conn.execute("PRAGMA query_only = ON")
    try:
        problem = health.readiness_problem(pool, Health())
    finally:
        db.conn.execute("PRAGMA query_only = OFF")
    assert problem and problem.startswith("database not writable")


def test_a_lone_surrogate_is_stored_replaced_not_dropped(box):
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvSurrogate1",
            "team_id": "T0STUDY01",
            "event": _message("Why \ud800 does this break?", "1700000099.000100"),
        }
    ).encode()
    assert b"\\ud800" in body
    reply = box.client.post(body, "application/json")
    assert reply.status == 200
    row = box.deps.db.execute(
        "SELECT text FROM qa_questions WHERE ts = '1700000099.000100'"
    ).fetchone()
    assert row is not None and row[0] == "Why \ufffd does this break?"


@pytest.mark.slow  # a `studybot run` process
def test_a_forged_event_id_cannot_forge_a_log_line(tmp_path, slack):
    env = bot_env(slack, tmp_path / "bot.db", free_port())
    log = tmp_path / "bot.log"
    proc, base = start_bot(env, tmp_path, log)
    try:
        client = SignedClient(base + "/slack/events", SECRET)
        forged = "Ev1\n2026-01-01 00:00:00,000 ERROR studybot: forged line"
        for n in range(2):  # the second is logged as a re-delivery, with its id
            client.event(_message(f"hello {n}?", "1700000200.000100"), event_id=forged)
    finally:
        stop_bot(proc)
    lines = log.read_text().splitlines()
    assert not any(line.startswith("2026-01-01 00:00:00,000 ERROR") for line in lines)
    assert any("Ev1\\n2026-01-01" in line for line in lines), lines[-5:]


def test_what_is_written_after_the_file_was_removed_is_saved_when_the_bot_stops(tmp_path, clock):
    """The copy made when the removal is noticed, and again at a clean stop: a write through
    a connection still open in between (a member's /progress, say) is not lost."""
    from bot.cli.sandbox import Sandbox
    from tests.conftest import ROADMAP

    path = tmp_path / "studybot.db"
    with Sandbox(roadmap_path=ROADMAP, db_path=path, clock=clock) as box:
        assert box.client.event(_message("What is a basis?", "1700000001.000100")).status == 200
        for extra in ("", "-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        assert box.client.event(_message("Still there?", "1700000002.000100")).status == 503
        db = box.pool.get()  # this thread's connection, open since the start
        db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES ('after', 'kept')")
    (rescued,) = tmp_path.glob("studybot.db.recovered-*")
    kept = sqlite3.connect(rescued)
    assert kept.execute("SELECT value FROM kv WHERE key = 'after'").fetchall() == [("kept",)]
    assert kept.execute("SELECT text FROM qa_questions").fetchall() == [("What is a basis?",)]
    assert not path.exists()
