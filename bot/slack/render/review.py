"""/review's messages: a card's front and back, the grade buttons, the daily DM, export, forget."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core.format import plural
from bot.core.review import RATINGS, ReviewCard
from bot.slack.render import blocks as bk
from bot.slack.render.ids import (
    REVIEW_FORGET,
    REVIEW_GRADE,
    REVIEW_KEEP,
    REVIEW_SHOW,
    REVIEW_START,
)
from bot.slack.render.phrases import Message

STYLES = {"again": "danger", "good": "primary"}


def _ephemeral(text: str, blocks: list[dict[str, Any]] | None = None) -> Message:
    return bk.message(text, blocks or [bk.section(text)], response_type="ephemeral")


def interval(delta: dt.timedelta) -> str:
    """`10 minutes`, `5 hours`, `3 days`: how long until a card is due again."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 90:
        return plural(minutes, "minute")
    hours = round(minutes / 60)
    if hours < 36:
        return plural(hours, "hour")
    return plural(round(hours / 24), "day")


def _front(card: ReviewCard) -> str:
    where = f"*{bk.escape(card.topic.title)}*" + (" · new card" if card.new else "")
    return f"{where}\n:thinking_face: {bk.escape(card.question)}"


def card_front(card: ReviewCard, due: int, note: str | None = None) -> Message:
    """A card's question with "Show answer"; `due` cards are due counting this one."""
    blocks = [bk.section(_front(card))]
    blocks.append(bk.actions(bk.button("Show answer", REVIEW_SHOW, card.key, style="primary")))
    footer = f"{plural(due, 'card')} due" + (f" · {note}" if note else "")
    blocks.append(bk.context(bk.escape(footer)))
    return _ephemeral(f"Review: {card.question}", blocks)


def card_back(card: ReviewCard, due: int) -> Message:
    """The card with its model answer, and the four grades."""
    answer = bk.escape(card.answer) if card.answer else "_(the roadmap gives no model answer)_"
    blocks = [
        bk.section(_front(card)),
        bk.section(f"*Answer*\n{answer}"),
        bk.actions(
            *(
                bk.button(name.title(), REVIEW_GRADE + name, card.key, style=STYLES.get(name))
                for name in RATINGS
            )
        ),
        bk.context(f"How well did you remember it? {plural(due, 'card')} due"),
    ]
    return _ephemeral(f"Answer: {card.answer or 'none given'}", blocks)


def nothing_to_review(group_covered: bool) -> Message:
    """No cards at all: how to get some."""
    text = (
        "You have no review cards yet. Tick the topics you have studied with "
        "`/progress done <topic>`, and their recall questions become your cards"
    )
    text += "." if group_covered else "; or `/review all` to review every topic the group covered."
    return _ephemeral(text)


def all_done(next_due: dt.datetime | None, now: dt.datetime, note: str | None = None) -> Message:
    """Nothing due now: when the next card is."""
    text = ":white_check_mark: Nothing to review right now."
    if next_due is not None:
        text += f" Your next card is due in {interval(next_due - now)}."
    if note:
        text = f"{note}\n{text}"
    return _ephemeral(text)


def graded(name: str, due: dt.datetime, now: dt.datetime) -> str:
    """The note on the next card: what the last grade did."""
    return f"{name.title()}: that card is back in {interval(due - now)}"


def missing_card() -> Message:
    return _ephemeral("That card is no longer on the roadmap. `/review` shows the next one.")


def reminder_on(at: dt.time, tz: str) -> Message:
    text = (
        f":bell: I'll DM you at {at:%H:%M} ({bk.escape(tz)}) on days you have cards due. "
        "`/review off` stops it."
    )
    return _ephemeral(text)


def reminder_off() -> Message:
    return _ephemeral(":no_bell: No more review DMs. `/review on [HH:MM]` starts them again.")


def scope_set(group: bool) -> str:
    if group:
        return "Reviewing every topic the group has covered (`/review mine`: only your ticks)."
    return "Reviewing only the topics you ticked (`/review all`: all the group covered)."


def reminder_dm(due: int) -> Message:
    """The daily DM: how many cards are due, and a button to start."""
    text = f":brain: {plural(due, 'card')} due for review today."
    blocks = [
        bk.section(text),
        bk.actions(bk.button("Start review", REVIEW_START, style="primary")),
        bk.context("`/review off` stops these reminders."),
    ]
    return bk.message(text, blocks)


def exported(empty: bool) -> Message:
    if empty:
        return _ephemeral("You have no review data yet: nothing to export.")
    return _ephemeral(":outbox_tray: I've sent your review data to you as a CSV file in a DM.")


def export_comment() -> str:
    return "Your review data: one row per card (its FSRS state) and one per grade you gave."


def forget_confirm() -> Message:
    text = "Delete all your review data (cards, grades, reminder)? This cannot be undone."
    blocks = [
        bk.section(f":warning: {text}"),
        bk.actions(
            bk.button("Delete my review data", REVIEW_FORGET, style="danger"),
            bk.button("Keep it", REVIEW_KEEP),
        ),
    ]
    return _ephemeral(text, blocks)


def forgotten(rows: int) -> Message:
    if not rows:
        return _ephemeral("You had no review data: nothing to delete.")
    return _ephemeral(":wastebasket: Your review data is deleted.")


def kept() -> Message:
    return _ephemeral("Kept: nothing was deleted.")
