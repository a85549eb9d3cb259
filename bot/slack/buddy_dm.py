"""The weekly study-buddy pairing: once per week, at the weekly post's time, a group DM per group.

The week is claimed with its groups (bot.core.buddies.pair_week) before any DM is sent, so it
is paired at most once, across restarts and processes; a DM that fails is logged and not sent
again. Members who opted out or are no longer in the study channel are not paired.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from bot.core import buddies, calendar
from bot.core.deps import Deps
from bot.slack import members
from bot.slack.render.buddies import alone_dm, group_dm

log = logging.getLogger(__name__)


def next_at(deps: Deps, now: dt.datetime) -> dt.datetime | None:
    """When send_due has something to do next (None: nobody opted in, paused, no channel)."""
    db = deps.db
    if not deps.channel or buddies.paused(db) or not buddies.members(db):
        return None
    schedule = deps.roadmap.schedule
    cal = deps.calendar()
    week = cal.week_of(calendar.local_today(schedule, now))
    span = buddies.window(schedule, week)
    if span and span[0] <= now < span[1] and not buddies.claimed(db, week.key):
        return now
    upcoming = calendar.next_due(schedule, cal, "weekly", now)
    return upcoming[1] if upcoming else None


def send_due(deps: Deps, client: Any) -> list[list[str]]:
    """Pair this week's members if it is time and not done yet; the groups DMed."""
    now = deps.now()
    db = deps.db
    if not deps.channel or buddies.paused(db):
        return []
    schedule = deps.roadmap.schedule
    week = deps.calendar().week_of(calendar.local_today(schedule, now))
    span = buddies.window(schedule, week)
    opted = buddies.members(db)
    if not span or not span[0] <= now < span[1] or buddies.claimed(db, week.key) or not opted:
        return []
    present = members.in_channel(deps, client)
    eligible = [u for u in opted if present is None or u in present]
    pairing = buddies.pair_week(db, week.key, eligible, now)
    if pairing is None:  # another process paired the week first
        return []
    sent = []
    for index, group in enumerate(pairing.groups):
        try:
            channel = client.conversations_open(users=",".join(group))["channel"]["id"]
            client.chat_postMessage(channel=channel, **group_dm(group, week))
        except Exception as exc:  # SlackApiError or the network; claimed: not sent again
            log.warning("buddy DM to %s failed: %s", ",".join(group), _why(exc))
            buddies.mark_group(db, week.key, index, "failed")
            continue
        buddies.mark_group(db, week.key, index, "sent")
        sent.append(group)
    if pairing.alone:
        try:
            client.chat_postMessage(channel=pairing.alone, **alone_dm(week))
        except Exception as exc:
            log.warning("buddy DM to %s failed: %s", pairing.alone, _why(exc))
    return sent


def _why(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("error")) if response is not None else exc.__class__.__name__
