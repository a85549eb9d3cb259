"""What both ways in for Slack's requests check and answer alike: replayed signatures refused,
and the status an event's recording outcome is answered with (Bolt's path,
bot/slack/listeners/middleware.py, and the short path for messages, bot/slack/message_path.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from bot.core.deps import Deps
from bot.core.event_writer import Outcome
from bot.core.health import RESTORE_HINT

log = logging.getLogger(__name__)

# Slack refuses timestamps older than five minutes; a signature seen within that window again
# is a replay (a captured request re-sent), so it is refused too.
REPLAY_WINDOW_SECONDS = 5 * 60


class Replays:
    """The signatures of the last five minutes; one per app (a process may host several),
    shared by both paths."""

    def __init__(self, window: float = REPLAY_WINDOW_SECONDS) -> None:
        self.window = window
        self.seen: OrderedDict[str, float] = OrderedDict()  # prefix -> arrival, oldest first
        self.lock = threading.Lock()

    def fresh(self, signature: str, *, redelivery: bool = False) -> bool:
        """False when this (verified) signature came within the window before: a replay.
        `redelivery`: an event Slack says it sends again (X-Slack-Retry-Num), which passes:
        its event id makes it a no-op (answered 200, handled once), and a re-delivery sent
        within the same second as the first carries the same signature."""
        now = time.monotonic()
        with self.lock:
            seen = self.seen
            while seen and _oldest(seen) < now - self.window:
                seen.popitem(last=False)  # O(1) each: a burst of requests stays cheap
            if signature in seen and not redelivery:
                log.warning("refused a replayed request")
                return False
            seen[signature] = now
            seen.move_to_end(signature)  # a re-delivery's: the oldest stay first
        return True


def is_redelivery(headers: Mapping[str, str | Sequence[str]]) -> bool:
    """Slack says it delivers this event again (X-Slack-Retry-Num; lower-case names)."""
    value = headers.get("x-slack-retry-num")
    first = value if isinstance(value, str) else (value[0] if value else "")
    return bool(first)


def _oldest(seen: OrderedDict[str, float]) -> float:
    return next(iter(seen.values()))


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
