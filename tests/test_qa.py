"""The Q&A archive's capture: signed message events in, questions and answers in the database."""

from __future__ import annotations

import datetime as dt

from bot.core import ingest, listings, qa_search, questions
from tests.qa_kit import (
    ASKER,
    HELPER,
    OTHER,
    add_weekly_post,
    answer_rows,
    changed,
    deleted,
    question_row,
    reply,
    say,
    send,
    unique,
)

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


def test_the_prefix_is_not_kept_in_the_question_text(qa_box):
    prefixed = say(qa_box, ASKER, "  Q:  intuition for the trace")
    assert question_row(qa_box, prefixed)["text"] == "intuition for the trace"
    assert question_row(qa_box, prefixed)["body"] == "intuition for the trace"
    send(qa_box, changed(qa_box, prefixed, "q: intuition for the trace, please"))
    assert question_row(qa_box, prefixed)["text"] == "intuition for the trace, please"
    bare = say(qa_box, ASKER, "Q:")  # nothing else: the text stays as written
    assert question_row(qa_box, bare)["text"] == "Q:"
    asked = say(qa_box, ASKER, "Quick: why is Q: a prefix?")  # not at the start: kept
    assert question_row(qa_box, asked)["text"] == "Quick: why is Q: a prefix?"
    [hit] = qa_search.search(qa_box.deps.db, "trace")
    assert not hit.snippet.startswith("Q")


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
