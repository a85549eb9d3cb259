"""Benchmark 7: start-up, from process start to the first 200 on GET /healthz, for `studybot
run` (HTTP mode, scheduler and migrations included, against the stand-in) and for the bare Bolt
app (`python -m bench.target bare`, on waitress); and for the bot, on to its first 200 on
/readyz (built, taking Slack's requests), since its /healthz answers before that."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.config import Sizes
from bench.process_bench import studybot_command
from bench.stats import Figure, Target, ratios
from bench.target import BOT_TOKEN, CHANNEL, ROOT, SECRET, Child

POLL_SECONDS = 0.002  # how often /healthz is asked while the process starts
GIVE_UP_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _up(port: int, path: str = "/healthz") -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def _time_to_healthy(
    argv: list[str], env: dict[str, str], port: int, paths: tuple[str, ...] = ("/healthz",)
) -> list[float]:
    """Milliseconds from starting `argv` to its first 200 on each of `paths`, asked in turn
    (/healthz, then /readyz: the app built and able to take Slack's requests); the process is
    stopped."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    took = []
    try:
        for path in paths:
            while not _up(port, path):
                if proc.poll() is not None:
                    raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode} before {path}")
                if time.perf_counter() - t0 > GIVE_UP_SECONDS:
                    raise RuntimeError(f"{' '.join(argv)}: no {path} in {GIVE_UP_SECONDS} s")
                time.sleep(POLL_SECONDS)
            took.append((time.perf_counter() - t0) * 1000)
        return took
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def startup(sizes: Sizes, roadmap: Path) -> list[Figure]:
    """7: `studybot run` against the bare app, alternating, `cli_repeats` times each."""
    bot, bot_ready, bare = [], [], []
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))}
    with Child("standin") as standin, tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        api_url = standin.ready["api_url"]
        for r in range(sizes.cli_repeats + 1):  # the first pair warms the page cache, unused
            port = _free_port()
            env = {
                **base,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": api_url,
                "STUDYBOT_CHANNEL": CHANNEL,
                "STUDYBOT_DB": str(Path(tmp) / f"start-{r}.db"),  # a fresh database: migrations
                "STUDYBOT_ROADMAP": str(roadmap),
                "PORT": str(port),
            }
            took_bot, took_ready = _time_to_healthy(
                [*studybot_command(), "run"], env, port, ("/healthz", "/readyz")
            )
            port = _free_port()
            bare_argv = [sys.executable, "-m", "bench.target", "bare", "--api-url", api_url]
            [took_bare] = _time_to_healthy([*bare_argv, "--port", str(port)], base, port)
            if r:
                bot.append(took_bot)
                bot_ready.append(took_ready)
                bare.append(took_bare)
    return [
        Figure("startup", "bot_to_healthz", "ms", bot, note="studybot run, fresh database"),
        Figure(
            "startup",
            "bot_to_readyz",
            "ms",
            bot_ready,
            note="/healthz answers while start-up goes on; /readyz once Slack's requests are taken",
        ),
        Figure("startup", "bare_to_healthz", "ms", bare, note="bare Bolt app on waitress"),
        Figure(
            "startup",
            "bot_ready_over_bare",
            "bot/bare",
            ratios(bot_ready, bare),
            higher_is_better=False,
        ),
        Figure(
            "startup",
            "bot_over_bare",
            "bot/bare",
            ratios(bot, bare),
            higher_is_better=False,
            target=Target("<=", 1.5),
        ),
    ]
