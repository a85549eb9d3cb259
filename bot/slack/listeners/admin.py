"""/studygroup: the organizers' controls (status, skip, extend, pause, resume, undo, restart, post,
channel, vote, buddies pause|resume, lead @member)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.core import buddies, calendar, ledger, pace_vote
from bot.core import format as fmt
from bot.core import lead as leads
from bot.core.deps import Deps
from bot.core.format import plural
from bot.slack import workspace
from bot.slack.delivery import SlackPoster, deliver
from bot.slack.organizer_controls import (
    CONTROLS,
    Control,
    Message,
    Usage,
    change_words,
    no_posts_reason,
    say,
    week_name,
)
from bot.slack.organizers import is_organizer
from bot.slack.pace import vote_control
from bot.slack.render import blocks as bk
from bot.slack.render.posts import describe, slack_date
from bot.slack.render.usage import HELP_WORDS
from bot.slack.routes import Routes
from bot.slack.social_controls import buddies_control, lead_control

log = logging.getLogger(__name__)

COMMAND = "/studygroup"
USAGE: list[tuple[str, str]] = [
    ("status", "the calendar ahead, the recent posts and any failures"),
    ("skip [YYYY-MM-DD]", "skip a week (default: the next week whose post has not gone out)"),
    ("extend", "give the current topic one more week"),
    ("pause [YYYY-MM-DD]", "pause from that week (default: the next week not yet posted)"),
    ("resume [YYYY-MM-DD]", "resume from that week (default: the next week not yet posted)"),
    ("undo", "reverse the latest skip, extend, pause, resume or restart"),
    ("restart [YYYY-MM-DD]", "start the next round (default: the next weekly post's day)"),
    ("post weekly|nudge|recap [force]", "send this week's post now (`force`: again)"),
    ("channel [#channel]", "post in this channel, or the one named"),
    ("vote on|off", "members vote in the mid-week nudge on another week for the topic"),
    ("buddies pause|resume", "pause or resume the weekly study-buddy pairing"),
    ("lead @member", "that member leads the next week's discussion (set or swap the lead)"),
]
AHEAD = 8  # weeks shown by status
RECENT = 8  # ledger rows shown by status
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STATUS_ICON = {"sent": ":white_check_mark:", "failed": ":x:", "claimed": ":hourglass:"}
MEMBERS_NOTE = "These are the study group organizers' commands; only they can run them."
REFUSAL = (
    "Sorry, `/studygroup` is for the study group's organizers. If something needs changing, "
    "ask one of them or a workspace admin."
)


# One /studygroup at a time, each taking its turn before its ack: a command sent once Slack had
# the previous one's answer (`skip`, then `undo`) runs after it, even when the first one's
# organizer check (users.info) is the slower.
_TURN = threading.Lock()


def studygroup(
    ack: Ack, command: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    with _TURN:
        ack()  # checking the organizer may ask Slack (users.info): answer after the ack
        _studygroup(command, context, client, respond)


def _studygroup(
    command: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    deps: Deps = context["deps"]
    user = str(command.get("user_id") or "")
    words = str(command.get("text") or "").split()
    if words and words[0].lower() in HELP_WORDS:  # anyone may read how it is used
        respond(
            **bk.usage_card(
                COMMAND, USAGE, None if is_organizer(deps.settings, client, user) else MEMBERS_NOTE
            )
        )
        return
    if not is_organizer(deps.settings, client, user):
        respond(**bk.message(REFUSAL, [bk.section(REFUSAL)], response_type="ephemeral"))
        return
    action, args = (words[0].lower(), words[1:]) if words else ("status", [])
    handler = HANDLERS.get(action)
    if handler is None:
        respond(**bk.usage_card(COMMAND, USAGE, f"I don't know `{action}`."))
        return
    try:
        reply = handler(deps, client, user, args, command)
    except Usage as exc:
        reply = bk.usage_card(COMMAND, USAGE, str(exc))
    respond(**reply)


# --- the actions (the calendar changes are in bot.slack.organizer_controls) --------------


def post(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    kinds = [a.lower() for a in args]
    force = "force" in kinds or "--force" in kinds
    rest = [k for k in kinds if k not in ("force", "--force")]
    if len(rest) != 1 or rest[0] not in calendar.POST_KINDS:
        raise Usage("Say which post: `weekly`, `nudge` or `recap` (add `force` to send it again).")
    outcome = deliver(deps, SlackPoster(client), rest[0], force=force)
    icon = ":white_check_mark:" if outcome.ok else ":warning:"
    text = describe(
        outcome,
        force_hint=f"`/studygroup post {rest[0]} force`",
        after_failure="I retry this week's posts by myself; `/studygroup status` shows where "
        "they stand.",
    )
    if outcome.ts and outcome.channel:
        text = text.replace(
            f" in {outcome.channel} (ts {outcome.ts})",
            f" in <#{outcome.channel}> "
            f"(<{fmt.message_link(outcome.channel, outcome.ts, team=workspace.url(deps.db, client))}"
            "|open>)",
        )
    return say(f"{icon} {text}")


_CHANNEL_REF = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


def channel(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    if len(args) > 1:
        raise Usage("Name one channel, like `/studygroup channel #study-group`.")
    chosen: str | None
    if not args:
        chosen = str(command.get("channel_id") or "")
        if not _CHANNEL_ID.match(chosen):
            return say(
                "Run this in the channel you want, or name it: `/studygroup channel #study-group`."
            )
    else:
        chosen = _channel_id(client, args[0])
        if chosen is None:
            raise Usage(
                f"I couldn't find {bk.escape(args[0])}. Pick it from the autocomplete, or run "
                "`/studygroup channel` inside it."
            )
    deps.db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES ('channel', ?)", [chosen])
    hint = ""
    try:
        info = client.conversations_info(channel=chosen)["channel"]
        if not info.get("is_member", True):
            hint = " Invite me there (`/invite @Study Companion`) so I can read its questions."
    except Exception as exc:
        hint = f" (I could not look the channel up: {exc.__class__.__name__}.)"
    return say(f":round_pushpin: From now on the posts go to <#{chosen}>.{hint}")


def _channel_id(client: WebClient, ref: str) -> str | None:
    """`<#C123|name>`, `C123` or `#name` (looked up: the command does not escape channels)."""
    if match := _CHANNEL_REF.match(ref):
        return match.group(1)
    if _CHANNEL_ID.match(ref):
        return ref
    name = ref.lstrip("#").lower()
    if not re.fullmatch(r"[a-z0-9._-]{1,80}", name):
        return None
    cursor = None
    try:
        for _ in range(20):
            page = client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            for found in page.get("channels") or []:
                if found.get("name") == name:
                    return str(found["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except Exception as exc:
        log.warning("conversations.list failed: %s", exc.__class__.__name__)
    return None


# --- status ---------------------------------------------------------------------------------


def status(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    roadmap = deps.roadmap
    schedule = roadmap.schedule
    tz = schedule.tz
    now = deps.now()
    cal, week = deps.this_week()
    where = f"<#{deps.channel}>" if deps.channel else "_no channel set_ (`/studygroup channel`)"
    times = ", ".join(
        f"{kind} {_DAYS[t.weekday]} {t.time:%H:%M}"
        for kind in calendar.POST_KINDS
        if (t := calendar.post_time(schedule, kind)) is not None
    )
    out: list[bk.Block] = [
        bk.header(f"Study group: {roadmap.title}"),
        bk.section(
            f"*This week* ({fmt.week_dates(week)}): {week_name(week, cal)}\n"
            f"Posts go to {where}: {times} ({schedule.timezone})."
        ),
    ]
    if deps.roadmaps.last_error:
        out.append(
            bk.section(
                ":warning: The roadmap file has errors, so I'm using the last good version. "
                "Run `studybot roadmap check`."
            )
        )
    upcoming = ledger.upcoming(deps.db, schedule, cal, now)
    out += bk.sections(
        "*Next posts*\n"
        + (
            "\n".join(
                f"• {kind} for week {w.study_week}: {slack_date(at, tz)}"
                for kind, w, at in upcoming
            )
            or f"• none: {no_posts_reason(cal)}"
        )
    )
    ahead = [cal.week_of(week.start + dt.timedelta(weeks=i)) for i in range(AHEAD)]
    out += bk.sections("*Calendar ahead*\n" + "\n".join(_calendar_lines(ahead, cal)))
    last = calendar.latest_change(deps.db)
    if last is not None:
        who = f" by <@{last.by_user}>" if last.by_user else ""
        out.append(
            bk.context(
                f"Latest change: {change_words(last.change, roadmap)}{who}, "
                f"{last.created_at.astimezone(tz):%b %-d}. `/studygroup undo` reverses it."
            )
        )
    rows = ledger.recent(deps.db, RECENT)
    team = workspace.url(deps.db, client)  # the workspace's own links open in place
    out += bk.sections(
        "*Recent posts*\n" + ("\n".join(_ledger_line(r, tz, team) for r in rows) or "• none yet")
    )
    # Failures of the last few weeks: older weeks' posts are never sent late anyway.
    failed = ledger.failures(deps.db, (week.start - dt.timedelta(weeks=4)).isoformat())
    if failed:
        out += bk.sections(
            "*:warning: Posts that failed and have not gone out since*\n"
            + "\n".join(_ledger_line(r, tz, team) for r in failed[:RECENT])
            + "\nThe bot retries this week's posts by itself; `/studygroup post KIND` tries now."
        )
    if pace_vote.is_on(deps.db):
        out.append(
            bk.context(":ballot_box_with_check: The pace vote is on (`/studygroup vote off`).")
        )
    out += _social_lines(deps, week)
    out.append(bk.context("`/studygroup help` lists what you can change."))
    fallback = (
        f"Study group status: this week {bk.fallback(week_name(week, cal))}; "
        f"{plural(len(failed), 'failed post')}."
    )
    return bk.message(fallback, out, response_type="ephemeral")


def _social_lines(deps: Deps, week: calendar.Week) -> list[bk.Block]:
    """Study buddies and the discussion lead, when anyone takes part."""
    lines = []
    opted, paused = len(buddies.members(deps.db)), buddies.paused(deps.db)
    if opted or paused:
        state = " — *paused* (`/studygroup buddies resume`)" if paused else ""
        lines.append(f":handshake: Study buddies: {plural(opted, 'member')} opted in{state}.")
    volunteers, this_week = leads.volunteers(deps.db), leads.chosen(deps.db, week.key)
    if volunteers or this_week:
        who = f"<@{this_week}>" if this_week else "not chosen yet"
        lines.append(
            f":microphone: Discussion lead this week: {who} "
            f"({plural(len(volunteers), 'volunteer')}; `/studygroup lead @member` sets it)."
        )
    return [bk.context("\n".join(lines))] if lines else []


def _calendar_lines(weeks: list[calendar.Week], cal: calendar.Calendar) -> list[str]:
    """A line per topic week; a run of weeks with no topic (skipped, paused, before the start,
    after the end) in one line, and the end of the roadmap said once."""
    lines: list[str] = []
    run: list[calendar.Week] = []

    def close() -> None:
        if not run:
            return
        first, last = run[0], run[-1]
        if first.kind == "after" or (first.kind == "paused" and last is weeks[-1]):
            lines.append(f"• from {first.start:%b %-d} · {week_name(first, cal)}")
        elif len(run) == 1:
            lines.append(f"• {fmt.week_dates(first)} · {week_name(first, cal)}")
        else:
            dates = fmt.date_range(first.start, last.end)
            lines.append(f"• {dates} · {week_name(first, cal)} ({plural(len(run), 'week')})")
        run.clear()

    for w in weeks:
        if w.kind == "topic":
            close()
            lines.append(f"• {fmt.week_dates(w)} · {week_name(w, cal)}")
        else:
            if run and run[0].kind != w.kind:
                close()
            run.append(w)
    close()
    return lines


def _ledger_line(row: ledger.LedgerRow, tz: Any, team: str) -> str:
    when = dt.datetime.fromisoformat(row.sent_at or row.claimed_at).astimezone(tz)
    again = f" (again, #{row.attempt})" if row.attempt else ""
    head = f"• {STATUS_ICON.get(row.status, '')} {row.kind}{again} · week of {row.week}"
    if row.status == "sent" and row.ts:
        return (
            f"{head} · sent {when:%a %b %-d %H:%M} · "
            f"<{fmt.message_link(row.channel, row.ts, team=team)}|open>"
        )
    if row.status == "failed":
        tries = plural(row.tries, "try", "tries")
        return f"{head} · failed after {tries}: `{bk.escape(row.error or '?')}`"
    return f"{head} · being sent since {when:%a %b %-d %H:%M}"


HANDLERS: dict[str, Control] = {
    "status": status,
    **CONTROLS,
    "post": post,
    "channel": channel,
    "vote": vote_control,
    "buddies": buddies_control,
    "lead": lead_control,
}


def register(routes: Routes) -> None:
    """/studygroup (the Home tab's organizer controls are registered with the Home tab)."""
    routes.command(COMMAND, studygroup)
