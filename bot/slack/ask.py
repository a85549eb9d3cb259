"""/ask's work: posting a question to the study channel and archiving it, and opening the form."""

from __future__ import annotations

import logging
import uuid

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import ingest, topic_match
from bot.core.deps import Deps
from bot.core.roadmap import Topic
from bot.core.text import plain
from bot.slack.asked_before import reply_asked_before
from bot.slack.delivery import SlackPoster
from bot.slack.render.ask import ask_continued, ask_modal, ask_post, ask_shortened

log = logging.getLogger(__name__)

# After an unanswered /ask post, how long to look for it in the channel before telling the
# member it is unconfirmed (they are waiting; a scheduled post looks far longer).
ASK_GRACE = 5.0


def post_question(
    deps: Deps,
    client: WebClient,
    *,
    user: str,
    text: str,
    topic: Topic | None,
    anonymous: bool,
) -> tuple[str, str]:
    """Post a member's question (Slack wire format) to the study channel and archive it.

    Returns (channel, ts); raises PostError when Slack does not take the post. The post is
    tagged, so after an unclear failure (a lost answer, a timeout) the sender looks for it in
    the channel before trying again: the question appears once, and is archived."""
    channel = deps.channel
    if not channel:
        raise ValueError("no study channel")
    topic = question_topic(deps, text, topic)
    message = ask_post(text, None if anonymous else user, topic)
    tag = {"event_type": "studybot_ask", "event_payload": {"nonce": uuid.uuid4().hex}}
    ts = SlackPoster(client, grace=ASK_GRACE, resend_unconfirmed=False).post(channel, message, tag)
    if not ts:  # Slack took it without saying where: nothing to archive it under
        log.warning("/ask question posted without a ts; not archived")
        return channel, ts
    continue_in_thread(client, channel, ts, user, text)
    try:
        question = ingest.record_ask(
            deps, channel=channel, ts=ts, user=user, text=text, topic=topic, anonymous=anonymous
        )
    except Exception:
        # The question is in the channel already; losing its archive row beats losing it.
        log.exception("posted /ask question %s but could not archive it", ts)
        return channel, ts
    try:
        # The bot's own posts never reach the message listener, so "asked before" is asked here.
        reply_asked_before(deps, client, question)
    except Exception:
        log.exception("could not check /ask question %s against earlier answers", ts)
    return channel, ts


def continue_in_thread(client: WebClient, channel: str, ts: str, user: str, text: str) -> None:
    """The rest of a question too long for one post, in its thread; if Slack will not take
    it, the asker is told the channel shows it shortened (the archive keeps it whole)."""
    try:
        for reply in ask_continued(text):
            client.chat_postMessage(channel=channel, thread_ts=ts, unfurl_links=False, **reply)
    except SlackApiError as exc:
        log.warning(
            "could not post the rest of /ask question %s: %s", ts, exc.response.get("error")
        )
        try:
            shortened = {k: v for k, v in ask_shortened(channel).items() if k != "response_type"}
            client.chat_postEphemeral(channel=channel, user=user, **shortened)
        except SlackApiError:
            log.warning("could not tell %s their question %s was shortened", user, ts)


def question_topic(deps: Deps, text: str, chosen: Topic | None) -> Topic | None:
    """The topic an /ask question is posted and filed under: the member's choice when they
    picked one other than this week's (the form's default, which /ask with text takes too);
    else what the question is about, this week's topic unless another clearly fits better."""
    _, week = deps.this_week()
    in_week = week.topic.id if week.kind == "topic" and week.topic else None
    if chosen is not None and chosen.id != in_week:
        return chosen
    found = topic_match.file_under(deps.roadmap, plain(text), in_week)
    return deps.roadmap.topic(found) if found else None


def open_ask_modal(
    deps: Deps, client: WebClient, trigger_id: str, topic: Topic | None = None
) -> None:
    """The /ask form, its topic preset to `topic` or this week's (also for App Home)."""
    cal, week = deps.this_week()
    default = topic or cal.current_topic(week)
    view = ask_modal(deps.roadmap, cal.topics, default, deps.channel)
    client.views_open(trigger_id=trigger_id, view=view)
