"""Validation of roadmap.yaml: every error reported at once as PATH:LINE: field.path: message.

The curriculum rules (bot.core.roadmap_rules) are warnings, `PATH:LINE: field.path: warning:
message`, kept on the model (`Roadmap.warnings`); `strict=True` makes them errors."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core import roadmap_rules
from bot.core.format import money
from bot.core.roadmap import (
    FULL_TRACK,
    MAX_CORE_HOURS,
    RESOURCE_KINDS,
    WEEKDAYS,
    PostTime,
    Resource,
    Roadmap,
    RoadmapError,
    Schedule,
    Stage,
    Topic,
    Track,
    VoteRule,
)

# The C loader keeps line marks and is ~10x faster on the full roadmap.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
PLAIN_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$|^localhost$")
MAX_WEEKS = 52
MAX_HOURS = 1000

ROOT_FIELDS = {"title": False, "schedule": True, "stages": True, "tracks": False}
SCHEDULE_FIELDS = {
    "timezone": True,
    "start": True,
    "weekly": True,
    "nudge": False,
    "recap": False,
    "track": False,
    "max_core_hours": False,
    "vote": False,
}
VOTE_FIELDS = {"share": False, "min_votes": False}
MAX_VOTES = 1000
POST_FIELDS = {"weekday": True, "time": True}
STAGE_FIELDS = {"id": True, "title": True, "topics": True}
TOPIC_FIELDS = {
    "id": True,
    "title": True,
    "weeks": True,
    "summary": True,
    "key_points": True,
    "resources": True,
    "prompts": True,
    "aliases": False,
    "prerequisites": False,
    "recall": False,
    "exercise": False,
}
RESOURCE_FIELDS = {
    "title": True,
    "url": True,
    "kind": True,
    "cost": True,
    "section": False,
    "hours": False,
    "core": False,
}
TRACK_FIELDS = {
    "title": True,
    "topics": True,
    "description": False,
    "budget_usd": False,
    "pace": False,
    "assumes": False,
}
RECALL_FIELDS = {"q": True, "a": False}
RECALL_SHAPE = "{q: question, a: model answer}"
MAX_WEEK_HOURS = 168

_TAG = "tag:yaml.org,2002:"
_MISSING: Any = object()


def parse(text: str, path: str, strict: bool = False, checking: bool = False) -> Roadmap:
    """Parse and validate roadmap YAML; raise RoadmapError listing every problem, by line.

    The curriculum rules' findings come back as `Roadmap.warnings`, or with `strict` among
    the errors (they are looked for only once the schema holds)."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise RoadmapError([_yaml_error(path, exc, text)]) from None
    checker = _Checker(path, strict, checking)
    roadmap = checker.roadmap(root)
    if checker.errors or roadmap is None:
        raise RoadmapError(checker.lines())
    for finding in roadmap_rules.check(roadmap, checker.places):
        report = checker.error if strict else checker.warn
        report(finding.line, finding.where, finding.message)
    if checker.errors:
        raise RoadmapError(checker.lines())
    return replace(roadmap, warnings=tuple(checker.lines(checker.warnings)))


def _yaml_error(path: str, exc: yaml.YAMLError, text: str) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    # At the end of the stream the parser points one past the last line; name the last line.
    last = max(1, len(text.splitlines()))
    line = min(mark.line + 1, last) if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    where = ""
    if context and context_mark is not None and context_mark.line + 1 != line:
        where = f" ({context} at line {context_mark.line + 1})"
    elif context:
        where = f" ({context})"
    return f"{path}:{line}: (yaml): {_controls(problem + where)}"


def _q(value: object) -> str:
    """A value quoted for a message: strings in double quotes (escaped, so a newline in the
    value never splits the error line), numbers as they are."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def _raw(text: str) -> str:
    """Text as written, escaped like _q but without the quotes."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _join(base: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def _controls(text: str) -> str:
    """Control characters (newlines above all) escaped; everything else as it is."""
    return CONTROL_RE.sub(lambda m: _raw(m[0]), text)


def _plain(key: str) -> bool:
    """Whether a key can stand in a field path as is (odd keys are named in the message)."""
    return bool(PLAIN_KEY_RE.match(key))


def _described(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    tag = node.tag.removeprefix(_TAG)
    if tag == "null":
        return "empty"
    return {"int": "a number", "float": "a number", "bool": "true/false", "str": "text"}.get(
        tag, f'"{node.value}"'
    )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


@dataclass
class _TopicSeen:
    """Where a topic was defined, for cross-reference checks after the walk."""

    id: str
    where: str  # the topic's field path, e.g. topics[3]
    line: int
    order: int
    prerequisites: list[tuple[str, Node, int]] = field(default_factory=list)  # id, node, index
    prerequisites_node: Node | None = None


class _Checker:
    """Walks the YAML node tree, building the model and collecting every error with its line."""

    def __init__(self, path: str, strict: bool = False, checking: bool = False) -> None:
        self.strict = strict
        self.checking = checking
        self.path = path
        self.errors: list[tuple[int, int, int, str]] = []  # line, column, order, text
        self.warnings: list[tuple[int, int, int, str]] = []
        self.constructor = yaml.constructor.SafeConstructor()
        self.topics_seen: dict[str, _TopicSeen] = {}
        self.resource_costs: dict[str, tuple[float, int]] = {}
        self.track_node: Node | None = None
        self.places = roadmap_rules.Places()  # where things are, for the curriculum rules

    # --- reporting ----------------------------------------------------------------------

    def error(self, node: Node | int | None, where: str, message: str) -> None:
        self.errors.append(self.line(node, where, message))

    def warn(self, node: Node | int | None, where: str, message: str) -> None:
        self.warnings.append(self.line(node, where, "warning: " + message))

    def line(self, node: Node | int | None, where: str, message: str) -> tuple[int, int, int, str]:
        """A report line with what it sorts by: (line, column, order, text)."""
        if isinstance(node, int) or node is None:
            line, column = node or 1, 0
        else:
            line, column = node.start_mark.line + 1, node.start_mark.column
        # One error, one line: whatever a value holds, it cannot break the PATH:LINE: format.
        where = _raw(where) if any(c in where for c in "\r\n ") else where
        text = f"{self.path}:{line}: {where}: {_controls(message)}"
        return (line, column, len(self.errors) + len(self.warnings), text)

    def lines(self, reported: list[tuple[int, int, int, str]] | None = None) -> list[str]:
        return [text for *_, text in sorted(self.errors if reported is None else reported)]

    # --- generic shapes ----------------------------------------------------------------

    def mapping(
        self, node: Node | None, where: str, fields: dict[str, bool]
    ) -> dict[str, Node] | None:
        """The mapping's known keys -> value nodes; unknown, duplicate and missing keys are
        errors. None when the node is not a mapping at all."""
        if not isinstance(node, MappingNode):
            shown = _described(node) if node is not None else "empty"
            self.error(node, where or "(root)", f"must be a mapping of fields, not {shown}")
            return None
        written = {id(k) for k, _ in node.value}
        merges = [v for k, v in node.value if k.tag == _TAG + "merge"]
        if any(v is node or (isinstance(v, SequenceNode) and node in v.value) for v in merges):
            self.error(node, where or "(root)", "cannot merge with <<: it merges itself")
            return None
        try:
            self.constructor.flatten_mapping(node)  # YAML merge keys (<<: *defaults)
        except (yaml.YAMLError, RecursionError) as exc:
            problem = getattr(exc, "problem", None) or "it merges itself"
            self.error(node, where or "(root)", f"cannot merge with <<: {problem}")
            return None
        out: dict[str, Node] = {}
        first: dict[str, int] = {}
        merged: set[str] = set()  # keys that came from a merge; a written key overrides them
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, where or "(root)", "field names must be plain words")
                continue
            key = key_node.value
            sub = _join(where, key) if _plain(key) else where or "(root)"
            named = "" if _plain(key) else f" {_q(key)}"
            if key in merged and id(key_node) in written:
                merged.discard(key)
                first[key] = key_node.start_mark.line + 1
                out[key] = value_node
                continue
            if id(key_node) not in written:
                merged.add(key)
            if key in first:
                self.error(key_node, sub, f"duplicate field{named} (first at line {first[key]})")
                continue
            first[key] = key_node.start_mark.line + 1
            if key not in fields:
                allowed = ", ".join(fields)
                hint = _did_you_mean(key, fields)
                self.error(key_node, sub, f"unknown field{named}{hint}; allowed: {allowed}")
                continue
            out[key] = value_node
        for key, required in fields.items():
            if required and key not in out:
                self.error(node, _join(where, key), "required field is missing")
        return out

    def sequence(self, node: Node, where: str, min_items: int = 0) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.error(node, where, f"must be a list, not {_described(node)}")
            return []
        if len(node.value) < min_items:
            need = "must not be empty" if min_items == 1 else f"must list at least {min_items}"
            self.error(node, where, need)
        return list(node.value)

    def text(self, node: Node, where: str) -> str | None:
        """A non-empty string. Plain scalars are taken as written, so `title: 2024` or
        `title: yes` stay text instead of becoming a number or a boolean."""
        if not isinstance(node, ScalarNode) or node.tag == _TAG + "null":
            self.error(node, where, f"must be text, not {_described(node)}")
            return None
        value = node.value.strip()
        if not value:
            self.error(node, where, "must not be empty")
            return None
        return value

    def texts(self, node: Node, where: str, min_items: int = 0) -> tuple[str, ...]:
        items = self.sequence(node, where, min_items)
        out = (self.text(n, _join(where, i)) for i, n in enumerate(items))
        return tuple(t for t in out if t is not None)

    def number(self, node: Node, where: str) -> float | None:
        """An int or float scalar (not true/false, not text, finite)."""
        if isinstance(node, ScalarNode) and node.tag in (_TAG + "int", _TAG + "float"):
            value = self.constructor.construct_object(node)
            if math.isfinite(value):
                return float(value)
        return None

    def whole(self, node: Node, where: str, low: int, high: int, unit: str) -> int | None:
        value = self.number(node, where)
        if value is None or value != int(value) or not low <= value <= high:
            shown = _raw(node.value) if isinstance(node, ScalarNode) else _described(node)
            message = f"must be a whole number of {unit} from {low} to {high}, not {shown}"
            self.error(node, where, message)
            return None
        return int(value)

    def identifier(self, node: Node, where: str) -> str | None:
        value = self.text(node, where)
        if value is not None and not ID_RE.match(value):
            self.error(
                node,
                where,
                f'{_q(value)} must be lower-case letters, digits and dashes, like "chain-rule"',
            )
            return None
        return value

    # --- the roadmap -------------------------------------------------------------------

    def roadmap(self, root: Node | None) -> Roadmap | None:
        if root is None:
            self.error(1, "(root)", "the file is empty; expected schedule and stages")
            return None
        fields = self.mapping(root, "", ROOT_FIELDS)
        if fields is None:
            return None
        title = self.text(fields["title"], "title") if "title" in fields else "Roadmap"
        schedule_node = fields.get("schedule")
        schedule = self.schedule(schedule_node) if schedule_node is not None else None
        stages: list[Stage] = []
        topics: list[Topic] = []
        if "stages" in fields:
            self.stages(fields["stages"], stages, topics)
        self.check_prerequisites()
        tracks: dict[str, Track] = {}
        if "tracks" in fields:
            tracks = self.tracks(fields["tracks"], topics)
        if schedule is not None and schedule.track is not None:
            self.check_schedule_track(schedule, tracks)
        if self.errors or schedule is None or title is None:
            return None
        return Roadmap(title, schedule, tuple(stages), tuple(topics), tracks, self.path)

    # --- schedule ----------------------------------------------------------------------

    def schedule(self, node: Node) -> Schedule | None:
        fields = self.mapping(node, "schedule", SCHEDULE_FIELDS)
        if fields is None:
            return None
        tz = self.timezone(fields["timezone"]) if "timezone" in fields else None
        start = self.date(fields["start"], "schedule.start") if "start" in fields else None
        posts = {
            kind: self.post_time(fields[kind], f"schedule.{kind}")
            for kind in ("weekly", "nudge", "recap")
            if kind in fields and not _is_null(fields[kind])
        }
        if "weekly" in fields and _is_null(fields["weekly"]):
            # A nudge or recap may be left out (null); the weekly post is what the group runs on.
            self.error(
                fields["weekly"],
                "schedule.weekly",
                'required: the weekly post\'s day and time, e.g. {weekday: monday, time: "09:00"}',
            )
        track = None
        if "track" in fields and not _is_null(fields["track"]):
            self.track_node = fields["track"]
            track = self.text(fields["track"], "schedule.track")
        max_core: float | None = MAX_CORE_HOURS
        if "max_core_hours" in fields:
            max_core = self.week_hours(fields["max_core_hours"], "schedule.max_core_hours")
        vote = self.vote_rule(fields["vote"]) if "vote" in fields else VoteRule()
        weekly = posts.get("weekly")
        if start is not None and weekly is not None and None not in posts.values():
            problem = _start_problem(start, {k: p for k, p in posts.items() if p is not None})
            if problem:
                # It sends a week's nudge or recap before its prompt. A warning when the bot
                # loads (a running group's roadmap must keep loading after an upgrade); an error
                # when an organizer checks the file (`checking`) or under --strict.
                report = self.error if self.strict or self.checking else self.warn
                report(fields["start"], "schedule.start", problem)
        if tz is None or start is None or weekly is None or max_core is None:
            return None
        if any(p is None for p in posts.values()):
            return None
        return Schedule(
            tz,
            start,
            weekly,
            posts.get("nudge"),
            posts.get("recap"),
            track=track,
            max_core_hours=max_core,
            vote=vote,
        )

    def vote_rule(self, node: Node) -> VoteRule:
        """schedule.vote: {share, min_votes}; a field left out (or wrong) keeps its default."""
        fields = self.mapping(node, "schedule.vote", VOTE_FIELDS)
        rule = VoteRule()
        if fields is None:
            return rule
        share, low = rule.share, rule.min_votes
        if "share" in fields:
            given = fields["share"]
            value = self.number(given, "schedule.vote.share")
            if value is None or not 0 <= value < 1:
                shown = _raw(given.value) if isinstance(given, ScalarNode) else _described(given)
                self.error(
                    given,
                    "schedule.vote.share",
                    "must be a number from 0 up to (not including) 1, the share of the votes "
                    f"that must say yes (0.5: more than half), not {shown}",
                )
            else:
                share = value
        if "min_votes" in fields:
            whole = self.whole(
                fields["min_votes"], "schedule.vote.min_votes", 1, MAX_VOTES, "votes"
            )
            low = whole if whole is not None else low
        return VoteRule(share, low)

    def week_hours(self, node: Node, where: str) -> float | None:
        value = self.number(node, where)
        if value is None or not 0 < value <= MAX_WEEK_HOURS:
            self.error(
                node, where, f"must be a number of hours above 0 and at most {MAX_WEEK_HOURS}"
            )
            return None
        return value

    def timezone(self, node: Node) -> str | None:
        name = self.text(node, "schedule.timezone")
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
            self.error(
                node,
                "schedule.timezone",
                f'unknown IANA timezone {_q(name)}, e.g. "America/Los_Angeles" or "UTC"',
            )
            return None
        return name

    def date(self, node: Node, where: str) -> dt.date | None:
        raw = node.value.strip() if isinstance(node, ScalarNode) else None
        if raw is None or not DATE_RE.match(raw):
            shown = _raw(raw) if raw is not None else _described(node)
            self.error(node, where, f"must be a date YYYY-MM-DD like 2026-09-07, not {shown}")
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.error(node, where, f"{raw} is not a real date")
            return None

    def post_time(self, node: Node, where: str) -> PostTime | None:
        fields = self.mapping(node, where, POST_FIELDS)
        if fields is None:
            return None
        weekday = None
        if "weekday" in fields:
            name = self.text(fields["weekday"], _join(where, "weekday"))
            if name is not None and name.lower() in WEEKDAYS:
                weekday = WEEKDAYS.index(name.lower())
            elif name is not None:
                self.error(
                    fields["weekday"],
                    _join(where, "weekday"),
                    f"{_q(name)} is not a weekday; use one of {', '.join(WEEKDAYS)}",
                )
        time = self.clock_time(fields["time"], _join(where, "time")) if "time" in fields else None
        if weekday is None or time is None:
            return None
        return PostTime(weekday, time)

    def clock_time(self, node: Node, where: str) -> dt.time | None:
        # The raw text: YAML 1.1 would read an unquoted 9:30 as the number 570.
        raw = node.value.strip() if isinstance(node, ScalarNode) else ""
        m = TIME_RE.match(raw)
        if m and int(m[1]) <= 23 and int(m[2]) <= 59:
            return dt.time(int(m[1]), int(m[2]))
        shown = _raw(raw) if raw else _described(node)
        self.error(node, where, f'must be a 24-hour time "HH:MM" like "09:00", not {shown}')
        return None

    def check_schedule_track(self, schedule: Schedule, tracks: dict[str, Track]) -> None:
        if schedule.track == FULL_TRACK or schedule.track in tracks:
            return
        known = ", ".join([FULL_TRACK, *tracks])
        self.error(
            self.track_node, "schedule.track", f"unknown track {_q(schedule.track)}; known: {known}"
        )

    # --- stages and topics -------------------------------------------------------------

    def stages(self, node: Node, stages: list[Stage], topics: list[Topic]) -> None:
        stage_lines: dict[str, int] = {}
        for i, stage_node in enumerate(self.sequence(node, "stages", min_items=1)):
            where = _join("stages", i)
            fields = self.mapping(stage_node, where, STAGE_FIELDS)
            if fields is None:
                continue
            stage_id = self.identifier(fields["id"], f"{where}.id") if "id" in fields else None
            if stage_id is not None:
                if stage_id in stage_lines:
                    self.error(
                        fields["id"],
                        f"{where}.id",
                        f"duplicate stage id {_q(stage_id)} (first at line "
                        f"{stage_lines[stage_id]})",
                    )
                else:
                    stage_lines[stage_id] = fields["id"].start_mark.line + 1
            title = self.text(fields["title"], f"{where}.title") if "title" in fields else None
            if stage_id is not None and title is not None:
                stages.append(Stage(stage_id, title))
            if "topics" not in fields:
                continue
            topic_nodes = self.sequence(fields["topics"], f"{where}.topics", min_items=1)
            for j, topic_node in enumerate(topic_nodes):
                topic = self.topic(topic_node, f"{where}.topics[{j}]", stage_id or "")
                if topic is not None:
                    topics.append(topic)

    def topic(self, node: Node, where: str, stage_id: str) -> Topic | None:
        fields = self.mapping(node, where, TOPIC_FIELDS)
        if fields is None:
            return None

        def get(key: str, fn: Callable[[Node, str], Any], default: Any = _MISSING) -> Any:
            if key in fields:
                return fn(fields[key], _join(where, key))
            return None if default is _MISSING else default

        topic_id = get("id", self.identifier)
        title = get("title", self.text)
        weeks = get("weeks", lambda n, w: self.whole(n, w, 1, MAX_WEEKS, "weeks"))
        summary = get("summary", self.text)
        key_points = get("key_points", lambda n, w: self.texts(n, w, 1), ())
        aliases = get("aliases", self.texts, ())
        prompts = get("prompts", lambda n, w: self.texts(n, w, 1), ())
        recall_items = get("recall", self.recall, ())
        exercise = get("exercise", self.text) if "exercise" in fields else None
        resources = get("resources", self.resources, ())
        seen = self.remember_topic(topic_id, fields, where, node)
        if seen is not None:
            self.remember_places(seen, fields, recall_items)
        if seen is not None and "prerequisites" in fields:
            self.collect_prerequisites(seen, fields["prerequisites"], where)
        if None in (topic_id, title, weeks, summary):
            return None
        return Topic(
            id=topic_id,
            title=title,
            stage=stage_id,
            weeks=weeks,
            summary=summary,
            key_points=key_points,
            resources=resources,
            prompts=prompts,
            prerequisites=tuple(p for p, *_ in seen.prerequisites) if seen else (),
            recall=tuple(q for q, _, _ in recall_items),
            exercise=exercise,
            aliases=aliases,
            answers=tuple(a for _, a, _ in recall_items),
        )

    def recall(self, node: Node, where: str) -> tuple[tuple[str, str | None, int], ...]:
        """Each recall item as (question, model answer or None, line): a question as text, or
        a mapping {q: question, a: model answer}."""
        out: list[tuple[str, str | None, int]] = []
        for i, item in enumerate(self.sequence(node, where)):
            at = _join(where, i)
            line = item.start_mark.line + 1
            if isinstance(item, SequenceNode):
                self.error(item, at, f"must be a question or {RECALL_SHAPE}, not a list")
                continue
            if not isinstance(item, MappingNode):
                question = self.text(item, at)
                if question is not None:
                    out.append((question, None, line))
                continue
            fields = self.mapping(item, at, RECALL_FIELDS)
            if fields is None or "q" not in fields:
                continue
            question = self.text(fields["q"], f"{at}.q")
            answer = self.text(fields["a"], f"{at}.a") if "a" in fields else None
            if question is not None and ("a" not in fields or answer is not None):
                out.append((question, answer, line))
        return tuple(out)

    def remember_places(
        self,
        seen: _TopicSeen,
        fields: dict[str, Node],
        recall: tuple[tuple[str, str | None, int], ...],
    ) -> None:
        """Where the curriculum rules will point for this topic."""
        places = self.places
        places.topics[seen.id] = (seen.where, seen.line)
        if "resources" in fields:
            places.resources[seen.id] = fields["resources"].start_mark.line + 1
        places.recall[seen.id] = [line for *_, line in recall]

    def remember_topic(
        self, topic_id: str | None, fields: dict[str, Node], where: str, node: Node
    ) -> _TopicSeen | None:
        if topic_id is None:
            return None
        line = fields["id"].start_mark.line + 1
        if topic_id in self.topics_seen:
            first = self.topics_seen[topic_id].line
            message = f"duplicate topic id {_q(topic_id)} (first at line {first})"
            self.error(fields["id"], f"{where}.id", message)
            return None
        seen = _TopicSeen(topic_id, where, line, len(self.topics_seen))
        self.topics_seen[topic_id] = seen
        return seen

    def collect_prerequisites(self, seen: _TopicSeen, node: Node, where: str) -> None:
        where = f"{where}.prerequisites"
        seen.prerequisites_node = node
        listed: set[str] = set()
        for i, item in enumerate(self.sequence(node, where)):
            prereq = self.text(item, f"{where}[{i}]")
            if prereq is None:
                continue
            if prereq in listed:
                self.error(item, f"{where}[{i}]", f"{_q(prereq)} is listed twice")
                continue
            listed.add(prereq)
            seen.prerequisites.append((prereq, item, i))

    def check_prerequisites(self) -> None:
        """Unknown, self, later prerequisites, then cycles (each reported once)."""
        known = self.topics_seen
        for seen in known.values():
            for prereq, item, i in seen.prerequisites:
                at = f"{seen.where}.prerequisites[{i}]"
                other = known.get(prereq)
                if prereq == seen.id:
                    self.error(item, at, "a topic cannot be its own prerequisite")
                elif other is None:
                    hint = _did_you_mean(prereq, known)
                    self.error(item, at, f"unknown topic {_q(prereq)}{hint}")
                elif other.order > seen.order:
                    self.error(
                        item,
                        at,
                        f"{_q(prereq)} comes later in the roadmap (line {other.line}); "
                        "prerequisites must come earlier",
                    )
        graph = {
            s.id: [p for p, *_ in s.prerequisites if p in known and p != s.id]
            for s in known.values()
        }
        for cycle in _cycles(graph):
            first = known[cycle[0]]
            self.error(
                first.prerequisites_node,
                f"{first.where}.prerequisites",
                "prerequisite cycle: " + " -> ".join([*cycle, cycle[0]]),
            )

    # --- resources ---------------------------------------------------------------------

    def resources(self, node: Node, where: str) -> tuple[Resource, ...]:
        out = []
        urls: dict[str, int] = {}
        for i, item in enumerate(self.sequence(node, where, min_items=1)):
            resource = self.resource(item, f"{where}[{i}]")
            if resource is None:
                continue
            line = item.start_mark.line + 1
            if resource.url in urls:
                self.error(
                    item,
                    f"{where}[{i}].url",
                    f"this topic already lists {resource.url} (line {urls[resource.url]})",
                )
                continue
            urls[resource.url] = line
            out.append(resource)
        return tuple(out)

    def resource(self, node: Node, where: str) -> Resource | None:
        fields = self.mapping(node, where, RESOURCE_FIELDS)
        if fields is None:
            return None
        title = self.text(fields["title"], f"{where}.title") if "title" in fields else None
        url = self.url(fields["url"], f"{where}.url") if "url" in fields else None
        kind = self.kind(fields["kind"], f"{where}.kind") if "kind" in fields else None
        cost = self.cost(fields["cost"], f"{where}.cost") if "cost" in fields else None
        section = self.text(fields["section"], f"{where}.section") if "section" in fields else None
        hours = None
        if "hours" in fields:
            hours = self.number(fields["hours"], f"{where}.hours")
            if hours is None or not 0 < hours <= MAX_HOURS:
                self.error(
                    fields["hours"],
                    f"{where}.hours",
                    f"must be a number of hours above 0 and at most {MAX_HOURS}",
                )
                hours = None
        if url is not None and cost is not None:
            self.check_same_price(url, cost, fields["cost"], f"{where}.cost")
        if title is None or url is None or kind is None or cost is None:
            return None
        if "section" in fields and section is None:
            return None
        if "hours" in fields and hours is None:
            return None
        core = self.flag(fields["core"], f"{where}.core") if "core" in fields else False
        if core is None:
            return None
        return Resource(title, url, kind, cost, section, hours, core)

    def flag(self, node: Node, where: str) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag == _TAG + "bool":
            return bool(self.constructor.construct_object(node))
        self.error(node, where, f"must be true or false, not {_described(node)}")
        return None

    def url(self, node: Node, where: str) -> str | None:
        value = self.text(node, where)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            parts, host = urlsplit(""), ""
        if (
            parts.scheme not in ("http", "https")
            or not HOST_RE.match(host)
            or any(c.isspace() for c in value)
        ):
            self.error(node, where, f"{_q(value)} is not a valid http(s) URL")
            return None
        return value

    def kind(self, node: Node, where: str) -> str | None:
        value = self.text(node, where)
        if value is None:
            return None
        if value.lower() not in RESOURCE_KINDS:
            hint = _did_you_mean(value.lower(), RESOURCE_KINDS)
            kinds = ", ".join(RESOURCE_KINDS)
            self.error(node, where, f"unknown kind {_q(value)}{hint}; use one of {kinds}")
            return None
        return value.lower()

    def cost(self, node: Node, where: str) -> float | None:
        if isinstance(node, ScalarNode) and node.value.strip().lower() == "free":
            return 0.0
        value = self.number(node, where)
        if value is None or value < 0:
            self.error(node, where, 'must be "free" or a price in USD >= 0')
            return None
        return value

    def check_same_price(self, url: str, cost: float, node: Node, where: str) -> None:
        """One URL, one price: track costs count each URL once, so they must agree."""
        line = node.start_mark.line + 1
        if url not in self.resource_costs:
            self.resource_costs[url] = (cost, line)
            return
        first, first_line = self.resource_costs[url]
        if first != cost:
            self.error(
                node,
                where,
                f"{_price(cost)} differs from {_price(first)} for the same URL at line "
                f"{first_line}",
            )

    # --- tracks ------------------------------------------------------------------------

    def tracks(self, node: Node, topics: list[Topic]) -> dict[str, Track]:
        if _is_null(node):
            return {}
        if not isinstance(node, MappingNode):
            self.error(node, "tracks", f"must be a mapping of track ids, not {_described(node)}")
            return {}
        out: dict[str, Track] = {}
        first: dict[str, int] = {}
        by_id = {t.id: t for t in topics}
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else "?"
            where = _join("tracks", name) if _plain(name) else "tracks"
            track_id = self.identifier(key_node, where)
            if track_id is None:
                continue
            if track_id in first:
                self.error(key_node, where, f"duplicate track (first at line {first[track_id]})")
                continue
            first[track_id] = key_node.start_mark.line + 1
            if track_id == FULL_TRACK:
                self.error(key_node, where, '"full" is the whole roadmap; pick another id')
                continue
            track = self.track(track_id, value_node, where, by_id)
            if track is not None:
                out[track_id] = track
        return out

    def track(self, track_id: str, node: Node, where: str, by_id: dict[str, Topic]) -> Track | None:
        fields = self.mapping(node, where, TRACK_FIELDS)
        if fields is None:
            return None
        title = self.text(fields["title"], f"{where}.title") if "title" in fields else None
        description = ""
        if "description" in fields:
            description = self.text(fields["description"], f"{where}.description") or ""
        chosen = self.track_topics(fields["topics"], where) if "topics" in fields else []
        pace = self.pace(fields["pace"], where, chosen) if "pace" in fields else {}
        budget = None
        if "budget_usd" in fields:
            budget = self.number(fields["budget_usd"], f"{where}.budget_usd")
            if budget is None or budget < 0:
                self.error(fields["budget_usd"], f"{where}.budget_usd", "must be USD >= 0")
                budget = None
        assumes = self.texts(fields["assumes"], f"{where}.assumes") if "assumes" in fields else ()
        self.check_track_order(chosen, where)
        if title is None or not chosen or any(t not in by_id for t, _ in chosen):
            return None
        self.places.tracks[track_id] = [item.start_mark.line + 1 for _, item in chosen]
        topic_ids = tuple(t for t, _ in chosen)
        track = Track(track_id, title, topic_ids, pace, budget, description, assumes)
        if budget is not None:
            self.check_budget(track, by_id, fields["budget_usd"], where)
        return track

    def track_topics(self, node: Node, where: str) -> list[tuple[str, Node]]:
        where = f"{where}.topics"
        out: list[tuple[str, Node]] = []
        for i, item in enumerate(self.sequence(node, where, min_items=1)):
            topic_id = self.text(item, f"{where}[{i}]")
            if topic_id is None:
                continue
            if topic_id not in self.topics_seen:
                hint = _did_you_mean(topic_id, self.topics_seen)
                self.error(item, f"{where}[{i}]", f"unknown topic {_q(topic_id)}{hint}")
                continue
            if any(topic_id == t for t, _ in out):
                self.error(item, f"{where}[{i}]", f"{_q(topic_id)} is listed twice")
                continue
            out.append((topic_id, item))
        return out

    def pace(self, node: Node, where: str, chosen: list[tuple[str, Node]]) -> dict[str, int]:
        where = f"{where}.pace"
        if _is_null(node):
            return {}
        if not isinstance(node, MappingNode):
            self.error(node, where, f"must map topic ids to weeks, not {_described(node)}")
            return {}
        in_track = {t for t, _ in chosen}
        out: dict[str, int] = {}
        for key_node, value_node in node.value:
            topic_id = key_node.value if isinstance(key_node, ScalarNode) else ""
            at = _join(where, topic_id) if _plain(topic_id) else where
            if topic_id in out:
                self.error(key_node, at, "listed twice")
                continue
            weeks = self.whole(value_node, at, 1, MAX_WEEKS, "weeks")
            if topic_id not in self.topics_seen:
                hint = _did_you_mean(topic_id, self.topics_seen)
                self.error(key_node, at, f"unknown topic {_q(topic_id)}{hint}")
            elif topic_id not in in_track:
                self.error(key_node, at, f"{_q(topic_id)} is not in this track's topics")
            elif weeks is not None:
                out[topic_id] = weeks
        return out

    def check_track_order(self, chosen: list[tuple[str, Node]], where: str) -> None:
        position = {t: i for i, (t, _) in enumerate(chosen)}
        for i, (topic_id, item) in enumerate(chosen):
            seen = self.topics_seen[topic_id]
            for prereq, *_ in seen.prerequisites:
                if position.get(prereq, -1) > i:
                    self.error(
                        item,
                        f"{where}.topics[{i}]",
                        f"{_q(topic_id)} must come after its prerequisite {_q(prereq)}",
                    )

    def check_budget(self, track: Track, by_id: dict[str, Topic], node: Node, where: str) -> None:
        """The core paid resources, each bought once, within the budget; optional ones do not
        count. A topic marking no core counts all of its resources, as before core existed, so
        a roadmap that kept its budget then keeps it now: this stays an error."""
        paid: dict[str, float] = {}
        topics = [by_id[topic_id] for topic_id in track.topics]
        for topic in topics:
            for r in topic.core:
                if not r.free:
                    paid.setdefault(r.url, r.cost_usd)
        total = sum(paid.values())
        if track.budget_usd is not None and total > track.budget_usd:
            which = "core paid" if any(t.marks_core for t in topics) else "paid"
            self.error(
                node,
                f"{where}.budget_usd",
                f"the track's {which} resources cost {_usd(total)}, over the budget of "
                f"{_usd(track.budget_usd)}",
            )


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _TAG + "null"


_usd = money


def _price(amount: float) -> str:
    return "free" if amount == 0 else money(amount)


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each elementary cycle found by depth-first search, once, starting at its first node in
    roadmap order (dict order)."""
    order = {node: i for i, node in enumerate(graph)}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    found: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    start = min(range(len(cycle)), key=lambda k: order[cycle[k]])
                    found.append(cycle[start:] + cycle[:start])
            elif state.get(nxt) is None:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])
    return sorted(found, key=lambda c: order[c[0]])


def _start_problem(start: dt.date, posts: dict[str, PostTime]) -> str | None:
    """Why the start does not fit the posts, with the nearest date that does; None if it fits.

    The group's weeks run from the start date, and each week's posts go out on their weekdays
    within it: a Wednesday start with Monday posts would send week 1's nudge and recap before
    its weekly post. The weekly post must be each week's first (a start on its weekday always
    is; a group that moves its post day later in the week keeps its start)."""
    weekly = posts["weekly"]

    def at(post: PostTime) -> tuple[int, dt.time]:
        return (post.weekday - start.weekday()) % 7, post.time

    early = [kind for kind in ("nudge", "recap") if kind in posts and at(posts[kind]) < at(weekly)]
    if not early:
        return None
    after = (weekly.weekday - start.weekday()) % 7
    nearest = start + dt.timedelta(days=after if after <= 3 else after - 7)
    day = WEEKDAYS[weekly.weekday].capitalize()
    first = posts[early[0]]
    return (
        f"{start.isoformat()} is a {WEEKDAYS[start.weekday()].capitalize()}, so each week starts "
        f"on a {WEEKDAYS[start.weekday()].capitalize()} and its {early[0]} "
        f"({WEEKDAYS[first.weekday].capitalize()}) would go out before its weekly post ({day}); "
        f"start on a {day}, the nearest is {nearest.isoformat()}"
    )
