"""Organizers' calendar changes: the week a skip, pause or resume is about, and recording one."""

from __future__ import annotations

import datetime as dt
import logging

from bot.core import calendar, ledger
from bot.core.calendar import Calendar, Change, Week
from bot.core.deps import Deps

log = logging.getLogger(__name__)


class Refused(Exception):
    """The change cannot apply to that week; the message says why, for the organizer."""


def first_open_week(deps: Deps, cal: Calendar, now: dt.datetime) -> dt.date:
    """The week organizer changes apply to by default: this week while its weekly post has not
    gone out (and is not yet due), else the next one."""
    schedule = deps.roadmap.schedule
    week = cal.week_of(calendar.local_today(schedule, now))
    due = calendar.due_at(schedule, "weekly", week)
    sent = ledger.sent_row(deps.db, "weekly", week.key)
    if sent is None and (due is None or now < due):
        return week.start
    return week.start + dt.timedelta(weeks=1)


def target_week(deps: Deps, cal: Calendar, day: dt.date | None) -> tuple[dt.date, Week]:
    """The week holding `day` (else the first open week) that a skip, pause or resume is
    about: its start and the week. Raises Refused for a week that is over or before the start."""
    now = deps.now()
    # Calendar weeks start on the roadmap's start weekday.
    start = cal.week_of(day).start if day else first_open_week(deps, cal, now)
    today = calendar.local_today(deps.roadmap.schedule, now)
    if start < cal.week_of(today).start:
        raise Refused(f"The week of {start:%b %-d} is already over.")
    week = cal.week_of(start)
    if week.kind == "before":
        raise Refused(f"The group starts on {cal.start:%b %-d, %Y}; pick a week from then on.")
    return start, week


def record(deps: Deps, change: Change, user: str) -> Calendar:
    """Keep `change`, made by `user`; the calendar with it."""
    calendar.record_change(deps.db, change, by_user=user, now=deps.now())
    log.info("%s: %s from %s", user, change.kind, change.week_start)
    return deps.calendar()
