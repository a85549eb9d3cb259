"""The study-buddy and discussion-lead tests' kit: a group of members on the Los Angeles fixture
roadmap, organizer commands, and what was DMed.

Shared by tests/test_buddies.py and tests/test_lead.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

from bot.cli.sandbox import Sandbox
from bot.core.clock import ManualClock
from tests.blockkit import all_text, assert_valid_message
from tests.commands_kit import answer
from tests.posts_kit import ADMIN, LA

PEOPLE = tuple(f"U0PEOPLE{i:02d}" for i in range(1, 10))


def open_box(path: Path, clock: ManualClock) -> Sandbox:
    """The app on the LA roadmap with one organizer (STUDYBOT_ADMINS) and the PEOPLE known."""
    box = Sandbox(roadmap_path=LA, db_path=path, clock=clock, admins=(ADMIN,))
    box.slack.add_user(ADMIN)
    for user in PEOPLE:
        box.slack.add_user(user)
    return box


def boxed(path: Path, clock: ManualClock) -> Iterator[Sandbox]:
    with open_box(path, clock) as box:
        yield box


def command(box: Sandbox, name: str, text: str, user: str) -> dict[str, Any]:
    """A member command's ack (ephemeral, valid)."""
    return answer(box.client.command(name, text, user=user, channel=box.channel))


def organizer(box: Sandbox, text: str, user: str = ADMIN) -> dict[str, Any]:
    """/studygroup's answer (after the ack, through response_url)."""
    before = len(box.slack.calls_to("response_url"))
    reply = box.client.command("/studygroup", text, user=user, channel=box.channel)
    assert reply.status == 200
    payload = dict(box.slack.wait_for("response_url", before + 1)[before].params)
    payload.pop("_key", None)
    assert_valid_message(payload)
    return payload


def text_of(payload: dict[str, Any]) -> str:
    return str(payload.get("text", "")) + "\n" + all_text(payload)


def group_dms(box: Sandbox) -> list[tuple[list[str], dict[str, Any]]]:
    """Every group DM the bot sent: its members (from conversations.open) and the message."""
    out = []
    for call in box.slack.posts():
        channel = str(call.get("channel", ""))
        if channel in box.slack.group_dms:
            assert_valid_message(call.params)
            out.append((box.slack.group_dms[channel], call.params))
    return out


def dms_to(box: Sandbox, user: str) -> list[dict[str, Any]]:
    """The bot's direct messages to one member."""
    return [c.params for c in box.slack.posts(user)]


def pairs(groups: list[list[str]]) -> list[frozenset[str]]:
    """Every two members who were in a group together, once per group."""
    return [frozenset(p) for g in groups for p in combinations(sorted(g), 2)]


def mondays(start: dt.datetime, count: int, hour: int = 12) -> list[dt.datetime]:
    """Noon on `count` Mondays from the week of `start` (after each weekly post)."""
    first = start.replace(hour=hour, minute=0) - dt.timedelta(days=start.weekday())
    return [first + dt.timedelta(weeks=i) for i in range(count)]
