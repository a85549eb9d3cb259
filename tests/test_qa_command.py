"""/qa: ranked full-text search with snippets and filters, listings, hostile input."""

from __future__ import annotations

import json
import re

import pytest

from bot.core import qa_search as core_search
from bot.core.roadmap_load import load
from tests.blockkit import all_text, assert_valid_message
from tests.qa_kit import (
    ADMIN,
    ASKER,
    HELPER,
    OTHER,
    QA_ROADMAP,
    changed,
    deleted,
    question_row,
    reply,
    say,
    send,
    unique,
)


def qa_search(box, text: str, user: str = ASKER) -> dict:
    """Run /qa; the answer is the immediate ack body, or the ephemeral reply after it."""
    before = len(box.slack.calls_to("response_url"))
    response = box.client.command(
        "/qa", text, user=user, channel=box.channel, trigger_id=f"{unique()}.trigger"
    )
    assert response.status == 200, response.text
    body = response.json() if response.body else None
    if body and body.get("text"):
        message = body
    else:
        message = dict(box.slack.wait_for("response_url", before + 1)[-1].params)
        message.pop("_key", None)
    assert_valid_message(message)
    assert message.get("response_type") == "ephemeral"
    return message


def sections(message: dict) -> list[str]:
    return [b["text"]["text"] for b in message.get("blocks", []) if b["type"] == "section"]


def test_help_and_empty_give_the_usage_card(qa_box):
    for text in ("", "help"):
        card = qa_search(qa_box, text)
        assert "How to use `/qa`" in all_text(card)
        assert "unanswered" in all_text(card) and "topic:" in all_text(card)


def test_search_ranks_highlights_and_links(qa_box, archive):
    message = qa_search(qa_box, "eigenvalues")
    text = all_text(message)
    assert "1 result" in text
    assert "*eigenvalues*" in text  # the snippet's highlight
    link = f"archives/{qa_box.channel}/p{archive['eig']['ts'].replace('.', '')}"
    assert link in text
    assert "Answered" in text


def test_search_finds_answers_and_says_which_answer(qa_box, archive):
    message = qa_search(qa_box, "characteristic polynomial")
    text = all_text(message)
    assert "eigenvalues of a 3x3 matrix" in text  # the question it belongs to
    assert "Accepted answer" in text and "*characteristic*" in text


def test_question_text_outranks_a_passing_mention(qa_box):
    weak = say(qa_box, OTHER, "Anything on functions?")
    reply(qa_box, weak, HELPER, "see the chain rule notes, and chain rule videos")
    strong = say(qa_box, ASKER, "Chain rule: why multiply the chain rule derivatives?")
    hits = core_search.search(qa_box.deps.db, "chain rule")
    assert [h.question.ts for h in hits] == [strong["ts"], weak["ts"]]


def test_stemming_and_prefixes(qa_box, archive):
    assert "1 result" in all_text(qa_search(qa_box, "eigenvalue"))
    assert "1 result" in all_text(qa_search(qa_box, "eigenv*"))


def test_irregular_plurals_find_each_other(qa_box, archive):
    inverse = say(qa_box, OTHER, "When are square matrices invertible?")
    reply(qa_box, inverse, HELPER, "When their determinant is not zero; the axes stay apart")
    # Porter makes "matric" of "matrices" and "matrix" of "matrix": the lemma table joins them.
    found = all_text(qa_search(qa_box, "matrix"))
    assert "2 results" in found and "*matrices*" in found and "*matrix*" in found
    assert "*square matrices* invertible" in all_text(qa_search(qa_box, '"square matrix"'))
    assert "*axes*" in all_text(qa_search(qa_box, "axis"))
    assert "2 results" in all_text(qa_search(qa_box, "matrices"))


def test_chinese_and_japanese_are_found_inside_longer_runs(qa_box):
    japanese = say(qa_box, ASKER, "日本語で固有値を説明してもらえますか？")
    chinese = say(qa_box, OTHER, "请问矩阵的特征值怎么计算?")
    mixed = say(qa_box, HELPER, "SVD分解とは何ですか?")
    found = all_text(qa_search(qa_box, "日本語"))
    assert "1 result" in found and "*日本語*で固有値" in found  # highlighted, no separators
    assert "\u200b" not in found
    assert "1 result" in all_text(qa_search(qa_box, "固有値"))
    assert "请问矩阵" in all_text(qa_search(qa_box, "特征值"))
    assert "SVD*分解*とは" in all_text(qa_search(qa_box, "分解"))
    assert "*SVD*分解" in all_text(qa_search(qa_box, "svd"))
    assert "No questions or answers match" in all_text(qa_search(qa_box, "日本人"))
    rows = [question_row(qa_box, m)["text"] for m in (japanese, chinese, mixed)]
    assert rows[0] == "日本語で固有値を説明してもらえますか？"  # the text as written


def test_filters_topic_unanswered_and_mine(qa_box, archive):
    week_topic = qa_box.deps.this_week()[1].topic
    in_topic = all_text(qa_search(qa_box, f"topic:{week_topic.id}"))
    assert week_topic.title in in_topic and "backprop" in in_topic
    other_topic = next(t for t in load(QA_ROADMAP).topics if t.id != week_topic.id)
    assert "No questions" in all_text(qa_search(qa_box, f"topic:{other_topic.id}"))

    unanswered = qa_search(qa_box, "unanswered")
    found = sections(unanswered)
    assert "oldest first" in found[0]
    assert "backprop" in found[1] and "determinant" in found[2]  # oldest first
    assert "eigenvalues" not in all_text(unanswered)

    mine = all_text(qa_search(qa_box, "mine"))
    assert "eigenvalues" in mine and "determinant" in mine and "backprop" not in mine
    assert "No questions or answers match" in all_text(qa_search(qa_box, "backprop mine"))
    assert "1 result" in all_text(qa_search(qa_box, "determinant unanswered mine"))


def test_the_mark_answered_button_shows_for_the_asker_and_organizers_only(qa_box, archive):
    def buttons(message):
        return [
            b["accessory"]["value"]
            for b in message["blocks"]
            if b["type"] == "section" and "accessory" in b
        ]

    mine_id = str(question_row(qa_box, archive["mine"])["id"])
    chain_id = str(question_row(qa_box, archive["chain"])["id"])
    # No reply yet: nothing to mark answered, so no button (answered = an accepted reply).
    assert buttons(qa_search(qa_box, "unanswered", user=ASKER)) == []
    reply(qa_box, archive["mine"], HELPER, "It scales volumes")
    assert buttons(qa_search(qa_box, "unanswered", user=ASKER)) == [mine_id]
    assert buttons(qa_search(qa_box, "unanswered", user=HELPER)) == []
    assert buttons(qa_search(qa_box, "unanswered", user=ADMIN)) == [chain_id, mine_id]


def test_an_unknown_topic_is_explained(qa_box):
    card = all_text(qa_search(qa_box, "topic:nope eigen"))
    assert "There is no topic `nope`" in card and "How to use" in card


HOSTILE_QUERIES = [
    '"unbalanced quote',
    "NEAR(eigenvalues matrix, 2)",
    "NEAR(",
    "eigen* AND OR NOT",
    "-matrix",
    "^eigenvalues",
    "body:eigenvalues",
    "* ** ***",
    '"" ""',
    "(((",
    "a:b:c",
    "{col1 col2}: x",
    "'; DROP TABLE qa_questions; --",
    "\\x00 \u0000 \u202e",
    "<!channel> <@U0EVIL001>",
    "&amp;lt;",
    "x" * 5000,
    " ".join(f"w{i}" for i in range(100)),
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_search_syntax_typed_by_members_never_errors(qa_box, archive, query):
    message = qa_search(qa_box, query)
    text = all_text(message)
    assert "<!channel>" not in text and "<@U0EVIL001>" not in text
    assert "&amp;amp;" not in text
    assert question_row(qa_box, archive["eig"]) is not None  # still there


def test_operators_are_searched_as_words_and_explained(qa_box, archive):
    message = qa_search(qa_box, "NEAR(eigenvalues matrix) -polynomial")
    text = all_text(message)
    assert "1 result" in text
    assert "Ignored" in text and "`NEAR`" in text and "`-polynomial`" in text


def test_nothing_searchable_gives_the_card(qa_box):
    assert "Nothing to search for" in all_text(qa_search(qa_box, '"" * -'))


def test_hostile_text_comes_back_inert_and_not_double_escaped(qa_box):
    text = (
        "<!channel> <!here> <!everyone> <!subteam^S0123|@maths> <@U0EVIL001> "
        "is &lt;x, y&gt; &amp; <https://evil.example/?a=1|a link> an inner product?"
    )
    say(qa_box, ASKER, text)
    message = qa_search(qa_box, "inner product")
    shown = all_text(message)
    assert not re.search(r"<[!@#]", shown), shown
    assert "@channel" in shown and "@U0EVIL001" in shown
    assert "&lt;x, y&gt; &amp;" in shown
    assert "&amp;lt;" not in shown and "&amp;amp;" not in shown


def test_huge_messages_are_found_and_cut_to_fit(qa_box):
    question = say(qa_box, ASKER, "Why? " + "gradient descent " * 2500 + " saddle points")
    reply(qa_box, question, HELPER, "saddle " * 6000)
    message = qa_search(qa_box, "saddle")
    assert "1 result" in all_text(message)
    assert len(json.dumps(message)) < 40_000


def test_edits_and_deletions_show_in_search(qa_box, archive):
    send(qa_box, changed(qa_box, archive["chain"], "Why does backprop need the jacobian?"))
    assert "No questions" in all_text(qa_search(qa_box, "chain rule backprop"))
    assert "1 result" in all_text(qa_search(qa_box, "jacobian"))
    send(qa_box, deleted(qa_box, archive["chain"]))
    assert "No questions" in all_text(qa_search(qa_box, "jacobian"))
    assert "backprop" not in all_text(qa_search(qa_box, "unanswered"))


def test_very_common_words_rank_the_newest_matches_and_say_so(qa_box, monkeypatch):
    for i in range(6):
        say(qa_box, OTHER, f"Gradient question number {i}?")
    assert "most recent" not in all_text(qa_search(qa_box, "gradient"))
    monkeypatch.setattr(core_search, "RANKED_MATCHES", 3)
    message = all_text(qa_search(qa_box, "gradient"))
    assert "3 results" in message and "most recent ones were ranked" in message
    assert "number 5" in message and "number 0" not in message


def test_a_filtered_search_with_nothing_in_reach_says_add_a_word(qa_box, monkeypatch):
    say(qa_box, ASKER, "Gradient question of my own?")
    for i in range(6):
        say(qa_box, OTHER, f"Gradient question number {i}?")
    assert "of my own" in all_text(qa_search(qa_box, "mine gradient", user=ASKER))
    monkeypatch.setattr(core_search, "SCANNED_MATCHES", 3)  # only the newest three are scanned
    message = all_text(qa_search(qa_box, "mine gradient", user=ASKER))
    assert "No questions or answers match" in message and "add a word" in message


def test_many_results_stay_within_the_block_limit(qa_box):
    for i in range(30):
        say(qa_box, OTHER, f"Gradient question number {i}?")
    message = qa_search(qa_box, "gradient")
    assert len(message["blocks"]) <= 50
    assert "Showing the first 10" in all_text(message)
