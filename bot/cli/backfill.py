"""`studybot backfill`: import the channel's past questions and answers, the way live events are."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.core import ingest
from bot.core.clock import Clock, SystemClock
from bot.core.db import transaction
from bot.core.deps import Deps
from bot.core.format import plural
from bot.core.settings import ConfigError, Settings
from bot.slack.mark_checks import verify_marks
from bot.slack.render import blocks as bk

log = logging.getLogger(__name__)

PAGE = 200
MAX_DAYS = 36_500


@dataclass
class Tally:
    outcomes: dict[str, int] = field(default_factory=dict)
    messages: int = 0

    def add(self, outcome: str) -> None:
        self.messages += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def summary(self) -> str:
        got = self.outcomes.get
        return (
            f"Backfill: {plural(self.messages, 'message')} read; "
            f"{plural(got('question', 0), 'new question')}, "
            f"{plural(got('answer', 0), 'new answer')}, {got('known', 0)} already archived."
        )


def command(
    settings: Settings,
    days: int = 90,
    *,
    clock: Clock | None = None,
    err: TextIO | None = None,
) -> int:
    """Exit 0 when done, 1 when Slack refused (the reason on one line)."""
    from bot.cli.main import open_deps_or_exit
    from bot.slack.client import import_client

    err = err or sys.stderr
    settings.require("bot_token")
    if not 1 <= days <= MAX_DAYS:
        # Past a century the date would leave what datetime can hold (a traceback), and
        # Slack's history does not reach that far anyway: a usage error, not a silent clamp.
        print(
            f"studybot: --days must be between 1 and {MAX_DAYS} (100 years: the whole history)",
            file=err,
        )
        return 2
    pool, roadmaps = open_deps_or_exit(settings)
    try:
        deps = Deps(settings=settings, pool=pool, roadmaps=roadmaps, clock=clock or SystemClock())
        if not deps.channel:
            raise ConfigError("STUDYBOT_CHANNEL", "is required (the channel to import)")
        try:
            tally = run(deps, import_client(settings), days=days, err=err)
        except SlackApiError as exc:
            print(f"\nstudybot: Slack refused: {exc.response.get('error')}", file=err)
            return 1
        except (OSError, http.client.HTTPException) as exc:
            # Slack unreachable after the client's own retries: what was read is kept, and a
            # second run picks up where this one stopped.
            print(
                f"\nstudybot: cannot reach Slack ({exc.__class__.__name__}); run again later",
                file=err,
            )
            return 1
    finally:
        pool.close()
    print(tally.summary(), file=err)
    return 0


def run(deps: Deps, client: WebClient, *, days: int, err: TextIO) -> Tally:
    """Read the history, then each thread, recording every message as a live event would be."""
    channel = deps.channel
    assert channel
    oldest = deps.now() - dt.timedelta(days=days)
    print(f"Reading the history of {channel} (last {plural(days, 'day')})…", file=err)
    with _progress(err, None, "messages") as reading:
        found = []
        for message in _history(client, channel, oldest):
            found.append(message)
            reading.update(1)
    top = sorted(found, key=lambda m: float(m["ts"]))
    tally = Tally()
    with _progress(err, len(top), "threads") as threads:
        for message in top:
            thread = [message]
            if message.get("reply_count") or message.get("thread_ts") == message["ts"]:
                replies = _thread_replies(client, channel, message["ts"])
                if replies is None:  # deleted since the history was read: not imported
                    threads.update(1)
                    continue
                thread += replies
            # One transaction per thread: a question and its answers land together.
            with transaction(deps.db):
                for item in thread:
                    tally.add(ingest.record_history(deps, channel, item))
            threads.update(1)
    verify_marks(deps, client)
    return tally


def _thread_replies(client: WebClient, channel: str, ts: str) -> list[dict[str, Any]] | None:
    """The replies in the thread under `ts`, or None when the thread was deleted since the
    history was read (one vanished thread is no reason to stop the import)."""
    try:
        return [m for m in _replies(client, channel, ts) if m["ts"] != ts]
    except SlackApiError as exc:
        if exc.response.get("error") != "thread_not_found":
            raise
    log.warning("thread %s was deleted while the history was read; skipped", ts)
    return None


def _messages(response: SlackResponse) -> Iterator[dict[str, Any]]:
    """Every message of a paginated conversations.* call: slack_sdk's own cursor iteration
    asks for each next page (and its retry handlers wait out 429s)."""
    for page in response:
        for message in page.get("messages") or ():
            if isinstance(message, dict) and isinstance(message.get("ts"), str):
                yield message


def _history(client: WebClient, channel: str, oldest: dt.datetime) -> Iterator[dict[str, Any]]:
    return _messages(
        client.conversations_history(
            channel=channel, oldest=f"{oldest.timestamp():.6f}", limit=PAGE
        )
    )


def _replies(client: WebClient, channel: str, ts: str) -> Iterator[dict[str, Any]]:
    return _messages(client.conversations_replies(channel=channel, ts=ts, limit=PAGE))


class _Lines:
    """Progress as plain lines (a log file, a pipe): one at each tenth of the way, and the
    last; with no total, one line at the end."""

    def __init__(self, err: TextIO, total: int | None, unit: str) -> None:
        self.err, self.total, self.unit = err, total, unit
        self.done = 0
        self.said = -1

    def update(self, n: int) -> None:
        self.done += n
        if self.total:
            tenth = self.done * 10 // self.total
            if tenth > self.said:
                self.said = tenth
                print(f"{bk.progress_bar(self.done, self.total)} {self.unit}", file=self.err)

    def close(self) -> None:
        if self.total is None:
            print(f"{self.done} {self.unit} read", file=self.err)


@contextlib.contextmanager
def _progress(err: TextIO, total: int | None, unit: str) -> Iterator[Any]:
    """A progress bar with rate and ETA (tqdm) when `err` is a terminal, else plain lines.
    Log lines printed meanwhile go above the bar instead of through it."""
    if not err.isatty():
        lines = _Lines(err, total, unit)
        yield lines
        lines.close()
        return
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    with (
        tqdm(total=total, file=err, unit=unit.rstrip("s"), desc=unit.capitalize()) as bar,
        logging_redirect_tqdm(),
    ):
        yield bar
