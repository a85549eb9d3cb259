"""The strict roadmap schema: each broken roadmap is answered with the exact error lines."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.core.roadmap import RoadmapError
from bot.core.roadmap_load import load
from bot.core.roadmap_schema import parse
from tests.conftest import FIXTURES

BROKEN = FIXTURES / "roadmaps" / "broken"
KINDS = "course, book, video, article, docs, paper, exercise"
TOPIC_FIELDS = (
    "id, title, weeks, summary, key_points, resources, prompts, aliases, prerequisites, recall, "
    "exercise"
)
MUST_COME_EARLIER = "prerequisites must come earlier"
BAD_TIME = 'must be a 24-hour time "HH:MM" like "09:00", not'
WEEKDAYS = "monday, tuesday, wednesday, thursday, friday, saturday, sunday"

# Every file in tests/fixtures/roadmaps/broken/, with every line `load` must answer (PATH is
# the path as given). Sorted by line, so an editor can walk them top to bottom.
EXPECTED: dict[str, list[str]] = {
    "yaml_syntax.yaml": [
        "PATH:7: (yaml): did not find expected ',' or '}' (while parsing a flow mapping at line 6)",
    ],
    "empty.yaml": ["PATH:1: (root): the file is empty; expected schedule and stages"],
    "not_a_mapping.yaml": ["PATH:2: (root): must be a mapping of fields, not a list"],
    "unknown_fields.yaml": [
        "PATH:6: schedule.colour: unknown field; "
        "allowed: timezone, start, weekly, nudge, recap, track, max_core_hours, vote",
        "PATH:11: stages[0].topics[0].summary: required field is missing",
        'PATH:14: stages[0].topics[0].sumary: unknown field (did you mean "summary"?); '
        f"allowed: {TOPIC_FIELDS}",
        "PATH:18: stages[0].topics[0].resources[0].pages: unknown field; "
        "allowed: title, url, kind, cost, section, hours, core",
        "PATH:19: owner: unknown field; allowed: title, schedule, stages, tracks",
    ],
    "wrong_types.yaml": [
        "PATH:8: stages[0].title: must be text, not a list",
        "PATH:12: stages[0].topics[0].weeks: must be a whole number of weeks from 1 to 52, not two",
        "PATH:15: stages[0].topics[0].prompts: must be a list, not text",
        "PATH:17: stages[0].topics[0].resources[0].hours: "
        "must be a number of hours above 0 and at most 1000",
        "PATH:20: stages[0].topics[1].weeks: must be a whole number of weeks from 1 to 52, not 1.5",
        "PATH:21: stages[0].topics[1].summary: must be text, not a mapping",
        "PATH:22: stages[0].topics[1].key_points: must not be empty",
        "PATH:23: stages[0].topics[1].prompts[1]: must be text, not empty",
        "PATH:24: stages[0].topics[1].resources: must not be empty",
    ],
    "missing_fields.yaml": [
        "PATH:3: schedule.start: required field is missing",
        "PATH:4: schedule.weekly.time: required field is missing",
        "PATH:6: stages[0].title: required field is missing",
        "PATH:8: stages[0].topics[0].summary: required field is missing",
        "PATH:14: stages[0].topics[0].resources[0].url: required field is missing",
        "PATH:14: stages[0].topics[0].resources[0].cost: required field is missing",
    ],
    "duplicate_ids.yaml": [
        'PATH:12: stages[1].id: duplicate stage id "s" (first at line 7)',
        'PATH:15: stages[1].topics[0].id: duplicate topic id "a" (first at line 10)',
        "PATH:18: stages[1].topics[1].title: duplicate field (first at line 17)",
        "PATH:27: tracks.t: duplicate track (first at line 26)",
    ],
    "prerequisites.yaml": [
        'PATH:11: stages[0].topics[1].prerequisites[1]: "vectors" is listed twice',
        "PATH:11: stages[0].topics[1].prerequisites[2]: a topic cannot be its own prerequisite",
        'PATH:12: stages[0].topics[2].prerequisites[0]: unknown topic "matrixes" '
        '(did you mean "matrices"?)',
        'PATH:12: stages[0].topics[2].prerequisites[1]: unknown topic "calculus"',
        'PATH:13: stages[0].topics[3].prerequisites[0]: "derivatives" comes later in the '
        f"roadmap (line 14); {MUST_COME_EARLIER}",
    ],
    "cycle.yaml": [
        "PATH:10: stages[0].topics[0].prerequisites: prerequisite cycle: a -> c -> b -> a",
        'PATH:10: stages[0].topics[0].prerequisites[0]: "c" comes later in the roadmap '
        f"(line 12); {MUST_COME_EARLIER}",
    ],
    "urls_and_kinds.yaml": [
        'PATH:17: stages[0].topics[0].resources[0].url: "ftp://example.org/a" '
        "is not a valid http(s) URL",
        'PATH:18: stages[0].topics[0].resources[1].url: "www.example.org/a" '
        "is not a valid http(s) URL",
        'PATH:19: stages[0].topics[0].resources[2].url: "https://example org/a" '
        "is not a valid http(s) URL",
        'PATH:21: stages[0].topics[0].resources[4].url: "https:///nohost" '
        "is not a valid http(s) URL",
        'PATH:22: stages[0].topics[0].resources[5].kind: unknown kind "vidoe" '
        f'(did you mean "video"?); use one of {KINDS}',
    ],
    "costs.yaml": [
        'PATH:21: stages[0].topics[3].resources[1].cost: must be "free" or a price in USD >= 0',
        'PATH:22: stages[0].topics[3].resources[2].cost: must be "free" or a price in USD >= 0',
        'PATH:23: stages[0].topics[3].resources[3].cost: must be "free" or a price in USD >= 0',
        "PATH:24: stages[0].topics[3].resources[4].cost: $65 differs from $60 for the same URL "
        "at line 20",
        "PATH:24: stages[0].topics[3].resources[4].hours: "
        "must be a number of hours above 0 and at most 1000",
    ],
    "schedule.yaml": [
        'PATH:3: schedule.timezone: unknown IANA timezone "Pacific/Seattle", '
        'e.g. "America/Los_Angeles" or "UTC"',
        "PATH:4: schedule.start: 2026-02-30 is not a real date",
        f'PATH:5: schedule.weekly.weekday: "mondy" is not a weekday; use one of {WEEKDAYS}',
        f"PATH:5: schedule.weekly.time: {BAD_TIME} 24:00",
        f"PATH:6: schedule.nudge.time: {BAD_TIME} noon",
        f"PATH:7: schedule.recap.time: {BAD_TIME} 16",
    ],
    "tracks.yaml": [
        'PATH:7: schedule.track: unknown track "quick"; known: full, career-switch',
        'PATH:24: tracks.full: "full" is the whole roadmap; pick another id',
        "PATH:27: tracks.career-switch.budget_usd: the track's paid resources cost $549.50, "
        "over the budget of $500",
        'PATH:28: tracks.career-switch.topics[0]: "b" must come after its prerequisite "a"',
        'PATH:28: tracks.career-switch.topics[3]: unknown topic "d"',
        'PATH:28: tracks.career-switch.topics[4]: "c" is listed twice',
        'PATH:29: tracks.career-switch.pace.x: unknown topic "x"',
        "PATH:29: tracks.career-switch.pace.b: must be a whole number of weeks from 1 to 52, not 0",
        'PATH:30: tracks.Bad_Id: "Bad_Id" must be lower-case letters, digits and dashes, '
        'like "chain-rule"',
    ],
    "new_fields.yaml": [
        "PATH:5: schedule.max_core_hours: must be a number of hours above 0 and at most 168",
        "PATH:16: stages[0].topics[0].recall[0].q: required field is missing",
        "PATH:16: stages[0].topics[0].recall[1].a: must not be empty",
        "PATH:16: stages[0].topics[0].recall[2].answer: unknown field; allowed: q, a",
        "PATH:16: stages[0].topics[0].recall[3]: must be a question or "
        "{q: question, a: model answer}, not a list",
        "PATH:18: stages[0].topics[0].resources[0].core: must be true or false, not text",
        "PATH:24: tracks.t.assumes: must be a list, not text",
        "PATH:28: tracks.u.budget_usd: the track's core paid resources cost $45, "
        "over the budget of $40",
    ],
}


def errors_of(path: Path) -> list[str]:
    with pytest.raises(RoadmapError) as caught:
        load(path)
    return [line.replace(str(path), "PATH", 1) for line in caught.value.errors]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_roadmap_gets_exactly_these_errors(name: str) -> None:
    assert errors_of(BROKEN / name) == EXPECTED[name]


def test_every_broken_fixture_has_its_expected_errors() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


def test_the_path_is_reported_as_given() -> None:
    text = (BROKEN / "costs.yaml").read_text()
    with pytest.raises(RoadmapError) as caught:
        parse(text, "roadmap.yaml")
    assert caught.value.errors[0] == (
        'roadmap.yaml:21: stages[0].topics[3].resources[1].cost: must be "free" or a price in '
        "USD >= 0"
    )
    assert str(caught.value).splitlines() == caught.value.errors


def test_an_unreadable_file_is_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RoadmapError) as caught:
        load(missing)
    assert caught.value.errors == [f"{missing}:1: (file): cannot read: No such file or directory"]


VALID = """\
title: 2024
schedule:
  timezone: Europe/Berlin
  start: 2027-01-04
  weekly: {weekday: Monday, time: 9:30}
  nudge: ~
  track: short
stages:
  - id: s
    title: yes
    topics:
      - id: a
        title: On
        weeks: 2
        summary: a
        key_points: [k]
        prompts: [p]
        resources:
          - &free {title: r, url: "https://example.org/a", kind: Book, cost: Free, hours: 1}
          - {title: s, url: "https://example.org/b", kind: video, cost: 12.5, section: Ch. 1}
      - id: b
        title: B
        weeks: 1
        summary: b
        key_points: [k]
        prompts: [p]
        prerequisites: [a]
        recall: [q1, q2]
        aliases: [bee]
        exercise: code it
        resources:
          - {title: s, url: "https://example.org/b", kind: video, cost: 12.5}
          - <<: *free
            url: "https://example.org/c"
tracks:
  short:
    title: Short
    topics: [a, b]
    pace: {a: 1}
    budget_usd: 20
"""


def test_a_valid_roadmap_builds_the_model_as_written() -> None:
    roadmap = parse(VALID, "r.yaml")
    assert roadmap.title == "2024"  # text stays text, not the number 2024
    assert roadmap.stages[0].title == "yes"  # not True
    assert roadmap.topics[0].title == "On"  # not True
    s = roadmap.schedule
    assert (s.timezone, s.start, s.weekly.weekday, s.weekly.time) == (
        "Europe/Berlin",
        dt.date(2027, 1, 4),
        0,
        dt.time(9, 30),  # unquoted 9:30 is not YAML 1.1's sexagesimal 570
    )
    assert s.nudge is None and s.recap is None and s.track == "short"
    a, b = roadmap.topics
    assert a.resources[0].kind == "book" and a.resources[0].free  # case forgiven
    assert a.resources[1].cost_usd == 12.5 and a.resources[1].section == "Ch. 1"
    merged = b.resources[1]  # <<: *free, with its own url
    assert (merged.title, merged.url, merged.hours) == ("r", "https://example.org/c", 1)
    assert b.prerequisites == ("a",) and b.recall == ("q1", "q2") and b.aliases == ("bee",)
    assert b.exercise == "code it" and b.stage == "s"
    track = roadmap.tracks["short"]
    assert (track.topics, track.pace, track.budget_usd) == (("a", "b"), {"a": 1}, 20)
    assert [t.weeks for t in roadmap.followed()] == [1, 1]
    assert roadmap.total_weeks("full") == 3
    assert roadmap.cost_usd() == 12.5  # the same URL in two topics is bought once


def test_a_written_key_twice_is_still_a_duplicate_next_to_a_merge() -> None:
    text = VALID.replace(
        '            url: "https://example.org/c"',
        '            url: "https://example.org/c"\n            url: "https://example.org/d"',
    )
    with pytest.raises(RoadmapError) as caught:
        parse(text, "r.yaml")
    assert caught.value.errors == [
        "r.yaml:35: stages[0].topics[1].resources[1].url: duplicate field (first at line 34)"
    ]


def test_loading_the_full_roadmap_is_fast_enough_to_do_on_every_edit() -> None:
    # No timing assertion (see the bench); this just keeps the real file loading cleanly.
    from tests.conftest import ROADMAP

    roadmap = load(ROADMAP)
    assert roadmap.topics and roadmap.path == str(ROADMAP)


ODD = """\
"two words": 1
"a: b\\nc": 2
schedule:
  timezone: UTC
  start: 2026-09-07
  weekly: {weekday: monday, time: "09:00"}
  recap: &loop {weekday: friday, time: "16:00", <<: *loop}
stages:
  - id: s
    title: S
    topics:
      - id: a
        title: A
        weeks: 1
        summary: s
        key_points: [k]
        prompts: [p]
        resources:
          - {title: r, url: "https://[example.org/a", kind: book, cost: free}
          - {title: r, url: "https://example.org:99999/a", kind: book, cost: free}
          - {title: r, url: "https://example.org/b", kind: "new\\nline", cost: free}
tracks:
  "odd track": {title: T, topics: [a]}
"""


def test_odd_keys_and_values_never_break_the_error_line_format() -> None:
    with pytest.raises(RoadmapError) as caught:
        parse(ODD, "r.yaml")
    assert caught.value.errors == [
        'r.yaml:1: (root): unknown field "two words"; allowed: title, schedule, stages, tracks',
        'r.yaml:2: (root): unknown field "a: b\\nc"; allowed: title, schedule, stages, tracks',
        "r.yaml:7: schedule.recap: cannot merge with <<: it merges itself",
        'r.yaml:19: stages[0].topics[0].resources[0].url: "https://[example.org/a" '
        "is not a valid http(s) URL",
        'r.yaml:20: stages[0].topics[0].resources[1].url: "https://example.org:99999/a" '
        "is not a valid http(s) URL",
        'r.yaml:21: stages[0].topics[0].resources[2].kind: unknown kind "new\\nline"; '
        "use one of course, book, video, article, docs, paper, exercise",
        'r.yaml:23: tracks: "odd track" must be lower-case letters, digits and dashes, '
        'like "chain-rule"',
    ]


@pytest.mark.parametrize(
    "text", ["", "null", "[]", "42", "a: &a [*a]", "stages: &s [*s]", "{" * 200, "- " * 500]
)
def test_degenerate_files_are_one_clear_error(text: str) -> None:
    with pytest.raises(RoadmapError) as caught:
        parse(text, "r.yaml")
    assert caught.value.errors and all(e.startswith("r.yaml:") for e in caught.value.errors)
    assert all("\n" not in e for e in caught.value.errors)


@pytest.mark.parametrize("zone", ["America", "Etc", "America/", "America/../UTC", "a\\x00b", "PST"])
def test_anything_but_an_iana_zone_name_is_a_clear_error(zone: str) -> None:
    text = (BROKEN / "schedule.yaml").read_text().replace("Pacific/Seattle", f'"{zone}"')
    with pytest.raises(RoadmapError) as caught:
        parse(text, "r.yaml")
    assert caught.value.errors[0].startswith("r.yaml:3: schedule.timezone: unknown IANA timezone")


# --- the curriculum rules (issue 15): warnings on load, errors under --strict -----------------

RULES = FIXTURES / "roadmaps" / "rules.yaml"
EXERCISE = (
    "required field is missing: a code exercise saying what to compute, on what input, and how "
    "to check the result"
)
TRACK_ADVICE = "which is not on this track; add it to the track's topics or to its assumes:"
# One line per rule (the fixture breaks each), as `--strict` reports them; a load gives the
# same lines with "warning: " after the field path.
RULE_LINES = [
    f"PATH:12: stages[0].topics[0].exercise: {EXERCISE}",
    'PATH:18: stages[0].topics[0].recall[0]: no model answer; write it as {q: "…", a: "…"}',
    "PATH:20: stages[0].topics[0].resources: no core resource: mark the reading the group does "
    "together with `core: true`",
    "PATH:31: stages[0].topics[1].resources: core reading of b is ~10 h over 1 week on track "
    "fast (10 h a week; schedule.max_core_hours is 6)",
    "PATH:42: stages[0].topics[2].resources: core reading of c is ~7 h over 1 week on the full "
    "roadmap and tracks quick, fast (7 h a week; schedule.max_core_hours is 6)",
    f'PATH:46: tracks.quick.topics[0]: "c" needs "b", {TRACK_ADVICE}',
    f'PATH:46: tracks.quick.topics[0]: "c" needs "a" (through "b"), {TRACK_ADVICE}',
]


def as_warning(line: str) -> str:
    return re.sub(r"^(PATH:\d+: \S+: )", r"\1warning: ", line)


def test_each_curriculum_rule_warns_with_its_line_and_the_roadmap_still_loads() -> None:
    roadmap = load(RULES)
    assert [w.replace(str(RULES), "PATH", 1) for w in roadmap.warnings] == [
        as_warning(line) for line in RULE_LINES
    ]


def test_under_strict_each_curriculum_rule_is_an_error() -> None:
    with pytest.raises(RoadmapError) as caught:
        load(RULES, strict=True)
    assert [e.replace(str(RULES), "PATH", 1) for e in caught.value.errors] == RULE_LINES


def test_the_rules_fixture_keeps_what_passes() -> None:
    roadmap = load(RULES)
    a, b, c = roadmap.topics
    # Recall answers by position; a string keeps loading as a question without one.
    assert a.recall == ("What is a?", "What is a, really?")
    assert a.answers == (None, "The first topic.")
    assert b.answers == ("Because a.",) and c.recall == c.answers == ()
    # No core marked: everything is the reading, as before core existed; nothing optional.
    assert not a.marks_core and a.core == a.resources and a.optional == ()
    assert [r.title for r in b.core] == ["core book"] and [r.title for r in b.optional] == ["extra"]
    assert (b.core_hours, b.optional_hours) == (10, 30)
    # "fast" assumes a (so b's prerequisite is excused) and pays $30 of core, within its $30
    # budget: the $100 optional extra does not count.
    fast = roadmap.tracks["fast"]
    assert fast.assumes == ("a", "school algebra") and fast.budget_usd == 30
    core, optional = roadmap.paid_split("fast")
    assert [r.cost_usd for r in core] == [30] and [r.cost_usd for r in optional] == [100]
    assert roadmap.schedule.max_core_hours == 6


def test_rules_are_quiet_on_a_roadmap_that_keeps_them() -> None:
    text = RULES.read_text()
    fixed = (
        text.replace('recall: ["What is a?", ', "recall: [")
        .replace("cost: free, hours: 20}", "cost: free, hours: 5, core: true}\n        exercise: x")
        .replace("hours: 7, core: true", "hours: 6, core: true")
        .replace("topics: [c]", "topics: [a, b, c]")
        .replace("pace: {b: 1}", "pace: {b: 2}")
    )
    assert parse(fixed, "r.yaml", strict=True).warnings == ()


def test_old_roadmaps_load_with_the_defaults() -> None:
    roadmap = parse(VALID, "r.yaml")
    assert roadmap.schedule.max_core_hours == 8
    assert all(not r.core for t in roadmap.topics for r in t.resources)
    assert roadmap.tracks["short"].assumes == ()
    b = roadmap.topics[1]
    assert b.recall == ("q1", "q2") and b.answers == (None, None)
    assert roadmap.warnings  # the new rules warn, they do not refuse


WEEKLY_MONDAY = "  weekly: {weekday: Monday, time: 9:30}\n  nudge: ~\n"


def with_schedule(start: str, posts: str) -> str:
    return VALID.replace("  start: 2027-01-04\n", f"  start: {start}\n").replace(
        WEEKLY_MONDAY, posts
    )


def test_a_start_that_would_send_the_nudge_before_the_weekly_post_is_refused() -> None:
    # Wednesday 2027-01-06 with Monday posts: week 1 would run Wednesday to Tuesday, its nudge
    # and recap going out before its weekly post. The nearest Monday is named.
    posts = (
        "  weekly: {weekday: monday, time: '09:00'}\n"
        "  nudge: {weekday: wednesday, time: '12:00'}\n"
        "  recap: {weekday: friday, time: '16:00'}\n"
    )
    line = (
        "r.yaml:4: schedule.start: 2027-01-06 is a Wednesday, so each week starts on a Wednesday "
        "and its nudge (Wednesday) would go out before its weekly post (Monday); start on a "
        "Monday, the nearest is 2027-01-04"
    )
    # Refused under --strict (and by `roadmap check`, below) ...
    with pytest.raises(RoadmapError) as caught:
        parse(with_schedule("2027-01-06", posts), "r.yaml", strict=True)
    assert caught.value.errors == [line]
    # ... while a running group's bot keeps loading it, with the warning.
    loaded = parse(with_schedule("2027-01-06", posts), "r.yaml")
    assert line.replace("schedule.start: ", "schedule.start: warning: ") in loaded.warnings
    later = with_schedule("2027-01-08", posts)  # a Friday: the next Monday is nearer
    with pytest.raises(RoadmapError, match="recap .Friday.* the nearest is 2027-01-11"):
        parse(later, "r.yaml", strict=True)
    assert parse(with_schedule("2027-01-11", posts), "r.yaml").schedule.start.weekday() == 0


def test_a_post_day_moved_later_in_the_week_keeps_the_start() -> None:
    # A group that moves its weekly post from Monday to Tuesday keeps its weeks (and the posts
    # already sent under them): the weekly post is still each week's first.
    posts = (
        "  weekly: {weekday: tuesday, time: '10:30'}\n  recap: {weekday: friday, time: '16:00'}\n"
    )
    assert parse(with_schedule("2027-01-04", posts), "r.yaml").schedule.weekly.weekday == 1
    same_day = (
        "  weekly: {weekday: friday, time: '09:00'}\n  recap: {weekday: friday, time: '16:00'}\n"
    )
    assert parse(with_schedule("2027-01-08", same_day), "r.yaml")


def test_roadmap_check_names_the_nearest_start(tmp_path: Path, capsys) -> None:
    from bot.cli.roadmap_check import check

    path = tmp_path / "roadmap.yaml"
    path.write_text(
        (FIXTURES / "posts_los_angeles.yaml").read_text().replace("2027-01-04", "2027-01-06")
    )
    assert check(str(path)) == 1
    err = capsys.readouterr().err
    assert "schedule.start: 2027-01-06 is a Wednesday" in err and "nearest is 2027-01-04" in err


def test_a_weekly_post_left_empty_is_a_clear_error_while_nudge_and_recap_may_be() -> None:
    # Found by the fuzz test: `weekly: null` made the load fail without a single error line.
    posts = "  weekly: null\n  nudge: null\n  recap: null\n"
    with pytest.raises(RoadmapError) as caught:
        parse(with_schedule("2027-01-04", posts), "r.yaml")
    assert len(caught.value.errors) == 1
    assert caught.value.errors[0].startswith("r.yaml:5: schedule.weekly: required: ")
    quiet = "  weekly: {weekday: monday, time: '09:00'}\n  nudge: null\n  recap: null\n"
    schedule = parse(with_schedule("2027-01-04", quiet), "r.yaml").schedule
    assert schedule.nudge is None and schedule.recap is None
