"""The fallbacks: what answers events, commands and interactions that no other listener takes."""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.render.blocks import escape
from bot.slack.routes import Routes

log = logging.getLogger(__name__)


def ignore(ack: Any) -> None:
    """Events the bot subscribes to but has nothing to do with still get a 2xx."""
    ack()


def unknown_command(ack: Any, command: dict[str, Any]) -> None:
    """A command the manifest no longer lists (an old app config): say so rather than fail."""
    name = str(command.get("command") or "this command")
    text = f"Sorry, I don't know `{name}`. Try `/nexttopic`, `/resources`, `/roadmap`, `/progress`, `/ask` or `/qa`."
    ack(text=escape(text), response_type="ephemeral")


def unknown_interaction(ack: Any) -> None:
    """A button or form from an older message: acknowledged, so Slack shows no error."""
    ack()


def register(routes: Routes) -> None:
    """Every kind of request gets an answer, or Slack keeps re-delivering it (or shows an error)."""
    routes.fallback("event", ignore)
    routes.fallback("command", unknown_command)
    routes.fallback("action", unknown_interaction)
    routes.fallback("view", unknown_interaction)
