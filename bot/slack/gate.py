"""The app's way in while it is being built: requests wait here until its middleware is ready.

`studybot run` serves /healthz before it opens the database, reads the roadmap and loads the
listener modules (most of its start-up); a Slack request arriving meanwhile waits here for
them instead of finding an app without listeners. Once open, the gate only hands each
request on to the middleware it was opened with (create_app opens it at once)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

log = logging.getLogger(__name__)

# How long a request waits for the app to be built before it is answered 503 (Slack delivers
# it again later); a fresh database and the roadmap take well under a second.
STARTING_WAIT = 10.0


class Gate(Middleware):
    """The first of our middleware: waits until `open(inner)`, then is `inner`."""

    def __init__(self, wait: float = STARTING_WAIT) -> None:
        self._wait = wait
        self._done = threading.Event()
        self._inner: Middleware | None = None

    def open(self, inner: Middleware) -> None:
        """The app is built: requests go on through `inner` (those waiting, and every later one)."""
        self._inner = inner
        self._done.set()

    def fail(self) -> None:
        """The app will not be built (the bot is stopping): waiting requests are answered 503."""
        self._done.set()

    def ready(self) -> bool:
        """Whether the app is built, after waiting for it (up to the gate's wait)."""
        return self._done.wait(self._wait) and self._inner is not None

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        inner = self._inner if self._done.is_set() else None
        if inner is None and self.ready():
            inner = self._inner
        if inner is None:
            log.warning("answered a request 503: the app is not built yet")
            return BoltResponse(status=503, body="starting")
        return inner.process(req=req, resp=resp, next=next)
