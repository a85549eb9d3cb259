"""Block Kit building blocks: pure functions returning dicts, within Slack's limits."""

from __future__ import annotations

from typing import Any

from bot.core.text import escape, plain, truncate

__all__ = [
    "escape",
    "plain",
    "fallback",
    "truncate",
    "header",
    "section",
    "sections",
    "context",
    "divider",
    "button",
    "actions",
    "message",
    "fit",
    "truncate",
    "progress_bar",
    "usage_card",
]

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTION_ELEMENTS = 25
MAX_FALLBACK_TEXT = 3000
MAX_BUTTON_VALUE = 2000


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, MAX_HEADER_TEXT), "emoji": True},
    }


def section(text: str, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)},
    }
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def sections(text: str) -> list[Block]:
    """Long mrkdwn split at line breaks into as many sections as it needs."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = truncate(line, MAX_SECTION_TEXT)
        if current and len(current) + 1 + len(line) > MAX_SECTION_TEXT:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return [section(chunk) for chunk in chunks]


def context(*texts: str) -> Block:
    elements = [{"type": "mrkdwn", "text": truncate(t, MAX_SECTION_TEXT)} for t in texts if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    style: str | None = None,
    url: str | None = None,
) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value[:MAX_BUTTON_VALUE]
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:MAX_ACTION_ELEMENTS]}
    if block_id:
        block["block_id"] = block_id
    return block


def fit(
    blocks: list[Block], limit: int = MAX_MESSAGE_BLOCKS, more: str | None = None
) -> list[Block]:
    """Keep at most `limit` blocks; the last one says what was left out."""
    if len(blocks) <= limit:
        return blocks
    note = more or f"…and {len(blocks) - limit + 1} more not shown here."
    return [*blocks[: limit - 1], context(note)]


def fallback(text: str) -> str:
    """mrkdwn as a message's plain fallback: `plain()`, with a `<` a member typed (sent as
    `&lt;`) kept escaped, because Slack reads the fallback as mrkdwn too: a literal
    `<!channel>` in it would ping the channel."""
    return plain(text).replace("<", "&lt;")


def message(text: str, blocks: list[Block] | None = None, **extra: Any) -> dict[str, Any]:
    """A message payload: blocks plus the plain-text fallback every message must carry."""
    payload: dict[str, Any] = {"text": truncate(text, MAX_FALLBACK_TEXT)}
    if blocks:
        payload["blocks"] = fit(blocks)
    payload.update(extra)
    return payload


def progress_bar(done: int, total: int, width: int = 20) -> str:
    """`▓▓▓▓░░░░ 4/10 (40%)` — plain characters that render anywhere."""
    total = max(total, 0)
    filled = round(width * done / total) if total else 0
    percent = round(100 * done / total) if total else 0
    return f"{'▓' * filled}{'░' * (width - filled)} {done}/{total} ({percent}%)"


def usage_card(
    command: str, lines: list[tuple[str, str]], problem: str | None = None
) -> dict[str, Any]:
    """A short, ephemeral help card: what went wrong (if anything) and how to call the command."""
    # escape() leaves entities as they are, so callers may pass text escaped already or not.
    lines = [(escape(usage), escape(what)) for usage, what in lines]
    problem = escape(problem) if problem else problem
    body = "\n".join(
        f"`{command}{(' ' + usage) if usage else ''}` — {what}" for usage, what in lines
    )
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f":warning: {problem}"))
    blocks.append(section(f"*How to use `{command}`*\n{body}"))
    fallback = (
        (f"{problem} " if problem else "")
        + f"Usage: {command} "
        + "; ".join(u for u, _ in lines if u)
    )
    return message(fallback, blocks, response_type="ephemeral")
