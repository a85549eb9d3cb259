"""The scheduled posts before any rendering: which are due, what each is about, how a send went.

Three kinds (weekly prompt, mid-week nudge, recap). `gather` collects what a post says from the
roadmap, the calendar and the Q&A archive as plain values; bot.slack.render.posts turns them into
a message. Sending goes through the `Poster` protocol (bot.slack.delivery.SlackPoster), so this
module, like the rest of the core, knows no Slack library; every post carries the metadata
`metadata()` builds, by which a resumed claim finds an earlier copy (see bot.core.ledger).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import sqlite_utils

from bot.core import calendar, lead, listings, meta, pace_vote, questions
from bot.core import format as fmt
from bot.core.calendar import POST_KINDS, Calendar, PostKind, Week
from bot.core.ledger import next_unsent, weekly_ts
from bot.core.questions import Question
from bot.core.roadmap import Roadmap, Schedule, Topic

log = logging.getLogger(__name__)

EVENT_TYPE = "studybot_post"
RECALL_BACK = (1, 3, 8)  # spaced review: topics 1, 3 and 8 study weeks back
KIND_TITLES: dict[str, str] = {
    "weekly": "weekly post",
    "nudge": "mid-week nudge",
    "recap": "end-of-week recap",
}

Status = Literal["sent", "found", "already", "busy", "failed", "nothing"]
T = TypeVar("T")


# --- sending, as the core sees it --------------------------------------------------------------


class PostError(Exception):
    """Slack did not take the message (after the sender's own retries)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class Poster(Protocol):
    """What sends a post: Slack in production (bot.slack.delivery.SlackPoster)."""

    def post(
        self,
        channel: str,
        message: dict[str, Any],
        metadata: dict[str, Any],
        sending: Callable[[], None] | None = None,
    ) -> str:
        """Send; return the message ts. Raise PostError when Slack would not take it.
        `sending` is called just before each request leaves (the ledger notes when, so a
        restart after a kill waits for the latest one, not the first)."""
        ...

    def find(self, channel: str, metadata: dict[str, Any]) -> str | None:
        """The ts of the bot's own message carrying this metadata, if it is in the channel.
        Raise PostError when the channel cannot be read (then nobody can tell: do not send)."""
        ...

    def settle(self, channel: str, metadata: dict[str, Any], seconds: float) -> str | None:
        """`find`, looking again until the post shows up or `seconds` have passed: a request
        still in Slack's hands needs that before anyone sends it again."""
        ...

    def notify(self, users: Sequence[str], text: str) -> None:
        """Tell these people privately (best effort)."""
        ...


def metadata(kind: str, week_key: str, attempt: int) -> dict[str, Any]:
    """The message metadata every post carries: which post (kind, week, attempt) it is."""
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


@dataclass(frozen=True)
class Outcome:
    """How one try at a post went (what `studybot post` and /studygroup post report)."""

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
        """The post is in the channel (sent now, earlier, or by another process right now)."""
        return self.status in ("sent", "found", "already", "busy")


# --- when ----------------------------------------------------------------------------------------


def local_midnight(day: dt.date, tz: Any) -> dt.datetime:
    """00:00 of `day` in `tz`, in UTC."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def week_span(week: Week, tz: Any) -> tuple[dt.datetime, dt.datetime]:
    """The week as a UTC interval [Monday 00:00, next Monday 00:00) in the roadmap's timezone."""
    return local_midnight(week.start, tz), local_midnight(week.start + dt.timedelta(days=7), tz)


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


def stale(
    kind: PostKind,
    week: Week,
    schedule: Schedule,
    now: dt.datetime,
    weekly_sent: dt.datetime | None,
) -> bool:
    """A post of this week that is due but should not go out any more: after a first start
    late in a week (or downtime), the bot does not post a stale prompt and an empty recap at once.

    - The weekly post is stale once the week's recap is due: that week is over (without a
      recap, it goes out any time in its week).
    - The nudge and the recap follow the weekly post: neither goes out for a week whose weekly
      post never did (`weekly_sent` None: nothing to check in on or sum up), and the nudge
      not when the weekly post went out after the nudge's own time (two posts at once)."""
    if kind == "weekly":
        recap = calendar.due_at(schedule, "recap", week)
        return recap is not None and recap <= now
    if weekly_sent is None:
        return True
    if kind == "nudge":
        nudge = calendar.due_at(schedule, "nudge", week)
        return nudge is not None and weekly_sent > nudge
    return False


# --- what a post is about ------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Everything a post of one week is gathered from."""

    roadmap: Roadmap
    calendar: Calendar
    week: Week
    db: sqlite_utils.Database
    now: dt.datetime
    channel: str

    @property
    def tz(self) -> Any:
        """The roadmap's timezone."""
        return self.roadmap.schedule.tz


@dataclass(frozen=True)
class WeeklyFacts:
    """The weekly post: the week's topic, spaced review, and last week's open questions."""

    week: Week
    topic: Topic
    total_weeks: int
    stage: str  # the stage's title
    recall: list[tuple[str, Topic, int]]  # (question, its topic, study weeks back)
    carried: list[questions.Question]  # asked last week, not answered yet
    team: str = fmt.SLACK_URL  # the workspace URL, so message links open in place
    lead: str | None = None  # the week's discussion lead (bot.core.lead), a user id


@dataclass(frozen=True)
class NudgeFacts:
    """The mid-week check-in: this week's questions so far."""

    week: Week
    topic: Topic
    channel: str
    thread_ts: str | None  # the week's weekly post, whose thread collects questions
    asked: int
    waiting: list[questions.Question]  # not answered yet
    team: str = fmt.SLACK_URL  # the workspace URL, so message links open in place
    vote: pace_vote.Ballot | None = None  # "Need another week?" when the group votes its pace


@dataclass(frozen=True)
class RecapFacts:
    """The end-of-week recap: counts, who answered, and what comes next."""

    week: Week
    topic: Topic
    tz: Any
    asked: int
    answered: int  # Question.answered: a reply accepted with a ✅
    helpers: list[tuple[str, int]]  # (user, answers given)
    upcoming: tuple[Week, dt.datetime] | None  # the next weekly post, None when the roadmap ends
    pace: pace_vote.Decision | None = None  # how the group's "another week?" vote ended


Facts = WeeklyFacts | NudgeFacts | RecapFacts


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
    """Not answered, in the archive's one meaning (Question.answered: a reply accepted with a
    ✅ by the asker or an organizer), as /qa unanswered, App Home and the FAQ read it."""
    return not q.answered


def _qa(what: str, call: Callable[[], T], default: T) -> T:
    """A Q&A lookup for a post; if the archive fails, the post still goes out without it."""
    try:
        return call()
    except Exception:
        log.exception("Q&A lookup for the %s failed; posting without it", what)
        return default


def gather(kind: str, ctx: Context) -> Facts:
    """What this kind of post in ctx.week says, as plain values (ctx.week must have a topic)."""
    makers: dict[str, Callable[[Context], Facts]] = {
        "weekly": _weekly,
        "nudge": _nudge,
        "recap": _recap,
    }
    return makers[kind](ctx)


def _topic(ctx: Context) -> Topic:
    topic = ctx.week.topic
    assert topic is not None
    return topic


def _weekly(ctx: Context) -> WeeklyFacts:
    week, cal = ctx.week, ctx.calendar
    topic = _topic(ctx)
    start, _ = week_span(week, ctx.tz)
    previous = cal.weeks_back(week, 1)
    since = local_midnight(previous.start, ctx.tz) if previous else start - dt.timedelta(days=7)
    carried: list[questions.Question] = _qa(
        "weekly post",
        lambda: listings.open_questions(ctx.db, asked_since=since, asked_before=start),
        [],
    )
    return WeeklyFacts(
        week=week,
        topic=topic,
        total_weeks=cal.total_study_weeks,
        stage=ctx.roadmap.stage_title(topic.stage),
        recall=recall_questions(cal, week),
        carried=[q for q in carried if unanswered(q)],
        team=_team(ctx),
        lead=_lead(ctx),
    )


def _lead(ctx: Context) -> str | None:
    """The week's discussion lead, chosen once and kept (the same on every render)."""
    return _qa(
        "lead",
        lambda: lead.lead_for(
            ctx.db, ctx.week.key, lead.presumed_members(ctx.db, ctx.channel), ctx.now
        ),
        None,
    )


def _team(ctx: Context) -> str:
    """The workspace URL the bot learnt from auth.test (bot.slack.workspace), else slack.com's."""
    return _qa("links", lambda: meta.get_meta(ctx.db, meta.TEAM_URL), None) or fmt.SLACK_URL


def _nudge(ctx: Context) -> NudgeFacts:
    week = ctx.week
    topic = _topic(ctx)
    start, _ = week_span(week, ctx.tz)
    asked: list[questions.Question] = _qa(
        "nudge", lambda: listings.questions_between(ctx.db, start, ctx.now), []
    )
    return NudgeFacts(
        week=week,
        topic=topic,
        channel=ctx.channel,
        thread_ts=weekly_ts(ctx.db, ctx.channel, week.key),
        asked=len(asked),
        waiting=[q for q in asked if unanswered(q)],
        team=_team(ctx),
        vote=pace_vote.ballot(ctx.db, ctx.roadmap.schedule, ctx.calendar, week),
    )


def _recap(ctx: Context) -> RecapFacts:
    week = ctx.week
    topic = _topic(ctx)
    start, _ = week_span(week, ctx.tz)
    asked, answered = _qa("recap", lambda: listings.count_between(ctx.db, start, ctx.now), (0, 0))
    helpers: list[tuple[str, int]] = _qa(
        "recap", lambda: listings.answerers_between(ctx.db, start, ctx.now), []
    )
    upcoming = next_unsent(ctx.db, ctx.roadmap.schedule, ctx.calendar, "weekly", ctx.now)
    pace = pace_vote.decision(ctx.db, week.key)
    return RecapFacts(week, topic, ctx.tz, asked, answered, helpers, upcoming, pace)
