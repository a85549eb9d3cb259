"""`studybot faq export`: the answered Q&A as Markdown, grouped by stage and topic in roadmap order."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import sqlite_utils
from slack_sdk import WebClient

from bot.core import format as fmt
from bot.core import listings, topic_search
from bot.core.questions import Question, answer_link, answers_accepted_first, question_link
from bot.core.roadmap import Roadmap
from bot.core.settings import Settings
from bot.core.text import plain
from bot.slack import workspace

OTHER = "Other questions"

Namer = Callable[[str], str]


def export_command(settings: Settings, topic: str | None = None, out: str | None = None) -> int:
    """Write the FAQ to `out` (or standard output); exit 2 for an unknown topic. A topic is
    named as in `/qa topic:` (an id, a word of its title, an id misspelt a little)."""
    from bot.cli.main import open_deps_or_exit

    pool, roadmaps = open_deps_or_exit(settings)
    try:
        roadmap = roadmaps.current()
        topic_id = None
        if topic is not None:
            found = topic_search.resolve(roadmap, topic)
            if found.topic is None:
                print(f"studybot: {_no_topic(topic, found)}", file=sys.stderr)
                return 2
            topic_id = found.topic.id
        db = pool.get()
        client = _client(settings)
        # Read only: an export does not keep what auth.test says.
        base = workspace.url(db, client, keep=False)
        text = export(db, roadmap, topic_id=topic_id, team_url=base, name=_namer(client))
    finally:
        pool.close()
    if out:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"studybot: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"Wrote the FAQ to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _no_topic(asked: str, found: topic_search.Resolution) -> str:
    named = ", ".join(t.id for t in found.closest)
    if found.several:
        return f"several topics match {asked!r}: {named}; name one"
    if found.closest:
        return f"no topic {asked!r} in the roadmap; the closest: {named}"
    return f"no topic {asked!r} in the roadmap (`studybot roadmap check` lists them)"


def export(
    db: sqlite_utils.Database,
    roadmap: Roadmap,
    *,
    topic_id: str | None = None,
    team_url: str = fmt.SLACK_URL,
    name: Namer | None = None,
) -> str:
    """The Markdown: stage → topic → answered questions, accepted answer first."""
    name = name or (lambda user: user)
    questions = listings.answered_questions(db, topic_id)
    by_topic: dict[str | None, list[Question]] = {}
    for question in questions:
        known = question.topic_id if roadmap.topic(question.topic_id or "") else None
        by_topic.setdefault(known, []).append(question)

    title = f"{roadmap.title}: frequently asked questions"
    lines = [f"# {_inline(title)}", ""]
    if topic_id:
        topic = roadmap.topic(topic_id)
        lines += [f"Only the topic *{_inline(topic.title if topic else topic_id)}*.", ""]
    if not questions:
        lines += ["_No answered questions yet._", ""]
        return "\n".join(lines)
    for stage in roadmap.stages:
        topics = [t for t in roadmap.topics if t.stage == stage.id and by_topic.get(t.id)]
        if not topics:
            continue
        lines += [f"## {_inline(stage.title)}", ""]
        for topic in topics:
            lines += [f"### {_inline(topic.title)}", ""]
            for question in by_topic[topic.id]:
                lines += _entry(db, question, team_url, name)
    if by_topic.get(None):
        lines += [f"## {OTHER}", ""]
        for question in by_topic[None]:
            lines += _entry(db, question, team_url, name)
    return "\n".join(lines)


def _entry(db: sqlite_utils.Database, question: Question, base: str, name: Namer) -> list[str]:
    text = _member(question.text)
    first, _, rest = text.partition("\n")
    heading = _inline(first if len(first) <= 200 else first[:199] + "…")
    asker = "anonymous" if question.anonymous or not question.user else name(question.user)
    link = question_link(base, question)
    lines = [f"#### {heading}", ""]
    if rest.strip() or len(first) > 200:
        lines += [_quote(text), ""]
    lines += [f"*Asked by {asker} on {question.asked_at:%Y-%m-%d}* · [thread]({link})", ""]
    for answer in answers_accepted_first(db, question):
        accepted = answer.ts == question.accepted_answer_ts
        label = "**Accepted answer**" if accepted else "Answer"
        when = f"{answer.answered_at:%Y-%m-%d}"
        lines += [
            f"{label} by {name(answer.user)} on {when} · [link]({answer_link(base, answer)})",
            "",
            _quote(_member(answer.text)),
            "",
        ]
    return lines


def _member(text: str) -> str:
    """Member text (wire format) as plain Markdown text: an HTML tag or entity someone typed is
    shown as typed, not rendered (a backslash makes `<` and `&` literal in CommonMark)."""
    text = plain(text).strip()
    return re.sub(r"&(?=#?\w+;)", r"\\&", text.replace("<", "\\<"))


def _inline(text: str) -> str:
    """One line of member text for a heading: no line breaks, no leading Markdown markers."""
    line = " ".join(text.split())
    return line.lstrip("#>-+* ") or "…"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines() or [""])


def _client(settings: Settings) -> WebClient | None:
    if not settings.bot_token:
        return None
    from bot.slack.client import web_client

    return web_client(settings)


def _namer(client: WebClient | None) -> Namer:
    """Member IDs as display names (users.info, once each); the ID when Slack cannot say."""
    cache: dict[str, str] = {}

    def name(user: str) -> str:
        if user in cache:
            return cache[user]
        shown = f"@{user}"
        if client is not None:
            try:
                info = client.users_info(user=user)["user"]
                profile = info.get("profile") or {}
                label = profile.get("display_name") or info.get("real_name") or info.get("name")
                if label:
                    shown = f"@{label}"
            except Exception:  # a name is a nicety: the ID will do
                pass
        cache[user] = _inline(shown)
        return cache[user]

    return name
