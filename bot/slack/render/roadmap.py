"""/roadmap: every stage and topic, this week and the member's ticks marked, in pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.core import format as fmt
from bot.core.calendar import Calendar, Week
from bot.core.format import plural
from bot.core.roadmap import Roadmap, Topic
from bot.core.text import whole_number
from bot.slack.render import blocks as bk
from bot.slack.render.ids import ROADMAP
from bot.slack.render.phrases import Block, Message
from bot.slack.render.usage import usage

ROADMAP_PAGE = 40  # at most this many topics on one /roadmap page…
PAGE_BLOCKS = 44  # …in at most this many blocks (header, context and 2 nav blocks make 48)
THIS_WEEK = "  ← *this week*"
ROW_MARGIN = len(THIS_WEEK) + 10  # a row's longest form: this week's mark, and a wider date


@dataclass(frozen=True)
class RoadmapPage:
    """Which slice of the roadmap to show: all topics or one stage, page N (1-based)."""

    stage: str | None = None
    page: int | None = None  # None: the page holding this week's topic

    def value(self, page: int) -> str:
        return f"{self.stage or ''}:{page}"

    @staticmethod
    def parse(value: str) -> RoadmapPage:
        """The page a button's value (`stage:page`) names; no page for a value that is none."""
        stage, _, page = value.rpartition(":")
        return RoadmapPage(stage or None, whole_number(page))


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
    run_stage, run = "", list[str]()  # the current page's last run: its stage and rows
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
    line = f"{mark} *{fmt.title(topic.title)}* `{fmt.safe(topic.id, 60)}` — {when}, {plural(weeks, 'wk')}"
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
    facts = [f"{plural(len(cal.topics), 'topic')} in {plural(len(roadmap.stages), 'stage')}"]
    if cal.weeks:
        # Both years when the span crosses one: "Mon Sep 7 – Sun Nov 14, 2027" hid a year.
        crosses = cal.start.year != cal.end.year
        facts.append(f"{fmt.day(cal.start, year=crosses)} – {fmt.day(cal.end, year=True)}")
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
