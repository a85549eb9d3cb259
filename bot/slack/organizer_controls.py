"""Organizers' calendar changes, from /studygroup and the Home tab: skip, extend, pause, resume,
undo the last one, restart (the next round)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.core import ledger
from bot.core.calendar import Calendar, Change, Week
from bot.core.calendar_changes import (
    Refused,
    first_open_week,
    record,
    round_start,
    target_week,
    undo_last,
)
from bot.core.deps import Deps
from bot.core.format import plural
from bot.core.roadmap import Roadmap
from bot.slack.render import blocks as bk
from bot.slack.render.posts import slack_date

Message = dict[str, Any]
# (deps, client, the organizer, the command's words after the action, the command payload)
Control = Callable[[Deps, WebClient, str, list[str], dict[str, Any]], Message]


class Usage(Exception):
    """Bad arguments: answered with the usage card and this problem."""


def say(text: str, *more: bk.Block) -> Message:
    """An ephemeral answer: `text` (mrkdwn), then any more blocks."""
    return bk.message(bk.fallback(text), [bk.section(text), *more], response_type="ephemeral")


def week_name(week: Week, cal: Calendar) -> str:
    """What is on `week`: its topic and study week, or the kind of break."""
    if week.kind == "topic" and week.topic:
        part = f", part {week.topic_week} of {week.topic_weeks}" if week.topic_weeks > 1 else ""
        return (
            f"week {week.study_week} of {cal.total_study_weeks}: "
            f"*{bk.escape(week.topic.title)}*{part}"
        )
    return {
        "skip": "_skipped_",
        "paused": "_paused_",
        "before": "_before the start_",
        "after": "_after the roadmap ends_",
    }[week.kind]


def parse_date(args: list[str]) -> dt.date | None:
    """The one date given (YYYY-MM-DD), or None for none; Usage for anything else."""
    if not args:
        return None
    if len(args) > 1:
        raise Usage("Give one date, like `2026-12-21`.")
    try:
        return dt.date.fromisoformat(args[0])
    except ValueError:
        raise Usage(f"`{bk.escape(args[0])}` is not a date; write it like `2026-12-21`.") from None


def _target(deps: Deps, cal: Calendar, args: list[str]) -> tuple[dt.date, Week]:
    """The week a skip/pause/resume is about, checked against the calendar."""
    try:
        return target_week(deps, cal, parse_date(args))
    except Refused as exc:
        raise Usage(str(exc)) from None


def _next_line(deps: Deps, cal: Calendar) -> str:
    """When the next weekly post goes out, and about which week."""
    upcoming = ledger.next_unsent(deps.db, deps.roadmap.schedule, cal, "weekly", deps.now())
    if upcoming is None:
        return f"No more weekly posts are scheduled: {no_posts_reason(cal)}."
    week, at = upcoming
    return f"Next weekly post: {week_name(week, cal)}, {slack_date(at, deps.roadmap.schedule.tz)}."


def no_posts_reason(cal: Calendar) -> str:
    """Why no post is to come: the group is paused, or the roadmap is done."""
    if cal.paused_from is not None:
        return (
            f"the group is paused from the week of {cal.paused_from:%b %-d}, with no posts "
            "until `/studygroup resume`"
        )
    return "the roadmap is done"


def skip(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    """Skip a week (default: the first open one); its topic moves on a week."""
    cal = deps.calendar()
    start, week = _target(deps, cal, args)
    if week.kind == "skip":
        return say(f"The week of {start:%b %-d} is already skipped.")
    if week.kind in ("paused", "after"):
        return say(
            f"There is nothing to skip in the week of {start:%b %-d}: it is {week_name(week, cal)}."
        )
    posted = ledger.sent_row(deps.db, "weekly", week.key)
    cal = record(deps, Change("skip", start), user)
    moved = (
        f" (its post already went out; *{bk.escape(week.topic.title)}* continues the week after)"
        if posted and week.topic
        else ""
    )
    return say(f":palm_tree: Skipped the week of {start:%b %-d}{moved}. {_next_line(deps, cal)}")


def extend(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    """Give this week's topic one more week."""
    if args:
        raise Usage("`extend` takes no arguments: it extends the topic on this week.")
    cal, week = deps.this_week()
    if week.kind != "topic" or week.topic is None:
        return say(f"There is no topic on this week to extend (it is {week_name(week, cal)}).")
    topic = week.topic
    cal = record(deps, Change("extend", week.start, topic.id), user)
    last = max((w for w in cal.weeks if w.topic and w.topic.id == topic.id), key=lambda w: w.index)
    return say(
        f":hourglass_flowing_sand: *{bk.escape(topic.title)}* gets one more week: it now runs "
        f"{plural(last.topic_weeks, 'week')}, until {last.end:%b %-d}. {_next_line(deps, cal)}"
    )


def pause(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    """Pause the group from a week (default: the first open one) until a resume."""
    cal = deps.calendar()
    start, week = _target(deps, cal, args)
    if week.kind == "paused":
        return say(f"The group is already paused in the week of {start:%b %-d}.")
    if week.kind == "after":
        return say("The roadmap is over by then; there is nothing to pause.")
    record(deps, Change("pause", start), user)
    return say(
        f":double_vertical_bar: Paused from the week of {start:%b %-d}: no posts until "
        "`/studygroup resume`. The topics wait where they are."
    )


def resume(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    """Resume a paused group from a week (default: the first open one)."""
    cal = deps.calendar()
    start, week = _target(deps, cal, args)
    if week.kind != "paused":
        return say(f"The group is not paused in the week of {start:%b %-d}; nothing to resume.")
    cal = record(deps, Change("resume", start), user)
    return say(f":arrow_forward: Resuming from the week of {start:%b %-d}. {_next_line(deps, cal)}")


def undo(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    """Reverse the latest calendar change (skip, extend, pause, resume or restart)."""
    if args:
        raise Usage("`undo` takes no arguments: it reverses the latest calendar change.")
    try:
        done = undo_last(deps, user)
    except Refused as exc:
        return say(str(exc))
    stored = done.stored
    who = "" if stored.by_user == user else f" by <@{stored.by_user}>" if stored.by_user else ""
    made = f" (made{who} {stored.created_at.astimezone(deps.roadmap.schedule.tz):%b %-d})"
    return say(
        f":leftwards_arrow_with_hook: Undid {change_words(stored.change, deps.roadmap)}{made}. "
        f"{_next_line(deps, done.after)}"
    )


def restart(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    """Start the next round: the calendar begins again from the first topic, on the given day
    or the next weekly post's day."""
    try:
        start = round_start(deps, parse_date(args))
    except Refused as exc:
        raise Usage(str(exc)) from None
    cal = deps.calendar()
    # The weeks of this round whose posts have not gone out are the ones it loses.
    still_open = first_open_week(deps, cal, deps.now())
    left = sum(1 for w in cal.weeks if w.kind == "topic" and w.start >= still_open)
    cal = record(deps, Change("restart", start), user)
    first = cal.weeks[0] if cal.weeks else None
    opening = f" with *{bk.escape(first.topic.title)}*" if first is not None and first.topic else ""
    cut = f" This round ends early, without its last {plural(left, 'study week')}." if left else ""
    return say(
        f":repeat: The next round starts on {start:%a %b %-d, %Y}{opening}, "
        f"{plural(cal.total_study_weeks, 'study week')} in all.{cut} Members keep their ticks. "
        "`/studygroup undo` takes it back until its first post goes out."
    )


def change_words(change: Change, roadmap: Roadmap) -> str:
    """A change in words: "the skip of the week of Mar 2"."""
    when = f"{change.week_start:%b %-d}"
    if change.kind == "extend":
        topic = roadmap.topic(change.topic_id or "")
        name = bk.escape(topic.title) if topic else f"`{bk.escape(change.topic_id or '?')}`"
        return f"the extra week for *{name}*"
    if change.kind == "restart":
        return f"the new round from {change.week_start:%a %b %-d}"
    return {
        "skip": f"the skip of the week of {when}",
        "pause": f"the pause from the week of {when}",
        "resume": f"the resume from the week of {when}",
    }[change.kind]


# By the word an organizer uses: /studygroup <word>, and the Home tab's HOME_ADMIN + <word>.
CONTROLS: dict[str, Control] = {
    "skip": skip,
    "extend": extend,
    "pause": pause,
    "resume": resume,
    "undo": undo,
    "restart": restart,
}
