"""What the Slack app is installed with (manifest.yml): the bot scopes `studybot doctor` expects."""

from __future__ import annotations

# manifest.yml's oauth_config.scopes.bot, in its order; tests/test_manifest.py holds them equal.
BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "reactions:read",
    "users:read",
    "im:write",
    "mpim:write",  # the study buddies' group DMs (conversations.open with several members)
    "files:write",
)
