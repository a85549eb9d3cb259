"""Crash safety: kill -9 `studybot run` in the middle of a burst of 5,000 message events, restart
it on the same database, re-deliver what was not acknowledged (as Slack does): the archive holds
every message exactly once and the database is intact. Twice: from 8 senders, and from 16 with
the kill landing while most of them wait on the writer's batch (bot/core/event_writer.py):
events committed in a batch whose acks never went out are re-delivered and handled once."""

from __future__ import annotations

import http.client
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.cli.signed import SignedClient
from bot.cli.standin import SlackStandIn
from tests.polling import wait_until
from tests.processes import bot_env, free_port, start_bot, stop_bot

pytestmark = pytest.mark.slow  # a bot process killed mid-burst of 5,000 events

CHANNEL = "C0STUDY01"
SECRET = "test-signing-secret"
QUESTIONS = 1000
ANSWERS_EACH = 4  # 1,000 questions + 4,000 answers = 5,000 events
KILL_AFTER = 2000  # acknowledged events before the kill -9
MEMBERS = [f"U0MEMBER{i:02d}" for i in range(20)]


def burst(base: float, senders: int) -> list[list[dict[str, Any]]]:
    """Per sender, its threads in order: each question, then its answers (Slack's order)."""
    lanes: list[list[dict[str, Any]]] = [[] for _ in range(senders)]
    n = 0
    for q in range(QUESTIONS):
        q_ts = f"{base + q:.0f}.{0:06d}"
        thread = [
            {
                "id": f"EvCRASH{n:07d}",
                "event": _message(MEMBERS[q % 20], f"Q{q}: why does PCA use eigenvectors?", q_ts),
            }
        ]
        n += 1
        for a in range(1, ANSWERS_EACH + 1):
            ts = f"{base + q:.0f}.{a:06d}"
            text = f"answer {a} to {q}: the covariance matrix"
            event = _message(MEMBERS[(q + a) % 20], text, ts, thread_ts=q_ts)
            thread.append({"id": f"EvCRASH{n:07d}", "event": event})
            n += 1
        lanes[q % senders].extend(thread)
    return lanes


def _message(user: str, text: str, ts: str, **extra: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": CHANNEL,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


class Delivery:
    """What each event's (last) delivery got: an HTTP status, or None (no answer)."""

    def __init__(self) -> None:
        self.status: dict[str, int | None] = {}
        self.acked = 0
        self.in_flight = 0  # sent, not answered yet
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def send(self, client: SignedClient, item: dict[str, Any], retry: int | None) -> None:
        with self.lock:
            self.in_flight += 1
        try:
            status: int | None = client.event(
                item["event"], event_id=item["id"], retry_num=retry, timeout=10
            ).status
        except (OSError, http.client.HTTPException, AttributeError):
            # refused, reset, timed out, or a socket torn down under http.client mid-request
            # (it then trips on a None socket): no answer, so Slack would re-deliver
            status = None
        with self.lock:
            self.in_flight -= 1
            self.status[item["id"]] = status
            if status is not None and 200 <= status < 300:
                self.acked += 1

    def lane(self, client: SignedClient, items: list[dict[str, Any]], retry: int | None) -> None:
        for item in items:
            if self.stop.is_set():
                return
            self.send(client, item, retry)

    def unacknowledged(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [i for i in items if not 200 <= (self.status.get(i["id"]) or 0) < 300]


@pytest.mark.parametrize(
    ("senders", "waiting"),
    [(1, 0), (8, 0), (16, 12)],
    # One sender: each event comes alone and is recorded on the event loop (message_path.py).
    ids=["1-sender", "8-senders", "16-during-a-batch"],
)
def test_kill_9_mid_burst_then_redelivery_keeps_every_message_exactly_once(
    tmp_path: Path, senders: int, waiting: int
):
    """`waiting`: the kill waits until at least this many events are in flight."""
    db = tmp_path / "crash.db"
    log = tmp_path / "bot.log"
    lanes = burst(time.time() - 3600, senders)
    everything = [item for lane in lanes for item in lane]
    assert len(everything) == QUESTIONS * (1 + ANSWERS_EACH) == 5000
    delivery = Delivery()

    with SlackStandIn() as slack:
        env = bot_env(slack, db, free_port())
        proc, base = start_bot(env, tmp_path, log)
        client = SignedClient(base + "/slack/events", SECRET, slack.response_url())
        with ThreadPoolExecutor(senders) as pool:
            futures = [pool.submit(delivery.lane, client, lane, None) for lane in lanes]
            try:
                wait_until(
                    lambda: delivery.acked >= KILL_AFTER and delivery.in_flight >= waiting,
                    timeout=60,
                    interval=0.001,
                )
                in_flight = delivery.in_flight
            finally:
                os.kill(proc.pid, signal.SIGKILL)  # in the middle of the burst
                proc.wait()
                time.sleep(0.2)  # requests in flight fail now
                delivery.stop.set()
            for future in futures:
                future.result()
        killed_at = delivery.acked
        assert KILL_AFTER <= killed_at < len(everything), killed_at
        # Everything acknowledged was committed first (the ack follows the commit).
        acked = {i for i, status in delivery.status.items() if status and 200 <= status < 300}
        conn = sqlite3.connect(db)
        try:
            committed = {r[0] for r in conn.execute("SELECT event_id FROM events_seen")}
        finally:
            conn.close()
        assert acked <= committed, f"{len(acked - committed)} acknowledged events were lost"

        # Restart on the same database; Slack re-delivers whatever got no 2xx.
        proc, base = start_bot(env, tmp_path, log)
        client = SignedClient(base + "/slack/events", SECRET, slack.response_url())
        try:
            again = delivery.unacknowledged(everything)
            print(  # for RELIABILITY.md (pytest -s)
                f"\nkill -9 after {killed_at} acknowledged; {len(committed)} committed; "
                f"{len(committed - acked)} committed but unacknowledged; "
                f"{len(again)} re-delivered; {in_flight} in flight at the kill ({senders} senders)"
            )
            delivery.stop.clear()
            with ThreadPoolExecutor(senders) as pool:
                chunks = [again[i::senders] for i in range(senders)]
                for future in [pool.submit(delivery.lane, client, c, 1) for c in chunks]:
                    future.result()
            assert delivery.unacknowledged(everything) == []
            # A late duplicate of an event handled before the crash is acknowledged, not redone.
            for item in everything[:50]:
                assert client.event(item["event"], event_id=item["id"], retry_num=2).status == 200
        finally:
            stop_bot(proc)

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seen = {r[0] for r in conn.execute("SELECT event_id FROM events_seen")}
        assert {i["id"] for i in everything} <= seen
        questions = [r[0] for r in conn.execute("SELECT ts FROM qa_questions")]
        answers = [r[0] for r in conn.execute("SELECT ts FROM qa_answers")]
        pending = conn.execute("SELECT count(*) FROM qa_pending").fetchone()[0]
    finally:
        conn.close()
    expected_q = {i["event"]["ts"] for i in everything if "thread_ts" not in i["event"]}
    expected_a = {i["event"]["ts"] for i in everything if "thread_ts" in i["event"]}
    assert len(questions) == len(set(questions)) and set(questions) == expected_q
    assert len(answers) == len(set(answers)) and set(answers) == expected_a
    assert pending == 0
