"""Small phrases every member message uses: a topic named, a count with its noun, a list of topics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core import format as fmt
from bot.core.roadmap import Topic

Block = dict[str, Any]
Message = dict[str, Any]


def topic_ref(topic: Topic) -> str:
    """*Title* (`id`): the title to read, the id to type."""
    return f"*{fmt.title(topic.title)}* (`{fmt.safe(topic.id, 60)}`)"


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {fmt.safe(item, 500)}" for item in items)


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 topic`, `3 topics` (`many`: the plural when it is not word + s: `2 tries`). The one
    place a count meets its noun: never write `{n} topics` in a message."""
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def names(topics: Sequence[Topic], limit: int = 5) -> str:
    """The first `limit` topics named, and how many more."""
    shown = ", ".join(topic_ref(t) for t in topics[:limit])
    return shown + (f" and {len(topics) - limit} more" if len(topics) > limit else "")
