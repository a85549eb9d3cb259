"""Organizers' calendar changes: the week a skip, pause or resume is about, recording one, the
start of a new round, and undoing the latest change."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

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


# --- the next round ------------------------------------------------------------------------


def round_start(deps: Deps, day: dt.date | None) -> dt.date:
    """The day a new round starts: `day`, else the next weekly post's weekday whose post time
    is still ahead. Raises Refused for a day in the past, a day that is not the weekly post's
    weekday (the nudge and recap would come before week 1's post), or a post time gone by."""
    schedule = deps.roadmap.schedule
    now = deps.now()
    today = calendar.local_today(schedule, now)
    weekday = schedule.weekly.weekday if schedule.weekly else schedule.start.weekday()
    first = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
    if _post_time_passed(deps, first):
        first += dt.timedelta(weeks=1)
    if day is None:
        return first
    name = f"{first:%A}s"
    if day < today:
        raise Refused(
            f"{day:%a %b %-d, %Y} is in the past; the next possible start is {_iso(first)}."
        )
    if day.weekday() != weekday:
        before = day - dt.timedelta(days=(day.weekday() - weekday) % 7)
        after = before + dt.timedelta(weeks=1)
        options = " or ".join(_iso(d) for d in (before, after) if d >= first)
        raise Refused(
            f"{day:%a %b %-d} is not a {first:%A}: the weekly post goes out on {name}, and a "
            f"round starts with it. Start on {options}."
        )
    if day < first:
        raise Refused(
            f"The weekly post time on {day:%a %b %-d} has passed; the next possible start is "
            f"{_iso(first)}."
        )
    return day


def _post_time_passed(deps: Deps, day: dt.date) -> bool:
    """The weekly post of a week starting on `day` is due already (or went out)."""
    schedule = deps.roadmap.schedule
    week = Week(1, day, "before")
    due = calendar.due_at(schedule, "weekly", week)
    return (due is not None and due <= deps.now()) or ledger.sent_row(
        deps.db, "weekly", week.key
    ) is not None


def _iso(day: dt.date) -> str:
    return f"{day:%a} {day.isoformat()}"


# --- undo ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undone:
    """An undo that was made: the change it reversed, and the calendar before and after."""

    stored: calendar.StoredChange
    before: Calendar
    after: Calendar


def undo_last(deps: Deps, user: str) -> Undone:
    """Reverse the latest calendar change that applies. Raises Refused when there is none, or
    when reversing it would rewrite a week whose weekly post has gone out (or is due)."""
    db = deps.db
    kept = calendar.stored_changes(db)
    if not kept:
        raise Refused("There is no calendar change to undo.")
    stored = kept[-1]
    before = deps.calendar()
    rest = [s.change for s in kept[:-1]]
    after = Calendar(before.topics, deps.roadmap.schedule.start, rest)
    now = deps.now()
    if stored.change.kind == "restart":
        if _post_time_passed(deps, before.start):
            raise Refused(
                f"The round that started on {before.start:%a %b %-d} is under way (its first "
                "weekly post is out), so it cannot be undone; `/studygroup restart` starts "
                "another one."
            )
    else:
        changed = first_difference(before, after)
        open_week = first_open_week(deps, before, now)
        if changed is not None and changed < open_week:
            raise Refused(
                f"Undoing it would change the week of {changed:%b %-d}, whose weekly post has "
                "already gone out."
            )
    if not calendar.mark_undone(db, stored.id, user, now):
        raise Refused("That change was undone a moment ago.")
    log.info("%s undid %s from %s", user, stored.change.kind, stored.change.week_start)
    return Undone(stored, before, deps.calendar())


def first_difference(one: Calendar, other: Calendar) -> dt.date | None:
    """The start of the first week on which two calendars of the same start differ (its
    kind or its topic), or None when they agree on every week."""
    if one.start != other.start:
        return min(one.start, other.start)
    weeks = max(len(one.weeks), len(other.weeks)) + 1
    for i in range(weeks):
        day = one.start + dt.timedelta(weeks=i)
        if _what(one.week_of(day)) != _what(other.week_of(day)):
            return day
    return None


def _what(week: Week) -> tuple[str, str | None, int]:
    return (week.kind, week.topic.id if week.topic else None, week.topic_week)
