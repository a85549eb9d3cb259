"""The hardening tests' kit (security, bad input): a week-3 clock, hostile texts, ping checks."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from bot.cli.standin import Call
from bot.core.clock import ManualClock
from bot.core.roadmap_load import load
from tests.paths import ROADMAP

# Sequences that notify people when they reach Slack unescaped in a message or view.
# (<!date^…> is a date formatted for the reader: it notifies nobody.)
PING = re.compile(r"<(?:@|!(?!date\^))")
HOSTILE_TEXTS = (
    "<!channel> urgent, everyone look",
    "<!here|@here> please",
    "<!everyone>",
    "<!subteam^S0ADMINS|@admins> ping",
    "<@U0VICTIM1> and <@U0VICTIM2|victim>",
    "<#C0SECRET1|secret-channel>",
    "&lt;!channel&gt; literally typed",
    "<<!channel>> nested <!here",
    "*bold* _it_ ~s~ `code` ```block``` > quote",
    "<https://evil.example/|click me> <javascript:alert(1)|js>",
)


def week3_clock() -> ManualClock:
    """Monday of the roadmap's week 3 at 10:00 in its timezone (as tests/conftest.py's clock)."""
    schedule = load(ROADMAP).schedule
    start = dt.datetime.combine(schedule.start + dt.timedelta(weeks=2), dt.time(10, 0), schedule.tz)
    return ManualClock(start)


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value (JSON strings are decoded and walked too)."""
    if isinstance(value, str):
        if value[:1] in "[{":
            try:
                yield from strings(json.loads(value))
                return
            except ValueError:
                pass
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def posted_texts(calls: Iterable[Call]) -> list[str]:
    """The member-visible strings of every message and view the bot sent to Slack."""
    keys = ("text", "blocks", "attachments", "view")
    return [s for c in calls for k in keys if k in c.params for s in strings(c.params[k])]


def assert_no_pings(calls: Iterable[Call], allowed: Iterable[str] = ()) -> None:
    """No message or view the bot sent can notify anyone: no <!…> or <@…> control sequences
    (except mentions of `allowed` user IDs, which the bot adds itself), no link_names/parse=full."""
    calls = list(calls)
    allowed_mentions = {f"<@{u}>" for u in allowed}
    for call in calls:
        assert str(call.params.get("link_names", "")).lower() not in ("1", "true"), call.params
        assert call.params.get("parse") != "full", call.params
    for text in posted_texts(calls):
        cleaned = text
        for mention in allowed_mentions:
            cleaned = cleaned.replace(mention, "")
        assert not PING.search(cleaned), f"re-posted text can ping: {text!r}"
