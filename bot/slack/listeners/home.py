"""The App Home tab and the newcomer's welcome."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.core import progress
from bot.core.db import transaction
from bot.core.deps import Deps
from bot.core.home_data import HomeData, gather, with_notice
from bot.slack import workspace
from bot.slack.ask import open_ask_modal
from bot.slack.organizer_controls import CONTROLS, Usage
from bot.slack.organizers import is_organizer
from bot.slack.render.home import home_view, welcome
from bot.slack.render.ids import HOME_ADMIN, HOME_ASK, HOME_DONE, HOME_RESOURCES
from bot.slack.render.resources import resources
from bot.slack.routes import Routes

log = logging.getLogger(__name__)


def _data(deps: Deps, client: WebClient, user: str, organizer: bool | None = None) -> HomeData:
    if organizer is None:
        organizer = is_organizer(deps.settings, client, user)
    return gather(
        deps.db,
        deps.roadmap,
        deps.calendar(),
        deps.now(),
        user,
        deps.channel,
        organizer,
        team_url=workspace.url(deps.db, client),
    )


def publish(deps: Deps, client: WebClient, user: str, notice: str | None = None) -> None:
    data = with_notice(_data(deps, client, user), notice)
    client.views_publish(user_id=user, view=home_view(data))


def home_opened(
    ack: Ack, event: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    """Built afresh on every open, so roadmap, calendar and archive changes always show."""
    ack()
    user = event.get("user")
    if event.get("tab", "home") != "home" or not isinstance(user, str) or not user:
        return
    publish(context["deps"], client, user)


def member_joined(
    ack: Ack, event: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    """Greet a newcomer to the study channel privately, once per member."""
    ack()
    deps: Deps = context["deps"]
    user, channel = event.get("user"), event.get("channel")
    if not isinstance(user, str) or not user or not channel or channel != deps.channel:
        return
    if user == context.get("bot_user_id"):  # the bot invited to the channel: Bolt keeps it
        return
    db = deps.db
    with transaction(db) as conn:
        fresh = conn.execute(
            "INSERT OR IGNORE INTO welcomed (user, welcomed_at) VALUES (?, ?)",
            (user, deps.now().isoformat()),
        ).rowcount
    if not fresh:
        return
    message = welcome(_data(deps, client, user, organizer=False))
    try:
        client.chat_postEphemeral(channel=channel, user=user, **message)
    except Exception:
        # The greeting is best-effort, but a member must not miss it for a hiccup: try again
        # on their next join.
        db.execute("DELETE FROM welcomed WHERE user = ?", (user,))
        raise


def _action(body: dict[str, Any]) -> tuple[str, str]:
    action = (body.get("actions") or [{}])[0]
    return str(body.get("user", {}).get("id", "")), str(action.get("value", ""))


def tick_topic(ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
    ack()
    deps: Deps = context["deps"]
    user, topic_id = _action(body)
    if user and deps.roadmap.topic(topic_id):
        progress.mark_done(deps.db, user, topic_id, deps.now())
        publish(deps, client, user)


def show_resources(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    ack()
    deps: Deps = context["deps"]
    _, topic_id = _action(body)
    topic = deps.roadmap.topic(topic_id)
    if topic is None or not body.get("trigger_id"):
        return
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Resources"},
        "close": {"type": "plain_text", "text": "Close"},
        # The same listing /resources gives (no filter, so no buttons that need a channel).
        "blocks": resources(deps.roadmap, topic)["blocks"],
    }
    client.views_open(trigger_id=body["trigger_id"], view=view)


def organizer_control(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    """Skip / extend / pause / resume from the Home tab: the same actions as /studygroup."""
    ack()
    deps: Deps = context["deps"]
    user, _ = _action(body)
    action_id = (body.get("actions") or [{}])[0].get("action_id", "")
    handler = CONTROLS.get(action_id.removeprefix(HOME_ADMIN))
    # Asked of Slack, never taken from the payload: a crafted payload cannot claim the role.
    if handler is None or not is_organizer(deps.settings, client, user):
        log.warning("refused organizer control %s from %s", action_id, user)
        return
    try:
        reply = handler(deps, client, user, [], {})
    except Usage as exc:
        reply = {"text": str(exc)}
    publish(deps, client, user, notice=reply.get("text"))


def ask(ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
    """ "Ask a question" on the Home tab opens the /ask form on this topic."""
    ack()
    deps: Deps = context["deps"]
    _, topic_id = _action(body)
    if body.get("trigger_id"):
        open_ask_modal(deps, client, body["trigger_id"], deps.roadmap.topic(topic_id))


def register(routes: Routes) -> None:
    """The Home tab, its buttons, and the newcomer's welcome."""
    routes.event("app_home_opened", home_opened)
    routes.event("member_joined_channel", member_joined)
    routes.action(HOME_DONE, tick_topic)
    routes.action(HOME_RESOURCES, show_resources)
    routes.action(HOME_ASK, ask)
    routes.action(re.compile(rf"^{HOME_ADMIN}({'|'.join(CONTROLS)})$"), organizer_control)
