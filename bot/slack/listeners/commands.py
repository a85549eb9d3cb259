"""Slash commands members use: /nexttopic, /resources, /roadmap, /progress, /ask."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import format as fmt
from bot.core import ingest
from bot.core import progress as ticks
from bot.core import topic_search as search
from bot.core.calendar import Calendar, Week, local_today
from bot.core.deps import Deps
from bot.core.post_plan import PostError
from bot.core.roadmap import Roadmap, Topic
from bot.slack.asked_before import reply_asked_before
from bot.slack.delivery import SlackPoster
from bot.slack.render import blocks as bk
from bot.slack.render.ask import ask_failed, ask_modal, ask_post, ask_posted
from bot.slack.render.choose import no_match, no_topic_now, which_topic
from bot.slack.render.ids import DONE, RESOURCES, UNDO
from bot.slack.render.notices import no_channel
from bot.slack.render.progress import progress_changed, progress_overview
from bot.slack.render.resources import kind_of
from bot.slack.render.resources import resources as resources_message
from bot.slack.render.roadmap import RoadmapPage, roadmap_pages, stage_not_found
from bot.slack.render.roadmap import roadmap as roadmap_message
from bot.slack.render.topic import TopicCard
from bot.slack.render.topic import next_topic as topic_message
from bot.slack.render.usage import usage

log = logging.getLogger(__name__)

HELP = frozenset({"help", "-h", "--help", "?", "usage"})
# After an unanswered /ask post, how long to look for it in the channel before telling the
# member it is unconfirmed (they are waiting; a scheduled post looks far longer).
ASK_GRACE = 5.0
DONE_WORDS = frozenset({"done", "tick", "check", "finished"})
UNDO_WORDS = frozenset({"undo", "untick", "uncheck"})


# --- helpers shared with bot/listeners/actions.py ----------------------------------------


def words(command: dict[str, Any]) -> list[str]:
    return str(command.get("text") or "").split()


def is_help(args: list[str]) -> bool:
    return bool(args) and args[0].lower() in HELP


def current_topic(cal: Calendar, week: Week) -> Topic | None:
    """The topic "this week" means: this week's, or the one coming up in a break or before
    the start; None once the roadmap is over."""
    if week.kind == "topic":
        return week.topic
    if week.kind == "after":
        return None
    nxt = cal.next_topic_week(week)
    return nxt.topic if nxt else None


def thread_link(deps: Deps, week: Week, team_domain: str | None) -> str | None:
    """The link to this week's weekly post (its thread is the week's discussion), once sent.

    The posts ledger belongs to bot/posts.py (migration 0400)."""
    if week.kind != "topic":
        return None
    try:
        row = deps.db.execute(
            "SELECT channel, ts FROM posts_ledger WHERE kind = 'weekly' AND week = ? "
            "AND status = 'sent' AND ts IS NOT NULL AND ts != '' "
            "ORDER BY channel = ? DESC, rowid DESC LIMIT 1",
            (week.key, deps.channel or ""),
        ).fetchone()
    except sqlite3.OperationalError:  # a ledger of another shape: show the card without it
        log.warning("posts_ledger has no (kind, channel, week, status, ts); no thread link")
        return None
    return fmt.message_link(row[0], row[1], team=fmt.team_url(team_domain)) if row else None


def topic_card(
    deps: Deps,
    user: str,
    team_domain: str | None,
    topic: Topic | None = None,
    shared: bool = False,
) -> TopicCard:
    """The /nexttopic card: this week's, or (share button) the week of `topic`."""
    if topic is None and not shared:
        roadmap = deps.roadmap
        today = local_today(roadmap.schedule, deps.now())
        # The card holds the roadmap, so its id is not reused while remembered.
        key = ("topic_card", user, team_domain, today, id(roadmap))
        return deps.remembered(key, lambda: _topic_card(deps, user, team_domain, None, False))
    return _topic_card(deps, user, team_domain, topic, shared)


def _topic_card(
    deps: Deps, user: str, team_domain: str | None, topic: Topic | None, shared: bool
) -> TopicCard:
    cal, week = deps.this_week()
    if topic is not None and not (week.topic and week.topic.id == topic.id):
        week = cal.first_week_of(topic.id) or week
    return TopicCard(
        roadmap=deps.roadmap,
        cal=cal,
        week=week,
        done=None if shared else frozenset(ticks.done_topics(deps.db, user)),
        thread_link=thread_link(deps, week, team_domain),
        shared_by=user if shared else None,
    )


def _normal(text: str) -> str:
    return "".join(search.words(text))


def resolve(
    roadmap: Roadmap, query: str, command: str, action: str, verb: str
) -> Topic | dict[str, Any]:
    """The one topic a member named, or the message to answer instead (did you mean / which)."""
    found = search.find_topics(roadmap, query)
    if not found:
        return no_match(command, query, search.suggest(roadmap, query), action, verb)
    q = _normal(query)
    if len(found) == 1 or found[0].id == query.strip().lower():
        return found[0]
    # Named outright (id, title or alias), or the only one whose name starts that way.
    named = [t for t in found if q in {_normal(n) for n in (t.id, t.title, *t.aliases)}]
    if len(named) == 1:
        return named[0]
    starts = [
        t for t in found if any(_normal(n).startswith(q) for n in (t.id, t.title, *t.aliases))
    ]
    if len(starts) == 1:
        return starts[0]
    return which_topic(query, found, action, verb)


def post_question(
    deps: Deps,
    client: WebClient,
    *,
    user: str,
    text: str,
    topic: Topic | None,
    anonymous: bool,
) -> tuple[str, str]:
    """Post a member's question (Slack wire format) to the study channel and archive it.

    Returns (channel, ts); raises PostError when Slack does not take the post. The post is
    tagged, so after an unclear failure (a lost answer, a timeout) the sender looks for it in
    the channel before trying again: the question appears once, and is archived."""
    channel = deps.channel
    if not channel:
        raise ValueError("no study channel")
    message = ask_post(text, None if anonymous else user, topic)
    tag = {"event_type": "studybot_ask", "event_payload": {"nonce": uuid.uuid4().hex}}
    ts = SlackPoster(client, grace=ASK_GRACE, resend_unconfirmed=False).post(channel, message, tag)
    if not ts:  # Slack took it without saying where: nothing to archive it under
        log.warning("/ask question posted without a ts; not archived")
        return channel, ts
    try:
        question = ingest.record_ask(
            deps, channel=channel, ts=ts, user=user, text=text, topic=topic, anonymous=anonymous
        )
    except Exception:
        # The question is in the channel already; losing its archive row beats losing it.
        log.exception("posted /ask question %s but could not archive it", ts)
        return channel, ts
    try:
        # The bot's own posts never reach the message listener, so "asked before" is asked here.
        reply_asked_before(deps, client, question)
    except Exception:
        log.exception("could not check /ask question %s against earlier answers", ts)
    return channel, ts


# --- /nexttopic -------------------------------------------------------------------------


def next_topic(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    args = words(command)
    if args:
        problem = None if is_help(args) else "`/nexttopic` takes no argument."
        ack(usage("/nexttopic", problem))
        return
    deps: Deps = context["deps"]
    card = topic_card(deps, command["user_id"], command.get("team_domain"))
    ack(topic_message(card))


# --- /resources -------------------------------------------------------------------------


def resources(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    args = words(command)
    if is_help(args):
        ack(usage("/resources"))
        return
    deps: Deps = context["deps"]
    roadmap = deps.roadmap
    free_only = any(w.lower() == "free" for w in args)
    kinds = {k for k in (kind_of(w) for w in args) if k}
    if len(kinds) > 1:
        ack(usage("/resources", "Pick one kind at a time (or none for all)."))
        return
    rest = [w for w in args if w.lower() != "free" and not kind_of(w)]
    query = " ".join(rest)
    also: list[Topic] = []
    if not query:
        cal, week = deps.this_week()
        topic = current_topic(cal, week)
        if topic is None:
            ack(no_topic_now("/resources", week, cal))
            return
    else:
        found = search.find_topics(roadmap, query)
        if not found:
            suggestions = search.suggest(roadmap, query)
            ack(no_match("/resources", query, suggestions, RESOURCES, "Show"))
            return
        topic, also = found[0], found[1:]
    kind = next(iter(kinds), None)
    ack(resources_message(roadmap, topic, free_only=free_only, kind=kind, also=also, query=query))


# --- /roadmap ---------------------------------------------------------------------------


def find_stage(roadmap: Roadmap, query: str) -> str | None:
    """A stage by id, by title, or by the start of a word of its title."""
    q = _normal(query)
    if not q:
        return None
    for test in (
        lambda s: _normal(s.id) == q or _normal(s.title) == q,
        lambda s: _normal(s.id).startswith(q) or _normal(s.title).startswith(q),
        lambda s: any(w.startswith(q) for w in search.words(s.title)),
    ):
        hits = [s.id for s in roadmap.stages if test(s)]
        if hits:
            return hits[0]
    return None


def roadmap(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    args = words(command)
    if is_help(args):
        ack(usage("/roadmap"))
        return
    deps: Deps = context["deps"]
    road = deps.roadmap
    cal, week = deps.this_week()
    page: int | None = None
    if len(args) >= 2 and args[-2].lower() == "page":
        if not args[-1].isdigit():
            ack(usage("/roadmap", "`page` needs a number, e.g. `/roadmap page 2`."))
            return
        page, args = int(args[-1]), args[:-2]
    elif len(args) == 1 and args[0].isdigit():  # `/roadmap 2` means page 2
        page, args = int(args[0]), []
    elif args and args[-1].lower() == "page":
        ack(usage("/roadmap", "`page` needs a number, e.g. `/roadmap page 2`."))
        return
    stage = None
    if args:
        stage = find_stage(road, " ".join(args))
        if stage is None:
            ack(stage_not_found(road, " ".join(args)))
            return
    pages = roadmap_pages(road, cal, stage)
    if page is not None and not 1 <= page <= pages:
        ack(
            usage(
                "/roadmap",
                f"There {'is' if pages == 1 else 'are'} only "
                f"{pages} page{'s' if pages > 1 else ''}.",
            )
        )
        return
    done = ticks.done_topics(deps.db, command["user_id"])
    ack(roadmap_message(road, cal, week, done, RoadmapPage(stage, page)))


# --- /progress --------------------------------------------------------------------------


def change_progress(deps: Deps, user: str, topic: Topic, tick: bool) -> dict[str, Any]:
    """Tick or untick `topic` for `user`; the message saying what happened."""
    db = deps.db
    if tick:
        changed = ticks.mark_done(db, user, topic.id, deps.now())
    else:
        changed = ticks.undo(db, user, topic.id)
    done = ticks.done_topics(db, user)
    cal = deps.calendar()
    return progress_changed(deps.roadmap, cal, topic, done, ticked=tick, changed=changed)


def progress(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    args = words(command)
    if is_help(args):
        ack(usage("/progress"))
        return
    deps: Deps = context["deps"]
    user = command["user_id"]
    cal, week = deps.this_week()
    if not args:
        done = ticks.done_topics(deps.db, user)
        ack(progress_overview(deps.roadmap, cal, week, done))
        return
    verb = args[0].lower()
    if verb not in DONE_WORDS | UNDO_WORDS:
        said = bk.escape(bk.truncate(args[0], 40))
        ack(usage("/progress", f"I don't know “{said}”: use `done` or `undo`."))
        return
    tick = verb in DONE_WORDS
    query = " ".join(args[1:])
    if not query:
        if week.kind != "topic" or week.topic is None:
            ack(no_topic_now("/progress", week, cal, f"/progress {verb}"))
            return
        topic: Topic | dict[str, Any] = week.topic
    else:
        action = DONE if tick else UNDO
        topic = resolve(deps.roadmap, query, "/progress", action, "Tick" if tick else "Untick")
    if isinstance(topic, dict):
        ack(topic)
        return
    ack(change_progress(deps, user, topic, tick))


# --- /ask -------------------------------------------------------------------------------


def ask(
    ack: Ack,
    command: dict[str, Any],
    context: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    text = str(command.get("text") or "").strip()
    if text.lower() in HELP:
        ack(usage("/ask"))
        return
    deps: Deps = context["deps"]
    if not text:
        ack()  # the form opens right after, on the trigger_id (valid for 3 s)
        try:
            open_ask_modal(deps, client, command["trigger_id"])
        except SlackApiError as exc:  # e.g. expired_trigger_id when Slack was slow
            log.warning("/ask form did not open: %s", exc.response.get("error"))
            respond(usage("/ask", "The form did not open; ask with text instead."))
        return
    if not deps.channel:
        ack(no_channel())
        return
    ack()  # posting is slow work: the confirmation follows through response_url
    cal, week = deps.this_week()
    topic = week.topic if week.kind == "topic" else None
    user = command["user_id"]
    try:
        channel, ts = post_question(
            deps, client, user=user, text=text, topic=topic, anonymous=False
        )
    except PostError as exc:
        log.warning("/ask could not post: %s", exc.error)
        respond(ask_failed(deps.channel, exc.error))
        return
    link = (
        fmt.message_link(channel, ts, team=fmt.team_url(command.get("team_domain"))) if ts else None
    )
    respond(ask_posted(channel, link, anonymous=False))


def open_ask_modal(
    deps: Deps, client: WebClient, trigger_id: str, topic: Topic | None = None
) -> None:
    """The /ask form, its topic preset to `topic` or this week's (also for App Home)."""
    cal, week = deps.this_week()
    default = topic or current_topic(cal, week)
    view = ask_modal(deps.roadmap, cal.topics, default, deps.channel)
    client.views_open(trigger_id=trigger_id, view=view)
