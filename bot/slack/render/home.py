"""The App Home tab and the newcomer's welcome, drawn from `bot.core.home_data.HomeData`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core import format as fmt
from bot.core import progress
from bot.core.calendar import Calendar, Week
from bot.core.format import plural
from bot.core.home_data import HomeData, catch_up
from bot.core.questions import Question, question_link
from bot.core.roadmap import Roadmap
from bot.slack.render import blocks as bk
from bot.slack.render.ids import HOME_ADMIN, HOME_ASK, HOME_DONE, HOME_RESOURCES
from bot.slack.render.progress import standing_text


def _local(when: dt.datetime, roadmap: Roadmap) -> str:
    return f"{when.astimezone(roadmap.schedule.tz):%a %b %-d, %H:%M %Z}"


def _week_line(cal: Calendar, week: Week) -> str:
    return f"{week.start:%b %-d} – {week.end:%b %-d}"


def _question_line(question: Question, link: str | None) -> str:
    text = bk.truncate(bk.escape(question.text).replace("\n", " "), 200)
    when = f"{question.asked_at:%b %-d}"
    answers = plural(question.answer_count, "answer")
    return f"• {text}  _({when}, {answers})_" + (f" <{link}|open>" if link else "")


def this_week_blocks(data: HomeData) -> list[dict[str, Any]]:
    week, cal = data.week, data.calendar
    if week.kind == "topic" and week.topic:
        topic = week.topic
        lines = [
            f"*Week {week.study_week} of {cal.total_study_weeks}* · {_week_line(cal, week)}",
            bk.escape(topic.summary),
        ]
        if week.topic_weeks > 1:
            lines[0] += f" · part {week.topic_week} of {week.topic_weeks}"
        if data.thread_link:
            lines.append(f"<{data.thread_link}|Join this week's discussion thread>")
        out = [bk.header(f"This week: {topic.title}"), bk.section("\n".join(lines))]
        buttons = [
            bk.button("Resources", HOME_RESOURCES, topic.id),
            bk.button("Ask a question", HOME_ASK, topic.id),
        ]
        if topic.id not in data.done:
            buttons.insert(0, bk.button("Mark done ✓", HOME_DONE, topic.id, style="primary"))
        out.append(bk.actions(*buttons, block_id="home_week"))
        return out
    nxt = cal.next_topic_week(week)
    if week.kind == "before" and nxt and nxt.topic:
        text = f"The group starts on *{nxt.start:%A %b %-d}* with *{nxt.topic.title}*."
    elif week.kind in ("skip", "paused"):
        what = "a break week" if week.kind == "skip" else "paused"
        later = (
            f" Next up: *{nxt.topic.title}* from {nxt.start:%b %-d}." if nxt and nxt.topic else ""
        )
        text = f"The study group is {what} this week.{later}"
    else:
        text = "The roadmap is complete — congratulations! Review with `/roadmap` and `/qa`."
    return [bk.header("This week"), bk.section(text)]


def progress_blocks(data: HomeData) -> list[dict[str, Any]]:
    # The same standing as /progress: which topics, not how many (eight ticks ahead do not
    # make up for eight topics the group finished and the member did not).
    standing = progress.standing(data.calendar.topics, data.calendar, data.week, data.done)
    lines = [standing_text(standing, data.week)]
    missing = catch_up(data.roadmap, data.week.topic, data.done)
    if missing:
        lines.append(f"Next prerequisite to tick: *{missing[0].title}* (`{missing[0].id}`)")
    if data.review is not None:
        line = f":brain: {plural(data.review.due, 'card')} due for review (`/review`)"
        if data.review.streak:
            line += f" · :fire: streak: {plural(data.review.streak, 'day')} in a row"
        lines.append(line)
    return [bk.header("Your progress"), bk.section("\n".join(lines))]


def questions_blocks(
    title: str, questions: tuple[Question, ...], empty: str, team_url: str = fmt.SLACK_URL
) -> list[dict[str, Any]]:
    if not questions:
        return [bk.section(f"*{title}*\n{empty}")]
    lines = [_question_line(q, question_link(team_url, q)) for q in questions]
    return [bk.section(f"*{title}*"), *bk.sections("\n".join(lines))]


def _confirm(title: str, text: str, yes: str) -> dict[str, Any]:
    """A Block Kit confirmation dialog for a button (Slack asks before it sends the click)."""

    def plain_text(value: str, limit: int) -> dict[str, Any]:
        return {"type": "plain_text", "text": bk.truncate(value, limit), "emoji": True}

    return {
        "title": plain_text(title, 100),
        "text": plain_text(text, 300),
        "confirm": plain_text(yes, 30),
        "deny": plain_text("Cancel", 30),
    }


def organizer_blocks(data: HomeData) -> list[dict[str, Any]]:
    lines = []
    for row in data.ledger:
        mark = {"sent": "✅", "failed": "⚠️", "claimed": "⏳"}.get(row.status, "•")
        error = f" — {bk.escape(row.error)}" if row.status == "failed" and row.error else ""
        lines.append(f"{mark} {row.kind} · week of {row.week} · {row.status}{error}")
    paused = data.week.kind == "paused"
    extend = bk.button("Extend this topic", HOME_ADMIN + "extend", data.week.key)
    if data.week.topic is not None:
        # Every later week moves: one slip of the mouse should not do that.
        extend["confirm"] = _confirm(
            "Extend this topic?",
            f"Give {data.week.topic.title} one more week? Every topic after it moves a week "
            "later. (/studygroup undo reverses it.)",
            "Extend",
        )
    undo = bk.button("Undo last change", HOME_ADMIN + "undo", data.week.key)
    undo["confirm"] = _confirm(
        "Undo the latest change?",
        "Reverse the latest skip, extension, pause, resume or restart of the calendar?",
        "Undo it",
    )
    controls = [
        bk.button("Skip a week", HOME_ADMIN + "skip", data.week.key),
        extend,
        bk.button(
            "Resume" if paused else "Pause",
            HOME_ADMIN + ("resume" if paused else "pause"),
            data.week.key,
        ),
        undo,
    ]
    return [
        bk.divider(),
        bk.header("Organizer"),
        bk.section("*Recent posts*\n" + ("\n".join(lines) if lines else "No posts yet.")),
        bk.section(skipped_weeks_text(data)),
        bk.actions(*controls, block_id="home_admin"),
    ]


SKIPS_SHOWN = 8


def skipped_weeks_text(data: HomeData) -> str:
    """The break weeks (no posts) from last week on, the soonest first."""
    since = data.week.start - dt.timedelta(weeks=1)
    skips = [w for w in data.calendar.weeks if w.kind == "skip" and w.start >= since]
    if not skips:
        return "*Skipped weeks*\nNone ahead. `/studygroup skip [YYYY-MM-DD]` gives a break week."
    shown = ", ".join(f"{w.start:%b %-d}" for w in skips[:SKIPS_SHOWN])
    more = f" and {len(skips) - SKIPS_SHOWN} more" if len(skips) > SKIPS_SHOWN else ""
    return f"*Skipped weeks* (no posts)\nWeeks of {shown}{more}."


def home_view(data: HomeData) -> dict[str, Any]:
    """The Home tab (a `home` view), within 100 blocks however large the roadmap and archive."""
    items = [
        *([bk.context(data.notice)] if data.notice else []),
        *this_week_blocks(data),
        bk.divider(),
        *progress_blocks(data),
        bk.divider(),
        *questions_blocks(
            "Your open questions", data.mine, "None — ask with `/ask`.", data.team_url
        ),
        *questions_blocks(
            "Questions you could help with", data.to_help, "Nothing unanswered. 🎉", data.team_url
        ),
    ]
    if data.upcoming:
        when = [f"{kind} post: {_local(at, data.roadmap)}" for kind, at in data.upcoming]
        items.append(bk.context("Next: " + " · ".join(when)))
    if data.organizer:
        items += organizer_blocks(data)
    return {"type": "home", "blocks": bk.fit(items, bk.MAX_VIEW_BLOCKS)}


def welcome(data: HomeData) -> dict[str, Any]:
    """The private greeting for someone who joined the study channel."""
    week = data.week
    lines = [
        f"*Welcome to the {data.roadmap.title} study group!* 👋",
        "Every week the bot posts the topic with what to read; discuss and ask in its thread "
        "(or `/ask`, also anonymously). React ✅ to the answer that helped you.",
    ]
    if week.kind == "topic" and week.topic:
        lines.append(
            f"This week: *{week.topic.title}* (week {week.study_week} of {data.calendar.total_study_weeks}). Try `/nexttopic`."
        )
    missing = catch_up(data.roadmap, week.topic, data.done)
    if missing:
        path = " → ".join(f"{t.title} (`{t.id}`)" for t in missing[:8])
        lines.append(
            f"*To catch up*, these come before it: {path}. `/resources <topic>` shows what to read; `/progress done <topic>` ticks one off."
        )
    text = "\n".join(lines)
    return bk.message(bk.fallback(text.replace("*", "")), bk.sections(text))
