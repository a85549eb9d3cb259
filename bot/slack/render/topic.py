"""/nexttopic: the topic card for every kind of week, also what "Share to the channel" posts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core import format as fmt
from bot.core import progress
from bot.core.cache import Cache, Same
from bot.core.calendar import Calendar, Week, due_at
from bot.core.format import plural
from bot.core.roadmap import Roadmap, Topic
from bot.slack.render import blocks as bk
from bot.slack.render.ids import DONE, RESOURCES, SHARE, UNDO
from bot.slack.render.phrases import Block, Message, bullets, names, topic_ref
from bot.slack.render.progress import standing_text
from bot.slack.render.resources import BEST_RESOURCES, best_resources

# Cards drawn, by the roadmap and calendar objects they were drawn from (both immutable: a new
# file or change makes new ones) and everything else they show. Most members of a group share
# the same few, and /nexttopic is the command members type most. Callers must not mutate them.
_cards: Cache[Message] = Cache(512)


@dataclass(frozen=True)
class TopicCard:
    """What /nexttopic shows: the calendar position plus, for the caller, their ticks."""

    roadmap: Roadmap
    cal: Calendar
    week: Week
    done: frozenset[str] | None = None  # None: a shared (public) card, nothing personal
    thread_link: str | None = None
    shared_by: str | None = None


def _topic_blocks(card: TopicCard, topic: Topic, weeks: int) -> list[Block]:
    out: list[Block] = []
    if topic.summary:
        out += bk.sections(fmt.safe(topic.summary, 2500))
    if topic.key_points:
        out += bk.sections("*Key points*\n" + bullets(topic.key_points))
    out += _core_reading(topic, weeks) if topic.marks_core else _start_with(topic)
    return out


def _start_with(topic: Topic) -> list[Block]:
    """A topic that marks no core (an older roadmap): its best few resources."""
    best = best_resources(topic)
    if not best:
        return []
    lines = [fmt.resource_line(r) for r in best]
    more = len(topic.resources) - len(best)
    if more > 0:
        lines.append(f"_…and {more} more: `/resources {fmt.safe(topic.id, 60)}`_")
    return bk.sections("*Start with*\n" + "\n".join(lines))


def _core_reading(topic: Topic, weeks: int) -> list[Block]:
    """The core reading (what the group reads together) and what it asks a week; the
    optional extras are counted, /resources lists them."""
    shown = topic.core[:BEST_RESOURCES]
    load = fmt.workload(topic.core_hours, topic.optional_hours, weeks)
    lines = ["*Core reading*" + (f" · {load}" if load else "")]
    lines += [fmt.resource_line(r) for r in shown]
    where = f"`/resources {fmt.safe(topic.id, 60)}`"
    optional = topic.optional
    if len(shown) < len(topic.core):
        lines.append(f"_…and {len(topic.resources) - len(shown)} more: {where}_")
    elif optional:
        free = sum(1 for r in optional if r.free)
        also = f" ({free} free)" if free else ""
        lines.append(f"_…and {plural(len(optional), 'optional extra')}{also}: {where}_")
    return bk.sections("\n".join(lines))


def _next_line(card: TopicCard, after: Week) -> str:
    cal, week = card.cal, after
    nxt = cal.next_topic_week(week)
    parts: list[str] = []
    if week.kind == "topic" and week.topic_week < week.topic_weeks:
        left = week.topic_weeks - week.topic_week
        started = card.week.kind == "topic"
        parts.append(
            f"This topic continues for {plural(left, 'more week')}."
            if started
            else f"It runs {plural(week.topic_weeks, 'week')}."
        )
    if nxt is None:
        parts.append("This is the last topic of the roadmap.")
    elif nxt.topic is not None:
        when = due_at(card.roadmap.schedule, "weekly", nxt)
        post = f", posted {when:%a %b %-d %H:%M %Z}" if when else ""
        parts.append(f"*Next:* {topic_ref(nxt.topic)} from {fmt.day(nxt.start)}{post}.")
    return " ".join(parts)


def _personal(card: TopicCard, topic: Topic | None) -> list[Block]:
    if card.done is None:
        return []
    s = progress.standing(card.cal.topics, card.cal, card.week, card.done)
    text = "*You:* " + standing_text(s, card.week)
    if topic is not None and topic.id not in card.done:
        missing = progress.missing_prerequisites(card.roadmap, topic, card.done)
        if missing:
            text += f"\n:books: Builds on {names(missing)}, not ticked yet."
    return [bk.section(text)]


def _buttons(card: TopicCard, topic: Topic) -> list[Block]:
    buttons = []
    if card.done is not None:
        if topic.id in card.done:
            buttons.append(bk.button("Ticked ✓ (undo)", UNDO, topic.id))
        else:
            buttons.append(bk.button("Mark this topic done", DONE, topic.id, style="primary"))
    buttons.append(bk.button("More resources", RESOURCES, topic.id))
    if card.done is not None:
        buttons.append(bk.button("Share to the channel", SHARE, topic.id))
    return [bk.actions(*buttons)]


def _thread(card: TopicCard) -> list[Block]:
    if not card.thread_link:
        return []
    link = fmt.link(card.thread_link, "This week's discussion thread")
    return [bk.section(f":speech_balloon: {link}: ask and answer there.")]


def _shared(card: TopicCard) -> list[Block]:
    if not card.shared_by:
        return []
    return [bk.context(f"Shared by <@{card.shared_by}> · `/nexttopic` shows your own progress")]


def _card(
    card: TopicCard,
    title: str,
    topic: Topic,
    facts: str,
    week: Week,
    intro: Sequence[Block] = (),
) -> list[Block]:
    body = [bk.header(title), *intro, bk.context(facts)]
    body += _topic_blocks(card, topic, week.topic_weeks)
    body += _thread(card)
    nxt = _next_line(card, week)
    tail = [*([bk.section(nxt)] if nxt else []), *_personal(card, topic)]
    tail += [*_shared(card), *_buttons(card, topic)]
    room = bk.MAX_MESSAGE_BLOCKS - len(tail)
    return bk.fit(body, room) + tail


def next_topic(card: TopicCard) -> Message:
    """The answer to /nexttopic for every kind of week, and the card "share" posts.

    Drawn once per calendar position, ticks and thread: most members of a group share the
    same few, and this is the command members type most."""
    week = card.week
    key = (
        Same(card.roadmap),
        Same(card.cal),
        week.index,
        week.kind,
        card.done,
        card.thread_link,
        card.shared_by,
    )
    return _cards.get(key, lambda: _draw_next_topic(card))


def _draw_next_topic(card: TopicCard) -> Message:
    cal, week, roadmap = card.cal, card.week, card.roadmap
    extra: dict[str, Any] = {} if card.shared_by else {"response_type": "ephemeral"}
    if week.kind == "topic" and week.topic is not None:
        topic = week.topic
        title = f"Week {week.study_week} of {cal.total_study_weeks}: {topic.title}"
        parts = [fmt.week_dates(week), roadmap.stage_title(topic.stage)]
        if week.topic_weeks > 1:
            parts.append(f"part {week.topic_week} of {week.topic_weeks}")
        blocks = _card(card, title, topic, " · ".join(fmt.title(f) for f in parts), week)
        return bk.message(f"{fmt.safe(title, 200)} ({fmt.week_dates(week)})", blocks, **extra)
    if week.kind == "before" and cal.weeks and cal.weeks[0].topic is not None:
        first = cal.weeks[0]
        opening = first.topic
        assert opening is not None
        title = f"Starts {fmt.day(cal.start, year=True)}: {opening.title}"
        facts = f"Week 1 of {cal.total_study_weeks} · {fmt.week_dates(first)} · {fmt.title(roadmap.title)}"
        blocks = _card(card, title, opening, facts, first)
        text = f"The study group starts on {fmt.day(cal.start, year=True)} with {fmt.title(opening.title)}."
        return bk.message(text, blocks, **extra)
    if week.kind == "after" or not cal.weeks:
        return _complete(card)
    return _break(card)


def _complete(card: TopicCard) -> Message:
    cal, roadmap = card.cal, card.roadmap
    title = "The roadmap is complete"
    if cal.weeks:
        facts = (
            f"{fmt.title(roadmap.title)} ran {fmt.day(cal.start, year=True)} – {fmt.day(cal.end, year=True)}"
            f": {plural(cal.total_study_weeks, 'study week')}, {plural(len(cal.topics), 'topic')}."
        )
    else:
        facts = f"{fmt.title(roadmap.title)} has no topics yet."
    now = (
        "*What now*\n"
        "• Catch up on what you missed: `/progress` shows it, `/resources &lt;topic&gt;` what to read\n"
        "• Review any topic: `/roadmap`\n"
        "• Search the group's answers: `/qa &lt;terms&gt;`\n"
        "• Ask an organizer to start the next round (`/studygroup restart`)"
    )
    blocks = [bk.header(title), bk.section(facts), *_personal(card, None), bk.section(now)]
    blocks += _shared(card)
    extra: dict[str, Any] = {} if card.shared_by else {"response_type": "ephemeral"}
    return bk.message(f"{title}. {facts}", blocks, **extra)


def _break(card: TopicCard) -> Message:
    """A skipped or paused week: say so, then show what comes next."""
    cal, week = card.cal, card.week
    paused = week.kind == "paused"
    title = "The study group is paused" if paused else "No session this week"
    reason = (
        "Organizers can resume it with `/studygroup resume`."
        if paused
        else f"The week of {fmt.week_dates(week)} is a break."
    )
    nxt = cal.next_topic_week(week)
    blocks: list[Block] = [bk.header(title), bk.section(reason)]
    extra: dict[str, Any] = {} if card.shared_by else {"response_type": "ephemeral"}
    if nxt is None or nxt.topic is None:
        blocks += _personal(card, None) + _shared(card)
        return bk.message(f"{title}. {reason}", blocks, **extra)
    topic = nxt.topic
    facts = f"Next up: week {nxt.study_week} of {cal.total_study_weeks} · from {fmt.day(nxt.start)}"
    blocks = _card(card, title, topic, facts, nxt, intro=[bk.section(reason)])
    text = f"{title}. Next: {fmt.title(topic.title)} from {fmt.day(nxt.start)}."
    return bk.message(text, blocks, **extra)
