"""uvicorn's HTTP protocol, closing connections that start no request for IDLE_SECONDS.

uvicorn closes a kept-alive connection after `timeout_keep_alive`, but only once a response
was sent on it: a connection that sends nothing, or half of its headers, stays open for
ever, and a thousand of them would exhaust the connection limit. This subclass of its
httptools protocol (an internal, used for the speed of its C parser; tests/test_server.py
fails if uvicorn changes it) arms a timer when the connection opens and closes it when no
request began and none is running since the last look."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

IDLE_SECONDS = 5  # a connection silent this long is closed (Slack gives up after 3 s)


class ClosingIdle(HttpToolsProtocol):
    """HttpToolsProtocol that also closes a connection silent for IDLE_SECONDS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._began = False  # a request's headers arrived since the last look
        self._running = False  # a request is being answered
        self._look: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._look = self.loop.call_later(IDLE_SECONDS, self._close_if_idle)

    def on_headers_complete(self) -> None:
        self._began = self._running = True
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        self._running = False
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._look is not None:
            self._look.cancel()
        super().connection_lost(exc)

    def _close_if_idle(self) -> None:
        if self.transport.is_closing():
            return
        if not self._began and not self._running:
            self.transport.close()
            return
        self._began = False
        self._look = self.loop.call_later(IDLE_SECONDS, self._close_if_idle)
