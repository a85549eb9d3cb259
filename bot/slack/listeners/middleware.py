"""Global middleware: hand listeners their dependencies, refuse replays, handle each event once."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.core.deps import Deps
from bot.core.event_writer import EventWriter, Outcome
from bot.core.health import RESTORE_HINT

log = logging.getLogger(__name__)

# Slack refuses timestamps older than five minutes; a signature seen within that window again
# is a replay (a captured request re-sent), so it is refused too.
REPLAY_WINDOW_SECONDS = 5 * 60


class Replays:
    """The signatures of the last five minutes; one per app (a process may host several),
    shared by Bolt's path and the quick path for messages (bot/slack/message_path.py)."""

    def __init__(self, window: float = REPLAY_WINDOW_SECONDS) -> None:
        self.window = window
        self.seen: OrderedDict[str, float] = OrderedDict()  # prefix -> arrival, oldest first
        self.lock = threading.Lock()

    def fresh(self, signature: str) -> bool:
        """False when this (verified) signature came within the window before: a replay."""
        now = time.monotonic()
        with self.lock:
            seen = self.seen
            while seen and _oldest(seen) < now - self.window:
                seen.popitem(last=False)  # O(1) each: a burst of requests stays cheap
            if signature in seen:
                log.warning("refused a replayed request")
                return False
            seen[signature] = now
        return True


def replay_guard(replays: Replays) -> Callable[..., BoltResponse | None]:
    """A middleware refusing replays. (A plain function: Bolt passes middleware its arguments
    by name.)"""

    def refuse_replays(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        """Runs after Bolt verified the signature: the same signed request twice gets a 401."""
        signature = (req.headers.get("x-slack-signature") or [""])[0][:35]
        if signature and not replays.fresh(signature):  # Socket Mode: nothing to replay
            return BoltResponse(status=401, body="")
        return next()

    return refuse_replays


def _oldest(seen: OrderedDict[str, float]) -> float:
    return next(iter(seen.values()))


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


def settle(deps: Deps, event_id: str, outcome: Outcome) -> int | None:
    """The status to answer an event with at once (logged), or None when it was recorded and
    goes on to its listeners after the ack."""
    if outcome.kind == "recorded":
        return None
    if outcome.kind == "duplicate":
        log.info("event %s already handled; acknowledging the re-delivery", event_id)
        return 200
    if outcome.kind == "failed":
        # Nothing was kept, and a re-delivery would fail the same way, so acknowledge it
        # (the error is logged for the fix).
        log.error(
            "recording event %s failed; acknowledged without it", event_id, exc_info=outcome.error
        )
        return 200
    # Nothing was kept, so Slack must deliver it again (busy, full, read-only or damaged).
    exc = outcome.error
    if exc is not None and deps.health.saw(exc):
        log.error(
            "database damaged (%s): event %s not stored, answered 503 so Slack re-delivers; %s",
            exc,
            event_id,
            RESTORE_HINT,
        )
    else:
        log.error("could not record event %s (%s); Slack will re-deliver it", event_id, exc)
    return 503


class Front(Middleware):
    """Every request's way in: hand listeners their dependencies, refuse replays, handle each
    event once. One class rather than three function middlewares: Bolt builds keyword
    arguments for every function middleware on every request, a third of its own overhead."""

    def __init__(self, deps: Deps, writer: EventWriter, replays: Replays) -> None:
        self.deps = deps
        self.writer = writer
        self.refuse_replays = replay_guard(replays)

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        req.context["deps"] = self.deps
        req.context["writer"] = self.writer
        return self.refuse_replays(req, lambda: once_per_event(req.body, req.context, next))
