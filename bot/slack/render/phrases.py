"""Small phrases every member message uses: a topic named, a list of topics, bullets."""

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


def names(topics: Sequence[Topic], limit: int = 5) -> str:
    """The first `limit` topics named, and how many more."""
    shown = ", ".join(topic_ref(t) for t in topics[:limit])
    return shown + (f" and {len(topics) - limit} more" if len(topics) > limit else "")
