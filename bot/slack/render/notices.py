"""One-line ephemeral answers shared by several commands and buttons."""

from __future__ import annotations

from bot.slack.render import blocks as bk
from bot.slack.render.phrases import Message


def no_channel() -> Message:
    text = (
        ":warning: No study channel is set up yet, so there is nowhere to post. "
        "An organizer can set one with `/studygroup channel #channel`."
    )
    return bk.message(text, [bk.section(text)], response_type="ephemeral")


def notice(text: str) -> Message:
    """A one-line ephemeral answer."""
    return bk.message(text, [bk.section(text)], response_type="ephemeral")
