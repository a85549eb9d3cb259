"""Marking questions answered: ✅ reactions from the asker or an organizer, and the button."""

from __future__ import annotations

import pytest

from bot.core import questions
from bot.slack.render.qa import MARK_ANSWERED
from tests.blockkit import all_text, assert_valid_message
from tests.polling import quiet_for, wait_until
from tests.qa_kit import (
    ADMIN,
    ASKER,
    HELPER,
    OTHER,
    OWNER,
    changed,
    deleted,
    question_row,
    reaction,
    reply,
    say,
    send,
)


def status(box, question) -> tuple[str, str | None]:
    row = question_row(box, question)
    return row["status"], row["accepted_answer_ts"]


def test_the_askers_check_on_an_answer_marks_it_accepted_and_removing_it_reopens(qa_box):
    question = say(qa_box, ASKER, "Why does SVD always exist?")
    answer = reply(qa_box, question, HELPER, "Because AᵀA is symmetric")
    send(qa_box, reaction(qa_box, ASKER, answer))
    assert status(qa_box, question) == ("answered", answer["ts"])
    got = questions.get_question(qa_box.deps.db, question_row(qa_box, question)["id"])
    assert got.status == "answered" and got.accepted_answer_ts == answer["ts"]
    assert got.resolved_at is not None
    send(qa_box, reaction(qa_box, ASKER, answer, added=False))
    assert status(qa_box, question) == ("open", None)


def test_heavy_check_mark_on_the_question_itself_counts_once_it_has_a_reply(qa_box):
    question = say(qa_box, ASKER, "Is a matrix a linear map?")
    send(qa_box, reaction(qa_box, ASKER, question, "heavy_check_mark"))
    # A ✅ with no reply under it: there is no answer to keep, the question stays open.
    assert status(qa_box, question) == ("open", None)
    answer = reply(qa_box, question, HELPER, "Yes, once you fix bases")
    assert status(qa_box, question) == ("answered", None)
    send(qa_box, deleted(qa_box, answer))  # its only reply gone: open again
    assert status(qa_box, question) == ("open", None)


def test_other_members_and_other_emoji_do_not_resolve(qa_box):
    question = say(qa_box, ASKER, "What's a gradient?")
    answer = reply(qa_box, question, HELPER, "The vector of partial derivatives")
    send(qa_box, reaction(qa_box, HELPER, answer))  # the answerer approving themselves
    send(qa_box, reaction(qa_box, ASKER, answer, "thumbsup"))
    send(qa_box, reaction(qa_box, ASKER, answer, "ballot_box_with_check"))
    # Settled after the ack (users.info says HELPER is no admin); still open.
    wait_until(
        lambda: (
            qa_box.deps.db.execute(
                "SELECT organizer FROM qa_marks WHERE user = ?", [HELPER]
            ).fetchone()[0]
            == 0
        )
    )
    assert status(qa_box, question) == ("open", None)


def test_an_organizer_from_the_admin_list_resolves_at_once(qa_box):
    question = say(qa_box, ASKER, "Eigenvalues of a rotation?")
    answer = reply(qa_box, question, HELPER, "Complex ones")
    send(qa_box, reaction(qa_box, ADMIN, answer))
    assert status(qa_box, question) == ("answered", answer["ts"])


def test_a_workspace_admin_resolves_once_slack_confirms_after_the_ack(qa_box):
    question = say(qa_box, ASKER, "Does every matrix have an SVD?")
    answer = reply(qa_box, question, HELPER, "Yes, every real matrix")
    send(qa_box, reaction(qa_box, OWNER, answer))
    wait_until(lambda: status(qa_box, question) == ("answered", answer["ts"]))
    assert any(c["user"] == OWNER for c in qa_box.slack.calls_to("users.info"))
    send(qa_box, reaction(qa_box, OWNER, answer, added=False))
    assert status(qa_box, question) == ("open", None)


def test_the_accepted_answer_follows_the_latest_valid_check(qa_box):
    question = say(qa_box, ASKER, "Best book for linear algebra?")
    first = reply(qa_box, question, HELPER, "Axler")
    second = reply(qa_box, question, OTHER, "Strang")
    send(qa_box, reaction(qa_box, ASKER, first))
    send(qa_box, reaction(qa_box, ADMIN, second))
    assert status(qa_box, question) == ("answered", second["ts"])
    send(qa_box, reaction(qa_box, ADMIN, second, added=False))
    assert status(qa_box, question) == ("answered", first["ts"])  # the asker's still stands


def test_a_redelivered_reaction_counts_once_and_removal_still_reopens(qa_box):
    question = say(qa_box, ASKER, "Why normalise vectors?")
    answer = reply(qa_box, question, HELPER, "Unit length makes cosines easy")
    added = reaction(qa_box, ASKER, answer)
    send(qa_box, added, event_id="Ev0REACT001")
    send(qa_box, added, event_id="Ev0REACT001", retry_num=1)
    send(qa_box, added, event_id="Ev0REACT002")  # Slack sending it twice under two ids
    db = qa_box.deps.db
    assert db.execute("SELECT count(*) FROM qa_marks").fetchone()[0] == 1
    removed = reaction(qa_box, ASKER, answer, added=False)
    send(qa_box, removed, event_id="Ev0UNREACT1")
    send(qa_box, removed, event_id="Ev0UNREACT1", retry_num=1)
    assert status(qa_box, question) == ("open", None)


def test_a_check_that_arrives_before_the_answer_counts_when_it_arrives(qa_box):
    question = say(qa_box, ASKER, "What is a Hessian?")
    answer = qa_box.slack.add_message(
        qa_box.channel, HELPER, "Second derivatives", thread_ts=question["ts"]
    )
    send(qa_box, reaction(qa_box, ASKER, answer))
    assert status(qa_box, question) == ("open", None)
    send(qa_box, answer)
    assert status(qa_box, question) == ("answered", answer["ts"])


# Over HTTP a member's message takes the short path (bot/slack/message_path.py), over Socket
# Mode Bolt's: both hand the message over after the ack only when a mark waits.
@pytest.mark.parametrize("qa_box", ["http", "socket"], indirect=True)
def test_a_workspace_admins_check_before_the_answer_counts_when_the_answer_arrives(qa_box):
    # users.info can only be asked once the answer is in the archive: its arrival asks.
    question = say(qa_box, ASKER, "What is a Jacobian?")
    answer = qa_box.slack.add_message(
        qa_box.channel, HELPER, "The matrix of first derivatives", thread_ts=question["ts"]
    )
    send(qa_box, reaction(qa_box, OWNER, answer))
    say(qa_box, OTHER, "Is the Jacobian always square?")  # another message: not this mark's
    # Nobody is asked about a mark on a message the archive does not hold.
    assert quiet_for(0.3, lambda: len(qa_box.slack.calls_to("users.info"))) == 0
    assert status(qa_box, question) == ("open", None)
    send(qa_box, answer)
    wait_until(lambda: status(qa_box, question) == ("answered", answer["ts"]))
    assert any(c["user"] == OWNER for c in qa_box.slack.calls_to("users.info"))


def test_a_workspace_admins_check_before_an_edit_makes_it_a_question_counts_then(qa_box):
    message = say(qa_box, ASKER, "Jacobians, anyone")  # no question mark: not archived
    first = reply(qa_box, message, HELPER, "The matrix of first derivatives")
    send(qa_box, reaction(qa_box, OWNER, first))
    assert quiet_for(0.3, lambda: len(qa_box.slack.calls_to("users.info"))) == 0
    send(qa_box, changed(qa_box, message, "Jacobians, anyone?"))
    wait_until(lambda: status(qa_box, message) == ("answered", first["ts"]))


def test_deleting_the_accepted_answer_reopens(qa_box):
    question = say(qa_box, ASKER, "What's the trace?")
    answer = reply(qa_box, question, HELPER, "Sum of the diagonal")
    send(qa_box, reaction(qa_box, ASKER, answer))
    send(qa_box, deleted(qa_box, answer))
    assert status(qa_box, question) == ("open", None)


def test_reactions_in_other_channels_are_ignored(qa_box):
    question = say(qa_box, ASKER, "Same ts elsewhere?")
    elsewhere = dict(question, channel="C0RANDOM1")
    send(qa_box, reaction(qa_box, ASKER, elsewhere))
    assert status(qa_box, question) == ("open", None)


# --- the "Mark answered" button -----------------------------------------------------------


def press(box, user: str, question_id: int):
    before = len(box.slack.calls_to("response_url"))
    response = box.client.action(MARK_ANSWERED, str(question_id), user=user)
    assert response.status == 200
    call = box.slack.wait_for("response_url", before + 1)[-1]
    message = assert_valid_message(dict(call.params))
    assert message.get("response_type") == "ephemeral"
    return message


def test_the_asker_presses_mark_answered(qa_box):
    question = say(qa_box, ASKER, "Is the chain rule just multiplication?")
    row = question_row(qa_box, question)
    # Nobody replied: there is nothing to mark, and the asker is told how to keep what they found.
    early = all_text(press(qa_box, ASKER, row["id"]))
    assert "Nobody has replied" in early and "reply in the thread" in early
    assert status(qa_box, question) == ("open", None)
    reply(qa_box, question, HELPER, "Of Jacobians, yes")
    message = press(qa_box, ASKER, row["id"])
    assert "Marked" in all_text(message)
    assert status(qa_box, question) == ("answered", None)
    assert "already" in all_text(press(qa_box, ASKER, row["id"]))


def test_others_get_a_polite_refusal_and_organizers_may(qa_box):
    question = say(qa_box, ASKER, "Can a gradient be zero everywhere?")
    reply(qa_box, question, HELPER, "For a constant function")
    row = question_row(qa_box, question)
    refusal = all_text(press(qa_box, OTHER, row["id"]))
    assert "Only the person who asked, or an organizer" in refusal
    assert status(qa_box, question) == ("open", None)
    press(qa_box, OWNER, row["id"])  # a workspace admin, per users.info
    assert status(qa_box, question) == ("answered", None)


def test_an_anonymous_question_can_only_be_marked_by_organizers(qa_box):
    db = qa_box.deps.db
    anon = questions.add_question(
        db,
        channel=qa_box.channel,
        ts=qa_box.slack.next_ts(),
        user=ASKER,
        text="A question I'm shy about?",
        asked_at=qa_box.clock.now(),
        source="ask",
        anonymous=True,
    )
    reply(qa_box, {"channel": anon.channel, "ts": anon.ts}, HELPER, "Ask away!")
    assert "Only the person" in all_text(press(qa_box, ASKER, anon.id))
    press(qa_box, ADMIN, anon.id)
    assert questions.get_question(db, anon.id).status == "answered"


def test_pressing_for_a_missing_question_explains(qa_box):
    assert "no longer" in all_text(press(qa_box, ASKER, 999))
