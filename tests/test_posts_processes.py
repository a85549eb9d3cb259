"""Exactly once across processes: `studybot post` runs on one database against one Slack stand-in."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli.standin import Fault, SlackStandIn
from bot.core.db import connect
from bot.core.post_plan import EVENT_TYPE
from bot.slack.delivery import POST_TIMEOUT
from tests.conftest import ROOT
from tests.polling import wait_until
from tests.posts_kit import LA, TZ
from tests.processes import free_port, start_bot, stop_bot

pytestmark = pytest.mark.slow  # `studybot post` processes, killed and restarted

CHANNEL = "C0STUDY01"


@pytest.fixture
def env(tmp_path: Path, slack: SlackStandIn) -> dict[str, str]:
    """The environment of a bot process: the stand-in, a database file, a roadmap whose first
    week is this week (the processes use the real clock)."""
    today = dt.datetime.now(TZ).date()
    monday = today - dt.timedelta(days=today.weekday())
    roadmap = tmp_path / "roadmap.yaml"
    roadmap.write_text(LA.read_text().replace("start: 2027-01-04", f"start: {monday.isoformat()}"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))}
    return {
        **base,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": slack.api_url,
        "STUDYBOT_CHANNEL": CHANNEL,
        "STUDYBOT_DB": str(tmp_path / "studybot.db"),
        "STUDYBOT_ROADMAP": str(roadmap),
        "PYTHONPATH": str(ROOT),
    }


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "post", *args],
        env=env,
        cwd=Path(env["STUDYBOT_DB"]).parent,  # no stray .env
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = start(env, *args)
    out, err = proc.communicate(timeout=150)  # a restart may wait out a cut-off send (60 s)
    return proc.returncode, out + err


def channel_posts(slack: SlackStandIn) -> list[dict]:
    """The bot's scheduled posts as the channel holds them."""
    with slack.lock:
        messages = list(slack.messages.get(CHANNEL, {}).values())
    return [m for m in messages if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE]


def ledger(env: dict[str, str]) -> list[dict]:
    db = connect(env["STUDYBOT_DB"])
    try:
        return list(db.query("SELECT kind, attempt, status, ts FROM posts_ledger ORDER BY id"))
    finally:
        db.conn.close()


def test_post_weekly_twice_sends_one_and_force_sends_another(env, slack):
    code, out = run(env, "weekly")
    assert code == 0, out
    assert "Sent the weekly post" in out
    code, out = run(env, "weekly")
    assert code == 0, out
    assert "already went out" in out
    assert len(channel_posts(slack)) == 1
    code, out = run(env, "weekly", "--force")
    assert code == 0, out
    assert len(channel_posts(slack)) == 2
    assert [(r["attempt"], r["status"]) for r in ledger(env)] == [(0, "sent"), (1, "sent")]


def test_two_processes_on_one_database_send_one_post(env, slack):
    # Slack answers slowly, so the first process is still sending when the second looks.
    slack.fail("chat.postMessage", 200, times=2, delay=1.0)
    procs = [start(env, "weekly") for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert len(channel_posts(slack)) == 1
    said = " ".join(out + err for out, err in outputs)
    assert "Sent the weekly post" in said
    assert "being sent by another process" in said or "already went out" in said
    assert [(r["kind"], r["status"]) for r in ledger(env)] == [("weekly", "sent")]


def kill_while_held(env: dict[str, str], fault: Fault) -> None:
    """Run `studybot post weekly` until the stand-in holds its chat.postMessage (`fault`), then
    kill -9 the process there; the stand-in lets the request go only once the process is dead."""
    proc = start(env, "weekly")
    try:
        if not fault.reached.wait(30):
            proc.kill()
            raise AssertionError(f"chat.postMessage never came: {proc.communicate()}")
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        fault.release.set()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_killed_between_claim_and_send_then_restarted_sends_once(env, slack):
    # The request reaches the stand-in, which holds it unanswered and never posts it.
    kill_while_held(env, slack.fail("chat.postMessage", 0, hold=True))
    assert channel_posts(slack) == []
    assert [r["status"] for r in ledger(env)] == ["claimed"]

    code, out = run(env, "weekly")
    assert code == 0, out
    assert len(channel_posts(slack)) == 1
    # Before sending, it looked for its own post (tagged with metadata) in the channel, for as
    # long as the killed process's request could still be in Slack's hands.
    looks = slack.calls_to("conversations.history")
    assert len(looks) > 1
    assert all(str(c.get("include_all_metadata")).lower() in ("true", "1") for c in looks)
    assert [r["status"] for r in ledger(env)] == ["sent"]


def test_killed_after_slack_took_the_post_then_restarted_finds_it(env, slack):
    # The stand-in posts the message, then holds the answer until the process is dead.
    kill_while_held(env, slack.fail("chat.postMessage", 0, after=True, hold=True))
    [posted] = channel_posts(slack)
    assert [(r["status"], r["ts"]) for r in ledger(env)] == [("claimed", None)]

    code, out = run(env, "weekly")
    assert code == 0, out
    assert "already in the channel" in out
    assert channel_posts(slack) == [posted]
    assert [(r["status"], r["ts"]) for r in ledger(env)] == [("sent", posted["ts"])]


def test_kill_9_while_slack_is_answering_then_restart_ends_with_one_post(env, slack):
    slack.fail("chat.postMessage", 200, times=1, delay=2.0)
    proc = start(env, "weekly")
    # The request is at Slack, which is taking its time (the process must still be at it).
    wait_until(lambda: slack.faults[0].times == 0 or proc.poll() is not None, timeout=30)
    assert proc.poll() is None, proc.communicate()
    proc.kill()
    proc.wait()
    slack.wait_for("chat.postMessage", 1)  # Slack finished handling it after all
    assert [r["status"] for r in ledger(env)] == ["claimed"]

    code, out = run(env, "weekly")
    assert code == 0, out
    assert len(channel_posts(slack)) == 1
    assert [r["status"] for r in ledger(env)] == ["sent"]


def test_nothing_to_post_in_a_week_without_a_topic_exits_1(env, slack, tmp_path):
    roadmap = Path(env["STUDYBOT_ROADMAP"])
    today = dt.datetime.now(TZ).date()
    later = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=21)  # a Monday
    text = roadmap.read_text()
    start_line = next(line for line in text.splitlines() if line.strip().startswith("start:"))
    roadmap.write_text(text.replace(start_line, f"  start: {later.isoformat()}"))
    code, out = run(env, "nudge")
    assert code == 1
    assert "Nothing to send" in out
    assert channel_posts(slack) == []


def test_missing_channel_is_a_configuration_error(env, slack):
    env = {k: v for k, v in env.items() if k != "STUDYBOT_CHANNEL"}
    code, out = run(env, "weekly")
    assert code == 2
    assert "STUDYBOT_CHANNEL" in out and "Traceback" not in out


@pytest.mark.parametrize("seconds", [11, 15, 25])
def test_slack_answering_after_the_usual_client_timeout_still_gives_one_post(env, slack, seconds):
    """Slack slow but working: it posts and answers after `seconds` (past slack_sdk's usual
    10 s); the post goes out once."""
    slack.fail("chat.postMessage", 200, times=1, delay=seconds)
    code, out = run(env, "weekly")
    assert code == 0, out
    assert len(channel_posts(slack)) == 1
    assert [r["status"] for r in ledger(env)] == ["sent"]


def test_slack_answering_after_the_posts_own_timeout_gives_one_post(env, slack):
    """Slack takes longer than even the post's client timeout, then posts: the bot looks in
    the channel over its grace period and finds it instead of sending again."""
    slack.fail("chat.postMessage", 200, times=1, delay=POST_TIMEOUT + 5)
    code, out = run(env, "weekly")
    assert code == 0, out
    assert len(channel_posts(slack)) == 1
    assert [r["status"] for r in ledger(env)] == ["sent"]


@pytest.mark.parametrize("work_done", [True, False], ids=["posted", "not-posted"])
def test_a_connection_dropped_after_the_request_left_gives_one_post(env, slack, work_done):
    slack.fail("chat.postMessage", 0, times=1, after=work_done)
    code, out = run(env, "weekly")
    assert code == 0, out
    assert len(channel_posts(slack)) == 1
    assert [r["status"] for r in ledger(env)] == ["sent"]


def test_killed_while_slack_is_slow_and_restarted_at_once_gives_one_post(env, slack):
    """kill -9 of `studybot post` while Slack takes 4.5 s over the post, restarted at once: the
    new process waits for the old request to land instead of sending a second post."""
    slow = slack.fail("chat.postMessage", 200, times=1, delay=4.5)
    _kill_while_slack_holds_it_then_restart(env, slack, slow, within=30)


def _kill_while_slack_holds_it_then_restart(
    env: dict[str, str], slack: SlackStandIn, slow: Fault, within: float
) -> None:
    """`studybot post weekly`, killed (-9) once `slow`'s request has reached Slack (within
    `within` seconds), then run again at once: one post, found rather than sent again."""
    proc = start(env, "weekly")
    deadline = time.time() + within
    while slow.times > 0:  # the request has reached Slack
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    time.sleep(1.0)
    proc.kill()
    proc.wait()
    assert channel_posts(slack) == []  # Slack is still working on it

    code, out = run(env, "weekly")
    assert code == 0, out
    assert "already in the channel" in out
    assert len(channel_posts(slack)) == 1
    assert [r["status"] for r in ledger(env)] == ["sent"]


def test_killed_while_slow_after_a_minutes_retry_after_then_restarted_gives_one_post(env, slack):
    """Slack rate-limits the post for 60 s (Retry-After: 60, waited out), then takes 4.5 s
    over the second request; kill -9 during it and restart at once. The restart must wait for
    that request, which left a minute after the claim: it used to wait only until a minute
    after the claim, so it sent the post a second time."""
    slack.fail("chat.postMessage", 429, times=1, retry_after=60)
    slow = slack.fail("chat.postMessage", 200, times=1, delay=4.5)  # the second request
    _kill_while_slack_holds_it_then_restart(env, slack, slow, within=90)


def test_sigterm_while_slack_is_slow_with_the_post_exits_cleanly_then_one_post(
    env, slack, tmp_path
):
    """`studybot run` sends the week's post at start; Slack takes 25 s; SIGTERM meanwhile.
    The stop gives the post its grace (20 s), then exits 0 without closing the database under
    it (it used to, and Slack's late answer ended in a ProgrammingError traceback); the
    restart finds the post instead of sending it again."""
    today = dt.datetime.now(dt.UTC).date()
    schedule = (
        "schedule:\n  timezone: UTC\n"
        f"  start: {today - dt.timedelta(days=today.weekday())}\n"
        f'  weekly: {{weekday: {today.strftime("%A").lower()}, time: "00:00"}}\n'
    )
    roadmap = tmp_path / "utc.yaml"
    roadmap.write_text(re.sub(r"schedule:\n(  .*\n)+", schedule, LA.read_text(), count=1))
    log = tmp_path / "run.log"
    run_env = {
        **env,
        "STUDYBOT_ROADMAP": str(roadmap),
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "PORT": str(free_port()),
    }
    slow = slack.fail("chat.postMessage", 200, times=1, delay=25)
    proc, _ = start_bot(run_env, tmp_path, log)
    try:
        wait_until(lambda: slow.times == 0, timeout=20)  # the post is in Slack's hands
        proc.terminate()
        assert proc.wait(timeout=40) == 0
    finally:
        stop_bot(proc)
    said = log.read_text()
    assert "still being sent" in said and "Traceback" not in said, said
    assert channel_posts(slack) == []  # Slack is still working on it

    proc, _ = start_bot(run_env, tmp_path, log)
    try:
        wait_until(lambda: [r["status"] for r in ledger(env)] == ["sent"], timeout=40)
    finally:
        stop_bot(proc)
    assert len(channel_posts(slack)) == 1
    assert "Traceback" not in log.read_text()


def test_slack_unreachable_says_nobody_was_told_without_organizers(env, slack):
    env = {**env, "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/"}  # nothing listens
    code, out = run(env, "weekly")
    assert code == 1
    assert "Could not send the" in out and "No organizer is configured" in out, out
    assert "organizers were told" not in out and "the running bot retries" not in out
    assert "If `studybot run` is running" in out and "Traceback" not in out
    assert [r["status"] for r in ledger(env)] == ["failed"]


def test_slack_unreachable_says_the_organizers_could_not_be_told(env, slack):
    env = {
        **env,
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
        "STUDYBOT_ADMINS": "U0ORGANIZ1",
    }
    code, out = run(env, "weekly")
    assert code == 1
    assert "could not be told either" in out, out


def test_a_failed_post_says_which_organizers_got_the_dm(env, slack):
    slack.fail("chat.postMessage", 200, times=1, error="channel_not_found")
    code, out = run({**env, "STUDYBOT_ADMINS": "U0ORGANIZ1,U0ORGANIZ2"}, "weekly")
    assert code == 1
    assert "channel_not_found" in out and "2 organizers got a DM about it" in out, out
    dms = [c for c in slack.calls_to("chat.postMessage") if c.get("channel", "").startswith("U")]
    assert {c["channel"] for c in dms} == {"U0ORGANIZ1", "U0ORGANIZ2"}
    # A second run: the DM went with the first failure, and says so.
    slack.fail("chat.postMessage", 200, times=1, error="channel_not_found")
    code, out = run({**env, "STUDYBOT_ADMINS": "U0ORGANIZ1"}, "weekly")
    assert code == 1 and "when it first failed" in out, out
