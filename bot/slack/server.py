"""HTTP mode: Slack's endpoint (POST /slack/events), /healthz and /readyz, on uvicorn.

uvicorn parses HTTP in C (httptools) on one event loop (uvloop); each Slack request is
dispatched to Bolt on a thread of its own pool, so a slow one (the database busy) holds up no
other, and idle or half-sent connections cost a socket, never a thread (bot/slack/idle_close.py
closes them). waitress, before, spent more CPU in its pure-Python I/O loop than Bolt did on an
ingested event (BENCHMARKS.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import uvicorn
from slack_bolt import App, BoltRequest, BoltResponse

from bot.core import health
from bot.slack.courtesy import Courtesy
from bot.slack.idle_close import CONNECTIONS, IDLE_SECONDS, ClosingIdle

if TYPE_CHECKING:  # loaded by install(), not before /healthz answers
    from bot.slack.message_path import MessagePath

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000  # Slack payloads are far smaller; refuse anything bigger
THREADS = 16  # threads dispatching requests to Bolt
MAX_CONNECTIONS = 1000  # open connections before new requests are answered 503
STOP_WAIT = 10.0  # seconds stop() waits for requests still being dispatched
__all__ = ["EVENTS_PATH", "IDLE_SECONDS", "HttpServer", "InFlight", "asgi_app", "make_server"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class InFlight:
    """The requests the application is answering, so that stop() waits for exactly those
    (uvicorn's own shutdown polls every 0.1 s, twice); once closing, new ones are refused."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0
        self._closing = False

    def enter(self) -> bool:
        """Count a request in; False once closing (it is answered 503, Bolt never sees it)."""
        with self._changed:
            if self._closing:
                return False
            self._count += 1
            return True

    def leave(self) -> None:
        with self._changed:
            self._count -= 1
            if self._count == 0:
                self._changed.notify_all()

    def close(self, timeout: float) -> bool:
        """Refuse new requests and wait (bounded) for the running ones; True when none is left."""
        with self._changed:
            self._closing = True
            return self._changed.wait_for(lambda: self._count == 0, timeout)


class Refused(Exception):
    """A request answered with a 4xx before it reaches Bolt."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


async def _answer(
    send: Send, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def asgi_app(
    app: App,
    pool: ThreadPoolExecutor,
    ready: Callable[[], str | None] | None = None,
    in_flight: InFlight | None = None,
) -> ASGIApp:
    """The ASGI application: Slack's endpoint, liveness (/healthz: the process answers),
    readiness (/readyz: `ready()` names no problem), and 4xx for everything else; requests
    are dispatched to Bolt on `pool`, and counted in `in_flight`."""
    counted = in_flight or InFlight()
    # Replies nobody waits on wait for a lull in Slack's requests.
    courtesy: Courtesy | None = getattr(app, "courtesy", None)

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if not counted.enter():  # stopping: Slack re-delivers events refused with a 5xx
            return await _answer(send, 503, b"shutting down\n")
        # Slack's requests only: a platform's health probes are no burst.
        slack = courtesy if scope.get("path") == EVENTS_PATH else None
        if slack is not None:
            slack.started()
        try:
            await _application(scope, receive, send)
        finally:
            counted.leave()
            if slack is not None:
                slack.finished()

    async def _application(scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope.get("path", ""), scope.get("method", "GET")
        loop = asyncio.get_running_loop()
        if path in ("/healthz", "/readyz"):
            if method not in ("GET", "HEAD"):
                return await _answer(send, 405, b"use GET\n")
            # Liveness stays cheap: a failing one makes a platform restart the bot in a loop.
            problem = (
                await loop.run_in_executor(pool, ready)
                if ready is not None and path == "/readyz"
                else None
            )
            said = {"ok": False, "reason": problem} if problem else {"ok": True}
            return await _answer(
                send, 503 if problem else 200, json.dumps(said).encode(), "application/json"
            )
        if path != EVENTS_PATH:
            return await _answer(send, 404, b"not found\n")
        if method != "POST":
            return await _answer(send, 405, b"use POST\n")
        try:
            body, headers = await _read(scope, receive)
        except Refused as refused:
            return await _answer(send, refused.status, refused.text.encode())
        # Members' messages skip Bolt's dispatch (bot/slack/message_path.py) once the app is
        # installed (before, they wait at Bolt's gate); the benchmark's bare app has no such path.
        quick: MessagePath | None = getattr(app, "message_path", None)
        message = quick.take(body, headers) if quick is not None else None
        if isinstance(message, int):
            return await _answer(send, message, b"")
        if message is not None and quick is not None:
            # One connection open: no other request can come while this one is recorded.
            alone = len(scope.get("extensions", {}).get(CONNECTIONS, ())) == 1
            return await _answer(send, await quick.answer(message, alone=alone), b"")
        query = scope.get("query_string", b"").decode("latin-1")

        def dispatch() -> BoltResponse:
            # Parsing the body (in BoltRequest) is work too: off the event loop.
            return app.dispatch(BoltRequest(body=body, query=query, headers=headers))

        try:
            response = await loop.run_in_executor(pool, dispatch)
        except Exception as exc:  # a body Bolt cannot parse is the caller's problem, not a 500
            log.warning("refused a malformed request: %s", exc.__class__.__name__)
            return await _answer(send, 400, b"malformed request\n")
        await _send_bolt(send, response)

    return application


async def _read(scope: Scope, receive: Receive) -> tuple[str, dict[str, str | Sequence[str]]]:
    """The request's body and headers as Bolt takes them, read whole (chunked or not) up to
    MAX_BODY_BYTES."""
    found: dict[str, list[str]] = {}
    for name, value in scope.get("headers", ()):
        found.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    headers: dict[str, str | Sequence[str]] = dict(found)
    length = (found.get("content-length") or [""])[0]
    if length and not (length.isascii() and length.strip().isdigit()):
        raise Refused(400, "bad Content-Length\n")
    if length and int(length) > MAX_BODY_BYTES:
        raise Refused(413, "request too large\n")
    signature = found.get("x-slack-signature")
    if signature and not signature[0].isascii():
        # hmac cannot compare it (Bolt would answer 400 with a traceback): a forgery.
        log.warning("refused a request with a malformed X-Slack-Signature")
        raise Refused(401, "invalid request\n")
    stamp = found.get("x-slack-request-timestamp")
    if not _plausible_timestamp(stamp[0] if stamp else None):
        # Bolt would int() it and answer 500; a forged header is the caller's problem.
        log.warning("refused a request with a malformed X-Slack-Request-Timestamp")
        raise Refused(401, "invalid request\n")
    body, more = bytearray(), True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(400, "incomplete request\n")
        body += message.get("body", b"")
        more = bool(message.get("more_body"))
        if len(body) > MAX_BODY_BYTES:
            raise Refused(413, "request too large\n")
    try:
        return body.decode("utf-8"), headers
    except UnicodeDecodeError:
        raise Refused(400, "malformed request\n") from None


async def _send_bolt(send: Send, response: BoltResponse) -> None:
    body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, values in response.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _plausible_timestamp(value: str | None) -> bool:
    """Absent (Bolt refuses it as unsigned) or a plain number of seconds, as Slack sends."""
    return value is None or (value.isascii() and value.strip().isdigit() and len(value) < 16)


class HttpServer:
    """uvicorn serving the ASGI app from a thread of its own (signals stay with the caller)."""

    def __init__(
        self,
        application: ASGIApp,
        host: str,
        port: int,
        pool: ThreadPoolExecutor | None = None,
        in_flight: InFlight | None = None,
    ) -> None:
        self._pool = pool  # the threads dispatching to Bolt, waited for at stop()
        self._in_flight = in_flight  # the application's requests, waited for at stop()
        self._socket = socket.create_server((host, port), backlog=2048, reuse_port=False)
        config = uvicorn.Config(
            application,
            http=ClosingIdle,
            loop="auto",  # uvloop where it is installed (not on Windows)
            lifespan="off",
            interface="asgi3",
            timeout_keep_alive=IDLE_SECONDS,
            limit_concurrency=MAX_CONNECTIONS,
            timeout_graceful_shutdown=5,
            log_config=None,  # our logging stays as `studybot` set it up
            access_log=False,
            server_header=False,
            proxy_headers=False,
        )
        # Its start-up lines would repeat ours ("listening on port ..."); warnings still show.
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port listened on (the one the OS chose when asked for 0)."""
        return int(self._socket.getsockname()[1])

    def start(self) -> HttpServer:
        """Serve in a background thread; returns once it accepts connections."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="http", daemon=True
        )
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            self._thread.join(0.01)
        if not self._server.started:
            raise RuntimeError("the HTTP server did not start")
        return self

    def stop(self) -> None:
        """Stop listening, close idle connections, let running requests finish (bounded).

        With the application's requests counted (make_server), stop() waits for exactly
        those and returns: uvicorn closes the listener and the connections on its own thread
        moments later, refusing anything that comes meanwhile with a 503, and its polling (a
        tenth of a second, twice) no longer delays every stop. Without them, uvicorn is
        waited for. The threads dispatching to Bolt are waited for too (bounded): uvicorn
        cancels a request still running after its grace period, but its thread goes on, and
        the caller closes the database next (closing a connection in use crashes the
        interpreter)."""
        self._server.should_exit = True
        if self._in_flight is not None:
            if not self._in_flight.close(STOP_WAIT):
                log.warning("requests still running after %.0f s; stopping anyway", STOP_WAIT)
        elif self._thread is not None:
            self._thread.join(timeout=10)
            self._socket.close()
        if self._pool is not None:
            waiter = threading.Thread(
                target=self._pool.shutdown, kwargs={"wait": True}, daemon=True
            )
            waiter.start()
            waiter.join(STOP_WAIT)


def make_server(
    app: App, host: str, port: int, threads: int = THREADS, **kwargs: Any
) -> HttpServer:
    """Slack's endpoint, liveness and readiness (the app's database by default), served
    concurrently (see HttpServer)."""
    ready = kwargs.pop("ready", None) or _database_ready(app)
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")
    in_flight = InFlight()
    application = asgi_app(app, pool, ready=ready, in_flight=in_flight, **kwargs)
    return HttpServer(application, host, port, pool, in_flight)


def _database_ready(app: App) -> Callable[[], str | None] | None:
    deps = getattr(app, "deps", None)
    if deps is None:  # a bare Bolt app (the benchmark's baseline)
        return None
    return lambda: health.readiness_problem(deps.pool, deps.health)
