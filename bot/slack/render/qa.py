"""The archive's messages: /qa results and help, "asked before", "Mark answered", "Wrong topic?"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.core import format as fmt
from bot.core.qa_search import Hit, Query
from bot.core.questions import Answer, Question, answer_link, question_link
from bot.core.roadmap import Roadmap, Topic
from bot.core.text import from_plain
from bot.core.topic_search import Resolution
from bot.slack.render import blocks as bk
from bot.slack.render.ask import topic_select

MARK_ANSWERED = "qa_mark_answered"
# "Wrong topic?" (a button, value the question id; ":<id>" keeps ids distinct in one message)
# opens the move form (MOVE_VIEW, private_metadata the question id) with a select (MOVE_TOPIC).
WRONG_TOPIC = "qa_wrong_topic"
MOVE_VIEW = "qa_move_topic"
MOVE_TOPIC = "qa_topic"

USAGE = [
    ("<terms>", 'search questions and answers (every word must appear; "a phrase", prefix*)'),
    ("unanswered", "open questions, oldest first"),
    ("mine", "your own questions"),
    ("topic:<name>", "only one topic's questions: its id or a word of its title (`topic:{topic}`)"),
    ("<terms> unanswered topic:<name> mine", "filters combine with a search"),
]
NO_REPLY_YET = (
    "Nobody has replied in its thread yet, so there is no answer to mark. If you found it "
    "yourself, reply in the thread with what helped and react :white_check_mark: to your reply: "
    "the next person with this question will find it."
)
CAPPED_NOTE = (
    "These words are in very many messages, so the most recent ones were ranked: "
    "add a word to search them all."
)


def usage(roadmap: Roadmap, problem: str | None = None) -> dict[str, Any]:
    """/qa's help card, its topic example taken from the roadmap."""
    topics = roadmap.topics
    example = topics[0].id if topics else "linear-algebra"
    lines = [(u, what.replace("{topic}", example)) for u, what in USAGE]
    return bk.usage_card("/qa", lines, problem)


def topic_problem(asked: str, found: Resolution) -> str:
    """Why `topic:<asked>` is no filter: several topics match (which one?), or none does (the
    closest by spelling, else where to look)."""
    said = bk.escape(asked)
    named = ", ".join(f"`topic:{t.id}` ({bk.escape(t.title)})" for t in found.closest[:5])
    if found.several:
        return f"Several topics match `{said}`: {named}. Which one?"
    if found.closest:
        return f"There is no topic `{said}`. Closest: {named}."
    return f"There is no topic `{said}`. `/roadmap` lists every topic and its id."


def results(
    roadmap: Roadmap,
    base: str,
    query: Query | None,
    filters: dict[str, Any],
    items: list[tuple[Question, Hit | None, bool]],
    *,
    capped: bool,
    limit: int,
    movable: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    """/qa's answer: search hits (or a listing, without a query), each with whether the member
    may mark it answered; `capped` when older matches were left unranked, `limit` the most
    shown, `movable` the ids of questions the member may file under another topic. `base` is
    the workspace URL for links."""
    if query is not None:
        what = f"“{bk.escape(' '.join(query.terms))}”"
        head = f"*{len(items)} result{'s' if len(items) != 1 else ''}* for {what}"
        empty = f"No questions or answers match {what}"
    else:
        what = (
            "Open questions, oldest first" if filters["unanswered"] else "Questions, newest first"
        )
        head = f"*{what}*"
        empty = "No open questions" if filters["unanswered"] else "No questions"
    scope = _scope(roadmap, filters)
    if not items:
        text = f"{empty}{scope}."
        if capped:
            text += f" {CAPPED_NOTE}"
        return bk.message(bk.fallback(text), [bk.section(text)], response_type="ephemeral")
    blocks: list[dict[str, Any]] = [bk.section(head + scope)]
    for question, hit, can_mark in items:
        blocks.extend(_result(roadmap, base, question, hit, can_mark, question.id in movable))
    notes = []
    if len(items) == limit:
        notes.append(f"Showing the first {limit}; add words or filters to narrow it down.")
    if capped:
        notes.append(CAPPED_NOTE)
    if query is not None and query.ignored:
        shown = ", ".join(f"`{bk.escape(i)}`" for i in query.ignored[:5])
        notes.append(
            f'Ignored {shown}: search takes plain words, "phrases" and prefix*, '
            "and every word must appear."
        )
    if notes:
        blocks.append(bk.context(" ".join(notes)))
    return bk.message(bk.fallback(head + scope).replace("*", ""), blocks, response_type="ephemeral")


def _scope(roadmap: Roadmap, filters: dict[str, Any]) -> str:
    parts = []
    if filters["topic"]:
        topic = roadmap.topic(filters["topic"])
        parts.append(f"in {bk.escape(topic.title if topic else filters['topic'])}")
    if filters["mine"]:
        parts.append("asked by you")
    if filters["unanswered"] and parts:
        parts.append("still open")
    return (" " + ", ".join(parts)) if parts else ""


def _result(
    roadmap: Roadmap,
    base: str,
    question: Question,
    hit: Hit | None,
    can_mark: bool,
    can_move: bool = False,
) -> list[dict[str, Any]]:
    icon = ":white_check_mark:" if question.answered else ":grey_question:"
    if hit is not None and hit.answer is None:
        title = highlight(hit.snippet)
    else:
        title = one_line(question.text, 300)
    body = f"{icon} {title}"
    if hit is not None and hit.answer is not None:
        label = "Accepted answer" if hit.answer.ts == question.accepted_answer_ts else "Answer"
        body += f"\n>_{label}:_ {highlight(hit.snippet)}"
    accessory = mark_answered_button(question.id) if can_mark else None
    topic = roadmap.topic(question.topic_id) if question.topic_id else None
    facts = [
        "Answered" if question.answered else "Open",
        bk.escape(topic.title) if topic else None,
        f"asked {question.asked_at:%b %-d, %Y}",
        f"{question.answer_count} answer{'s' if question.answer_count != 1 else ''}",
        f"<{question_link(base, question)}|open thread>",
    ]
    out = [
        bk.section(body, accessory=accessory),
        bk.context(" · ".join(f for f in facts if f)),
    ]
    if can_move:
        out.append(bk.actions(wrong_topic_button(question.id)))
    return out


def one_line(text: str, limit: int) -> str:
    """Member text as one safe line: plain, re-escaped, no links or mentions left to fire."""
    flat = " ".join(bk.plain(text).split())
    return from_plain(bk.truncate(flat, limit))


def highlight(snippet: str) -> str:
    """An FTS snippet (plain text, \\x02…\\x03 around matches) as safe mrkdwn in bold."""
    flat = " ".join(snippet.split())
    safe = from_plain(bk.truncate(flat, 600))
    safe = re.sub(r"\x02\s*\x03", "", safe)
    return safe.replace("\x02", "*").replace("\x03", "*")


def mark_answered_button(question_id: int) -> dict[str, Any]:
    """The "Mark answered" button for a question (its id is the button's value)."""
    return bk.button("Mark answered", MARK_ANSWERED, str(question_id), style="primary")


def wrong_topic_button(question_id: int) -> dict[str, Any]:
    """ "Wrong topic?": the asker or an organizer files the question under another one."""
    return bk.button("Wrong topic?", f"{WRONG_TOPIC}:{question_id}", str(question_id))


def move_form(
    roadmap: Roadmap, question: Question, current: Topic | None, topics: Sequence[Topic]
) -> dict[str, Any]:
    """The form that files a question under another topic (its current one chosen)."""
    select, _ = topic_select(roadmap, topics, current, MOVE_TOPIC)
    now = f"Filed under *{bk.escape(current.title)}*." if current else "Filed under no topic."
    return {
        "type": "modal",
        "callback_id": MOVE_VIEW,
        "private_metadata": str(question.id),
        "title": {"type": "plain_text", "text": "Wrong topic?"},
        "submit": {"type": "plain_text", "text": "Move"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            bk.section(f"> {one_line(question.text, 300)}\n{now}"),
            {
                "type": "input",
                "block_id": MOVE_TOPIC,
                "label": {"type": "plain_text", "text": "What it is about"},
                "element": select,
            },
            bk.context("`/qa topic:` and the FAQ list it under the topic you pick."),
        ],
    }


def moved_form(question: Question, topic: Topic) -> dict[str, Any]:
    """The move form once done: where the question is filed now."""
    text = f":white_check_mark: Moved to *{bk.escape(topic.title)}*: {one_line(question.text, 200)}"
    return {
        "type": "modal",
        "callback_id": MOVE_VIEW,
        "title": {"type": "plain_text", "text": "Wrong topic?"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [bk.section(text)],
    }


def asked_before_message(
    base: str,
    earlier: list[tuple[Question, Answer | None]],
    question_id: int | None = None,
    about: str | None = None,
) -> dict[str, Any]:
    """The thread reply for a question asked before: each earlier question with its accepted
    (else first) answer, if any; and "Wrong topic?" for the new question (`question_id`).
    `about`: the new question's text, quoted when the reply goes to a thread other questions
    share (the weekly post's), so each reply says which one it answers."""
    lines = []
    for question, answer in earlier:
        links = [f"<{question_link(base, question)}|the question>"]
        if answer is not None:
            label = "accepted answer" if question.accepted_answer_ts else "answer"
            links.append(f"<{answer_link(base, answer)}|{label}>")
        lines.append(f"• {one_line(question.text, 200)} — " + ", ".join(links))
    head = (
        "This looks like it was asked before:"
        if len(earlier) == 1
        else ("This looks like it was asked before, here are earlier answers:")
    )
    if about:
        head = f"“{one_line(about, 80)}”: {head[0].lower()}{head[1:]}"
    blocks = [bk.section(f":bulb: {head}"), *bk.sections("\n".join(lines))]
    blocks.append(bk.context("If these don't help, your question stays open for the group."))
    if question_id is not None:
        blocks.append(bk.actions(wrong_topic_button(question_id)))
    answered = "with an answer" if len(earlier) == 1 else "with answers"
    return bk.message(f"{head} {fmt.plural(len(earlier), 'earlier question')} {answered}.", blocks)


def notice(text: str) -> dict[str, Any]:
    """A short ephemeral reply that leaves the message it answers in place."""
    return bk.message(
        bk.fallback(text), [bk.section(text)], response_type="ephemeral", replace_original=False
    )
