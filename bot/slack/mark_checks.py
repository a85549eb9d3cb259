"""✅ marks waiting for an organizer check, settled by asking Slack who organizes (users.info)."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.core import marks
from bot.core.deps import Deps
from bot.slack.organizers import is_organizer


def verify_marks(deps: Deps, client: WebClient) -> None:
    """Decide the marks still waiting for an organizer check (users.info, cached)."""
    since = marks.since_checked(deps.now())
    for user in marks.marks_to_verify(deps.db, since):
        marks.set_organizer(deps.db, user, is_organizer(deps.settings, client, user))
