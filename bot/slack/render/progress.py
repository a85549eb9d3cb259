"""/progress: where a member stands (the bar, ahead or behind), and what a tick or untick did."""

from __future__ import annotations

from collections.abc import Collection

from bot.core import format as fmt
from bot.core import progress
from bot.core.calendar import Calendar, Week
from bot.core.format import plural
from bot.core.roadmap import Roadmap, Topic
from bot.slack.render import blocks as bk
from bot.slack.render.ids import DONE, RESOURCES, UNDO
from bot.slack.render.phrases import Block, Message, names, topic_ref


def standing_text(s: progress.Standing, week: Week) -> str:
    """One or two lines: the bar, then ahead / behind / on track."""
    bar = f"`{bk.progress_bar(s.done, s.total)}`"
    if week.kind == "before":
        where = "The group has not started yet"
        if s.ahead:
            where += f"; you are already {plural(len(s.ahead), 'topic')} ahead"
        return f"{bar}\n{where}."
    if s.behind and s.ahead:
        where = (
            f":hourglass: Behind the group on {names(s.behind)}, "
            f"though {plural(len(s.ahead), 'topic')} ahead."
        )
    elif s.behind:
        where = f":hourglass: Behind the group on {names(s.behind)}."
    elif s.ahead:
        where = f":rocket: {plural(len(s.ahead), 'topic').capitalize()} ahead of the group."
    elif week.kind == "after":
        where = ":tada: You ticked every topic."
    else:
        where = ":white_check_mark: In step with the group."
    return f"{bar}\n{where}"


def progress_overview(
    roadmap: Roadmap, cal: Calendar, week: Week, done: Collection[str]
) -> Message:
    """The caller's progress: the bar, ahead/behind, each stage's ticks, what to do next."""
    s = progress.standing(cal.topics, cal, week, done)
    title = f"Your progress: {roadmap.title}"
    blocks: list[Block] = [bk.header(title), bk.section(standing_text(s, week))]
    rows: list[str] = []
    order: list[str] = []
    by_stage: dict[str, list[Topic]] = {}
    for t in cal.topics:
        if t.stage not in by_stage:
            order.append(t.stage)
        by_stage.setdefault(t.stage, []).append(t)
    for stage_id in order:
        items = by_stage[stage_id]
        ticks = sum(1 for t in items if t.id in done)
        marks = " · ".join(
            (":white_check_mark: " if t.id in done else ":white_large_square: ")
            + fmt.safe(t.title, 60)
            for t in items
        )
        rows.append(f"*{fmt.title(roadmap.stage_title(stage_id))}* {ticks}/{len(items)}: {marks}")
    blocks += bk.sections("\n".join(rows)) if rows else []
    up = _up_next(cal, week, done)
    tail: list[Block] = []
    if up is not None:
        text = f"*Up next for you:* {topic_ref(up)}"
        missing = progress.missing_prerequisites(roadmap, up, done)
        if missing:
            text += f"\n:books: It builds on {names(missing)}, not ticked yet."
        tail.append(bk.section(text))
        tail.append(
            bk.actions(
                bk.button(f"Mark {up.title} done", DONE, up.id, style="primary"),
                bk.button("Resources", RESOURCES, up.id),
            )
        )
    tail.append(bk.context("`/progress done [topic]` ticks · `/progress undo [topic]` unticks"))
    blocks = bk.fit(blocks, bk.MAX_MESSAGE_BLOCKS - len(tail)) + tail
    text = f"{fmt.safe(title, 200)}: {s.done} of {plural(s.total, 'topic')} ticked"
    if s.behind:
        text += "; behind on " + ", ".join(fmt.title(t.title) for t in s.behind[:5])
    return bk.message(text, blocks, response_type="ephemeral")


def _up_next(cal: Calendar, week: Week, done: Collection[str]) -> Topic | None:
    """This week's topic when not ticked, else the earliest topic not ticked."""
    if week.kind == "topic" and week.topic is not None and week.topic.id not in done:
        return week.topic
    return next((t for t in cal.topics if t.id not in done), None)


def progress_changed(
    roadmap: Roadmap,
    cal: Calendar,
    topic: Topic,
    done: Collection[str],
    *,
    ticked: bool,
    changed: bool,
) -> Message:
    """After `/progress done|undo` or a button: what happened, the bar, prerequisites missed."""
    ref = topic_ref(topic)
    if ticked:
        said = f":white_check_mark: Ticked {ref}." if changed else f"You had already ticked {ref}."
    else:
        said = (
            f":leftwards_arrow_with_hook: Unticked {ref}."
            if changed
            else f"{ref} was not ticked, so there was nothing to undo."
        )
    followed = {t.id for t in cal.topics}
    count = sum(1 for t in cal.topics if t.id in done)
    lines = [said, f"`{bk.progress_bar(count, len(cal.topics))}`"]
    if topic.id not in followed:
        lines.append("_This topic is not on the group's track, so it is not in the bar._")
    if ticked:
        missing = progress.missing_prerequisites(roadmap, topic, done)
        if missing:
            lines.append(f":books: It builds on {names(missing)}, which you have not ticked.")
    blocks: list[Block] = [bk.section("\n".join(lines))]
    if ticked:
        blocks.append(bk.actions(bk.button("Undo", UNDO, topic.id)))
    elif changed:  # "again" only for a tick just taken away
        blocks.append(bk.actions(bk.button("Tick it again", DONE, topic.id)))
    verb = (
        ("Ticked" if changed else "Already ticked")
        if ticked
        else ("Unticked" if changed else "Was not ticked:")
    )
    text = f"{verb} {fmt.title(topic.title)}. {count} of {plural(len(cal.topics), 'topic')} ticked."
    return bk.message(text, blocks, response_type="ephemeral")
