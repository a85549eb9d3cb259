"""`studybot run` in HTTP mode, as a subprocess, against the Slack stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from bot.cli.signed import SignedClient
from bot.core.roadmap_load import load
from tests.conftest import ROADMAP
from tests.polling import wait_until
from tests.processes import bot_env, free_port, start_bot

SECRET = "test-signing-secret"


@pytest.fixture
def running_bot(tmp_path, slack):
    env = bot_env(slack, tmp_path / "bot.db", free_port(), SLACK_SIGNING_SECRET=SECRET)
    proc, base = start_bot(env, tmp_path, tmp_path / "bot.log")
    yield base, SignedClient(base + "/slack/events", SECRET, response_url=slack.response_url())
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.slow
def test_signed_nexttopic_answers_within_3s_with_a_topic_title(running_bot):
    _, client = running_bot
    titles = [t.title for t in load(ROADMAP).topics]
    started = time.monotonic()
    reply = client.command("/nexttopic")
    assert time.monotonic() - started < 3
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert any(title in json.dumps(body) for title in titles)


@pytest.mark.slow
def test_healthz(running_bot):
    base, _ = running_bot
    with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
        assert r.status == 200
        assert json.loads(r.read())["ok"] is True


@pytest.mark.slow
@pytest.mark.parametrize(
    "opts",
    [
        {"sign": False},
        {"secret": "not-the-secret"},
        {"timestamp": int(time.time()) - 6 * 60},
    ],
    ids=["unsigned", "bad-signature", "stale-timestamp"],
)
def test_requests_without_a_valid_signature_get_401(running_bot, opts):
    _, client = running_bot
    reply = client.command("/nexttopic", **{"_" + k: v for k, v in opts.items()})
    assert reply.status == 401


@pytest.mark.slow
def test_malformed_requests_get_4xx_not_500(running_bot):
    _, client = running_bot
    for body, ctype in [
        (b"{not json", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"", "application/json"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
        # An event envelope nested deeper than any JSON parser recurses (a 500 on the short
        # path for messages until it was caught).
        (
            b'{"type": "event_callback", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "application/json",
        ),
    ]:
        reply = client.post(body, ctype)
        assert 400 <= reply.status < 500 or reply.status == 200, (body, reply.status)
    req = urllib.request.Request(running_bot[0] + "/nowhere")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 404


@pytest.mark.slow
def test_a_replayed_request_is_refused(running_bot):
    _, client = running_bot
    ts = int(time.time())
    first = client.command("/nexttopic", _timestamp=ts, trigger_id="1.1.same")
    again = client.command("/nexttopic", _timestamp=ts, trigger_id="1.1.same")
    assert first.status == 200
    assert again.status == 401


@pytest.mark.slow
def test_socket_mode_asks_slack_api_url_for_a_connection(tmp_path, slack):
    slack.fail("apps.connections.open", status=200, error="invalid_auth")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))},
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_APP_TOKEN": "xapp-test-token",
        "SLACK_API_URL": slack.api_url,
        "STUDYBOT_CHANNEL": "C0STUDY01",
        "STUDYBOT_DB": str(tmp_path / "bot.db"),
        "STUDYBOT_ROADMAP": str(ROADMAP),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "SLACK_APP_TOKEN" in result.stderr and "Traceback" not in result.stderr
    call = (
        slack.calls_to("apps.connections.open")[0]
        if slack.calls_to("apps.connections.open")
        else None
    )
    assert call is None or call.token == "xapp-test-token"
    assert [c.method for c in slack.calls if c.method == "apps.connections.open"]


def test_an_unknown_command_gets_a_kind_answer_not_an_error(box):
    reply = box.client.command("/notacommand", "x")
    assert reply.status == 200
    assert "/notacommand" in reply.json()["text"]
    assert box.client.action("some_old_button", "v").status == 200


@pytest.mark.slow
def test_commands_ack_and_sigterm_exits_while_slack_is_slow(tmp_path, slack):
    """Home tabs stuck on a Slack that answers after the client's 10 s timeout fill the
    events' after-ack threads: members' commands still ack within Slack's 3 s. A stop then
    drops the queued work (the events are kept), gives the running calls the shutdown's 10 s,
    and the process exits 0 soon after."""
    env = bot_env(slack, tmp_path / "bot.db", free_port(), SLACK_SIGNING_SECRET=SECRET)
    proc, base = start_bot(env, tmp_path, tmp_path / "bot.log")
    try:
        client = SignedClient(base + "/slack/events", SECRET, response_url=slack.response_url())
        slow = slack.fail("views.publish", status=200, delay=12, times=50)
        for n in range(12):
            home = {"type": "app_home_opened", "user": f"U0SLOW{n:03d}", "channel": "D0HOME"}
            assert client.event({**home, "tab": "home", "event_ts": f"1.{n}"}).status == 200
        wait_until(lambda: slow.times <= 50 - 5, timeout=10)  # five calls in Slack's hands
        for name, text in (("/nexttopic", ""), ("/resources", "free"), ("/qa", "eigenvectors")):
            started = time.monotonic()
            reply = client.command(name, text=text)
            assert reply.status == 200, (name, reply.status, reply.text)
            assert time.monotonic() - started < 3, name
        started = time.monotonic()
        proc.terminate()
        assert proc.wait(timeout=40) == 0
        # The shutdown's 10 s, and the calls in Slack's hands ending on the client's timeout;
        # not twelve slow calls one after another (well over a minute).
        assert time.monotonic() - started < 25
    finally:
        if proc.poll() is None:
            proc.kill()
