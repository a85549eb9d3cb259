"""Study buddies: who opted in, and each week's pairs (a trio when the count is odd) — no Slack.

Pairs avoid repeats for as long as possible. A round seats its members for the circle method
(round-robin scheduling): each of its slots is a week's matching, and over the round's slots
every two members meet exactly once. A week takes the unused slot whose pairs met least; a
member whose planned partner is gone (opted out, left the channel) and a member who joined
after the round began are paired among themselves (whoever they met least); one left over
joins a pair as a trio. When a round's slots are used up (everyone met everyone), a new
round begins. A week is claimed, with its groups, before any DM is sent: once per week.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import sqlite_utils

from bot.core import calendar
from bot.core.calendar import Week
from bot.core.db import transaction
from bot.core.roadmap import Schedule

PAUSED_KEY = "buddies_paused"
LATE = dt.timedelta(days=1)  # a week's pairing still goes out this long after its time
Pair = frozenset[str]


@dataclass(frozen=True)
class Pairing:
    """A week's groups (pairs, at most one trio), and the member with no partner, if any."""

    week: str
    groups: list[list[str]] = field(default_factory=list)
    alone: str | None = None


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat()


# --- who takes part ---------------------------------------------------------------------------


def opt_in(db: sqlite_utils.Database, user: str, now: dt.datetime) -> bool:
    """`user` wants a study buddy each week; False when they had opted in already."""
    return (
        db.execute(
            "INSERT OR IGNORE INTO buddy_members (user, since) VALUES (?, ?)", (user, _iso(now))
        ).rowcount
        > 0
    )


def opt_out(db: sqlite_utils.Database, user: str) -> bool:
    """`user` is no longer paired; False when they were not in."""
    return db.execute("DELETE FROM buddy_members WHERE user = ?", (user,)).rowcount > 0


def is_in(db: sqlite_utils.Database, user: str) -> bool:
    """Whether `user` has opted in."""
    return db.execute("SELECT 1 FROM buddy_members WHERE user = ?", (user,)).fetchone() is not None


def members(db: sqlite_utils.Database) -> list[str]:
    """Everyone opted in, by user id."""
    return [r[0] for r in db.execute("SELECT user FROM buddy_members ORDER BY user").fetchall()]


def paused(db: sqlite_utils.Database) -> bool:
    """Whether organizers paused the pairing."""
    row = db.execute("SELECT value FROM kv WHERE key = ?", (PAUSED_KEY,)).fetchone()
    return bool(row and row[0] == "1")


def set_paused(db: sqlite_utils.Database, pause: bool) -> bool:
    """Pause (or resume) the weekly pairing; False when it already was so."""
    if paused(db) == pause:
        return False
    db.execute(
        "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (PAUSED_KEY, "1" if pause else "0")
    )
    return True


# --- when -------------------------------------------------------------------------------------


def window(schedule: Schedule, week: Week) -> tuple[dt.datetime, dt.datetime] | None:
    """When `week`'s pairing may go out: at its weekly post's time, or up to a day late (the
    bot was down; organizers resumed it), never after the week's recap: a pairing late in the
    week leaves no time to meet, and whoever opts in mid-week waits for the next. None: the
    week has no topic."""
    return calendar.around_weekly(schedule, week, dt.timedelta(0), LATE)


def claimed(db: sqlite_utils.Database, week_key: str) -> bool:
    """Whether the week's pairing was made (or claimed) already."""
    row = db.execute("SELECT 1 FROM buddy_weeks WHERE week = ?", (week_key,)).fetchone()
    return row is not None


# --- the history ------------------------------------------------------------------------------


def history(db: sqlite_utils.Database) -> list[tuple[str, list[str]]]:
    """Every group ever made: (week, members), oldest week first."""
    rows = db.execute("SELECT week, members FROM buddy_groups ORDER BY week, grp").fetchall()
    return [(r[0], list(json.loads(r[1]))) for r in rows]


def met_counts(db: sqlite_utils.Database) -> Counter[Pair]:
    """How often each two members were in a group together."""
    counts: Counter[Pair] = Counter()
    for _, group in history(db):
        counts.update(frozenset(p) for p in combinations(group, 2))
    return counts


def groups_of(db: sqlite_utils.Database, week_key: str) -> list[list[str]]:
    """The groups made for a week."""
    rows = db.execute(
        "SELECT members FROM buddy_groups WHERE week = ? ORDER BY grp", (week_key,)
    ).fetchall()
    return [list(json.loads(r[0])) for r in rows]


def mark_group(db: sqlite_utils.Database, week_key: str, group: int, status: str) -> None:
    """How a group's DM went: 'sent' or 'failed' (never sent again either way)."""
    db.execute(
        "UPDATE buddy_groups SET status = ? WHERE week = ? AND grp = ?", (status, week_key, group)
    )


# --- pairing ----------------------------------------------------------------------------------


def slots(seating: Sequence[str | None]) -> list[list[tuple[str | None, str | None]]]:
    """The circle method: the first seat stays, the others turn one place a week; each slot
    pairs seat i with seat n-1-i. Over the len-1 slots every two seats meet exactly once."""
    seats = list(seating)
    if len(seats) % 2:
        seats.append(None)
    n = len(seats)
    out = []
    for r in range(n - 1):
        turning = seats[1:]
        turned = [seats[0], *turning[r:], *turning[:r]]
        out.append([(turned[i], turned[n - 1 - i]) for i in range(n // 2)])
    return out


def _round(db: sqlite_utils.Database) -> tuple[int, list[str | None], set[int]] | None:
    """The latest round: its id, seating, and the slots its weeks used."""
    row = db.execute("SELECT id, seating FROM buddy_rounds ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    used = db.execute("SELECT slot FROM buddy_weeks WHERE round = ?", (row[0],)).fetchall()
    return row[0], list(json.loads(row[1])), {r[0] for r in used if r[0] is not None}


def _pairs_in(
    slot: list[tuple[str | None, str | None]], eligible: set[str]
) -> list[tuple[str, str]]:
    return [(a, b) for a, b in slot if a in eligible and b in eligible and a and b]


def _cost(pairs: list[tuple[str, str]], met: Counter[Pair], last: set[Pair]) -> tuple[int, int]:
    """Fewest meetings first, then fewest of last week's pairs again."""
    keys = [frozenset(p) for p in pairs]
    return sum(met[k] for k in keys), sum(1 for k in keys if k in last)


def _best_slot(
    seating: list[str | None],
    used: set[int],
    eligible: set[str],
    met: Counter[Pair],
    last: set[Pair],
) -> int | None:
    """The unused slot with pairs of eligible members whose pairs met least (None: none)."""
    choices = []
    for index, slot in enumerate(slots(seating)):
        pairs = _pairs_in(slot, eligible)
        if index in used or not pairs:
            continue
        cost = _cost(pairs, met, last)
        choices.append((cost[0], -len(pairs), cost[1], index))
    return min(choices)[3] if choices else None


def _seating(week_key: str, eligible: Sequence[str]) -> list[str | None]:
    """A new round's seating: the members in an order of their own for each round."""
    seats: list[str | None] = list(sorted(eligible))
    random.Random(week_key).shuffle(seats)
    return seats


def _match_rest(rest: list[str], groups: list[list[str]], met: Counter[Pair]) -> None:
    """Pair the members left over (whoever they met least); one left over joins the group
    they met least as a trio (a pair first)."""
    rest = sorted(rest)
    while len(rest) >= 2:
        first = rest.pop(0)
        partner = min(rest, key=lambda u: (met[frozenset((first, u))], u))
        rest.remove(partner)
        groups.append([first, partner])
    if rest and groups:
        odd = rest[0]
        target = min(groups, key=lambda g: (len(g), sum(met[frozenset((odd, u))] for u in g), g[0]))
        target.append(odd)


def _last_week_pairs(db: sqlite_utils.Database, week_key: str) -> set[Pair]:
    row = db.execute("SELECT MAX(week) FROM buddy_groups WHERE week < ?", (week_key,)).fetchone()
    if not row or not row[0]:
        return set()
    return {frozenset(p) for g in groups_of(db, row[0]) for p in combinations(g, 2)}


def pair_week(
    db: sqlite_utils.Database, week_key: str, eligible: Sequence[str], now: dt.datetime
) -> Pairing | None:
    """Claim the week and make its groups from the `eligible` members (opted in, still in the
    channel), recorded before any DM goes out; None when the week was claimed already."""
    people = sorted(set(eligible))
    with transaction(db) as conn:
        if claimed(db, week_key):
            return None
        if len(people) < 2:
            status = "alone" if people else "none"
            conn.execute(
                "INSERT INTO buddy_weeks (week, claimed_at, status) VALUES (?, ?, ?)",
                (week_key, _iso(now), status),
            )
            return Pairing(week_key, [], people[0] if people else None)
        met = met_counts(db)
        last = _last_week_pairs(db, week_key)
        chosen = set(people)
        current = _round(db)
        slot = None
        if current is not None:
            round_id, seating, used = current
            slot = _best_slot(seating, used, chosen, met, last)
        if current is None or slot is None:
            seating = _seating(week_key, people)
            round_id = int(
                conn.execute(
                    "INSERT INTO buddy_rounds (started_week, seating) VALUES (?, ?)",
                    (week_key, json.dumps(seating)),
                ).lastrowid
                or 0
            )
            slot = _best_slot(seating, set(), chosen, met, last)
        assert slot is not None  # two or more members always make a pair in a fresh round
        groups = [sorted(p) for p in _pairs_in(slots(seating)[slot], chosen)]
        paired = {u for g in groups for u in g}
        _match_rest([u for u in people if u not in paired], groups, met)
        conn.execute(
            "INSERT INTO buddy_weeks (week, claimed_at, status, round, slot) "
            "VALUES (?, ?, 'paired', ?, ?)",
            (week_key, _iso(now), round_id, slot),
        )
        conn.executemany(
            "INSERT INTO buddy_groups (week, grp, members) VALUES (?, ?, ?)",
            [(week_key, i, json.dumps(sorted(g))) for i, g in enumerate(groups)],
        )
    return Pairing(week_key, [sorted(g) for g in groups])
