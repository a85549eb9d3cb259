"""Quiet, useful logs: a normal start says nothing alarming, Slack unreachable is one line per
failure, unexpected failures keep their traceback once, and no secret shows in any format."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.cli import logs
from bot.cli.signed import SignedClient
from bot.cli.standin import SlackStandIn
from bot.slack import router
from tests.paths import ROADMAP
from tests.polling import wait_until
from tests.processes import bot_env, free_port, start_bot, stop_bot, studybot

ADMIN = "U0ADMIN01"
TOKEN = "xoxb-1111-2222-" + "s3cr3tvalue" * 2


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --- in-process: the pieces ------------------------------------------------------------------


def test_tokens_and_response_urls_are_redacted() -> None:
    text = f"Bearer {TOKEN} then xapp-1-A0-123-abc and https://hooks.slack.com/commands/T0/1/xyz ok"
    out = logs.redact(text)
    assert "s3cr3t" not in out and "abc" not in out and "xyz" not in out
    assert out.endswith(" ok") and "xoxb…(redacted)" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_both_formats_redact_messages_and_tracebacks(fmt: str) -> None:
    formatter = logs.JsonFormatter() if fmt == "json" else logs.TextFormatter(logs.TEXT_FORMAT)
    try:
        raise ValueError(f"token {TOKEN}")
    except ValueError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "saw %s", (TOKEN,), None)
        record.exc_info = (type(exc), exc, exc.__traceback__)
    line = formatter.format(record)
    assert "s3cr3t" not in line and "redacted" in line


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def router_log():
    handler = Records()
    logger = logging.getLogger("bot.slack.router")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _raise(error: Exception) -> Exception:
    try:
        raise error
    except Exception as exc:
        return exc


def test_slack_unreachable_is_one_warning_with_the_traceback_at_debug(router_log) -> None:
    import urllib.error

    error = _raise(urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")))
    router.log_error(error, {"command": "/studygroup"})
    shown = [r for r in router_log if r.levelno > logging.DEBUG]
    assert len(shown) == 1 and shown[0].levelno == logging.WARNING and not shown[0].exc_info
    assert "Slack unreachable" in shown[0].getMessage()
    assert any(r.exc_info for r in router_log if r.levelno == logging.DEBUG)


def test_a_bug_keeps_its_traceback_the_first_time_only(router_log) -> None:
    def broken() -> Exception:
        return _raise(KeyError("a bug in a listener"))  # the same place each time

    for _ in range(3):
        router.log_error(broken(), {"command": "/nexttopic"})
    errors = [r for r in router_log if r.levelno == logging.ERROR]
    assert len(errors) == 3
    assert [bool(r.exc_info) for r in errors] == [True, False, False]
    assert "seen 3 times" in errors[-1].getMessage()


def test_a_database_removed_under_the_bot_is_one_line_saying_what_to_do(
    router_log, tmp_path
) -> None:
    """The database file removed (or replaced, or found damaged) while the bot runs is the
    operator's to fix, not a bug: one ERROR line per failure, with what to do, and no
    traceback (it was logged as a bug's, 25 lines, the first time at each place)."""
    import sqlite3
    import threading

    from bot.core.db import Pool

    path = tmp_path / "bot.db"
    pool = Pool(path)
    path.unlink()
    raised: list[Exception] = []

    def listener_on_a_new_thread() -> None:
        try:
            pool.get()
        except Exception as exc:
            raised.append(exc)

    thread = threading.Thread(target=listener_on_a_new_thread)
    thread.start()
    thread.join()
    (gone,) = raised
    damaged = _raise(sqlite3.DatabaseError("database disk image is malformed"))
    for error in (gone, gone, damaged):
        router.log_error(error, {"command": "/review"})
    shown = [r for r in router_log if r.levelno > logging.DEBUG]
    assert [r.levelno for r in shown] == [logging.ERROR] * 3
    assert not any(r.exc_info for r in shown)
    assert "removed while the bot ran" in shown[0].getMessage()
    assert "stop the bot" in shown[0].getMessage()
    assert "malformed" in shown[2].getMessage()
    pool.close()


# --- as processes: what an operator sees -----------------------------------------------------


@pytest.mark.slow
def test_a_normal_start_prints_no_warning_and_no_scheduler_chatter(tmp_path: Path) -> None:
    with SlackStandIn() as slack:
        env = bot_env(slack, tmp_path / "bot.db", free_port(), SLACK_BOT_TOKEN=TOKEN)
        log = tmp_path / "bot.log"
        proc, _ = start_bot(env, tmp_path, log)
        stop_bot(proc)
    out = log.read_text()
    assert not [line for line in lines(out) if " WARNING " in line or " ERROR " in line], out
    assert "apscheduler" not in out and "token" not in out.lower(), out
    assert "listening on port" in out and "post-weekly: next at" in out
    # -v still shows the scheduler's own lines
    with SlackStandIn() as slack:
        env = bot_env(slack, tmp_path / "bot.db", free_port())
        verbose = tmp_path / "verbose.log"
        proc, _ = start_bot(env, tmp_path, verbose, verbose=True)
        stop_bot(proc)
    assert "apscheduler" in verbose.read_text()


@pytest.mark.slow
def test_a_console_start_prints_no_warning() -> None:
    result = studybot("console", env={"PYTHONIOENCODING": "utf-8"}, stdin="quit\n")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr and "token" not in result.stderr.lower(), result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_post_with_slack_unreachable_is_a_line_per_failure(tmp_path: Path, fmt: str) -> None:
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",  # nothing listens there
        "STUDYBOT_CHANNEL": "C0STUDY01",
        "STUDYBOT_DB": str(tmp_path / "bot.db"),
        "STUDYBOT_ROADMAP": str(ROADMAP),
        "STUDYBOT_LOG_FORMAT": fmt,
    }
    result = studybot("post", "nudge", "--force", env=env, cwd=tmp_path)
    assert result.returncode == 1
    err = lines(result.stderr)
    # the delivery's tries (one line each), the failure, who was told, and the summary
    assert len(err) <= 7, result.stderr
    assert "slack_sdk" not in result.stderr and "Traceback" not in result.stderr
    assert "s3cr3t" not in result.stderr + result.stdout
    if fmt == "json":
        logged = [json.loads(line) for line in err[:-1]]  # the last line is the summary
        assert {e["logger"] for e in logged} == {"bot.slack.delivery"}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_failed_studygroup_reply_is_one_line(tmp_path: Path, fmt: str) -> None:
    with SlackStandIn() as slack:
        slack.add_user(ADMIN)
        env = bot_env(
            slack,
            tmp_path / "bot.db",
            free_port(),
            SLACK_BOT_TOKEN=TOKEN,
            STUDYBOT_ADMINS=ADMIN,
            STUDYBOT_LOG_FORMAT=fmt,
        )
        log = tmp_path / "bot.log"
        proc, base = start_bot(env, tmp_path, log)
        try:
            started = len(lines(log.read_text()))
            # Slack's response_url cannot be reached: the reply fails after the ack.
            closed = f"http://127.0.0.1:{free_port()}/commands/T0/1/s3cr3t"
            client = SignedClient(base + "/slack/events", env["SLACK_SIGNING_SECRET"], closed)
            assert client.command("/studygroup", "status", user=ADMIN).status == 200
            wait_until(lambda: "studygroup" in log.read_text(), timeout=15)
        finally:
            stop_bot(proc)
    after = lines(log.read_text())[started:]
    about = [line for line in after if "studygroup" in line]
    assert len(about) == 1, "\n".join(after)
    assert "Traceback" not in "\n".join(after) and "s3cr3t" not in "\n".join(after)
    if fmt == "json":
        entry = json.loads(about[0])
        assert entry["level"] == "WARNING" and "Slack unreachable" in entry["message"]
    else:
        assert " WARNING bot.slack.router: " in about[0] and "Slack unreachable" in about[0]


@pytest.mark.slow
def test_a_refused_start_is_one_json_line_in_json_format(tmp_path: Path) -> None:
    """With STUDYBOT_LOG_FORMAT=json the collector reads every line of standard error as JSON:
    the one line of a refused start too (it was plain text, the only line it could not read)."""
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
        "STUDYBOT_CHANNEL": "general",  # a name, not an ID
        "STUDYBOT_DB": str(tmp_path / "bot.db"),
        "STUDYBOT_ROADMAP": str(ROADMAP),
        "STUDYBOT_LOG_FORMAT": "json",
    }
    result = studybot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    (line,) = lines(result.stderr)
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and "STUDYBOT_CHANNEL" in entry["message"], entry
    # text format: the same one line, as before
    result = studybot("run", env={**env, "STUDYBOT_LOG_FORMAT": "text"}, cwd=tmp_path)
    assert result.returncode == 2
    assert lines(result.stderr) == [
        "studybot: configuration error: STUDYBOT_CHANNEL: must be a channel ID such as "
        "C0123ABCD (not a #name)"
    ]


@pytest.mark.slow
def test_slack_refusing_the_app_token_is_one_json_line_in_json_format(tmp_path: Path) -> None:
    with SlackStandIn() as slack:
        slack.fail("apps.connections.open", status=200, error="invalid_auth")
        env = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": "xapp-1-A0STUDY01-1-refusedtoken",
            "SLACK_API_URL": slack.api_url,
            "STUDYBOT_CHANNEL": "C0STUDY01",
            "STUDYBOT_DB": str(tmp_path / "bot.db"),
            "STUDYBOT_ROADMAP": str(ROADMAP),
            "STUDYBOT_LOG_FORMAT": "json",
        }
        result = studybot("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    entries = [json.loads(line) for line in lines(result.stderr)]  # every line is JSON
    assert "invalid_auth" in entries[-1]["message"] and "SLACK_APP_TOKEN" in entries[-1]["message"]
    assert "refusedtoken" not in result.stderr
