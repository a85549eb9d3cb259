"""manifest.yml lists exactly the commands and events create_app registers."""

from __future__ import annotations

import yaml

from bot.slack.app import routes, subscribed_events
from bot.slack.manifest import BOT_SCOPES
from tests.conftest import ROOT


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_commands_match():
    commands = manifest()["features"]["slash_commands"]
    assert {c["command"] for c in commands} == set(routes().commands)
    for c in commands:
        assert c["description"] and "usage_hint" in c, c


def test_events_match():
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    # message.channels / message.groups arrive as `message` events
    assert {e.split(".")[0] for e in events} == subscribed_events()


def test_interactivity_and_home_enabled():
    m = manifest()
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert "commands" in m["oauth_config"]["scopes"]["bot"]


def test_doctor_expects_exactly_the_manifests_bot_scopes():
    assert list(BOT_SCOPES) == manifest()["oauth_config"]["scopes"]["bot"]
