"""What the App Home tab and the newcomer's welcome show one member, gathered as plain values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import sqlite_utils

from bot.core import calendar, ledger, listings, progress, questions, review
from bot.core import format as fmt
from bot.core.calendar import Calendar, Week
from bot.core.ledger import LedgerRow
from bot.core.roadmap import Roadmap, Topic

MAX_LISTED = 8  # questions per list: the Home tab stays well inside 100 blocks


@dataclass(frozen=True)
class HomeData:
    """Everything the Home tab shows one member, as plain values."""

    roadmap: Roadmap
    calendar: Calendar
    week: Week
    done: frozenset[str]
    mine: tuple[questions.Question, ...]
    to_help: tuple[questions.Question, ...]
    upcoming: tuple[tuple[str, dt.datetime], ...]
    thread_link: str | None = None
    organizer: bool = False
    team_url: str = fmt.SLACK_URL  # the workspace's address, for links to messages
    ledger: tuple[LedgerRow, ...] = ()
    notice: str | None = None
    review: ReviewSummary | None = None  # None: the member has no review cards yet


@dataclass(frozen=True)
class ReviewSummary:
    """The member's spaced review at a glance: cards due now, and days in a row reviewed."""

    due: int
    streak: int


def review_summary(
    db: sqlite_utils.Database,
    roadmap: Roadmap,
    cal: Calendar,
    week: Week,
    now: dt.datetime,
    user: str,
) -> ReviewSummary | None:
    """`user`'s cards due and review streak (their day in their own time zone, once known);
    None when they have no cards."""
    chosen, due = review.member_cards(db, user, roadmap.topics, cal, week, now)
    tz_name = review.settings(db, user).tz
    tz = review.zone(tz_name) if tz_name else roadmap.schedule.tz
    streak = review.streak(db, user, now.astimezone(tz).date())
    if not chosen and not streak:
        return None
    return ReviewSummary(due=len(due), streak=streak)


def gather(
    db: sqlite_utils.Database,
    roadmap: Roadmap,
    cal: Calendar,
    now: dt.datetime,
    user: str,
    channel: str | None,
    organizer: bool = False,
    team_url: str = fmt.SLACK_URL,
) -> HomeData:
    """What `user` sees now: this week, their ticks, open questions (theirs and others'), the
    next posts, the link to this week's thread; and for an organizer the latest posts."""
    week = cal.week_of(calendar.local_today(roadmap.schedule, now))
    ts = ledger.weekly_ts(db, channel, week.key) if channel else None
    return HomeData(
        roadmap=roadmap,
        calendar=cal,
        week=week,
        done=frozenset(progress.done_topics(db, user)),
        mine=tuple(listings.open_questions(db, user=user, limit=MAX_LISTED)),
        to_help=tuple(listings.open_questions(db, exclude_user=user, limit=MAX_LISTED)),
        upcoming=tuple(
            (kind, at) for kind, _, at in ledger.upcoming(db, roadmap.schedule, cal, now)
        ),
        thread_link=fmt.message_link(channel, ts, team=team_url) if channel and ts else None,
        organizer=organizer,
        team_url=team_url,
        ledger=tuple(ledger.recent(db, limit=6)) if organizer else (),
        review=review_summary(db, roadmap, cal, week, now, user),
    )


def with_notice(data: HomeData, notice: str | None) -> HomeData:
    """The same data with a one-line notice on top (what an organizer's control did)."""
    return replace(data, notice=notice)


def catch_up(roadmap: Roadmap, topic: Topic | None, done: frozenset[str]) -> list[Topic]:
    """The prerequisites (transitively, in roadmap order) of `topic` not yet ticked."""
    if topic is None:
        return []
    needed: set[str] = set()
    stack = list(topic.prerequisites)
    while stack:
        topic_id = stack.pop()
        if topic_id in needed:
            continue
        needed.add(topic_id)
        prereq = roadmap.topic(topic_id)
        if prereq:
            stack.extend(prereq.prerequisites)
    return [t for t in roadmap.topics if t.id in needed and t.id not in done]
