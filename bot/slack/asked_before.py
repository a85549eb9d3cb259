"""The "asked before" reply: a question close to answered ones gets them in its thread."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.core import questions, similar
from bot.core.deps import Deps
from bot.core.questions import Question
from bot.slack import workspace
from bot.slack.render import qa as render

# Questions members asked; backfilled history is not news.
LIVE_SOURCES = ("channel", "thread", "ask")


def reply_asked_before(
    deps: Deps, client: WebClient, question: Question, *, claimed: bool = False
) -> bool:
    """Once per question: if it closely matches answered ones, say so in its thread.
    `claimed`: the caller holds the question's claim already (a message's recording took it,
    bot.core.ingest); else it is taken here."""
    if question.source not in LIVE_SOURCES:
        return False
    if not claimed and not similar.claim_asked_before(deps.db, question.id):
        return False
    earlier = similar.similar_answered(deps.db, question)
    if not earlier:
        return False
    with_answers = [
        (q, next(iter(questions.answers_accepted_first(deps.db, q)), None)) for q in earlier
    ]
    # In a thread other questions share (the weekly post's), the reply says which it is about.
    shared = question.thread_ts is not None and question.thread_ts != question.ts
    message = render.asked_before_message(
        workspace.url(deps.db, client),
        with_answers,
        question.id,
        about=question.text if shared else None,
    )
    client.chat_postMessage(
        channel=question.channel,
        thread_ts=question.thread_ts or question.ts,
        unfurl_links=False,
        unfurl_media=False,
        **message,
    )
    return True
