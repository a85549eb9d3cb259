"""/review: a member's private spaced review (cards, grades), its daily DM, export and forget."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import review
from bot.core.deps import Deps
from bot.slack.render import review as render
from bot.slack.render.ids import (
    REVIEW_FORGET,
    REVIEW_GRADE,
    REVIEW_KEEP,
    REVIEW_SHOW,
    REVIEW_START,
)
from bot.slack.render.usage import HELP_WORDS, usage
from bot.slack.routes import Routes

log = logging.getLogger(__name__)

DEFAULT_REMINDER = dt.time(9, 0)
TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]?([0-5]\d)?$")


def member_zone(deps: Deps, user: str) -> dt.tzinfo:
    """The member's time zone as last learnt from Slack, else the roadmap's."""
    tz = review.settings(deps.db, user).tz
    return review.zone(tz) if tz else deps.roadmap.schedule.tz


def next_card(deps: Deps, user: str, note: str | None = None) -> dict[str, Any]:
    """The member's next due card, or what to do when there is none."""
    cal, week = deps.this_week()
    now = deps.now()
    chosen, due = review.member_cards(deps.db, user, deps.roadmap.topics, cal, week, now)
    if not chosen:
        group = review.settings(deps.db, user).scope == "group"
        return render.nothing_to_review(group)
    if not due:
        return render.all_done(review.next_due(deps.db, user), now, note)
    return render.card_front(due[0], len(due), note)


def _parse_time(text: str) -> dt.time | None:
    match = TIME.match(text.strip().lower())
    if not match:
        return None
    return dt.time(int(match.group(1)), int(match.group(2) or 0))


def review_command(
    ack: Ack, command: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    deps: Deps = context["deps"]
    user = command["user_id"]
    args = str(command.get("text") or "").lower().split()
    verb = args[0] if args else ""
    if verb in HELP_WORDS:
        ack(usage("/review"))
    elif not verb:
        ack(next_card(deps, user))
    elif verb in ("all", "mine", "ticked") and len(args) == 1:
        group = verb == "all"
        review.set_scope(deps.db, user, "group" if group else "ticked")
        ack(next_card(deps, user, render.scope_set(group)))
    elif verb == "on" and len(args) <= 2:
        at = _parse_time(args[1]) if len(args) == 2 else DEFAULT_REMINDER
        if at is None:
            ack(usage("/review", "Give the time as HH:MM, e.g. `/review on 08:30`."))
            return
        ack()  # users.info may be slow; the answer follows through response_url
        tz = _slack_zone(client, user) or review.settings(deps.db, user).tz
        tz = tz or deps.roadmap.schedule.timezone
        review.set_reminder(deps.db, user, at, tz, deps.now())
        respond(render.reminder_on(at, tz))
    elif verb == "off" and len(args) == 1:
        review.set_reminder(deps.db, user, None, None)
        ack(render.reminder_off())
    elif verb == "export" and len(args) == 1:
        _export(ack, deps, client, user)
    elif verb in ("forget", "delete") and len(args) == 1:
        ack(render.forget_confirm())
    else:
        ack(usage("/review", f"I don't know “{' '.join(args)[:40]}”."))


def _slack_zone(client: WebClient, user: str) -> str | None:
    """The member's IANA time zone from users.info (None when Slack cannot say)."""
    try:
        info = client.users_info(user=user).get("user") or {}
    except SlackApiError as exc:
        log.warning("users.info failed for the review DM time: %s", exc.response.get("error"))
        return None
    return str(info["tz"]) if info.get("tz") else None


def _export(ack: Ack, deps: Deps, client: WebClient, user: str) -> None:
    data = review.export_csv(deps.db, user)
    if data.count("\n") <= 1:
        ack(render.exported(empty=True))
        return
    ack(render.exported(empty=False))
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            content=data,
            filename="review.csv",
            title="Your review data",
            initial_comment=render.export_comment(),
        )
    except SlackApiError as exc:
        log.warning("review export failed: %s", exc.response.get("error"))


def _clicked(body: dict[str, Any]) -> tuple[str, str]:
    action = (body.get("actions") or [{}])[0]
    return str((body.get("user") or {}).get("id") or ""), str(action.get("value") or "")


def _reply(respond: Respond, message: dict[str, Any]) -> None:
    respond(dict(message, replace_original=True))


def start(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Respond) -> None:
    ack()
    user, _ = _clicked(body)
    respond(next_card(context["deps"], user))


def show(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Respond) -> None:
    ack()
    deps: Deps = context["deps"]
    user, key = _clicked(body)
    card = review.find_card(deps.roadmap.topics, key)
    if card is None:
        _reply(respond, render.missing_card())
        return
    cal, week = deps.this_week()
    _, due = review.member_cards(deps.db, user, deps.roadmap.topics, cal, week, deps.now())
    _reply(respond, render.card_back(card, max(len(due), 1)))


def grade(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Respond) -> None:
    ack()
    deps: Deps = context["deps"]
    user, key = _clicked(body)
    action_id = str((body.get("actions") or [{}])[0].get("action_id") or "")
    name = action_id.removeprefix(REVIEW_GRADE)
    card = review.find_card(deps.roadmap.topics, key)
    if card is None or name not in review.RATINGS:
        _reply(respond, render.missing_card())
        return
    now = deps.now()
    due = review.grade(deps.db, user, card.topic.id, card.index, name, now, member_zone(deps, user))
    _reply(respond, next_card(deps, user, render.graded(name, due, now)))


def forget(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Respond) -> None:
    ack()
    deps: Deps = context["deps"]
    user, _ = _clicked(body)
    _reply(respond, render.forgotten(review.forget(deps.db, user)))


def keep(ack: Ack, respond: Respond) -> None:
    ack()
    _reply(respond, render.kept())


def register(routes: Routes) -> None:
    routes.command("/review", review_command)
    routes.action(REVIEW_START, start)
    routes.action(REVIEW_SHOW, show)
    routes.action(re.compile(rf"^{REVIEW_GRADE}({'|'.join(review.RATINGS)})$"), grade)
    routes.action(REVIEW_FORGET, forget)
    routes.action(REVIEW_KEEP, keep)
