"""The Web API client: SLACK_API_URL, and retries on 429 (Retry-After) and lost connections."""

from __future__ import annotations

import socket
import urllib.parse

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryState,
)

from bot.core.settings import Settings

# Calls that change something visible: when the connection breaks after the request went out,
# Slack may have done it, so a blind retry could do it twice (a question or weekly post shown
# twice). Those are retried only when the request never left; their callers decide the rest.
NOT_REPEATABLE = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "views.open",
        "views.push",
        "conversations.create",
        "files.upload",
        "files.completeUploadExternal",
    }
)
# A longer Retry-After is not slept through inside the client (it would hold a worker thread
# for minutes): the caller gets the 429 and decides.
MAX_RETRY_AFTER_SECONDS = 30


class _SafeConnectionRetry(ConnectionErrorRetryHandler):
    """Retries lost connections, but a call that changes something only if it never left."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        method = urllib.parse.urlsplit(request.url).path.rsplit("/", 1)[-1]
        if method not in NOT_REPEATABLE:
            return True
        reason = getattr(error, "reason", None)
        return isinstance(reason, ConnectionRefusedError | socket.gaierror)


class _ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Waits out a 429's Retry-After when it is short; otherwise the caller gets the 429."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or not super()._can_retry(
            state=state, request=request, response=response, error=error
        ):
            return False
        values = {k.lower(): v for k, v in (response.headers or {}).items()}.get("retry-after")
        value = values[0] if isinstance(values, list) and values else values
        if value is None:
            return True
        try:
            return isinstance(value, str) and 0 <= int(value) <= MAX_RETRY_AFTER_SECONDS
        except ValueError:
            return False  # unreadable: do not guess a wait


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """The Web API client: SLACK_API_URL, and retries on 429 (Retry-After) and lost connections."""
    client = WebClient(token=token or settings.bot_token, base_url=settings.api_url, timeout=10)
    client.retry_handlers = [
        _ShortRateLimitRetry(max_retry_count=5),
        _SafeConnectionRetry(max_retry_count=2),
    ]
    return client
