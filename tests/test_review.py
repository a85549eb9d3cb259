"""/review: private spaced review with FSRS, through the real app over signed HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from bot.cli.sandbox import Sandbox
from bot.core import review
from bot.core.clock import ManualClock
from bot.slack.render.ids import REVIEW_FORGET, REVIEW_GRADE, REVIEW_KEEP, REVIEW_SHOW
from tests.blockkit import all_text, assert_valid_view
from tests.commands_kit import MEMBER, answer, buttons, responses
from tests.polling import wait_until

TOPIC = "quick-start"


def _text(payload: dict[str, Any]) -> str:
    out = [payload.get("text", "")]
    for block in payload.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            out.append(text.get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") == "mrkdwn":
                out.append(element.get("text", ""))
    return "\n".join(out)


def _tick(box: Sandbox, topic: str = TOPIC) -> None:
    answer(box.client.command("/progress", f"done {topic}"))


def _due(box: Sandbox) -> list[review.ReviewCard]:
    cal, week = box.deps.this_week()
    topics = box.deps.roadmap.topics
    return review.member_cards(box.deps.db, MEMBER, topics, cal, week, box.deps.now())[1]


def test_with_nothing_ticked_review_says_how_to_get_cards(box: Sandbox):
    body = answer(box.client.command("/review"))
    assert "/progress done" in _text(body)
    assert "/review all" in _text(body)


def test_a_card_its_answer_and_good_schedules_it_later(box: Sandbox, clock: ManualClock):
    _tick(box)
    topic = box.deps.roadmap.topic(TOPIC)
    assert topic is not None
    body = answer(box.client.command("/review"))
    assert topic.recall[0] in _text(body)
    key = buttons(body)[REVIEW_SHOW]
    assert key == f"{TOPIC}:0"

    box.client.action(REVIEW_SHOW, key)
    back = responses(box, 1)[-1]
    assert topic.answers[0] is not None
    assert topic.answers[0].split(";")[0] in _text(back)
    assert set(buttons(back)) == {REVIEW_GRADE + g for g in ("again", "hard", "good", "easy")}

    box.client.action(REVIEW_GRADE + "good", key)
    after = responses(box, 2)[-1]
    # The next card is shown, with what the grade did.
    assert topic.recall[1] in _text(after)
    assert "Good: that card is back in" in _text(after)
    assert f"{TOPIC}:0" not in {c.key for c in _due(box)}
    # fsrs: a new card graded Good comes back within the learning steps, then later still.
    first = review.next_due(box.deps.db, MEMBER)
    assert first is not None and first > clock.now()
    first_interval = first - clock.now()
    clock.set(first + dt.timedelta(seconds=1))
    assert f"{TOPIC}:0" in {c.key for c in _due(box)}
    box.client.action(REVIEW_GRADE + "good", key)
    wait_until(lambda: len(box.slack.calls_to("response_url")) >= 3)
    second_interval = _card_due(box, TOPIC, 0) - clock.now()
    assert second_interval > first_interval
    assert second_interval >= dt.timedelta(days=1)


def _card_due(box: Sandbox, topic: str, index: int) -> dt.datetime:
    row = box.deps.db.execute(
        "SELECT due FROM review_cards WHERE user = ? AND topic_id = ? AND idx = ?",
        (MEMBER, topic, index),
    ).fetchone()
    return dt.datetime.fromisoformat(row[0])


def test_again_keeps_the_card_due_soon_and_resets_a_long_interval(box: Sandbox, clock: ManualClock):
    _tick(box)
    key = f"{TOPIC}:0"
    box.client.action(REVIEW_GRADE + "again", key)
    wait_until(lambda: len(box.slack.calls_to("response_url")) >= 1)
    assert _card_due(box, TOPIC, 0) - clock.now() <= dt.timedelta(minutes=10)
    # Grown with Easy, then forgotten: Again brings it back within minutes.
    box.client.action(REVIEW_GRADE + "easy", key)
    wait_until(lambda: len(box.slack.calls_to("response_url")) >= 2)
    long = _card_due(box, TOPIC, 0) - clock.now()
    assert long >= dt.timedelta(days=1)
    clock.set(_card_due(box, TOPIC, 0))
    box.client.action(REVIEW_GRADE + "again", key)
    wait_until(lambda: len(box.slack.calls_to("response_url")) >= 3)
    assert _card_due(box, TOPIC, 0) - clock.now() <= dt.timedelta(minutes=10)


def test_review_all_takes_the_topics_the_group_covered(box: Sandbox):
    # Week 3 of the roadmap: the topics of weeks 1-2 are covered, nothing is ticked.
    body = answer(box.client.command("/review", "all"))
    assert buttons(body).get(REVIEW_SHOW)
    assert review.settings(box.deps.db, MEMBER).scope == "group"
    body = answer(box.client.command("/review", "mine"))
    assert REVIEW_SHOW not in buttons(body)


def test_export_dms_a_csv_and_forget_asks_first(box: Sandbox):
    _tick(box)
    box.client.action(REVIEW_GRADE + "good", f"{TOPIC}:0")
    wait_until(lambda: review.next_due(box.deps.db, MEMBER) is not None)

    answer(box.client.command("/review", "export"))
    done = box.slack.wait_for("files.completeUploadExternal")
    files = [f for f in box.slack.files.values() if f["name"] == "review.csv"]
    assert len(files) == 1 and files[0]["channels"] == ["D" + MEMBER[1:]]
    rows = list(csv.reader(io.StringIO(files[0]["data"].decode())))
    assert rows[0] == list(review.EXPORT_COLUMNS)
    assert [r[0] for r in rows[1:]] == ["card", "review"]
    assert done

    confirm = answer(box.client.command("/review", "forget"))
    assert set(buttons(confirm)) == {REVIEW_FORGET, REVIEW_KEEP}
    box.client.action(REVIEW_KEEP)
    wait_until(lambda: len(box.slack.calls_to("response_url")) >= 2)
    assert review.next_due(box.deps.db, MEMBER) is not None
    box.client.action(REVIEW_FORGET)
    wait_until(lambda: len(box.slack.calls_to("response_url")) >= 3)
    assert review.next_due(box.deps.db, MEMBER) is None
    assert "nothing to export" in _text(answer(box.client.command("/review", "export")))


def test_help_and_a_bad_word_show_the_usage_card(box: Sandbox):
    assert "/review on" in _text(answer(box.client.command("/review", "help")))
    assert "I don't know" in _text(answer(box.client.command("/review", "sideways")))
    assert "HH:MM" in _text(answer(box.client.command("/review", "on 25:99")))


def _home_text(box: Sandbox) -> str:
    before = len(box.slack.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": MEMBER, "channel": "D0HOME", "tab": "home"}
    assert box.client.event({**event, "event_ts": "1.1"}).status == 200
    call = box.slack.wait_for("views.publish", before + 1)[-1]
    view = json.loads(call["view"]) if isinstance(call["view"], str) else call["view"]
    return all_text(assert_valid_view(view))


def test_home_shows_the_cards_due_and_the_streak(box: Sandbox, clock: ManualClock):
    box.slack.add_user(MEMBER)
    assert "due for review" not in _home_text(box)  # no cards: no line
    _tick(box)
    assert "3 cards due for review" in _home_text(box)
    box.client.action(REVIEW_GRADE + "easy", f"{TOPIC}:0")
    wait_until(lambda: review.next_due(box.deps.db, MEMBER) is not None)
    text = _home_text(box)
    assert "2 cards due for review" in text and "streak: 1 day in a row" in text
    clock.set(clock.now() + dt.timedelta(days=1))
    box.client.action(REVIEW_GRADE + "good", f"{TOPIC}:1")
    wait_until(lambda: len(box.slack.calls_to("response_url")) >= 2)
    assert "streak: 2 days in a row" in _home_text(box)
    clock.set(clock.now() + dt.timedelta(days=2))  # a day missed: the streak starts over
    assert "streak" not in _home_text(box)
