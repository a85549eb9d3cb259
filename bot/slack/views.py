"""Messages and views the member commands answer with: pure functions from core values to Block Kit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.core import format as fmt
from bot.core import progress
from bot.core.calendar import Calendar, Week, due_at
from bot.core.roadmap import Resource, Roadmap, Topic
from bot.slack.render import blocks as bk

Block = dict[str, Any]
Message = dict[str, Any]
T = TypeVar("T")

# Action ids (bot/app.py ACTIONS). Buttons of one message need distinct ids, so a family
# that repeats in a message (did-you-mean, page arrows) gets a ":suffix" the pattern allows.
DONE = "member_done"
UNDO = "member_undo"
RESOURCES = "member_resources"
SHARE = "member_share"
ROADMAP = "member_roadmap"
ASK_VIEW = "member_ask"  # callback_id of the /ask modal (bot/app.py VIEWS)
ASK_QUESTION, ASK_TOPIC, ASK_ANON = "question", "topic", "anonymous"  # its input blocks

KIND_ORDER = ("course", "book", "video", "article", "docs", "paper", "exercise")
KIND_PLURAL = {
    "course": "Courses",
    "book": "Books",
    "video": "Videos",
    "article": "Articles",
    "docs": "Docs",
    "paper": "Papers",
    "exercise": "Exercises",
}
BEST_RESOURCES = 3
ROADMAP_PAGE = 40  # at most this many topics on one /roadmap page…
PAGE_BLOCKS = 44  # …in at most this many blocks (header, context and 2 nav blocks make 48)
THIS_WEEK = "  ← *this week*"
ROW_MARGIN = len(THIS_WEEK) + 10  # a row's longest form: this week's mark, and a wider date
MODAL_TOPICS = 100  # Slack's cap on options in a select (and on option groups)
OPTION_TEXT = 75

USAGE: dict[str, list[tuple[str, str]]] = {
    "/nexttopic": [
        ("", "this week's topic, its best resources, what comes next, and where you stand"),
        ("help", "this card"),
    ],
    "/resources": [
        ("", "what to read for this week's topic"),
        (
            "&lt;keyword | topic id&gt;",
            "resources for another topic, e.g. `/resources eigenvectors`",
        ),
        ("free", "only the free ones (combine: `/resources svd free`)"),
        ("&lt;kind&gt;", "only one kind: " + ", ".join(KIND_ORDER)),
    ],
    "/roadmap": [
        ("", "every stage and topic, this week and your ticks marked"),
        ("page &lt;N&gt;", "another page of a long roadmap"),
        ("&lt;stage&gt;", "one stage only (its id or a word of its title)"),
    ],
    "/progress": [
        ("", "your progress bar, and what the group has covered that you have not"),
        ("done [topic]", "tick a topic (this week's when none is named)"),
        ("undo [topic]", "untick it again"),
    ],
    "/ask": [
        ("&lt;your question&gt;", "posts it to the study channel for you"),
        ("", "opens a form: pick the topic, or ask anonymously"),
    ],
}


def usage(command: str, problem: str | None = None) -> Message:
    """The short help card for one of the member commands."""
    return bk.usage_card(command, USAGE[command], problem)


# --- small formatters -------------------------------------------------------------------

# Messages drawn from the roadmap and calendar, by the objects they were drawn from. Neither
# changes once built (a new file or change makes new ones), so a message is rendered once
# instead of on every /nexttopic. Callers must not mutate what they get.
_drawn: dict[tuple[Any, ...], tuple[tuple[object, ...], Any]] = {}
DRAWN_MAX = 512


def _once(sources: tuple[object, ...], key: tuple[Any, ...], draw: Callable[[], T]) -> T:
    """draw(), remembered for these source objects (by identity) and key."""
    slot = (*map(id, sources), *key)
    hit = _drawn.get(slot)
    if hit is not None and all(a is b for a, b in zip(hit[0], sources, strict=True)):
        return hit[1]
    value = draw()
    if len(_drawn) >= DRAWN_MAX:
        _drawn.clear()  # a roadmap edit or a calendar change left old entries behind
    _drawn[slot] = (sources, value)
    return value


def _topic_ref(topic: Topic) -> str:
    return f"*{fmt.title(topic.title)}* (`{fmt.safe(topic.id, 60)}`)"


def best_resources(topic: Topic, n: int = BEST_RESOURCES) -> list[Resource]:
    """The first `n` in the roadmap's order (the author's recommendation), with at least one
    free resource among them when the topic has one (the group includes readers on a budget)."""
    chosen = list(topic.resources[:n])
    if chosen and not any(r.free for r in chosen):
        free = next((r for r in topic.resources if r.free), None)
        if free is not None:
            chosen[-1] = free
    return chosen


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {fmt.safe(item, 500)}" for item in items)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(topics: Sequence[Topic], limit: int = 5) -> str:
    shown = ", ".join(_topic_ref(t) for t in topics[:limit])
    return shown + (f" and {len(topics) - limit} more" if len(topics) > limit else "")


# --- where a member stands --------------------------------------------------------------


def standing_text(s: progress.Standing, week: Week) -> str:
    """One or two lines: the bar, then ahead / behind / on track."""
    bar = f"`{bk.progress_bar(s.done, s.total)}`"
    if week.kind == "before":
        where = "The group has not started yet"
        if s.ahead:
            where += f"; you are already {_plural(len(s.ahead), 'topic')} ahead"
        return f"{bar}\n{where}."
    if s.behind and s.ahead:
        where = (
            f":hourglass: Behind the group on {_names(s.behind)}, "
            f"though {_plural(len(s.ahead), 'topic')} ahead."
        )
    elif s.behind:
        where = f":hourglass: Behind the group on {_names(s.behind)}."
    elif s.ahead:
        where = f":rocket: {_plural(len(s.ahead), 'topic').capitalize()} ahead of the group."
    elif week.kind == "after":
        where = ":tada: You ticked every topic."
    else:
        where = ":white_check_mark: In step with the group."
    return f"{bar}\n{where}"


# --- /nexttopic -------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicCard:
    """What /nexttopic shows: the calendar position plus, for the caller, their ticks."""

    roadmap: Roadmap
    cal: Calendar
    week: Week
    done: frozenset[str] | None = None  # None: a shared (public) card, nothing personal
    thread_link: str | None = None
    shared_by: str | None = None


def _topic_blocks(card: TopicCard, topic: Topic) -> list[Block]:
    out: list[Block] = []
    if topic.summary:
        out += bk.sections(fmt.safe(topic.summary, 2500))
    if topic.key_points:
        out += bk.sections("*Key points*\n" + _bullets(topic.key_points))
    best = best_resources(topic)
    if best:
        lines = [fmt.resource_line(r) for r in best]
        more = len(topic.resources) - len(best)
        if more > 0:
            lines.append(f"_…and {more} more: `/resources {fmt.safe(topic.id, 60)}`_")
        out += bk.sections("*Start with*\n" + "\n".join(lines))
    return out


def _next_line(card: TopicCard, after: Week) -> str:
    cal, week = card.cal, after
    nxt = cal.next_topic_week(week)
    parts: list[str] = []
    if week.kind == "topic" and week.topic_week < week.topic_weeks:
        left = week.topic_weeks - week.topic_week
        started = card.week.kind == "topic"
        parts.append(
            f"This topic continues for {_plural(left, 'more week')}."
            if started
            else f"It runs {_plural(week.topic_weeks, 'week')}."
        )
    if nxt is None:
        parts.append("This is the last topic of the roadmap.")
    elif nxt.topic is not None:
        when = due_at(card.roadmap.schedule, "weekly", nxt)
        post = f", posted {when:%a %b %-d %H:%M %Z}" if when else ""
        parts.append(f"*Next:* {_topic_ref(nxt.topic)} from {fmt.day(nxt.start)}{post}.")
    return " ".join(parts)


def _personal(card: TopicCard, topic: Topic | None) -> list[Block]:
    if card.done is None:
        return []
    s = progress.standing(card.cal.topics, card.cal, card.week, card.done)
    text = "*You:* " + standing_text(s, card.week)
    if topic is not None and topic.id not in card.done:
        missing = progress.missing_prerequisites(card.roadmap, topic, card.done)
        if missing:
            text += f"\n:books: Builds on {_names(missing)}, not ticked yet."
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
    body = [bk.header(title), *intro, bk.context(facts), *_topic_blocks(card, topic)]
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
    key = ("next_topic", week.index, week.kind, card.done, card.thread_link, card.shared_by)
    return _once((card.roadmap, card.cal), key, lambda: _draw_next_topic(card))


def _draw_next_topic(card: TopicCard) -> Message:
    cal, week, roadmap = card.cal, card.week, card.roadmap
    extra: dict[str, Any] = {} if card.shared_by else {"response_type": "ephemeral"}
    if week.kind == "topic" and week.topic is not None:
        topic = week.topic
        title = f"Week {week.study_week} of {cal.total_study_weeks}: {topic.title}"
        facts = [fmt.week_dates(week), roadmap.stage_title(topic.stage)]
        if week.topic_weeks > 1:
            facts.append(f"part {week.topic_week} of {week.topic_weeks}")
        blocks = _card(card, title, topic, " · ".join(fmt.title(f) for f in facts), week)
        return bk.message(f"{fmt.safe(title, 200)} ({fmt.week_dates(week)})", blocks, **extra)
    if week.kind == "before" and cal.weeks and cal.weeks[0].topic is not None:
        first = cal.weeks[0]
        topic = first.topic
        assert topic is not None
        title = f"Starts {fmt.day(cal.start, year=True)}: {topic.title}"
        facts = f"Week 1 of {cal.total_study_weeks} · {fmt.week_dates(first)} · {fmt.title(roadmap.title)}"
        blocks = _card(card, title, topic, facts, first)
        text = f"The study group starts on {fmt.day(cal.start, year=True)} with {fmt.title(topic.title)}."
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
            f": {_plural(cal.total_study_weeks, 'study week')}, {_plural(len(cal.topics), 'topic')}."
        )
    else:
        facts = f"{fmt.title(roadmap.title)} has no topics yet."
    now = (
        "*What now*\n"
        "• Catch up on what you missed: `/progress` shows it, `/resources &lt;topic&gt;` what to read\n"
        "• Review any topic: `/roadmap`\n"
        "• Search the group's answers: `/qa &lt;terms&gt;`\n"
        "• Ask an organizer to start the next round (`/studygroup`)"
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


# --- /resources -------------------------------------------------------------------------


def kind_of(word: str) -> str | None:
    """`books`, `Book`, `video` -> the resource kind; None when the word is no kind."""
    w = word.lower()
    for kind in KIND_ORDER:
        if w in (kind, kind + "s", KIND_PLURAL[kind].lower()):
            return kind
    return None


def _kinds_summary(resources: Sequence[Resource]) -> str:
    counts: dict[str, list[Resource]] = {}
    for r in resources:
        counts.setdefault(r.kind, []).append(r)
    parts = []
    for kind, items in sorted(counts.items(), key=lambda kv: _kind_rank(kv[0])):
        free = sum(1 for r in items if r.free)
        noun = KIND_PLURAL.get(kind, kind).lower() if len(items) != 1 else kind
        parts.append(f"{len(items)} {noun}" + (f" ({free} free)" if free else ""))
    return ", ".join(parts)


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def resources(
    roadmap: Roadmap,
    topic: Topic,
    *,
    free_only: bool = False,
    kind: str | None = None,
    also: Sequence[Topic] = (),
    query: str | None = None,
) -> Message:
    """A topic's resources grouped by kind, each with cost, section and hours."""
    chosen = [
        r for r in topic.resources if (not free_only or r.free) and (kind is None or r.kind == kind)
    ]
    filtered = free_only or kind is not None
    kinds = KIND_PLURAL.get(kind, kind or "").lower() if kind else "resources"
    what = ("free " if free_only else "") + kinds  # "free books", "videos", "free resources"
    title = f"Resources: {topic.title}"
    blocks: list[Block] = [bk.header(title)]
    all_free = [r for r in topic.resources if r.free]
    hours = sum(r.hours or 0 for r in topic.resources)
    paid = sum(r.cost_usd for r in topic.resources)
    facts = [
        fmt.title(roadmap.stage_title(topic.stage)),
        f"`{fmt.safe(topic.id, 60)}`",
        f"{_plural(len(topic.resources), 'resource')}, {len(all_free)} free",
    ]
    if hours:
        facts.append(f"{fmt.hours(hours)} in all")
    if paid:
        facts.append(f"{fmt.cost(paid)} for the paid ones")
    blocks.append(bk.context(" · ".join(facts)))
    if not topic.resources:
        blocks.append(bk.section(f"{_topic_ref(topic)} lists no resources yet."))
    elif not chosen:
        blocks.append(
            bk.section(
                f"No {fmt.safe(what, 60)} for {_topic_ref(topic)}. "
                f"It has {_kinds_summary(topic.resources)}."
            )
        )
        blocks.append(bk.actions(bk.button("Show them all", RESOURCES, topic.id)))
    else:
        groups: dict[str, list[Resource]] = {}
        for r in chosen:
            groups.setdefault(r.kind, []).append(r)
        for k in sorted(groups, key=_kind_rank):
            heading = KIND_PLURAL.get(k, fmt.safe(k.capitalize(), 40))
            lines = [fmt.resource_line(r, with_kind=False) for r in groups[k]]
            blocks += bk.sections(f"*{heading}*\n" + "\n".join(lines))
        if filtered:
            everything = f"`/resources {fmt.safe(topic.id, 60)}`"
            blocks.append(bk.context(f"Showing {fmt.safe(what, 60)} only · {everything} for all"))
    if also:
        others = ", ".join(f"{fmt.title(t.title)} (`{fmt.safe(t.id, 60)}`)" for t in also[:5])
        said = f" “{fmt.safe(query, 60)}”" if query else ""
        blocks.append(bk.context(f"Also matching{said}: {others}"))
    text = f"{fmt.safe(title, 200)}: " + (
        "; ".join(f"{fmt.title(r.title)} ({r.kind}, {fmt.cost(r.cost_usd)})" for r in chosen)
        or f"no {fmt.safe(what, 60)}"
    )
    return bk.message(text, blocks, response_type="ephemeral")


def no_match(
    command: str, query: str, suggestions: Sequence[Topic], action: str, verb: str
) -> Message:
    """ "No topic matches" with did-you-mean buttons (each runs `action` on its topic)."""
    said = fmt.safe(query, 100)
    blocks: list[Block] = []
    if suggestions:
        names = ", ".join(_topic_ref(t) for t in suggestions)
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
    names = ", ".join(_topic_ref(t) for t in candidates[:5])
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


# --- /roadmap ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadmapPage:
    """Which slice of the roadmap to show: all topics or one stage, page N (1-based)."""

    stage: str | None = None
    page: int | None = None  # None: the page holding this week's topic

    def value(self, page: int) -> str:
        return f"{self.stage or ''}:{page}"

    @staticmethod
    def parse(value: str) -> RoadmapPage:
        stage, _, page = value.rpartition(":")
        return RoadmapPage(stage or None, int(page) if page.isdigit() else None)


def _runs(topics: Sequence[Topic], rows: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Consecutive topics of one stage: (stage id, their rows)."""
    runs: list[tuple[str, list[str]]] = []
    for topic in topics:
        if not runs or runs[-1][0] != topic.stage:
            runs.append((topic.stage, []))
        runs[-1][1].append(rows[topic.id])
    return runs


def _headings(roadmap: Roadmap) -> dict[str, str]:
    """stage id -> its title as a bold mrkdwn heading (escaped once, not per row)."""
    return {s.id: f"*{fmt.title(s.title)}*" for s in roadmap.stages}


def _run_blocks(headings: dict[str, str], stage_id: str, lines: list[str]) -> list[Block]:
    heading = headings.get(stage_id) or f"*{fmt.title(stage_id)}*"
    return bk.sections(heading + "\n" + "\n".join(lines))


def roadmap_page_topics(
    roadmap: Roadmap, cal: Calendar, stage: str | None = None
) -> list[list[Topic]]:
    """The roadmap cut into pages: at most ROADMAP_PAGE topics, and never more blocks than a
    message holds. Cut on the longest form of each row, so pages are the same for everyone."""
    topics = [t for t in cal.topics if stage is None or t.stage == stage]
    spans, headings = _spans(cal), _headings(roadmap)
    pages: list[list[Topic]] = [[]]
    closed = 0  # blocks of the current page's finished runs
    run_stage, run = "", []  # the current page's last run: its stage and rows
    for topic in topics:
        row = _topic_row(topic, spans, None, ()) + " " * ROW_MARGIN
        page = pages[-1]
        if page and topic.stage == run_stage:
            base, trial = closed, [*run, row]
        else:
            base = closed + (len(_run_blocks(headings, run_stage, run)) if run else 0)
            trial = [row]
        total = base + len(_run_blocks(headings, topic.stage, trial))
        if page and (len(page) >= ROADMAP_PAGE or total > PAGE_BLOCKS):
            pages.append([topic])
            closed, run_stage, run = 0, topic.stage, [row]
        else:
            page.append(topic)
            closed, run_stage, run = base, topic.stage, trial
    return pages


def roadmap_pages(roadmap: Roadmap, cal: Calendar, stage: str | None = None) -> int:
    return len(roadmap_page_topics(roadmap, cal, stage))


def _spans(cal: Calendar) -> dict[str, tuple[dt.date, int]]:
    """topic id -> (the start of its first week, how many weeks it gets), in one pass."""
    spans: dict[str, tuple[dt.date, int]] = {}
    for w in cal.weeks:
        if w.topic is not None:
            first, count = spans.get(w.topic.id, (w.start, 0))
            spans[w.topic.id] = (first, count + 1)
    return spans


def _topic_row(
    topic: Topic,
    spans: dict[str, tuple[dt.date, int]],
    week: Week | None,
    done: Collection[str],
) -> str:
    current = (
        week is not None
        and week.kind == "topic"
        and week.topic is not None
        and week.topic.id == topic.id
    )
    mark = (
        ":white_check_mark:"
        if topic.id in done
        else (":point_right:" if current else ":white_large_square:")
    )
    first, weeks = spans.get(topic.id, (None, 0))
    when = f"{first:%b %-d}" if first else "not scheduled"
    line = f"{mark} *{fmt.title(topic.title)}* `{fmt.safe(topic.id, 60)}` — {when}, {_plural(weeks, 'wk')}"
    return line + (THIS_WEEK if current else "")


def roadmap(
    roadmap: Roadmap, cal: Calendar, week: Week, done: Collection[str], page: RoadmapPage
) -> Message:
    """Stages and topics with this week and the caller's ticks; one page of a long roadmap."""
    paged = roadmap_page_topics(roadmap, cal, page.stage)
    pages = len(paged)
    number = page.page
    if number is None:
        here = week.topic.id if week.kind == "topic" and week.topic else None
        number = next((i + 1 for i, p in enumerate(paged) if any(t.id == here for t in p)), 1)
    number = min(max(number, 1), pages)
    shown = paged[number - 1]
    title = roadmap.title
    if page.stage is not None:
        title += f" — {roadmap.stage_title(page.stage)}"
    if pages > 1:
        title += f" (page {number} of {pages})"
    blocks: list[Block] = [bk.header(title)]
    ticked = sum(1 for t in cal.topics if t.id in done)
    facts = [f"{_plural(len(cal.topics), 'topic')} in {_plural(len(roadmap.stages), 'stage')}"]
    if cal.weeks:
        facts.append(f"{fmt.day(cal.start)} – {fmt.day(cal.end, year=True)}")
    facts.append(f"you: `{bk.progress_bar(ticked, len(cal.topics), width=10)}`")
    blocks.append(bk.context(" · ".join(facts)))
    if not shown:
        empty = "No topic of this stage is on the group's track." if page.stage else None
        blocks.append(bk.section(empty or "This roadmap has no topics yet."))
    spans = _spans(cal)
    rows = {t.id: _topic_row(t, spans, week, done) for t in shown}
    headings = _headings(roadmap)
    for stage_id, lines in _runs(shown, rows):
        blocks += _run_blocks(headings, stage_id, lines)
    tail = _roadmap_nav(roadmap, page, number, pages)
    blocks = bk.fit(blocks, bk.MAX_MESSAGE_BLOCKS - len(tail)) + tail
    text = f"{fmt.safe(title, 200)}: " + ", ".join(
        ("✓ " if t.id in done else "") + fmt.title(t.title) for t in shown
    )
    return bk.message(text, blocks, response_type="ephemeral")


def _roadmap_nav(roadmap: Roadmap, page: RoadmapPage, number: int, pages: int) -> list[Block]:
    out: list[Block] = []
    buttons = []
    if number > 1:
        buttons.append(bk.button(f"◀ Page {number - 1}", f"{ROADMAP}:prev", page.value(number - 1)))
    if number < pages:
        buttons.append(bk.button(f"Page {number + 1} ▶", f"{ROADMAP}:next", page.value(number + 1)))
    if page.stage is not None:
        buttons.append(bk.button("Whole roadmap", f"{ROADMAP}:all", ":"))
    if buttons:
        out.append(bk.actions(*buttons))
    stages = " ".join(f"`{fmt.safe(s.id, 40)}`" for s in roadmap.stages[:20])
    if len(roadmap.stages) > 20:
        stages += " …"
    hint = "`/roadmap page N`" if pages > 1 else ""
    hint += (" · " if hint else "") + f"`/roadmap &lt;stage&gt;`: {stages}"
    out.append(bk.context(hint))
    return out


def stage_not_found(roadmap: Roadmap, query: str) -> Message:
    problem = f"No stage or option “{fmt.safe(query, 60)}”."
    stages = ", ".join(
        f"{fmt.safe(s.id, 40)} ({fmt.safe(s.title, 60)})" for s in roadmap.stages[:20]
    )
    return usage("/roadmap", f"{problem} Stages: {stages}." if stages else problem)


# --- /progress --------------------------------------------------------------------------


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
        text = f"*Up next for you:* {_topic_ref(up)}"
        missing = progress.missing_prerequisites(roadmap, up, done)
        if missing:
            text += f"\n:books: It builds on {_names(missing)}, not ticked yet."
        tail.append(bk.section(text))
        tail.append(
            bk.actions(
                bk.button(f"Mark {up.title} done", DONE, up.id, style="primary"),
                bk.button("Resources", RESOURCES, up.id),
            )
        )
    tail.append(bk.context("`/progress done [topic]` ticks · `/progress undo [topic]` unticks"))
    blocks = bk.fit(blocks, bk.MAX_MESSAGE_BLOCKS - len(tail)) + tail
    text = f"{fmt.safe(title, 200)}: {s.done} of {s.total} topics ticked"
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
    ref = _topic_ref(topic)
    if ticked:
        said = f":white_check_mark: Ticked {ref}." if changed else f"You had already ticked {ref}."
    else:
        said = (
            f":leftwards_arrow_with_hook: Unticked {ref}." if changed else f"{ref} was not ticked."
        )
    followed = {t.id for t in cal.topics}
    count = sum(1 for t in cal.topics if t.id in done)
    lines = [said, f"`{bk.progress_bar(count, len(cal.topics))}`"]
    if topic.id not in followed:
        lines.append("_This topic is not on the group's track, so it is not in the bar._")
    if ticked:
        missing = progress.missing_prerequisites(roadmap, topic, done)
        if missing:
            lines.append(f":books: It builds on {_names(missing)}, which you have not ticked.")
    blocks: list[Block] = [bk.section("\n".join(lines))]
    if ticked:
        blocks.append(bk.actions(bk.button("Undo", UNDO, topic.id)))
    else:
        blocks.append(bk.actions(bk.button("Tick it again", DONE, topic.id)))
    verb = (
        ("Ticked" if changed else "Already ticked")
        if ticked
        else ("Unticked" if changed else "Was not ticked:")
    )
    text = f"{verb} {fmt.title(topic.title)}. {count} of {len(cal.topics)} topics ticked."
    return bk.message(text, blocks, response_type="ephemeral")


# --- /ask -------------------------------------------------------------------------------


def _option(topic: Topic) -> dict[str, Any]:
    return {
        "text": {
            "type": "plain_text",
            "text": bk.truncate(topic.title, OPTION_TEXT),
            "emoji": True,
        },
        "value": topic.id[:150],
    }


def ask_modal(
    roadmap: Roadmap, topics: Sequence[Topic], default: Topic | None, channel: str | None
) -> dict[str, Any]:
    """The /ask form: the question, its topic (this week's by default), "ask anonymously"."""
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ASK_TOPIC,
        "placeholder": {"type": "plain_text", "text": "Pick a topic"},
    }
    listed = list(topics)
    if len(listed) <= MODAL_TOPICS:
        select["options"] = [_option(t) for t in listed]
    else:  # a long roadmap: one group per stage, each within Slack's 100
        groups: dict[str, list[Topic]] = {}
        for t in listed:
            groups.setdefault(t.stage, []).append(t)
        select["option_groups"] = [
            {
                "label": {
                    "type": "plain_text",
                    "text": bk.truncate(roadmap.stage_title(stage), OPTION_TEXT),
                },
                "options": [_option(t) for t in items[:MODAL_TOPICS]],
            }
            for stage, items in list(groups.items())[:MODAL_TOPICS]
        ]
        listed = [t for items in list(groups.values())[:MODAL_TOPICS] for t in items[:MODAL_TOPICS]]
    if default is not None and default in listed:
        select["initial_option"] = _option(default)
    where = f"<#{channel}>" if channel else "the study channel"
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": ASK_QUESTION,
            "label": {"type": "plain_text", "text": "Your question"},
            "element": {
                "type": "plain_text_input",
                "action_id": ASK_QUESTION,
                "multiline": True,
                "max_length": 2900,
                "placeholder": {"type": "plain_text", "text": "What are you stuck on?"},
            },
        },
    ]
    if listed:
        blocks.append(
            {
                "type": "input",
                "block_id": ASK_TOPIC,
                "optional": True,
                "label": {"type": "plain_text", "text": "Topic"},
                "element": select,
            }
        )
    blocks += [
        {
            "type": "input",
            "block_id": ASK_ANON,
            "optional": True,
            "label": {"type": "plain_text", "text": "Privacy"},
            "element": {
                "type": "checkboxes",
                "action_id": ASK_ANON,
                "options": [
                    {
                        "text": {"type": "plain_text", "text": "Ask anonymously"},
                        "description": {
                            "type": "plain_text",
                            "text": "Nobody sees who asked, and the archive keeps no name.",
                        },
                        "value": "anonymous",
                    }
                ],
            },
        },
        bk.context(f"Posted to {where}; answers come in its thread."),
    ]
    return {
        "type": "modal",
        "callback_id": ASK_VIEW,
        "title": {"type": "plain_text", "text": "Ask the study group"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def ask_post(question: str, user: str | None, topic: Topic | None) -> Message:
    """The question as posted to the channel; `question` is Slack wire format (escaped here).
    Anonymous (`user` None): no name, mention or id anywhere in the message."""
    who = f"<@{user}> asks" if user else "Someone asks anonymously"
    shown = bk.escape(question.strip())
    blocks = bk.sections(f":question: {who}: {shown}")[: bk.MAX_MESSAGE_BLOCKS - 1]
    facts = [f"Topic: {fmt.title(topic.title)}"] if topic else []
    facts.append("Answer in the thread :thread:")
    blocks.append(bk.context(" · ".join(facts)))
    return bk.message(f"{who}: {shown}", blocks)


def ask_posted(channel: str, link: str | None, anonymous: bool) -> Message:
    how = "anonymously " if anonymous else ""
    where = fmt.link(link, "your question") if link else "your question"
    text = f":white_check_mark: Posted {where} {how}to <#{channel}>; answers arrive in its thread."
    return bk.message(text, [bk.section(text)], response_type="ephemeral")


def ask_failed(channel: str | None, error: str) -> Message:
    where = f"<#{channel}>" if channel else "the study channel"
    text = (
        f":warning: I could not post your question to {where} ({fmt.safe(error, 80)}). Try again?"
    )
    return bk.message(text, [bk.section(text)], response_type="ephemeral")


def no_channel() -> Message:
    text = (
        ":warning: No study channel is set up yet, so there is nowhere to post. "
        "An organizer can set one with `/studygroup channel #channel`."
    )
    return bk.message(text, [bk.section(text)], response_type="ephemeral")


def notice(text: str) -> Message:
    """A one-line ephemeral answer."""
    return bk.message(text, [bk.section(text)], response_type="ephemeral")
