"""The router's tables: every id the renderers put on a button or form is routed, once."""

from __future__ import annotations

import re

import pytest

from bot.slack.app import routes, wire
from bot.slack.organizer_controls import CONTROLS
from bot.slack.render import ids
from bot.slack.render.qa import MARK_ANSWERED, MOVE_VIEW, WRONG_TOPIC
from bot.slack.routes import Routes

ACTIONS, VIEWS = routes().actions, routes().views


def routed(action_id: str) -> bool:
    return action_id in ACTIONS or any(
        isinstance(key, re.Pattern) and key.search(action_id) for key in ACTIONS
    )


@pytest.mark.parametrize(
    "action_id",
    [
        ids.DONE,
        f"{ids.DONE}:pca",
        ids.UNDO,
        ids.RESOURCES,
        f"{ids.RESOURCES}:2",
        ids.SHARE,
        ids.ROADMAP,
        f"{ids.ROADMAP}:next",
        ids.HOME_DONE,
        ids.HOME_RESOURCES,
        ids.HOME_ASK,
        MARK_ANSWERED,
        f"{WRONG_TOPIC}:12",
        *(ids.HOME_ADMIN + word for word in CONTROLS),
    ],
)
def test_every_button_the_renderers_make_is_routed(action_id: str) -> None:
    assert routed(action_id)


@pytest.mark.parametrize("action_id", [f"{ids.HOME_ADMIN}status", f"{ids.HOME_ADMIN}post"])
def test_the_home_tab_offers_only_the_calendar_changes(action_id: str) -> None:
    assert not routed(action_id)


def test_the_ask_form_is_routed() -> None:
    assert ids.ASK_VIEW in VIEWS


def test_the_move_form_is_routed() -> None:
    assert MOVE_VIEW in VIEWS


def test_every_kind_of_request_has_a_fallback() -> None:
    assert set(wire().fallbacks) == {"command", "event", "action", "view"}


def test_a_name_is_routed_once() -> None:
    routes = Routes()
    routes.command("/probe", print)
    with pytest.raises(ValueError, match="routed twice"):
        routes.command("/probe", repr)
