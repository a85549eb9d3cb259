"""uvicorn's HTTP protocol, closing connections that start no request for IDLE_SECONDS.

uvicorn closes a kept-alive connection after `timeout_keep_alive`, but only once a response
was sent on it: a connection that sends nothing, or half of its headers, stays open for
ever, and a thousand of them would exhaust the connection limit. So does one that sent its
headers and stopped in the middle of its body: the app waits for the rest, for ever. This
subclass of its httptools protocol (an internal, used for the speed of its C parser;
tests/test_server.py fails if uvicorn changes it) arms a timer when the connection opens and,
at each look, closes it when no request began since the last look and none is open, or when
the one open still waits for its body and no byte of it arrived since the last look.

It also hands each request the server's open connections (`scope["extensions"][CONNECTIONS]`,
uvicorn's own set): one open means the request comes alone, from the only sender there is
(bot/slack/message_path.py records such an event without the writer's batching)."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

IDLE_SECONDS = 5  # a connection silent this long is closed (Slack gives up after 3 s)
CONNECTIONS = "studybot.connections"  # the scope's extension: the open connections (a set)


class ClosingIdle(HttpToolsProtocol):
    """HttpToolsProtocol that also closes a connection silent for IDLE_SECONDS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._began = False  # a request's headers arrived since the last look
        self._heard = False  # bytes arrived since the last look
        self._open = 0  # requests whose headers came and whose response is not complete
        self._reading = False  # the latest request's body is still to come
        self._look: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._look = self.loop.call_later(IDLE_SECONDS, self._close_if_idle)

    def data_received(self, data: bytes) -> None:
        self._heard = True
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._began = True
        self._open += 1
        self._reading = True
        super().on_headers_complete()
        if self.scope is not None:  # read by the request when it runs, after this
            extensions: dict[str, Any] = self.scope.setdefault("extensions", {})
            extensions[CONNECTIONS] = self.connections

    def on_message_complete(self) -> None:
        self._reading = False
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._open = max(0, self._open - 1)
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._look is not None:
            self._look.cancel()
        super().connection_lost(exc)

    def _close_if_idle(self) -> None:
        if self.transport.is_closing():
            return
        # Header bytes trickling in do not count (a request must begin within the period); body
        # bytes do. A pipelined request waiting behind a running one is not read yet: not idle.
        silent = not self._began and self._open == 0
        stalled = self._reading and self._open == 1 and not self._heard
        if silent or stalled:
            self.transport.close()
            return
        self._began = self._heard = False
        self._look = self.loop.call_later(IDLE_SECONDS, self._close_if_idle)
