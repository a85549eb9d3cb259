"""A stand-in for Slack's Socket Mode: a WebSocket server that sends envelopes and reads acks."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from bot.cli.signed import Reply, SignedClient
from bot.cli.standin import SlackStandIn
from bot.cli.waiting import wait_on

APP_ID = "A0STUDY01"
HOST = "applink-standin-1"
# Envelopes whose ack may carry an answer (accepts_response_payload), as Slack sends them: a
# slash command, a view submission and an options request may; an event or a click cannot.
ANSWERABLE = {"slash_commands", "view_submission", "block_suggestion"}


@dataclass
class Link:
    """One WebSocket connection the app opened."""

    number: int
    ticket: str
    opened: float = field(default_factory=time.time)
    closed: float | None = None
    close_code: int | None = None
    ws: ServerConnection | None = field(default=None, repr=False)

    @property
    def open(self) -> bool:
        return self.closed is None


@dataclass
class Ack:
    """A message the app sent back: `{"envelope_id": ..., "payload": {...}}`."""

    envelope_id: str | None
    payload: dict[str, Any] | None
    link: int
    at: float = field(default_factory=time.time)
    raw: dict[str, Any] = field(default_factory=dict)


class NotConnected(RuntimeError):
    """No app is connected to deliver an envelope to."""


class SocketModeStandIn:
    """`with SocketModeStandIn(slack) as sm:` — apps.connections.open on `slack` hands out this
    server's URLs; sm.send(...) delivers envelopes; sm.wait_ack(...) reads the app's answer."""

    def __init__(self, slack: SlackStandIn | None = None, app_id: str = APP_ID) -> None:
        self.app_id = app_id
        self.links: list[Link] = []
        self.sent: list[dict[str, Any]] = []  # every envelope and control message sent
        self.acks: list[Ack] = []
        self.changed = threading.Condition()
        self._tickets: set[str] = set()
        self._numbers = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._slack = slack
        if slack is not None:
            slack.socket_mode = self

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> SocketModeStandIn:
        ready = threading.Event()

        async def open_server() -> Server:
            return await serve(
                self._serve,
                "127.0.0.1",
                0,
                process_request=self._check_ticket,
                # Slack pings about every 30 s and closes a link that does not answer.
                ping_interval=30,
                ping_timeout=30,
                close_timeout=2,
            )

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._server = self._loop.run_until_complete(open_server())
            finally:
                ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="socket-mode-standin", daemon=True)
        self._thread.start()
        ready.wait(10)
        if self._server is None:
            raise RuntimeError("the Socket Mode stand-in did not start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            server = self._server

            async def close() -> None:
                server.close()
                await server.wait_closed()

            self._run(close(), timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        if not self._loop.is_running():
            self._loop.close()
        if self._slack is not None and self._slack.socket_mode is self:
            self._slack.socket_mode = None

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(next(iter(self._server.sockets)).getsockname()[1])

    def new_url(self) -> str:
        """A fresh single-use WebSocket URL, as apps.connections.open returns."""
        ticket = uuid.uuid4().hex
        with self.changed:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    # --- the server side -------------------------------------------------------------

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        """Slack's URLs work once: an unknown or used ticket is refused before the upgrade."""
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [""])[0]
        with self.changed:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                connection.ticket = ticket  # type: ignore[attr-defined]
                return None
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")

    async def _serve(self, ws: ServerConnection) -> None:
        link = Link(next(self._numbers), getattr(ws, "ticket", ""), ws=ws)
        hello = {
            "type": "hello",
            "num_connections": len(self.open_links()) + 1,
            "debug_info": {"host": HOST, "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        try:
            await ws.send(json.dumps(hello))
            # Only now is the link there for a test to send on: hello always comes first.
            with self.changed:
                self.links.append(link)
                self.sent.append(dict(hello, _link=link.number))
                self.changed.notify_all()
            async for message in ws:
                self._received(link, message)
        except ConnectionClosed:
            pass
        finally:
            with self.changed:
                link.closed = time.time()
                link.close_code = ws.close_code
                if link not in self.links:
                    self.links.append(link)
                self.changed.notify_all()

    def _received(self, link: Link, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            data = {"_unreadable": message if isinstance(message, str) else message.decode()}
        if not isinstance(data, dict):
            data = {"_unreadable": data}
        payload = data.get("payload")
        ack = Ack(
            data.get("envelope_id"),
            payload if isinstance(payload, dict) else None,
            link.number,
            raw=data,
        )
        with self.changed:
            self.acks.append(ack)
            self.changed.notify_all()

    def _run(self, coro: Any, timeout: float = 5.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # --- test controls ---------------------------------------------------------------

    def open_links(self) -> list[Link]:
        with self.changed:
            return [link for link in self.links if link.open]

    def wait_for_link(self, count: int = 1, timeout: float = 10.0) -> Link:
        """Wait until the app has opened `count` links in all (and the last is open)."""
        wait_on(
            self.changed,
            lambda: len(self.links) >= count and self.links[count - 1].open,
            timeout,
            lambda: (
                f"{len(self.links)} Socket Mode link(s) opened, expected {count}; "
                f"open now: {[link.number for link in self.links if link.open]}"
            ),
        )
        return self.links[count - 1]

    def wait_closed(self, link: Link, timeout: float = 10.0) -> None:
        deadline = time.time() + timeout
        with self.changed:
            while link.open:
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"link {link.number} still open after {timeout} s")
                self.changed.wait(left)

    def _link(self, link: Link | None) -> Link:
        if link is not None:
            return link
        opened = self.open_links()
        if not opened:
            raise NotConnected("no Socket Mode link is open")
        return opened[-1]  # the newest: the one an app keeps after a refresh

    def send_raw(self, message: dict[str, Any], link: Link | None = None) -> dict[str, Any]:
        """Send any JSON message on `link` (default: the newest open one)."""
        target = self._link(link)
        assert target.ws is not None
        ws = target.ws
        with self.changed:
            self.sent.append(dict(message, _link=target.number))
        try:
            self._run(ws.send(json.dumps(message)))
        except ConnectionClosed as exc:
            raise NotConnected(f"link {target.number} closed: {exc}") from None
        return message

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool | None = None,
        link: Link | None = None,
    ) -> dict[str, Any]:
        """Deliver one envelope ("slash_commands", "events_api", "interactive"); returns it."""
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": (
                (kind in ANSWERABLE or payload.get("type") in ANSWERABLE)
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        return self.send_raw(envelope, link)

    def resend(
        self, envelope: dict[str, Any], retry_reason: str = "timeout", link: Link | None = None
    ) -> dict[str, Any]:
        """Deliver `envelope` again, as Slack does when no ack came: retry_attempt goes up."""
        return self.send(
            envelope["type"],
            envelope["payload"],
            envelope_id=envelope["envelope_id"],
            retry_attempt=int(envelope.get("retry_attempt") or 0) + 1,
            retry_reason=retry_reason,
            accepts_response_payload=envelope.get("accepts_response_payload"),
            link=link,
        )

    def acks_for(self, envelope_id: str) -> list[Ack]:
        with self.changed:
            return [ack for ack in self.acks if ack.envelope_id == envelope_id]

    def wait_ack(self, envelope_id: str, count: int = 1, timeout: float = 3.0) -> Ack:
        """The app's `count`-th ack of `envelope_id`; Slack waits 3 s for it."""
        wait_on(
            self.changed,
            lambda: len(self.acks_for(envelope_id)) >= count,
            timeout,
            lambda: (
                f"envelope {envelope_id} acked {len(self.acks_for(envelope_id))} times "
                f"in {timeout} s, expected {count}"
            ),
        )
        return self.acks_for(envelope_id)[count - 1]

    def unacked(self) -> list[dict[str, Any]]:
        """Envelopes sent and never acknowledged (what Slack would deliver again)."""
        with self.changed:
            answered = {ack.envelope_id for ack in self.acks}
            return [
                message
                for message in self.sent
                if "envelope_id" in message and message["envelope_id"] not in answered
            ]

    def disconnect(self, reason: str = "refresh_requested", link: Link | None = None) -> None:
        """Ask the app to move to a new link, as Slack does every few hours ("refresh_requested")
        or ten seconds before it closes one ("warning")."""
        self.send_raw({"type": "disconnect", "reason": reason, "debug_info": {"host": HOST}}, link)

    def silence(self, link: Link | None = None) -> Link:
        """Stop reading `link` (pings go unanswered), as when a NAT forgets a connection and
        neither side hears of it."""
        target = self._link(link)
        ws = target.ws
        assert ws is not None
        self._loop.call_soon_threadsafe(ws.transport.pause_reading)
        return target

    def drop(self, link: Link | None = None, code: int = 1001, abrupt: bool = False) -> Link:
        """Close `link` from Slack's side: a close frame (`code`), or `abrupt`ly with none, as when
        a load balancer goes away."""
        target = self._link(link)
        ws = target.ws
        assert ws is not None

        async def close() -> None:
            if abrupt:
                ws.transport.abort()
            else:
                await ws.close(code, "stand-in closed the link")

        self._run(close(), timeout=10)
        return target


class SocketClient(SignedClient):
    """SignedClient's requests (commands, events, clicks, view submissions) delivered as Socket
    Mode envelopes instead of signed HTTP. The reply is the app's ack: 200 with the ack's
    payload as the body, or 408 when no ack came within Slack's 3 s (202 at once, when
    `ack_timeout` is 0: the envelope is sent and the ack not waited for)."""

    def __init__(
        self, socket: SocketModeStandIn, response_url: str, ack_timeout: float = 3.0
    ) -> None:
        super().__init__("http://127.0.0.1:9/unused", "", response_url=response_url)
        self.socket = socket
        self.ack_timeout = ack_timeout
        self.last_envelope: dict[str, Any] = {}

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        **ignored: Any,  # signing options: Socket Mode requests are not signed
    ) -> Reply:
        kind, payload = _unwrap(body, content_type)
        retry = {k.lower(): v for k, v in (headers or {}).items()}
        self.last_envelope = envelope = self.socket.send(
            kind,
            payload,
            retry_attempt=int(retry.get("x-slack-retry-num", 0)),
            retry_reason=retry.get("x-slack-retry-reason", ""),
        )
        if self.ack_timeout <= 0:
            return Reply(202, {}, b"")
        try:
            ack = self.socket.wait_ack(envelope["envelope_id"], timeout=self.ack_timeout)
        except AssertionError:
            return Reply(408, {}, b"")
        data = json.dumps(ack.payload).encode() if ack.payload else b""
        return Reply(200, {"Content-Type": "application/json"}, data)


def _unwrap(body: bytes, content_type: str) -> tuple[str, dict[str, Any]]:
    """The envelope type and payload Slack would send over the socket for this HTTP body."""
    if "json" in content_type:
        return "events_api", json.loads(body)
    form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    if "payload" in form:
        return "interactive", json.loads(form["payload"])
    return "slash_commands", form
