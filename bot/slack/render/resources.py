"""/resources: a topic's resources, core first then by kind, and the few the topic card shows."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import format as fmt
from bot.core.format import plural
from bot.core.roadmap import Resource, Roadmap, Topic
from bot.slack.render import blocks as bk
from bot.slack.render.ids import RESOURCES
from bot.slack.render.phrases import Block, Message, topic_ref

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


def best_resources(topic: Topic, n: int = BEST_RESOURCES) -> list[Resource]:
    """The first `n` in the roadmap's order (the author's recommendation), with at least one
    free resource among them when the topic has one (the group includes readers on a budget)."""
    chosen = list(topic.resources[:n])
    if chosen and not any(r.free for r in chosen):
        free = next((r for r in topic.resources if r.free), None)
        if free is not None:
            chosen[-1] = free
    return chosen


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


def _listed(chosen: Sequence[Resource], optional: bool) -> list[Block]:
    """The core ones under their own heading, then the rest grouped by kind (headed as
    optional when the topic marks a core)."""
    out: list[Block] = []
    core = [r for r in chosen if r.core]
    if core:
        lines = [fmt.resource_line(r) for r in core]
        out += bk.sections(
            "*:books: Core reading*, what the group reads together\n" + "\n".join(lines)
        )
    groups: dict[str, list[Resource]] = {}
    for r in chosen:
        if not r.core:
            groups.setdefault(r.kind, []).append(r)
    for k in sorted(groups, key=_kind_rank):
        heading = KIND_PLURAL.get(k, fmt.safe(k.capitalize(), 40))
        heading = f"Optional: {heading.lower()}" if optional else heading
        lines = [fmt.resource_line(r, with_kind=False) for r in groups[k]]
        out += bk.sections(f"*{heading}*\n" + "\n".join(lines))
    return out


def resources(
    roadmap: Roadmap,
    topic: Topic,
    *,
    free_only: bool = False,
    kind: str | None = None,
    also: Sequence[Topic] = (),
    query: str | None = None,
) -> Message:
    """A topic's resources, each with cost, section and hours: the core reading first when
    the topic marks one, then (the optional extras) grouped by kind."""
    chosen = [
        r for r in topic.resources if (not free_only or r.free) and (kind is None or r.kind == kind)
    ]
    chosen.sort(key=lambda r: not r.core)  # stable: the roadmap's order within each
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
        f"{plural(len(topic.resources), 'resource')}, {len(all_free)} free",
    ]
    if topic.marks_core:
        facts.append(fmt.workload(topic.core_hours, topic.optional_hours))
    elif hours:
        facts.append(f"{fmt.hours(hours)} in all")
    if paid:
        facts.append(f"{fmt.cost(paid)} for the paid ones")
    blocks.append(bk.context(" · ".join(facts)))
    if not topic.resources:
        blocks.append(bk.section(f"{topic_ref(topic)} lists no resources yet."))
    elif not chosen:
        blocks.append(
            bk.section(
                f"No {fmt.safe(what, 60)} for {topic_ref(topic)}. "
                f"It has {_kinds_summary(topic.resources)}."
            )
        )
        blocks.append(bk.actions(bk.button("Show them all", RESOURCES, topic.id)))
    else:
        blocks += _listed(chosen, optional=topic.marks_core)
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
