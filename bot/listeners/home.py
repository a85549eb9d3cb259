"""The App Home tab and the newcomer's welcome."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack


def home_opened(ack: Ack, event: dict[str, Any], context: dict[str, Any]) -> None:
    ack()


def member_joined(ack: Ack, event: dict[str, Any], context: dict[str, Any]) -> None:
    ack()
