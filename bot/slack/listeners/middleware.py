"""Global middleware: hand listeners their dependencies, refuse replays, handle each event once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.core.deps import Deps
from bot.core.event_writer import EventWriter
from bot.slack.courtesy import Courtesy
from bot.slack.event_checks import Replays, is_redelivery, settle

log = logging.getLogger(__name__)


def replay_guard(replays: Replays) -> Callable[..., BoltResponse | None]:
    """A middleware refusing replays. (A plain function: Bolt passes middleware its arguments
    by name.)"""

    def refuse_replays(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        """Runs after Bolt verified the signature: the same signed request twice gets a 401,
        unless it is an event Slack re-delivers (once_per_event handles it once)."""
        signature = (req.headers.get("x-slack-signature") or [""])[0][:35]
        redelivery = req.body.get("type") == "event_callback" and is_redelivery(req.headers)
        # Socket Mode: no signature, nothing to replay.
        if signature and not replays.fresh(signature, redelivery=redelivery):
            return BoltResponse(status=401, body="")
        return next()

    return refuse_replays


def once_per_event(
    body: dict[str, Any], context: dict[str, Any], next: Callable[[], BoltResponse]
) -> BoltResponse | None:
    """Slack re-delivers events (X-Slack-Retry-Num); the first delivery wins, the rest get a 200.

    The event id is recorded in the same transaction as the archive's write (the writer's
    batch), before the ack, so a crash either loses both (Slack re-delivers) or keeps both
    (the retry is skipped)."""
    if body.get("type") == "app_rate_limited":
        # Slack is dropping this app's events for a minute: say so, and acknowledge.
        log.warning(
            "Slack rate-limited event delivery (minute %s)", body.get("minute_rate_limited")
        )
        return BoltResponse(status=200, body="")
    event = body.get("event")
    if body.get("type") == "event_callback" and not (
        isinstance(event, dict) and isinstance(event.get("type"), str) and event["type"]
    ):
        # No listener can take an event without a type; a 2xx stops Slack re-delivering it.
        log.warning("acknowledged an event without a type")
        return BoltResponse(status=200, body="")
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not isinstance(event_id, str) or not event_id or not isinstance(event, dict):
        return next()
    assert isinstance(event, dict)  # checked above for every event_callback
    deps: Deps = context["deps"]
    writer: EventWriter = context["writer"]
    outcome = writer.record(event_id, event)
    answer = settle(deps, event_id, outcome)
    if answer is not None:
        return BoltResponse(status=answer, body="")
    body["event"] = outcome.event  # as recorded (a lone surrogate replaced)
    context["recorded"] = list(outcome.recorded)  # what the archive did, for the listeners
    return next()


# Events the bot's own acts cause that still matter, as Bolt's self-event filter keeps them.
_NOT_SELF = frozenset({"member_joined_channel", "member_left_channel"})


def own_event(req: BoltRequest) -> bool:
    """An event the bot caused itself, which listeners never see (what Bolt's
    ignoring_self_events would drop), except the deletion of one of its messages: an /ask
    question it posted for a member, removed in the channel, leaves the archive too."""
    event = req.body.get("event")
    if not isinstance(event, dict) or event.get("type") in _NOT_SELF:
        return False
    if event.get("type") == "message" and event.get("subtype") == "message_deleted":
        return False
    auth = req.context.authorize_result
    if auth is None:
        return False
    user, bot_id = req.context.user_id, event.get("bot_id")
    return (user is not None and user == auth.bot_user_id) or (
        bot_id is not None and bot_id == auth.bot_id
    )


class Front(Middleware):
    """Every request's way in: hand listeners their dependencies, refuse replays, handle each
    event once. One class rather than three function middlewares: Bolt builds keyword
    arguments for every function middleware on every request, a third of its own overhead."""

    def __init__(
        self, deps: Deps, writer: EventWriter, replays: Replays, courtesy: Courtesy
    ) -> None:
        self.deps = deps
        self.writer = writer
        self.courtesy = courtesy
        self.refuse_replays = replay_guard(replays)

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        req.context["deps"] = self.deps
        req.context["writer"] = self.writer
        req.context["courtesy"] = self.courtesy
        if own_event(req):
            return BoltResponse(status=200, body="")
        return self.refuse_replays(req, lambda: once_per_event(req.body, req.context, next))
