"""Who may run organizer commands: STUDYBOT_ADMINS, or workspace admins and owners (users.info)."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.settings import Settings

log = logging.getLogger(__name__)

_TTL_SECONDS = 600
_cache: dict[tuple[str, str], tuple[float, bool]] = {}
_lock = threading.Lock()


def is_organizer(settings: Settings, client: WebClient, user_id: str) -> bool:
    """True for STUDYBOT_ADMINS and for workspace admins/owners, asked of Slack (never of the
    payload, which a crafted request could fill in) and remembered for ten minutes."""
    if not user_id:
        return False
    if settings.is_admin_id(user_id):
        return True
    key = (settings.api_url, user_id)
    with _lock:
        hit = _cache.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    try:
        user = client.users_info(user=user_id).get("user")
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return False
    except Exception as exc:  # network trouble: refuse, but do not remember the refusal
        log.warning("users.info failed for %s: %s", user_id, exc.__class__.__name__)
        return False
    if not isinstance(user, dict):  # an answer without the user: nothing says they are admin
        user = {}
    allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    with _lock:
        _cache[key] = (time.monotonic() + _TTL_SECONDS, allowed)
    return allowed
