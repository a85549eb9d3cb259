"""Global middleware: hand listeners their dependencies; handle each Slack event once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from bot.db import transaction
from bot.deps import Deps

log = logging.getLogger(__name__)


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
