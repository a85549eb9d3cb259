"""The /nexttopic card: this week's topic (or a shared one), the member's ticks, its thread."""

from __future__ import annotations

import logging
import sqlite3

from bot.core import format as fmt
from bot.core import ledger
from bot.core import progress as ticks
from bot.core.calendar import Week, local_today
from bot.core.deps import Deps
from bot.core.roadmap import Topic
from bot.slack import workspace
from bot.slack.render.topic import TopicCard

log = logging.getLogger(__name__)


def thread_link(deps: Deps, week: Week, team_domain: str | None) -> str | None:
    """The link to this week's weekly post (its thread is the week's discussion), once sent."""
    if week.kind != "topic":
        return None
    try:
        post = ledger.weekly_post(deps.db, week.key, deps.channel or "")
    except sqlite3.OperationalError:  # a ledger of another shape: show the card without it
        log.warning("posts_ledger has no (kind, channel, week, status, ts); no thread link")
        return None
    team = workspace.known(deps.db, team_domain)  # one host: the workspace URL auth.test gave
    return fmt.message_link(post[0], post[1], team=team) if post else None


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
