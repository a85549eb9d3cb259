"""Benchmark sizes: FULL by default, QUICK for the test suite (proves the code runs, not the speed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    repeats: int  # measured runs of each figure; median and p99 are over these
    concurrency: tuple[int, ...]  # HTTP client threads for benchmarks 1 and 2
    requests: int  # /nexttopic requests per run at the highest concurrency
    requests_serial: int  # … at concurrency 1 (each takes at least Bolt's 10 ms ack poll)
    events: int  # message events per ingest run
    warmup: int  # requests before each measured run, not counted
    memory_events: int  # events ingested before the second resident-set reading
    memory_repeats: int  # fresh processes for the resident-set figures
    qa_questions: int
    qa_answers: int
    qa_queries: int  # /qa searches timed per repeat
    recap_questions: int
    recap_answers_per_question: int
    cli_repeats: int  # `studybot roadmap check` runs, and start-ups of each app
    scale_levels: tuple[int, ...]  # archive sizes (questions; 3 answers each) for qa_scale


FULL = Sizes(
    repeats=5,
    concurrency=(1, 16),
    requests=2000,
    requests_serial=300,
    events=2000,
    warmup=100,
    memory_events=10_000,
    memory_repeats=3,
    qa_questions=100_000,
    qa_answers=300_000,
    qa_queries=200,
    recap_questions=5000,
    recap_answers_per_question=2,
    cli_repeats=20,
    scale_levels=(10_000, 100_000, 1_000_000),
)

QUICK = Sizes(
    repeats=2,
    concurrency=(1, 4),
    requests=40,
    requests_serial=10,
    events=40,
    warmup=5,
    memory_events=100,
    memory_repeats=1,
    qa_questions=300,
    qa_answers=900,
    qa_queries=20,
    recap_questions=50,
    recap_answers_per_question=2,
    cli_repeats=2,
    scale_levels=(300, 1000),
)
