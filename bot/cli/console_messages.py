"""The study channel at the console: messages numbered #N, and what a member does to them
(say, reply, react, edit, delete), delivered to the app as Slack's events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.cli.sandbox import Sandbox
from bot.cli.standin import BOT_USER


class Channel:
    """The messages seen at the console, #1, #2, … in order, and the member's actions on them."""

    def __init__(self, box: Sandbox, out: Callable[[str], None]) -> None:
        self.box = box
        self.out = out
        self.messages: list[tuple[str, str]] = []  # (#N) -> (channel, ts)
        self.typed: list[tuple[int, bool]] = []  # (#N, top-level?) of the messages typed here

    def number(self, channel: str, ts: str) -> int:
        """Give the message at (channel, ts) the next number."""
        self.messages.append((channel, ts))
        return len(self.messages)

    def say(self, user: str, text: str, thread_ts: str | None = None) -> None:
        """A message typed in the study channel (or a thread), delivered as its event."""
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        event = self.box.slack.add_message(self.box.channel, user, _wire(text), **extra)
        n = self.number(self.box.channel, event["ts"])
        self.typed.append((n, thread_ts is None))
        self.out(f"#{n} you{' (in thread)' if thread_ts else ''}: {text}")
        self.box.client.event(event)

    def _target(self, rest: str, top_level: bool) -> tuple[str, str, str]:
        """`#N rest` or `N rest` names message N; otherwise the latest message typed here
        (top-level only, for a reply). Returns (channel, ts, rest)."""
        ref, _, tail = rest.partition(" ")
        if ref.lstrip("#").isdigit():
            return (*self._message(ref), tail)
        latest = [n for n, top in self.typed if top or not top_level]
        if not latest:
            raise ValueError("type a message first, or name one: e.g. reply 3 Your answer")
        return (*self._message(str(latest[-1])), rest)

    def _message(self, ref: str) -> tuple[str, str]:
        try:
            return self.messages[int(ref.lstrip("#")) - 1]
        except (ValueError, IndexError):
            raise ValueError(
                f"no message #{ref}; messages are numbered #1 to #{len(self.messages)}"
            ) from None

    def reply(self, user: str, rest: str) -> None:
        """`[N] TEXT`: a reply in the thread of #N (default: the latest message typed here)."""
        channel, ts, text = self._target(rest, top_level=True)
        if not text.strip():
            raise ValueError("say what: reply [N] YOUR ANSWER")
        with self.box.slack.lock:
            parent = self.box.slack.messages.get(channel, {}).get(ts, {})
        self.say(user, text, thread_ts=parent.get("thread_ts") or ts)

    def react(self, user: str, rest: str, kind: str) -> None:
        """`[N] EMOJI`: a reaction added or removed (`kind`) on #N."""
        channel, ts, emoji = self._target(rest, top_level=False)
        ref = str(self.messages.index((channel, ts)) + 1)
        emoji = emoji.strip().strip(":") or "white_check_mark"
        with self.box.slack.lock:
            author = self.box.slack.messages.get(channel, {}).get(ts, {}).get("user", BOT_USER)
        event = {
            "type": kind,
            "user": user,
            "reaction": emoji,
            "item_user": author,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": self.box.slack.next_ts(),
        }
        self.out(
            f"(you {'added' if kind == 'reaction_added' else 'removed'} :{emoji}: on #{ref.lstrip('#')})"
        )
        self.box.client.event(event)

    def edit(self, user: str, rest: str) -> None:
        """`N TEXT`: the member's message #N edited, as Slack tells the app."""
        ref, _, text = rest.strip().partition(" ")
        if not ref.lstrip("#").isdigit() or not text.strip():
            raise ValueError("say which and what: edit N NEW TEXT")
        channel, ts = self._message(ref)
        slack = self.box.slack
        with slack.lock:
            stored = self._own(user, channel, ts, "edit")
            previous = _event_copy(stored)
            stored.update(text=_wire(text), edited={"user": user, "ts": slack.next_ts()})
            message = _event_copy(stored)
        self.out(f"(you edited #{ref.lstrip('#')}: {text})")
        self.box.client.event(
            {
                "type": "message",
                "subtype": "message_changed",
                "hidden": True,
                "channel": channel,
                "message": message,
                "previous_message": previous,
                "event_ts": slack.next_ts(),
                "ts": slack.next_ts(),
                "channel_type": "channel",
            }
        )

    def delete(self, user: str, rest: str) -> None:
        """`N`: the member's message #N deleted (a tombstone when it has replies)."""
        ref = rest.strip()
        if not ref.lstrip("#").isdigit():
            raise ValueError("say which: delete N")
        channel, ts = self._message(ref)
        slack = self.box.slack
        with slack.lock:
            stored = self._own(user, channel, ts, "delete")
            previous = _event_copy(stored)
            if stored.get("reply_count"):
                # A message with replies stays as a tombstone: Slack says so as a change.
                stored.update(subtype="tombstone", text="This message was deleted.")
                stored.pop("user", None)
                event: dict[str, Any] = {
                    "subtype": "message_changed",
                    "message": _event_copy(stored),
                }
            else:
                slack.messages[channel].pop(ts, None)
                event = {"subtype": "message_deleted", "deleted_ts": ts}
        self.out(f"(you deleted #{ref.lstrip('#')})")
        self.box.client.event(
            {
                "type": "message",
                **event,
                "hidden": True,
                "channel": channel,
                "previous_message": previous,
                "event_ts": slack.next_ts(),
                "ts": slack.next_ts(),
                "channel_type": "channel",
            }
        )

    def _own(self, user: str, channel: str, ts: str, verb: str) -> dict[str, Any]:
        """The stored message at (channel, ts), if it is the current user's (hold the lock)."""
        n = self.messages.index((channel, ts)) + 1
        stored = self.box.slack.messages.get(channel, {}).get(ts)
        if stored is None or stored.get("subtype") == "tombstone":
            raise ValueError(f"#{n} was deleted")
        author = stored.get("user") or BOT_USER
        if author != user:
            who = "the bot's" if author == BOT_USER else f"{author}'s"
            raise ValueError(f"#{n} is {who}: members can {verb} only their own messages")
        return stored

    def latest_ts(self, channel: str) -> str:
        """The newest message in `channel` (what a post the bot just sent got as its ts)."""
        with self.box.slack.lock:
            stored = self.box.slack.messages.get(channel, {})
            return max(stored, key=float) if stored else ""


def _event_copy(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as an event carries it (without the stand-in's channel key)."""
    return {k: v for k, v in message.items() if k != "channel"}


def _wire(text: str) -> str:
    """What Slack would send for typed text: &, < and > escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
