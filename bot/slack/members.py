"""Who is in the study channel (conversations.members, every page), kept for when Slack can't say."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core import channel_members
from bot.core.deps import Deps

log = logging.getLogger(__name__)

PAGE = 200
MAX_PAGES = 50  # 10,000 members: far beyond a study group


def in_channel(deps: Deps, client: Any) -> set[str] | None:
    """The study channel's members, read now and kept; when Slack cannot say, those last read
    (None: never read, or no channel set: then nobody can be left out)."""
    channel = deps.channel
    if not channel:
        return None
    found: list[str] = []
    cursor: str | None = None
    try:
        for _ in range(MAX_PAGES):
            page = client.conversations_members(channel=channel, limit=PAGE, cursor=cursor)
            listed = page.get("members")
            if not isinstance(listed, list):  # not an empty channel: Slack did not say
                log.warning(
                    "conversations.members answered without members; using the members last read"
                )
                return channel_members.known(deps.db, channel)
            found += [str(u) for u in listed]
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
    except SlackApiError as exc:
        log.warning(
            "conversations.members failed (%s); using the members last read",
            exc.response.get("error"),
        )
        return channel_members.known(deps.db, channel)
    except Exception as exc:  # the network
        log.warning(
            "conversations.members failed (%s); using the members last read",
            exc.__class__.__name__,
        )
        return channel_members.known(deps.db, channel)
    channel_members.remember(deps.db, channel, found, deps.now())
    return set(found)
