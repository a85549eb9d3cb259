"""The pace vote in Block Kit: the nudge's question, a member's receipt, the organizers' notice
with its Veto button, and the recap's line (bot.core.pace_vote has the rules)."""

from __future__ import annotations

from bot.core import format as fmt
from bot.core.pace_vote import Ballot, Choice, Decision, Tally, Veto
from bot.slack.render import blocks as bk
from bot.slack.render.ids import PACE_VETO, PACE_VOTE
from bot.slack.render.phrases import Message

QUESTION = "Need another week on this topic?"


def nudge_vote(ballot: Ballot) -> list[bk.Block]:
    """The nudge's question with Yes/No and the tally; on a topic the group already voted
    another week for, only a line saying so (no second vote on the same topic)."""
    if ballot.extra_week:
        return [
            bk.context(
                ":ballot_box_with_check: The group already voted this topic another week, "
                "so there is no second vote on it."
            )
        ]
    return [
        bk.section(
            f":ballot_box_with_check: *{QUESTION}* One vote each; you can change it until "
            "the recap."
        ),
        bk.actions(
            bk.button("Yes, another week", f"{PACE_VOTE}yes", ballot.week, style="primary"),
            bk.button("No, move on", f"{PACE_VOTE}no", ballot.week),
        ),
        bk.context(ballot.tally.words),
    ]


def _word(choice: Choice) -> str:
    return "Yes" if choice == "yes" else "No"


def counted(choice: Choice, previous: Choice | None, tally: Tally) -> Message:
    """The member's receipt (only they see it): their vote as it now stands."""
    if previous == choice:
        head = f"You already voted *{_word(choice)}*; it counts once."
    elif previous is not None:
        head = f"You changed your vote to *{_word(choice)}* (it was {_word(previous)})."
    else:
        head = f"You voted *{_word(choice)}* on another week for this topic."
    text = f"{head} Votes so far: {tally.words}. You can change it until the recap."
    return bk.message(bk.fallback(text), [bk.section(text)], response_type="ephemeral")


def closed(study_week: int | None) -> Message:
    """A vote after the recap (the button on an old nudge)."""
    which = f"week {study_week}" if study_week else "that week"
    text = f":lock: Voting for {which} has closed: the recap decided it."
    return bk.message(bk.fallback(text), [bk.section(text)], response_type="ephemeral")


def not_asked(study_week: int) -> Message:
    """A vote for a week whose nudge did not ask (the vote was off then, or it is not out)."""
    text = f"The nudge for week {study_week} did not ask for a vote, so this one was not counted."
    return bk.message(text, [bk.section(text)], response_type="ephemeral")


def off() -> Message:
    """A vote while organizers have the vote turned off."""
    text = "The group's pace vote is off right now, so this vote was not counted."
    return bk.message(text, [bk.section(text)], response_type="ephemeral")


def passed_notice(title: str, study_week: int, week_key: str, tally: Tally, when: str) -> Message:
    """The organizers' DM when the vote passes (once a week), with a one-click veto; `when`:
    the recap's time, as render.posts.slack_date writes it."""
    name = fmt.safe(title)
    text = (
        f":ballot_box_with_check: The group voted for another week on *{name}* (week "
        f"{study_week}): {tally.words}. At the recap ({when}) the topic gets one "
        "more week unless an organizer vetoes it."
    )
    blocks = [
        bk.section(text),
        bk.actions(bk.button("Veto", PACE_VETO, week_key, style="danger")),
        bk.context("Votes can still change until the recap; it extends only if it still passes."),
    ]
    return bk.message(bk.fallback(text), blocks)


def veto_answer(result: Veto, title: str | None, study_week: int | None) -> Message:
    """What an organizer's click on Veto did."""
    name = f"*{fmt.safe(title)}*" if title else "the topic"
    which = f"week {study_week}" if study_week else "that week"
    if result.status == "vetoed":
        text = (
            f":no_entry: You vetoed the extra week on {name}: at the recap we move on as planned."
        )
    elif result.status == "already":
        text = f"<@{result.by}> already vetoed the extra week on {name}."
    elif result.status == "closed":
        done = {
            "extended": f"{name} got its extra week; `/studygroup undo` takes it back",
            "vetoed": "it was vetoed",
            "not-passed": "the vote no longer passed, so we move on as planned",
        }[result.outcome or "not-passed"]
        text = f"Voting for {which} has closed: the recap decided it ({done})."
    else:
        text = f"No vote for another week has passed in {which}; there is nothing to veto."
    return bk.message(bk.fallback(text), [bk.section(text)], response_type="ephemeral")


def veto_refused() -> Message:
    """A member who is not an organizer clicked Veto (a forwarded notice)."""
    text = "Only the study group's organizers can veto the group's vote."
    return bk.message(text, [bk.section(text)], response_type="ephemeral")


def recap_line(decision: Decision, title: str) -> list[bk.Block]:
    """The recap's word on the week's vote."""
    name = f"*{fmt.safe(title)}*"
    votes = decision.tally.words
    if decision.outcome == "extended":
        text = (
            f":ballot_box_with_check: The group voted for another week on {name}: "
            f"next week stays on {name} ({votes})."
        )
    elif decision.outcome == "vetoed":
        text = (
            f":no_entry: The group voted for another week on {name} ({votes}), but an organizer "
            "vetoed it: we move on as planned."
        )
    else:
        text = (
            f":ballot_box_with_check: Another week on {name}? {votes}: not enough to extend "
            "it, so we move on as planned."
        )
    return [bk.section(text)]
