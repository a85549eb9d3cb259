"""The bare Bolt app's server in the benchmark: Bolt's WSGI adapter on waitress, as the bot
served itself until issue 18 (the baseline the ratios were measured against before)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import TcpWSGIServer, create_server

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000  # Slack payloads are far smaller; refuse anything bigger
THREADS = 16  # workers for requests already read whole
IDLE_SECONDS = 5  # a connection silent this long is closed (Slack gives up after 3 s)
MAX_CONNECTIONS = 1000  # open connections before the server stops accepting more


def _reply(
    start_response: Callable[..., Any], status: str, body: bytes, content_type: str = "text/plain"
) -> list[bytes]:
    start_response(
        status,
        [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def wsgi_app(
    app: App, ready: Callable[[], str | None] | None = None
) -> Callable[..., Iterable[bytes]]:
    """The WSGI application: Slack's endpoint, liveness (/healthz: the process answers),
    readiness (/readyz: `ready()` names no problem), and 4xx for everything else."""
    handler = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path in ("/healthz", "/readyz"):
            if method not in ("GET", "HEAD"):
                return _reply(start_response, "405 Method Not Allowed", b"use GET\n")
            # Liveness stays cheap: a failing one makes a platform restart the bot in a loop.
            problem = ready() if ready is not None and path == "/readyz" else None
            status = "503 Service Unavailable" if problem else "200 OK"
            payload = {"ok": False, "reason": problem} if problem else {"ok": True}
            return _reply(start_response, status, json.dumps(payload).encode(), "application/json")
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


class HttpServer:
    """waitress serving the WSGI app: one I/O thread reads each request whole before a worker
    thread gets it, so connections that send nothing (or half their headers) hold no worker;
    they are closed after IDLE_SECONDS. (cheroot gave each connection a worker: 16 idle
    sockets stalled every request for 30 s.)"""

    def __init__(
        self,
        application: Callable[..., Iterable[bytes]],
        host: str,
        port: int,
        threads: int = THREADS,
    ) -> None:
        server = create_server(
            application,
            host=host,
            port=port,
            threads=threads,
            channel_timeout=IDLE_SECONDS,
            cleanup_interval=1,  # how often idle connections are looked at
            connection_limit=MAX_CONNECTIONS,
            asyncore_use_poll=True,  # select() stops at 1,024 descriptors
            # How long stop() may wait. An int to waitress: the 0.1 this was turned into 0,
            # a poll that never waited, and the I/O thread spun a core for as long as the
            # server ran (the bare app's, between and during every run measured).
            asyncore_loop_timeout=1,
            max_request_body_size=MAX_BODY_BYTES,
            ident="studybot",
            clear_untrusted_proxy_headers=True,
        )
        # One address to listen on: waitress gives a single TCP server for it.
        assert isinstance(server, TcpWSGIServer)
        self._server = server
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port listened on (the one the OS chose when asked for 0)."""
        listening = self._server.socket
        assert listening is not None  # bound in the constructor
        return int(listening.getsockname()[1])

    def start(self) -> HttpServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening, close every connection, let running requests finish (bounded)."""
        self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=10)


def make_server(app: App, host: str, port: int, threads: int = THREADS) -> HttpServer:
    """Bolt's endpoint on waitress with the thread count the bot had."""
    return HttpServer(wsgi_app(app), host, port, threads)
