"""The Litestream recipe (README: Backups on ephemeral hosts): the Procfile's web line replicates
the database and, on a fresh disk, restores it before the bot starts. A file replica stands in
for the S3 bucket, so nothing here needs the network."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bot.cli.signed import SignedClient
from bot.cli.standin import SlackStandIn
from tests.paths import ROOT
from tests.polling import wait_until
from tests.processes import bot_env, free_port, healthy

BIN = Path(sys.executable).parent
WEB = next(
    line.split(":", 1)[1].strip()
    for line in (ROOT / "Procfile").read_text().splitlines()
    if line.startswith("web:")
)


def test_the_example_config_replicates_studybot_db_to_the_url_from_the_environment() -> None:
    config = yaml.safe_load((ROOT / "litestream.yml").read_text())
    (db,) = config["dbs"]
    assert db["path"] == "${STUDYBOT_DB}"
    (replica,) = db["replicas"]
    assert replica["url"] == "${LITESTREAM_REPLICA_URL}"
    text = (ROOT / "litestream.yml").read_text()
    assert "SECRET_ACCESS_KEY:" not in text.replace("#", "")  # credentials stay in the env


def test_the_procfile_restores_then_replicates_only_when_a_replica_is_set() -> None:
    assert "litestream restore" in WEB and "-if-replica-exists" in WEB
    assert "-if-db-not-exists" in WEB  # a restart with the disk intact keeps its file
    assert 'litestream replicate -config litestream.yml -exec "studybot run"' in WEB
    assert WEB.rstrip().endswith("else exec studybot run; fi")


def _start(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            ["sh", "-c", WEB], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{env['PORT']}"
    wait_until(
        lambda: proc.poll() is not None or healthy(base),
        timeout=30,
        message=lambda: log.read_text(errors="replace"),
    )
    assert proc.poll() is None, log.read_text(errors="replace")
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)  # as the platform stops a dyno
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _questions(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT body FROM qa_questions")]


@pytest.mark.slow
@pytest.mark.skipif(not (BIN / "litestream").exists(), reason="pip install 'studybot[litestream]'")
def test_a_fresh_disk_gets_the_archive_back_from_the_replica(tmp_path: Path) -> None:
    app = tmp_path / "app"  # the deployed app's folder: Procfile and litestream.yml
    app.mkdir()
    for name in ("Procfile", "litestream.yml"):
        shutil.copy(ROOT / name, app / name)
    db = tmp_path / "disk" / "studybot.db"
    db.parent.mkdir()
    log = tmp_path / "web.log"
    with SlackStandIn() as slack:
        env = bot_env(
            slack,
            db,
            free_port(),
            LITESTREAM_REPLICA_URL=f"file://{tmp_path / 'replica'}",
            LITESTREAM_S3_ENDPOINT="",
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        client = SignedClient(
            f"http://127.0.0.1:{env['PORT']}/slack/events", env["SLACK_SIGNING_SECRET"]
        )
        proc = _start(env, app, log)
        try:
            question = slack.add_message("C0STUDY01", "U0MEMBER1", "Is a replica a backup?")
            assert client.event(question).status == 200
            wait_until(lambda: _questions(db) == ["Is a replica a backup?"])
            time.sleep(2.5)  # Litestream ships the WAL each second
        finally:
            _stop(proc)
        assert (tmp_path / "replica").is_dir(), log.read_text(errors="replace")

        # The host restarts with an empty disk: the web line restores before the bot starts.
        shutil.rmtree(db.parent)  # the file, its WAL and Litestream's own folder
        db.parent.mkdir()
        proc = _start(env, app, log)
        try:
            assert _questions(db) == ["Is a replica a backup?"], log.read_text(errors="replace")
        finally:
            _stop(proc)
        # And a restart with the disk intact starts from its own file.
        proc = _start(env, app, log)
        _stop(proc)
    assert "Traceback" not in log.read_text(errors="replace")
