"""The `studybot` command as a subprocess: one-shot runs, and a bot serving HTTP on a free port."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from bot.cli.standin import SlackStandIn
from tests.paths import ROADMAP, ROOT
from tests.polling import wait_until


def studybot(
    *args: str, env: dict[str, str] | None = None, cwd=None, stdin: str = ""
) -> subprocess.CompletedProcess:
    """`studybot ARGS` run to its end, with no Slack or studybot settings from the host."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_", "PORT"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **(env or {})},
        cwd=cwd or ROOT,
        capture_output=True,
        input=stdin,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(slack: SlackStandIn, db: Path, port: int, **extra: str) -> dict[str, str]:
    """A clean environment for `studybot run` against the stand-in (nothing from the host)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": "test-signing-secret",
            "SLACK_API_URL": slack.api_url,
            "STUDYBOT_CHANNEL": "C0STUDY01",
            "STUDYBOT_DB": str(db),
            "STUDYBOT_ROADMAP": str(ROADMAP),
            "PORT": str(port),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def healthy(base: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=timeout) as r:
            return r.status == 200 and json.loads(r.read()).get("ok") is True
    except OSError:
        return False


def start_bot(
    env: dict[str, str], cwd: Path, log: Path, *, verbose: bool = False, wait: float = 20.0
) -> tuple[subprocess.Popen[bytes], str]:
    """`studybot [-v] run` as a subprocess, stdout+stderr appended to `log`; waits for /healthz."""
    args = [sys.executable, "-m", "bot", *(["-v"] if verbose else []), "run"]
    with log.open("ab") as out:
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['PORT']}"
    with contextlib.suppress(AssertionError):  # not up in time: said below, with the log
        wait_until(lambda: proc.poll() is not None or healthy(base), timeout=wait, interval=0.05)
    if proc.poll() is not None or not healthy(base):
        proc.kill()
        raise AssertionError(f"bot did not come up:\n{log.read_text(errors='replace')}")
    return proc, base


def stop_bot(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
