"""Benchmarks 5 and 6: the bot process's resident set, and `studybot roadmap check` wall time."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import load
from bench.config import Sizes
from bench.http_bench import Traffic, archive_counts
from bench.stats import Figure, Target
from bench.target import ROOT, Child

CHUNK = 2000  # events signed at a time, well inside Bolt's 5-minute timestamp window


def memory(sizes: Sizes, roadmap: Path) -> list[Figure]:
    """5: VmRSS of a fresh bot process (with the scheduler, as `studybot run` starts it) right
    after start-up and after ingesting `memory_events` message events over HTTP."""
    startup, after, counts, failed = [], [], {}, 0
    with Child("standin") as standin, tempfile.TemporaryDirectory(prefix="bench-rss-") as tmp:
        api_url = standin.ready["api_url"]
        traffic = Traffic(api_url, roadmap, seed=5)
        for r in range(sizes.memory_repeats):
            db = Path(tmp) / f"rss-{r}.db"
            args = ["--db", str(db), "--roadmap", str(roadmap), "--api-url", api_url]
            with Child("bot", *args, "--scheduler") as bot:
                startup.append(bot.ready["rss_kb"] / 1024)
                left = sizes.memory_events
                while left > 0:
                    n = min(CHUNK, left)
                    failed += len(load.run(bot.ready["url"], traffic.messages(n), 16).errors)
                    left -= n
                after.append(bot.ask("rss")["rss_kb"] / 1024)
            counts = archive_counts(db)
    limit = Target("<", 100.0, "p99")
    return [
        Figure("memory", "rss_after_startup", "MiB", startup, target=limit),
        Figure(
            "memory",
            f"rss_after_{sizes.memory_events}_events",
            "MiB",
            after,
            target=limit,
            note=f"bot recorded {counts}; {failed} events answered other than 200",
            extra={"bot_database": counts, "failed_events": failed},
        ),
    ]


def studybot_command() -> list[str]:
    script = Path(sys.executable).parent / "studybot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def _wall(argv: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed * 1000


def roadmap_check(sizes: Sizes, roadmap: Path) -> list[Figure]:
    """6: wall time of `studybot roadmap check`, with a bare interpreter start for scale."""
    check = [*studybot_command(), "roadmap", "check", str(roadmap)]
    bare = [sys.executable, "-c", "pass"]
    _wall(check)  # the first run also fills the OS page cache and writes .pyc files
    times, baseline = [], []
    for _ in range(sizes.cli_repeats):
        times.append(_wall(check))
        baseline.append(_wall(bare))
    return [
        Figure("roadmap_check", "wall_time", "ms", times, target=Target("<", 500.0)),
        Figure("roadmap_check", "python_startup", "ms", baseline, note="python -c pass"),
    ]
