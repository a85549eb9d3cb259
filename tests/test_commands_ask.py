"""/ask: with text it posts for the member; without, a form that can ask anonymously."""

from __future__ import annotations

import json

from bot.cli.sandbox import Sandbox
from bot.cli.standin import BOT_USER
from bot.core import listings, qa_search, questions
from tests.blockkit import all_text, assert_valid_view
from tests.commands_kit import MEMBER, SMALL, SUBMIT, answer, form, monday, responses, valid
from tests.paths import PAYLOADS
from tests.polling import wait_until


def archived(box: Sandbox, ts: str) -> questions.Question:
    found = [q for q in listings.open_questions(box.deps.db) if q.ts == ts]
    assert len(found) == 1, f"question {ts} not archived once: {found}"
    return found[0]


def test_ask_with_text_posts_for_the_member_and_archives_it(small: Sandbox):
    reply = small.client.command("/ask", "Why is <!channel> & eigen *so* hard?", channel="C0DM")
    assert reply.status == 200
    (post,) = small.slack.wait_for("chat.postMessage", 1)
    valid(post.params)
    assert post["channel"] == small.channel  # the study channel, wherever /ask was typed
    assert post["text"].startswith(f"<@{MEMBER}> asks: Why is @channel &amp; eigen")
    assert "<!channel>" not in json.dumps(post.params)
    assert "Eigenvectors and eigenvalues" in all_text(post.params)
    (confirm,) = responses(small, 1)
    assert confirm["response_type"] == "ephemeral"
    ts = small.slack.posts()[0].params.get("ts") or max(small.slack.messages[small.channel])
    assert f"/archives/{small.channel}/p{ts.replace('.', '')}" in all_text(confirm)
    question = archived(small, ts)
    assert question.user == MEMBER and question.source == "ask" and not question.anonymous
    assert question.topic_id == "eigen" and question.week == "2026-09-14"
    assert question.text == "Why is <!channel> & eigen *so* hard?"  # wire format, as sent


def test_the_confirmations_link_through_the_workspace_url_whatever_the_payload_says(
    small: Sandbox,
):
    """One link host, auth.test's, as /qa's: not the team_domain a payload carries (blank in
    Slack's published samples), for /ask with text and for the form."""
    team = small.app.client.auth_test()["url"]
    small.client.command("/ask", "Is a basis unique?", team_domain="")
    small.client.view_submission(SUBMIT, form("Are eigenvectors orthogonal?"))  # no team
    for confirm in responses(small, 1) + [dict(c.params) for c in _told(small)]:
        text = all_text(confirm)
        assert f"{team}archives/{small.channel}/p" in text, text
        assert "https://slack.com/archives" not in text


def _told(box: Sandbox) -> list:
    """The form's confirmation, told privately (chat.postEphemeral)."""
    return wait_until(lambda: box.slack.calls_to("chat.postEphemeral"))


def test_an_ask_question_deleted_in_the_channel_leaves_the_archive(small: Sandbox):
    """The bot posted it, so Slack's message_deleted names the bot as its author: the archive
    still follows the channel (an organizer removing a question), as for a member's own."""
    small.client.command("/ask", "Is a basis unique?")
    responses(small, 1)
    ts = max(small.slack.messages[small.channel])
    assert archived(small, ts)
    previous = {k: v for k, v in small.slack.messages[small.channel][ts].items() if k != "channel"}
    event = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": small.channel,
        "hidden": True,
        "deleted_ts": ts,
        "previous_message": previous,  # user and bot_id: the bot's own
        "event_ts": small.slack.next_ts(),
        "ts": small.slack.next_ts(),
        "channel_type": "channel",
    }
    assert previous["user"] == BOT_USER and previous["bot_id"]
    assert small.client.event(event).status == 200
    assert [q for q in listings.open_questions(small.deps.db) if q.ts == ts] == []
    assert qa_search.search(small.deps.db, qa_search.fts_query("basis")) == []


def test_ask_with_text_when_slack_refuses_tells_the_member_and_keeps_nothing(small: Sandbox):
    small.slack.fail("chat.postMessage", status=200, error="channel_not_found")
    small.client.command("/ask", "Is a basis unique?")
    (reply,) = responses(small, 1)
    assert "could not post" in all_text(reply) and "channel_not_found" in all_text(reply)
    assert listings.open_questions(small.deps.db) == []


def test_ask_before_the_start_posts_without_a_topic(small: Sandbox):
    small.clock.set(monday(SMALL, -1))
    small.client.command("/ask", "What should I read first?", user="U0NEWBIE1")
    small.slack.wait_for("chat.postMessage", 1)
    responses(small, 1)
    ts = max(small.slack.messages[small.channel])
    question = archived(small, ts)
    assert question.topic_id is None and question.week is None and question.user == "U0NEWBIE1"


def test_ask_without_text_opens_the_form_with_this_weeks_topic(small: Sandbox):
    reply = small.client.command("/ask")
    assert reply.status == 200 and not reply.body  # nothing to show: the form opens
    (call,) = small.slack.wait_for("views.open", 1)
    assert call["trigger_id"].endswith(".trigger")
    view = assert_valid_view(call["view"])
    assert view["callback_id"] == SUBMIT
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    select = blocks["topic"]["element"]
    assert select["initial_option"]["value"] == "eigen"
    assert [o["value"] for o in select["options"]] == [
        "vectors",
        "eigen",
        "gradient-descent",
        "pca",
    ]
    assert "Ask anonymously" in all_text(blocks["anonymous"])
    assert blocks["question"]["element"]["type"] == "plain_text_input"


def test_ask_form_that_does_not_open_falls_back_to_the_usage_card(small: Sandbox):
    small.slack.fail("views.open", status=200, error="expired_trigger_id")
    small.client.command("/ask")
    (reply,) = responses(small, 1)
    assert "did not open" in all_text(reply) and "How to use `/ask`" in all_text(reply)


def test_ask_form_after_the_end_has_no_default_topic(small: Sandbox):
    small.clock.set(monday(SMALL, 30))
    small.client.command("/ask")
    view = assert_valid_view(small.slack.wait_for("views.open", 1)[0]["view"])
    select = next(b for b in view["blocks"] if b.get("block_id") == "topic")["element"]
    assert "initial_option" not in select


def test_form_submission_posts_and_archives_with_the_chosen_topic(small: Sandbox):
    reply = small.client.view_submission(SUBMIT, form("How do I pick <k> & why?", "pca"))
    assert reply.status == 200 and not reply.body
    (post,) = small.slack.wait_for("chat.postMessage", 1)
    valid(post.params)
    assert post["text"] == f"<@{MEMBER}> asks: How do I pick &lt;k&gt; &amp; why?"
    assert "Principal component analysis" in all_text(post.params)
    (note,) = small.slack.wait_for("chat.postEphemeral", 1)
    valid(note.params)
    assert note["user"] == MEMBER and note["channel"] == small.channel
    ts = max(small.slack.messages[small.channel])
    question = archived(small, ts)
    assert question.topic_id == "pca" and question.source == "ask" and question.user == MEMBER
    assert question.week == "2026-09-14"


def test_anonymous_question_shows_no_name_anywhere_and_stores_no_user(small: Sandbox):
    small.slack.add_user(MEMBER, "alice", real_name="Alice Liddell")
    small.client.view_submission(SUBMIT, form("Is it OK that I'm lost?", "eigen", anonymous=True))
    (post,) = small.slack.wait_for("chat.postMessage", 1)
    valid(post.params)
    raw = json.dumps(post.params)
    for trace in (MEMBER, "alice", "Alice", "u0member1"):
        assert trace not in raw
    assert "anonymously" in post["text"]
    small.slack.wait_for("chat.postEphemeral", 1)
    ts = max(small.slack.messages[small.channel])
    question = archived(small, ts)
    assert question.user is None and question.anonymous
    row = small.deps.db.execute("SELECT * FROM qa_questions WHERE ts = ?", (ts,)).fetchone()
    assert MEMBER not in [str(v) for v in row]
    # Every later Slack call (e.g. the asker's private confirmation) is to the asker only.
    public = [c for c in small.slack.calls if c.method == "chat.postMessage"]
    assert len(public) == 1


def test_empty_question_is_refused_in_the_form(small: Sandbox):
    reply = small.client.view_submission(SUBMIT, form("   "))
    assert reply.status == 200
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"question": "Write your question first."},
    }
    assert small.slack.posts() == []


def test_form_submission_when_the_member_is_not_in_the_channel_gets_a_dm(small: Sandbox):
    small.slack.fail("chat.postEphemeral", status=200, error="user_not_in_channel")
    small.client.view_submission(SUBMIT, form("Where are the notes?"))
    posts = small.slack.wait_for("chat.postMessage", 2)
    assert {p["channel"] for p in posts} == {small.channel, MEMBER}
    for p in posts:
        valid(p.params)


def test_ask_help_is_the_usage_card(small: Sandbox):
    body = answer(small.client.command("/ask", "help"))
    assert "How to use `/ask`" in all_text(body)
    assert small.slack.posts() == [] and small.slack.calls_to("views.open") == []


def long_question(marker: str = "ZEBRAFINCH") -> str:
    """About 12,000 characters in paragraphs, a link, an entity and a word only at the end."""
    paragraph = " ".join(f"word{i} &amp; <https://example.org/{i}|ref {i}>" for i in range(40))
    return "\n".join([paragraph] * 8) + f"\nWhy does {marker} end it?"


def test_a_long_question_continues_in_its_thread_and_is_archived_whole(small: Sandbox):
    text = long_question()
    assert len(text) > 3 * 2900
    small.client.command("/ask", text)
    posts = small.slack.wait_for("chat.postMessage", 2)
    responses(small, 1)
    first, *rest = posts
    valid(first.params)
    assert "(continued in the thread)" in all_text(first.params)
    ts = min(small.slack.messages[small.channel])  # the channel post, before its replies
    for reply in rest:
        valid(reply.params)
        assert reply["thread_ts"] == ts
    question = wait_until(lambda: questions.question_at(small.deps.db, small.channel, ts))
    assert question.text == text  # whole, as sent
    shown = " ".join(
        b["text"]["text"] for post in posts for b in post["blocks"] if b["type"] == "section"
    )
    assert "ZEBRAFINCH end it?" in shown and "&lt;https" not in shown  # links stay links
    for section in (b for p in posts for b in p["blocks"] if b["type"] == "section"):
        assert len(section["text"]["text"]) <= 3000
    assert [q.id for q in listings.open_questions(small.deps.db)] == [question.id]
    [hit] = qa_search.search(small.deps.db, "zebrafinch")  # its end is searchable too
    assert hit.question.id == question.id


def test_a_question_that_fits_posts_no_continuation(small: Sandbox):
    small.client.command("/ask", "Short and sweet?")
    small.slack.wait_for("chat.postMessage", 1)
    responses(small, 1)
    assert len(small.slack.posts()) == 1
    assert "continued" not in all_text(small.slack.posts()[0].params)


def test_when_the_rest_cannot_be_posted_the_asker_is_told_it_was_shortened(small: Sandbox):
    from bot.slack.ask import continue_in_thread

    small.slack.fail("chat.postMessage", status=200, error="msg_too_long")
    continue_in_thread(small.app.client, small.channel, "1.000001", MEMBER, long_question())
    (note,) = small.slack.wait_for("chat.postEphemeral", 1)
    valid(note.params)
    assert note["user"] == MEMBER and "shortened" in all_text(note.params)
    assert "kept whole in the archive" in all_text(note.params)


def _sample(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def test_a_form_sent_with_every_field_of_slacks_sample_posts_with_the_bot_token(small: Sandbox):
    """Slack's interactivity payloads carry `bot_access_token` and `function_data` (for
    workflow functions; the shared samples list them, blank). Bolt's function-token middleware
    put that blank token on the listener's client, so the form's question and every note to
    the member went out unauthenticated (not_authed): the bot has no functions, so its own
    token must stay."""
    sample = _sample("ViewSubmissionPayload.json")
    assert "bot_access_token" in sample and "function_data" in sample
    payload = {
        **sample,
        "team": {"id": "T0STUDY01", "domain": "study"},
        "user": {"id": MEMBER, "username": "member", "name": "member", "team_id": "T0STUDY01"},
        "api_app_id": "A0STUDY01",
        "trigger_id": "1.1.trigger",
        "view": {
            **sample["view"],
            "id": "V0001",
            "type": "modal",
            "callback_id": SUBMIT,
            "state": {"values": form("What is a Hessian?")},
        },
    }
    assert small.client.interaction(payload).status == 200
    (post,) = small.slack.wait_for("chat.postMessage", 1)
    assert post.token and post.token.startswith("xoxb-"), post
    assert post["text"] == f"<@{MEMBER}> asks: What is a Hessian?"
    (note,) = small.slack.wait_for("chat.postEphemeral", 1)
    assert note.token == post.token


def test_a_button_sent_with_every_field_of_slacks_sample_calls_slack_with_the_bot_token(
    small: Sandbox,
):
    """The same for a click: the Home tab's "Ask a question" button opens the form."""
    sample = _sample("BlockActionPayload.json")
    payload = {
        **sample,
        "type": "block_actions",
        "team": {"id": "T0STUDY01", "domain": "study"},
        "user": {"id": MEMBER, "username": "member", "name": "member", "team_id": "T0STUDY01"},
        "api_app_id": "A0STUDY01",
        "trigger_id": "2.2.trigger",
        "container": {"type": "view", "view_id": "V0002"},
        "view": {**sample["view"], "id": "V0002", "type": "home"},
        "actions": [
            {
                "type": "button",
                "action_id": "home_ask",
                "block_id": "b1",
                "value": "",
                "action_ts": "1.2",
            }
        ],
    }
    for absent in ("channel", "message", "app_unfurl"):
        payload.pop(absent, None)
    assert small.client.interaction(payload).status == 200
    (opened,) = small.slack.wait_for("views.open", 1)
    assert opened.token and opened.token.startswith("xoxb-"), opened
