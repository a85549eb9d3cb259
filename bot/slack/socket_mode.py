"""Socket Mode: the Bolt app on Slack's WebSocket link, reopened at once when it is lost.

Both Socket Mode clients of slack_sdk that serve a (synchronous) Bolt App were tried against
the stand-in first (tests/test_socket_mode.py). The built-in one spun a CPU core for ~50 s
before reconnecting after a link lost without a close frame, waited up to 10 s after a close
frame, and read the new link only ~3 s after a refresh (past Slack's 3 s deadline for an ack).
The websocket-client one, about one refresh in three, left its reader blocked for 10 s on the
link it had just closed, reading nothing. So the link is kept here, on the websockets library:
Bolt's own dispatch (App.dispatch with a socket_mode BoltRequest, what Bolt's adapters call),
slack_sdk's apps.connections.open, and one thread per link that only reads.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from bot.slack.courtesy import Courtesy

log = logging.getLogger(__name__)

# Slack's SDKs ping every 10 s and give a silent link up to four intervals: a link that stops
# answering (a half-open TCP connection) is replaced within ~40 s.
PING_INTERVAL = 10.0
PING_TIMEOUT = 30.0
OPEN_TIMEOUT = 10.0  # the WebSocket handshake
CLOSE_TIMEOUT = 2.0  # waiting for Slack's answer to our close frame
# Waits after failed attempts in a row (seconds). A lost link is reopened at once; a link that
# cannot be opened is not hammered (apps.connections.open is rate-limited at Tier 1).
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
FIRST_LINK_SECONDS = 10.0  # how long start() waits for the first link
WORKERS = 10  # requests handled at once, as in Bolt's Socket Mode handlers


@dataclass(eq=False)
class Link:
    """One WebSocket connection to Slack."""

    number: int
    ws: ClientConnection = field(repr=False)
    # websockets wants its connections entered as contexts; this one's exit closes the link.
    stack: contextlib.ExitStack[Any] = field(default_factory=contextlib.ExitStack, repr=False)

    def close(self) -> None:
        self.stack.close()


class SocketMode:
    """The app on a Socket Mode link: `start()` opens one (Slack refusing the app token raises
    SlackApiError); from then on a link is kept open until `close()`."""

    def __init__(self, app: App, app_token: str, workers: int = WORKERS) -> None:
        self.app = app
        self.app_token = app_token
        # Replies nobody waits on wait for a moment with no envelope being answered.
        self.courtesy: Courtesy | None = getattr(app, "courtesy", None)
        self.connected = threading.Event()
        self._closing = threading.Event()
        # What the keeper acts on: ("lost" | "refresh", link), or ("close", None).
        self._signals: queue.Queue[tuple[str, Link | None]] = queue.Queue()
        self._lock = threading.Lock()
        self._link: Link | None = None
        self._opened = 0
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="socket-mode-request")
        self._keeper: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, wait: float = FIRST_LINK_SECONDS, stop: threading.Event | None = None) -> bool:
        """Ask Slack for a link and keep one open from now on; True once the first is open
        within `wait` seconds (else it goes on trying). `stop` set meanwhile ends the wait."""
        url: str | None = None
        try:
            url = self._new_url()
        except SlackApiError as exc:
            if _refused(exc):  # the app token is wrong or revoked: the operator's to fix
                raise
            # Slack's own trouble (internal_error, a 5xx, ratelimited): keep trying, as
            # once connected.
            log.warning("Socket Mode: Slack could not open a link (%s); still trying", _why(exc))
        except Exception as exc:  # the network: keep trying
            log.warning("Socket Mode: Slack unreachable (%s); still trying", _why(exc))
        self._keeper = threading.Thread(
            target=self._keep, args=(url,), name="socket-mode-keeper", daemon=True
        )
        self._keeper.start()
        deadline = time.monotonic() + wait
        while not self.connected.wait(0.1):
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                return False
        return True

    def close(self) -> None:
        """Finish the requests in progress (their acks still go out), then close the link."""
        self._closing.set()
        self._signals.put(("close", None))
        self._pool.shutdown(wait=True)
        with self._lock:
            link, self._link = self._link, None
        if link is not None:
            link.close()
        if self._keeper is not None:
            self._keeper.join(CLOSE_TIMEOUT + 1)
        self.connected.clear()

    # --- the keeper: opens links, replaces lost ones ------------------------------------------

    def _new_url(self) -> str:
        response = self.app.client.apps_connections_open(app_token=self.app_token)
        return str(response["url"])

    def _keep(self, url: str | None) -> None:
        link = self._open(url)
        while link is not None:
            self._take(link)
            kind, which = self._signals.get()
            while kind != "close" and which is not self._link:  # about a link already replaced
                kind, which = self._signals.get()
            if kind == "close":
                return
            if kind == "lost":
                self.connected.clear()
                log.warning("Socket Mode: link %d lost; reconnecting", link.number)
            else:  # Slack asked for a new link; the old one serves until the new one is open
                log.info("Socket Mode: Slack asked for a new link; opening one")
            link = self._open(None)

    def _open(self, url: str | None) -> Link | None:
        """A new link (a fresh URL each time: they work once); retries with BACKOFF until it
        opens or the app closes (then None)."""
        failures = 0
        while not self._closing.is_set():
            stack = contextlib.ExitStack()
            try:
                ws = stack.enter_context(
                    connect(
                        url or self._new_url(),
                        open_timeout=OPEN_TIMEOUT,
                        ping_interval=PING_INTERVAL,
                        ping_timeout=PING_TIMEOUT,
                        close_timeout=CLOSE_TIMEOUT,
                        max_size=None,  # Slack sets the size of what it sends
                    )
                )
            except Exception as exc:  # SlackApiError, OSError, a refused handshake, a timeout
                url = None
                wait = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("Socket Mode: no link (%s); next try in %.0f s", _why(exc), wait)
                self._closing.wait(wait)
                continue
            with self._lock:
                self._opened += 1
                link = Link(self._opened, ws, stack)
            threading.Thread(
                target=self._read, args=(link,), name=f"socket-mode-link-{link.number}", daemon=True
            ).start()
            return link
        return None

    def _take(self, link: Link) -> None:
        """`link` becomes the one acks go out on; the one it replaces is closed."""
        with self._lock:
            old, self._link = self._link, link
        if self._closing.is_set():  # close() ran while the link was opening
            link.close()
            return
        self.connected.set()
        if link.number == 1:
            log.info("Socket Mode: connected")
        else:
            log.info("Socket Mode: reconnected (link %d)", link.number)
        if old is not None:
            old.close()

    # --- each link: read, hand envelopes to the workers -------------------------------------

    def _read(self, link: Link) -> None:
        try:
            for raw in link.ws:
                self._received(link, raw)
        except ConnectionClosed:
            pass
        except Exception:  # never let a reader die silently: the link would be left unread
            log.exception("Socket Mode: reading link %d failed", link.number)
            link.close()
        finally:
            self._signals.put(("lost", link))

    def _received(self, link: Link, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("Socket Mode: unreadable message from Slack ignored")
            return
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        if kind == "hello":
            log.debug("Socket Mode: hello on link %d", link.number)
        elif kind == "disconnect":
            log.info("Socket Mode: Slack sent disconnect (%s)", message.get("reason"))
            self._signals.put(("refresh", link))
        elif isinstance(message.get("envelope_id"), str):
            try:
                self._pool.submit(self._handle, link, message)
            except RuntimeError:  # closing: no ack, so Slack delivers it again
                log.info("Socket Mode: closing; envelope %s left to Slack", message["envelope_id"])
        else:
            log.debug("Socket Mode: message of type %r ignored", kind)

    def _handle(self, link: Link, envelope: dict[str, Any]) -> None:
        headers: dict[str, str | Sequence[str]] = {}
        if envelope.get("retry_attempt"):  # as HTTP mode's X-Slack-Retry-Num, for middleware
            headers["x-slack-retry-num"] = str(envelope["retry_attempt"])
            headers["x-slack-retry-reason"] = str(envelope.get("retry_reason") or "")
        payload = envelope.get("payload")
        try:
            request = BoltRequest(
                body=payload if isinstance(payload, dict) else {},
                headers=headers,
                mode="socket_mode",
            )
            response = self._dispatch(request)
        except Exception as exc:
            # A payload Bolt cannot take (HTTP mode answers it 400): acknowledged, or Slack
            # delivers the same malformed envelope again. (Building the request reads its
            # fields: `"channel": 5` raised here, on the pool, unlogged and unacknowledged.)
            log.warning(
                "Socket Mode: envelope %s refused as malformed (%s)",
                envelope["envelope_id"],
                exc.__class__.__name__,
            )
            response = BoltResponse(status=400, body="")
        if response.status >= 500:
            # e.g. 503 when the database is busy: no ack, so Slack delivers it again. Anything
            # else is acknowledged, as HTTP mode answers it with a 2xx or 4xx: an envelope no
            # listener takes (a shortcut, an unknown type) left unacknowledged is retried.
            log.warning(
                "Socket Mode: envelope %s not acknowledged (status %d)",
                envelope["envelope_id"],
                response.status,
            )
            return
        answer = _ack_payload(response) if response.status == 200 else {}
        self._ack(link, {"envelope_id": envelope["envelope_id"], **answer})

    def _dispatch(self, request: BoltRequest) -> BoltResponse:
        """Bolt's dispatch, counted as a request being answered (bot/slack/courtesy.py)."""
        if self.courtesy is None:
            return self.app.dispatch(request)
        self.courtesy.started()
        try:
            return self.app.dispatch(request)
        finally:
            self.courtesy.finished()

    def _ack(self, link: Link, ack: dict[str, Any]) -> None:
        """On the link the envelope came on, or, if that one is gone, the current one."""
        data = json.dumps(ack)
        with self._lock:
            current = self._link
        for target in dict.fromkeys(t for t in (link, current) if t is not None):
            try:
                target.ws.send(data)
                return
            except ConnectionClosed:
                continue
        log.warning(
            "Socket Mode: no link to acknowledge %s on; Slack will deliver it again",
            ack["envelope_id"],
        )


def _ack_payload(response: BoltResponse) -> dict[str, Any]:
    """What Bolt answered, as an ack's payload (as Bolt's own Socket Mode adapters send it)."""
    if not response.body:
        return {}
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.startswith("application/json"):
        return {"payload": json.loads(response.body)}
    return {"payload": {"text": response.body}}


# apps.connections.open's answers that trying again cannot change: the token is wrong.
REFUSALS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
    }
)


def _refused(exc: SlackApiError) -> bool:
    return exc.response.get("error") in REFUSALS


def _why(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return f"apps.connections.open: {exc.response.get('error')}"
    return f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
