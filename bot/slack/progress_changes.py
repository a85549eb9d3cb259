"""Ticking a topic done or undoing it, answered with the member's progress (/progress, buttons)."""

from __future__ import annotations

from typing import Any

from bot.core import progress as ticks
from bot.core.deps import Deps
from bot.core.roadmap import Topic
from bot.slack.render.progress import progress_changed


def change_progress(deps: Deps, user: str, topic: Topic, tick: bool) -> dict[str, Any]:
    """Tick or untick `topic` for `user`; the message saying what happened."""
    db = deps.db
    if tick:
        changed = ticks.mark_done(db, user, topic.id, deps.now())
    else:
        changed = ticks.undo(db, user, topic.id)
    done = ticks.done_topics(db, user)
    cal = deps.calendar()
    return progress_changed(deps.roadmap, cal, topic, done, ticked=tick, changed=changed)
