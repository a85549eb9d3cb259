"""Organizers' controls of the study buddies and the discussion lead, from /studygroup:
`buddies pause|resume` and `lead @member`."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import buddies, lead, ledger
from bot.core.calendar_changes import first_open_week
from bot.core.deps import Deps
from bot.slack import buddy_dm
from bot.slack.organizer_controls import Message, Usage, say
from bot.slack.render import blocks as bk
from bot.slack.render.buddies import paused_reply
from bot.slack.render.lead import set_reply

log = logging.getLogger(__name__)

_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
MAX_PAGES = 20


def buddies_control(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    """/studygroup buddies pause|resume."""
    verb = args[0].lower() if len(args) == 1 else ""
    if verb not in ("pause", "resume"):
        raise Usage("Say `/studygroup buddies pause` or `/studygroup buddies resume`.")
    changed = buddies.set_paused(deps.db, verb == "pause")
    nxt = None if verb == "pause" else buddy_dm.next_at(deps, deps.now())
    return say(paused_reply(verb == "pause", changed, nxt, deps.roadmap.schedule.tz))


def lead_control(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    """/studygroup lead @member: that member leads the first week whose post has not gone out."""
    if len(args) != 1:
        raise Usage("Name one member: `/studygroup lead @member`.")
    chosen = member_id(client, args[0])
    if chosen is None:
        raise Usage(
            f"I couldn't find the member {bk.escape(args[0])}. Pick them from the autocomplete "
            "after `@`."
        )
    cal = deps.calendar()
    now = deps.now()
    week = cal.week_of(first_open_week(deps, cal, now))
    if week.kind != "topic":
        upcoming = ledger.next_unsent(deps.db, deps.roadmap.schedule, cal, "weekly", now)
        if upcoming is None:
            return say("There is no week left on the roadmap to lead.")
        week = upcoming[0]
    before = lead.set_lead(deps.db, week.key, chosen, user, now)
    return say(set_reply(chosen, before, week))


def _a_person(client: WebClient, user_id: str) -> bool:
    """Whether users.info knows `user_id` as a person (not a bot, not deactivated), as the
    @name lookup requires; True when Slack cannot say (the organizer named them on purpose)."""
    try:
        person = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        return exc.response.get("error") != "user_not_found"
    except Exception as exc:  # network trouble: take the organizer's word for it
        log.warning("users.info failed: %s", exc.__class__.__name__)
        return True
    return _is_person(person)


def _is_person(user: dict[str, Any]) -> bool:
    """A Slack user who can lead: not a bot, not deactivated."""
    return not (user.get("deleted") or user.get("is_bot"))


def member_id(client: WebClient, ref: str) -> str | None:
    """`<@U123|name>`, `U123`, or `@name` (looked up in users.list: the command does not
    escape mentions) as a user id; None when nobody has that name, or it is a bot's or a
    deactivated account's."""
    if match := _MENTION.match(ref):
        return match.group(1) if _a_person(client, match.group(1)) else None
    if _USER_ID.match(ref):
        return ref if _a_person(client, ref) else None
    name = ref.lstrip("@").lower()
    if not name:
        return None
    cursor = None
    try:
        for _ in range(MAX_PAGES):
            page = client.users_list(limit=200, cursor=cursor)
            for person in page.get("members") or []:
                if not _is_person(person):
                    continue
                profile = person.get("profile") or {}
                names = {
                    str(person.get("name") or "").lower(),
                    str(profile.get("display_name") or "").lower(),
                    str(profile.get("real_name") or person.get("real_name") or "").lower(),
                }
                if name in names:
                    return str(person["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except Exception as exc:
        log.warning("users.list failed: %s", exc.__class__.__name__)
    return None
