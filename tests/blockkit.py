"""Check messages and views against slack_sdk's Block Kit models and Slack's limits."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100


def _blocks(items: Any) -> list[dict[str, Any]]:
    return json.loads(items) if isinstance(items, str) else list(items or [])


def assert_valid_blocks(items: Any, limit: int) -> list[dict[str, Any]]:
    blocks = _blocks(items)
    assert len(blocks) <= limit, f"{len(blocks)} blocks > {limit}"
    for block in blocks:
        model = Block.parse(block)
        assert model is not None, f"unknown block {block}"
        model.validate_json()  # raises SlackObjectFormationError on any limit
        assert model.to_dict() == block or block.get("type") in ("rich_text",), (
            f"block does not round-trip through slack_sdk:\n{block}\n{model.to_dict()}"
        )
    return blocks


def assert_valid_message(payload: dict[str, Any]) -> dict[str, Any]:
    """A message (ack body, chat.postMessage/postEphemeral params, response_url body)."""
    text = payload.get("text")
    assert isinstance(text, str) and text.strip(), f"no plain-text fallback: {payload}"
    assert len(text) <= 40_000
    assert_valid_blocks(payload.get("blocks"), MESSAGE_BLOCKS)
    return payload


def assert_valid_view(view: Any) -> dict[str, Any]:
    view = json.loads(view) if isinstance(view, str) else dict(view)
    model = View(**view)
    model.validate_json()
    assert_valid_blocks(view.get("blocks"), VIEW_BLOCKS)
    return view


def all_text(payload: Any) -> str:
    """Every piece of text in a message or view, for 'the user would see X' assertions."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    out.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str) and node.startswith("[{"):
            walk(json.loads(node))

    walk(payload)
    return "\n".join(out)
