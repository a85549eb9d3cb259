"""Member text as Slack sends it: made safe to re-post, turned into plain text, or read as a
number."""

from __future__ import annotations

import re

# Slack escapes &, < and > in member text; what remains in <...> is a control sequence.
_CONTROL = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt);)")
# The largest integer SQLite keeps: a bigger id names no row, and binding it overflows.
MAX_ID = 2**63 - 1


def whole_number(raw: str, most: int = MAX_ID) -> int | None:
    """`raw` (a button's value, a view's metadata, a word) as a whole number up to `most`;
    None for anything else, "²" and other non-ASCII digits included (int() refuses them)."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if number <= most else None


def from_plain(raw: str) -> str:
    """Plain text (a modal input) → Slack's wire format, so one escape() fits all sources."""
    return raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _neutral(token: str) -> str:
    """A control sequence shown as its readable label, never as a mention."""
    body, _, label = token.partition("|")
    if body.startswith("@"):  # <@U123> or <@U123|name>
        return "@" + (label or body[1:])
    if body.startswith("!subteam^"):
        return label if label.startswith("@") else "@" + (label or "group")
    if body.startswith("!date^"):
        return label or "a date"
    if body.startswith("!"):  # <!channel>, <!here>, <!everyone>
        return "@" + (label.lstrip("@") or body[1:])
    if body.startswith("#"):  # <#C123|general>
        return "#" + (label or body[1:])
    return ""


def escape(text: str) -> str:
    """Member text (Slack wire format) safe to re-post in mrkdwn: shown as written, entities
    kept (never double-escaped), links kept, mentions of people, groups and channels made inert."""
    out = []
    for i, part in enumerate(_CONTROL.split(text)):
        if i % 2 == 0:  # ordinary text: a stray bracket or bare & (malformed input) is escaped
            out.append(_ENTITY.sub("&amp;", part).replace("<", "&lt;").replace(">", "&gt;"))
        elif re.match(r"^(https?://|mailto:)[^\s|]+(\|[^<>]*)?$", part):
            url, _, label = part.partition("|")
            out.append(f"<{url}|{escape_label(label)}>" if label else f"<{url}>")
        else:
            out.append(from_plain(_neutral(part) or f"<{part}>"))
    return "".join(out)


def escape_label(label: str) -> str:
    """A link's label as Slack shows it: bare & escaped, entities kept."""
    return _ENTITY.sub("&amp;", label)


def plain(text: str) -> str:
    """Member text (Slack wire format) as a reader would see it: for Markdown and plain_text."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.startswith(("http://", "https://", "mailto:")):
            url, _, label = token.partition("|")
            return f"{label} ({url})" if label and label != url else url
        return _neutral(token) or f"<{token}>"

    text = _CONTROL.sub(replace, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def truncate(text: str, limit: int) -> str:
    """Shorten to `limit` characters with an ellipsis, never cutting an entity or link in half."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for opener, closer in (("<", ">"), ("&", ";")):
        at = cut.rfind(opener)
        if at != -1 and cut.find(closer, at) == -1:
            cut = cut[:at]
    return cut.rstrip() + "…"
