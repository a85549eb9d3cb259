"""Members' messages over HTTP the short way: verified, recorded by the batch writer and
acknowledged on the event loop, their listeners run after the ack, without Bolt's dispatch.

Messages are most of what Slack sends, and Bolt's dispatch (its middleware chain and the
hand-over to a thread per request) cost the bot more CPU than recording the message
(BENCHMARKS.md). What Bolt does for an event still happens here, in the same order: the
signature and its age (slack_sdk's SignatureVerifier, as Bolt uses), replays refused, the
event recorded once before the ack (bot/core/event_writer.py, shared with Bolt's path), then
the routed listener after it. Anything else — other events, edits, bot messages, commands,
Socket Mode — takes Bolt's path (bot/slack/router.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.core.deps import Deps
from bot.core.event_writer import EventWriter, Outcome
from bot.slack.courtesy import Courtesy
from bot.slack.event_checks import Replays, is_redelivery, settle

log = logging.getLogger(__name__)

# A member's own message: what the archive keeps. Edits, deletions, bot messages and file
# shares (which Bolt drops when they are the bot's own: an upload may carry only the bot's user
# id) go through Bolt.
MEMBER_SUBTYPES = frozenset({None, "thread_broadcast"})
# Larger bodies are parsed off the event loop, on Bolt's path (a message event is a few KB).
MAX_BODY = 256 * 1024
Headers = Mapping[str, str | Sequence[str]]


class MessagePath:
    """`take(body, headers)` says whether a request is a member's message event (verified);
    `answer` records it and gives the status to answer, after which the routed listener runs
    on `executor` if it has anything to do (`needed`, given what the recorders said)."""

    def __init__(
        self,
        *,
        deps: Deps,
        writer: EventWriter,
        replays: Replays,
        signing_secret: str,
        listener: Callable[[dict[str, Any]], None],
        needed: Callable[[Sequence[str | None]], bool],
        executor: Executor,
        courtesy: Courtesy,
        client: WebClient,
    ) -> None:
        self.deps = deps
        self.writer = writer
        self.replays = replays
        self.verifier = SignatureVerifier(signing_secret)
        self.listener = listener
        self.needed = needed
        self.executor = executor
        self.courtesy = courtesy
        self.client = client

    def take(self, body: str, headers: Headers) -> dict[str, Any] | int | None:
        """For a member's message event: the status to answer at once (401: not Slack's, or a
        replay), or its parsed payload to `answer`. None for anything else (Bolt's path)."""
        if len(body) > MAX_BODY or not body.startswith("{") or '"event_callback"' not in body:
            return None
        # The signature first: nobody without the secret makes the event loop parse JSON.
        signature = _first(headers, "x-slack-signature")
        stamp = _first(headers, "x-slack-request-timestamp")
        if not (stamp and signature.isascii() and signature):
            return 401  # as Bolt answers a request that is not Slack's
        if not self.verifier.is_valid(body, stamp, signature):
            return 401  # not Slack's, or too old
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested past any payload's depth
            return None  # Bolt's path answers it (4xx)
        if not isinstance(payload, dict) or payload.get("type") != "event_callback":
            return None
        event, event_id = payload.get("event"), payload.get("event_id")
        if not (
            isinstance(event, dict)
            and event.get("type") == "message"
            and _member_subtype(event.get("subtype"))
            and not event.get("bot_id")
            and isinstance(event_id, str)
            and event_id
        ):
            return None
        if not self.replays.fresh(signature[:35], redelivery=is_redelivery(headers)):
            return 401
        return payload

    async def answer(self, payload: dict[str, Any], alone: bool = False) -> int:
        """Record the event (waiting for its batch's commit) and say the status to answer.
        `alone`: no other request can arrive meanwhile (one connection open, at a study
        group's pace say): with nothing to batch it with, it is recorded here, without the
        hand-offs to the writer thread and back, if nothing else is writing."""
        loop = asyncio.get_running_loop()
        if alone:
            outcome = self.writer.record_here(payload["event_id"], payload["event"])
            if outcome is not None:
                status, work = self._settled(payload, outcome)
                if work:  # once this step of the request has written its answer
                    loop.call_soon(self._hand_over, payload, outcome)
                return status
        answered: asyncio.Future[int] = loop.create_future()
        token = (loop, answered, payload)
        self.writer.submit(payload["event_id"], payload["event"], token, self._committed)
        return await answered

    def _committed(self, pairs: list[tuple[Any, Outcome]]) -> None:
        """On the writer thread, once per batch: the statuses to the event loop, the recorded
        events to their listener on the after-ack threads."""
        answers: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int]]] = {}
        recorded: list[tuple[dict[str, Any], Outcome]] = []
        for (loop, answered, payload), outcome in pairs:
            status, work = self._settled(payload, outcome)
            answers.setdefault(loop, []).append((answered, status))
            if work:
                recorded.append((payload, outcome))
        for loop, statuses in answers.items():  # the acks first, then the work after them
            loop.call_soon_threadsafe(_resolve, statuses)
        for payload, outcome in recorded:
            if not self._hand_over(payload, outcome):
                return

    def _settled(self, payload: dict[str, Any], outcome: Outcome) -> tuple[int, bool]:
        """The status to answer the event with, and whether its listener has work after it."""
        status = settle(self.deps, payload["event_id"], outcome)
        if status is not None:
            return status, False
        return 200, self.needed(outcome.recorded)

    def _hand_over(self, payload: dict[str, Any], outcome: Outcome) -> bool:
        """The recorded event to its listener on the after-ack threads; False when they are
        shutting down. One task per event, as on Bolt's path: a reply stuck on a slow Slack
        holds up no other event's."""
        try:
            self.executor.submit(self._after_ack, payload, outcome)
        except RuntimeError:  # shutting down: the events are kept, their replies skipped
            log.warning("shutting down: a message recorded without its replies")
            return False
        return True

    def _after_ack(self, payload: dict[str, Any], outcome: Outcome) -> None:
        payload["event"] = outcome.event  # as recorded (a lone surrogate replaced)
        context = {
            "deps": self.deps,
            "recorded": list(outcome.recorded),
            "courtesy": self.courtesy,
        }
        self.listener(
            {
                "ack": Ack(),  # the event was acknowledged already
                "body": payload,
                "event": outcome.event,
                "payload": outcome.event,
                "context": context,
                "client": self.client,
                "logger": log,
            }
        )


def _member_subtype(subtype: Any) -> bool:
    return (subtype is None or isinstance(subtype, str)) and subtype in MEMBER_SUBTYPES


def _resolve(answers: list[tuple[asyncio.Future[int], int]]) -> None:
    for answered, status in answers:
        if not answered.done():  # the caller may have gone (its connection dropped)
            answered.set_result(status)


def _first(headers: Headers, name: str) -> str:
    value = headers.get(name)
    if isinstance(value, str):
        return value
    return value[0] if value else ""
