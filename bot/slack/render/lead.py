"""/lead's answers, the lead's reminder a day before, and /studygroup lead's reply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.core import format as fmt
from bot.core import questions
from bot.core.calendar import Week
from bot.core.format import plural
from bot.slack.render import blocks as bk
from bot.slack.render.buddies import mention
from bot.slack.render.phrases import Message
from bot.slack.render.posts import slack_date

MAX_LISTED = 10
STOP_HINT = "`/lead off` takes you out of the rotation."


def _ephemeral(text: str) -> Message:
    return bk.message(bk.fallback(text), [bk.section(text)], response_type="ephemeral")


def reminder_dm(
    week: Week,
    post_at: dt.datetime | None,
    tz: dt.tzinfo,
    carried: Sequence[questions.Question],
    team: str,
) -> Message:
    """The lead's DM a day before: their week, its prompts, last week's open questions."""
    topic = week.topic
    assert topic is not None
    when = f" goes out {slack_date(post_at, tz)} and" if post_at else ""
    head = (
        f":microphone: *You lead the discussion for the week of {fmt.week_dates(week)}:* "
        f"*{fmt.title(topic.title)}*. The weekly post{when} names you: open the discussion in "
        "its thread with one of the prompts, and keep it going through the week."
    )
    blocks = bk.sections(head)
    if topic.prompts:
        blocks += bk.sections(
            "*:speech_balloon: The week's prompts*\n"
            + "\n".join(f"• {fmt.safe(p)}" for p in topic.prompts)
        )
    if carried:
        lines = []
        for q in carried[:MAX_LISTED]:
            link = q.permalink or fmt.message_link(q.channel, q.ts, q.thread_ts, team)
            lines.append(f"• {bk.truncate(fmt.safe(q.text), 220)} <{link}|→ thread>")
        if len(carried) > MAX_LISTED:
            lines.append(f"…and {len(carried) - MAX_LISTED} more: `/qa unanswered`")
        blocks += bk.sections(
            ":hourglass: *Still open from last week*: worth picking up\n" + "\n".join(lines)
        )
    else:
        blocks += bk.sections(":white_check_mark: No open questions left from last week.")
    blocks.append(
        bk.context(f"Can't make it? Tell an organizer: they can swap the lead. {STOP_HINT}")
    )
    text = (
        f"You lead the discussion for the week of {fmt.week_dates(week)}: {topic.title}. "
        f"{plural(len(topic.prompts), 'prompt')}, {plural(len(carried), 'open question')}."
    )
    return bk.message(text, blocks)


def joined(again: bool, next_lead: str | None, user: str) -> Message:
    """/lead on."""
    text = (
        ":microphone: You're already in the discussion-lead rotation."
        if again
        else ":microphone: Thanks for volunteering! Leads take turns week by week; when it's "
        "yours, the weekly post names you and I DM you the prompts and last week's open "
        "questions the day before."
    )
    if next_lead == user:
        text += " You're up next."
    return _ephemeral(f"{text} {STOP_HINT}")


def left(was_in: bool) -> Message:
    """/lead off."""
    if not was_in:
        return _ephemeral("You weren't in the discussion-lead rotation. `/lead on` volunteers.")
    return _ephemeral("You're out of the discussion-lead rotation. `/lead on` brings you back.")


def status(volunteering: bool, count: int, this_week: str | None, upcoming: str | None) -> Message:
    """/lead: whether you volunteer, who leads this week and who is up next."""
    text = (
        f"You're in the discussion-lead rotation ({plural(count, 'volunteer')})."
        if volunteering
        else "You're not in the discussion-lead rotation. `/lead on` volunteers: leads take "
        "turns opening the week's discussion."
    )
    if this_week:
        text += f" This week's lead: {mention(this_week)}."
    if upcoming:
        text += f" Next up: {mention(upcoming)}."
    if volunteering:
        text += f" {STOP_HINT}"
    return _ephemeral(text)


def set_reply(user: str, before: str | None, week: Week) -> str:
    """/studygroup lead @member, for the organizer."""
    topic = f" (*{fmt.title(week.topic.title)}*)" if week.topic else ""
    text = f":microphone: {mention(user)} leads the week of {fmt.week_dates(week)}{topic}"
    if before and before != user:
        text += f", instead of {mention(before)}"
    text += ". I DM them the prompts and last week's open questions a day before the post"
    text += " (at once, if that time has passed)."
    return text
