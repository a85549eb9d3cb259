"""The scheduler: catch-up after downtime, roadmap edits, organizer changes, the real BackgroundScheduler."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import sqlite_utils
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.cli.sandbox import Sandbox
from bot.core import calendar, ledger, questions, search_index
from bot.core import db as dbmod
from bot.core.calendar import Change
from bot.core.clock import ManualClock, SystemClock
from bot.core.roadmap_load import load
from bot.slack import scheduler
from bot.slack.manual_scheduler import ManualScheduler
from tests.conftest import FIXTURES
from tests.polling import wait_until
from tests.posts_kit import LA, ROADMAP, TZ, at, due, sent, week
from tests.processes import free_port


def _kinds(box: Sandbox) -> list[tuple[str, str]]:
    return [
        (c["metadata"]["event_payload"]["kind"], c["metadata"]["event_payload"]["week"])
        for c in box.slack.posts(box.channel)
        if c.get("metadata")
    ]


def test_after_downtime_only_the_current_weeks_missed_posts_go_out(tmp_path: Path):
    clock = ManualClock(at(5, 3, 10))  # Thursday of week 5: weeks 1-4 and Mon/Wed were missed
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        manual = ManualScheduler(box.deps, box.app.client)
        manual.run_until(clock.now())  # start-up
        # The week's prompt still has days to run; the check-in right behind it would be noise.
        assert _kinds(box) == [("weekly", week(5).key)]
        manual.run_until(at(5, 4, 17))
        assert _kinds(box)[-1] == ("recap", week(5).key)
        assert len(_kinds(box)) == 2


def test_back_after_the_recap_time_the_missed_nudge_is_dropped(tmp_path: Path):
    clock = ManualClock(at(5, 0, 10))  # Monday of week 5: the weekly post goes out
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        ManualScheduler(box.deps, box.app.client).run_until(clock.now())
        clock.set(at(5, 5, 10))  # down from then until Saturday
        ManualScheduler(box.deps, box.app.client).run_until(clock.now())
        assert _kinds(box) == [("weekly", week(5).key), ("recap", week(5).key)]


def test_a_first_start_after_the_weeks_recap_time_posts_nothing_stale(tmp_path: Path):
    """The issue: started on a Saturday, the bot posted the week's prompt and an empty recap
    at once. That week is over: its first post is next week's."""
    clock = ManualClock(at(5, 5, 10))  # Saturday of week 5, never run before
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        manual = ManualScheduler(box.deps, box.app.client)
        manual.run_until(clock.now())
        assert _kinds(box) == []
        manual.run_until(at(6, 0, 10))
        assert _kinds(box) == [("weekly", week(6).key)]


def test_a_first_start_mid_week_sends_the_prompt_and_the_recap_later(tmp_path: Path):
    clock = ManualClock(at(5, 2, 13))  # Wednesday of week 5 after the nudge's noon
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        manual = ManualScheduler(box.deps, box.app.client)
        manual.run_until(clock.now())
        assert _kinds(box) == [("weekly", week(5).key)]
        manual.run_until(at(5, 4, 17))
        assert _kinds(box) == [("weekly", week(5).key), ("recap", week(5).key)]


def test_back_after_the_nudge_time_the_week_that_had_its_prompt_gets_the_nudge(tmp_path: Path):
    clock = ManualClock(at(5, 0, 10))
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        ManualScheduler(box.deps, box.app.client).run_until(clock.now())
        clock.set(at(5, 3, 10))  # down from Monday until Thursday
        ManualScheduler(box.deps, box.app.client).run_until(clock.now())
        assert _kinds(box) == [("weekly", week(5).key), ("nudge", week(5).key)]


def test_upcoming_lists_the_next_post_of_each_kind_skipping_weeks_without_a_topic(tmp_path):
    clock = ManualClock(at(3, 4, 17))  # after week 3's recap
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        calendar.record_change(box.deps.db, Change("skip", week(4).start))
        manual = ManualScheduler(box.deps, box.app.client)
        assert manual.upcoming(clock.now()) == [
            ("weekly", due("weekly", 5)),
            ("nudge", due("nudge", 5)),
            ("recap", due("recap", 5)),
        ]


def test_an_edited_roadmap_moves_the_posts(tmp_path: Path):
    path = tmp_path / "roadmap.yaml"
    original = LA.read_text()
    path.write_text(original)
    clock = ManualClock(at(1, 0, 8))
    with Sandbox(roadmap_path=path, db_path=tmp_path / "s.db", clock=clock) as box:
        manual = ManualScheduler(box.deps, box.app.client)
        manual.run_until(at(2, 6, 12))
        edited = original.replace(
            'weekly: {weekday: monday, time: "09:00"}', 'weekly: {weekday: tuesday, time: "10:30"}'
        ).replace('  nudge: {weekday: wednesday, time: "12:00"}\n', "")
        assert edited != original
        path.write_text(edited)
        manual.run_until(at(4, 6, 12))

        rows = {
            (r["kind"], r["week"]): dt.datetime.fromisoformat(r["sent_at"]).astimezone(TZ)
            for r in box.deps.db.query("SELECT kind, week, sent_at FROM posts_ledger")
        }
        assert rows[("weekly", week(2).key)] == at(2, 0, 9)
        assert rows[("weekly", week(3).key)] == at(3, 1, 10, 30)
        assert rows[("weekly", week(4).key)] == at(4, 1, 10, 30)
        assert ("nudge", week(2).key) in rows
        assert ("nudge", week(3).key) not in rows and ("nudge", week(4).key) not in rows
        assert manual.scheduler.get_job("post-nudge") is None
        assert manual.scheduler.get_job("post-weekly") is not None


def test_an_edit_that_makes_this_weeks_post_due_sends_it_now(tmp_path: Path):
    path = tmp_path / "roadmap.yaml"
    original = LA.read_text()
    path.write_text(original)
    clock = ManualClock(at(2, 0, 8, 30))
    with Sandbox(roadmap_path=path, db_path=tmp_path / "s.db", clock=clock) as box:
        manual = ManualScheduler(box.deps, box.app.client)
        manual.run_until(at(2, 0, 8, 40))
        assert sent(box, "weekly", 2) == []
        path.write_text(original.replace('time: "09:00"', 'time: "08:00"'))
        manual.run_until(at(2, 0, 8, 45))
        assert len(sent(box, "weekly", 2)) == 1


def test_organizer_changes_apply_to_the_next_posts(tmp_path: Path):
    clock = ManualClock(at(1, 0, 8))
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        manual = ManualScheduler(box.deps, box.app.client)
        manual.run_until(at(2, 5, 12))  # Saturday of week 2
        db = box.deps.db
        first_topic = week(1).topic
        calendar.record_change(db, Change("extend", week(2).start, first_topic.id))
        calendar.record_change(db, Change("skip", week(3).start))
        calendar.record_change(db, Change("pause", week(6).start))
        calendar.record_change(db, Change("resume", week(8).start))
        manual.run_until(at(9, 6, 12))

        cal = box.deps.calendar()
        expected = [
            (kind, w.key)
            for w in cal.weeks[:9]
            if w.kind == "topic"
            for kind in ("weekly", "nudge", "recap")
        ]
        assert _kinds(box) == expected
        assert [w.kind for w in cal.weeks[:9]] == [
            "topic", "topic", "skip", "topic", "topic", "paused", "paused", "topic", "topic",
        ]  # fmt: skip
        # The first topic's fifth week lands after the skip and the pause: calendar week 8.
        [fifth] = sent(box, "weekly", 8)
        assert fifth["blocks"][0]["text"]["text"].endswith(first_topic.title)
        assert "part 5 of 5" in str(fifth["blocks"][1])


def test_a_manual_job_runs_only_when_the_clock_gets_there_and_a_backlog_runs_once(tmp_path):
    clock = ManualClock(at(1, 0, 8))
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        manual = ManualScheduler(box.deps, box.app.client)
        runs: list[dt.datetime] = []
        start = clock.now() - dt.timedelta(minutes=5)
        manual.scheduler.add_job(
            lambda: runs.append(clock.now()),
            IntervalTrigger(minutes=1, start_date=start, timezone=dt.UTC),
            id="probe",
            next_run_time=start,
            **scheduler.JOB_DEFAULTS,
        )
        assert runs == []  # APScheduler holds the jobs but runs none of them itself
        manual.run_until(clock.now())
        assert runs == [at(1, 0, 8)]  # six fire times due: one run (coalesce)
        assert manual.scheduler.get_job("probe").next_run_time == at(1, 0, 8, 1)
        manual.run_until(at(1, 0, 8, 3))
        assert runs == [at(1, 0, 8, m) for m in range(4)]


def test_a_failing_manual_job_is_logged_and_the_clock_goes_on(tmp_path, caplog):
    clock = ManualClock(at(1, 0, 8))
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        manual = ManualScheduler(box.deps, box.app.client)
        manual.scheduler.add_job(
            lambda: 1 / 0,
            DateTrigger(run_date=at(1, 0, 8, 30), timezone=dt.UTC),
            id="broken",
            next_run_time=at(1, 0, 8, 30),
        )
        manual.run_until(at(1, 0, 9, 1))
        assert "'broken' raised an exception" in caplog.text
        assert manual.scheduler.get_job("broken") is None
        assert clock.now() == at(1, 0, 9, 1) and len(sent(box, "weekly", 1)) == 1


def test_a_post_due_while_another_process_holds_the_database_is_retried(tmp_path, caplog):
    """The weekly post comes due while another process holds the database's write lock
    longer than the busy timeout: the tick cannot claim it. It used to raise out of the job
    (a traceback) with no retry, so the week's prompt waited for a restart; now one line
    says why and the post goes out at the retry, once."""
    clock = ManualClock(at(2, 0, 8))
    original = dbmod.BUSY_TIMEOUT_MS
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=clock) as box:
        manual = ManualScheduler(box.deps, box.app.client)
        manual.run_until(clock.now())
        before = len(_kinds(box))
        other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
        dbmod.BUSY_TIMEOUT_MS = 300  # the other process holds it longer than SQLite waits
        try:
            other.execute("BEGIN IMMEDIATE")
            with caplog.at_level("WARNING"):
                manual.run_until(due("weekly", 2))
        finally:
            dbmod.BUSY_TIMEOUT_MS = original
            other.execute("ROLLBACK")
            other.close()
        assert len(_kinds(box)) == before
        said = [r for r in caplog.records if "retrying at" in r.getMessage()]
        assert said and "locked" in said[0].getMessage() and said[0].exc_info is None
        manual.run_until(due("weekly", 2) + scheduler.RETRY_DELAYS[0])
        assert _kinds(box)[before:] == [("weekly", week(2).key)]


def test_start_runs_a_background_scheduler_with_the_post_jobs(tmp_path: Path):
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=SystemClock()) as box:
        running = scheduler.start(box.deps, box.app.client)
        try:
            assert running.running
            ids = {job.id for job in running.get_jobs()}
            assert {"post-weekly", "post-nudge", "post-recap", "roadmap-sync"} <= ids
            weekly = running.get_job("post-weekly")
            fire = weekly.next_run_time.astimezone(TZ)
            assert (fire.weekday(), fire.time()) == (0, dt.time(9, 0))
            assert weekly.misfire_grace_time is None and weekly.coalesce
            # The search indexes merged every night, at 03:30 the group's time.
            compact = running.get_job("search-compact").next_run_time.astimezone(TZ)
            assert compact.time() == dt.time(3, 30)
            assert compact - dt.datetime.now(TZ) <= dt.timedelta(days=1)
        finally:
            running.shutdown(wait=False)


def _ask(db: sqlite_utils.Database, ts: str, text: str) -> None:
    """A question archived in a transaction of its own, as a message arriving is."""
    questions.add_question(db, channel="C1", ts=ts, user="U1", text=text, asked_at=at(1, 0, 9))


def test_the_nightly_merge_leaves_one_segment_and_stops_with_the_bot(tmp_path: Path):
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=SystemClock()) as box:
        db = box.deps.db
        for n in range(30):  # a transaction each, as messages arrive: many segments
            _ask(db, f"1.{n}", f"Rank {n}?")
        assert search_index.segments(db, "qa_questions_fts") > 1
        jobs = scheduler.PostJobs(box.deps, box.app.client, BackgroundScheduler())
        assert jobs.compact_tick() > len(search_index.FTS_TABLES)
        assert search_index.segments(db, "qa_questions_fts") == 1
        _ask(db, "2.0", "Rank again?")
        jobs.stop(timeout=1)
        assert jobs.compact_tick() == 0  # stopping: no step taken
        assert search_index.segments(db, "qa_questions_fts") == 2


def test_the_nightly_merge_ends_while_messages_keep_arriving(tmp_path: Path):
    """A message between every two steps (they pause 50 ms) leaves a new segment each time,
    so "nothing left to merge" never comes: the job stops after its budget of steps (twice
    the index's pages) instead of chasing the messages all night, and loses none of them."""
    with Sandbox(roadmap_path=LA, db_path=tmp_path / "s.db", clock=SystemClock()) as box:
        for n in range(30):
            _ask(box.deps.db, f"1.{n}", f"Rank {n}?")
        jobs = scheduler.PostJobs(box.deps, box.app.client, BackgroundScheduler())
        stop = threading.Event()
        asked: list[int] = []

        def archive() -> None:  # a message every 30 ms, until the job is over
            while not stop.is_set():
                n = 1000 + len(asked)
                _ask(box.deps.db, f"2.{n}", f"Rank {n}?")
                asked.append(n)
                stop.wait(0.03)

        steps: list[int] = []
        writer = threading.Thread(target=archive)
        job = threading.Thread(target=lambda: steps.append(jobs.compact_tick()), daemon=True)
        writer.start()
        try:
            wait_until(lambda: len(asked) >= 5, timeout=10, interval=0.01)
            job.start()
            job.join(timeout=20)
            assert not job.is_alive(), "the merge chased the messages for 20 s"
        finally:
            jobs.stop(timeout=1)  # a job still running takes no further step
            stop.set()
            writer.join()
        budget = sum(search_index.step_budget(box.deps.db, t) for t in search_index.FTS_TABLES)
        assert steps and steps[0] <= budget
        count = box.deps.db.execute("SELECT count(*) FROM qa_questions").fetchone()[0]
        assert count == 30 + len(asked)


def _weekly_only(roadmap: str) -> str:
    """The roadmap without nudge and recap: its weekly post is due on any day of the week
    (with a recap, a weekly post is stale once the recap's time has passed)."""
    out = roadmap.replace('  nudge: {weekday: wednesday, time: "12:00"}\n', "")
    out = out.replace('  recap: {weekday: friday, time: "16:00"}\n', "")
    assert "nudge:" not in out and "recap:" not in out
    return out


def test_the_real_scheduler_catches_up_on_start(tmp_path: Path):
    """A roadmap that started this week with its posts due already: start() sends them."""
    today = dt.datetime.now(TZ).date()
    monday = today - dt.timedelta(days=today.weekday())
    path = tmp_path / "roadmap.yaml"
    text = LA.read_text().replace("start: 2027-01-04", f"start: {monday.isoformat()}")
    path.write_text(
        _weekly_only(text).replace(
            'weekly: {weekday: monday, time: "09:00"}', 'weekly: {weekday: monday, time: "00:00"}'
        )
    )
    assert load(path).schedule.start == monday
    with Sandbox(roadmap_path=path, db_path=tmp_path / "s.db", clock=SystemClock()) as box:
        running = scheduler.start(box.deps, box.app.client)
        try:
            call = box.slack.wait_for("chat.postMessage", 1)[0]
            assert call["metadata"]["event_payload"] == {
                "kind": "weekly",
                "week": monday.isoformat(),
                "attempt": 0,
            }
        finally:
            running.shutdown(wait=True)  # let the catch-up finish before the database closes
        assert ledger.sent_row(box.deps.db, "weekly", monday.isoformat()) is not None


def test_fixture_timezones_are_the_three_required():
    zones = {
        load(FIXTURES / f"posts_{p}.yaml").schedule.timezone
        for p in ("los_angeles", "berlin", "sydney")
    }
    assert zones == {"America/Los_Angeles", "Europe/Berlin", "Australia/Sydney"}
    assert ROADMAP.schedule.timezone == "America/Los_Angeles"


def test_stopping_the_bot_lets_the_post_being_sent_finish(tmp_path: Path):
    today = dt.datetime.now(TZ).date()
    monday = today - dt.timedelta(days=today.weekday())
    path = tmp_path / "roadmap.yaml"
    text = LA.read_text().replace("start: 2027-01-04", f"start: {monday.isoformat()}")
    path.write_text(_weekly_only(text).replace('time: "09:00"', 'time: "00:00"'))
    with Sandbox(roadmap_path=path, db_path=tmp_path / "s.db", clock=SystemClock()) as box:
        box.slack.fail("chat.postMessage", 200, times=1, delay=1.0)
        running = scheduler.start(box.deps, box.app.client)
        try:  # the weekly post is at Slack, which is slow
            wait_until(lambda: not box.slack.faults[0].times, timeout=15, interval=0.01)
        finally:
            stopped = running.stop()  # as `studybot run` stops it
        assert stopped, "stop() said a job was still running"
        # Stopped: the post in flight finished and was recorded; nothing further was started.
        assert [
            (r["kind"], r["status"])
            for r in box.deps.db.query("SELECT kind, status FROM posts_ledger")
        ] == [("weekly", "sent")]
        assert len(box.slack.posts()) == 1


def test_without_apscheduler_the_bot_stops_with_one_line(tmp_path: Path):
    """No silent degrade: a bot that cannot schedule posts must not run as if it could."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET="test-signing-secret",
        SLACK_API_URL="http://127.0.0.1:9/api/",
        STUDYBOT_CHANNEL="C0STUDY01",
        STUDYBOT_DB=str(tmp_path / "s.db"),
        STUDYBOT_ROADMAP=str(LA),
        PORT=str(free_port()),
    )
    code = (
        "import sys; sys.modules['apscheduler'] = None  # as if it were not installed\n"
        "from bot.cli.main import main; sys.exit(main(['run']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "studybot: the apscheduler package is missing; "
        "reinstall studybot with its dependencies (pip install .)"
    )
