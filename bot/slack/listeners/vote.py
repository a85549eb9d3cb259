"""The pace vote's buttons: Yes/No on the mid-week nudge, and the organizers' Veto."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.core import pace_vote
from bot.core.calendar import Week
from bot.core.deps import Deps
from bot.slack import pace
from bot.slack.organizers import is_organizer
from bot.slack.render import vote as render
from bot.slack.render.ids import PACE_VETO, PACE_VOTE
from bot.slack.routes import Routes

log = logging.getLogger(__name__)


def _clicked(body: dict[str, Any]) -> tuple[str, str, str]:
    """(user id, the button's action id, its value: the week's key)."""
    action = (body.get("actions") or [{}])[0]
    user = str((body.get("user") or {}).get("id") or "")
    return user, str(action.get("action_id") or ""), str(action.get("value") or "")


def _week(deps: Deps, key: str) -> Week | None:
    """The calendar week a button names by its key (its start date), if it is one."""
    try:
        start = dt.date.fromisoformat(key)
    except ValueError:
        return None
    week = deps.calendar().week_of(start)
    return week if week.start == start else None


def _private(respond: Respond, message: dict[str, Any], replace: bool = False) -> None:
    # Never replace the nudge itself: the receipt is the member's alone.
    respond(dict(message, response_type="ephemeral", replace_original=replace))


def vote(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """Yes or No on the nudge: counted once per member (a change replaces it)."""
    ack()
    deps: Deps = context["deps"]
    user, action_id, key = _clicked(body)
    choice = action_id.removeprefix(PACE_VOTE)
    week = _week(deps, key)
    if not user or choice not in pace_vote.CHOICES or week is None or week.topic is None:
        _private(respond, render.closed(week.study_week if week else None))
        return
    if not pace_vote.is_on(deps.db):
        _private(respond, render.off())
        return
    if not pace_vote.asked(deps.db, deps.calendar(), week):
        # A crafted click, or an old nudge: counting it could pass a vote nobody was asked.
        _private(respond, render.not_asked(week.study_week))
        return
    schedule = deps.roadmap.schedule
    try:
        got = pace_vote.cast(
            deps.db,
            week,
            user,
            "yes" if choice == "yes" else "no",
            schedule.vote,
            deps.now(),
            pace_vote.voting_ends(schedule, week),
        )
    except pace_vote.VotingClosed:
        _private(respond, render.closed(week.study_week))
        return
    _private(respond, render.counted(got.choice, got.previous, got.tally))
    if got.previous != got.choice:
        pace.refresh_nudge(deps, client, week)
    if got.passed_now:
        pace.tell_organizers(deps, client, week, got.tally)


def veto(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """An organizer's one-click veto, until the recap decides the week."""
    ack()  # checking the organizer may ask Slack (users.info): answer after the ack
    deps: Deps = context["deps"]
    user, _, key = _clicked(body)
    if not is_organizer(deps.settings, client, user):
        _private(respond, render.veto_refused())
        return
    week = _week(deps, key)
    result = pace_vote.veto(deps.db, key, user, deps.now())
    title = week.topic.title if week and week.topic else None
    answer = render.veto_answer(result, title, week.study_week if week else None)
    _private(respond, answer, replace=result.status == "vetoed")


def register(routes: Routes) -> None:
    routes.action(re.compile(rf"^{PACE_VOTE}({'|'.join(pace_vote.CHOICES)})$"), vote)
    routes.action(PACE_VETO, veto)
