"""The Q&A archive's listeners: channel messages and reactions recorded, /qa, "Mark answered"."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
from typing import Any

import sqlite_utils
from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.core import calendar, ingest, listings, marks, meta, qa_search, questions, similar
from bot.core.deps import Deps
from bot.core.questions import Question
from bot.core.text import from_plain
from bot.slack.organizers import is_organizer
from bot.slack.render import blocks as bk

log = logging.getLogger(__name__)

MARK_ANSWERED = "qa_mark_answered"
# Member messages the archive keeps; every other subtype (joins, topic changes, bots…) is not Q&A.
MEMBER_SUBTYPES = frozenset({None, "", "thread_broadcast", "file_share"})
RESULTS = 10
FALLBACK_TEAM_URL = "https://slack.com/"
# Marks older than this are not checked any more (their message never arrived).
VERIFY_DAYS = questions.PENDING_DAYS

USAGE = [
    ("<terms>", 'search questions and answers (every word must appear; "a phrase", prefix*)'),
    ("unanswered", "open questions, oldest first"),
    ("mine", "your own questions"),
    ("topic:<id>", "only one topic's questions (e.g. `topic:{topic}`)"),
    ("<terms> unanswered topic:<id> mine", "filters combine with a search"),
]


# --- recording (inside the dedupe transaction, before the ack) -----------------------------


# What record_message did when the message was the study channel's.
ARCHIVED = frozenset({"question", "answer", "edited"})


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
    if archived:
        if backfill:  # history holds the current text: catch up on edits made while away
            questions.edit_message(db, channel, ts, text)
        return "known"
    prefix = deps.settings.question_prefix
    if not thread_ts or thread_ts == ts:
        if not ingest.is_question(text, prefix):
            return "ignored"
        _ask(deps, channel, ts, user, text, at, source="backfill" if backfill else "channel")
        return "question"
    when = at or deps.now()
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
    if is_weekly_post_thread(db, channel, thread_ts):
        if ingest.is_question(text, prefix):
            source = "backfill" if backfill else "thread"
            _ask(deps, channel, ts, user, text, at, source=source, thread_ts=thread_ts)
            return "question"
        # Replies in a post's thread share one thread: a reply that asks nothing answers the
        # latest question before it from someone else.
        asked = _latest_thread_question(db, channel, thread_ts, ts, user)
        if asked is None:
            return "ignored"
        questions.add_answer(
            db,
            question_id=asked,
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
    """A question, linked to the topic and week of when it was asked."""
    if at is None:
        _, week = deps.this_week()
        asked_at = deps.now()
    else:
        week = deps.calendar().week_of(calendar.local_today(deps.roadmap.schedule, at))
        asked_at = at
    topic_id = week.topic.id if week.kind == "topic" and week.topic else None
    return questions.add_question(
        deps.db,
        channel=channel,
        ts=ts,
        user=user,
        text=text,
        asked_at=asked_at,
        topic_id=topic_id,
        week=week.key,
        source=source,
        thread_ts=thread_ts,
    )


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
    edited = questions.edit_message(deps.db, channel, message["ts"], str(message.get("text") or ""))
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
        organizer = True if deps.settings.is_admin_id(user) else None
        marks.add_mark(
            deps.db,
            channel=channel,
            item_ts=ts,
            user=user,
            kind=reaction,
            at=deps.now(),
            organizer=organizer,
        )
    else:
        marks.remove_mark(deps.db, channel=channel, item_ts=ts, user=user, kind=reaction)


def verify_marks(deps: Deps, client: WebClient) -> None:
    """Decide the marks still waiting for an organizer check (users.info, cached)."""
    since = deps.now() - dt.timedelta(days=VERIFY_DAYS)
    for user in marks.marks_to_verify(deps.db, since):
        marks.set_organizer(deps.db, user, is_organizer(deps.settings, client, user))


# --- after the ack ---------------------------------------------------------------------------


def on_message(ack: Ack, event: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
    """After the ack: replies such as "asked before"."""
    ack()
    deps: Deps = context["deps"]
    # What the archive did with it, before the ack (absent for an event without an id).
    recorded = context.get("recorded")
    channel = event.get("channel")
    # Archived here means the study channel; else (chatter, or not known) look it up.
    if (recorded is None or ARCHIVED.isdisjoint(recorded)) and (
        not channel or channel != deps.channel
    ):
        return
    verify_marks(deps, client)
    if recorded is not None and "question" not in recorded:
        return
    message = _dict(event.get("message")) if event.get("subtype") == "message_changed" else event
    ts = message.get("ts")
    if not isinstance(ts, str) or not isinstance(channel, str):
        return
    question = questions.question_at(deps.db, channel, ts)
    if question is not None:
        reply_asked_before(deps, client, question)


def reply_asked_before(deps: Deps, client: WebClient, question: Question) -> bool:
    """Once per question: if it closely matches answered ones, say so in its thread."""
    if question.source not in ("channel", "thread", "ask"):
        return False
    if not similar.claim_asked_before(deps.db, question.id):
        return False
    earlier = similar.similar_answered(deps.db, question)
    if not earlier:
        return False
    message = asked_before_message(deps.db, team_url(deps, client), earlier)
    client.chat_postMessage(
        channel=question.channel,
        thread_ts=question.thread_ts or question.ts,
        unfurl_links=False,
        unfurl_media=False,
        **message,
    )
    return True


def asked_before_message(
    db: sqlite_utils.Database, base: str, earlier: list[Question]
) -> dict[str, Any]:
    lines = []
    for question in earlier:
        answers = questions.answers_accepted_first(db, question)
        links = [f"<{questions.question_link(base, question)}|the question>"]
        if answers:
            label = "accepted answer" if question.accepted_answer_ts else "answer"
            links.append(f"<{questions.answer_link(base, answers[0])}|{label}>")
        lines.append(f"• {_title(question.text, 200)} — " + ", ".join(links))
    head = (
        "This looks like it was asked before:"
        if len(earlier) == 1
        else ("This looks like it was asked before, here are earlier answers:")
    )
    blocks = [bk.section(f":bulb: {head}"), *bk.sections("\n".join(lines))]
    blocks.append(bk.context("If these don't help, your question stays open for the group."))
    return bk.message(f"{head} {len(earlier)} earlier question(s) with answers.", blocks)


def on_reaction(
    ack: Ack, event: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    """After the ack: a ✅ from someone other than the asker counts if they organize."""
    ack()
    verify_marks(context["deps"], client)


def team_url(deps: Deps, client: WebClient | None) -> str:
    """The workspace URL for permalinks (auth.test once, then kept for offline exports)."""
    db = deps.db
    url = meta.get_meta(db, "team_url")
    if url:
        return url
    if client is None:
        return FALLBACK_TEAM_URL
    try:
        url = client.auth_test().get("url")
    except Exception as exc:  # links still work through slack.com
        log.warning("auth.test failed: %s", exc.__class__.__name__)
        return FALLBACK_TEAM_URL
    if not isinstance(url, str) or not url.startswith("https://"):
        return FALLBACK_TEAM_URL
    meta.set_meta(db, "team_url", url)
    return url


# --- /qa ---------------------------------------------------------------------------------------


def _usage(deps: Deps, problem: str | None = None) -> dict[str, Any]:
    topics = deps.roadmap.topics
    example = topics[0].id if topics else "linear-algebra"
    lines = [(u, what.replace("{topic}", example)) for u, what in USAGE]
    return bk.usage_card("/qa", lines, problem)


def parse_filters(text: str) -> tuple[str, dict[str, Any]]:
    """Split `/qa` text into search terms and filters (topic:<id>, unanswered, mine)."""
    filters: dict[str, Any] = {"topic": None, "unanswered": False, "mine": False}
    terms = []
    for word in text.split():
        lower = word.lower()
        if lower.startswith("topic:") and len(word) > len("topic:"):
            filters["topic"] = word[len("topic:") :].strip().lower()
        elif lower in ("unanswered", "open"):
            filters["unanswered"] = True
        elif lower == "mine":
            filters["mine"] = True
        else:
            terms.append(word)
    return " ".join(terms), filters


def qa_command(
    ack: Ack, command: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    deps: Deps = context["deps"]
    text = str(command.get("text") or "").strip()
    user = str(command.get("user_id") or "")
    if text.lower() in ("", "help", "-h", "--help", "?"):
        ack(**_usage(deps))
        return
    terms, filters = parse_filters(text)
    topic_id = filters["topic"]
    if topic_id and deps.roadmap.topic(topic_id) is None:
        known = ", ".join(f"`{t.id}`" for t in deps.roadmap.topics[:12])
        ack(**_usage(deps, f"There is no topic `{bk.escape(topic_id)}`. Topics: {known}"))
        return
    query = qa_search.fts_query(terms) if terms else None
    if terms and not query.match:
        problem = f"Nothing to search for in “{bk.escape(terms)}”: try a word or two."
        ack(**_usage(deps, problem))
        return
    ack()
    respond(**results_message(deps, client, user, query, filters))


CAPPED_NOTE = (
    "These words are in very many messages, so the most recent ones were ranked: "
    "add a word to search them all."
)


def results_message(
    deps: Deps,
    client: WebClient,
    user: str,
    query: qa_search.Query | None,
    filters: dict[str, Any],
) -> dict[str, Any]:
    db = deps.db
    answered = False if filters["unanswered"] else None
    mine = user if filters["mine"] else None
    if query is not None:
        hits = qa_search.search(
            db, query, topic_id=filters["topic"], answered=answered, user=mine, limit=RESULTS
        )
        items = [(h.question, h) for h in hits]
        what = f"“{bk.escape(' '.join(query.terms))}”"
        head = f"*{len(hits)} result{'s' if len(hits) != 1 else ''}* for {what}"
        empty = f"No questions or answers match {what}"
    else:
        listed = listings.listing(
            db,
            topic_id=filters["topic"],
            answered=answered,
            user=mine,
            oldest_first=filters["unanswered"],
            limit=RESULTS,
        )
        items = [(q, None) for q in listed]
        what = (
            "Open questions, oldest first" if filters["unanswered"] else "Questions, newest first"
        )
        head = f"*{what}*"
        empty = "No open questions" if filters["unanswered"] else "No questions"
    scope = _scope(deps, filters)
    filtered = bool(filters["topic"] or filters["unanswered"] or filters["mine"])
    if not items:
        text = f"{empty}{scope}."
        if query is not None and qa_search.capped(db, query, filtered=filtered):
            text += f" {CAPPED_NOTE}"
        return bk.message(bk.plain(text), [bk.section(text)], response_type="ephemeral")
    base = team_url(deps, client)
    organizer: list[bool] = []  # asked of Slack at most once, and only if it matters

    def can_mark(question: Question) -> bool:
        if question.answered:
            return False
        if question.user is not None and question.user == user:
            return True
        if not organizer:
            organizer.append(is_organizer(deps.settings, client, user))
        return organizer[0]

    blocks: list[dict[str, Any]] = [bk.section(head + scope)]
    for question, hit in items:
        blocks.extend(_result(deps, base, question, hit, can_mark(question)))
    notes = []
    if len(items) == RESULTS:
        notes.append(f"Showing the first {RESULTS}; add words or filters to narrow it down.")
    if query is not None and qa_search.capped(db, query, filtered=filtered):
        notes.append(CAPPED_NOTE)
    if query is not None and query.ignored:
        shown = ", ".join(f"`{bk.escape(i)}`" for i in query.ignored[:5])
        notes.append(
            f'Ignored {shown}: search takes plain words, "phrases" and prefix*, '
            "and every word must appear."
        )
    if notes:
        blocks.append(bk.context(" ".join(notes)))
    return bk.message(bk.plain(head + scope).replace("*", ""), blocks, response_type="ephemeral")


def _scope(deps: Deps, filters: dict[str, Any]) -> str:
    parts = []
    if filters["topic"]:
        topic = deps.roadmap.topic(filters["topic"])
        parts.append(f"in {bk.escape(topic.title if topic else filters['topic'])}")
    if filters["mine"]:
        parts.append("asked by you")
    if filters["unanswered"] and parts:
        parts.append("still open")
    return (" " + ", ".join(parts)) if parts else ""


def _result(
    deps: Deps, base: str, question: Question, hit: qa_search.Hit | None, can_mark: bool
) -> list[dict[str, Any]]:
    icon = ":white_check_mark:" if question.answered else ":grey_question:"
    if hit is not None and hit.answer is None:
        title = highlight(hit.snippet)
    else:
        title = _title(question.text, 300)
    body = f"{icon} {title}"
    if hit is not None and hit.answer is not None:
        label = "Accepted answer" if hit.answer.ts == question.accepted_answer_ts else "Answer"
        body += f"\n>_{label}:_ {highlight(hit.snippet)}"
    accessory = (
        bk.button("Mark answered", MARK_ANSWERED, str(question.id), style="primary")
        if can_mark
        else None
    )
    topic = deps.roadmap.topic(question.topic_id) if question.topic_id else None
    facts = [
        "Answered" if question.answered else "Open",
        bk.escape(topic.title) if topic else None,
        f"asked {question.asked_at:%b %-d, %Y}",
        f"{question.answer_count} answer{'s' if question.answer_count != 1 else ''}",
        f"<{questions.question_link(base, question)}|open thread>",
    ]
    return [
        bk.section(body, accessory=accessory),
        bk.context(" · ".join(f for f in facts if f)),
    ]


def _title(text: str, limit: int) -> str:
    """Member text as one safe line: plain, re-escaped, no links or mentions left to fire."""
    flat = " ".join(bk.plain(text).split())
    return from_plain(bk.truncate(flat, limit))


def highlight(snippet: str) -> str:
    """An FTS snippet (plain text, \\x02…\\x03 around matches) as safe mrkdwn in bold."""
    flat = " ".join(snippet.split())
    safe = from_plain(bk.truncate(flat, 600))
    safe = re.sub(r"\x02\s*\x03", "", safe)
    return safe.replace("\x02", "*").replace("\x03", "*")


# --- "Mark answered" -----------------------------------------------------------------------


def mark_answered_button(question_id: int) -> dict[str, Any]:
    """The button other messages (home, /ask) can carry."""
    return bk.button("Mark answered", MARK_ANSWERED, str(question_id), style="primary")


def mark_answered(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """The asker or an organizer marks a question answered; anyone else is told, kindly."""
    ack()
    deps: Deps = context["deps"]
    user = str((body.get("user") or {}).get("id") or "")
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    question = questions.get_question(deps.db, int(value)) if value.isdigit() else None
    if question is None:
        respond(**_ephemeral("That question is no longer in the archive."))
        return
    asker = question.user is not None and question.user == user
    if not asker and not is_organizer(deps.settings, client, user):
        respond(
            **_ephemeral(
                "Only the person who asked, or an organizer, can mark this question answered. "
                "If you know the answer, reply in its thread: that helps most!"
            )
        )
        return
    if question.answered:
        respond(**_ephemeral("That question is already marked answered. :white_check_mark:"))
        return
    marks.add_mark(
        deps.db,
        channel=question.channel,
        item_ts=question.ts,
        user=user,
        kind=marks.BUTTON,
        at=deps.now(),
        organizer=not asker,
    )
    link = questions.question_link(team_url(deps, client), question)
    respond(**_ephemeral(f":white_check_mark: Marked <{link}|the question> answered. Thanks!"))


def _ephemeral(text: str) -> dict[str, Any]:
    return bk.message(
        bk.plain(text), [bk.section(text)], response_type="ephemeral", replace_original=False
    )
