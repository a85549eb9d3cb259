"""/studygroup: the organizers' controls (status, skip, extend, pause, resume, post, channel)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack


def studygroup(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    ack(text="This command is coming soon.", response_type="ephemeral")
