"""Global middleware: hand listeners their dependencies; handle each Slack event once."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse

from bot.db import transaction
from bot.deps import Deps

log = logging.getLogger(__name__)

# Slack refuses timestamps older than five minutes; a signature seen within that window again
# is a replay (a captured request re-sent), so it is refused too.
REPLAY_WINDOW_SECONDS = 5 * 60
_seen_signatures: OrderedDict[str, float] = OrderedDict()  # signature prefix -> arrival
_seen_lock = threading.Lock()


def refuse_replays(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse | None:
    """Runs after Bolt verified the signature: the same signed request twice gets a 401."""
    signature = (req.headers.get("x-slack-signature") or [""])[0][:35]
    if not signature:  # Socket Mode: nothing to replay
        return next()
    now = time.monotonic()
    with _seen_lock:
        _forget_before(now - REPLAY_WINDOW_SECONDS)
        if signature in _seen_signatures:
            log.warning("refused a replayed request")
            return BoltResponse(status=401, body="")
        _seen_signatures[signature] = now
    return next()


def _forget_before(cutoff: float) -> None:
    """Drop signatures older than the window (kept in arrival order, so from the front)."""
    for signature, seen_at in list(_seen_signatures.items()):
        if seen_at >= cutoff:
            break
        del _seen_signatures[signature]


def once_per_event(
    body: dict[str, Any], context: dict[str, Any], next: Callable[[], BoltResponse]
) -> BoltResponse | None:
    """Slack re-delivers events (X-Slack-Retry-Num); the first delivery wins, the rest get a 200.

    The event id is recorded in the same transaction as the archive's write, before the ack,
    so a crash either loses both (Slack re-delivers) or keeps both (the retry is skipped)."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not isinstance(event_id, str) or not event_id:
        return next()
    deps: Deps = context["deps"]
    db = deps.db
    with transaction(db) as conn:
        fresh = conn.execute(
            "INSERT OR IGNORE INTO events_seen (event_id) VALUES (?)", (event_id,)
        ).rowcount
        if fresh:
            for record in context.get("recorders", ()):
                record(deps, body.get("event") or {})
    if not fresh:
        log.info("event %s already handled; acknowledging the re-delivery", event_id)
        return BoltResponse(status=200, body="")
    return next()
