"""`studybot post weekly|nudge|recap [--force]`: send this week's post now, through the scheduler's path."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from slack_sdk import WebClient

from bot.core.clock import SystemClock
from bot.core.deps import Deps
from bot.core.format import plural
from bot.core.settings import ConfigError, Settings
from bot.slack.delivery import SlackPoster, deliver
from bot.slack.render.posts import describe

log = logging.getLogger(__name__)

# 0: the post is in the channel (sent now, earlier, or by another process right now);
# 1: nothing was sent (failed, or no topic this week); 2: configuration error (raised as
#    ConfigError, turned into 2 by the CLI).
EXIT_OK, EXIT_NOT_SENT = 0, 1
RETRY = (
    "If `studybot run` is running, it retries this week's post by itself; if not, run this "
    "command again once Slack is reachable."
)


class TellingPoster(SlackPoster):
    """The scheduler's poster, keeping who the failure DM reached: this command says so,
    rather than assume it (Slack may be what is down)."""

    def __init__(self, client: WebClient) -> None:
        super().__init__(client)
        self.asked: list[str] = []
        self.told: list[str] = []

    def notify(self, users: Sequence[str], text: str) -> None:
        for user in users:
            self.asked.append(user)
            try:
                self.client.chat_postMessage(channel=user, text=text)
                self.told.append(user)
            except Exception as exc:
                log.warning("could not tell %s: %s", user, exc.__class__.__name__)


def who_was_told(admins: Sequence[str], poster: TellingPoster) -> str:
    """What became of the organizers' DM about a failed post, in one sentence."""
    if not admins:
        return "No organizer is configured (STUDYBOT_ADMINS), so nobody was told."
    if not poster.asked:
        return "The organizers were sent a DM about this post when it first failed."
    if len(poster.told) == len(poster.asked):
        return f"{plural(len(poster.told), 'organizer')} got a DM about it."
    if poster.told:
        missed = len(poster.asked) - len(poster.told)
        return (
            f"{plural(len(poster.told), 'organizer')} got a DM about it; "
            f"the DM to {plural(missed, 'other')} did not go through."
        )
    return "The organizers could not be told either: Slack did not take the DM."


def post(settings: Settings, kind: str, force: bool = False) -> int:
    settings.require("bot_token")
    from bot.cli.main import open_deps_or_exit
    from bot.slack.client import web_client

    pool, roadmaps = open_deps_or_exit(settings)
    try:
        deps = Deps(settings=settings, pool=pool, roadmaps=roadmaps, clock=SystemClock())
        if not deps.channel:
            raise ConfigError("STUDYBOT_CHANNEL", "is required (the channel that gets the posts)")
        poster = TellingPoster(web_client(settings))
        outcome = deliver(deps, poster, kind, force=force)
    finally:
        pool.close()
    after = f"{who_was_told(settings.admins, poster)} {RETRY}"
    print(describe(outcome, after_failure=after), file=sys.stdout if outcome.ok else sys.stderr)
    return EXIT_OK if outcome.ok else EXIT_NOT_SENT
