"""`studybot run` in Socket Mode, as a subprocess, against the Socket Mode stand-in."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli.sandbox import Sandbox
from bot.cli.standin import SlackStandIn
from bot.cli.standin_socket import Link, SocketClient, SocketModeStandIn
from bot.core.calendar import Calendar, local_today
from bot.core.roadmap_load import load
from tests.conftest import ROADMAP
from tests.processes import studybot

# Each test runs `studybot run` (Socket Mode) as a process, some for Slack's real timings.
pytestmark = pytest.mark.slow

APP_TOKEN = "xapp-1-A0STUDY01-1234567890-socketmodetesttoken0123456789abcdef"
CHANNEL = "C0STUDY01"


@dataclass
class Bot:
    proc: subprocess.Popen[bytes]
    slack: SlackStandIn
    socket: SocketModeStandIn
    client: SocketClient
    sender: SocketClient  # sends without waiting for the ack
    db: Path
    log: Path

    def logged(self, wait_for: str = "", timeout: float = 5.0) -> str:
        """The bot's log so far (once it holds `wait_for`, if given)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log.read_text(errors="replace")
            if wait_for in text or time.monotonic() > deadline:
                return text
            time.sleep(0.05)

    def rows(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return conn.execute(sql, args).fetchall()

    def question(self, text: str, *, wait: bool = True) -> dict[str, Any]:
        """A member's question in the channel, delivered; the events_api envelope. With
        wait=False the ack is not waited for."""
        event = self.slack.add_message(CHANNEL, "U0MEMBER1", text)
        client = self.client if wait else self.sender
        client.event(event, event_id=f"Ev{event['ts'].replace('.', '')}")
        return client.last_envelope

    def archived(self, ts: str) -> int:
        return int(self.rows("SELECT count(*) FROM qa_questions WHERE ts = ?", ts)[0][0])


def _env(tmp_path: Path, slack: SlackStandIn) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))},
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_APP_TOKEN": APP_TOKEN,  # no signing secret: Socket Mode needs none
        "SLACK_API_URL": slack.api_url,
        "STUDYBOT_CHANNEL": CHANNEL,
        "STUDYBOT_DB": str(tmp_path / "bot.db"),
        "STUDYBOT_ROADMAP": str(ROADMAP),
    }


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn) -> Iterator[Bot]:
    log_path = tmp_path / "bot.log"
    with SocketModeStandIn(slack) as socket, log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "-v", "run"],
            env=_env(tmp_path, slack),
            cwd=tmp_path,
            stdout=log,
            stderr=log,
        )
        try:
            try:  # a cold start under load (imports, migrations) takes a few seconds
                socket.wait_for_link(1, timeout=30)
            except AssertionError:
                raise AssertionError(log_path.read_text()) from None
            client = SocketClient(socket, response_url=slack.response_url())
            sender = SocketClient(socket, response_url=slack.response_url(), ack_timeout=0)
            yield Bot(proc, slack, socket, client, sender, tmp_path / "bot.db", log_path)
        finally:
            proc.terminate()
            code = proc.wait(timeout=20)
        assert code == 0, log_path.read_text()[-3000:]
    # At DEBUG level, with links opened, dropped and refreshed: the app token is never logged.
    logged = log_path.read_text(errors="replace")
    assert APP_TOKEN not in logged and APP_TOKEN[-20:] not in logged


def this_weeks_title() -> str | None:
    roadmap = load(ROADMAP)
    today = local_today(roadmap.schedule, dt.datetime.now(dt.UTC))
    week = Calendar(roadmap.followed(None), roadmap.schedule.start).week_of(today)
    return week.topic.title if week.topic is not None else None


# --- acks ------------------------------------------------------------------------------


def test_the_link_is_opened_with_the_app_token_and_slack_says_hello(bot):
    opened = bot.slack.calls_to("apps.connections.open")
    assert opened and all(call.token == APP_TOKEN for call in opened)
    hello = bot.socket.sent[0]
    assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == "A0STUDY01"
    assert "Socket Mode: connected" in bot.logged("Socket Mode: connected")


def test_nexttopic_is_answered_in_the_ack_within_3_s(bot):
    started = time.monotonic()
    reply = bot.client.command("/nexttopic", trigger_id="1.1.first")
    assert time.monotonic() - started < 3
    assert reply.status == 200
    envelope = bot.client.last_envelope
    assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"] is True
    (ack,) = bot.socket.acks_for(envelope["envelope_id"])
    assert ack.payload is not None and ack.payload["response_type"] == "ephemeral"
    title = this_weeks_title()
    titles = [title] if title else [t.title for t in load(ROADMAP).topics]
    assert any(t in json.dumps(ack.payload) for t in titles), ack.payload


def test_every_envelope_gets_its_own_ack(bot):
    sent = []
    for command, text in [
        ("/nexttopic", ""),
        ("/roadmap", ""),
        ("/progress", ""),
        ("/qa", "integral"),
    ]:
        reply = bot.client.command(command, text)
        assert reply.status == 200, command
        sent.append(bot.client.last_envelope["envelope_id"])
    bot.question("Why does the chain rule work?")
    sent.append(bot.client.last_envelope["envelope_id"])
    for envelope_id in sent:
        assert len(bot.socket.wait_ack(envelope_id).raw) >= 1
        assert len(bot.socket.acks_for(envelope_id)) == 1
    assert bot.socket.unacked() == []


# --- events: each recorded once ---------------------------------------------------------


def test_a_question_resent_with_retry_attempt_1_is_recorded_once(bot):
    envelope = bot.question("What is a Jacobian, intuitively? zebrafinch")
    event_id = envelope["payload"]["event_id"]
    ts = envelope["payload"]["event"]["ts"]
    bot.socket.wait_ack(envelope["envelope_id"])
    posts_before = len(bot.slack.posts())

    again = bot.socket.resend(envelope, retry_reason="timeout")
    assert again["retry_attempt"] == 1
    bot.socket.wait_ack(envelope["envelope_id"], count=2)

    assert bot.archived(ts) == 1
    assert bot.rows("SELECT count(*) FROM events_seen WHERE event_id = ?", event_id) == [(1,)]
    assert f"event {event_id} already handled" in bot.logged(f"event {event_id} already handled")
    reply = bot.client.command("/qa", "zebrafinch")
    assert reply.status == 200  # acked at once; the results follow on the response_url
    (results,) = bot.slack.wait_for("response_url")
    assert json.dumps(results.params["blocks"]).count("Jacobian") == 1, results.params
    time.sleep(0.5)  # anything the re-delivery would have sent after its ack
    assert len(bot.slack.posts()) == posts_before


# --- interactivity ----------------------------------------------------------------------


def test_a_button_click_is_acked_and_handled(bot):
    topic = load(ROADMAP).topics[0]
    reply = bot.client.action("member_done", topic.id)
    assert reply.status == 200
    envelope = bot.client.last_envelope
    assert envelope["type"] == "interactive" and envelope["accepts_response_payload"] is False
    bot.slack.wait_for("response_url")
    assert bot.rows("SELECT topic_id FROM progress WHERE user = 'U0MEMBER1'") == [(topic.id,)]


# --- reconnects -------------------------------------------------------------------------


@pytest.mark.parametrize("abrupt", [False, True], ids=["close-frame", "no-close-frame"])
def test_reconnects_when_slack_drops_the_link_and_no_event_is_lost_or_doubled(bot, abrupt):
    before = bot.question("Before the drop: why is the determinant a volume?")
    bot.socket.wait_ack(before["envelope_id"])
    around = bot.question("Around the drop: what is a basis?", wait=False)
    dropped = bot.socket.drop(abrupt=abrupt)

    started = time.monotonic()
    link = bot.socket.wait_for_link(2, timeout=15)
    reconnected_in = time.monotonic() - started
    assert reconnected_in < 5, f"reconnected after {reconnected_in:.1f} s"
    assert not dropped.open
    assert len(bot.slack.calls_to("apps.connections.open")) >= 2  # a fresh URL each time

    _redeliver(bot, link)
    after = bot.question("After the drop: what is a rank?")
    bot.socket.wait_ack(after["envelope_id"])
    for envelope in (before, around, after):
        assert bot.archived(envelope["payload"]["event"]["ts"]) == 1, envelope
    assert bot.socket.unacked() == []
    assert "Socket Mode: reconnected" in bot.logged("Socket Mode: reconnected")


def test_reconnects_on_refresh_requested_and_no_event_is_lost_or_doubled(bot):
    first = bot.socket.wait_for_link(1)
    before = bot.question("Before the refresh: what is an eigenvector?")
    bot.socket.wait_ack(before["envelope_id"])

    bot.socket.disconnect("refresh_requested")
    # Slack may still deliver on the old link until the app has moved.
    around = bot.question("During the refresh: why is the SVD always defined?", wait=False)

    started = time.monotonic()
    link = bot.socket.wait_for_link(2, timeout=10)
    assert time.monotonic() - started < 3
    # Slack delivers on the new link as soon as it is open: a command there is answered in time.
    assert bot.client.command("/nexttopic").status == 200
    assert bot.socket.acks_for(bot.client.last_envelope["envelope_id"])[0].link == link.number
    bot.socket.wait_closed(first, timeout=10)  # the app closes the old link itself
    _redeliver(bot, link)
    after = bot.question("After the refresh: what is a gradient?")
    bot.socket.wait_ack(after["envelope_id"])

    for envelope in (before, around, after):
        assert bot.archived(envelope["payload"]["event"]["ts"]) == 1, envelope
    assert bot.rows("SELECT count(*) FROM qa_questions") == [(3,)]
    assert bot.socket.unacked() == []


def test_a_link_gone_silent_is_replaced_within_45_s(bot):
    """No close frame, no FIN: pings go unanswered (a NAT dropped the link). Slack's timings:
    a ping every 10 s, 30 s more for its pong."""
    started = time.monotonic()
    bot.socket.silence()
    bot.socket.wait_for_link(2, timeout=60)
    took = time.monotonic() - started
    assert 30 <= took <= 45, took
    after = bot.question("After the silence: what is a norm?")
    bot.socket.wait_ack(after["envelope_id"])
    assert bot.archived(after["payload"]["event"]["ts"]) == 1


def test_while_slack_gives_no_link_the_bot_backs_off_then_reconnects(bot):
    def opens() -> list[float]:
        return [call.at for call in bot.slack.calls if call.method == "apps.connections.open"]

    earlier = len(opens())
    bot.slack.fail("apps.connections.open", status=500, times=3)
    started = time.monotonic()
    bot.socket.drop()
    bot.socket.wait_for_link(2, timeout=30)
    took = time.monotonic() - started
    asked = opens()[earlier:]
    assert len(asked) == 4, asked  # three refused, then the link
    gaps = [later - earlier for earlier, later in zip(asked, asked[1:], strict=False)]
    # Waits of 1, 2 and 4 s between attempts (each plus the client's own half second).
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9 and gaps[2] >= 3.9, gaps
    assert took < 15, took
    assert "next try in 4 s" in bot.logged()
    after = bot.question("After the outage: what is a Hessian?")
    bot.socket.wait_ack(after["envelope_id"])


def _redeliver(bot: Bot, link: Link) -> None:
    """Events the app never acknowledged go again on the new link, as Slack re-delivers them."""
    for envelope in bot.socket.unacked():
        if envelope["type"] == "events_api":
            bot.socket.resend(envelope, link=link)
            bot.socket.wait_ack(envelope["envelope_id"])


# --- the console over Socket Mode -------------------------------------------------------

CONSOLE_SCRIPT = (
    "/nexttopic\n"
    "Is SVD just PCA?\n"
    "reply PCA is the SVD of centered data.\n"
    "react white_check_mark\n"
    "/qa svd\n"
    "/progress\n"
    "click 1\n"
    "home\n"
)


def test_console_over_socket_mode_shows_what_it_shows_over_http():
    def run(*flags: str) -> str:
        result = studybot(
            "console",
            "--at",
            "2026-01-20T18:00:00Z",
            *flags,
            env={"PYTHONIOENCODING": "utf-8"},
            stdin=CONSOLE_SCRIPT,
        )
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        lines = result.stdout.splitlines()
        # Message links carry the stand-in's timestamps, which differ from run to run.
        return "\n".join(re.sub(r"/p\d{16}", "/p…", line) for line in lines[1:])

    over_http, over_socket = run(), run("--socket")
    assert over_socket == over_http
    assert "Answered" in over_socket.split("> /qa svd", 1)[1]  # the flows really ran


def test_sandbox_over_socket_mode_runs_the_app_as_studybot_run_does(tmp_path, clock):
    with Sandbox(
        roadmap_path=ROADMAP, db_path=tmp_path / "studybot.db", clock=clock, socket=True
    ) as box:
        assert box.url is None and box.settings.signing_secret is None
        reply = box.client.command("/nexttopic")
        assert reply.status == 200 and reply.json()["response_type"] == "ephemeral"
        event = box.slack.add_message(box.channel, "U0MEMBER1", "Why is a Hessian symmetric?")
        assert box.client.event(event).status == 200
        again = box.socket.resend(box.client.last_envelope)
        box.socket.wait_ack(again["envelope_id"], count=2)
        assert box.deps.db.execute("SELECT count(*) FROM qa_questions").fetchone() == (1,)
        topic = box.deps.roadmap.topics[0]
        assert box.client.action("member_done", topic.id).status == 200
        box.slack.wait_for("response_url")


def test_envelopes_no_listener_takes_are_still_acknowledged(bot):
    """A shortcut, a menu's options request, a closed form or an envelope of a type not
    known: acknowledged (HTTP mode answers them with a 2xx or 4xx), or Slack delivers them
    again and again."""
    sent = [
        bot.socket.send("interactive", {"type": "shortcut", "callback_id": "nothing_here"}),
        bot.socket.send("interactive", {"type": "block_suggestion", "action_id": "nothing"}),
        bot.socket.send("interactive", {"type": "view_closed", "view": {"callback_id": "x"}}),
        bot.socket.send("weird_type", {"type": "weird"}),
    ]
    for envelope in sent:
        bot.socket.wait_ack(envelope["envelope_id"])
    assert bot.socket.unacked() == []


def test_envelopes_bolt_cannot_take_are_acknowledged_and_the_link_goes_on(bot):
    """Payloads of shapes Slack never sends, on which Bolt trips (building the request or in
    its own middleware): acknowledged, as HTTP mode answers them 400, and logged; they were
    left unacknowledged (`"channel": 5` even unlogged), so Slack would deliver them again."""
    message = {"type": "message", "text": "hi", "user": "U0MEMBER1", "channel": 5, "ts": "1.2"}
    sent = [
        bot.socket.send("events_api", {"type": "event_callback", "event": message}),
        bot.socket.send("events_api", {"type": "event_callback", "event": None}),
        bot.socket.send("interactive", {"type": "block_actions", "actions": None}),
        bot.socket.send("interactive", {"type": "view_submission", "view": None}),
    ]
    for envelope in sent:
        bot.socket.wait_ack(envelope["envelope_id"])
    assert bot.socket.unacked() == []
    assert "refused as malformed" in bot.logged("refused as malformed")
    assert (
        bot.archived(bot.question("Q: still listening after the junk?")["payload"]["event"]["ts"])
        == 1
    )


def test_slack_failing_to_give_the_first_link_is_tried_again(tmp_path, slack):
    """Slack's own trouble while the bot starts (internal_error, then a 500) is waited out
    as it is once connected; only a refused app token stops the bot."""
    log_path = tmp_path / "bot.log"
    slack.fail("apps.connections.open", error="internal_error", times=1)
    slack.fail("apps.connections.open", status=500, times=1)
    with SocketModeStandIn(slack) as socket, log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=_env(tmp_path, slack),
            cwd=tmp_path,
            stdout=log,
            stderr=log,
        )
        try:
            socket.wait_for_link(1, timeout=30)
            assert proc.poll() is None, log_path.read_text()
            client = SocketClient(socket, response_url=slack.response_url())
            assert client.command("/nexttopic").status == 200
        finally:
            proc.terminate()
            code = proc.wait(timeout=20)
        assert code == 0, log_path.read_text()[-3000:]
    assert len([call for call in slack.calls if call.method == "apps.connections.open"]) == 3
    assert "could not open a link" in log_path.read_text()
