"""/qa: search the archive's questions and answers, or list them, with filters."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.core import listings, qa_search, topic_search
from bot.core.deps import Deps
from bot.core.qa_search import Hit, Query
from bot.core.questions import Question
from bot.slack import workspace
from bot.slack.organizers import is_organizer
from bot.slack.render import blocks as bk
from bot.slack.render import qa as render
from bot.slack.routes import Routes

RESULTS = 10


def parse_filters(text: str) -> tuple[str, dict[str, Any]]:
    """Split `/qa` text into search terms and filters (topic:<name>, unanswered, mine)."""
    filters: dict[str, Any] = {"topic": None, "unanswered": False, "mine": False}
    terms = []
    for word in text.split():
        lower = word.lower()
        if lower.startswith("topic:"):
            filters["topic"] = word[len("topic:") :].strip().lower()  # "": no name given
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
    """/qa [terms] [unanswered] [mine] [topic:<name>]: the help card, or results after the ack."""
    deps: Deps = context["deps"]
    text = str(command.get("text") or "").strip()
    user = str(command.get("user_id") or "")
    if text.lower() in ("", "help", "-h", "--help", "?"):
        ack(**render.usage(deps.roadmap))
        return
    terms, filters = parse_filters(text)
    if filters["topic"] == "":
        ack(**render.usage(deps.roadmap, "Name a topic after `topic:`, e.g. `topic:svd`."))
        return
    if filters["topic"]:
        # An id, a word of a title ("svd") or an id misspelt a little; else the closest.
        found = topic_search.resolve(deps.roadmap, filters["topic"])
        if found.topic is None:
            ack(**render.usage(deps.roadmap, render.topic_problem(filters["topic"], found)))
            return
        filters["topic"] = found.topic.id
    query = qa_search.fts_query(terms) if terms else None
    if query is not None and not query.match:
        problem = f"Nothing to search for in “{bk.escape(terms)}”: try a word or two."
        ack(**render.usage(deps.roadmap, problem))
        return
    ack()
    respond(**results_message(deps, client, user, query, filters))


def results_message(
    deps: Deps,
    client: WebClient,
    user: str,
    query: Query | None,
    filters: dict[str, Any],
) -> dict[str, Any]:
    """Search (or list, without a query) for `user`, and render the results."""
    db = deps.db
    answered = False if filters["unanswered"] else None
    mine = user if filters["mine"] else None
    items: list[tuple[Question, Hit | None]]
    if query is not None:
        hits = qa_search.search(
            db, query, topic_id=filters["topic"], answered=answered, user=mine, limit=RESULTS
        )
        items = [(h.question, h) for h in hits]
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
    filtered = bool(filters["topic"] or filters["unanswered"] or filters["mine"])
    capped = query is not None and qa_search.capped(db, query, filtered=filtered)
    if not items:
        return render.results(deps.roadmap, "", query, filters, [], capped=capped, limit=RESULTS)
    base = workspace.url(db, client)
    organizer: list[bool] = []  # asked of Slack at most once, and only if it matters

    def mine_or_organizer(question: Question) -> bool:
        if question.user is not None and question.user == user:
            return True
        if not organizer:
            organizer.append(is_organizer(deps.settings, client, user))
        return organizer[0]

    def can_mark(question: Question) -> bool:
        # Answered means an accepted reply: with none yet, the button could not work.
        if question.answered or not question.answer_count:
            return False
        return mine_or_organizer(question)

    marked = [(question, hit, can_mark(question)) for question, hit in items]
    movable = frozenset(q.id for q, _ in items if mine_or_organizer(q))
    return render.results(
        deps.roadmap, base, query, filters, marked, capped=capped, limit=RESULTS, movable=movable
    )


def register(routes: Routes) -> None:
    """/qa."""
    routes.command("/qa", qa_command)
