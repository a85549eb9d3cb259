"""Block Kit → readable terminal text, for the console."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from bot.core.text import plain

WIDTH = 78


def mrkdwn(text: str) -> str:
    """Slack mrkdwn as plain terminal text: links shown with their label, entities decoded."""
    text = re.sub(r"(?<![\w*])\*(\S[^*\n]*?)\*(?![\w*])", r"\1", text)
    return plain(text)


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        wrapped = textwrap.wrap(line, WIDTH - len(indent), replace_whitespace=False) or [""]
        lines.extend(indent + w for w in wrapped)
    return lines


def _text_of(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    return mrkdwn(obj.get("text", "")) if obj.get("type") == "mrkdwn" else obj.get("text", "")


def _element(element: dict[str, Any], buttons: list[dict[str, Any]] | None) -> str:
    kind = element.get("type")
    if kind == "button":
        label = _text_of(element.get("text"))
        if buttons is not None and not element.get("url"):
            buttons.append(element)
            return f"[{len(buttons)}: {label}]"
        return f"[{label}]"
    if kind in (
        "static_select",
        "external_select",
        "overflow",
        "users_select",
        "conversations_select",
    ):
        return f"[{_text_of(element.get('placeholder')) or 'choose…'} ▾]"
    if kind in ("mrkdwn", "plain_text"):
        return _text_of(element)
    if kind == "image":
        return f"(image: {element.get('alt_text', '')})"
    return f"({kind})"


def blocks(items: list[dict[str, Any]], buttons: list[dict[str, Any]] | None = None) -> list[str]:
    """Render blocks to lines; buttons found are numbered and appended to `buttons`."""
    out: list[str] = []
    for block in items:
        kind = block.get("type")
        if kind == "header":
            title = _text_of(block.get("text"))
            out += [title, "═" * min(len(title), WIDTH)]  # as Slack shows it, not shouted
        elif kind == "section":
            if block.get("text"):
                out += _wrap(_text_of(block["text"]))
            for field in block.get("fields", []):
                out += _wrap(_text_of(field), "  ")
            if block.get("accessory"):
                out.append("  " + _element(block["accessory"], buttons))
        elif kind == "context":
            out += _wrap(" · ".join(_element(e, None) for e in block.get("elements", [])), "  ")
        elif kind == "divider":
            out.append("─" * 40)
        elif kind == "actions":
            out += _wrap(" ".join(_element(e, buttons) for e in block.get("elements", [])), "  ")
        elif kind == "input":
            out.append(
                f"{_text_of(block.get('label'))}: {_element(block.get('element', {}), None)}"
            )
        elif kind == "rich_text":
            out += _wrap(_rich_text(block))
        else:
            out.append(f"({kind})")
    return out


def _rich_text(block: dict[str, Any]) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                parts.append(node.get("text", ""))
            for child in node.get("elements", []):
                walk(child)

    walk(block)
    return "".join(parts)


def message(payload: dict[str, Any], buttons: list[dict[str, Any]] | None = None) -> list[str]:
    """A message payload (text + blocks) as lines: blocks when present, else the text."""
    items = payload.get("blocks")
    if isinstance(items, str):
        import json

        items = json.loads(items)
    if items:
        return blocks(items, buttons)
    return _wrap(mrkdwn(payload.get("text", "")))
