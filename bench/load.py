"""Load generation: a bounded list of signed requests sent to 127.0.0.1 by threads on keep-alive
connections, recording each request's latency; it stops by itself when the list is used up."""

from __future__ import annotations

import http.client
import itertools
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.cli.signed import signature

Check = Callable[[int, bytes], bool]


@dataclass(frozen=True)
class Prepared:
    """A request body with its headers, signed ahead of time as Slack signs before sending."""

    body: bytes
    headers: dict[str, str]


def sign_all(bodies: Sequence[bytes], content_type: str, secret: str) -> list[Prepared]:
    """Signed with the current timestamp: send them within Bolt's 5-minute window."""
    ts = str(int(time.time()))
    return [
        Prepared(
            body,
            {
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature(secret, ts, body),
            },
        )
        for body in bodies
    ]


@dataclass
class Run:
    """What one run measured."""

    concurrency: int
    elapsed_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    server_cpu_s: float = 0.0  # CPU the server process used during the run, if measured
    # After the last answer: how long the server's work after its acks went on, and the CPU it
    # used meanwhile (the bot's replies wait for a lull, bot/slack/courtesy.py).
    settle_s: float = 0.0
    settle_cpu_s: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def server_cpu_ms(self) -> float:
        """Server CPU time per request."""
        return self.server_cpu_s * 1000 / len(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def settled_per_second(self) -> float:
        """Requests per second counting until the work after their acks was done too."""
        total = self.elapsed_s + self.settle_s
        return len(self.latencies_ms) / total if total else 0.0

    @property
    def settled_cpu_ms(self) -> float:
        """Server CPU time per request, the work after the acks included."""
        cpu = self.server_cpu_s + self.settle_cpu_s
        return cpu * 1000 / len(self.latencies_ms) if self.latencies_ms else 0.0


def ok_200(status: int, body: bytes) -> bool:
    return status == 200


def run(url: str, requests: Sequence[Prepared], concurrency: int, check: Check = ok_200) -> Run:
    """Send every request once, `concurrency` at a time; the clock runs from the first send
    to the last answer. Answers that fail `check` are kept in `errors` (their latency counts:
    Slack waited for them too); if every one fails, the run is no benchmark and raises."""
    parts = urllib.parse.urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"load goes to 127.0.0.1 only, not {host}")
    next_index = itertools.count().__next__  # atomic under the GIL: each index is sent once
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors: list[str] = []
    start = threading.Barrier(concurrency + 1)

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.connect()
        mine = latencies[slot]
        start.wait()
        try:
            while (i := next_index()) < len(requests):
                request = requests[i]
                t0 = time.perf_counter()
                try:
                    conn.request("POST", path, body=request.body, headers=request.headers)
                    response = conn.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    errors.append(f"request {i}: {exc.__class__.__name__}: {exc}")
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                    continue
                mine.append((time.perf_counter() - t0) * 1000)
                if not check(response.status, body):
                    errors.append(f"request {i}: HTTP {response.status} {body[:200]!r}")
        finally:
            conn.close()

    threads = [
        threading.Thread(target=worker, args=(slot,), name=f"load-{slot}", daemon=True)
        for slot in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    result = Run(concurrency, time.perf_counter() - t0, [x for xs in latencies for x in xs], errors)
    if len(errors) == len(requests):
        raise RuntimeError(f"all {len(requests)} requests failed; first: {errors[0]}")
    return result
