"""What the archive takes from the study channel: which message is a question, an answer, an edit or a deletion."""

from __future__ import annotations

from bot.core.text import plain
from bot.core.words import without_controls


def is_question(text: str, prefix: str | None = "Q:") -> bool:
    """A question mark outside links and mentions, or the configured prefix at the start."""
    words = without_controls(text)
    if "?" in words or "？" in words:
        return True
    if prefix and prefix.strip():
        return plain(text or "").lstrip().lower().startswith(prefix.strip().lower())
    return False
