"""Buttons on the member commands' messages, and the /ask form's submission."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import format as fmt
from bot.core import progress as ticks
from bot.core.deps import Deps
from bot.core.post_plan import PostError
from bot.core.roadmap import Topic
from bot.core.text import from_plain
from bot.slack import workspace
from bot.slack.ask import post_question
from bot.slack.progress_changes import change_progress
from bot.slack.render import blocks as bk
from bot.slack.render.ask import ask_failed, ask_posted
from bot.slack.render.ids import (
    ASK_ANON,
    ASK_QUESTION,
    ASK_TOPIC,
    ASK_VIEW,
    DONE,
    RESOURCES,
    ROADMAP,
    SHARE,
    UNDO,
)
from bot.slack.render.notices import no_channel, notice
from bot.slack.render.resources import resources
from bot.slack.render.roadmap import RoadmapPage, roadmap
from bot.slack.render.topic import next_topic
from bot.slack.routes import Routes
from bot.slack.topic_cards import topic_card

log = logging.getLogger(__name__)


def _clicked(body: dict[str, Any]) -> tuple[str, str]:
    """(user id, the button's value)."""
    action = (body.get("actions") or [{}])[0]
    return str((body.get("user") or {}).get("id") or ""), str(action.get("value") or "")


def _domain(body: dict[str, Any]) -> str | None:
    return (body.get("team") or {}).get("domain") or None


def _topic(deps: Deps, topic_id: str, respond: Respond) -> Topic | None:
    topic = deps.roadmap.topic(topic_id)
    if topic is None:  # the roadmap changed since the message was sent
        respond(notice("That topic is no longer on the roadmap. `/roadmap` shows it now."))
    return topic


def _reply(respond: Respond, message: dict[str, Any], replace: bool = False) -> None:
    respond(dict(message, response_type="ephemeral", replace_original=replace))


def done(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Respond) -> None:
    ack()
    deps: Deps = context["deps"]
    user, topic_id = _clicked(body)
    topic = _topic(deps, topic_id, respond)
    if topic is not None and user:
        _reply(respond, change_progress(deps, user, topic, tick=True))


def undo(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Respond) -> None:
    ack()
    deps: Deps = context["deps"]
    user, topic_id = _clicked(body)
    topic = _topic(deps, topic_id, respond)
    if topic is not None and user:
        _reply(respond, change_progress(deps, user, topic, tick=False))


def show_resources(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Respond
) -> None:
    ack()
    deps: Deps = context["deps"]
    _, topic_id = _clicked(body)
    topic = _topic(deps, topic_id, respond)
    if topic is not None:
        _reply(respond, resources(deps.roadmap, topic))


def roadmap_page(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Respond) -> None:
    """Page arrows on /roadmap: the message is replaced by the page asked for."""
    ack()
    deps: Deps = context["deps"]
    user, value = _clicked(body)
    page = RoadmapPage.parse(value)
    road = deps.roadmap
    if page.stage is not None and page.stage not in {s.id for s in road.stages}:
        page = RoadmapPage(None, None)
    cal, week = deps.this_week()
    done_ids = ticks.done_topics(deps.db, user)
    _reply(respond, roadmap(road, cal, week, done_ids, page), replace=True)


def share(
    ack: Ack,
    body: dict[str, Any],
    context: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    """The one thing that posts publicly: the topic card, without anything personal."""
    ack()
    deps: Deps = context["deps"]
    user, topic_id = _clicked(body)
    topic = _topic(deps, topic_id, respond)
    if topic is None or not user:
        return
    channel = (
        (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or deps.channel
    )
    if not channel:
        _reply(respond, no_channel())
        return
    card = topic_card(deps, user, _domain(body), topic=topic, shared=True)
    try:
        client.chat_postMessage(channel=channel, unfurl_links=False, **next_topic(card))
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "error")
        log.warning("share to %s failed: %s", channel, error)
        _reply(respond, notice(f":warning: I could not post to <#{channel}> ({error})."))
        return
    _reply(respond, notice(f":mega: Shared *{bk.escape(topic.title)}* to <#{channel}>."))


def ask_submitted(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    context: dict[str, Any],
    client: WebClient,
) -> None:
    """The /ask form: post (anonymously if asked), archive, and tell the member privately."""
    values = (view.get("state") or {}).get("values") or {}
    question = (values.get(ASK_QUESTION, {}).get(ASK_QUESTION) or {}).get("value")
    question = (question or "").strip()
    if not question:
        ack(response_action="errors", errors={ASK_QUESTION: "Write your question first."})
        return
    deps: Deps = context["deps"]
    if not deps.channel:
        ack(response_action="errors", errors={ASK_QUESTION: "No study channel is set up."})
        return
    ack()
    user = str((body.get("user") or {}).get("id") or "")
    picked = (values.get(ASK_TOPIC, {}).get(ASK_TOPIC) or {}).get("selected_option")
    topic = deps.roadmap.topic(str(picked.get("value"))) if picked else None
    boxes = (values.get(ASK_ANON, {}).get(ASK_ANON) or {}).get("selected_options")
    anonymous = any(o.get("value") == "anonymous" for o in boxes or [])
    try:
        # A text input's value is plain text; the archive keeps Slack's wire format.
        channel, ts = post_question(
            deps, client, user=user, text=from_plain(question), topic=topic, anonymous=anonymous
        )
    except PostError as exc:
        error = exc.error
        log.warning("/ask form could not post: %s", error)
        _tell(client, deps.channel, user, ask_failed(deps.channel, error))
        return
    team = workspace.url(deps.db, client)  # after the ack: one host, auth.test's
    link = fmt.message_link(channel, ts, team=team) if ts else None
    _tell(client, channel, user, ask_posted(channel, link, anonymous))


def _tell(client: WebClient, channel: str | None, user: str, message: dict[str, Any]) -> None:
    """Only `user` sees it: ephemeral in the channel, else in their DM with the app."""
    message = {k: v for k, v in message.items() if k != "response_type"}
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, **message)
            return
    except SlackApiError as exc:  # e.g. not in the channel: fall back to the DM
        log.info("ephemeral to %s failed (%s); sending a DM", user, exc.response.get("error"))
    try:
        client.chat_postMessage(channel=user, **message)
    except SlackApiError as exc:
        log.warning("could not tell %s about their question: %s", user, exc.response.get("error"))


def register(routes: Routes) -> None:
    """The member messages' buttons (a family repeated in one message has ids "id:suffix")
    and the /ask form."""
    routes.action(re.compile(rf"^{DONE}(:\w+)?$"), done)
    routes.action(re.compile(rf"^{UNDO}(:\w+)?$"), undo)
    routes.action(re.compile(rf"^{RESOURCES}(:\w+)?$"), show_resources)
    routes.action(re.compile(rf"^{ROADMAP}(:\w+)?$"), roadmap_page)
    routes.action(SHARE, share)
    routes.view(ASK_VIEW, ask_submitted)
