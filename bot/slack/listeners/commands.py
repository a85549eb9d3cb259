"""Slash commands members use: /nexttopic, /resources, /roadmap, /progress, /ask."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import format as fmt
from bot.core import progress as ticks
from bot.core import topic_search as search
from bot.core.deps import Deps
from bot.core.format import plural
from bot.core.post_plan import PostError
from bot.core.roadmap import Roadmap, Topic
from bot.core.text import whole_number
from bot.slack import workspace
from bot.slack.ask import open_ask_modal, post_question
from bot.slack.progress_changes import change_progress
from bot.slack.render import blocks as bk
from bot.slack.render.ask import ask_failed, ask_posted
from bot.slack.render.choose import no_match, no_topic_now, which_topic
from bot.slack.render.ids import DONE, RESOURCES, UNDO
from bot.slack.render.notices import no_channel
from bot.slack.render.progress import progress_overview
from bot.slack.render.resources import kind_of
from bot.slack.render.resources import resources as resources_message
from bot.slack.render.roadmap import RoadmapPage, roadmap_pages, stage_not_found
from bot.slack.render.roadmap import roadmap as roadmap_message
from bot.slack.render.topic import next_topic as topic_message
from bot.slack.render.usage import HELP_WORDS, usage
from bot.slack.routes import Routes
from bot.slack.topic_cards import topic_card

log = logging.getLogger(__name__)

DONE_WORDS = frozenset({"done", "tick", "check", "finished"})
UNDO_WORDS = frozenset({"undo", "untick", "uncheck"})


# --- parsing a command's words -----------------------------------------------------------


def words(command: dict[str, Any]) -> list[str]:
    return str(command.get("text") or "").split()


def is_help(args: list[str]) -> bool:
    return bool(args) and args[0].lower() in HELP_WORDS


def _normal(text: str) -> str:
    return "".join(search.words(text))


def resolve(
    roadmap: Roadmap,
    query: str,
    command: str,
    action: str,
    verb: str,
    prefer: Collection[str] = (),
) -> Topic | dict[str, Any]:
    """The one topic a member named (bot.core.topic_search.resolve, no guessing at
    misspellings), or the message to answer instead: which one, or did you mean."""
    found = search.resolve(roadmap, query, prefer, near=False)
    if found.topic is not None:
        return found.topic
    if found.several:
        return which_topic(query, found.closest, action, verb)
    return no_match(command, query, found.closest, action, verb)


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
        topic = cal.current_topic(week)
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
        page, args = whole_number(args[-1]), args[:-2]
        if page is None:
            ack(usage("/roadmap", "`page` needs a number, e.g. `/roadmap page 2`."))
            return
    elif len(args) == 1 and (number := whole_number(args[0])) is not None:
        page, args = number, []  # `/roadmap 2` means page 2
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
                f"There {'is' if pages == 1 else 'are'} only {plural(pages, 'page')}.",
            )
        )
        return
    done = ticks.done_topics(deps.db, command["user_id"])
    ack(roadmap_message(road, cal, week, done, RoadmapPage(stage, page)))


# --- /progress --------------------------------------------------------------------------


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
        verb_shown = "Tick" if tick else "Untick"
        ticked = () if tick else ticks.done_topics(deps.db, user)
        topic = resolve(deps.roadmap, query, "/progress", action, verb_shown, prefer=ticked)
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
    if text.lower() in HELP_WORDS:
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
    team = workspace.url(deps.db, client)  # after the ack: one host, auth.test's
    link = fmt.message_link(channel, ts, team=team) if ts else None
    respond(ask_posted(channel, link, anonymous=False))


def register(routes: Routes) -> None:
    """The member commands."""
    routes.command("/nexttopic", next_topic)
    routes.command("/resources", resources)
    routes.command("/roadmap", roadmap)
    routes.command("/progress", progress)
    routes.command("/ask", ask)
