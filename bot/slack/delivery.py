"""Sending the scheduled posts: claim in the ledger, compose, post to Slack once (with retries), report failures.

`deliver` sends one post exactly once (bot.core.ledger has the protocol), `run_due` sends what
is due (the scheduler's tick), and `SlackPoster` is the Slack side: send with retries, find the
bot's own tagged posts, DM organizers.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import socket
import time
import urllib.error
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import calendar, pace_vote
from bot.core.calendar import POST_KINDS, Calendar, Week
from bot.core.deps import Deps
from bot.core.ledger import (
    Claim,
    LedgerRow,
    claim,
    mark_failed,
    mark_reported,
    mark_sent,
    sending,
    sent_row,
)
from bot.core.post_plan import (
    Context,
    Outcome,
    Poster,
    PostError,
    Status,
    due_now,
    gather,
    metadata,
    same_post,
    stale,
)
from bot.slack import workspace
from bot.slack.render.posts import compose, failure_notice

log = logging.getLogger(__name__)

# Waits between tries after a 5xx or a network error (the scheduler retries later on top).
BACKOFF: tuple[float, ...] = (0.5, 1.0, 2.0)
MAX_RATE_LIMITED = 5
# A Retry-After longer than this is not waited out in a worker thread: the post is recorded as
# failed and the scheduler's retry picks it up.
MAX_RETRY_AFTER = 60.0
# How far back to look for an earlier copy of a post (newest first, 200 messages a page).
HISTORY_PAGES = 5
# A post must not be sent twice, so its client waits longer than the usual 10 s: Slack slow
# but working (answering after 11, 15, 25 s) is then simply an answer.
POST_TIMEOUT = 30.0
# After a request that left but got no answer (timed out, or the connection dropped), Slack
# may still be posting it: look in the channel over this long before any second send. With
# POST_TIMEOUT, a post is given a minute of Slack's own processing in all.
GRACE = 30.0
LOOK_EVERY: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0)  # then every 5 s until GRACE

_NETWORK_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException, ValueError)


class SlackPoster:
    """bot.core.post_plan.Poster over a slack_sdk WebClient."""

    def __init__(
        self,
        client: WebClient,
        *,
        backoff: Sequence[float] = BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
        grace: float = GRACE,
        resend_unconfirmed: bool = True,
    ) -> None:
        self.client = _patient(client)
        self.backoff = tuple(backoff)
        # A member waiting on /ask cannot wait out minutes of looks: a shorter grace, and a
        # post Slack never confirmed is reported to them rather than sent a second time.
        self.grace = grace
        self.resend_unconfirmed = resend_unconfirmed
        self.sleep = sleep
        self._bot_id: str | None = None

    def post(
        self,
        channel: str,
        message: dict[str, Any],
        metadata: dict[str, Any],
        sending: Callable[[], None] | None = None,
    ) -> str:
        """Send; 429 waits for Retry-After, 5xx and network errors retry with backoff. Before a
        retry that follows an unclear failure (Slack may have posted it anyway), look first.
        `sending` is called before each request leaves."""
        backoff = list(self.backoff)
        rate_limited = 0
        unclear: str | None = None  # "answered" (5xx) or "no answer": Slack may have posted it
        joined = False
        last = "unknown_error"
        while True:
            if unclear == "answered" and (ts := self.find(channel, metadata)):
                return ts  # Slack answered 5xx yet took it: its answer came after the work
            if unclear == "no answer":
                if ts := self.settle(channel, metadata, self.grace):
                    return ts  # Slack finished after the client gave up
                if not self.resend_unconfirmed:
                    raise PostError(f"Slack did not confirm it ({last})")
            try:
                if sending is not None:
                    sending()
                response = self.client.chat_postMessage(
                    channel=channel,
                    text=message["text"],
                    blocks=message.get("blocks"),
                    metadata=metadata,
                    unfurl_links=False,
                    unfurl_media=False,
                )
                # A Slack that answers ok without a ts still took the post; there is no link.
                return str(response.get("ts") or "")
            except SlackApiError as exc:
                status = exc.response.status_code
                last = str(exc.response.get("error") or f"http_{status}")
                if status == 429 or last == "ratelimited":
                    rate_limited += 1
                    wait = _retry_after(exc.response.headers)
                    if rate_limited > MAX_RATE_LIMITED or wait > MAX_RETRY_AFTER:
                        raise PostError("ratelimited") from None
                    log.warning("chat.postMessage rate limited; waiting %.0f s", wait)
                    self.sleep(wait)
                    continue
                if status >= 500:
                    unclear = "answered"
                elif last == "not_in_channel" and not joined:
                    joined = True
                    self._join(channel)
                    continue
                else:
                    raise PostError(last) from None
            except _NETWORK_ERRORS as exc:
                # Refused or unresolvable: the request never left, nothing to look for.
                unclear = None if _never_left(exc) else "no answer"
                last = f"network: {exc.__class__.__name__}"
            if not backoff:
                raise PostError(last)
            wait = backoff.pop(0)
            log.warning("chat.postMessage failed (%s); retrying in %.1f s", last, wait)
            self.sleep(wait)

    def find(self, channel: str, metadata: dict[str, Any]) -> str | None:
        """The ts of the bot's own message tagged with this metadata (conversations.history with
        include_all_metadata), newest first, a few pages back."""
        bot_id = self._own_bot_id()
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                page = self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200, cursor=cursor
                )
            except SlackApiError as exc:
                raise PostError(f"cannot read the channel: {exc.response.get('error')}") from None
            except _NETWORK_ERRORS as exc:
                raise PostError(f"cannot read the channel: {exc.__class__.__name__}") from None
            for message in page.get("messages") or []:
                if bot_id and message.get("bot_id") not in (None, bot_id):
                    continue
                if same_post(message.get("metadata"), metadata):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    def settle(self, channel: str, metadata: dict[str, Any], seconds: float) -> str | None:
        """Look for the post in the channel until it shows up or `seconds` have passed (at
        least once): what a request still in Slack's hands needs before any second send."""
        deadline = time.monotonic() + seconds
        waits = list(LOOK_EVERY)
        while True:
            if ts := self.find(channel, metadata):
                return ts
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            wait = waits.pop(0) if waits else LOOK_EVERY[-1]
            log.info("Slack has not shown the post yet; looking again in %.0f s", min(wait, left))
            self.sleep(min(wait, left))

    def notify(self, users: Sequence[str], text: str) -> None:
        for user in users:
            try:
                self.client.chat_postMessage(channel=user, text=text)
            except Exception as exc:  # Slack may be the very thing that is down
                log.warning("could not tell %s: %s", user, exc.__class__.__name__)

    def _own_bot_id(self) -> str | None:
        if self._bot_id is None:
            try:
                self._bot_id = str(self.client.auth_test().get("bot_id") or "")
            except Exception:
                return None
        return self._bot_id or None

    def _join(self, channel: str) -> None:
        try:
            self.client.conversations_join(channel=channel)
        except Exception as exc:
            log.warning("could not join %s: %s", channel, exc.__class__.__name__)


def _patient(client: WebClient) -> WebClient:
    """The same client (token, Slack URL, retry policy) with POST_TIMEOUT."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=max(int(POST_TIMEOUT), client.timeout),
        headers=dict(client.headers),
        retry_handlers=client.retry_handlers,
    )


def _never_left(error: BaseException) -> bool:
    reason = getattr(error, "reason", error)
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


def _retry_after(headers: Any) -> float:
    for key in ("Retry-After", "retry-after"):
        value = (headers or {}).get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            try:
                return max(float(value), 0.0)
            except ValueError:
                break
    return 1.0


# --- one post, exactly once ------------------------------------------------------------------


def deliver(
    deps: Deps,
    poster: Poster,
    kind: str,
    *,
    force: bool = False,
    now: dt.datetime | None = None,
    cal: Calendar | None = None,
    week: Week | None = None,
) -> Outcome:
    """Send this week's post of `kind` unless it went out already (`force`: send another)."""
    now = now or deps.now()
    roadmap = deps.roadmap
    if cal is None or week is None:
        cal = deps.calendar()
        week = cal.week_of(calendar.local_today(roadmap.schedule, now))
    if week.kind != "topic" or week.topic is None:
        return Outcome(kind, "nothing", week.key, error=f"no topic in the week of {week.start}")
    channel = deps.channel
    if not channel:
        return Outcome(kind, "nothing", week.key, error="no channel is set")
    db = deps.db
    if not force and (done := sent_row(db, kind, week.key)):
        return Outcome(kind, "already", week.key, done.channel, done.ts, done.attempt, done.tries)
    due = calendar.due_at(roadmap.schedule, kind, week) if kind in POST_KINDS else None
    got = claim(
        db, kind, channel, week.key, now=now, force=force, topic_id=week.topic.id, due_at=due
    )
    if isinstance(got, LedgerRow):
        status: Status = "already" if got.status == "sent" else "busy"
        return Outcome(kind, status, week.key, got.channel, got.ts, got.attempt, got.tries)
    meta = metadata(kind, week.key, got.attempt)
    try:
        if got.resumed and (ts := _earlier_copy(deps, poster, got, channel, meta, now)):
            mark_sent(db, got, ts, now)
            log.info("%s for %s was already in %s (ts %s)", kind, week.key, channel, ts)
            return Outcome(kind, "found", week.key, channel, ts, got.attempt, got.tries)
        if kind == "recap" and pace_vote.decide(db, week, roadmap.schedule.vote, now):
            cal = deps.calendar()  # the group's vote may have given the topic another week
            week = cal.week_of(week.start)
        if isinstance(poster, SlackPoster):  # links open in the workspace, as /qa's: learnt once
            workspace.url(db, poster.client, quiet=True)  # Slack unreachable: the post says so
        ctx = Context(roadmap, cal, week, db, now, channel)
        message = compose(gather(kind, ctx))
        # Each request's departure is noted: a restart after a kill waits for the latest one
        # (after a Retry-After or a retry it can leave a minute or more after the claim).
        ts = poster.post(channel, message, meta, sending=lambda: sending(db, got, deps.now()))
    except Exception as exc:
        error = exc.error if isinstance(exc, PostError) else f"{exc.__class__.__name__}: {exc}"
        if not isinstance(exc, PostError):
            log.exception("%s for %s failed", kind, week.key)
        row = mark_failed(db, got, error)
        _report(deps, poster, row)
        return Outcome(kind, "failed", week.key, channel, None, got.attempt, got.tries, error)
    mark_sent(db, got, ts, now)
    log.info("%s for %s sent to %s (ts %s)", kind, week.key, channel, ts)
    return Outcome(kind, "sent", week.key, channel, ts, got.attempt, got.tries)


def _earlier_copy(
    deps: Deps, poster: Poster, got: Claim, channel: str, meta: dict[str, Any], now: dt.datetime
) -> str | None:
    """An earlier try's post, if it is in the channel. A try cut off mid-send (its process
    died) may still be in Slack's hands: look until its latest request is surely done."""
    if got.in_flight_since is None:
        return poster.find(channel, meta)
    done_by = got.in_flight_since + dt.timedelta(seconds=POST_TIMEOUT + GRACE)
    return poster.settle(channel, meta, max((done_by - now).total_seconds(), 0.0))


def _report(deps: Deps, poster: Poster, row: LedgerRow) -> None:
    """Tell the organizers once per post that it failed (the retries carry on regardless)."""
    log.error(
        "%s for the week of %s could not be sent to %s: %s (try %d)",
        row.kind,
        row.week,
        row.channel,
        row.error,
        row.tries,
    )
    if row.reported:
        return
    admins = deps.settings.admins
    if not admins:
        log.warning("no STUDYBOT_ADMINS to tell; see /studygroup status")
        return
    try:
        poster.notify(admins, failure_notice(row))
    finally:
        mark_reported(deps.db, row.id)


def run_due(
    deps: Deps,
    poster: Poster,
    now: dt.datetime | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> list[Outcome]:
    """Send every post of the current week that is due, not yet out and not stale (what each
    tick does; post_plan.stale: no late prompt and empty recap at once after a first start late
    in a week); `stop` says the bot is shutting down: start no further post."""
    now = now or deps.now()
    roadmap = deps.roadmap
    cal = deps.calendar()
    outcomes = []
    for kind, week, _ in due_now(roadmap, cal, now):
        if stop() or sent_row(deps.db, kind, week.key):
            continue
        weekly = sent_row(deps.db, "weekly", week.key)
        weekly_sent = (
            dt.datetime.fromisoformat(weekly.sent_at) if weekly and weekly.sent_at else None
        )
        if stale(kind, week, roadmap.schedule, now, weekly_sent):
            continue
        outcomes.append(deliver(deps, poster, kind, now=now, cal=cal, week=week))
    return outcomes
