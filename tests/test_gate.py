"""The app built in two steps, as `studybot run` builds it: /healthz answers at once, while
Slack's requests and /readyz wait until install() has opened the gate (bot/slack/gate.py)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.cli.signed import Reply, SignedClient
from bot.cli.standin import SlackStandIn
from bot.core.db import Pool
from bot.core.deps import Deps
from bot.core.roadmap_load import RoadmapStore, load
from bot.core.settings import Settings
from bot.slack.app import finish_after_ack, gate_of, install, new_app, readiness
from bot.slack.server import EVENTS_PATH, make_server
from tests.hardening import week3_clock
from tests.paths import ROADMAP

SECRET = "gate-signing-secret"


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Later:
    """`call()` run on a thread of its own; `result()` waits for it."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._value: list[Any] = []
        self._thread = threading.Thread(target=lambda: self._value.append(call()), daemon=True)
        self._thread.start()

    def pending(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return self._thread.is_alive()

    def result(self) -> Any:
        self._thread.join(15)
        return self._value[0]


@pytest.fixture
def half_built(tmp_path: Path) -> Iterator[tuple[Any, Settings, str, SignedClient]]:
    """new_app() served as `studybot run` serves it, before install()."""
    slack = SlackStandIn().start()
    settings = replace(
        Settings(),
        bot_token="xoxb-gate-token",
        signing_secret=SECRET,
        api_url=slack.api_url,
        channel="C0STUDY01",
        db_path=str(tmp_path / "bot.db"),
        roadmap_path=str(ROADMAP),
    )
    app = new_app(settings)
    server = make_server(app, "127.0.0.1", 0, threads=4, ready=readiness(app)).start()
    base = f"http://127.0.0.1:{server.port}"
    client = SignedClient(base + EVENTS_PATH, SECRET, response_url=slack.response_url())
    try:
        yield app, settings, base, client
    finally:
        gate_of(app).fail()
        server.stop()
        finish_after_ack(app, 10)
        slack.stop()
        if hasattr(app, "deps"):
            app.deps.pool.close()


def _install(app: Any, settings: Settings) -> None:
    deps = Deps(
        settings=settings,
        pool=Pool(settings.db_path),
        roadmaps=RoadmapStore(settings.roadmap_path),
        clock=week3_clock(),
    )
    install(app, deps)


def test_a_request_before_the_app_is_built_waits_for_it_and_gets_its_answer(half_built):
    app, settings, base, client = half_built
    assert _get(base + "/healthz") == (200, {"ok": True})
    command = Later(lambda: client.command("/nexttopic"))
    ready = Later(lambda: _get(base + "/readyz"))
    assert command.pending(0.3) and ready.pending(0)
    _install(app, settings)
    reply: Reply = command.result()
    assert reply.status == 200
    titles = [t.title for t in load(ROADMAP).topics]
    assert any(title in reply.text for title in titles), reply.text
    assert ready.result() == (200, {"ok": True})


def test_requests_waiting_for_an_app_that_will_not_be_built_get_503(half_built):
    app, _, base, client = half_built
    command = Later(lambda: client.command("/nexttopic"))
    assert command.pending(0.2)
    gate_of(app).fail()
    assert command.result().status == 503
    assert _get(base + "/readyz") == (503, {"ok": False, "reason": "starting"})
    assert _get(base + "/healthz") == (200, {"ok": True})


def test_a_message_before_the_app_is_built_waits_and_is_archived_once(half_built):
    """A member's message takes Bolt's path (and waits at the gate) until install() gives the
    server its short path; Slack's re-delivery after the start is handled once."""
    app, settings, base, client = half_built
    event = {
        "type": "message",
        "channel": "C0STUDY01",
        "channel_type": "channel",
        "user": "U0MEMBER07",
        "text": "why is the determinant the volume scale?",
        "ts": "1732230000.000300",
        "event_ts": "1732230000.000300",
    }
    early = Later(lambda: client.event(event, event_id="EvGATE1"))
    assert early.pending(0.3)
    _install(app, settings)
    assert early.result().status == 200
    # After the start the same event (Slack's retry) takes the short path: handled once.
    # (Signed afresh a minute later, as Slack's retry is: the same signature is a replay.)
    retry = client.event(event, event_id="EvGATE1", retry_num=1, timestamp=int(time.time()) + 60)
    assert retry.status == 200
    db = app.deps.pool.get()
    asked = [r[0] for r in db.execute("SELECT text FROM qa_questions")]
    assert asked == ["why is the determinant the volume scale?"]
    assert db.execute("SELECT count(*) FROM events_seen").fetchone()[0] == 1
    assert getattr(app, "message_path", None) is not None
