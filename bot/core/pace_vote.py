"""The group decides its pace: "Need another week on this topic?" in the mid-week nudge.

Organizers turn the vote on (`/studygroup vote on`). Each member has one vote a week (changing
it replaces it, `pace_votes`). When the votes pass the roadmap's rule (`schedule.vote`: more
than `share` of them yes, and at least `min_votes` yes), the pass is claimed in `pace_weeks`
so the organizers are told once; they may veto until the recap. The recap decides the week
once (`decide`): the topic is extended, recorded like an organizer's `/studygroup extend` (so
`/studygroup undo`, `/nexttopic` and the calendar follow), unless vetoed.

A topic the group has already voted another week for is not put to the vote again: its extra
week's nudge says so instead of asking (organizers can still `/studygroup extend`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import sqlite_utils

from bot.core import calendar, ledger
from bot.core.calendar import Calendar, Change, Week
from bot.core.db import transaction
from bot.core.roadmap import Schedule, VoteRule

Choice = Literal["yes", "no"]
CHOICES: tuple[Choice, ...] = ("yes", "no")
Outcome = Literal["extended", "vetoed", "not-passed"]


class VotingClosed(Exception):
    """The week's vote was decided at its recap (or its recap time has passed)."""


# --- on or off ---------------------------------------------------------------------------------


def is_on(db: sqlite_utils.Database) -> bool:
    """Whether organizers have turned the pace vote on."""
    row = db.execute("SELECT enabled FROM pace_vote_state WHERE id = 1").fetchone()
    return bool(row and row[0])


def turn(db: sqlite_utils.Database, on: bool, user: str, now: dt.datetime) -> bool:
    """Turn the vote on or off; False when it already was."""
    with transaction(db) as conn:
        if is_on(db) == on:
            return False
        conn.execute(
            "INSERT INTO pace_vote_state (id, enabled, changed_by, changed_at) VALUES (1, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled,"
            " changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            (int(on), user, now.isoformat()),
        )
    return True


# --- counting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A week's votes."""

    yes: int = 0
    no: int = 0

    @property
    def total(self) -> int:
        """How many members voted."""
        return self.yes + self.no

    @property
    def words(self) -> str:
        """ "Yes 3 · No 1", as the nudge and the notices show it."""
        return f"Yes {self.yes} · No {self.no}"


def passes(tally: Tally, rule: VoteRule) -> bool:
    """More than `rule.share` of the votes say yes, and at least `rule.min_votes` do. The share
    is compared exactly as written (0.57 of 100 votes is 57, which is not more than 0.57)."""
    share = Fraction(str(rule.share))
    return tally.yes >= rule.min_votes and tally.yes > share * tally.total


def tally(db: sqlite_utils.Database, week_key: str) -> Tally:
    """The week's votes as they stand."""
    rows = db.execute(
        "SELECT choice, count(*) FROM pace_votes WHERE week = ? GROUP BY choice", (week_key,)
    ).fetchall()
    counts = dict(rows)
    return Tally(int(counts.get("yes", 0)), int(counts.get("no", 0)))


def voting_ends(schedule: Schedule, week: Week) -> dt.datetime | None:
    """When the week's vote closes: its recap (None: the roadmap has no recap, so no vote)."""
    return calendar.due_at(schedule, "recap", week)


# --- the nudge's question ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ballot:
    """What the nudge asks: the week, the votes so far; or, on a topic the group already voted
    another week for (`extra_week`), only that it did."""

    week: str
    study_week: int
    tally: Tally
    extra_week: bool = False


def ballot(
    db: sqlite_utils.Database, schedule: Schedule, cal: Calendar, week: Week
) -> Ballot | None:
    """The nudge's vote for `week`, or None: the vote is off, the roadmap has no recap to
    decide it at, or the week has no topic."""
    if not is_on(db) or week.topic is None or voting_ends(schedule, week) is None:
        return None
    extra = voted_extra_week(db, cal, week)
    return Ballot(week.key, week.study_week, tally(db, week.key), extra)


def asked(db: sqlite_utils.Database, cal: Calendar, week: Week) -> bool:
    """Whether `week`'s nudge went out asking the question, so votes for it may count: it was
    sent while the vote was on, which it has stayed since, and the topic was not given its
    extra week by an earlier vote. (The state keeps only its last change: a vote turned off
    and on again after the nudge refuses that week's votes, as the nudge may not have asked.)"""
    nudge = ledger.sent_row(db, "nudge", week.key)
    state = db.execute("SELECT enabled, changed_at FROM pace_vote_state WHERE id = 1").fetchone()
    if nudge is None or not nudge.sent_at or state is None or not state[0]:
        return False
    since = dt.datetime.fromisoformat(state[1])
    return since <= dt.datetime.fromisoformat(nudge.sent_at) and not voted_extra_week(db, cal, week)


def voted_extra_week(db: sqlite_utils.Database, cal: Calendar, week: Week) -> bool:
    """Whether an earlier week's vote (in this round, not undone) gave `week`'s topic its
    extra week: then it is not put to the vote again."""
    if week.topic is None:
        return False
    row = db.execute(
        "SELECT 1 FROM pace_weeks p JOIN calendar_changes c ON c.id = p.change_id"
        " WHERE p.outcome = 'extended' AND p.topic_id = ? AND p.week != ? AND p.week >= ?"
        " AND c.undone_at IS NULL LIMIT 1",
        (week.topic.id, week.key, cal.start.isoformat()),
    ).fetchone()
    return row is not None


# --- a member votes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """A vote taken: the member's choice (and the one it replaced), the tally after it, and
    whether this vote made it pass for the first time (then, and only then, tell organizers)."""

    choice: Choice
    previous: Choice | None
    tally: Tally
    passed_now: bool


def cast(
    db: sqlite_utils.Database,
    week: Week,
    user: str,
    choice: Choice,
    rule: VoteRule,
    now: dt.datetime,
    ends: dt.datetime | None,
) -> Cast:
    """Count `user`'s vote for `week` (replacing their earlier one). Raises VotingClosed after
    the recap decided the week, or once `ends` has passed."""
    if week.topic is None:
        raise VotingClosed(week.key)
    with transaction(db) as conn:
        decided = conn.execute(
            "SELECT outcome FROM pace_weeks WHERE week = ?", (week.key,)
        ).fetchone()
        if (decided and decided[0]) or (ends is not None and now >= ends):
            raise VotingClosed(week.key)
        before = conn.execute(
            "SELECT choice FROM pace_votes WHERE week = ? AND user = ?", (week.key, user)
        ).fetchone()
        conn.execute(
            "INSERT INTO pace_votes (week, user, choice, voted_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (week, user) DO UPDATE SET choice = excluded.choice,"
            " voted_at = excluded.voted_at",
            (week.key, user, choice, now.isoformat()),
        )
        conn.execute(
            "INSERT INTO pace_weeks (week, topic_id) VALUES (?, ?) ON CONFLICT (week) DO NOTHING",
            (week.key, week.topic.id),
        )
        counted = tally(db, week.key)
        passed_now = False
        if passes(counted, rule):
            # The claim: whichever vote tips it first tells the organizers, once a week.
            passed_now = (
                conn.execute(
                    "UPDATE pace_weeks SET passed_at = ? WHERE week = ? AND passed_at IS NULL",
                    (now.isoformat(), week.key),
                ).rowcount
                == 1
            )
    return Cast(choice, before[0] if before else None, counted, passed_now)


# --- organizers veto -----------------------------------------------------------------------


@dataclass(frozen=True)
class Veto:
    """How a veto went: `vetoed` now, `already` (by `by`), `closed` (the recap decided it:
    `outcome`), or `nothing` (no vote has passed that week)."""

    status: Literal["vetoed", "already", "closed", "nothing"]
    by: str | None = None
    outcome: Outcome | None = None


def veto(db: sqlite_utils.Database, week_key: str, user: str, now: dt.datetime) -> Veto:
    """An organizer's veto of the week's passed vote, until the recap decides it."""
    with transaction(db) as conn:
        row = conn.execute(
            "SELECT passed_at, vetoed_by, outcome FROM pace_weeks WHERE week = ?", (week_key,)
        ).fetchone()
        if row is None or row[0] is None:
            return Veto("nothing")
        passed_at, vetoed_by, outcome = row
        if outcome is not None:
            return Veto("closed", vetoed_by, outcome)
        if vetoed_by is not None:
            return Veto("already", vetoed_by)
        conn.execute(
            "UPDATE pace_weeks SET vetoed_by = ?, vetoed_at = ? WHERE week = ?",
            (user, now.isoformat(), week_key),
        )
    return Veto("vetoed", user)


# --- the recap decides -------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """How the week's vote ended, as the recap tells it."""

    week: str
    outcome: Outcome
    tally: Tally
    vetoed_by: str | None = None


def decide(
    db: sqlite_utils.Database, week: Week, rule: VoteRule, now: dt.datetime
) -> Decision | None:
    """Close the week's vote, once (a second call returns the first decision): when it passes
    and no organizer vetoed it, the topic gets another week, recorded as an organizer's extend
    would be (undoable with `/studygroup undo`). None when the vote is off or nobody voted."""
    if week.topic is None:
        return None
    with transaction(db) as conn:
        if (done := decision(db, week.key)) is not None:
            return done
        if not is_on(db):
            return None
        counted = tally(db, week.key)
        if counted.total == 0:
            return None
        row = conn.execute(
            "SELECT vetoed_by FROM pace_weeks WHERE week = ?", (week.key,)
        ).fetchone()
        vetoed_by = row[0] if row else None
        outcome: Outcome = (
            "not-passed" if not passes(counted, rule) else "vetoed" if vetoed_by else "extended"
        )
        change_id = None
        if outcome == "extended":
            calendar.record_change(db, Change("extend", week.start, week.topic.id), None, now)
            change_id = conn.execute("SELECT max(id) FROM calendar_changes").fetchone()[0]
        conn.execute(
            "INSERT INTO pace_weeks (week, topic_id) VALUES (?, ?) ON CONFLICT (week) DO NOTHING",
            (week.key, week.topic.id),
        )
        conn.execute(
            "UPDATE pace_weeks SET outcome = ?, yes = ?, no = ?, change_id = ?, closed_at = ?"
            " WHERE week = ?",
            (outcome, counted.yes, counted.no, change_id, now.isoformat(), week.key),
        )
    return Decision(week.key, outcome, counted, vetoed_by)


def decision(db: sqlite_utils.Database, week_key: str) -> Decision | None:
    """The week's decision, if the recap made one."""
    row = db.execute(
        "SELECT outcome, yes, no, vetoed_by FROM pace_weeks WHERE week = ? AND outcome IS NOT NULL",
        (week_key,),
    ).fetchone()
    if row is None:
        return None
    outcome, yes, no, vetoed_by = row
    return Decision(week_key, outcome, Tally(yes or 0, no or 0), vetoed_by)
