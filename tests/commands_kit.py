"""The slash-command tests' kit: the small fixture roadmap, and checks of what a command answers.

Shared by tests/test_commands.py and test_commands_ask.py; the `small` fixture (the real app
on the small roadmap) is in conftest.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bot.cli.sandbox import Sandbox
from bot.cli.signed import Reply
from bot.core.roadmap_load import load
from tests.blockkit import assert_valid_message
from tests.paths import FIXTURES

SMALL = FIXTURES / "roadmap_commands.yaml"
MEMBER = "U0MEMBER1"


def monday(path: Path, week: int, hour: int = 10) -> dt.datetime:
    """10:00 local on the Monday of slot `week` (1-based; 0 or less is before the start)."""
    schedule = load(path).schedule
    day = schedule.start + dt.timedelta(weeks=week - 1)
    return dt.datetime.combine(day, dt.time(hour, 0), schedule.tz)


def action_ids(payload: dict[str, Any]) -> list[str]:
    out = []
    for block in payload.get("blocks") or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            out.append(element["action_id"])
        if block.get("accessory", {}).get("action_id"):
            out.append(block["accessory"]["action_id"])
    return out


def buttons(payload: dict[str, Any]) -> dict[str, str]:
    """action_id -> value of every button."""
    found = {}
    for block in payload.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element.get("value", "")
    return found


def valid(payload: dict[str, Any]) -> dict[str, Any]:
    """A message Slack would take: Block Kit, limits, fallback text, distinct action ids."""
    assert_valid_message(payload)
    ids = action_ids(payload)
    assert len(ids) == len(set(ids)), f"duplicate action ids {ids}"
    return payload


def answer(reply: Reply) -> dict[str, Any]:
    """The ack body of a slash command: an ephemeral, valid message."""
    assert reply.status == 200, reply.text
    body = reply.json()
    valid(body)
    assert body.get("response_type") == "ephemeral", body
    return body


def responses(box: Sandbox, count: int) -> list[dict[str, Any]]:
    """What the app sent to response_url (after an ack), each checked."""
    calls = box.slack.wait_for("response_url", count)
    out = []
    for call in calls:
        params = {k: v for k, v in call.params.items() if k != "_key"}
        valid(params)
        out.append(params)
    return out


SUBMIT = "member_ask"  # the /ask form's callback id


def form(
    question: str | None, topic: str | None = None, anonymous: bool = False
) -> dict[str, dict[str, dict[str, Any]]]:
    """view.state.values as Slack sends them for the /ask form."""
    return {
        "question": {"question": {"type": "plain_text_input", "value": question}},
        "topic": {
            "topic": {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": topic}, "value": topic}
                if topic
                else None,
            }
        },
        "anonymous": {
            "anonymous": {
                "type": "checkboxes",
                "selected_options": [{"value": "anonymous"}] if anonymous else [],
            }
        },
    }
