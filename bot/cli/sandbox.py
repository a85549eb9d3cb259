"""The real app, served over HTTP on 127.0.0.1 (or Socket Mode) and wired to the Slack stand-in."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.cli.signed import SignedClient
from bot.cli.standin import SlackStandIn
from bot.cli.standin_socket import SocketClient, SocketModeStandIn
from bot.core.clock import Clock, ManualClock
from bot.core.db import Pool
from bot.core.roadmap_load import RoadmapStore
from bot.core.settings import Settings
from bot.slack.app import create_app, finish_after_ack
from bot.slack.server import EVENTS_PATH, HttpServer, make_server
from bot.slack.socket_mode import SocketMode

CHANNEL = "C0STUDY01"
SECRET = "sandbox-signing-secret"
APP_TOKEN = "xapp-sandbox-token"


# How long close() waits for listeners still working after their ack.
CLOSE_WAIT = 30.0


class Sandbox:
    """`with Sandbox(roadmap_path=...) as box:` — box.client sends signed requests, box.slack records.
    With socket=True the app runs as `studybot run` does in Socket Mode (no signing secret, a
    link to the Socket Mode stand-in, box.socket) and box.client sends the same requests as
    envelopes; box.url is then None."""

    def __init__(
        self,
        *,
        roadmap_path: str | Path = "roadmap.yaml",
        db_path: str | Path | None = None,
        clock: Clock | None = None,
        settings: Settings | None = None,
        socket: bool = False,
        **overrides: Any,
    ) -> None:
        self._tmp = None
        if db_path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="studybot-")
            db_path = Path(self._tmp.name) / "studybot.db"
        self.server: HttpServer | None = None
        self.socket: SocketModeStandIn | None = None  # with socket=True
        self.link: SocketMode | None = None  # the app's Socket Mode link, with socket=True
        self.slack = SlackStandIn().start()
        try:
            self._start(roadmap_path, db_path, clock, settings, socket, overrides)
        except BaseException:
            self.close()  # a bad database or roadmap: stop what started (the stand-in's thread)
            raise

    def _start(
        self,
        roadmap_path: str | Path,
        db_path: str | Path,
        clock: Clock | None,
        settings: Settings | None,
        socket: bool,
        overrides: dict[str, Any],
    ) -> None:
        base = settings or Settings()
        self.settings = replace(
            base,
            bot_token="xoxb-sandbox-token",
            signing_secret=None if socket else SECRET,
            app_token=APP_TOKEN if socket else base.app_token,
            api_url=self.slack.api_url,
            channel=base.channel or CHANNEL,
            db_path=str(db_path),
            roadmap_path=str(roadmap_path),
            **overrides,
        )
        self.clock = clock or ManualClock(dt.datetime.now(dt.UTC))
        self.pool = Pool(self.settings.db_path, checkpoints=True)  # as `studybot run`
        self.roadmaps = RoadmapStore(self.settings.roadmap_path, self.settings.track)
        self.app = create_app(
            self.settings, pool=self.pool, roadmaps=self.roadmaps, clock=self.clock
        )
        self.deps = self.app.deps  # type: ignore[attr-defined]
        self.url: str | None = None
        self.client: SignedClient
        if socket:
            self._socket_mode()
        else:
            self.server = make_server(self.app, "127.0.0.1", 0, threads=8).start()
            self.url = f"http://127.0.0.1:{self.server.port}"
            self.client = SignedClient(
                self.url + EVENTS_PATH, SECRET, response_url=self.slack.response_url()
            )

    def _socket_mode(self) -> None:
        self.socket = SocketModeStandIn(self.slack).start()
        self.link = SocketMode(self.app, APP_TOKEN)
        if not self.link.start():
            raise RuntimeError("the app opened no Socket Mode link to the stand-in")
        self.socket.wait_for_link(1)
        self.client = SocketClient(self.socket, response_url=self.slack.response_url())

    @property
    def channel(self) -> str:
        return self.settings.channel or CHANNEL

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
        if self.socket is not None:
            self.socket.stop()
        if self.server is not None:
            self.server.stop()
        # Work after an ack may still use the database and the stand-in: let it finish first.
        finished = not hasattr(self, "app") or finish_after_ack(self.app, CLOSE_WAIT)
        self.slack.stop()
        if hasattr(self, "pool") and finished:  # not when the database could not be opened
            self.pool.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
