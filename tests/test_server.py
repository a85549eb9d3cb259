"""HTTP mode's server (bot/slack/server.py on uvicorn) and its idle-connection rule
(bot/slack/idle_close.py, a subclass of uvicorn's httptools protocol: these tests fail if
uvicorn changes what it relies on)."""

from __future__ import annotations

import http.client
import inspect
import socket
import threading
import time
import urllib.parse

import pytest
from slack_bolt import Ack, App
from slack_bolt.authorization import AuthorizeResult
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.slack.idle_close import CONNECTIONS, IDLE_SECONDS, ClosingIdle
from bot.slack.server import HttpServer, make_server
from tests.polling import wait_until


def test_the_protocol_hooks_idle_close_overrides_are_still_uvicorns():
    hooks = ("connection_made", "connection_lost", "data_received", "on_headers_complete")
    for hook in (*hooks, "on_message_complete"):
        assert hook in vars(HttpToolsProtocol), f"uvicorn's protocol has no {hook} any more"
    assert "on_response_complete" in vars(HttpToolsProtocol)
    assert list(inspect.signature(HttpToolsProtocol.connection_made).parameters) == [
        "self",
        "transport",
    ]
    assert issubclass(ClosingIdle, HttpToolsProtocol)


def test_each_request_sees_the_servers_open_connections():
    """The count the short path for messages reads to tell a request that comes alone."""
    seen: list[int] = []

    async def application(scope, receive, send) -> None:
        seen.append(len(scope["extensions"][CONNECTIONS]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    server = HttpServer(application, "127.0.0.1", 0).start()
    try:
        first = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)

        def ask() -> int:
            first.request("GET", "/")
            first.getresponse().read()
            return seen[-1]

        assert ask() == 1
        second = socket.create_connection(("127.0.0.1", server.port))  # open, silent
        wait_until(lambda: ask() == 2)  # once the server has taken it
        second.close()
        first.close()
    finally:
        server.stop()


def _unsigned_app() -> App:
    """A Bolt app answering unsigned requests, configured as the bot's (answered on return)."""
    return App(
        authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-1"),
        request_verification_enabled=False,
        token_verification_enabled=False,
        process_before_response=True,
    )


@pytest.fixture
def slow_app():
    app = _unsigned_app()

    @app.command("/slow")
    def slow(ack: Ack, command: dict) -> None:
        time.sleep(float(command["text"] or 0))
        ack(text="done")

    server = make_server(app, "127.0.0.1", 0).start()
    yield server.port
    server.stop()


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


@pytest.mark.slow  # waits out the idle period
def test_silent_and_half_sent_connections_are_closed_after_the_idle_period(slow_app):
    silent = socket.create_connection(("127.0.0.1", slow_app))
    half = socket.create_connection(("127.0.0.1", slow_app))
    half.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Le")
    started = time.monotonic()
    try:
        assert _closed_within(silent, IDLE_SECONDS * 2 + 2)
        assert _closed_within(half, 2)
        assert time.monotonic() - started >= IDLE_SECONDS - 0.5  # not before
    finally:
        silent.close()
        half.close()


@pytest.mark.slow  # waits out the idle period
def test_a_connection_that_stops_sending_its_body_is_closed_after_the_idle_period(slow_app):
    # Its headers came, half its body did not: nothing is being answered, so it is as idle as
    # a silent connection (waitress closed it too). Left open, a thousand of them would use up
    # the connection limit and Slack's requests would be answered 503.
    stalled = socket.create_connection(("127.0.0.1", slow_app))
    stalled.sendall(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ncommand=/sl"
    )
    try:
        assert _closed_within(stalled, IDLE_SECONDS * 2 + 2)
    finally:
        stalled.close()


@pytest.mark.slow  # waits out the idle period
def test_a_body_sent_slowly_but_steadily_is_not_cut(slow_app):
    conn = socket.create_connection(("127.0.0.1", slow_app))
    body = urllib.parse.urlencode(
        {"command": "/slow", "text": "0", "user_id": "U1", "team_id": "T1"}
    ).encode()
    conn.sendall(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    try:
        pieces = [body[: len(body) // 3], body[len(body) // 3 : -5], body[-5:]]
        for piece in pieces:  # a byte every few seconds: slow, never silent for the idle period
            time.sleep(IDLE_SECONDS * 0.7)
            conn.sendall(piece)
        conn.settimeout(10)
        assert conn.recv(1024).startswith(b"HTTP/1.1 200")
    finally:
        conn.close()


@pytest.mark.slow  # a request longer than the idle period
def test_a_request_running_longer_than_the_idle_period_is_answered(slow_app):
    conn = http.client.HTTPConnection("127.0.0.1", slow_app, timeout=30)
    body = urllib.parse.urlencode(
        {"command": "/slow", "text": str(IDLE_SECONDS * 2 + 1), "user_id": "U1", "team_id": "T1"}
    )
    conn.request(
        "POST",
        "/slack/events",
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    reply = conn.getresponse()
    # Bolt gives up on an ack after 3 s (404), but the connection was not cut under it.
    assert reply.status in (200, 404)
    reply.read()
    conn.close()


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(slow_app):
    conn = http.client.HTTPConnection("127.0.0.1", slow_app, timeout=10)
    conn.putrequest("POST", "/slack/events")
    conn.putheader("Content-Length", str(2_000_000))
    conn.endheaders()
    reply = conn.getresponse()
    assert reply.status == 413
    conn.close()


def test_liveness_and_unknown_paths(slow_app):
    conn = http.client.HTTPConnection("127.0.0.1", slow_app, timeout=10)
    conn.request("GET", "/healthz")
    reply = conn.getresponse()
    assert (reply.status, reply.read()) == (200, b'{"ok": true}')
    conn.request("GET", "/nope")
    reply = conn.getresponse()
    assert reply.status == 404
    reply.read()
    conn.request("GET", "/slack/events")
    reply = conn.getresponse()
    assert reply.status == 405
    conn.close()


@pytest.mark.slow  # a request outliving uvicorn's 5 s grace period
def test_stop_waits_for_a_request_still_being_dispatched():
    """The caller closes the database after stop(): a request still in Bolt must be done."""
    finished = threading.Event()
    started = threading.Event()
    app = _unsigned_app()

    @app.command("/long")
    def long(ack: Ack) -> None:
        started.set()
        time.sleep(7)  # longer than uvicorn's grace period at shutdown
        finished.set()
        ack(text="done")

    server = make_server(app, "127.0.0.1", 0).start()
    body = urllib.parse.urlencode(
        {"command": "/long", "text": "", "user_id": "U1", "team_id": "T1"}
    )

    def call() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            conn.request(
                "POST", "/slack/events", body, {"Content-Type": "application/x-www-form-urlencoded"}
            )
            conn.getresponse().read()
        except OSError:
            pass  # the server may cut the connection at shutdown: what matters is the dispatch
        finally:
            conn.close()

    caller = threading.Thread(target=call)
    caller.start()
    assert started.wait(5)
    server.stop()
    assert finished.is_set(), "stop() returned while a request was still in Bolt"
    caller.join(10)


def test_once_stopped_no_request_reaches_bolt():
    """stop() returns as soon as no request is running; uvicorn closes the connections a
    moment later, and what comes meanwhile is refused, never dispatched into a database the
    caller is closing."""
    answered: list[str] = []
    app = _unsigned_app()

    @app.command("/count")
    def count(ack: Ack) -> None:
        answered.append("count")
        ack(text="done")

    server = make_server(app, "127.0.0.1", 0).start()
    body = urllib.parse.urlencode({"command": "/count", "user_id": "U1", "team_id": "T1"})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/slack/events", body, form)
    assert conn.getresponse().read() and answered == ["count"]
    server.stop()
    try:  # the same kept-alive connection, after stop()
        conn.request("POST", "/slack/events", body, form)
        status: int | None = conn.getresponse().status
    except OSError:
        status = None  # closed by uvicorn already: refused as well
    finally:
        conn.close()
    assert status in (503, None)
    assert answered == ["count"], "a request reached Bolt after stop() returned"
