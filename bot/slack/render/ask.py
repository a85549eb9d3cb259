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


def ask_post(question: str, user: str | None, topic: Topic | None) -> Message:
    """The question as posted to the channel; `question` is Slack wire format (escaped here).
    Anonymous (`user` None): no name, mention or id anywhere in the message."""
    who = f"<@{user}> asks" if user else "Someone asks anonymously"
    shown = bk.escape(question.strip())
    blocks = bk.sections(f":question: {who}: {shown}")[: bk.MAX_MESSAGE_BLOCKS - 1]
    facts = [f"Topic: {fmt.title(topic.title)}"] if topic else []
    facts.append("Answer in the thread :thread:")
    blocks.append(bk.context(" · ".join(facts)))
    return bk.message(f"{who}: {shown}", blocks)


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
