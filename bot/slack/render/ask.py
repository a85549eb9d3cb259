"""/ask: the form, the question as posted to the channel, and what the asker is told."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core import format as fmt
from bot.core.roadmap import Roadmap, Topic
from bot.slack.render import blocks as bk
from bot.slack.render.ids import ASK_ANON, ASK_QUESTION, ASK_TOPIC, ASK_VIEW
from bot.slack.render.phrases import Block, Message

MODAL_TOPICS = 100  # Slack's cap on options in a select (and on option groups)
OPTION_TEXT = 75


def _option(topic: Topic) -> dict[str, Any]:
    return {
        "text": {
            "type": "plain_text",
            "text": bk.truncate(topic.title, OPTION_TEXT),
            "emoji": True,
        },
        "value": topic.id[:150],
    }


def topic_select(
    roadmap: Roadmap, topics: Sequence[Topic], default: Topic | None, action_id: str
) -> tuple[dict[str, Any], list[Topic]]:
    """A select of `topics` (grouped by stage past Slack's 100 options), `default` chosen;
    with the topics it could list."""
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": {"type": "plain_text", "text": "Pick a topic"},
    }
    listed = list(topics)
    if len(listed) <= MODAL_TOPICS:
        select["options"] = [_option(t) for t in listed]
    else:  # a long roadmap: one group per stage, each within Slack's 100
        groups: dict[str, list[Topic]] = {}
        for t in listed:
            groups.setdefault(t.stage, []).append(t)
        select["option_groups"] = [
            {
                "label": {
                    "type": "plain_text",
                    "text": bk.truncate(roadmap.stage_title(stage), OPTION_TEXT),
                },
                "options": [_option(t) for t in items[:MODAL_TOPICS]],
            }
            for stage, items in list(groups.items())[:MODAL_TOPICS]
        ]
        listed = [t for items in list(groups.values())[:MODAL_TOPICS] for t in items[:MODAL_TOPICS]]
    chosen = next((t for t in listed if default is not None and t.id == default.id), None)
    if chosen is not None:
        select["initial_option"] = _option(chosen)
    return select, listed


def ask_modal(
    roadmap: Roadmap, topics: Sequence[Topic], default: Topic | None, channel: str | None
) -> dict[str, Any]:
    """The /ask form: the question, its topic (this week's by default), "ask anonymously"."""
    select, listed = topic_select(roadmap, topics, default, ASK_TOPIC)
    where = f"<#{channel}>" if channel else "the study channel"
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": ASK_QUESTION,
            "label": {"type": "plain_text", "text": "Your question"},
            "element": {
                "type": "plain_text_input",
                "action_id": ASK_QUESTION,
                "multiline": True,
                "max_length": 2900,
                "placeholder": {"type": "plain_text", "text": "What are you stuck on?"},
            },
        },
    ]
    if listed:
        blocks.append(
            {
                "type": "input",
                "block_id": ASK_TOPIC,
                "optional": True,
                "label": {"type": "plain_text", "text": "Topic"},
                "element": select,
            }
        )
    blocks += [
        {
            "type": "input",
            "block_id": ASK_ANON,
            "optional": True,
            "label": {"type": "plain_text", "text": "Privacy"},
            "element": {
                "type": "checkboxes",
                "action_id": ASK_ANON,
                "options": [
                    {
                        "text": {"type": "plain_text", "text": "Ask anonymously"},
                        "description": {
                            "type": "plain_text",
                            "text": "Nobody sees who asked, and the archive keeps no name.",
                        },
                        "value": "anonymous",
                    }
                ],
            },
        },
        bk.context(f"Posted to {where}; answers come in its thread."),
    ]
    return {
        "type": "modal",
        "callback_id": ASK_VIEW,
        "title": {"type": "plain_text", "text": "Ask the study group"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


# A question longer than one section is posted in pieces: the first in the channel, the rest
# in its thread, a few sections per reply (Slack cuts a section at 3000 characters and a
# message at 50 blocks; the archive keeps the question whole either way).
FIRST_PIECE = 2800  # the channel post's question, with room for who asks
PIECE = 2900
PIECES_PER_REPLY = 10


def pieces(text: str, limit: int) -> list[str]:
    """`text` (mrkdwn) in pieces of at most `limit` characters, cut at a line break, else a
    space, never inside a link, a mention or an entity."""
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit + 1)
        if cut < limit // 2:
            cut = limit
        for opener, closer in (("<", ">"), ("&", ";")):
            at = text.rfind(opener, 0, cut)
            if at > 0 and text.find(closer, at, cut) == -1 and text.find(closer, at) != -1:
                cut = at
        out.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text or not out:
        out.append(text)
    return out


def _question_pieces(question: str) -> list[str]:
    shown = bk.escape(question.strip())
    first, *_ = pieces(shown, FIRST_PIECE)
    rest = shown[len(first) :].lstrip()
    return [first, *(pieces(rest, PIECE) if rest else [])]


def ask_post(question: str, user: str | None, topic: Topic | None) -> Message:
    """The question as posted to the channel; `question` is Slack wire format (escaped here).
    Anonymous (`user` None): no name, mention or id anywhere in the message. A question too
    long for one section shows its first part and says the rest is in the thread
    (ask_continued)."""
    who = f"<@{user}> asks" if user else "Someone asks anonymously"
    first, *rest = _question_pieces(question)
    more = " _(continued in the thread)_" if rest else ""
    blocks = [bk.section(f":question: {who}: {first}{more}")]
    facts = [f"Topic: {fmt.title(topic.title)}"] if topic else []
    facts.append("Answer in the thread :thread:")
    blocks.append(bk.context(" · ".join(facts)))
    return bk.message(f"{who}: {first}{more}", blocks)


def ask_continued(question: str) -> list[Message]:
    """The thread replies that carry the rest of a long question, in order ([] when it fits
    in the channel post)."""
    _, *rest = _question_pieces(question)
    replies = [rest[i : i + PIECES_PER_REPLY] for i in range(0, len(rest), PIECES_PER_REPLY)]
    out = []
    for n, group in enumerate(replies, start=2):
        label = f"_The question, continued ({n}/{len(replies) + 1}):_"
        blocks = [bk.context(label), *(bk.section(piece) for piece in group)]
        out.append(bk.message(f"The question, continued ({n}/{len(replies) + 1})", blocks))
    return out


def ask_shortened(channel: str) -> Message:
    """To the asker: the end of a long question could not be posted in its thread."""
    text = (
        f":warning: Your question was too long for one message in <#{channel}>, and I could not "
        "post the rest in its thread, so the channel shows it shortened. It is kept whole in "
        "the archive (`/qa` finds all of it)."
    )
    return bk.message(text, [bk.section(text)], response_type="ephemeral")


def ask_posted(channel: str, link: str | None, anonymous: bool) -> Message:
    how = "anonymously " if anonymous else ""
    where = fmt.link(link, "your question") if link else "your question"
    text = f":white_check_mark: Posted {where} {how}to <#{channel}>; answers arrive in its thread."
    return bk.message(text, [bk.section(text)], response_type="ephemeral")


def ask_failed(channel: str | None, error: str) -> Message:
    where = f"<#{channel}>" if channel else "the study channel"
    text = (
        f":warning: I could not post your question to {where} ({fmt.safe(error, 80)}). Try again?"
    )
    return bk.message(text, [bk.section(text)], response_type="ephemeral")
