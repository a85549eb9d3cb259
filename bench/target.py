"""The processes under test: the bot, a bare Bolt app and the Slack stand-in, each in its own process.

Each runs on 127.0.0.1, prints one JSON line when ready, then answers commands read from stdin
("rss" → resident set and CPU time, "calls") with one JSON line each, and exits on "quit" or end of input. Separate processes
keep the load generator's threads from competing with the server for one interpreter lock.

    python -m bench.target standin
    python -m bench.target bot --db FILE --roadmap FILE --api-url URL [--scheduler]
    python -m bench.target bare --api-url URL [--server bot|waitress]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
CHANNEL = "C0STUDY01"
BOT_TOKEN = "xoxb-bench-token"
# What the bare app acks to every command: a constant, so the comparison measures the bot's work.
_children = itertools.count(1)
BARE_REPLY = {"response_type": "ephemeral", "text": "Week 3 of 12: Eigenvectors and eigenvalues"}


def rss_kb() -> int:
    """This process's resident set (VmRSS) in KiB, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def study_clock(roadmap_path: str | Path) -> dt.datetime:
    """Monday 10:00 of the roadmap's week 3, as the tests use: a week with a topic on."""
    from bot.core.roadmap_load import load

    schedule = load(roadmap_path).schedule
    monday = schedule.start + dt.timedelta(weeks=2)
    return dt.datetime.combine(monday, dt.time(10, 0), schedule.tz)


def _serve(
    app: Any, threads: int | None, server_kind: str = "bot", port: int = 0
) -> tuple[Any, str]:
    """Serve `app` on the bot's production server ("bot": bot.slack.server, uvicorn) or on
    waitress ("waitress": the bare app's baseline, the server the bot had before issue 18)."""
    if server_kind == "waitress":
        from bench.waitress_front import make_server
    else:
        from bot.slack.server import make_server  # type: ignore[assignment]

    server = (
        make_server(app, "127.0.0.1", port)
        if threads is None
        else (make_server(app, "127.0.0.1", port, threads=threads))
    )
    server.start()
    return server, f"http://127.0.0.1:{server.port}/slack/events"


def bot_app(args: argparse.Namespace) -> Any:
    """The real app exactly as `studybot run` builds it, but with a fixed clock and the stand-in."""
    from bot.core.clock import ManualClock, SystemClock
    from bot.core.db import Pool
    from bot.core.roadmap_load import RoadmapStore
    from bot.core.settings import Settings
    from bot.slack.app import create_app

    settings = replace(
        Settings(),
        bot_token=BOT_TOKEN,
        signing_secret=SECRET,
        api_url=args.api_url,
        channel=CHANNEL,
        db_path=args.db,
        roadmap_path=args.roadmap,
    )
    pool = Pool(settings.db_path, checkpoints=True)  # as `studybot run` opens it
    roadmaps = RoadmapStore(settings.roadmap_path, settings.track)
    clock = SystemClock() if args.system_clock else ManualClock(study_clock(args.roadmap))
    app = create_app(settings, pool=pool, roadmaps=roadmaps, clock=clock)
    if args.scheduler:
        from bot.cli import main as cli

        # The same start-up as `studybot run`, so the resident set counts what production loads.
        app.bench_scheduler = cli._start_scheduler(app)  # type: ignore[attr-defined]
    return app


def bare_app(args: argparse.Namespace) -> Any:
    """A bare Bolt app configured like create_app's, whose handlers only ack a constant."""
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=args.api_url, timeout=10),
        signing_secret=SECRET,
        request_verification_enabled=True,
        token_verification_enabled=False,
        ignoring_self_events_enabled=True,
        raise_error_for_unhandled_request=False,
    )

    @app.command(re.compile(".*"))
    def command(ack: Ack) -> None:
        ack(**BARE_REPLY)

    @app.event(re.compile(".*"))
    def event(ack: Ack) -> None:
        ack()

    return app


# How long no reply may be pending for the bot to count as settled, and the longest wait.
SETTLED_S = 0.1
SETTLE_LIMIT_S = 120.0


def _settle(app: Any) -> float:
    """Seconds until the bot's work handed over after its acks was done (0 for the bare app):
    the after-ack threads' queue first (a message's listener hands its reply over from
    there), then the replies waiting for a lull, none left for SETTLED_S."""
    courtesy = getattr(app, "courtesy", None)
    start = time.monotonic()
    if courtesy is None:
        return 0.0
    from bot.slack.app import AFTER_ACK_WORKERS

    deadline = start + SETTLE_LIMIT_S
    # Once these ran, everything queued on the after-ack threads before them has started.
    started = [app.after_ack.submit(lambda: None) for _ in range(AFTER_ACK_WORKERS)]
    if futures.wait(started, timeout=SETTLE_LIMIT_S).not_done:
        raise RuntimeError(f"the bot's after-ack threads were busy {SETTLE_LIMIT_S:.0f} s on")
    done_at: float | None = None
    while (now := time.monotonic()) < deadline:
        if courtesy.pending():
            done_at = None
        elif done_at is None:
            done_at = now
        elif now - done_at >= SETTLED_S:
            return done_at - start
        time.sleep(0.002)
    raise RuntimeError(f"the bot's replies were still going {SETTLE_LIMIT_S:.0f} s after the run")


def _loop(answer: Callable[[str], dict[str, Any]]) -> None:
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            return
        print(json.dumps(answer(command)), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.target")
    parser.add_argument("kind", choices=["standin", "bot", "bare"])
    parser.add_argument("--api-url", default="")
    parser.add_argument("--db", default="")
    parser.add_argument("--roadmap", default=str(ROOT / "roadmap.yaml"))
    parser.add_argument("--threads", type=int, default=None, help="server threads (default: prod)")
    parser.add_argument(
        "--server",
        choices=["bot", "waitress"],
        default=None,
        help="the HTTP server (default: the bot's for the bot, waitress for the bare app)",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--scheduler", action="store_true", help="also start the scheduler")
    parser.add_argument("--system-clock", action="store_true")
    args = parser.parse_args(argv)

    if args.kind == "standin":
        from bot.cli.standin import SlackStandIn

        slack = SlackStandIn().start()
        print(json.dumps({"api_url": slack.api_url, "rss_kb": rss_kb()}), flush=True)

        def calls(command: str) -> dict[str, Any]:
            with slack.lock:
                counts = Counter(f"{c.method}:{c.status}" for c in slack.calls)
            return {"calls": dict(counts), "rss_kb": rss_kb()}

        _loop(calls)
        slack.stop()
        return 0

    app = bot_app(args) if args.kind == "bot" else bare_app(args)
    server_kind = args.server or ("bot" if args.kind == "bot" else "waitress")
    server, url = _serve(app, args.threads, server_kind, args.port)
    print(json.dumps({"url": url, "rss_kb": rss_kb()}), flush=True)

    def answer(command: str) -> dict[str, Any]:
        # "settle": wait for the replies still waiting for a lull (bot/slack/courtesy.py).
        waited = _settle(app) if command == "settle" else 0.0
        return {"rss_kb": rss_kb(), "cpu_s": time.process_time(), "settled_s": waited}

    _loop(answer)
    server.stop()
    # Work after the ack may still be running on Bolt's executor; closing the database under
    # it would only print tracebacks. Nothing is left to flush: leave without waiting for it.
    sys.stdout.flush()
    os._exit(0)


# One folder per benchmark run (by the runner's pid): the children's logs, kept for reading.
LOGS = Path(tempfile.gettempdir()) / "studybot-bench-logs" / str(os.getpid())


class Child:
    """A target process driven over its stdin/stdout; `with Child("bot", ...) as bot:`.
    Its log (stderr) goes to LOGS/<kind>-<n>.log."""

    def __init__(self, kind: str, *args: str) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = LOGS / f"{kind}-{next(_children)}.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench.target", kind, *args],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self.ready = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while line := self.proc.stdout.readline():
            if line.startswith("{"):  # anything else is a wrapper's chatter (e.g. a profiler)
                return json.loads(line)
        code = self.proc.wait(timeout=10)
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"bench target {self.proc.args} exited with {code}:\n{tail}")

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(main())
