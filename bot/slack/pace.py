"""The pace vote on the Slack side: `/studygroup vote on|off`, the nudge's tally kept up to
date, and the organizers told when the group votes for another week (bot.core.pace_vote)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from slack_sdk import WebClient

from bot.core import ledger, pace_vote
from bot.core.calendar import Week
from bot.core.deps import Deps
from bot.core.post_plan import Context, gather
from bot.slack.organizer_controls import Message, Usage, say
from bot.slack.render import vote as render
from bot.slack.render.posts import compose, slack_date

log = logging.getLogger(__name__)

# One nudge update at a time per week: two clicks at once would otherwise race, and the slower
# update could put back the older tally. A click while an update is under way only asks for
# another: the thread updating sends it once its own is done, so the other clicks' threads are
# free at once (waiting their turn, they filled the after-ack threads whenever Slack was slow,
# and a command then found none to answer it within 3 s).
_updating = threading.Lock()
_wanted: set[tuple[int, str]] = set()  # (app's deps, week): the nudge needs another update
_busy: set[tuple[int, str]] = set()  # an update is under way on some thread


def vote_control(
    deps: Deps, client: WebClient, user: str, args: list[str], command: dict[str, Any]
) -> Message:
    """/studygroup vote on|off: whether the mid-week nudge asks for another week."""
    if len(args) != 1 or args[0].lower() not in ("on", "off"):
        raise Usage(
            "Say `on` or `off`: `/studygroup vote on` lets members vote in the mid-week nudge "
            "on another week for the topic."
        )
    on = args[0].lower() == "on"
    if not pace_vote.turn(deps.db, on, user, deps.now()):
        return say(f"The group's pace vote is already {'on' if on else 'off'}.")
    if not on:
        return say(
            ":ballot_box_with_check: The pace vote is off: the nudges no longer ask, and votes "
            "already given do not extend the topic."
        )
    schedule = deps.roadmap.schedule
    rule = schedule.vote
    share = "half" if rule.share == 0.5 else f"{rule.share:.0%}"
    _, week = deps.this_week()
    when = (
        "From next week"
        if ledger.sent_row(deps.db, "nudge", week.key) is not None
        else "From this week"
    )
    text = (
        f":ballot_box_with_check: The group decides its pace. {when}, the mid-week nudge asks "
        f"“{render.QUESTION}” It passes when more than {share} of the votes and at least "
        f"{rule.min_votes} say yes (the roadmap's `schedule.vote`); the organizers are told at "
        "once and can veto until the recap, which extends the topic. `/studygroup vote off` "
        "stops it."
    )
    if schedule.recap is None:
        text += " :warning: The roadmap has no recap, which decides the vote: add `schedule.recap`."
    return say(text)


def refresh_nudge(deps: Deps, client: WebClient, week: Week) -> None:
    """Show the new tally on the week's nudge (chat.update: nobody is notified again). The
    nudge is composed as it was sent (its questions as of then), with the votes as they are.
    Returns at once when another thread is updating it: that one sends this tally too."""
    key = (id(deps), week.key)
    with _updating:
        _wanted.add(key)
        if key in _busy:
            return
        _busy.add(key)
    try:
        while True:
            with _updating:
                if key not in _wanted:
                    _busy.discard(key)
                    return
                _wanted.discard(key)
            _update_nudge(deps, client, week)
    except BaseException:
        with _updating:
            _busy.discard(key)
            _wanted.discard(key)
        raise


def _update_nudge(deps: Deps, client: WebClient, week: Week) -> None:
    row = ledger.sent_row(deps.db, "nudge", week.key)
    if row is None or not row.ts or week.topic is None:
        return
    sent_at = dt.datetime.fromisoformat(row.sent_at) if row.sent_at else deps.now()
    ctx = Context(deps.roadmap, deps.calendar(), week, deps.db, sent_at, row.channel)
    message = compose(gather("nudge", ctx))
    try:
        client.chat_update(
            channel=row.channel, ts=row.ts, text=message["text"], blocks=message.get("blocks")
        )
    except Exception as exc:  # the vote is counted; the tally shows at the next click
        log.warning("could not update the nudge's tally: %s", exc.__class__.__name__)


def tell_organizers(deps: Deps, client: WebClient, week: Week, tally: pace_vote.Tally) -> None:
    """DM each organizer (STUDYBOT_ADMINS, as for failed posts) that the vote passed, with a
    Veto button. Claimed before (pace_vote.cast: once a week), so sent at most once."""
    admins = list(dict.fromkeys(deps.settings.admins))  # each organizer once
    schedule = deps.roadmap.schedule
    ends = pace_vote.voting_ends(schedule, week)
    if week.topic is None or ends is None:
        return
    if not admins:
        log.warning("the pace vote passed but there are no STUDYBOT_ADMINS to tell")
        return
    message = render.passed_notice(
        week.topic.title, week.study_week, week.key, tally, slack_date(ends, schedule.tz)
    )
    for admin in admins:
        try:
            client.chat_postMessage(channel=admin, **message)
        except Exception as exc:  # best effort, like the failure reports
            log.warning("could not tell %s about the vote: %s", admin, exc.__class__.__name__)
