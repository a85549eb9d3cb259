"""Who may run organizer commands: STUDYBOT_ADMINS, or workspace admins and owners (users.info)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.cache import Cache, time_window
from bot.core.settings import Settings

log = logging.getLogger(__name__)

TTL_SECONDS = 600
# Slack's answers, by workspace API, user and ten-minute window (bot.core.cache's rule): a role
# is asked again at least every ten minutes, and a failed lookup stores nothing.
_roles: Cache[bool] = Cache(4096)


def is_organizer(settings: Settings, client: WebClient, user_id: str) -> bool:
    """True for STUDYBOT_ADMINS and for workspace admins/owners, asked of Slack (never of the
    payload, which a crafted request could fill in) and remembered for up to ten minutes."""
    if not user_id:
        return False
    if settings.is_admin_id(user_id):
        return True
    key = (settings.api_url, user_id, time_window(TTL_SECONDS))
    try:
        return _roles.get(key, lambda: _ask_slack(client, user_id))
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return False
    except Exception as exc:  # network trouble: refuse, but do not remember the refusal
        log.warning("users.info failed for %s: %s", user_id, exc.__class__.__name__)
        return False


def _ask_slack(client: WebClient, user_id: str) -> bool:
    """Whether Slack says the user is a workspace admin or owner; raises when it cannot say."""
    user = client.users_info(user=user_id).get("user")
    if not isinstance(user, dict):  # an answer without the user: nothing says they are admin
        user = {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
