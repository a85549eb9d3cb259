"""The benchmark suite at tiny sizes, so it never rots: every benchmark runs and reports.
No timing assertions: the figures at these sizes mean nothing."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROADMAP, ROOT

EXPECTED = {
    "nexttopic",
    "ingest",
    "ingest_archive",
    "qa_search",
    "recap",
    "memory",
    "roadmap_check",
    "startup",
    "qa_scale",
}


@pytest.mark.slow
def test_quick_run_measures_every_benchmark_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out), "--roadmap", str(ROADMAP)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| benchmark" in done.stdout and "targets not judged" in done.stdout

    report = json.loads(out.read_text())
    assert report["mode"] == "quick"
    figures = {(f["bench"], f["name"]): f for f in report["figures"]}
    assert {bench for bench, _ in figures} == EXPECTED
    for (bench, name), figure in figures.items():
        assert figure["n"] > 0, (bench, name)
        for stat in ("median", "p95", "p99", "max"):
            assert math.isfinite(figure[stat]), (bench, name, stat)
        if "failed" in name:
            # The bot answered every request it was sent (200, and the message where one is due).
            assert figure["max"] == 0, (bench, name, figure["note"])
        else:  # everything else measured something
            for stat in ("median", "p95", "p99"):
                assert figure[stat] > 0, (bench, name, stat)

    # Every comparison is a ratio taken in the same run, one per repeat, at every concurrency.
    for c in report["sizes"]["concurrency"]:
        for bench in ("nexttopic", "ingest"):
            assert figures[(bench, f"ratio_c{c}")]["n"] == report["sizes"]["repeats"], (bench, c)
            assert (bench, f"bot_failed_c{c}") in figures
        # Ingest is also counted until the replies that waited for a lull were sent.
        assert figures[("ingest", f"ratio_settled_c{c}")]["n"] == report["sizes"]["repeats"]

    # The ingest went through the real app: every event sent to the bot was recorded once.
    sizes = report["sizes"]
    per_concurrency = sizes["repeats"] * (sizes["warmup"] + sizes["events"])
    recorded = figures[("ingest", f"bot_events_c{sizes['concurrency'][0]}")]["bot_database"]
    assert recorded["events_seen"] == per_concurrency * len(sizes["concurrency"])
    assert recorded["qa_questions"] > 0 and recorded["qa_answers"] > 0
    memory = figures[("memory", f"rss_after_{sizes['memory_events']}_events")]
    assert memory["failed_events"] == 0, memory["note"]
    assert memory["bot_database"]["events_seen"] == sizes["memory_events"]

    # Search and recap ran on archives of the asked size, built through the archive's code.
    search = figures[("qa_search", "fts_search")]
    assert search["archive"] == {
        "qa_questions": sizes["qa_questions"],
        "qa_answers": sizes["qa_answers"],
    }
    recap = figures[("recap", f"compose_{sizes['recap_questions']}_questions")]
    assert recap["questions_in_week"] == sizes["recap_questions"]


def test_percentiles_and_worst_side_tails() -> None:
    from bench.stats import Figure, Target, percentile

    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([0, 10], 99) == 9.9
    latency = Figure("b", "latency", "ms", [1.0] * 98 + [50.0, 50.0], target=Target("<", 10, "p99"))
    assert latency.p99 > 1 and latency.ok is False
    rate = Figure("b", "rate", "req/s", [100.0] * 98 + [1.0, 1.0], higher_is_better=True)
    assert rate.p99 < 2 and rate.median == 100  # for a throughput, p99 is the slow tail
