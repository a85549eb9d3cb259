"""Global middleware: hand listeners their dependencies, refuse replays, handle each event once."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.core.db import transaction
from bot.core.deps import Deps
from bot.core.health import RESTORE_HINT
from bot.slack.routes import Recorder

log = logging.getLogger(__name__)

# Slack refuses timestamps older than five minutes; a signature seen within that window again
# is a replay (a captured request re-sent), so it is refused too.
REPLAY_WINDOW_SECONDS = 5 * 60


def replay_guard(window: float = REPLAY_WINDOW_SECONDS) -> Callable[..., BoltResponse | None]:
    """A middleware remembering the signatures of the last five minutes; one per app, since a
    process may host several. (A plain function: Bolt passes middleware its arguments by name.)"""
    seen: OrderedDict[str, float] = OrderedDict()  # signature prefix -> arrival, oldest first
    lock = threading.Lock()

    def refuse_replays(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        """Runs after Bolt verified the signature: the same signed request twice gets a 401."""
        signature = (req.headers.get("x-slack-signature") or [""])[0][:35]
        if not signature:  # Socket Mode: nothing to replay
            return next()
        now = time.monotonic()
        with lock:
            while seen and _oldest(seen) < now - window:
                seen.popitem(last=False)  # O(1) each: a burst of requests stays cheap
            if signature in seen:
                log.warning("refused a replayed request")
                return BoltResponse(status=401, body="")
            seen[signature] = now
        return next()

    return refuse_replays


def _oldest(seen: OrderedDict[str, float]) -> float:
    return next(iter(seen.values()))


def once_per_event(
    body: dict[str, Any], context: dict[str, Any], next: Callable[[], BoltResponse]
) -> BoltResponse | None:
    """Slack re-delivers events (X-Slack-Retry-Num); the first delivery wins, the rest get a 200.

    The event id is recorded in the same transaction as the archive's write, before the ack,
    so a crash either loses both (Slack re-delivers) or keeps both (the retry is skipped)."""
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
    recorders = context.get("recorders", ())
    try:
        try:
            recorded = _record(deps, event_id, event, recorders)
        except UnicodeEncodeError:
            # A lone surrogate (JSON allows "\ud800"; SQLite cannot store it): keep the
            # message with the character replaced rather than drop it.
            event, event_id = _without_surrogates(event), _without_surrogates(event_id)
            body["event"] = event
            recorded = _record(deps, event_id, event, recorders)
    except sqlite3.DatabaseError as exc:
        # Nothing was kept, so Slack must deliver it again (busy, full, read-only or damaged).
        if deps.health.saw(exc):
            log.error(
                "database damaged (%s): event %s not stored, answered 503 so Slack re-delivers; %s",
                exc,
                event_id,
                RESTORE_HINT,
            )
        else:
            log.error("could not record event %s (%s); Slack will re-deliver it", event_id, exc)
        return BoltResponse(status=503, body="")
    except Exception:
        # A recorder failed on this payload: nothing was kept, and a re-delivery would fail
        # the same way, so acknowledge it (the error is logged for the fix).
        log.exception("recording event %s failed; acknowledged without it", event_id)
        return BoltResponse(status=200, body="")
    if recorded is None:
        log.info("event %s already handled; acknowledging the re-delivery", event_id)
        return BoltResponse(status=200, body="")
    context["recorded"] = recorded  # what the archive did, for the listeners after the ack
    return next()


def _without_surrogates(value: Any) -> Any:
    """`value` with every lone surrogate in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {k: _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value


def _record(
    deps: Deps, event_id: str, event: dict[str, Any], recorders: Iterable[Recorder]
) -> list[str | None] | None:
    """Mark the event seen and run the recorders, in one transaction: what each recorder
    did, or None if the event was seen before."""
    with transaction(deps.db) as conn:
        fresh = conn.execute(
            "INSERT OR IGNORE INTO events_seen (event_id) VALUES (?)", (event_id,)
        ).rowcount
        return [record(deps, event) for record in recorders] if fresh else None


class Front(Middleware):
    """Every request's way in: hand listeners their dependencies, refuse replays, handle each
    event once. One class rather than three function middlewares: Bolt builds keyword
    arguments for every function middleware on every request, a third of its own overhead."""

    def __init__(self, deps: Deps, recorders: Iterable[Recorder]) -> None:
        self.deps = deps
        self.recorders = tuple(recorders)
        self.refuse_replays = replay_guard()

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        req.context["deps"] = self.deps
        req.context["recorders"] = self.recorders
        return self.refuse_replays(req, lambda: once_per_event(req.body, req.context, next))
