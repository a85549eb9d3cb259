"""Replies nobody waits on ("asked before") go out in a lull between Slack's requests."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from bot.cli.sandbox import Sandbox
from bot.slack import courtesy
from bot.slack.courtesy import Courtesy
from tests.qa_kit import OTHER, say

REPEAT = "How can I compute the eigenvalues of a 3x3 matrix by hand??"  # the archive's, again


@contextmanager
def request_from_slack_in_progress(box: Sandbox, trickle: bool = False) -> Iterator[None]:
    """A request to Slack's endpoint whose body is still arriving (as under a burst, the bot
    is answering one): a byte every second when `trickle`, so it is not closed as stalled."""
    assert box.url is not None
    host, port = box.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        done = threading.Event()

        def drip() -> None:
            while trickle and not done.wait(1.0):
                s.sendall(b" ")

        dripping = threading.Thread(target=drip, daemon=True)
        dripping.start()
        try:
            yield
        finally:
            done.set()
            dripping.join()
            s.shutdown(socket.SHUT_WR)  # the request ends: its body never comes whole
            assert not s.recv(100).startswith(b"HTTP/1.1 5")


def test_an_asked_before_reply_waits_while_slack_is_being_answered(qa_box, archive):
    with request_from_slack_in_progress(qa_box):
        again = say(qa_box, OTHER, REPEAT)  # acknowledged at once, as ever
        time.sleep(1.5)
        held = qa_box.slack.calls_to("chat.postMessage")
        ended = time.time()
    assert held == []
    post = qa_box.slack.wait_for("chat.postMessage")[-1]
    assert post["thread_ts"] == again["ts"]
    # Once the burst is over the reply follows within a lull (QUIET) and the reply's own time.
    assert ended <= post.at < ended + courtesy.QUIET + 2


@pytest.mark.slow
def test_a_burst_that_goes_on_holds_a_reply_no_longer_than_its_longest_wait(qa_box, archive):
    with request_from_slack_in_progress(qa_box, trickle=True):
        say(qa_box, OTHER, REPEAT)
        asked = time.time()
        post = qa_box.slack.wait_for("chat.postMessage", timeout=courtesy.LONGEST_WAIT + 5)[-1]
        still_going = time.time()
    waited = post.at - asked
    assert courtesy.LONGEST_WAIT - 0.5 < waited < courtesy.LONGEST_WAIT + 2, waited
    assert still_going > post.at  # sent while the request was still being answered


def test_a_health_probe_is_no_burst(qa_box, archive):
    # A platform asks /healthz and /readyz as often as it likes; they do not hold replies.
    stop = threading.Event()
    answered: list[int] = []

    def probe() -> None:
        import urllib.request

        while not stop.is_set():
            for path in ("/healthz", "/readyz"):
                with urllib.request.urlopen(qa_box.url + path, timeout=5) as answer:
                    answered.append(answer.status)
                time.sleep(0.01)  # 20 ms apart at most: well inside a lull's QUIET

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    try:
        deadline = time.monotonic() + 5
        while len(answered) < 10 and time.monotonic() < deadline:  # probing, before the question
            time.sleep(0.01)
        again = say(qa_box, OTHER, REPEAT)
        # Held as a burst, it would wait LONGEST_WAIT (5 s).
        post = qa_box.slack.wait_for("chat.postMessage", timeout=courtesy.LONGEST_WAIT - 1)[-1]
    finally:
        probing = prober.is_alive()
        stop.set()
        prober.join()
    assert post["thread_ts"] == again["ts"]
    assert probing and len(answered) > 10 and set(answered) == {200}  # probed all along


def test_work_waits_for_a_lull_and_what_waits_at_close_is_dropped(caplog):
    ran: list[int] = []
    with ThreadPoolExecutor(2) as pool:
        later = Courtesy(pool, longest=60)
        later.submit(lambda: ran.append(1))
        deadline = time.monotonic() + 5
        while later.pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ran == [1]  # nothing being answered: it ran within a lull
        later.started()  # a request from Slack being answered
        later.submit(lambda: ran.append(2))
        later.submit(lambda: ran.append(3))
        time.sleep(0.5)
        assert ran == [1] and later.pending() == 2
        with caplog.at_level(logging.WARNING, logger="bot.slack.courtesy"):
            later.close()
            later.submit(lambda: ran.append(4))
        later.finished()
        time.sleep(0.2)
    assert ran == [1]
    assert [r.getMessage() for r in caplog.records if r.name == "bot.slack.courtesy"] == [
        "shutting down: 2 replies after the ack skipped",
        "shutting down: a reply after the ack skipped",
    ]


def test_a_stop_sends_the_replies_still_waiting_for_a_lull():
    # The servers stopped (a deploy): no lull will come, and none is needed.
    ran: list[int] = []
    with ThreadPoolExecutor(2) as pool:
        later = Courtesy(pool, longest=60)
        later.started()  # the last request, still counted
        for n in (1, 2, 3):
            later.submit(lambda n=n: ran.append(n))
        time.sleep(0.3)
        assert ran == []
        assert later.finish(timeout=5)
        # A listener still at work hands its reply over after that: it runs where it is.
        later.submit(lambda: ran.append(4))
        later.close()
    assert sorted(ran) == [1, 2, 3, 4] and later.pending() == 0
