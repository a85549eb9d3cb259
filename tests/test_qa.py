"""The Q&A archive's capture: signed message events in, questions and answers in the database.

Also the shared kit for tests/test_qa_*.py, test_faq.py and test_backfill.py (imported from
here): a sandbox on a small roadmap of our own, and Slack event builders."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import ingest, listings, qa_search, questions
from bot.core.clock import ManualClock
from bot.core.roadmap_load import load
from tests.conftest import FIXTURES

QA_ROADMAP = FIXTURES / "qa_roadmap.yaml"
ADMIN = "U0ADMIN01"  # in STUDYBOT_ADMINS
OWNER = "U0OWNER01"  # a workspace admin, known only through users.info
ASKER = "U0ASKER01"
HELPER = "U0HELPER1"
OTHER = "U0OTHER01"


# --- the kit ---------------------------------------------------------------------------------


def qa_clock() -> ManualClock:
    """Monday of week 3 of the test roadmap, 10:00 local: topic three is on."""
    schedule = load(QA_ROADMAP).schedule
    start = dt.datetime.combine(schedule.start + dt.timedelta(weeks=2), dt.time(10), schedule.tz)
    return ManualClock(start)


@pytest.fixture(name="qa_box")
def qa_box_fixture(tmp_path: Path) -> Iterator[Sandbox]:
    """The real app on the test roadmap; import qa_box_fixture to use `qa_box` elsewhere."""
    with Sandbox(
        roadmap_path=QA_ROADMAP,
        db_path=tmp_path / "qa.db",
        clock=qa_clock(),
        admins=(ADMIN,),
        question_prefix="Q:",
    ) as box:
        for user in (ASKER, HELPER, OTHER, ADMIN):
            box.slack.add_user(user)
        box.slack.add_user(OWNER, is_admin=True)
        yield box


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


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Wait for work done after the ack (a users.info call, a reply) to show."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.02)


def add_weekly_post(box: Sandbox, text: str = "This week: the chain rule") -> dict[str, Any]:
    """The bot's weekly post, in the channel and in the posts ledger as the posts module keeps it."""
    response = box.app.client.chat_postMessage(channel=box.channel, text=text)
    ts = response["ts"]
    now = box.clock.now().isoformat()
    box.deps.db.execute(
        "INSERT INTO posts_ledger (kind, channel, week, status, ts, owner, claimed_at)"
        " VALUES ('weekly', ?, ?, 'sent', ?, 'test', ?)",
        (box.channel, box.deps.this_week()[1].key, ts, now),
    )
    return {"channel": box.channel, "ts": ts, "user": "UBOT0001"}


# --- capture ---------------------------------------------------------------------------------


def test_a_question_is_kept_with_the_topic_and_week_it_was_asked_in(qa_box):
    event = say(qa_box, ASKER, "How does the chain rule work for vectors?")
    row = question_row(qa_box, event)
    _, week = qa_box.deps.this_week()
    assert row["user"] == ASKER
    assert row["topic_id"] == week.topic.id
    assert row["week"] == week.key
    assert row["source"] == "channel"
    assert row["status"] == "open"
    question = questions.get_question(qa_box.deps.db, row["id"])
    assert question.asked_at == qa_box.clock.now()
    assert question.text == "How does the chain rule work for vectors?"


def test_the_prefix_makes_a_question_and_statements_are_not_kept(qa_box):
    prefixed = say(qa_box, ASKER, "q: explain the jacobian")
    statement = say(qa_box, ASKER, "I finished the reading. Great chapter!")
    link_only = say(qa_box, ASKER, "notes: <https://example.org/a?page=2|the notes>")
    assert question_row(qa_box, prefixed) is not None
    assert question_row(qa_box, statement) is None
    assert question_row(qa_box, link_only) is None  # a ? inside a link is not a question


def test_other_channels_bots_and_other_subtypes_are_ignored(qa_box):
    say(qa_box, ASKER, "Is this the random channel?", channel="C0RANDOM1")
    say(qa_box, ASKER, "Bot asks?", bot_id="B0OTHER01")
    send(
        qa_box,
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0OTHER01",
            "channel": qa_box.channel,
            "text": "Who wants pizza?",
            "ts": qa_box.slack.next_ts(),
        },
    )
    for subtype in ("channel_join", "channel_topic", "channel_purpose", "pinned_item"):
        send(
            qa_box,
            {
                "type": "message",
                "subtype": subtype,
                "channel": qa_box.channel,
                "user": ASKER,
                "text": f"<@{ASKER}> did something?",
                "ts": qa_box.slack.next_ts(),
            },
        )
    assert qa_box.deps.db.execute("SELECT count(*) FROM qa_questions").fetchone()[0] == 0


def test_replies_are_answers_and_thread_broadcasts_count(qa_box):
    question = say(qa_box, ASKER, "Why is the derivative of x^2 equal to 2x?")
    reply(qa_box, question, HELPER, "Take the limit of ((x+h)^2 - x^2)/h.")
    reply(qa_box, question, OTHER, "Also: power rule.", subtype="thread_broadcast")
    row = question_row(qa_box, question)
    answers = answer_rows(qa_box, row)
    assert [a["user"] for a in answers] == [HELPER, OTHER]
    assert row["answer_count"] == 2
    assert [a.user for a in questions.answers_for(qa_box.deps.db, row["id"])] == [HELPER, OTHER]


def test_a_retried_event_and_a_repeated_message_are_recorded_once(qa_box):
    question = qa_box.slack.add_message(qa_box.channel, ASKER, "What is a basis?")
    send(qa_box, question, event_id="Ev0QUESTION1")
    send(qa_box, question, event_id="Ev0QUESTION1", retry_num=1)
    send(qa_box, question, event_id="Ev0QUESTION2")  # same message, new envelope
    answer = qa_box.slack.add_message(
        qa_box.channel, HELPER, "A spanning set", thread_ts=question["ts"]
    )
    send(qa_box, answer, event_id="Ev0ANSWER01")
    send(qa_box, answer, event_id="Ev0ANSWER01", retry_num=1)
    send(qa_box, answer, event_id="Ev0ANSWER01", retry_num=2)
    send(qa_box, answer)
    db = qa_box.deps.db
    assert db.execute("SELECT count(*) FROM qa_questions").fetchone()[0] == 1
    row = question_row(qa_box, question)
    assert row["answer_count"] == 1
    assert len(answer_rows(qa_box, row)) == 1


def test_a_reply_before_its_parent_is_linked_when_the_parent_arrives(qa_box):
    parent = qa_box.slack.add_message(qa_box.channel, ASKER, "What is a norm?")
    early = qa_box.slack.add_message(
        qa_box.channel, HELPER, "A length for vectors", thread_ts=parent["ts"]
    )
    send(qa_box, early)
    send(qa_box, early)  # and again, for good measure
    assert question_row(qa_box, parent) is None
    send(qa_box, parent)
    row = question_row(qa_box, parent)
    answers = answer_rows(qa_box, row)
    assert [a["ts"] for a in answers] == [early["ts"]]
    assert row["answer_count"] == 1
    assert qa_box.deps.db.execute("SELECT count(*) FROM qa_pending").fetchone()[0] == 0


def test_replies_to_statements_are_not_answers(qa_box):
    statement = say(qa_box, ASKER, "Reading group notes are up.")
    reply(qa_box, statement, HELPER, "Thanks!")
    assert qa_box.deps.db.execute("SELECT count(*) FROM qa_answers").fetchone()[0] == 0


def test_an_edit_can_turn_a_statement_into_a_question_and_adopts_its_replies(qa_box):
    statement = say(qa_box, ASKER, "I don't get the chain rule")
    reply(qa_box, statement, HELPER, "Think of gears turning gears.")
    send(qa_box, changed(qa_box, statement, "I don't get the chain rule. Why multiply?"))
    row = question_row(qa_box, statement)
    assert row is not None and row["answer_count"] == 1


def test_edits_update_the_archive_and_the_search_index(qa_box):
    question = say(qa_box, ASKER, "What is a tensor?")
    answer = reply(qa_box, question, HELPER, "A box of numbers")
    send(qa_box, changed(qa_box, question, "What is a tensor, really?"))
    send(qa_box, changed(qa_box, answer, "A multilinear map"))
    db = qa_box.deps.db
    row = question_row(qa_box, question)
    assert row["text"] == "What is a tensor, really?"
    assert answer_rows(qa_box, row)[0]["text"] == "A multilinear map"
    assert [h.question.id for h in qa_search.search(db, "multilinear")] == [row["id"]]
    assert qa_search.search(db, "box numbers") == []
    assert [h.question.id for h in qa_search.search(db, "really")] == [row["id"]]


def test_deleting_a_question_removes_it_from_search_digests_and_lists(qa_box):
    question = say(qa_box, ASKER, "What is the determinant?")
    reply(qa_box, question, HELPER, "The volume scale factor")
    keep = say(qa_box, OTHER, "Is the determinant linear?")
    send(qa_box, deleted(qa_box, question))
    db = qa_box.deps.db
    row = question_row(qa_box, question)
    assert row["deleted"] == 1
    now = qa_box.clock.now()
    day = dt.timedelta(days=1)
    assert [q.ts for q in listings.questions_between(db, now - day, now + day)] == [keep["ts"]]
    assert [q.ts for q in listings.open_questions(db)] == [keep["ts"]]
    assert questions.get_question(db, row["id"]) is None
    assert [h.question.ts for h in qa_search.search(db, "determinant")] == [keep["ts"]]
    assert qa_search.search(db, "volume") == []  # its answers went with it
    assert listings.answerers_between(db, now - day, now + day) == []


def test_deleting_an_answer_or_a_parent_with_replies_tombstoned(qa_box):
    question = say(qa_box, ASKER, "Why do we need bases?")
    first = reply(qa_box, question, HELPER, "Coordinates")
    reply(qa_box, question, OTHER, "Uniqueness")
    send(qa_box, deleted(qa_box, first))
    db = qa_box.deps.db
    row = question_row(qa_box, question)
    assert row["answer_count"] == 1
    assert [a.user for a in questions.answers_for(db, row["id"])] == [OTHER]
    assert qa_search.search(db, "coordinates") == []
    # Slack replaces a deleted parent that has replies with a tombstone (message_changed).
    tomb = changed(qa_box, question, "This message was deleted.")
    tomb["message"]["subtype"] = "tombstone"
    send(qa_box, tomb)
    assert question_row(qa_box, question)["deleted"] == 1
    assert qa_search.search(db, "bases") == []


def test_a_question_in_the_weekly_posts_thread_is_a_question(qa_box):
    post = add_weekly_post(qa_box)
    asked = reply(qa_box, post, ASKER, "Does the chain rule work backwards?")
    hello = reply(qa_box, post, OTHER, "Hi all, excited for this week")
    row = question_row(qa_box, asked)
    assert row["source"] == "thread" and row["thread_ts"] == post["ts"]
    assert row["topic_id"] == qa_box.deps.this_week()[1].topic.id
    # Replies in the post's thread that ask nothing answer the latest question from another.
    assert [a["ts"] for a in answer_rows(qa_box, row)] == [hello["ts"]]


def test_the_bots_own_posts_and_replies_are_not_archived(qa_box):
    question = say(qa_box, ASKER, "What's PCA?")
    qa_box.app.client.chat_postMessage(
        channel=qa_box.channel, thread_ts=question["ts"], text="A bot reply?"
    )
    bot_reply = qa_box.slack.messages[qa_box.channel]
    event = dict(list(bot_reply.values())[-1], channel=qa_box.channel)
    send(qa_box, event)
    assert question_row(qa_box, question)["answer_count"] == 0


def test_hostile_text_is_stored_as_sent(qa_box):
    text = "<!channel> <@U0EVIL001> &lt;script&gt; &amp; <!subteam^S123|@team> why?" + "x" * 30000
    event = say(qa_box, ASKER, text)
    assert question_row(qa_box, event)["text"] == text


def test_contract_functions_over_a_week(qa_box):
    db = qa_box.deps.db
    t0 = qa_box.clock.now()
    one = say(qa_box, ASKER, "First question?")
    qa_box.clock.advance(dt.timedelta(hours=1))
    two = say(qa_box, OTHER, "Second question?")
    anon = questions.add_question(
        db,
        channel=qa_box.channel,
        ts=qa_box.slack.next_ts(),
        user=OTHER,
        text="Anonymous question?",
        asked_at=qa_box.clock.now(),
        source="ask",
        anonymous=True,
    )
    again = questions.add_question(
        db,
        channel=qa_box.channel,
        ts=anon.ts,
        user=OTHER,
        text="changed?",
        asked_at=qa_box.clock.now(),
    )
    assert again.id == anon.id and again.text == "Anonymous question?"
    assert anon.user is None and anon.anonymous
    # Who asked is kept nowhere, not even in a column nobody reads.
    assert OTHER not in repr(list(db.query("SELECT * FROM qa_questions WHERE id = ?", [anon.id])))
    reply(qa_box, one, HELPER, "yes")
    reply(qa_box, two, HELPER, "also yes")
    reply(qa_box, two, ASKER, "and me")
    reply(qa_box, one, ASKER, "answering myself")  # not counted as helping
    later = t0 + dt.timedelta(days=1)
    assert [q.ts for q in listings.questions_between(db, t0, later)] == [
        one["ts"],
        two["ts"],
        anon.ts,
    ]
    assert listings.questions_between(db, t0 + dt.timedelta(minutes=1), later)[0].ts == two["ts"]
    assert listings.answerers_between(db, t0, later) == [(HELPER, 2), (ASKER, 1)]
    assert [q.ts for q in listings.open_questions(db, exclude_user=OTHER)] == [one["ts"], anon.ts]
    assert [q.ts for q in listings.open_questions(db, user=OTHER)] == [two["ts"]]
    assert [q.ts for q in listings.open_questions(db, limit=1)] == [one["ts"]]
    assert [
        q.ts for q in listings.open_questions(db, asked_since=t0 + dt.timedelta(minutes=1))
    ] == [
        two["ts"],
        anon.ts,
    ]
    assert [
        q.ts for q in listings.open_questions(db, asked_before=t0 + dt.timedelta(minutes=1))
    ] == [one["ts"]]
    topic = qa_box.deps.this_week()[1].topic.id
    assert len(listings.open_questions(db, topic_id=topic)) == 2  # the anonymous one had no topic


def test_odd_payload_shapes_are_acknowledged_and_change_nothing(qa_box):
    ch = qa_box.channel
    odd = [
        {"type": "message", "channel": ch, "user": ASKER, "text": "int ts?", "ts": 12},
        {
            "type": "message",
            "channel": ch,
            "user": ASKER,
            "text": "x?",
            "ts": "1.1",
            "thread_ts": 5,
        },
        {"type": "message", "channel": ch, "user": None, "text": "no user?", "ts": "1.2"},
        {"type": "message", "channel": ch, "user": ASKER, "text": "?", "ts": "1.4", "subtype": []},
        {"type": "message", "channel": ch, "user": ASKER, "text": None, "ts": "1.3"},
        {"type": "message", "subtype": "message_changed", "channel": ch, "message": "oops"},
        {"type": "message", "subtype": "message_changed", "channel": ch, "message": ["x?"]},
        {"type": "message", "subtype": "message_deleted", "channel": ch, "previous_message": 3},
        {"type": "message", "subtype": "message_deleted", "channel": ch, "deleted_ts": {"a": 1}},
        {"type": "reaction_added", "user": ASKER, "reaction": "white_check_mark", "item": "x"},
        {"type": "reaction_added", "user": 7, "reaction": "white_check_mark", "item": {}},
        {"type": "reaction_removed", "reaction": None, "item": {"channel": ch, "ts": 1}},
    ]
    for event in odd:
        # A 2xx, or a clean 400 where Bolt itself cannot take the shape (bot/server.py).
        assert qa_box.client.event(event, event_id=f"Ev{unique()}").status in (200, 400)
    db = qa_box.deps.db
    for table in ("qa_questions", "qa_answers", "qa_pending", "qa_marks"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    # And the archive still works.
    assert question_row(qa_box, say(qa_box, ASKER, "Still listening?")) is not None


def test_is_question():
    assert ingest.is_question("why?")
    assert ingest.is_question("  q: tell me", "Q:")
    assert ingest.is_question("Question: ok", "question:")
    assert not ingest.is_question("see <https://x.org/?a=1|this>")
    assert not ingest.is_question("statement", "")
    assert ingest.is_question("全角？")
