"""The reading schedule as an iCalendar file: one event per week's topic, with stable UIDs."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import icalendar

from bot.core import format as fmt
from bot.core.calendar import Calendar, Week, due_at
from bot.core.roadmap import Resource, Roadmap

PRODID = "-//Study Companion//studybot//EN"
FILENAME = "study-schedule.ics"
ASK = "Questions? Ask in the week's thread in the study channel, or with /ask."


def group_key(roadmap: Roadmap, channel: str | None) -> str:
    """What the event UIDs are derived from: the study channel when there is one, else the
    roadmap's title. Both stay put while the schedule changes, so an updated file replaces
    the events a member imported instead of adding a second set."""
    basis = f"channel:{channel}" if channel else f"roadmap:{roadmap.title}"
    return hashlib.sha256(basis.encode()).hexdigest()[:12]


def event_uid(group: str, topic_id: str, part: int) -> str:
    """The UID of a topic's `part`-th week (1-based) for this group: the same in every export,
    whatever moved the week (a skip, an extension, a pause); an extension's extra week is a
    new part, so a new event."""
    return f"{topic_id}.{part}.{group}@studybot"


def schedule_ics(
    roadmap: Roadmap,
    calendar: Calendar,
    *,
    group: str,
    now: dt.datetime,
    name: str | None = None,
) -> bytes:
    """The calendar file: one event per week with a topic, from the weekly post's local time
    (in the roadmap's time zone, with its VTIMEZONE) to the end of that week; skipped and
    paused weeks have none. `now` stamps the events (a later stamp wins in members'
    calendars)."""
    schedule = roadmap.schedule
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name or roadmap.title)
    cal.add("x-wr-timezone", schedule.timezone)
    stamp = now.astimezone(dt.UTC)
    for week in calendar.weeks:
        if week.kind != "topic" or week.topic is None:
            continue
        start = due_at(schedule, "weekly", week)
        assert start is not None  # every roadmap has a weekly post
        end = dt.datetime.combine(week.end + dt.timedelta(days=1), dt.time(0), schedule.tz)
        chosen = week.topic.core  # the reading the group does together
        event = icalendar.Event()
        event.add("uid", event_uid(group, week.topic.id, week.topic_week))
        event.add("dtstamp", stamp)
        # Organizers' changes only add up: each one makes every event newer than before.
        event.add("sequence", len(calendar.changes))
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", summary(week, calendar.total_study_weeks))
        event.add("description", description(week, roadmap.stage_title(week.topic.stage), chosen))
        event.add("categories", [roadmap.stage_title(week.topic.stage)])
        event.add("transp", "TRANSPARENT")  # a week to read in, not a busy slot
        if chosen:
            event.add("url", chosen[0].url)
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def summary(week: Week, total_weeks: int) -> str:
    """`Week 3 of 20: Eigenvectors (part 1 of 2)`, as the weekly post's header says it."""
    assert week.topic is not None
    part = f" (part {week.topic_week} of {week.topic_weeks})" if week.topic_weeks > 1 else ""
    return f"Week {week.study_week} of {total_weeks}: {_line(week.topic.title)}{part}"


def description(week: Week, stage: str, reading: Sequence[Resource]) -> str:
    """The event's text: the topic's summary, key points, core reading with links, where to ask."""
    topic = week.topic
    assert topic is not None
    parts = [_line(stage)]
    if topic.summary.strip():
        parts.append(_line(topic.summary))
    if topic.key_points:
        parts.append("Key points:\n" + "\n".join(f"• {_line(p)}" for p in topic.key_points))
    if reading:
        parts.append("Core reading:\n" + "\n".join(_resource(r) for r in reading))
    parts.append(ASK)
    return "\n\n".join(parts)


def _resource(resource: Resource) -> str:
    facts = [
        "free" if resource.free else fmt.money(resource.cost_usd),
        _line(resource.section) if resource.section else None,
        fmt.hours(resource.hours) if resource.hours else None,
    ]
    about = " · ".join(f for f in facts if f)
    return f"• {_line(resource.title)} ({about})\n  {resource.url}"


def _line(text: str) -> str:
    return " ".join(text.split())
