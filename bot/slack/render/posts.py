"""The scheduled posts as Block Kit (weekly prompt, mid-week nudge, recap), and how a send went, in words."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from bot.core import format as fmt
from bot.core import questions
from bot.core.format import plural
from bot.core.ledger import LedgerRow
from bot.core.post_plan import KIND_TITLES, Facts, NudgeFacts, Outcome, RecapFacts, WeeklyFacts
from bot.core.roadmap import Topic
from bot.slack.render import blocks as bk
from bot.slack.render import vote

MAX_LISTED = 10  # questions listed in one post; the rest are counted
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def slack_date(at: dt.datetime, tz: Any) -> str:
    """A time each reader sees in their own timezone, with the group's time as the fallback."""
    local = at.astimezone(tz)
    fallback = f"{local:%a %b %-d, %-I:%M %p} {local.tzname()}"
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def compose(facts: Facts) -> dict[str, Any]:
    """The message (text fallback + blocks) for a post (bot.core.post_plan.gather)."""
    if isinstance(facts, WeeklyFacts):
        return weekly(facts)
    if isinstance(facts, NudgeFacts):
        return nudge(facts)
    return recap(facts)


def _bullets(title: str, items: Sequence[str]) -> list[bk.Block]:
    if not items:
        return []
    return bk.sections(f"*{title}*\n" + "\n".join(items))


def _question_line(q: questions.Question, team: str) -> str:
    link = q.permalink or fmt.message_link(q.channel, q.ts, q.thread_ts, team)
    return f"• {bk.truncate(fmt.safe(q.text), 220)} <{link}|→ thread>"


def _listed(questions: Sequence[questions.Question], more_hint: str, team: str) -> list[str]:
    lines = [_question_line(q, team) for q in questions[:MAX_LISTED]]
    if len(questions) > MAX_LISTED:
        lines.append(f"…and {len(questions) - MAX_LISTED} more: {more_hint}")
    return lines


def _reading(topic: Topic, weeks: int) -> list[bk.Block]:
    """The core reading first, with what it asks a week, then the optional extras; a topic
    that marks no core (an older roadmap) lists its resources as equals, as it always did."""
    if not topic.marks_core:
        return _bullets(":books: Resources", [fmt.resource_line(r) for r in topic.resources])
    load = fmt.workload(topic.core_hours, topic.optional_hours, weeks)
    heading = "*:books: Core reading*, what we read together" + (f" · {load}" if load else "")
    out = bk.sections("\n".join([heading, *(fmt.resource_line(r) for r in topic.core)]))
    return out + _bullets("Optional extras", [fmt.resource_line(r) for r in topic.optional])


def weekly(facts: WeeklyFacts) -> dict[str, Any]:
    """The week's topic: material, spaced review, last week's open questions, where to ask."""
    week, topic = facts.week, facts.topic
    title = f"Week {week.study_week} of {facts.total_weeks}: {topic.title}"
    about = [fmt.week_dates(week), facts.stage]
    if week.topic_weeks > 1:
        about.append(f"part {week.topic_week} of {week.topic_weeks} on this topic")
    out: list[bk.Block] = [bk.header(title), bk.context(" · ".join(fmt.safe(f) for f in about))]
    out += bk.sections(fmt.safe(topic.summary)) if topic.summary.strip() else []
    out += _bullets(":dart: Key points", [f"• {fmt.safe(p)}" for p in topic.key_points])
    out += _reading(topic, week.topic_weeks)
    out += _bullets(
        ":speech_balloon: Discussion prompts", [f"• {fmt.safe(p)}" for p in topic.prompts]
    )
    if topic.exercise:
        out += bk.sections(f"*:computer: Learn it through code*\n{fmt.safe(topic.exercise)}")
    if facts.lead and _USER_ID.match(facts.lead):
        out.append(bk.section(lead_line(facts.lead)))
    out += _bullets(
        ":repeat: Spaced review — can you still answer these?",
        [
            f"• {fmt.safe(q)} _({fmt.safe(t.title)}, {plural(back, 'week')} back)_"
            for q, t, back in facts.recall
        ],
    )
    out += _bullets(
        ":hourglass: Still open from last week — can you help?",
        _listed(facts.carried, "`/qa unanswered`", facts.team),
    )
    out.append(bk.divider())
    out.append(
        bk.section(
            ":thread: *Questions about this week's reading?* Ask them in this post's thread "
            "(or with `/ask`) — every question and answer is kept and searchable with `/qa`."
        )
    )
    fallback = (
        f"{title} ({fmt.week_dates(week)}). {topic.summary} "
        f"Key points, resources and prompts inside; ask your questions in this thread."
    )
    return bk.message(fallback, out)


def lead_line(user: str) -> str:
    """The weekly post's line naming the week's discussion lead (a validated user id)."""
    return (
        f":microphone: *Discussion lead this week:* <@{user}> opens the discussion of the "
        "prompts in this post's thread. Want a turn? `/lead on`"
    )


def nudge(facts: NudgeFacts) -> dict[str, Any]:
    """Mid-week: how many questions so far, the unanswered ones, or a plea to ask."""
    topic, asked, waiting = facts.topic, facts.asked, facts.waiting
    title = f"Mid-week check-in: {topic.title}"
    out: list[bk.Block] = [bk.header(title)]
    where = (
        f"<{fmt.message_link(facts.channel, facts.thread_ts, team=facts.team)}|this week's thread>"
        if facts.thread_ts
        else "this week's thread"
    )
    if not asked:
        summary = f"No questions yet this week. Stuck on something? Ask in {where} — no question is too small."
    else:
        summary = (
            f"*{asked}* question{'s' if asked != 1 else ''} so far this week, "
            f"*{len(waiting)}* still waiting for an answer."
        )
    out.append(bk.section(summary))
    out += _bullets(
        ":raising_hand: Can you answer one of these?",
        _listed(waiting, "`/qa unanswered`", facts.team),
    )
    if topic.prompts:
        out.append(bk.context(f"Something to think about: {fmt.safe(topic.prompts[-1])}"))
    out += vote.nudge_vote(facts.vote) if facts.vote else []
    fallback = f"{title}: {plural(asked, 'question')} so far, {len(waiting)} unanswered."
    return bk.message(fallback, out)


# Answerers named in the recap's thanks (the rest counted): a section stays well inside 3,000
# characters, and a wall of mentions thanks nobody.
THANKED = 25


def recap(facts: RecapFacts) -> dict[str, Any]:
    """End of week: questions asked and answered, thanks to who answered, what comes next."""
    week, topic, asked, answered = facts.week, facts.topic, facts.asked, facts.answered
    title = f"Week {week.study_week} recap: {topic.title}"
    out: list[bk.Block] = [
        bk.header(title),
        bk.section(
            f"*{asked}* question{'s' if asked != 1 else ''} asked this week, "
            f"*{answered}* answered."
            + (
                f" The {asked - answered} still open carry over to next week's post."
                if asked > answered
                else ""
            )
        ),
    ]
    # The bot's own text: mentions of answerers (validated ids) thank them, nothing else pings.
    thanks = [
        f"<@{user}> ({plural(count, 'answer')})"
        for user, count in facts.helpers
        if _USER_ID.match(user or "")
    ]
    if thanks:
        more = len(thanks) - THANKED
        named = ", ".join(thanks[:THANKED]) + (f" and {plural(more, 'other')}" if more > 0 else "")
        out.append(bk.section(f":raised_hands: *Thank you* {named}!"))
    out += vote.recap_line(facts.pace, topic.title) if facts.pace else []
    out.append(bk.section(f"*What's next*\n{_whats_next(facts)}"))
    fallback = f"{title}: {plural(asked, 'question')} asked, {answered} answered."
    return bk.message(fallback, out)


def _whats_next(facts: RecapFacts) -> str:
    if facts.upcoming is None:
        return ":tada: That was the last week of the roadmap. Well done, everyone!"
    week, at = facts.upcoming
    assert week.topic is not None
    when = slack_date(at, facts.tz)
    if week.topic.id == facts.topic.id:
        return f"We stay on *{fmt.safe(week.topic.title)}* (part {week.topic_week} of {week.topic_weeks}); the next post is {when}."
    return f"*{fmt.safe(week.topic.title)}* ({fmt.week_dates(week)}) — the post goes out {when}."


def failure_notice(row: LedgerRow) -> str:
    """The organizers' DM when a post could not be sent (they get it once per post). Sent by
    the running bot or by `studybot post`, so it promises only what the bot does."""
    return (
        f":warning: The {KIND_TITLES.get(row.kind, row.kind)} for the week of {row.week} could not "
        f"be sent to <#{row.channel}>: `{row.error}`. While the bot runs it retries this week's "
        "posts by itself; `/studygroup status` shows where it stands, `/studygroup post "
        f"{row.kind}` tries now."
    )


def describe(outcome: Outcome, force_hint: str = "--force", after_failure: str = "") -> str:
    """One line for the terminal (and /studygroup post) saying what happened; `after_failure`:
    what the caller knows follows a failure (who was told, who retries)."""
    what = f"{KIND_TITLES.get(outcome.kind, outcome.kind)} for the week of {outcome.week}"
    where = f" in {outcome.channel} (ts {outcome.ts})" if outcome.ts else ""
    return {
        "sent": f"Sent the {what}{where}.",
        "found": f"The {what} was already in the channel{where}; recorded it.",
        "already": f"The {what} already went out{where}; use {force_hint} to send it again.",
        "busy": f"The {what} is being sent by another process right now.",
        "failed": f"Could not send the {what}: {outcome.error}. {after_failure}".strip(),
        "nothing": f"Nothing to send: {outcome.error}.",
    }[outcome.status]
