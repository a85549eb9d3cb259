"""The workspace's own URL, for permalinks that open in place: asked of Slack once, then kept."""

from __future__ import annotations

import logging

import sqlite_utils
from slack_sdk import WebClient

from bot.core import format as fmt
from bot.core import meta

log = logging.getLogger(__name__)

KEY = meta.TEAM_URL


def url(
    db: sqlite_utils.Database, client: WebClient | None, *, keep: bool = True, quiet: bool = False
) -> str:
    """The workspace URL the bot learnt, else auth.test's (kept for next time and for offline
    exports, unless keep=False), else Slack's redirecting one. `quiet`: a failed auth.test is
    not logged (the caller's own request to Slack says it better)."""
    known = meta.get_meta(db, KEY)
    if known:
        return known
    if client is None:
        return fmt.SLACK_URL
    try:
        found = client.auth_test().get("url")
    except Exception as exc:  # links still work through slack.com
        log.log(
            logging.DEBUG if quiet else logging.WARNING,
            "auth.test failed (%s); links go through slack.com",
            exc.__class__.__name__,
        )
        return fmt.SLACK_URL
    if not isinstance(found, str) or not found.startswith("https://"):
        return fmt.SLACK_URL
    if keep:
        meta.set_meta(db, KEY, found)
    return found


def known(db: sqlite_utils.Database, team_domain: str | None) -> str:
    """Without asking Slack (for what answers before its ack): the workspace URL the bot
    learnt, else the one a payload's team domain names, else Slack's redirecting one."""
    return meta.get_meta(db, KEY) or fmt.team_url(team_domain)
