"""`studybot backfill`: the channel's history and threads imported as live events would be."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from slack_sdk.http_retry import (
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryState,
)

from bot.cli import backfill
from bot.cli.standin import BOT_ID, BOT_USER
from bot.core import qa_search, questions
from bot.core.clock import ManualClock
from bot.core.ledger import Claim, claim, mark_sent
from bot.core.roadmap_load import load
from bot.slack.client import import_client, web_client
from tests.processes import studybot
from tests.qa_kit import (
    ASKER,
    HELPER,
    OTHER,
    QA_ROADMAP,
    answer_rows,
    question_row,
    say,
)

ROADMAP = load(QA_ROADMAP)
TZ = ROADMAP.schedule.tz
WEEK1 = dt.datetime.combine(ROADMAP.schedule.start, dt.time(12), TZ)


def ts_at(when: dt.datetime, n: int = 0) -> str:
    return f"{int(when.timestamp()) + n}.{n:06d}"


def history(box) -> dict:
    """A channel's past: questions with threads, chatter, a bot post with a thread, a join."""
    ch, slack = box.channel, box.slack
    add = slack.add_message
    q1 = add(ch, ASKER, "What is a vector space?", ts=ts_at(WEEK1, 1))
    a1 = add(ch, HELPER, "A set closed under + and scaling", ts=ts_at(WEEK1, 2), thread_ts=q1["ts"])
    a2 = add(
        ch,
        OTHER,
        "See chapter 1 <!channel>",
        ts=ts_at(WEEK1, 3),
        thread_ts=q1["ts"],
        subtype="thread_broadcast",
        reactions=[{"name": "white_check_mark", "users": [ASKER], "count": 1}],
    )
    chat = add(ch, OTHER, "Loving this group", ts=ts_at(WEEK1, 4))
    add(ch, HELPER, "Me too", ts=ts_at(WEEK1, 5), thread_ts=chat["ts"])
    add(ch, OTHER, "", ts=ts_at(WEEK1, 6), subtype="channel_join")
    week2 = WEEK1 + dt.timedelta(weeks=1)
    post = add(ch, BOT_USER, "Week 2: eigenvectors", ts=ts_at(week2, 0), bot_id=BOT_ID)
    # The posts module sent it: its ledger knows the post's thread.
    sending = claim(box.deps.db, "weekly", ch, week2.date().isoformat(), now=week2)
    assert isinstance(sending, Claim)
    mark_sent(box.deps.db, sending, post["ts"], week2)
    q2 = add(ch, ASKER, "Why do eigenvectors matter?", ts=ts_at(week2, 1), thread_ts=post["ts"])
    add(ch, HELPER, "They diagonalise", ts=ts_at(week2, 2), thread_ts=post["ts"])
    q3 = add(ch, OTHER, "Q: best SVD video", ts=ts_at(week2, 3))
    return {"q1": q1, "a1": a1, "a2": a2, "chat": chat, "post": post, "q2": q2, "q3": q3}


def run(box, days: int = 60, now: dt.datetime | None = None) -> tuple[int, str]:
    err = io.StringIO()
    clock = ManualClock(now or WEEK1 + dt.timedelta(weeks=3))
    code = backfill.command(box.settings, days=days, clock=clock, err=err)
    return code, err.getvalue()


def test_backfill_imports_questions_answers_and_resolutions(qa_box):
    past = history(qa_box)
    qa_box.slack.history_page_size = 2  # every call paginates
    code, err = run(qa_box)
    assert code == 0, err
    db = qa_box.deps.db
    q1 = question_row(qa_box, past["q1"])
    assert q1["source"] == "backfill" and q1["topic_id"] == ROADMAP.topics[0].id
    assert q1["asked_at"] == questions.iso(questions.ts_time(past["q1"]["ts"]))  # when it was asked
    assert [a["ts"] for a in answer_rows(qa_box, q1)] == [past["a1"]["ts"], past["a2"]["ts"]]
    assert (q1["status"], q1["accepted_answer_ts"]) == ("answered", past["a2"]["ts"])
    q2 = question_row(qa_box, past["q2"])
    assert q2["thread_ts"] == past["post"]["ts"] and q2["topic_id"] == ROADMAP.topics[1].id
    assert q2["answer_count"] == 1
    assert question_row(qa_box, past["q3"]) is not None
    assert question_row(qa_box, past["chat"]) is None
    assert db.execute("SELECT count(*) FROM qa_questions").fetchone()[0] == 3
    assert "3 new questions, 3 new answers" in err
    # Paginated: many small pages, each with a cursor after the first.
    assert any(c.get("cursor") for c in qa_box.slack.calls_to("conversations.history"))
    assert any(c.get("cursor") for c in qa_box.slack.calls_to("conversations.replies"))
    # Backfilled history never triggers "asked before" replies.
    assert qa_box.slack.posts() == [] or all(
        "asked before" not in p.get("text", "") for p in qa_box.slack.posts()
    )


def test_backfill_shows_progress_and_is_safe_to_run_again(qa_box):
    history(qa_box)
    code, first = run(qa_box)
    assert code == 0
    assert "▓" in first and "threads" in first and "(100%)" in first
    db = qa_box.deps.db
    counts = [
        db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("qa_questions", "qa_answers")
    ]
    code, second = run(qa_box)
    assert code == 0
    assert "0 new questions, 0 new answers" in second
    again = [
        db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("qa_questions", "qa_answers")
    ]
    assert again == counts


def test_backfill_catches_up_on_edits_and_joins_live_records(qa_box):
    live = say(qa_box, ASKER, "Old wording?")
    qa_box.slack.messages[qa_box.channel][live["ts"]]["text"] = "New wording?"
    code, err = run(qa_box, days=30, now=questions.ts_time(live["ts"]) + dt.timedelta(hours=1))
    assert code == 0, err
    row = question_row(qa_box, live)
    assert row["text"] == "New wording?" and row["source"] == "channel"
    assert [h.question.ts for h in qa_search.search(qa_box.deps.db, "new wording")] == [live["ts"]]


def test_backfill_only_reaches_back_n_days(qa_box):
    past = history(qa_box)
    code, err = run(qa_box, days=3, now=WEEK1 + dt.timedelta(weeks=1, days=1))
    assert code == 0
    assert "(last 3 days)" in err
    assert question_row(qa_box, past["q1"]) is None
    assert question_row(qa_box, past["q3"]) is not None


def test_one_day_is_said_as_one_day(qa_box):
    code, err = run(qa_box, days=1)
    assert code == 0 and "(last 1 day)" in err, err


@pytest.mark.slow
def test_backfill_waits_out_rate_limits(qa_box):
    past = history(qa_box)
    qa_box.slack.fail("conversations.history", status=429, times=1, retry_after=1)
    qa_box.slack.fail("conversations.replies", status=429, times=1, retry_after=1)
    code, err = run(qa_box)
    assert code == 0, err
    statuses = [c.status for c in qa_box.slack.calls if c.method == "conversations.history"]
    assert statuses[0] == 429 and 200 in statuses
    assert question_row(qa_box, past["q1"])["answer_count"] == 2


@pytest.mark.slow  # two backoffs of a second or so
def test_backfill_tries_again_after_slack_server_errors(qa_box):
    past = history(qa_box)
    qa_box.slack.fail("conversations.history", status=500, times=1)
    qa_box.slack.fail("conversations.replies", status=503, times=1)
    code, err = run(qa_box)
    assert code == 0, err
    for method, status in (("conversations.history", 500), ("conversations.replies", 503)):
        statuses = [c.status for c in qa_box.slack.calls if c.method == method]
        assert statuses[0] == status and 200 in statuses
    assert question_row(qa_box, past["q1"])["answer_count"] == 2
    assert "3 new questions, 3 new answers" in err


def test_a_thread_deleted_during_the_import_is_skipped_with_a_warning(qa_box, caplog):
    past = history(qa_box)
    # The first thread read (q1's) is gone by the time its replies are asked for.
    qa_box.slack.fail("conversations.replies", status=200, error="thread_not_found", times=1)
    code, err = run(qa_box)
    assert code == 0, err
    assert question_row(qa_box, past["q1"]) is None
    assert question_row(qa_box, past["q2"])["answer_count"] == 1  # the rest is imported
    assert question_row(qa_box, past["q3"]) is not None
    assert any(
        past["q1"]["ts"] in r.getMessage() and "deleted" in r.getMessage() for r in caplog.records
    )


def test_the_import_waits_out_a_retry_after_the_bot_would_hand_back(qa_box):
    """The bot's own client hands a 429 over 30 s back (it would hold a worker thread); the
    import's waits up to a quarter of an hour. (Waited for real in the test above.)"""
    url = qa_box.settings.api_url + "conversations.history"
    request = HttpRequest(method="POST", url=url, headers={})

    def waits(client, seconds: str) -> bool:
        response = HttpResponse(status_code=429, headers={"Retry-After": [seconds]})
        [handler] = [h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)]
        return handler.can_retry(state=RetryState(), request=request, response=response)

    bot, backfilling = web_client(qa_box.settings), import_client(qa_box.settings)
    assert [waits(bot, s) for s in ("30", "31", "120", "3600")] == [True, False, False, False]
    assert [waits(backfilling, s) for s in ("30", "31", "120", "3600")] == [True, True, True, False]


def test_backfill_reports_slack_refusals(qa_box):
    qa_box.slack.fail("conversations.history", status=200, error="not_in_channel")
    code, err = run(qa_box)
    assert code == 1
    assert "not_in_channel" in err


@pytest.mark.parametrize("days", ["0", "36501", "1000000", "99999999999999999999"])
def test_days_out_of_range_is_a_usage_error_in_one_line(tmp_path, days):
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached
        "STUDYBOT_CHANNEL": "C0123ABCD",
        "STUDYBOT_DB": str(tmp_path / "bot.db"),
        "STUDYBOT_ROADMAP": str(QA_ROADMAP),
    }
    result = studybot("backfill", "--days", days, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "--days must be between 1 and 36500" in result.stderr


@pytest.mark.slow
def test_studybot_backfill_command(qa_box, tmp_path):
    say(qa_box, OTHER, "Not yet in the archive?")  # delivered live, then…
    ts = qa_box.slack.next_ts()
    qa_box.slack.add_message(qa_box.channel, ASKER, "Imported from history?", ts=ts)
    settings = qa_box.settings
    env = {
        "SLACK_BOT_TOKEN": settings.bot_token,
        "SLACK_API_URL": settings.api_url,
        "STUDYBOT_CHANNEL": settings.channel,
        "STUDYBOT_DB": settings.db_path,
        "STUDYBOT_ROADMAP": settings.roadmap_path,
    }
    result = studybot("backfill", "--days", "2", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "threads" in result.stderr and "1 new question," in result.stderr
    assert question_row(qa_box, {"ts": ts})["user"] == ASKER


class Terminal(io.StringIO):
    """Standard error as a terminal would be."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_progress_is_a_bar_with_rate_and_eta(qa_box):
    history(qa_box)
    err = Terminal()
    clock = ManualClock(WEEK1 + dt.timedelta(weeks=3))
    assert backfill.command(qa_box.settings, days=60, clock=clock, err=err) == 0
    out = err.getvalue()
    assert "\r" in out  # redrawn in place
    assert "Threads: 100%" in out and "thread/s" in out  # the rate
    assert "<00:00" in out  # elapsed<remaining: the ETA
    assert "Messages:" in out and "message/s" in out  # the history, counted as it is read


def test_elsewhere_the_progress_is_a_few_plain_lines(qa_box):
    history(qa_box)
    qa_box.slack.history_page_size = 2
    code, err = run(qa_box)
    assert code == 0
    assert "\r" not in err
    bars = [line for line in err.splitlines() if line.endswith(" threads")]
    assert 1 <= len(bars) <= 11 and bars[-1].startswith("▓" * 20)
    assert "messages read" in err


@pytest.mark.slow
def test_studybot_backfill_on_a_terminal_draws_a_bar(qa_box, tmp_path):
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    history(qa_box)
    settings = qa_box.settings
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))},
        "SLACK_BOT_TOKEN": settings.bot_token,
        "SLACK_API_URL": settings.api_url,
        "STUDYBOT_CHANNEL": settings.channel,
        "STUDYBOT_DB": settings.db_path,
        "STUDYBOT_ROADMAP": settings.roadmap_path,
        "PYTHONIOENCODING": "utf-8",
    }
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "backfill", "--days", "3650"],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=slave,
            timeout=60,
        )
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end is closed: all read
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    text = out.decode("utf-8", "replace")
    assert done.returncode == 0, text
    assert "Threads: 100%" in text and "thread/s" in text and "new questions" in text
