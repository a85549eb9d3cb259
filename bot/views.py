"""Messages and views the commands answer with: pure functions from core values to Block Kit."""

from __future__ import annotations

from typing import Any

from bot import blocks as bk
from bot.calendar import Calendar, Week
from bot.roadmap import Roadmap


def _dates(week: Week) -> str:
    return f"{week.start:%b %-d} – {week.end:%b %-d}"


def next_topic(roadmap: Roadmap, cal: Calendar, week: Week) -> dict[str, Any]:
    """The answer to /nexttopic (the minimal first version)."""
    if week.kind == "topic" and week.topic:
        topic = week.topic
        title = f"Week {week.study_week} of {cal.total_study_weeks}: {topic.title}"
        body = [bk.header(title), bk.section(bk.escape(topic.summary)), bk.context(_dates(week))]
        return bk.message(title, body, response_type="ephemeral")
    first = cal.weeks[0].topic.title if cal.weeks and cal.weeks[0].topic else "the first topic"
    text = f"The study group starts on {cal.start:%A %b %-d, %Y} with {first}."
    return bk.message(text, [bk.section(text)], response_type="ephemeral")
