"""The daily review DM: at each member's chosen local time, once a day, only when cards are due.

Each member's day is claimed in `review_dms` before the DM is sent (bot.core.review), so a DM
goes at most once per member and local day, across restarts and processes; a day with nothing
due is claimed too ("nothing-due"), and no DM follows later that day.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core import review
from bot.core.deps import Deps
from bot.slack.render.review import reminder_dm

log = logging.getLogger(__name__)

# A DM whose time passed while the bot was down still goes within this long; later, that
# day's is dropped (a reminder at 8 in the evening for 8 in the morning is noise).
GRACE = dt.timedelta(hours=3)


def next_at(deps: Deps, now: dt.datetime) -> dt.datetime | None:
    """When send_due has something to do next (None: no member wants a DM)."""
    return review.next_reminder_at(deps.db, now, GRACE)


def send_due(deps: Deps, client: Any) -> list[str]:
    """Send the review DMs due now; the members DMed."""
    now = deps.now()
    cal, week = deps.this_week()
    sent = []
    for reminder in review.reminders_due(deps.db, now, GRACE):
        _, due = review.member_cards(deps.db, reminder.user, deps.roadmap.topics, cal, week, now)
        status = "sent" if due else "nothing-due"
        if not review.claim_reminder(deps.db, reminder, now, status) or not due:
            continue
        try:
            client.chat_postMessage(channel=reminder.user, **reminder_dm(len(due)))
            sent.append(reminder.user)
        except SlackApiError as exc:  # claimed already: at most once, so not retried
            log.warning("review DM to %s failed: %s", reminder.user, exc.response.get("error"))
    return sent
