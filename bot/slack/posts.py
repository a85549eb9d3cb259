"""The scheduled posts (weekly prompt, mid-week nudge, recap): composed, claimed in a ledger, sent once.

Exactly once, across threads and processes sharing the database:
  1. claim: INSERT a `posts_ledger` row (unique kind+channel+week+attempt) inside BEGIN IMMEDIATE;
     whoever inserts it sends, everyone else sees it and stands back;
  2. a claim left by a process that died (or a failed try) is taken over, and before sending
     again the bot looks for its own post in the channel: every post carries Slack message
     metadata {event_type: "studybot_post", event_payload: {kind, week, attempt}};
  3. sent: the row gets the message ts (the Q&A archive finds weekly threads by it).
Slack stays behind the `Poster` protocol (bot.posts_slack.SlackPoster); this module imports no
Slack library.

Test-only hook: STUDYBOT_TEST_CRASH_AFTER=claim|send ends the process abruptly (os._exit) right
after the claim is committed or right after Slack accepted the message, as kill -9 would. The
exactly-once tests use it; nothing else sets it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import sqlite_utils

from bot.core import calendar, listings
from bot.core import format as fmt
from bot.core.calendar import POST_KINDS, Calendar, PostKind, Week
from bot.core.db import transaction
from bot.core.deps import Deps
from bot.core.questions import Question
from bot.core.roadmap import Roadmap, Topic
from bot.slack.render import blocks as bk

log = logging.getLogger(__name__)

EVENT_TYPE = "studybot_post"
# A claim whose owner cannot be checked (another host) is considered abandoned after this long;
# sending, with every retry, takes far less.
LEASE = dt.timedelta(minutes=15)
RECALL_BACK = (1, 3, 8)  # spaced review: topics 1, 3 and 8 study weeks back
MAX_LISTED = 10  # questions listed in one post; the rest are counted
KIND_TITLES: dict[str, str] = {
    "weekly": "weekly post",
    "nudge": "mid-week nudge",
    "recap": "end-of-week recap",
}

Status = Literal["sent", "found", "already", "busy", "failed", "nothing"]


# --- the Slack side, as this module needs it ---------------------------------------------


class PostError(Exception):
    """Slack did not take the message (after the sender's own retries)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class Poster(Protocol):
    def post(self, channel: str, message: dict[str, Any], metadata: dict[str, Any]) -> str:
        """Send; return the message ts. Raise PostError when Slack would not take it."""
        ...

    def find(self, channel: str, metadata: dict[str, Any]) -> str | None:
        """The ts of the bot's own message carrying this metadata, if it is in the channel.
        Raise PostError when the channel cannot be read (then nobody can tell: do not send)."""
        ...

    def notify(self, users: Sequence[str], text: str) -> None:
        """Tell these people privately (best effort)."""
        ...


def metadata(kind: str, week_key: str, attempt: int) -> dict[str, Any]:
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {"kind": kind, "week": week_key, "attempt": attempt},
    }


def same_post(found: Any, wanted: dict[str, Any]) -> bool:
    """Whether a message's metadata marks it as the post `wanted` describes (same event type,
    same payload values; Slack may hand numbers back as strings)."""
    if not isinstance(found, dict) or found.get("event_type") != wanted["event_type"]:
        return False
    got = found.get("event_payload") or {}
    return all(str(got.get(key)) == str(value) for key, value in wanted["event_payload"].items())


# --- the ledger ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    id: int
    kind: str
    channel: str
    week: str
    attempt: int
    status: str  # claimed | sent | failed
    ts: str | None
    topic_id: str | None
    due_at: str | None
    owner: str
    claimed_at: str
    sent_at: str | None
    tries: int
    error: str | None
    reported: bool


@dataclass(frozen=True)
class Claim:
    """The right to send one post; `resumed` when an earlier try may already have reached Slack."""

    row_id: int
    kind: str
    channel: str
    week: str
    attempt: int
    tries: int
    resumed: bool

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.kind, self.channel, self.week, self.attempt)


_COLUMNS = (
    "id, kind, channel, week, attempt, status, ts, topic_id, due_at, owner, claimed_at, "
    "sent_at, tries, error, reported"
)


def _rows(db: sqlite_utils.Database, where: str, params: Sequence[Any]) -> list[LedgerRow]:
    cursor = db.execute(f"SELECT {_COLUMNS} FROM posts_ledger WHERE {where}", list(params))
    return [LedgerRow(*row[:-1], bool(row[-1])) for row in cursor.fetchall()]


# Which claims this process is sending right now: a claim owned by this process but not in
# here was left behind (an earlier process that had the same pid, or a crashed thread).
_inflight: set[tuple[str, str, str, int]] = set()
_inflight_lock = threading.Lock()
_nonce: tuple[int, str] = (0, "")


def owner() -> str:
    """This process, as recorded on its claims: host, pid, and a nonce (pids are reused)."""
    global _nonce
    pid = os.getpid()
    if _nonce[0] != pid:
        _nonce = (pid, uuid.uuid4().hex[:8])
    return f"{socket.gethostname()}:{pid}:{_nonce[1]}"


def _alive(row: LedgerRow) -> bool | None:
    """Whether the process holding this claim is still at it (None: cannot tell, other host)."""
    parts = row.owner.split(":")
    if len(parts) != 3:
        return None
    host, pid_text, _ = parts
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if pid == os.getpid():
        if row.owner != owner():
            return False  # an earlier process that had our pid
        with _inflight_lock:
            return (row.kind, row.channel, row.week, row.attempt) in _inflight
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(row: LedgerRow, now: dt.datetime) -> bool:
    alive = _alive(row)
    if alive is False:
        return True
    return now - dt.datetime.fromisoformat(row.claimed_at) > LEASE


def claim(
    db: sqlite_utils.Database,
    kind: str,
    channel: str,
    week_key: str,
    *,
    now: dt.datetime,
    force: bool = False,
    topic_id: str | None = None,
    due_at: dt.datetime | None = None,
) -> Claim | LedgerRow:
    """Claim the post, or return the row that stands in the way (sent, or being sent)."""
    me = owner()
    with transaction(db) as conn:
        rows = _rows(
            db, "kind = ? AND channel = ? AND week = ? ORDER BY attempt", (kind, channel, week_key)
        )
        sent = [r for r in rows if r.status == "sent"]
        if not force and sent:
            return sent[-1]
        if force or not rows:
            attempt = rows[-1].attempt + 1 if rows else 0
            cursor = conn.execute(
                "INSERT INTO posts_ledger (kind, channel, week, attempt, status, topic_id, due_at,"
                " owner, claimed_at, tries) VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?, ?, 1)",
                (
                    kind,
                    channel,
                    week_key,
                    attempt,
                    topic_id,
                    due_at.isoformat() if due_at else None,
                    me,
                    now.isoformat(),
                ),
            )
            made = Claim(cursor.lastrowid or 0, kind, channel, week_key, attempt, 1, False)
        else:
            latest = rows[-1]
            if latest.status == "claimed" and not _abandoned(latest, now):
                return latest
            conn.execute(
                "UPDATE posts_ledger SET status = 'claimed', owner = ?, claimed_at = ?,"
                " tries = tries + 1 WHERE id = ?",
                (me, now.isoformat(), latest.id),
            )
            made = Claim(latest.id, kind, channel, week_key, latest.attempt, latest.tries + 1, True)
    with _inflight_lock:
        _inflight.add(made.key)
    return made


def _release(made: Claim) -> None:
    with _inflight_lock:
        _inflight.discard(made.key)


def mark_sent(db: sqlite_utils.Database, made: Claim, ts: str, now: dt.datetime) -> None:
    with transaction(db) as conn:
        conn.execute(
            "UPDATE posts_ledger SET status = 'sent', ts = ?, sent_at = ?, error = NULL"
            " WHERE id = ?",
            (ts, now.isoformat(), made.row_id),
        )
    _release(made)


def mark_failed(db: sqlite_utils.Database, made: Claim, error: str) -> LedgerRow:
    with transaction(db) as conn:
        conn.execute(
            "UPDATE posts_ledger SET status = 'failed', error = ? WHERE id = ? AND status != 'sent'",
            (error[:500], made.row_id),
        )
    _release(made)
    return _rows(db, "id = ?", (made.row_id,))[0]


def mark_reported(db: sqlite_utils.Database, row_id: int) -> None:
    db.execute("UPDATE posts_ledger SET reported = 1 WHERE id = ?", [row_id])


def sent_row(db: sqlite_utils.Database, kind: str, week_key: str) -> LedgerRow | None:
    """The week's post of this kind, if it went out (to any channel: changing the channel
    mid-week does not repeat the week's posts)."""
    rows = _rows(db, "kind = ? AND week = ? AND status = 'sent' ORDER BY id", (kind, week_key))
    return rows[0] if rows else None


def weekly_ts(db: sqlite_utils.Database, channel: str, week_key: str) -> str | None:
    """The ts of the week's weekly post in `channel` (its thread collects the week's questions)."""
    rows = _rows(
        db,
        "kind = 'weekly' AND channel = ? AND week = ? AND status = 'sent' ORDER BY attempt",
        (channel, week_key),
    )
    return rows[0].ts if rows else None


def recent(db: sqlite_utils.Database, limit: int = 10) -> list[LedgerRow]:
    """The latest ledger rows, newest first (for /studygroup status and the Home tab)."""
    return _rows(db, "1 ORDER BY claimed_at DESC, id DESC LIMIT ?", (limit,))


def failures(db: sqlite_utils.Database, since_week: str = "") -> list[LedgerRow]:
    """Failed posts that have not gone out since (of weeks from `since_week` on), newest first."""
    return _rows(
        db,
        "status = 'failed' AND week >= ? AND NOT EXISTS (SELECT 1 FROM posts_ledger s WHERE"
        " s.kind = posts_ledger.kind AND s.week = posts_ledger.week AND s.status = 'sent')"
        " ORDER BY claimed_at DESC, id DESC",
        (since_week,),
    )


# --- composing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    roadmap: Roadmap
    calendar: Calendar
    week: Week
    db: sqlite_utils.Database
    now: dt.datetime
    channel: str

    @property
    def tz(self) -> Any:
        return self.roadmap.schedule.tz


def local_midnight(day: dt.date, tz: Any) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def week_span(week: Week, tz: Any) -> tuple[dt.datetime, dt.datetime]:
    """The week as a UTC interval [Monday 00:00, next Monday 00:00) in the roadmap's timezone."""
    return local_midnight(week.start, tz), local_midnight(week.start + dt.timedelta(days=7), tz)


def slack_date(at: dt.datetime, tz: Any) -> str:
    """A time each reader sees in their own timezone, with the group's time as the fallback."""
    local = at.astimezone(tz)
    fallback = f"{local:%a %b %-d, %-I:%M %p} {local.tzname()}"
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _bullets(title: str, items: Sequence[str]) -> list[bk.Block]:
    if not items:
        return []
    return bk.sections(f"*{title}*\n" + "\n".join(items))


def recall_questions(cal: Calendar, week: Week) -> list[tuple[str, Topic, int]]:
    """Two or three recall questions from the topics 1, 3 and 8 study weeks back (not the
    current topic), one per topic first, varied from week to week."""
    current = week.topic.id if week.topic else None
    sources: list[tuple[int, Topic]] = []
    for back in RECALL_BACK:
        earlier = cal.weeks_back(week, back)
        topic = earlier.topic if earlier else None
        if (
            topic
            and topic.recall
            and topic.id != current
            and topic.id not in {t.id for _, t in sources}
        ):
            sources.append((back, topic))
    want = 3 if len(sources) >= 3 else 2
    picks: list[tuple[str, Topic, int]] = []
    for round_ in range(3):
        for back, topic in sources:
            if len(picks) >= want or round_ >= len(topic.recall):
                continue
            question = topic.recall[(week.study_week + round_) % len(topic.recall)]
            if all(question != q for q, _, _ in picks):
                picks.append((question, topic, back))
    return picks


def unanswered(q: Question) -> bool:
    """Nobody has replied yet (a reply counts as an answer even before the asker's ✅)."""
    return not q.answered and q.answer_count == 0


def _question_line(q: Question) -> str:
    link = q.permalink or fmt.message_link(q.channel, q.ts)
    return f"• {bk.truncate(fmt.safe(q.text), 220)} <{link}|→ thread>"


def _listed(questions: Sequence[Question], more_hint: str) -> list[str]:
    lines = [_question_line(q) for q in questions[:MAX_LISTED]]
    if len(questions) > MAX_LISTED:
        lines.append(f"…and {len(questions) - MAX_LISTED} more: {more_hint}")
    return lines


def _qa(what: str, call: Any, default: Any) -> Any:
    """A Q&A lookup for a post; if the archive fails, the post still goes out without it."""
    try:
        return call()
    except Exception:
        log.exception("Q&A lookup for the %s failed; posting without it", what)
        return default


def compose(kind: str, ctx: Context) -> dict[str, Any]:
    """The message (text fallback + blocks) for this kind of post in ctx.week."""
    return {"weekly": weekly, "nudge": nudge, "recap": recap}[kind](ctx)


def weekly(ctx: Context) -> dict[str, Any]:
    week, cal = ctx.week, ctx.calendar
    topic = week.topic
    assert topic is not None
    title = f"Week {week.study_week} of {cal.total_study_weeks}: {topic.title}"
    facts = [fmt.week_dates(week), ctx.roadmap.stage_title(topic.stage)]
    if week.topic_weeks > 1:
        facts.append(f"part {week.topic_week} of {week.topic_weeks} on this topic")
    out: list[bk.Block] = [bk.header(title), bk.context(" · ".join(fmt.safe(f) for f in facts))]
    out += bk.sections(fmt.safe(topic.summary)) if topic.summary.strip() else []
    out += _bullets(":dart: Key points", [f"• {fmt.safe(p)}" for p in topic.key_points])
    out += _bullets(":books: Resources", [fmt.resource_line(r) for r in topic.resources])
    out += _bullets(
        ":speech_balloon: Discussion prompts", [f"• {fmt.safe(p)}" for p in topic.prompts]
    )
    if topic.exercise:
        out += bk.sections(f"*:computer: Learn it through code*\n{fmt.safe(topic.exercise)}")
    recall = recall_questions(cal, week)
    out += _bullets(
        ":repeat: Spaced review — can you still answer these?",
        [
            f"• {fmt.safe(q)} _({fmt.safe(t.title)}, {back} week{'s' if back > 1 else ''} back)_"
            for q, t, back in recall
        ],
    )
    start, _ = week_span(week, ctx.tz)
    previous = cal.weeks_back(week, 1)
    since = local_midnight(previous.start, ctx.tz) if previous else start - dt.timedelta(days=7)
    carried = _qa(
        "weekly post",
        lambda: listings.open_questions(ctx.db, asked_since=since, asked_before=start),
        [],
    )
    carried = [q for q in carried if unanswered(q)]
    out += _bullets(
        ":hourglass: Still open from last week — can you help?",
        _listed(carried, "`/qa unanswered`"),
    )
    out.append(bk.divider())
    out.append(
        bk.section(
            ":thread: *Questions about this week's reading?* Ask them in this post's thread "
            "(or with `/ask`) — every question and answer is kept and searchable with `/qa`."
        )
    )
    fallback = (
        f"{title} ({fmt.week_dates(week)}). {topic.summary} "
        f"Key points, resources and prompts inside; ask your questions in this thread."
    )
    return bk.message(fallback, out)


def nudge(ctx: Context) -> dict[str, Any]:
    week = ctx.week
    topic = week.topic
    assert topic is not None
    start, _ = week_span(week, ctx.tz)
    asked = _qa("nudge", lambda: listings.questions_between(ctx.db, start, ctx.now), [])
    waiting = [q for q in asked if unanswered(q)]
    title = f"Mid-week check-in: {topic.title}"
    out: list[bk.Block] = [bk.header(title)]
    thread = weekly_ts(ctx.db, ctx.channel, week.key)
    where = (
        f"<{fmt.message_link(ctx.channel, thread)}|this week's thread>"
        if thread
        else "this week's thread"
    )
    if not asked:
        summary = f"No questions yet this week. Stuck on something? Ask in {where} — no question is too small."
    else:
        summary = (
            f"*{len(asked)}* question{'s' if len(asked) != 1 else ''} so far this week, "
            f"*{len(waiting)}* still waiting for an answer."
        )
    out.append(bk.section(summary))
    out += _bullets(
        ":raising_hand: Can you answer one of these?", _listed(waiting, "`/qa unanswered`")
    )
    if topic.prompts:
        out.append(bk.context(f"Something to think about: {fmt.safe(topic.prompts[-1])}"))
    fallback = f"{title}: {len(asked)} questions so far, {len(waiting)} unanswered."
    return bk.message(fallback, out)


_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def recap(ctx: Context) -> dict[str, Any]:
    week = ctx.week
    topic = week.topic
    assert topic is not None
    start, _ = week_span(week, ctx.tz)
    # Answered here means not unanswered(): replied to, or marked ✅.
    asked, answered = _qa("recap", lambda: listings.count_between(ctx.db, start, ctx.now), (0, 0))
    helpers = _qa("recap", lambda: listings.answerers_between(ctx.db, start, ctx.now), [])
    title = f"Week {week.study_week} recap: {topic.title}"
    out: list[bk.Block] = [
        bk.header(title),
        bk.section(
            f"*{asked}* question{'s' if asked != 1 else ''} asked this week, "
            f"*{answered}* answered."
            + (
                f" The {asked - answered} still open carry over to next week's post."
                if asked > answered
                else ""
            )
        ),
    ]
    # The bot's own text: mentions of answerers (validated ids) thank them, nothing else pings.
    thanks = [
        f"<@{user}> ({count} answer{'s' if count != 1 else ''})"
        for user, count in helpers
        if _USER_ID.match(user or "")
    ]
    if thanks:
        out.append(bk.section(":raised_hands: *Thank you* " + ", ".join(thanks[:25]) + "!"))
    out.append(bk.section(f"*What's next*\n{_whats_next(ctx)}"))
    fallback = f"{title}: {asked} questions asked, {answered} answered."
    return bk.message(fallback, out)


def _whats_next(ctx: Context) -> str:
    schedule = ctx.roadmap.schedule
    upcoming = calendar.next_due(schedule, ctx.calendar, "weekly", ctx.now)
    if upcoming is None:
        return ":tada: That was the last week of the roadmap. Well done, everyone!"
    week, at = upcoming
    assert week.topic is not None
    when = slack_date(at, ctx.tz)
    if ctx.week.topic and week.topic.id == ctx.week.topic.id:
        return f"We stay on *{fmt.safe(week.topic.title)}* (part {week.topic_week} of {week.topic_weeks}); the next post is {when}."
    return f"*{fmt.safe(week.topic.title)}* ({fmt.week_dates(week)}) — the post goes out {when}."


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    status: Status
    week: str | None = None
    channel: str | None = None
    ts: str | None = None
    attempt: int = 0
    tries: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "found", "already", "busy")


def _test_crash(point: str) -> None:
    """Test-only (see the module docstring): die here as kill -9 would."""
    if os.environ.get("STUDYBOT_TEST_CRASH_AFTER") == point:
        os._exit(86)


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
    due = calendar.due_at(roadmap.schedule, kind, week) if kind in POST_KINDS else None  # type: ignore[arg-type]
    got = claim(
        db, kind, channel, week.key, now=now, force=force, topic_id=week.topic.id, due_at=due
    )
    if isinstance(got, LedgerRow):
        status: Status = "already" if got.status == "sent" else "busy"
        return Outcome(kind, status, week.key, got.channel, got.ts, got.attempt, got.tries)
    _test_crash("claim")
    meta = metadata(kind, week.key, got.attempt)
    try:
        if got.resumed and (ts := poster.find(channel, meta)):
            mark_sent(db, got, ts, now)
            log.info("%s for %s was already in %s (ts %s)", kind, week.key, channel, ts)
            return Outcome(kind, "found", week.key, channel, ts, got.attempt, got.tries)
        ctx = Context(roadmap, cal, week, db, now, channel)
        ts = poster.post(channel, compose(kind, ctx), meta)
    except Exception as exc:
        error = exc.error if isinstance(exc, PostError) else f"{exc.__class__.__name__}: {exc}"
        if not isinstance(exc, PostError):
            log.exception("%s for %s failed", kind, week.key)
        row = mark_failed(db, got, error)
        _report(deps, poster, row)
        return Outcome(kind, "failed", week.key, channel, None, got.attempt, got.tries, error)
    _test_crash("send")
    mark_sent(db, got, ts, now)
    log.info("%s for %s sent to %s (ts %s)", kind, week.key, channel, ts)
    return Outcome(kind, "sent", week.key, channel, ts, got.attempt, got.tries)


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
    text = (
        f":warning: The {KIND_TITLES.get(row.kind, row.kind)} for the week of {row.week} could not "
        f"be sent to <#{row.channel}>: `{row.error}`. I'll keep retrying; `/studygroup status` "
        "shows where it stands."
    )
    try:
        poster.notify(admins, text)
    finally:
        mark_reported(deps.db, row.id)


def due_now(
    roadmap: Roadmap, cal: Calendar, now: dt.datetime
) -> list[tuple[PostKind, Week, dt.datetime]]:
    """This week's posts whose time has come, in the order they were due. Older weeks' posts are
    never sent late: after downtime, only the current week catches up."""
    schedule = roadmap.schedule
    week = cal.week_of(calendar.local_today(schedule, now))
    if week.kind != "topic":
        return []
    due = {
        kind: at
        for kind in POST_KINDS
        if (at := calendar.due_at(schedule, kind, week)) is not None and at <= now
    }
    if "nudge" in due and "recap" in due and due["nudge"] < due["recap"]:
        del due["nudge"]  # a missed mid-week check-in after the week's recap is only noise
    return sorted(((kind, week, at) for kind, at in due.items()), key=lambda item: item[2])


def run_due(
    deps: Deps,
    poster: Poster,
    now: dt.datetime | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> list[Outcome]:
    """Send every post of the current week that is due and not yet out (what each tick does);
    `stop` says the bot is shutting down: start no further post."""
    now = now or deps.now()
    roadmap = deps.roadmap
    cal = deps.calendar()
    outcomes = []
    for kind, week, _ in due_now(roadmap, cal, now):
        if stop() or sent_row(deps.db, kind, week.key):
            continue
        outcomes.append(deliver(deps, poster, kind, now=now, cal=cal, week=week))
    return outcomes
