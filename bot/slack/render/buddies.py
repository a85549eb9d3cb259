"""/buddy's answers and the study buddies' DMs: the week's group DM, and "no partner this week"."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from bot.core import format as fmt
from bot.core.calendar import Week
from bot.slack.render import blocks as bk
from bot.slack.render.phrases import Message
from bot.slack.render.posts import slack_date

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
STOP_HINT = "`/buddy off` stops the pairing for you."


def _ephemeral(text: str) -> Message:
    return bk.message(bk.fallback(text), [bk.section(text)], response_type="ephemeral")


def mention(user: str) -> str:
    """`<@U…>` for a valid user id (the DM is to them), else the id shown as text."""
    return f"<@{user}>" if _USER_ID.match(user) else bk.escape(user)


def _names(users: Sequence[str]) -> str:
    shown = [mention(u) for u in users]
    return ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else "".join(shown)


def group_dm(group: Sequence[str], week: Week) -> Message:
    """The week's group DM: who, the week's topic, and its code exercise to do together."""
    topic = week.topic
    assert topic is not None
    who = _names(group)
    trio = " (a trio this week: the group had an odd number)" if len(group) > 2 else ""
    head = (
        f":handshake: *Study buddies for the week of {fmt.week_dates(week)}:* {who}{trio}.\n"
        f"This week's topic: *{fmt.title(topic.title)}*."
    )
    blocks = [bk.section(head)]
    if topic.exercise:
        blocks += bk.sections(f"*:computer: Do this exercise together*\n{fmt.safe(topic.exercise)}")
    elif topic.prompts:
        blocks += bk.sections(
            f"*:speech_balloon: Talk this through together*\n{fmt.safe(topic.prompts[0])}"
        )
    blocks.append(
        bk.context(
            "Find half an hour this week, compare your approaches, and bring what you found "
            f"to the weekly post's thread. {STOP_HINT}"
        )
    )
    text = f"Study buddies this week: {bk.fallback(who)}. Topic: {topic.title}."
    return bk.message(text, blocks)


def alone_dm(week: Week) -> Message:
    """The one member opted in this week: no partner, and what changes that."""
    text = (
        f":wave: You're the only one signed up for study buddies for the week of "
        f"{fmt.week_dates(week)}, so there's no partner for you this time. Invite someone to "
        f"`/buddy on`: once there are two of you, I pair you with the next weekly post. "
        f"{STOP_HINT}"
    )
    return bk.message(bk.fallback(text), [bk.section(text)])


def joined(again: bool, paused: bool, next_at: dt.datetime | None, tz: dt.tzinfo) -> Message:
    """/buddy on: what happens now."""
    text = (
        ":handshake: You're already signed up for study buddies."
        if again
        else ":handshake: You're in! Each week when the weekly post goes out, I pair you with "
        "another member (a trio when we are an odd number) in a group DM, with the week's code "
        "exercise to do together. I pair people who haven't met first."
    )
    if paused:
        text += " Organizers have paused the pairing for now; it starts again when they resume it."
    elif next_at is not None:
        text += f" Next pairing: {slack_date(next_at, tz)}."
    return _ephemeral(text + f" {STOP_HINT}")


def left(was_in: bool) -> Message:
    """/buddy off."""
    if not was_in:
        return _ephemeral("You weren't signed up for study buddies. `/buddy on` signs you up.")
    return _ephemeral("You're out of the study-buddy pairing. `/buddy on` brings you back.")


def status(
    signed_up: bool,
    paused: bool,
    buddies: Sequence[str],
    count: int,
    next_at: dt.datetime | None,
    tz: dt.tzinfo,
) -> Message:
    """/buddy: whether you're in, this week's buddies, the next pairing."""
    if not signed_up:
        text = (
            "You're not signed up for study buddies. `/buddy on`: each week I pair you with "
            "another member to work through the week's code exercise together."
        )
    else:
        text = "You're signed up for study buddies"
        text += f" (with {count - 1} other{'s' if count != 2 else ''})." if count > 1 else "."
        if buddies:
            text += f" This week: {_names(buddies)}."
        if paused:
            text += " Organizers have paused the pairing for now."
        elif next_at is not None:
            text += f" Next pairing: {slack_date(next_at, tz)}."
        text += f" {STOP_HINT}"
    return _ephemeral(text)


def paused_reply(pause: bool, changed: bool, next_at: dt.datetime | None, tz: dt.tzinfo) -> str:
    """/studygroup buddies pause|resume, for the organizer."""
    if pause:
        return (
            ":double_vertical_bar: Study-buddy pairing is paused: no new pairs until "
            "`/studygroup buddies resume`."
            if changed
            else "Study-buddy pairing was already paused (`/studygroup buddies resume`)."
        )
    text = (
        ":arrow_forward: Study-buddy pairing is back on."
        if changed
        else "Study-buddy pairing wasn't paused."
    )
    if next_at is not None:
        text += f" Next pairing: {slack_date(next_at, tz)}."
    return text
