"""'Asked before': a new question close to an answered one gets the earlier answers in its thread."""

from __future__ import annotations

import json

from bot.core import similar
from tests.blockkit import all_text, assert_valid_message
from tests.qa_kit import (
    ASKER,
    HELPER,
    OTHER,
    add_weekly_post,
    changed,
    reaction,
    reply,
    say,
    send,
    unique,
)


def test_similarity_ignores_stopwords_and_plurals():
    assert similar.similarity("What are eigenvalues of matrices?", "eigenvalue of a matrix") == 1
    assert similar.similarity("What is the chain rule?", "What is the product rule?") < 0.6
    assert similar.similarity("<!channel> ?", "why?") == 0


def test_similarity_and_topic_search_share_one_singular():
    # "prices" meets "price" and "series" stays itself, as in topic search (bot/core/words.py).
    assert similar.similarity("Series of prices?", "price series") == 1
    assert similar.similarity("What are the axes?", "axis") == 1


def test_similarity_reads_chinese_and_japanese_as_pairs_of_characters():
    assert similar.similarity("固有値の計算方法は？", "固有値の計算方法を教えて") >= 0.6
    assert similar.similarity("固有値の計算方法は？", "確率分布とは？") == 0
    assert similar.similarity("What are the vertices?", "vertex") == 1


def test_similarity_cuts_words_alike_in_ascii_and_other_text():
    # Letters and digits make a word; anything else, underscores too, separates words; one
    # letter is no word. Text outside ASCII (accents, a Kelvin sign that lower-cases to k)
    # is cut the same way as ASCII text, which takes a shorter path.
    assert similar.similarity("Is l2_norm a gram-schmidt x?", "L2 norm; Gram Schmidt") == 1
    assert similar.similarity("Café l2_norm?", "café: L2 norm") == 1
    assert similar.similarity("\u212aernel trick", "kernel tricks") == 1
    assert similar.similarity("SVD分解 with numpy", "numpy: SVD分解") == 1


def test_a_close_match_of_an_answered_question_gets_one_reply_in_its_thread(qa_box, archive):
    again = say(qa_box, OTHER, "How can I compute the eigenvalues of a 3x3 matrix by hand??")
    post = qa_box.slack.wait_for("chat.postMessage")[-1]
    assert post["thread_ts"] == again["ts"]
    message = assert_valid_message(dict(post.params))
    text = all_text(message)
    assert "asked before" in text
    # The fallback text (the notification) counts in words: "1 earlier question", never "(s)".
    assert "1 earlier question with an answer." in message["text"] and "(s)" not in text
    assert f"p{archive['eig']['ts'].replace('.', '')}" in text
    assert f"p{archive['eig_answer']['ts'].replace('.', '')}" in text  # the accepted answer
    # The same message again, an edit, and a retry: still one reply.
    send(qa_box, again)
    send(qa_box, changed(qa_box, again, "How can I compute eigenvalues of 3x3 matrices by hand?"))
    # A sentinel: another repeat question, whose reply proves the earlier events were handled.
    sentinel = say(qa_box, HELPER, "Computing eigenvalues of a 3x3 matrix by hand, how?")
    posts = qa_box.slack.wait_for("chat.postMessage", 2)
    assert [p["thread_ts"] for p in posts] == [again["ts"], sentinel["ts"]]


def test_unanswered_or_unrelated_questions_get_no_reply(qa_box, archive):
    say(qa_box, HELPER, "What is the intuition for the determinant?")  # close to an open one
    say(qa_box, HELPER, "Which book for probability?")
    sentinel = say(qa_box, OTHER, "Compute eigenvalues of a 3x3 matrix by hand?")
    posts = qa_box.slack.wait_for("chat.postMessage")
    assert [p["thread_ts"] for p in posts] == [sentinel["ts"]]


def test_asked_before_text_is_inert(qa_box):
    first = say(qa_box, ASKER, "Is <!channel> &amp; <@U0EVIL001> a vector space?")
    answer = reply(qa_box, first, HELPER, "yes")
    send(qa_box, reaction(qa_box, ASKER, answer))
    say(qa_box, OTHER, "is <!here> & <@U0EVIL001> a vector space?")
    post = qa_box.slack.wait_for("chat.postMessage")[-1]
    text = all_text(assert_valid_message(dict(post.params)))
    assert "<!" not in text and "<@" not in text
    assert "&amp; @U0EVIL001" in text and "&amp;amp;" not in text


def test_an_ask_question_close_to_an_answered_one_gets_the_reply_too(qa_box, archive):
    reply = qa_box.client.command(
        "/ask",
        "How to compute the eigenvalues of a 3x3 matrix by hand?",
        user=OTHER,
        trigger_id=unique(),
    )
    assert reply.status == 200
    asked, answer = qa_box.slack.wait_for("chat.postMessage", 2)
    bot_posts = [
        m
        for m in qa_box.slack.messages[qa_box.channel].values()
        if m.get("bot_id") and not m.get("thread_ts")
    ]
    assert answer["thread_ts"] == max((m["ts"] for m in bot_posts), key=float)  # the /ask post
    assert "asked before" in all_text(assert_valid_message(dict(answer.params)))
    assert f"p{archive['eig']['ts'].replace('.', '')}" in all_text(answer.params)


def test_a_japanese_question_asked_again_gets_the_earlier_answer(qa_box):
    first = say(qa_box, ASKER, "行列の固有値の計算方法は？")
    send(qa_box, reaction(qa_box, ASKER, reply(qa_box, first, HELPER, "特性多項式を解きます")))
    again = say(qa_box, OTHER, "行列の固有値の計算方法を教えてください？")
    post = qa_box.slack.wait_for("chat.postMessage")[-1]
    assert post["thread_ts"] == again["ts"] and "asked before" in all_text(dict(post.params))


def test_the_close_match_is_found_among_many_newer_answered_questions_sharing_a_word(tmp_path):
    """Candidates are the answered questions sharing the most of the new one's words, not
    the newest holding any of them."""
    import datetime as dt

    from bot.core import marks, questions
    from bot.core.db import connect, migrate

    db = connect(tmp_path / "similar.db")
    migrate(db)
    t0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)

    def answered(i: int, text: str) -> questions.Question:
        q = questions.add_question(
            db,
            channel="C1",
            ts=f"{1700000000 + i}.000001",
            user="U1",
            text=text,
            asked_at=t0 + dt.timedelta(minutes=i),
        )
        reply_ts = f"{1700000000 + i}.000002"
        questions.add_answer(
            db,
            question_id=q.id,
            channel="C1",
            ts=reply_ts,
            thread_ts=q.ts,
            user="U2",
            text="an answer",
            answered_at=t0 + dt.timedelta(minutes=i, seconds=30),
        )
        marks.add_mark(
            db,
            channel="C1",
            item_ts=reply_ts,
            user="U1",
            kind="white_check_mark",
            at=t0 + dt.timedelta(minutes=i, seconds=40),
        )
        return q

    first = answered(0, "How do I compute the eigenvalues of a symmetric matrix by hand?")
    for i in range(1, 41):
        answered(i, f"Why does matrix multiplication number {i} give a shape error?")
    new = questions.add_question(
        db,
        channel="C1",
        ts="1800000000.000001",
        user="U3",
        text="Computing eigenvalues of a symmetric matrix by hand: how?",
        asked_at=t0 + dt.timedelta(days=1),
    )
    assert [q.id for q in similar.similar_answered(db, new)] == [first.id]


def test_in_the_weekly_posts_thread_the_reply_says_which_question_it_answers(qa_box, archive):
    """Questions asked in the weekly post's thread share it: each "asked before" reply quotes
    the question it is about (escaped: it is member text), so nobody wonders whose it is."""
    weekly = add_weekly_post(qa_box)
    before = len(qa_box.slack.calls_to("chat.postMessage"))
    asked = reply(
        qa_box,
        weekly,
        OTHER,
        "How can I compute the eigenvalues of a 3x3 matrix by hand? <!channel>",
    )
    post = qa_box.slack.wait_for("chat.postMessage", before + 1)[-1]
    assert post["thread_ts"] == weekly["ts"] and asked["thread_ts"] == weekly["ts"]
    text = all_text(assert_valid_message(dict(post.params)))
    assert "“How can I compute the eigenvalues of a 3x3 matrix by hand?" in text
    assert "<!channel>" not in json.dumps(post.params)
