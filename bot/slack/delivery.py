"""The Slack side of scheduled posts: send with retries, find the bot's own tagged posts, DM organizers."""

from __future__ import annotations

import http.client
import logging
import time
import urllib.error
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.posts import PostError, same_post

log = logging.getLogger(__name__)

# Waits between tries after a 5xx or a network error (the scheduler retries later on top).
BACKOFF: tuple[float, ...] = (0.5, 1.0, 2.0)
MAX_RATE_LIMITED = 5
# A Retry-After longer than this is not waited out in a worker thread: the post is recorded as
# failed and the scheduler's retry picks it up.
MAX_RETRY_AFTER = 60.0
# How far back to look for an earlier copy of a post (newest first, 200 messages a page).
HISTORY_PAGES = 5

_NETWORK_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException, ValueError)


class SlackPoster:
    """bot.posts.Poster over a slack_sdk WebClient."""

    def __init__(
        self,
        client: WebClient,
        *,
        backoff: Sequence[float] = BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.backoff = tuple(backoff)
        self.sleep = sleep
        self._bot_id: str | None = None

    def post(self, channel: str, message: dict[str, Any], metadata: dict[str, Any]) -> str:
        """Send; 429 waits for Retry-After, 5xx and network errors retry with backoff. Before a
        retry that follows an unclear failure (Slack may have posted it anyway), look first."""
        backoff = list(self.backoff)
        rate_limited = 0
        unclear = False
        joined = False
        last = "unknown_error"
        while True:
            if unclear and (ts := self.find(channel, metadata)):
                return ts
            try:
                response = self.client.chat_postMessage(
                    channel=channel,
                    text=message["text"],
                    blocks=message.get("blocks"),
                    metadata=metadata,
                    unfurl_links=False,
                    unfurl_media=False,
                )
                # A Slack that answers ok without a ts still took the post; there is no link.
                return str(response.get("ts") or "")
            except SlackApiError as exc:
                status = exc.response.status_code
                last = str(exc.response.get("error") or f"http_{status}")
                if status == 429 or last == "ratelimited":
                    rate_limited += 1
                    wait = _retry_after(exc.response.headers)
                    if rate_limited > MAX_RATE_LIMITED or wait > MAX_RETRY_AFTER:
                        raise PostError("ratelimited") from None
                    log.warning("chat.postMessage rate limited; waiting %.0f s", wait)
                    self.sleep(wait)
                    continue
                if status >= 500:
                    unclear = True
                elif last == "not_in_channel" and not joined:
                    joined = True
                    self._join(channel)
                    continue
                else:
                    raise PostError(last) from None
            except _NETWORK_ERRORS as exc:
                unclear = True
                last = f"network: {exc.__class__.__name__}"
            if not backoff:
                raise PostError(last)
            wait = backoff.pop(0)
            log.warning("chat.postMessage failed (%s); retrying in %.1f s", last, wait)
            self.sleep(wait)

    def find(self, channel: str, metadata: dict[str, Any]) -> str | None:
        """The ts of the bot's own message tagged with this metadata (conversations.history with
        include_all_metadata), newest first, a few pages back."""
        bot_id = self._own_bot_id()
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                page = self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200, cursor=cursor
                )
            except SlackApiError as exc:
                raise PostError(f"cannot read the channel: {exc.response.get('error')}") from None
            except _NETWORK_ERRORS as exc:
                raise PostError(f"cannot read the channel: {exc.__class__.__name__}") from None
            for message in page.get("messages") or []:
                if bot_id and message.get("bot_id") not in (None, bot_id):
                    continue
                if same_post(message.get("metadata"), metadata):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    def notify(self, users: Sequence[str], text: str) -> None:
        for user in users:
            try:
                self.client.chat_postMessage(channel=user, text=text)
            except Exception as exc:  # Slack may be the very thing that is down
                log.warning("could not tell %s: %s", user, exc.__class__.__name__)

    def _own_bot_id(self) -> str | None:
        if self._bot_id is None:
            try:
                self._bot_id = str(self.client.auth_test().get("bot_id") or "")
            except Exception:
                return None
        return self._bot_id or None

    def _join(self, channel: str) -> None:
        try:
            self.client.conversations_join(channel=channel)
        except Exception as exc:
            log.warning("could not join %s: %s", channel, exc.__class__.__name__)


def _retry_after(headers: Any) -> float:
    for key in ("Retry-After", "retry-after"):
        value = (headers or {}).get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            try:
                return max(float(value), 0.0)
            except ValueError:
                break
    return 1.0
