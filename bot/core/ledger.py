"""The post ledger (`posts_ledger`): who claimed which scheduled post, and whether it went out.

Exactly once, across threads and processes sharing the database:
  1. claim: INSERT a row (unique kind+channel+week+attempt) inside BEGIN IMMEDIATE; whoever
     inserts it sends, everyone else sees it and stands back;
  2. a claim left by a process that died (or a failed try) is taken over, `resumed`: before
     sending again the sender looks for its own post in the channel (bot.core.post_plan.metadata);
  3. sent: the row gets the message ts (the Q&A archive finds weekly threads by it).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlite_utils

from bot.core import calendar
from bot.core.calendar import Calendar, PostKind, Week
from bot.core.db import transaction
from bot.core.roadmap import Schedule

# A claim whose owner cannot be checked (another host) is considered abandoned after this long;
# sending, with every retry, takes far less.
LEASE = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class LedgerRow:
    """One row of the ledger: a try at one post (kind, channel, week, attempt)."""

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
    # When the try taken over began or last sent a request (`sending`), if its process died
    # mid-send: that request may still be in Slack's hands, so the new owner waits for it
    # before deciding to send.
    in_flight_since: dt.datetime | None = None

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What identifies the post: kind, channel, week, attempt."""
        return (self.kind, self.channel, self.week, self.attempt)


_COLUMNS = (
    "id, kind, channel, week, attempt, status, ts, topic_id, due_at, owner, claimed_at, "
    "sent_at, tries, error, reported"
)


def _rows(db: sqlite_utils.Database, where: str, params: Sequence[Any]) -> list[LedgerRow]:
    cursor = db.execute(f"SELECT {_COLUMNS} FROM posts_ledger WHERE {where}", list(params))
    names = [f.name for f in fields(LedgerRow)]
    out = []
    for row in cursor.fetchall():
        values = dict(zip(names, row, strict=True))
        out.append(LedgerRow(**{**values, "reported": bool(values["reported"])}))
    return out


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
            cut_off = (
                dt.datetime.fromisoformat(latest.claimed_at) if latest.status == "claimed" else None
            )
            made = Claim(
                latest.id, kind, channel, week_key, latest.attempt, latest.tries + 1, True, cut_off
            )
    with _inflight_lock:
        _inflight.add(made.key)
    return made


def sending(db: sqlite_utils.Database, made: Claim, now: dt.datetime) -> None:
    """A request for the claimed post leaves now: the claim's time becomes now, so whoever
    takes it over after this process died waits for this request (Claim.in_flight_since),
    and the lease runs from here."""
    with transaction(db) as conn:
        conn.execute(
            "UPDATE posts_ledger SET claimed_at = ? WHERE id = ? AND status = 'claimed'"
            " AND owner = ?",
            (now.isoformat(), made.row_id, owner()),
        )


def _release(made: Claim) -> None:
    with _inflight_lock:
        _inflight.discard(made.key)


def mark_sent(db: sqlite_utils.Database, made: Claim, ts: str, now: dt.datetime) -> None:
    """The claimed post is in the channel as message `ts`."""
    with transaction(db) as conn:
        conn.execute(
            "UPDATE posts_ledger SET status = 'sent', ts = ?, sent_at = ?, error = NULL"
            " WHERE id = ?",
            (ts, now.isoformat(), made.row_id),
        )
    _release(made)


def mark_failed(db: sqlite_utils.Database, made: Claim, error: str) -> LedgerRow:
    """The claimed post did not go out (unless another try sent it meanwhile); returns the row."""
    with transaction(db) as conn:
        conn.execute(
            "UPDATE posts_ledger SET status = 'failed', error = ? WHERE id = ? AND status != 'sent'",
            (error[:500], made.row_id),
        )
    _release(made)
    return _rows(db, "id = ?", (made.row_id,))[0]


def mark_reported(db: sqlite_utils.Database, row_id: int) -> None:
    """The organizers were told about this row's failure (they are told once)."""
    db.execute("UPDATE posts_ledger SET reported = 1 WHERE id = ?", [row_id])


def sent_row(db: sqlite_utils.Database, kind: str, week_key: str) -> LedgerRow | None:
    """The week's post of this kind, if it went out (to any channel: changing the channel
    mid-week does not repeat the week's posts)."""
    rows = _rows(db, "kind = ? AND week = ? AND status = 'sent' ORDER BY id", (kind, week_key))
    return rows[0] if rows else None


def next_unsent(
    db: sqlite_utils.Database, schedule: Schedule, cal: Calendar, kind: PostKind, after: dt.datetime
) -> tuple[Week, dt.datetime] | None:
    """The next post of `kind` due after `after` that has not gone out yet, and its week."""
    due = calendar.next_due(schedule, cal, kind, after)
    # A week's post sent early (`/studygroup post`, `studybot post`) is not sent again at its
    # time: the next one to go out is a later week's.
    while due is not None and sent_row(db, kind, due[0].key) is not None:
        due = calendar.next_due(schedule, cal, kind, due[1])
    return due


def upcoming(
    db: sqlite_utils.Database, schedule: Schedule, cal: Calendar, after: dt.datetime
) -> list[tuple[PostKind, Week, dt.datetime]]:
    """The next post of each kind still to go out after `after`, soonest first."""
    found = [
        (kind, *due)
        for kind in calendar.POST_KINDS
        if (due := next_unsent(db, schedule, cal, kind, after)) is not None
    ]
    return sorted(found, key=lambda item: item[2])


def weekly_ts(db: sqlite_utils.Database, channel: str, week_key: str) -> str | None:
    """The ts of the week's weekly post in `channel` (its thread collects the week's questions)."""
    rows = _rows(
        db,
        "kind = 'weekly' AND channel = ? AND week = ? AND status = 'sent' ORDER BY attempt",
        (channel, week_key),
    )
    return rows[0].ts if rows else None


def weekly_post(db: sqlite_utils.Database, week_key: str, channel: str) -> tuple[str, str] | None:
    """(channel, ts) of the week's sent weekly post (its thread is the week's discussion):
    the one in `channel` if there is one, else the latest."""
    rows = _rows(
        db,
        "kind = 'weekly' AND week = ? AND status = 'sent' AND ts IS NOT NULL AND ts != '' "
        "ORDER BY channel = ? DESC, id DESC LIMIT 1",
        (week_key, channel),
    )
    return (rows[0].channel, rows[0].ts) if rows and rows[0].ts else None


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
