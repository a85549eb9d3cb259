"""Questions filed by what they are about: the topic match, `/qa topic:`, and "Wrong topic?"."""

from __future__ import annotations

import json
import time

import pytest

from bot.core import questions, topic_match, topic_search
from bot.core.roadmap_load import load
from bot.slack.render.qa import MOVE_TOPIC, MOVE_VIEW, WRONG_TOPIC
from tests.blockkit import all_text, assert_valid_message, assert_valid_view
from tests.commands_kit import SUBMIT, form
from tests.paths import ROADMAP
from tests.polling import wait_until
from tests.qa_kit import (
    ADMIN,
    ASKER,
    HELPER,
    OTHER,
    QA_ROADMAP,
    add_weekly_post,
    question_row,
    reaction,
    reply,
    say,
    send,
)

REAL = load(ROADMAP)  # the roadmap a group starts from
QA = load(QA_ROADMAP)  # vectors, eigen, chain-rule (week 3, the qa_box's week), gradients


def picked(topic_id: str, title: str) -> dict:
    """The move form's state with `topic_id` chosen, as Slack submits it."""
    option = {"text": {"type": "plain_text", "text": title}, "value": topic_id}
    return {MOVE_TOPIC: {MOVE_TOPIC: {"type": "static_select", "selected_option": option}}}


# --- the match, in the core ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What is the intuition behind SVD?", "eigenvectors-svd"),  # the example
        ("How do I install numpy?", "quick-start"),  # week 0 sets up Python and NumPy
        ("How does a random forest decide splits?", "decision-trees-random-forests"),
        ("Why is the normal distribution everywhere?", "distributions"),
        ("How do I choose k in kmeans?", "clustering"),
        ("what's an eigenvalue?", "eigenvectors-svd"),
        ("eigen decomposition intuition?", "eigenvectors-svd"),
        ("How to plot a histogram with matplotlib?", "quick-start"),  # and Matplotlib
        # Nothing of the roadmap named: the week's topic.
        ("Is anyone else finding this week hard?", "integral-applications"),
        ("Which book should I buy?", "integral-applications"),
        ("Any tips for the exercise this week?", "integral-applications"),
        # Everyday words found only in some topic's key points or readings are how members
        # talk, not what the question is about.
        ("Is the meeting still on Friday?", "integral-applications"),
        ("Should I take notes by hand?", "integral-applications"),
        ("Which chapter covers this?", "integral-applications"),
        ("Is it okay if I fall behind a bit?", "integral-applications"),
        ("Any recommendations for practice problems?", "integral-applications"),
        # ...while enough of a topic's own words still file it there.
        ("Why is my loss not going down?", "supervised-learning"),
        # "good" is no start of "Goodfellow" when the question names PCA.
        ("Is this a good intro to PCA?", "pca"),
        # The week's topic matches as well as another: it stays.
        ("Can someone explain the area between curves?", "integral-applications"),
    ],
)
def test_a_question_is_filed_under_what_it_is_about(question, topic):
    assert topic_match.file_under(REAL, question, "integral-applications") == topic


def test_between_topics_nothing_matching_is_filed_under_none():
    assert topic_match.file_under(REAL, "Is anyone else finding this hard?", None) is None
    assert topic_match.file_under(REAL, "Intuition for SVD?", None) == "eigenvectors-svd"


def test_common_roadmap_words_alone_do_not_move_a_question():
    # "Khan Academy", "course": in many topics' resources, so they say nothing.
    assert topic_match.file_under(REAL, "Is the Khan Academy course enough?", "integrals") == (
        "integrals"
    )


@pytest.mark.parametrize(
    ("asked", "topic"),
    [
        ("svd", "eigenvectors-svd"),  # a word of a title
        ("eigenvectors-svd", "eigenvectors-svd"),
        ("eigenvector-svd", "eigenvectors-svd"),  # a near id
        ("integrals", "integrals"),
        ("random forest", "decision-trees-random-forests"),
        ("Pandas", "pandas"),
        # The first words of one topic's title, in no other topic's name (summaries may
        # mention them: "eigenvectors" is in PCA's).
        ("eigenvectors", "eigenvectors-svd"),
        ("neural", "neural-networks"),
    ],
)
def test_a_topic_is_named_by_id_title_word_or_near_id(asked, topic):
    found = topic_search.resolve(REAL, asked)
    assert found.topic is not None and found.topic.id == topic


def test_an_ambiguous_or_unknown_topic_gets_the_closest_few():
    several = topic_search.resolve(REAL, "regression")
    assert several.topic is None and several.several
    assert {"linear-regression", "logistic-regression"} <= {t.id for t in several.closest}
    assert len(several.closest) <= 5
    typo = topic_search.resolve(REAL, "baysian")
    assert typo.topic is None and not typo.several
    assert typo.closest[0].id == "bayesian-statistics"
    assert topic_search.resolve(REAL, "xyzzy") == topic_search.Resolution(None, [])


# --- filing, through the app ----------------------------------------------------------------


def test_questions_are_filed_by_content_and_the_week_keeps_the_rest(qa_box):
    svd = say(qa_box, ASKER, "What is the intuition behind SVD?")
    vague = say(qa_box, ASKER, "Is anyone else finding this hard?")
    both = say(qa_box, ASKER, "How does the chain rule work for vectors?")
    assert question_row(qa_box, svd)["topic_id"] == "eigen"
    assert question_row(qa_box, vague)["topic_id"] == "chain-rule"  # the week's
    assert question_row(qa_box, both)["topic_id"] == "chain-rule"  # the week's fits as well
    assert question_row(qa_box, svd)["week"] == question_row(qa_box, vague)["week"]


def test_a_question_in_a_posts_thread_stays_with_that_posts_topic(qa_box):
    post = add_weekly_post(qa_box)  # week 3: the chain rule
    asked = reply(qa_box, post, ASKER, "What is the intuition behind SVD?")
    assert question_row(qa_box, asked)["topic_id"] == "chain-rule"


def filed(box) -> str | None:
    """The topic of the question /ask posted last, once it is archived (after the post)."""
    ts = max(box.slack.messages[box.channel])
    sql = "SELECT topic_id FROM qa_questions WHERE ts = ?"
    return wait_until(lambda: box.deps.db.execute(sql, [ts]).fetchone())[0]


def test_ask_with_text_is_posted_and_filed_under_what_it_is_about(qa_box):
    qa_box.client.command("/ask", "What is the intuition behind SVD?", user=ASKER)
    (post,) = qa_box.slack.wait_for("chat.postMessage", 1)
    assert "Topic: Eigenvectors &amp; SVD" in all_text(post.params)
    assert filed(qa_box) == "eigen"


def test_a_topic_picked_in_the_ask_form_is_kept(qa_box):
    qa_box.client.view_submission(SUBMIT, form("Intuition behind SVD?", "gradients"), user=ASKER)
    qa_box.slack.wait_for("chat.postMessage", 1)
    assert filed(qa_box) == "gradients"


# --- /qa topic: ---------------------------------------------------------------------------


def qa(box, text: str, user: str = ASKER) -> dict:
    before = len(box.slack.calls_to("response_url"))
    response = box.client.command("/qa", text, user=user)
    assert response.status == 200
    if response.text.strip():
        return assert_valid_message(json.loads(response.text))
    return assert_valid_message(dict(box.slack.wait_for("response_url", before + 1)[-1].params))


def test_qa_topic_takes_a_title_word(qa_box):
    say(qa_box, ASKER, "What is the intuition behind SVD?")
    found = all_text(qa(qa_box, "topic:svd"))
    assert "in Eigenvectors &amp; SVD" in found and "intuition behind SVD" in found
    assert "intuition behind SVD" in all_text(qa(qa_box, "topic:eigne"))  # a near id


def test_qa_topic_unknown_gets_the_closest_not_a_list_of_all(tmp_path):
    from bot.cli.sandbox import Sandbox
    from bot.core.clock import ManualClock
    from tests.commands_kit import monday

    clock = ManualClock(monday(ROADMAP, 3))
    with Sandbox(roadmap_path=ROADMAP, db_path=tmp_path / "r.db", clock=clock) as box:
        card = all_text(qa(box, "topic:baysian"))
        assert "There is no topic `baysian`" in card and "`topic:bayesian-statistics`" in card
        problem = card.split("\n")[0]
        assert problem.count("`topic:") <= 3  # the closest few, not every topic
        several = all_text(qa(box, "topic:regression"))
        assert "Several topics match `regression`" in several
        assert "`topic:linear-regression`" in several and "`topic:logistic-regression`" in several
        nothing = all_text(qa(box, "topic:xyzzy"))
        assert "There is no topic `xyzzy`" in nothing and "/roadmap" in nothing


# --- "Wrong topic?" -------------------------------------------------------------------------


def wrong_topic_buttons(message: dict) -> list[str]:
    return [
        e["value"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(WRONG_TOPIC)
    ]


def press(box, question_id: int, user: str):
    before = len(box.slack.calls_to("views.open")), len(box.slack.calls_to("response_url"))
    assert box.client.action(f"{WRONG_TOPIC}:{question_id}", str(question_id), user=user).status
    return before


def test_the_asker_moves_a_question_with_the_form(qa_box):
    asked = say(qa_box, ASKER, "Is anyone else finding this hard?")
    qid = question_row(qa_box, asked)["id"]
    listed = qa(qa_box, "hard", user=ASKER)
    assert wrong_topic_buttons(listed) == [str(qid)]
    assert wrong_topic_buttons(qa(qa_box, "hard", user=HELPER)) == []  # not theirs

    press(qa_box, qid, ASKER)
    (call,) = qa_box.slack.wait_for("views.open", 1)
    view = assert_valid_view(
        call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    )
    assert view["callback_id"] == MOVE_VIEW and view["private_metadata"] == str(qid)
    select = next(b for b in view["blocks"] if b.get("block_id") == MOVE_TOPIC)["element"]
    assert select["initial_option"]["value"] == "chain-rule"
    assert [o["value"] for o in select["options"]] == [t.id for t in QA.topics]

    chosen = picked("gradients", "Gradients")
    done = qa_box.client.view_submission(MOVE_VIEW, chosen, user=ASKER, private_metadata=str(qid))
    assert done.json()["response_action"] == "update"
    assert "Moved to *Gradients*" in all_text(done.json()["view"])
    assert question_row(qa_box, asked)["topic_id"] == "gradients"
    assert "finding this hard" in all_text(qa(qa_box, "topic:gradients"))


def test_others_may_not_move_a_question_and_organizers_may(qa_box):
    asked = say(qa_box, ASKER, "Is anyone else finding this hard?")
    qid = question_row(qa_box, asked)["id"]
    _, responses = press(qa_box, qid, OTHER)
    refusal = qa_box.slack.wait_for("response_url", responses + 1)[-1]
    assert "Only the person who asked, or an organizer" in all_text(dict(refusal.params))
    assert qa_box.slack.calls_to("views.open") == []
    chosen = picked("vectors", "Vectors")
    forged = qa_box.client.view_submission(MOVE_VIEW, chosen, user=OTHER, private_metadata=str(qid))
    assert forged.json()["response_action"] == "errors"
    assert question_row(qa_box, asked)["topic_id"] == "chain-rule"
    assert wrong_topic_buttons(qa(qa_box, "hard", user=ADMIN)) == [str(qid)]
    qa_box.client.view_submission(MOVE_VIEW, chosen, user=ADMIN, private_metadata=str(qid))
    assert question_row(qa_box, asked)["topic_id"] == "vectors"


def test_the_asked_before_reply_offers_wrong_topic(qa_box):
    first = say(qa_box, ASKER, "How do I normalise a vector by hand?")
    send(qa_box, reaction(qa_box, ASKER, reply(qa_box, first, HELPER, "Divide by its length")))
    again = say(qa_box, OTHER, "How do I normalise a vector by hand??")
    post = qa_box.slack.wait_for("chat.postMessage")[-1]
    assert post["thread_ts"] == again["ts"]
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    assert wrong_topic_buttons({"blocks": blocks}) == [str(question_row(qa_box, again)["id"])]


def test_moving_needs_a_roadmap_topic_and_a_live_question(qa_box):
    asked = say(qa_box, ASKER, "Is anyone else finding this hard?")
    qid = question_row(qa_box, asked)["id"]
    nowhere = picked("gone", "Gone")
    bad = qa_box.client.view_submission(MOVE_VIEW, nowhere, user=ASKER, private_metadata=str(qid))
    assert bad.json()["response_action"] == "errors"
    assert questions.move_topic(qa_box.deps.db, 999, "vectors") is False


def test_the_faq_export_names_topics_as_qa_does():
    from bot.cli import faq

    several = faq._no_topic("regression", topic_search.resolve(REAL, "regression"))
    assert several.startswith("several topics match 'regression': ") and "linear-regression" in (
        several
    )
    close = faq._no_topic("baysian", topic_search.resolve(REAL, "baysian"))
    assert close.startswith("no topic 'baysian' in the roadmap; the closest: bayesian-statistics")


def test_questions_with_huge_words_are_filed_and_acked_in_time(qa_box):
    """Slack allows 40,000 characters a message: sixteen members sending one long "word"
    each at once are all acknowledged within Slack's 3 s, and filed (the topic match looked
    only at prefixes as long as a term it knows)."""
    from concurrent.futures import ThreadPoolExecutor

    def ask(n: int) -> float:
        event = qa_box.slack.add_message(
            qa_box.channel, ASKER, f"What{n}? eigenvalue" + "y" * 39_000
        )
        started = time.monotonic()
        send(qa_box, event)
        return time.monotonic() - started

    with ThreadPoolExecutor(16) as pool:
        took = list(pool.map(ask, range(16)))
    assert max(took) < 3, took
    filed = qa_box.pool.get().execute("SELECT topic_id FROM qa_questions").fetchall()
    assert len(filed) == 16 and all(topic for (topic,) in filed), filed


@pytest.mark.parametrize("value", ["99999999999999999999999", "9223372036854775808", "²"])
def test_an_id_no_row_can_have_is_a_question_no_longer_in_the_archive(qa_box, value):
    say(qa_box, ASKER, "Is anyone else finding this hard?")
    assert qa_box.client.action("qa_mark_answered", value, user=ASKER).status == 200
    notice = qa_box.slack.wait_for("response_url", 1)[-1]
    assert "no longer in the archive" in all_text(dict(notice.params))
    chosen = picked("vectors", "Vectors")
    done = qa_box.client.view_submission(MOVE_VIEW, chosen, user=ASKER, private_metadata=value)
    assert done.json() == {
        "response_action": "errors",
        "errors": {MOVE_TOPIC: "That question is no longer in the archive."},
    }
