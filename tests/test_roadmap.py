"""roadmap.yaml itself: it covers every topic the seeds name, completely, and checks clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.roadmap_check import notes
from bot.core.format import plural
from bot.core.roadmap_load import load
from bot.core.topic_search import find_topics
from tests.conftest import FIXTURES, ROADMAP, ROOT
from tests.processes import free_port, studybot

ROADMAP_DATA = load(ROADMAP)

# issue 3, item 1: every stage and topic the seeds name -> the topic of roadmap.yaml it lands on.
SEED_TOPICS = {
    # Mathematics: linear algebra
    "vectors and spaces": "vectors-and-spaces",
    "matrices and transformations": "matrix-transformations",
    "eigenvectors": "eigenvectors-svd",
    "SVD": "eigenvectors-svd",
    # Mathematics: calculus
    "derivatives": "derivatives-chain-rule",
    "chain rule": "derivatives-chain-rule",
    "backpropagation": "derivatives-chain-rule",
    "gradients": "gradients",
    "integrals": "integrals",
    "applications of integrals": "integral-applications",
    "differential equations": "differential-equations",
    "parametric equations": "parametric-polar-vector",
    "polar coordinates": "parametric-polar-vector",
    "vector-valued functions": "parametric-polar-vector",
    "series": "series",
    # Mathematics: probability and statistics
    "statistics and probability": "statistics-core",
    "discrete distributions": "distributions",
    "continuous distributions": "distributions",
    "binomial": "distributions",
    "normal distribution": "distributions",
    "gaussian": "distributions",
    "bayesian statistics": "bayesian-statistics",
    # Python
    "syntax and data types": "python-syntax",
    "control flow": "control-flow",
    "functions and modules": "functions-modules",
    "data structures": "data-structures",
    "numpy": "numpy",
    "pandas": "pandas",
    "matplotlib": "plotting",
    "seaborn": "plotting",
    "pytorch": "pytorch",
    "object-oriented programming": "oop",
    # ML concepts
    "supervised learning": "supervised-learning",
    "classification": "supervised-learning",
    "regression": "supervised-learning",
    "unsupervised learning": "unsupervised-learning",
    "dimensionality reduction": "feature-engineering",
    "anomaly detection": "unsupervised-learning",
    "reinforcement learning": "reinforcement-learning",
    "linear regression": "linear-regression",
    "logistic regression": "logistic-regression",
    "decision trees": "decision-trees-random-forests",
    "random forests": "decision-trees-random-forests",
    "support vector machines": "svm",
    "clustering": "clustering",
    "neural networks": "neural-networks",
    "deep learning": "neural-networks",
    "evaluation and validation": "evaluation-validation",
    "feature engineering": "feature-engineering",
    "model selection": "model-selection-tuning",
    "hyperparameter tuning": "model-selection-tuning",
    "fine-tuning with transformers": "transformers",
    "arxiv": "staying-current",
    "conferences": "staying-current",
}
# issue 15: the missing math, week 0 and the capstone, each named by the issue or a seed.
ISSUE15_TOPICS = {
    "quick start": "quick-start",
    "week 0": "quick-start",
    "matrix calculus": "matrix-calculus",
    "lagrange multipliers": "constrained-optimization",
    "constrained optimization": "constrained-optimization",
    "multivariate gaussian": "multivariate-gaussian",
    "information theory": "information-theory",
    "entropy": "information-theory",
    "KL divergence": "information-theory",
    "PCA": "pca",
    "gaussian mixtures": "gaussian-mixtures",
    "EM algorithm": "gaussian-mixtures",
    "probabilistic graphical models": "graphical-models",
    "computer vision": "computer-vision",
    "portfolio project": "capstone",
    "capstone": "capstone",
}
SEED_STAGES = {
    "start",
    "linear-algebra",
    "calculus",
    "probability-statistics",
    "python",
    "python-advanced",
    "ml",
    "train-your-own",
    "stay-current",
}
MATH_STAGES = {"linear-algebra", "calculus", "probability-statistics"}


@pytest.mark.parametrize(
    ("seed_topic", "topic_id"), sorted({**SEED_TOPICS, **ISSUE15_TOPICS}.items())
)
def test_each_seed_topic_maps_to_a_roadmap_topic(seed_topic: str, topic_id: str) -> None:
    found = find_topics(ROADMAP_DATA, seed_topic)
    assert found, f"{seed_topic!r} finds nothing"
    assert found[0].id == topic_id


def test_every_seed_stage_is_there_in_order() -> None:
    assert {s.id for s in ROADMAP_DATA.stages} == SEED_STAGES
    order = [s.id for s in ROADMAP_DATA.stages]
    assert order[0] == "start"  # week 0: Python, NumPy and Matplotlib before the math
    assert order.index("linear-algebra") < order.index("python") < order.index("ml")
    assert order[-2:] == ["train-your-own", "stay-current"]


def test_every_roadmap_topic_is_reached_by_some_seed_topic() -> None:
    named = set(SEED_TOPICS.values()) | set(ISSUE15_TOPICS.values())
    assert {t.id for t in ROADMAP_DATA.topics} == named


def test_every_topic_is_complete() -> None:
    assert notes(ROADMAP_DATA) == []  # >= 2 resources, >= 2 prompts, 2-3 recall questions
    for topic in ROADMAP_DATA.topics:
        assert topic.summary and topic.key_points and topic.aliases, topic.id
        assert all(r.hours for r in topic.resources), topic.id
        assert all(r.section for r in topic.resources), topic.id  # every pointer says where
        assert topic.exercise, f"{topic.id}: every topic learns it through code"


def needs(topic_id: str) -> set[str]:
    """Every topic `topic_id` builds on, however indirectly."""
    topic = ROADMAP_DATA.topic(topic_id)
    direct = set(topic.prerequisites) if topic else set()
    return direct.union(*(needs(p) for p in direct))


def test_math_exercises_come_after_the_quick_start_that_teaches_numpy() -> None:
    for topic in ROADMAP_DATA.topics:
        if topic.stage in MATH_STAGES:
            assert "quick-start" in needs(topic.id), topic.id


def test_the_seed_exercise_is_on_the_chain_rule_topic() -> None:
    exercise = ROADMAP_DATA.topic("derivatives-chain-rule").exercise or ""
    assert "ReLU" in exercise and "backward" in exercise and "numerical gradient" in exercise


@pytest.mark.parametrize(
    ("needle", "topic_id"),
    [
        ("khanacademy.org/math/linear-algebra/vectors-and-spaces", "vectors-and-spaces"),
        ("khanacademy.org/math/integral-calculus/ic-diff-eq", "differential-equations"),
        ("khanacademy.org/math/statistics-probability", "statistics-core"),
        ("course.fast.ai", "neural-networks"),
        ("developers.google.com/machine-learning/guides/rules-of-ml", "evaluation-validation"),
        ("mml-book.github.io", "eigenvectors-svd"),
        ("mathematics-for-machine-learning-and-data-science", "eigenvectors-svd"),
        ("oreilly.com/library/view/essential-math-for", "linear-regression"),
        ("9780321629111", "statistics-core"),  # Walpole, 9th ed.
        (
            "jakevdp.github.io/PythonDataScienceHandbook/05.08-random-forests",
            "decision-trees-random-forests",
        ),
        ("developers.google.com/machine-learning/clustering", "clustering"),
        ("huggingface.co/docs/transformers", "transformers"),
        ("3blue1brown.com", "vectors-and-spaces"),
        ("youtube.com/watch?v=7ArmBVF2dCs", "linear-regression"),  # StatQuest
    ],
)
def test_the_seeds_resources_are_where_they_fit(needle: str, topic_id: str) -> None:
    topic = ROADMAP_DATA.topic(topic_id)
    assert any(needle in r.url for r in topic.resources), (needle, topic_id)


def test_walpole_costs_about_sixty_dollars_everywhere() -> None:
    prices = {r.cost_usd for t in ROADMAP_DATA.topics for r in t.resources if "Walpole" in r.title}
    assert prices == {60}


def test_schedule_keeps_the_running_calendar_others_rely_on() -> None:
    s = ROADMAP_DATA.schedule
    assert (s.timezone, s.start.isoformat(), s.start.weekday()) == (
        "America/Los_Angeles",
        "2026-09-07",
        0,
    )
    assert (s.weekly.weekday, s.weekly.time.isoformat("minutes")) == (0, "09:00")
    assert (s.nudge.weekday, s.nudge.time.isoformat("minutes")) == (2, "12:00")
    assert (s.recap.weekday, s.recap.time.isoformat("minutes")) == (4, "16:00")


def test_career_switch_track_fits_six_months_and_500_dollars() -> None:
    track = ROADMAP_DATA.tracks["career-switch"]
    assert track.budget_usd == 500
    topics = ROADMAP_DATA.followed("career-switch")
    assert sum(t.weeks for t in topics) == 26  # six months, week 0 and the capstone included
    assert ROADMAP_DATA.cost_usd("career-switch") <= 500  # even counting the optional extras
    core, _optional = ROADMAP_DATA.paid_split("career-switch")
    assert sum(r.cost_usd for r in core) <= 500  # the budget counts core resources (issue 15)
    ids = [t.id for t in topics]
    assert ids[0] == "quick-start" and ids[-1] == "capstone"
    # The math comes just before the ML that uses it, so the track has its own order: every
    # topic still comes after its prerequisites, and the first model is fitted before week 14.
    for i, topic in enumerate(topics):
        assert all(ids.index(p) < i for p in topic.prerequisites if p in ids), topic.id
    first_ml = next(i for i, t in enumerate(topics) if t.stage == "ml")
    assert sum(t.weeks for t in topics[:first_ml]) < 14
    assert "derivatives-chain-rule" in track.topics and "transformers" in track.topics


def run_check(path: Path | str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "roadmap", "check", *flags, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_check_roadmap_yaml_exits_0_with_the_summary() -> None:
    result = run_check("roadmap.yaml")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    r = ROADMAP_DATA
    every = [res for t in r.topics for res in t.resources]
    free = sum(1 for res in every if res.free)
    assert out.startswith(f"roadmap.yaml: ok - {r.title}\n")
    assert f"{len(r.stages)} stages, {len(r.topics)} topics, {r.total_weeks('full')} weeks" in out
    assert f"resources: {len(every)} ({free} free, {len(every) - free} paid;" in out
    for stage in r.stages:
        assert stage.title in out
    full_line = next(line for line in out.splitlines() if line.strip().startswith("full "))
    assert f"cost ${r.cost_usd('full'):,.0f}" in full_line
    career = next(line for line in out.splitlines() if "career-switch " in line)
    assert f"cost ${r.cost_usd('career-switch'):,.0f}" in career and "budget $500" in career
    assert "note:" not in out
    # The curriculum rules only warn (stderr) without --strict.
    *warned, count = result.stderr.splitlines() or [""]
    assert all(": warning: " in line for line in warned)
    assert count == (
        f"roadmap.yaml: {plural(len(warned), 'warning')}; --strict treats "
        + ("it as an error" if len(warned) == 1 else "them as errors")
        if warned
        else ""
    )


def test_check_a_broken_roadmap_exits_1_with_every_error() -> None:
    path = FIXTURES / "roadmaps" / "broken" / "schedule.yaml"
    result = run_check(path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 7 and lines[-1] == f"{path}: 6 errors"
    assert lines[0].startswith(f"{path}:3: schedule.timezone: unknown IANA timezone")
    assert result.stdout == ""


@pytest.mark.parametrize(
    "encode, line",
    [
        (lambda text: text.encode("utf-16"), 1),  # saved as "Unicode" by a Windows editor
        (lambda text: b"\xff\xfe" + text.encode(), 1),
        (lambda text: text.replace("# ", "# caf\u00e9 ", 1).encode("latin-1"), None),
    ],
)
def test_a_roadmap_that_is_not_utf8_is_one_error_line(tmp_path: Path, encode, line) -> None:
    text = (ROOT / "roadmap.yaml").read_text(encoding="utf-8")
    path = tmp_path / "roadmap.yaml"
    path.write_bytes(encode(text))
    if line is None:  # the first line with a non-ASCII character, where Latin-1 differs
        line = next(
            n
            for n, t in enumerate(text.replace("# ", "# caf\u00e9 ", 1).splitlines(), 1)
            if not t.isascii()
        )
    result = run_check(path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    first, total = result.stderr.splitlines()
    assert first.startswith(f"{path}:{line}: (file): not UTF-8 text"), first
    assert total == f"{path}: 1 error"


def test_a_roadmap_that_is_not_utf8_stops_run_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "roadmap.yaml"
    path.write_bytes((ROOT / "roadmap.yaml").read_text(encoding="utf-8").encode("utf-16"))
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "secret",
        "STUDYBOT_CHANNEL": "C0123ABCD",
        "STUDYBOT_DB": str(tmp_path / "bot.db"),
        "STUDYBOT_ROADMAP": str(path),
        "PORT": str(free_port()),
    }
    result = studybot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"STUDYBOT_ROADMAP: {path}:1: (file): not UTF-8 text" in result.stderr


# --- issue 15: --strict and --stats ---------------------------------------------------------

RULES = FIXTURES / "roadmaps" / "rules.yaml"
CORE = FIXTURES / "roadmaps" / "core.yaml"


def test_the_shipped_roadmap_passes_strict() -> None:
    result = run_check("roadmap.yaml", "--strict")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_warnings_leave_exit_0_and_strict_makes_them_errors() -> None:
    warned = run_check(RULES)
    assert warned.returncode == 0
    lines = warned.stderr.splitlines()
    assert len(lines) == 8 and lines[-1] == f"{RULES}: 7 warnings; --strict treats them as errors"
    assert all(line.startswith(f"{RULES}:") and ": warning: " in line for line in lines[:-1])
    assert warned.stdout.startswith(f"{RULES}: ok - Rules\n")

    strict = run_check(RULES, "--strict")
    assert strict.returncode == 1 and strict.stdout == ""
    errors = strict.stderr.splitlines()
    assert errors[-1] == f"{RULES}: 7 errors"
    assert errors[:-1] == [line.replace(": warning: ", ": ", 1) for line in lines[:-1]]


def test_a_roadmap_in_the_new_shape_passes_strict() -> None:
    result = run_check(CORE, "--strict")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"{CORE}: ok - Core and optional\n")


def test_stats_of_a_small_roadmap() -> None:
    result = run_check(CORE, "--stats", "--strict")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"{CORE}: stats - Core and optional",
        "  (core = the resources marked core; a topic marking none counts all of its resources)",
        "  full: 4 topics, 6 weeks - the whole roadmap",
        "    core hours a week: max ~6 h (gradients), median ~3.7 h; 0 of 6 weeks over "
        "max_core_hours 8",
        "    paid: core $40, optional $90",
        "    topics without an exercise: 0",
        "    resources without a pointer (section): 3 of 9",
        "  fast: 3 topics, 4 weeks - Straight to PCA",
        "    core hours a week: max ~6 h (gradients), median ~5.5 h; 0 of 4 weeks over "
        "max_core_hours 8",
        "    paid: core $40, optional $90, budget $50",
        "    topics without an exercise: 0",
        "    resources without a pointer (section): 2 of 7",
    ]


def test_stats_name_what_is_missing_and_what_is_over() -> None:
    result = run_check(RULES, "--stats")
    assert result.returncode == 0 and "7 warnings;" in result.stderr
    out = result.stdout
    assert "  full: 3 topics, 4 weeks - the whole roadmap\n" in out
    # a marks no core: its 20 h count as core; b's 10 h over the 1 week "fast" gives it.
    assert "max ~20 h (a), median ~6 h; 2 of 4 weeks over max_core_hours 6" in out
    assert "max ~10 h (b), median ~8.5 h; 2 of 2 weeks over max_core_hours 6" in out
    assert "    topics without an exercise: 1 (a)\n" in out
    assert "    paid: core $30, optional $100, budget $30\n" in out


def test_stats_of_an_invalid_roadmap_are_its_errors() -> None:
    path = FIXTURES / "roadmaps" / "broken" / "schedule.yaml"
    result = run_check(path, "--stats")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"{path}: 6 errors"
