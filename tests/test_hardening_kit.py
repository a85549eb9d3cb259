"""Helpers shared by the hardening tests (security, bad input, faults, crashes); no tests here."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.cli.standin import Call, SlackStandIn
from bot.core.clock import ManualClock
from bot.core.roadmap_load import load
from tests.conftest import ROADMAP

ROOT = Path(__file__).resolve().parent.parent

# Sequences that notify people when they reach Slack unescaped in a message or view.
# (<!date^…> is a date formatted for the reader: it notifies nobody.)
PING = re.compile(r"<(?:@|!(?!date\^))")
HOSTILE_TEXTS = (
    "<!channel> urgent, everyone look",
    "<!here|@here> please",
    "<!everyone>",
    "<!subteam^S0ADMINS|@admins> ping",
    "<@U0VICTIM1> and <@U0VICTIM2|victim>",
    "<#C0SECRET1|secret-channel>",
    "&lt;!channel&gt; literally typed",
    "<<!channel>> nested <!here",
    "*bold* _it_ ~s~ `code` ```block``` > quote",
    "<https://evil.example/|click me> <javascript:alert(1)|js>",
)


def week3_clock() -> ManualClock:
    """Monday of the roadmap's week 3 at 10:00 in its timezone (as tests/conftest.py's clock)."""
    schedule = load(ROADMAP).schedule
    start = dt.datetime.combine(schedule.start + dt.timedelta(weeks=2), dt.time(10, 0), schedule.tz)
    return ManualClock(start)


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
    deadline = time.monotonic() + wait
    while not healthy(base):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"bot did not come up:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)
    return proc, base


def stop_bot(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value (JSON strings are decoded and walked too)."""
    if isinstance(value, str):
        if value[:1] in "[{":
            try:
                yield from strings(json.loads(value))
                return
            except ValueError:
                pass
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def posted_texts(calls: Iterable[Call]) -> list[str]:
    """The member-visible strings of every message and view the bot sent to Slack."""
    keys = ("text", "blocks", "attachments", "view")
    return [s for c in calls for k in keys if k in c.params for s in strings(c.params[k])]


def assert_no_pings(calls: Iterable[Call], allowed: Iterable[str] = ()) -> None:
    """No message or view the bot sent can notify anyone: no <!…> or <@…> control sequences
    (except mentions of `allowed` user IDs, which the bot adds itself), no link_names/parse=full."""
    calls = list(calls)
    allowed_mentions = {f"<@{u}>" for u in allowed}
    for call in calls:
        assert str(call.params.get("link_names", "")).lower() not in ("1", "true"), call.params
        assert call.params.get("parse") != "full", call.params
    for text in posted_texts(calls):
        cleaned = text
        for mention in allowed_mentions:
            cleaned = cleaned.replace(mention, "")
        assert not PING.search(cleaned), f"re-posted text can ping: {text!r}"
