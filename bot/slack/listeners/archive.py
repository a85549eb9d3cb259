"""The archive's listeners: messages and ✅ after the ack, "Mark answered", "Wrong topic?"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.core import ingest, marks, questions
from bot.core.deps import Deps
from bot.core.questions import Question
from bot.core.text import whole_number
from bot.slack import workspace
from bot.slack.asked_before import reply_asked_before
from bot.slack.courtesy import Courtesy
from bot.slack.mark_checks import verify_marks
from bot.slack.organizers import is_organizer
from bot.slack.render import qa as render
from bot.slack.render.qa import MARK_ANSWERED, MOVE_TOPIC, MOVE_VIEW, WRONG_TOPIC
from bot.slack.router import report
from bot.slack.routes import Routes


def on_message(
    ack: Ack,
    body: dict[str, Any],
    event: dict[str, Any],
    context: dict[str, Any],
    client: WebClient,
) -> None:
    """After the ack (the message was recorded before it, by ingest.record): replies such as
    "asked before", in a lull between Slack's requests (bot/slack/courtesy.py), and the
    organizer check of ✅ marks made before the message arrived."""
    ack()
    deps: Deps = context["deps"]
    # What the archive did with it, before the ack (absent for an event without an id).
    recorded = context.get("recorded")
    channel = event.get("channel")
    # Archived here means the study channel; else (chatter, or not known) look it up.
    if (recorded is None or ingest.ARCHIVED.isdisjoint(recorded)) and (
        not channel or channel != deps.channel
    ):
        return
    if recorded is None or ingest.MARKS_WAITING in recorded:
        verify_marks(deps, client)
    if recorded is not None and "question" not in recorded:
        return
    message = event.get("message") if event.get("subtype") == "message_changed" else event
    ts = message.get("ts") if isinstance(message, dict) else None
    if not isinstance(ts, str) or not isinstance(channel, str):
        return
    # Recorded as a new question just now, its recording claimed it for this reply; an event
    # without an id (never recorded) asks for the claim.
    claimed = recorded is not None

    def reply() -> None:
        try:
            # Looked up when the reply goes, a lull later: a question deleted meanwhile gets
            # none, an edited one is read as it is now.
            question = questions.question_at(deps.db, channel, ts)
            if question is not None:
                reply_asked_before(deps, client, question, claimed=claimed)
        except Exception as error:
            report(error, context, body)

    courtesy: Courtesy = context["courtesy"]
    courtesy.submit(reply)


def message_needed(recorded: Sequence[str | None] | None) -> bool:
    """Whether on_message has anything to do for a message of which the recorders said
    `recorded`: a new question (its reply), a ✅ waiting on it, or a message not recorded
    (without an event id: it is looked at after the ack)."""
    return recorded is None or "question" in recorded or ingest.MARKS_WAITING in recorded


def on_reaction(
    ack: Ack, event: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    """After the ack: a ✅ from someone other than the asker counts if they organize."""
    ack()
    verify_marks(context["deps"], client)


def mark_answered(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """The asker or an organizer marks a question answered; anyone else is told, kindly."""
    ack()
    deps: Deps = context["deps"]
    user, question = _clicked_question(deps, body)
    if question is None:
        respond(**render.notice("That question is no longer in the archive."))
        return
    asker = question.user is not None and question.user == user
    if not asker and not is_organizer(deps.settings, client, user):
        respond(
            **render.notice(
                "Only the person who asked, or an organizer, can mark this question answered. "
                "If you know the answer, reply in its thread: that helps most!"
            )
        )
        return
    if question.answered:
        respond(**render.notice("That question is already marked answered. :white_check_mark:"))
        return
    if not question.answer_count:
        # Answered means a reply was accepted: with none there is no answer to keep.
        respond(**render.notice(render.NO_REPLY_YET))
        return
    marks.add_mark(
        deps.db,
        channel=question.channel,
        item_ts=question.ts,
        user=user,
        kind=marks.BUTTON,
        at=deps.now(),
        organizer=not asker,
    )
    link = questions.question_link(workspace.url(deps.db, client), question)
    respond(**render.notice(f":white_check_mark: Marked <{link}|the question> answered. Thanks!"))


def _may_move(deps: Deps, client: WebClient, user: str, question: questions.Question) -> bool:
    """The asker (of a question not asked anonymously) or an organizer."""
    asker = question.user is not None and question.user == user
    return asker or is_organizer(deps.settings, client, user)


NOT_YOURS = "Only the person who asked, or an organizer, can move this question to another topic."


def wrong_topic(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """ "Wrong topic?": the form to file the question under another topic, for its asker or
    an organizer (the form opens on the click's trigger_id, valid for 3 seconds)."""
    ack()
    deps: Deps = context["deps"]
    user, question = _clicked_question(deps, body)
    if question is None:
        respond(**render.notice("That question is no longer in the archive."))
        return
    if not _may_move(deps, client, user, question):
        respond(**render.notice(NOT_YOURS))
        return
    current = deps.roadmap.topic(question.topic_id) if question.topic_id else None
    form = render.move_form(deps.roadmap, question, current, deps.roadmap.topics)
    client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=form)


def move_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    """The move form: checked again (the form may have stayed open), then filed and shown."""
    deps: Deps = context["deps"]
    user = str((body.get("user") or {}).get("id") or "")
    meta = str(view.get("private_metadata") or "")
    values = (view.get("state") or {}).get("values") or {}
    picked = (values.get(MOVE_TOPIC, {}).get(MOVE_TOPIC) or {}).get("selected_option") or {}
    topic = deps.roadmap.topic(str(picked.get("value") or ""))
    question = _question(deps, meta)
    if topic is None:
        ack(response_action="errors", errors={MOVE_TOPIC: "Pick a topic of the roadmap."})
        return
    if question is None or not _may_move(deps, client, user, question):
        why = "That question is no longer in the archive." if question is None else NOT_YOURS
        ack(response_action="errors", errors={MOVE_TOPIC: why})
        return
    questions.move_topic(deps.db, question.id, topic.id)
    ack(response_action="update", view=render.moved_form(question, topic))


def register(routes: Routes) -> None:
    """The archive: recording every event before the ack, and its listeners after it."""
    routes.recorder(ingest.record)
    routes.recorder(ingest.marks_waiting)
    routes.event("message", on_message, needed=message_needed)
    routes.event("reaction_added", on_reaction)
    routes.event("reaction_removed", on_reaction)
    routes.action(MARK_ANSWERED, mark_answered)
    routes.action(re.compile(rf"^{WRONG_TOPIC}(:\w+)?$"), wrong_topic)
    routes.view(MOVE_VIEW, move_submitted)


def _clicked_question(deps: Deps, body: dict[str, Any]) -> tuple[str, Question | None]:
    """Who clicked, and the archived question the button's value names (None if gone)."""
    user = str((body.get("user") or {}).get("id") or "")
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    return user, _question(deps, value)


def _question(deps: Deps, raw: str) -> Question | None:
    """The archived question a payload's id names; None when it names none (gone, or no id)."""
    question_id = whole_number(raw)
    return None if question_id is None else questions.get_question(deps.db, question_id)
