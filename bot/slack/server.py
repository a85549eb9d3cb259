"""HTTP mode: a WSGI front for Bolt (POST /slack/events, GET /healthz) on a threaded server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import wsgi
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000  # Slack payloads are far smaller; refuse anything bigger


def _reply(
    start_response: Callable[..., Any], status: str, body: bytes, content_type: str = "text/plain"
) -> list[bytes]:
    start_response(
        status,
        [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def wsgi_app(
    app: App, health: Callable[[], dict[str, Any]] | None = None
) -> Callable[..., Iterable[bytes]]:
    """The WSGI application: Slack's endpoint, a health check, and 4xx for everything else."""
    handler = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return _reply(start_response, "405 Method Not Allowed", b"use GET\n")
            payload = {"ok": True, **(health() if health else {})}
            return _reply(
                start_response, "200 OK", json.dumps(payload).encode(), "application/json"
            )
        if path != EVENTS_PATH:
            return _reply(start_response, "404 Not Found", b"not found\n")
        if method != "POST":
            return _reply(start_response, "405 Method Not Allowed", b"use POST\n")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reply(start_response, "400 Bad Request", b"bad Content-Length\n")
        if length > MAX_BODY_BYTES:
            return _reply(start_response, "413 Payload Too Large", b"request too large\n")
        if not _plausible_timestamp(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")):
            # Bolt would int() it and answer 500; a forged header is the caller's problem.
            log.warning("refused a request with a malformed X-Slack-Request-Timestamp")
            return _reply(start_response, "401 Unauthorized", b"invalid request\n")
        try:
            return handler(environ, start_response)
        except Exception as exc:  # a body Bolt cannot parse must be the caller's problem, not a 500
            log.warning("refused a malformed request: %s", exc.__class__.__name__)
            return _reply(start_response, "400 Bad Request", b"malformed request\n")

    return application


def _plausible_timestamp(value: str | None) -> bool:
    """Absent (Bolt refuses it as unsigned) or a plain number of seconds, as Slack sends."""
    return value is None or (value.isascii() and value.strip().isdigit() and len(value) < 16)


def make_server(app: App, host: str, port: int, threads: int = 16, **kwargs: Any) -> wsgi.Server:
    """A cheroot server (a thread pool, keep-alive): requests are served concurrently."""
    server = wsgi.Server(
        (host, port), wsgi_app(app, **kwargs), numthreads=threads, request_queue_size=128
    )
    server.timeout = 30
    # How often the accept loop looks up; it bounds how long stop() waits (0.5 s by default,
    # paid by every test's teardown and every restart).
    server.expiration_interval = 0.1
    return server
