"""`studybot post weekly|nudge|recap [--force]`: send this week's post now, through the scheduler's path."""

from __future__ import annotations

import sys

from bot.core.clock import SystemClock
from bot.core.deps import Deps
from bot.core.settings import ConfigError, Settings
from bot.slack.delivery import SlackPoster, deliver
from bot.slack.render.posts import describe

# 0: the post is in the channel (sent now, earlier, or by another process right now);
# 1: nothing was sent (failed: the organizers were told and the scheduler retries; or no topic
#    this week); 2: configuration error (raised as ConfigError, turned into 2 by the CLI).
EXIT_OK, EXIT_NOT_SENT = 0, 1


def post(settings: Settings, kind: str, force: bool = False) -> int:
    settings.require("bot_token")
    from bot.cli.main import open_deps_or_exit
    from bot.slack.client import web_client

    pool, roadmaps = open_deps_or_exit(settings)
    try:
        deps = Deps(settings=settings, pool=pool, roadmaps=roadmaps, clock=SystemClock())
        if not deps.channel:
            raise ConfigError("STUDYBOT_CHANNEL", "is required (the channel that gets the posts)")
        outcome = deliver(deps, SlackPoster(web_client(settings)), kind, force=force)
    finally:
        pool.close()
    print(describe(outcome), file=sys.stdout if outcome.ok else sys.stderr)
    return EXIT_OK if outcome.ok else EXIT_NOT_SENT
