"""`python -m bench [--quick] [--only NAME,…] [--out FILE]`: run the benchmarks, print a table,
write JSON (default bench/results.json)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import http_bench, process_bench, qa_bench, qa_scale, startup
from bench.config import FULL, QUICK, Sizes
from bench.stats import Figure, table
from bench.target import LOGS, ROOT


@dataclasses.dataclass
class Context:
    sizes: Sizes
    roadmap: Path
    stack: ExitStack
    bare_server: str = "waitress"
    _env: http_bench.Env | None = None

    @property
    def env(self) -> http_bench.Env:
        """The HTTP servers, started on first use and shared by benchmarks 1 and 2."""
        if self._env is None:
            self._env = self.stack.enter_context(
                http_bench.Env(self.roadmap, bare_server=self.bare_server)
            )
        return self._env


BENCHES: dict[str, Callable[[Context], list[Figure]]] = {
    "nexttopic": lambda ctx: http_bench.nexttopic(ctx.env, ctx.sizes),
    "ingest": lambda ctx: http_bench.ingest(ctx.env, ctx.sizes),
    "ingest_archive": lambda ctx: qa_bench.ingest_archive(ctx.sizes, ctx.roadmap),
    "qa_search": lambda ctx: qa_bench.qa_search(ctx.sizes, ctx.roadmap),
    "recap": lambda ctx: qa_bench.recap(ctx.sizes, ctx.roadmap),
    "memory": lambda ctx: process_bench.memory(ctx.sizes, ctx.roadmap),
    "roadmap_check": lambda ctx: process_bench.roadmap_check(ctx.sizes, ctx.roadmap),
    "startup": lambda ctx: startup.startup(ctx.sizes, ctx.roadmap),
    "qa_scale": lambda ctx: qa_scale.qa_scale(ctx.sizes, ctx.roadmap),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the code runs")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of: {', '.join(BENCHES)}"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"), help="JSON file")
    parser.add_argument("--roadmap", default=str(ROOT / "roadmap.yaml"), help="roadmap file")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SIZE=N",
        help=f"override a size ({', '.join(f.name for f in dataclasses.fields(Sizes))})",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--bare-server",
        choices=["waitress", "bot"],
        default="waitress",
        help="the bare app's HTTP server: waitress (the baseline) or the bot's own (uvicorn)",
    )
    return parser


def sizes_from(args: argparse.Namespace) -> Sizes:
    sizes = QUICK if args.quick else FULL
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in {f.name for f in dataclasses.fields(Sizes)}:
            raise SystemExit(f"python -m bench: unknown size {key!r}")
        parsed: Any = (
            tuple(int(v) for v in value.split(","))
            if key in ("concurrency", "scale_levels")
            else int(value)
        )
        sizes = dataclasses.replace(sizes, **{key: parsed})
    return sizes


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg": list(os.getloadavg()),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = sizes_from(args)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        raise SystemExit(
            f"python -m bench: unknown benchmark(s) {unknown}; pick from {list(BENCHES)}"
        )
    started = dt.datetime.now().astimezone()
    before = machine()
    print(
        f"# Study Companion benchmarks, {started:%Y-%m-%d %H:%M %Z}, "
        f"{'quick' if args.quick else 'full'} sizes, load average {before['loadavg']}",
        flush=True,
    )
    figures: list[Figure] = []
    timings: dict[str, float] = {}
    with ExitStack() as stack:
        ctx = Context(sizes, Path(args.roadmap).resolve(), stack, args.bare_server)
        for name in names:
            t0 = time.perf_counter()
            print(f"... {name}", file=sys.stderr, flush=True)
            figures += BENCHES[name](ctx)
            timings[name] = round(time.perf_counter() - t0, 2)
    # Quick sizes prove the code runs; judging targets on them would mean nothing.
    judge = not args.quick
    print(table(figures, judge))
    missed = [f"{f.bench}.{f.name}" for f in figures if judge and f.ok is False]
    report = {
        "date": started.isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine": before,
        "loadavg_after": list(os.getloadavg()),
        "sizes": dataclasses.asdict(sizes),
        "bare_server": args.bare_server,
        "seconds": timings,
        "figures": [f.to_json() for f in figures],
        "targets_missed": missed if judge else None,
        "logs": str(LOGS),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    verdict = f"targets missed: {', '.join(missed) or 'none'}" if judge else "targets not judged"
    print(f"{verdict}; wrote {out}; the apps' logs are in {LOGS}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
