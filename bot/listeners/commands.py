"""Slash commands members use: /nexttopic, /resources, /roadmap, /progress, /ask."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import views
from bot.deps import Deps


def next_topic(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    deps: Deps = context["deps"]
    cal, week = deps.this_week()
    ack(**views.next_topic(deps.roadmap, cal, week))


def _soon(ack: Ack) -> None:
    ack(text="This command is coming soon.", response_type="ephemeral")


def resources(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    _soon(ack)


def roadmap(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    _soon(ack)


def progress(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    _soon(ack)


def ask(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    _soon(ack)
