"""Which topic a member meant: none matches (did you mean…), several do, or none is on this week."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import format as fmt
from bot.core.calendar import Calendar, Week
from bot.core.roadmap import Topic
from bot.slack.render import blocks as bk
from bot.slack.render.phrases import Block, Message, topic_ref
from bot.slack.render.usage import usage


def no_match(
    command: str, query: str, suggestions: Sequence[Topic], action: str, verb: str
) -> Message:
    """ "No topic matches" with did-you-mean buttons (each runs `action` on its topic)."""
    said = fmt.safe(query, 100)
    blocks: list[Block] = []
    if suggestions:
        names = ", ".join(topic_ref(t) for t in suggestions)
        blocks.append(bk.section(f":mag: No topic matches “{said}”. Did you mean {names}?"))
        buttons = [
            bk.button(f"{verb} {t.title}", f"{action}:{i}", t.id)
            for i, t in enumerate(suggestions[:5])
        ]
        blocks.append(bk.actions(*buttons))
        text = f"No topic matches “{said}”. Did you mean " + ", ".join(
            fmt.title(t.title) for t in suggestions
        )
    else:
        blocks.append(
            bk.section(f":mag: No topic matches “{said}”. `/roadmap` lists every topic and its id.")
        )
        text = f"No topic matches “{said}”. /roadmap lists every topic."
    blocks.append(bk.context(f"`{command} help` for how to use it"))
    return bk.message(text + "?" if suggestions else text, blocks, response_type="ephemeral")


def which_topic(query: str, candidates: Sequence[Topic], action: str, verb: str) -> Message:
    """Several topics match: let the member pick the one they meant."""
    names = ", ".join(topic_ref(t) for t in candidates[:5])
    buttons = [
        bk.button(f"{verb} {t.title}", f"{action}:{i}", t.id) for i, t in enumerate(candidates[:5])
    ]
    text = f"Several topics match “{fmt.title(query)}”: " + ", ".join(
        fmt.title(t.title) for t in candidates[:5]
    )
    blocks = [
        bk.section(f"Several topics match “{fmt.safe(query, 100)}”: {names}. Which one?"),
        bk.actions(*buttons),
    ]
    return bk.message(text, blocks, response_type="ephemeral")


def no_topic_now(command: str, week: Week, cal: Calendar, example: str | None = None) -> Message:
    """A command that needs "this week's topic" in a week that has none."""
    if week.kind == "after":
        why = f"The roadmap ended on {fmt.day(cal.end, year=True)}, so there is no topic this week."
    elif week.kind == "before":
        why = (
            f"The group starts on {fmt.day(cal.start, year=True)}, so there is no topic this week."
        )
    elif week.kind == "paused":
        why = "The study group is paused, so there is no topic this week."
    else:
        why = "There is no topic this week."
    return usage(command, f"{why} Name one, e.g. `{example or command} {_example(cal)}`.")


def _example(cal: Calendar) -> str:
    return cal.topics[0].id if cal.topics else "topic-id"
