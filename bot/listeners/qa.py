"""The Q&A archive's listeners: channel messages and reactions recorded, /qa, "Mark answered"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.deps import Deps


def record(deps: Deps, event: dict[str, Any]) -> None:
    """Runs inside the event-dedupe transaction, before the ack: the archive's writes."""


def on_message(ack: Ack, event: dict[str, Any], context: dict[str, Any]) -> None:
    """After the ack: replies such as "asked before"."""
    ack()


def on_reaction(ack: Ack) -> None:
    ack()


def qa_command(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    ack(text="This command is coming soon.", response_type="ephemeral")
