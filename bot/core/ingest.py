"""What the archive takes from the study channel: questions, answers, edits, deletions, ✅ marks."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import sqlite_utils

from bot.core import calendar, marks, questions, similar, topic_match
from bot.core.deps import Deps
from bot.core.questions import Question
from bot.core.roadmap import Topic
from bot.core.text import from_plain, plain
from bot.core.words import without_controls

# Member messages the archive keeps; every other subtype (joins, topic changes, bots…) is not Q&A.
MEMBER_SUBTYPES = frozenset({None, "", "thread_broadcast", "file_share"})

# What record_message did when the message was the study channel's.
ARCHIVED = frozenset({"question", "answer", "edited"})
# What marks_waiting says of a message with a ✅ on it waiting for an organizer check.
MARKS_WAITING = "marks waiting"


def is_question(text: str, prefix: str | None = "Q:") -> bool:
    """A question mark outside links and mentions, or the configured prefix at the start."""
    words = without_controls(text)
    if "?" in words or "？" in words:
        return True
    if prefix and prefix.strip():
        return plain(text or "").lstrip().lower().startswith(prefix.strip().lower())
    return False


def without_prefix(text: str, prefix: str | None = "Q:") -> str:
    """What the archive keeps of a question: its text (wire format) without the configured
    prefix, which only said "this is a question" (the whole text when nothing else is left)."""
    if not prefix or not prefix.strip():
        return text
    body = text.lstrip()
    marker = from_plain(prefix.strip())
    if not body.lower().startswith(marker.lower()):
        return text
    rest = body[len(marker) :].strip()
    return rest or text


def record(deps: Deps, event: dict[str, Any]) -> str | None:
    """Runs inside the event-dedupe transaction, before the ack: the archive's writes.
    Returns what record_message did with a message (None for anything else)."""
    kind = event.get("type")
    if kind == "message":
        return record_message(deps, event)
    if kind in ("reaction_added", "reaction_removed"):
        record_reaction(deps, event)
    return None


def record_message(deps: Deps, event: dict[str, Any], *, at: dt.datetime | None = None) -> str:
    """Archive one message event (live, or from history when `at` is its time).
    Returns what happened: question, answer, pending, known, edited, deleted or ignored."""
    channel = event.get("channel")
    if not channel or channel != deps.channel:
        return "ignored"
    subtype = event.get("subtype")
    if subtype == "message_changed":
        message = _dict(event.get("message"))
        if message.get("subtype") == "tombstone":  # a parent with replies, deleted
            return _deleted(deps, channel, message.get("ts"))
        return _changed(deps, channel, message)
    if subtype == "message_deleted":
        previous = _dict(event.get("previous_message"))
        return _deleted(deps, channel, event.get("deleted_ts") or previous.get("ts"))
    return _new(deps, channel, event, at=at)


def marks_waiting(deps: Deps, event: dict[str, Any]) -> str | None:
    """Runs inside the event-dedupe transaction, after `record`: MARKS_WAITING when, with
    this message in the archive, ✅ marks wait for an organizer check (made before the
    message they mark arrived, say), which the listener after the ack makes
    (bot/slack/mark_checks.py); else None: nothing to check. (Marks are only kept in the
    study channel: any message may ask, without looking the channel up.)"""
    if event.get("type") != "message":
        return None
    if not marks.any_to_verify(deps.db, marks.since_checked(deps.now())):
        return None
    return MARKS_WAITING


def _dict(value: Any) -> dict[str, Any]:
    """A nested payload object, or {} when Slack (or anyone) sent something else."""
    return value if isinstance(value, dict) else {}


def _member_message(message: dict[str, Any]) -> bool:
    subtype = message.get("subtype")
    return (
        (subtype is None or isinstance(subtype, str))
        and subtype in MEMBER_SUBTYPES
        and not message.get("bot_id")
        and isinstance(message.get("user"), str)
        and bool(message.get("user"))
        and isinstance(message.get("ts"), str)
    )


def _new(deps: Deps, channel: str, message: dict[str, Any], *, at: dt.datetime | None) -> str:
    if not _member_message(message):
        return "ignored"
    db = deps.db
    ts, user, text = message["ts"], message["user"], str(message.get("text") or "")
    thread_ts = message.get("thread_ts")
    if thread_ts is not None and not isinstance(thread_ts, str):
        return "ignored"
    backfill = at is not None
    archived, parent = _lookup(db, channel, ts, thread_ts)
    prefix = deps.settings.question_prefix
    if archived:
        if backfill:  # history holds the current text: catch up on edits made while away
            edit = without_prefix(text, prefix)
            questions.edit_message(db, channel, ts, text, question_text=edit)
        return "known"
    if not thread_ts or thread_ts == ts:
        if not is_question(text, prefix):
            return "ignored"
        _ask(deps, channel, ts, user, text, at, source="backfill" if backfill else "channel")
        return "question"
    when = at or deps.now()
    if parent is None and is_weekly_post_thread(db, channel, thread_ts):
        if is_question(text, prefix):
            source = "backfill" if backfill else "thread"
            _ask(deps, channel, ts, user, text, at, source=source, thread_ts=thread_ts)
            return "question"
        # Replies in a post's thread share one thread: a reply that asks nothing answers the
        # latest question before it from someone else.
        parent = _latest_thread_question(db, channel, thread_ts, ts, user)
        if parent is None:
            return "ignored"
    if parent is not None:
        questions.add_answer(
            db,
            question_id=parent,
            channel=channel,
            ts=ts,
            thread_ts=thread_ts,
            user=user,
            text=text,
            answered_at=when,
        )
        return "answer"
    # The parent has not arrived (or is not a question): kept, linked if it turns out to be one.
    questions.add_pending(
        db, channel=channel, ts=ts, thread_ts=thread_ts, user=user, text=text, received_at=when
    )
    return "pending"


def _ask(
    deps: Deps,
    channel: str,
    ts: str,
    user: str,
    text: str,
    at: dt.datetime | None,
    *,
    source: str,
    thread_ts: str | None = None,
) -> Question:
    """A question, filed under the topic it is about (topic_match: the week's topic unless
    another clearly fits better) in the week it was asked; one asked in a post's thread stays
    with that post's topic and week."""
    if at is None:
        _, week = deps.this_week()
        asked_at = deps.now()
    else:
        week = deps.calendar().week_of(calendar.local_today(deps.roadmap.schedule, at))
        asked_at = at
    kept = without_prefix(text, deps.settings.question_prefix)
    week_key = week.key
    post = _post_of_thread(deps.db, channel, thread_ts) if thread_ts else None
    if post is not None:
        topic_id, week_key = post
        if topic_id is None:  # a post recorded without its topic: the one of its week
            of_post = deps.calendar().week_of(dt.date.fromisoformat(week_key))
            topic_id = of_post.topic.id if of_post.kind == "topic" and of_post.topic else None
    else:
        in_week = week.topic.id if week.kind == "topic" and week.topic else None
        topic_id = topic_match.file_under(deps.roadmap, plain(kept), in_week)
    question = questions.add_question(
        deps.db,
        channel=channel,
        ts=ts,
        user=user,
        text=kept,
        asked_at=asked_at,
        topic_id=topic_id,
        week=week_key,
        source=source,
        thread_ts=thread_ts,
    )
    if at is None:
        # A live question is claimed for "asked before" in the transaction that records it
        # (the event is recorded once, so is the claim): the reply after the ack then needs
        # no write of its own, a commit a question on a large archive.
        similar.claim_asked_before(deps.db, question.id)
    return question


def _post_of_thread(
    db: sqlite_utils.Database, channel: str, thread_ts: str
) -> tuple[str | None, str] | None:
    """(topic id, week key) of the bot's scheduled post at thread_ts, if it is one."""
    try:
        row = db.execute(
            "SELECT topic_id, week FROM posts_ledger WHERE channel = ? AND ts = ? LIMIT 1",
            (channel, thread_ts),
        ).fetchone()
    except sqlite3.OperationalError:  # no ledger yet
        return None
    return (row[0], row[1]) if row else None


def _lookup(
    db: sqlite_utils.Database, channel: str, ts: str, thread_ts: str | None
) -> tuple[bool, int | None]:
    """Is the message archived already, and the question at thread_ts (deleted or not: a
    reply to a deleted one stays hidden)? One statement: it runs inside the write lock."""
    archived, parent = db.execute(
        "SELECT EXISTS (SELECT 1 FROM qa_questions WHERE channel = :c AND ts = :ts)"
        " OR EXISTS (SELECT 1 FROM qa_answers WHERE channel = :c AND ts = :ts),"
        " (SELECT id FROM qa_questions WHERE channel = :c AND ts = :thread)",
        {"c": channel, "ts": ts, "thread": thread_ts},
    ).fetchone()
    return bool(archived), parent


def _latest_thread_question(
    db: sqlite_utils.Database, channel: str, thread_ts: str, before_ts: str, user: str
) -> int | None:
    row = db.execute(
        "SELECT id FROM qa_questions WHERE channel = ? AND thread_ts = ? AND ts < ?"
        " AND deleted = 0 AND (user IS NULL OR user != ?) ORDER BY ts DESC LIMIT 1",
        (channel, thread_ts, before_ts, user),
    ).fetchone()
    return row[0] if row else None


def is_weekly_post_thread(db: sqlite_utils.Database, channel: str, thread_ts: str) -> bool:
    """Is thread_ts one of the bot's scheduled posts (the posts ledger, once it exists)?"""
    try:
        row = db.execute(
            "SELECT 1 FROM posts_ledger WHERE channel = ? AND ts = ? LIMIT 1", (channel, thread_ts)
        ).fetchone()
    except sqlite3.OperationalError:  # no ledger yet: no post threads to know of
        return False
    return row is not None


def _changed(deps: Deps, channel: str, message: dict[str, Any]) -> str:
    if not _member_message(message):
        return "ignored"
    text = str(message.get("text") or "")
    edit = without_prefix(text, deps.settings.question_prefix)
    edited = questions.edit_message(deps.db, channel, message["ts"], text, question_text=edit)
    if edited in ("question", "answer"):
        return "edited"
    # Not archived: an edit can make a message a question, or overtake the message itself.
    return _new(deps, channel, message, at=None)


def _deleted(deps: Deps, channel: str, ts: Any) -> str:
    if not isinstance(ts, str) or not ts:
        return "ignored"
    return "deleted" if questions.delete_message(deps.db, channel, ts) else "ignored"


def record_reaction(deps: Deps, event: dict[str, Any]) -> None:
    """A ✅ on a question or an answer. Whether it counts depends on who: the asker and
    STUDYBOT_ADMINS are known here; workspace admins are asked of Slack after the ack."""
    reaction = str(event.get("reaction") or "").split("::")[0]
    item = _dict(event.get("item"))
    user, ts = event.get("user"), item.get("ts")
    if (
        reaction not in marks.CHECK_MARKS
        or item.get("type") != "message"
        or item.get("channel") != deps.channel
        or not isinstance(user, str)
        or not isinstance(ts, str)
    ):
        return
    channel = item["channel"]
    if event.get("type") == "reaction_added":
        marks.add_mark(
            deps.db,
            channel=channel,
            item_ts=ts,
            user=user,
            kind=reaction,
            at=deps.now(),
            organizer=_known_organizer(deps, user),
        )
    else:
        marks.remove_mark(deps.db, channel=channel, item_ts=ts, user=user, kind=reaction)


def _known_organizer(deps: Deps, user: str) -> bool | None:
    """True for STUDYBOT_ADMINS; anyone else is unknown until Slack is asked (verify_marks)."""
    return True if deps.settings.is_admin_id(user) else None


def record_history(deps: Deps, channel: str, message: dict[str, Any]) -> str:
    """Archive a message read from the channel's history as its live event would have been,
    with the ✅ reactions it carries. Returns what record_message did with it."""
    event = dict(message, channel=channel, type="message")
    outcome = record_message(deps, event, at=questions.ts_time(message["ts"]))
    for reaction in message.get("reactions") or ():
        name = str(reaction.get("name") or "").split("::")[0]
        if name not in marks.CHECK_MARKS:
            continue
        for user in reaction.get("users") or ():
            marks.add_mark(
                deps.db,
                channel=channel,
                item_ts=message["ts"],
                user=user,
                kind=name,
                at=deps.now(),
                organizer=_known_organizer(deps, user),
            )
    return outcome


def record_ask(
    deps: Deps,
    *,
    channel: str,
    ts: str,
    user: str,
    text: str,
    topic: Topic | None,
    anonymous: bool,
) -> Question:
    """Archive a question asked with /ask, once the bot has posted it at channel+ts: of the
    topic the member chose, in this week if it is a topic week, without the user if anonymous.
    (The bot's own posts never reach record_message.)"""
    _, week = deps.this_week()
    return questions.add_question(
        deps.db,
        channel=channel,
        ts=ts,
        user=None if anonymous else user,
        text=without_prefix(text, deps.settings.question_prefix),
        asked_at=deps.now(),
        topic_id=topic.id if topic else None,
        week=week.key if week.kind == "topic" else None,
        source="ask",
        anonymous=anonymous,
    )
