"""The answer goes out when the listener acks; its work after the ack goes on (bot/slack/ack_wait.py)."""

from __future__ import annotations

import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import Ack, App, Args, BoltRequest
from slack_bolt.authorization import AuthorizeResult

from bot.slack.ack_wait import until_acked


def _app(listener, executor) -> App:
    app = App(
        authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-1"),
        request_verification_enabled=False,
        token_verification_enabled=False,
        process_before_response=True,
    )
    app.command("/x")(until_acked(executor, listener))
    return app


def _command() -> BoltRequest:
    form = {"command": "/x", "text": "", "user_id": "U1", "team_id": "T1", "channel_id": "C1"}
    return BoltRequest(body=urllib.parse.urlencode(form))


def test_the_answer_is_the_ack_and_does_not_wait_for_the_work_after_it():
    release, after = threading.Event(), []

    def listener(args: Args) -> None:
        args.ack(text="on it")
        release.wait(10)  # the work after the ack (a Slack call, say)
        after.append("done")

    with ThreadPoolExecutor(2) as executor:
        response = _app(listener, executor).dispatch(_command())
        # Answered while the listener is still blocked after its ack.
        assert response.status == 200 and "on it" in response.body
        assert after == []
        release.set()
    assert after == ["done"]


def test_a_listener_that_ends_without_acking_does_not_hold_the_request_for_the_timeout():
    def listener(args: Args) -> None:
        return None  # forgot to ack: Bolt's own rule answers, at once

    with ThreadPoolExecutor(1) as executor:
        done = threading.Event()
        threading.Thread(
            target=lambda: (_app(listener, executor).dispatch(_command()), done.set())
        ).start()
        assert done.wait(2.0), "the request waited for the 3 s ack timeout"


def test_the_ack_object_bolt_reads_is_the_one_answered():
    seen: list[Ack] = []

    def listener(args: Args) -> None:
        seen.append(args.ack)
        args.ack(text="hello")

    with ThreadPoolExecutor(1) as executor:
        response = _app(listener, executor).dispatch(_command())
    assert "hello" in response.body and seen[0].response is not None
