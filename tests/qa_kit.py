"""The Q&A tests' kit: a small roadmap of our own, its members, Slack event builders, rows.

Shared by tests/test_qa*.py, test_faq.py and test_backfill.py; the `qa_box` fixture (the real
app on this roadmap) is in conftest.py."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from bot.cli.sandbox import Sandbox
from bot.cli.standin import BOT_USER
from bot.core.clock import ManualClock
from bot.core.roadmap_load import load
from bot.slack.delivery import SlackPoster, deliver
from tests.paths import FIXTURES

QA_ROADMAP = FIXTURES / "qa_roadmap.yaml"
ADMIN = "U0ADMIN01"  # in STUDYBOT_ADMINS
OWNER = "U0OWNER01"  # a workspace admin, known only through users.info
ASKER = "U0ASKER01"
HELPER = "U0HELPER1"
OTHER = "U0OTHER01"


def qa_clock() -> ManualClock:
    """Monday of week 3 of the test roadmap, 10:00 local: topic three is on."""
    schedule = load(QA_ROADMAP).schedule
    start = dt.datetime.combine(schedule.start + dt.timedelta(weeks=2), dt.time(10), schedule.tz)
    return ManualClock(start)


def unique() -> str:
    """Sandboxes number their requests from 1, so two tests in one worker and one second could
    send byte-identical signed requests, which the replay guard refuses: make each distinct."""
    return uuid.uuid4().hex[:12].upper()


def send(box: Sandbox, event: dict[str, Any], **kwargs: Any) -> None:
    kwargs.setdefault("event_id", f"Ev{unique()}")
    if kwargs.get("retry_num"):
        # Slack signs each re-delivery anew; an identical signature would be a replay.
        kwargs.setdefault("timestamp", int(time.time()) - 10 * kwargs["retry_num"])
    reply = box.client.event(event, **kwargs)
    assert reply.status == 200, reply.text


def say(box: Sandbox, user: str, text: str, **fields: Any) -> dict[str, Any]:
    """A member posts in the study channel; the event is delivered; returns the event."""
    event = box.slack.add_message(fields.pop("channel", box.channel), user, text, **fields)
    send(box, event)
    return event


def reply(box: Sandbox, parent: dict[str, Any], user: str, text: str, **fields: Any) -> dict:
    return say(box, user, text, thread_ts=parent["ts"], **fields)


def changed(box: Sandbox, original: dict[str, Any], text: str) -> dict[str, Any]:
    message = {k: v for k, v in original.items() if k not in ("channel", "channel_type")}
    message.update(text=text, edited={"user": original["user"], "ts": box.slack.next_ts()})
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": original["channel"],
        "hidden": True,
        "message": message,
        "previous_message": {k: v for k, v in original.items() if k != "channel"},
        "event_ts": box.slack.next_ts(),
        "ts": box.slack.next_ts(),
        "channel_type": "channel",
    }


def deleted(box: Sandbox, original: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "channel": original["channel"],
        "hidden": True,
        "deleted_ts": original["ts"],
        "previous_message": {k: v for k, v in original.items() if k != "channel"},
        "event_ts": box.slack.next_ts(),
        "ts": box.slack.next_ts(),
        "channel_type": "channel",
    }


def reaction(
    box: Sandbox,
    user: str,
    item: dict[str, Any],
    name: str = "white_check_mark",
    added: bool = True,
) -> dict[str, Any]:
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": name,
        "item": {"type": "message", "channel": item["channel"], "ts": item["ts"]},
        "item_user": item.get("user", ""),
        "event_ts": box.slack.next_ts(),
    }


def question_row(box: Sandbox, event: dict[str, Any]) -> dict[str, Any] | None:
    rows = list(box.deps.db.query("SELECT * FROM qa_questions WHERE ts = ?", [event["ts"]]))
    return rows[0] if rows else None


def answer_rows(box: Sandbox, question: dict[str, Any]) -> list[dict[str, Any]]:
    return list(
        box.deps.db.query(
            "SELECT * FROM qa_answers WHERE question_id = ? ORDER BY ts", [question["id"]]
        )
    )


def add_weekly_post(box: Sandbox) -> dict[str, Any]:
    """This week's weekly post, sent by the posts module as the scheduler would (so the posts
    ledger knows its thread); returns it as a parent message for `reply`."""
    outcome = deliver(box.deps, SlackPoster(box.app.client), "weekly")
    assert outcome.status == "sent" and outcome.ts, outcome
    return {"channel": outcome.channel, "ts": outcome.ts, "user": BOT_USER}
