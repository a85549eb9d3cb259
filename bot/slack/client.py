"""The Web API client: SLACK_API_URL, and retries on 429 (Retry-After) and lost connections."""

from __future__ import annotations

import logging
import socket
import urllib.parse

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.core.settings import Settings

log = logging.getLogger(__name__)

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
# A command-line import (`studybot backfill`) holds no worker thread, and stopping means
# starting over: it waits out a Retry-After up to this long.
IMPORT_MAX_RETRY_AFTER_SECONDS = 15 * 60
# Slack's answers that say "not now" rather than "no": a command-line import tries again.
SERVER_ERRORS = frozenset({500, 502, 503, 504})


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
        method = _method(request)
        reason = getattr(error, "reason", None)
        again = method not in NOT_REPEATABLE or isinstance(
            reason, ConnectionRefusedError | socket.gaierror
        )
        if again:
            # slack_sdk's own line per attempt is quiet (bot/cli/logs.py); what is left after
            # the retries is raised, and its caller says it once.
            log.debug("%s: %s; trying again", method, reason or error)
        return again


class _ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Waits out a 429's Retry-After when it is short; otherwise the caller gets the 429."""

    max_wait = MAX_RETRY_AFTER_SECONDS

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
        try:
            wait = None if value is None else int(value) if isinstance(value, str) else -1
        except ValueError:
            return False  # unreadable: do not guess a wait
        if wait is not None and not 0 <= wait <= self.max_wait:
            return False
        log.info(
            "Slack rate-limited %s; waiting %s",
            _method(request),
            f"{wait} s" if wait is not None else "a moment",
        )
        return True


class _PatientRateLimitRetry(_ShortRateLimitRetry):
    """Waits out a 429's Retry-After up to a quarter of an hour (a command-line import)."""

    max_wait = IMPORT_MAX_RETRY_AFTER_SECONDS


class _ServerErrorRetry(ServerErrorRetryHandler):
    """Retries Slack's 5xx answers, with exponential backoff, for calls that change nothing."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code not in SERVER_ERRORS:
            return False
        if _method(request) in NOT_REPEATABLE:
            return False  # a 5xx may come after the post went out
        log.info("Slack answered %s to %s; trying again", response.status_code, _method(request))
        return True


def _method(request: HttpRequest) -> str:
    """The Web API method a request calls (chat.postMessage), from its URL."""
    return urllib.parse.urlsplit(request.url).path.rsplit("/", 1)[-1]


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """The Web API client: SLACK_API_URL, and retries on 429 (Retry-After) and lost connections."""
    client = WebClient(token=token or settings.bot_token, base_url=settings.api_url, timeout=10)
    client.retry_handlers = [
        _ShortRateLimitRetry(max_retry_count=5),
        _SafeConnectionRetry(max_retry_count=2),
    ]
    return client


def import_client(settings: Settings) -> WebClient:
    """The client of a command-line import (`studybot backfill`): as web_client(), and it also
    retries Slack's 5xx answers with backoff and waits out a Retry-After of up to 15 minutes."""
    client = web_client(settings)
    client.retry_handlers = [
        _PatientRateLimitRetry(max_retry_count=10),
        _ServerErrorRetry(
            max_retry_count=3,
            interval_calculator=BackoffRetryIntervalCalculator(backoff_factor=1.0),
        ),
        _SafeConnectionRetry(max_retry_count=2),
    ]
    return client
