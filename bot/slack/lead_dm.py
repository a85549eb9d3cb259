"""The discussion lead's reminder: a day before the weekly post, the week's prompts and last
week's open questions, in a DM.

Claimed per week and lead before it is sent (bot.core.lead.claim_reminder), so at most once,
across restarts and processes. A lead an organizer sets after that time gets theirs at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from bot.core import calendar, lead, ledger
from bot.core.calendar import Week
from bot.core.deps import Deps
from bot.core.post_plan import Context, WeeklyFacts, gather
from bot.slack import members
from bot.slack.render.lead import reminder_dm

log = logging.getLogger(__name__)


def _weeks(deps: Deps, now: dt.datetime) -> list[Week]:
    """This week and the next: the reminders that may be due now."""
    schedule = deps.roadmap.schedule
    cal = deps.calendar()
    today = calendar.local_today(schedule, now)
    weeks = [cal.week_of(today), cal.week_of(today + dt.timedelta(days=7))]
    return [w for i, w in enumerate(weeks) if w.kind == "topic" and w not in weeks[:i]]


def _due(deps: Deps, now: dt.datetime, people: set[str] | None) -> list[tuple[Week, str]]:
    """(week, lead) whose reminder time has come and that has not been claimed."""
    db = deps.db
    out = []
    for week in _weeks(deps, now):
        span = lead.window(deps.roadmap.schedule, week)
        if not span or not span[0] <= now < span[1]:
            continue
        user = lead.chosen(db, week.key)
        if user is None and ledger.sent_row(db, "weekly", week.key) is None:
            # A week whose post went out naming nobody gets no lead afterwards.
            user = lead.next_in_turn(db, week.key, people)
        if user and not lead.reminded(db, week.key, user):
            out.append((week, user))
    return out


def next_at(deps: Deps, now: dt.datetime) -> dt.datetime | None:
    """When send_due has something to do next (None: nobody volunteers, no channel)."""
    db = deps.db
    if not deps.channel or not lead.anyone(db):
        return None
    if _due(deps, now, lead.presumed_members(db, deps.channel)):
        return now
    schedule = deps.roadmap.schedule
    upcoming = calendar.next_due(schedule, deps.calendar(), "weekly", now + lead.AHEAD)
    return upcoming[1] - lead.AHEAD if upcoming else None


def send_due(deps: Deps, client: Any) -> list[str]:
    """Send the lead reminders due now; the leads DMed."""
    now = deps.now()
    db = deps.db
    if not deps.channel or not lead.anyone(db):
        return []
    if not _due(deps, now, lead.presumed_members(db, deps.channel)):
        return []
    members.in_channel(deps, client)  # read now (kept), or the last read when Slack can't say
    # What next_at reads, now up to date: so a reminder it finds due is sent now, or not due.
    people = lead.presumed_members(db, deps.channel)
    sent = []
    for week, turn in _due(deps, now, people):
        user = lead.chosen(db, week.key) or lead.lead_for(db, week.key, [turn], now)
        if user is None or not lead.claim_reminder(db, week.key, user, now):
            continue
        try:
            client.chat_postMessage(channel=user, **_message(deps, week, now))
        except Exception as exc:  # SlackApiError or the network; claimed: not sent again
            response = getattr(exc, "response", None)
            why = response.get("error") if response is not None else exc.__class__.__name__
            log.warning("lead reminder to %s failed: %s", user, why)
            lead.mark_reminder(db, week.key, user, "failed")
            continue
        sent.append(user)
    return sent


def _message(deps: Deps, week: Week, now: dt.datetime) -> dict[str, Any]:
    """The reminder, from what the week's weekly post will say (its open questions)."""
    roadmap = deps.roadmap
    ctx = Context(roadmap, deps.calendar(), week, deps.db, now, deps.channel or "")
    facts = gather("weekly", ctx)
    assert isinstance(facts, WeeklyFacts)
    post_at = calendar.due_at(roadmap.schedule, "weekly", week)
    return reminder_dm(week, post_at, roadmap.schedule.tz, facts.carried, facts.team)
