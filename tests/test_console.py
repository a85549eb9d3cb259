"""`studybot console`: piped stdin to the command, and the Console driven line by line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.console import Console
from bot.cli.console import main as console_main
from bot.cli.main import _parser
from bot.cli.sandbox import Sandbox
from bot.cli.signed import TEAM_DOMAIN
from bot.core.clock import ManualClock
from bot.core.roadmap_load import load
from bot.core.settings import Settings
from tests.conftest import ROADMAP
from tests.processes import studybot

pytestmark = pytest.mark.slow  # each test drives a whole console session

ORGANIZER = "U0ORGANIZ1"


@pytest.mark.slow  # `studybot console` as a subprocess
def test_piped_nexttopic_prints_the_current_topic_and_exits_0():
    result = studybot("console", env={"PYTHONIOENCODING": "utf-8"}, stdin="/nexttopic\n")
    assert result.returncode == 0, result.stderr
    titles = [t.title for t in load(ROADMAP).topics]
    assert any(t.upper() in result.stdout or t in result.stdout for t in titles), result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_piped_question_answer_and_tick_show_up_in_qa():
    script = "Is SVD just PCA?\nreply PCA is the SVD of centered data.\nreact white_check_mark\n/qa svd\n"
    result = studybot("console", env={"PYTHONIOENCODING": "utf-8"}, stdin=script)
    assert result.returncode == 0, result.stderr
    after = result.stdout.split("> /qa svd", 1)[1]
    assert "Is SVD just PCA?" in after and "Answered" in after, result.stdout


@pytest.mark.slow
def test_piped_into_a_reader_that_stops_early_it_exits_quietly(tmp_path):
    """`studybot console | head -3`: the reader goes away; no BrokenPipeError traceback."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))}
    done = subprocess.run(
        f"printf 'help\\nhelp\\nhelp\\n' | {sys.executable} -m bot console | head -3",
        shell=True,
        env={**env, "STUDYBOT_DB": str(tmp_path / "c.db"), "STUDYBOT_ROADMAP": str(ROADMAP)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert len(done.stdout.splitlines()) == 3
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


# --- the console in this process (Console over the sandbox; quick) ------------------------


@pytest.fixture
def console(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[Console, list[str]]]:
    """A console typing as an organizer, Monday of week 3 after its weekly post went out."""
    lines: list[str] = []
    with Sandbox(
        roadmap_path=ROADMAP, db_path=tmp_path / "c.db", clock=clock, admins=(ORGANIZER,)
    ) as box:
        typed = Console(box, ORGANIZER, out=lines.append)
        typed.catch_up()
        yield typed, lines


def run(console: Console, *script: str) -> str:
    """The console's output for these lines."""
    typed, lines = console
    before = len(lines)
    for line in script:
        assert typed.handle(line)
    return "\n".join(lines[before:])


def archived(typed: Console) -> list[dict]:
    db = typed.box.deps.db
    return list(db.query("SELECT text, user, anonymous, deleted FROM qa_questions ORDER BY id"))


def test_edit_and_delete_reach_the_archive_as_a_members_would(console):
    typed, _ = console
    run(console, "Is SVD just PCA?", "reply PCA is the SVD of centred data.")
    out = run(console, "edit 2 Is the SVD just PCA in disguise?")
    assert "(you edited #2" in out
    assert archived(typed)[0]["text"] == "Is the SVD just PCA in disguise?"
    assert "in disguise" in run(console, "/qa disguise")
    out = run(console, "delete 1", "edit 3 hello")
    assert "#1 is the bot's: members can delete only their own" in out
    assert "#3 is" not in out and "(you edited #3" in out  # the reply is yours too
    run(console, "delete 2")  # a question with a reply: Slack leaves a tombstone
    assert archived(typed)[0]["deleted"] == 1
    assert "No questions" in run(console, "/qa disguise")
    run(console, "as U0MEMBER2")
    assert "members can edit only their own" in run(console, "edit 3 mine now?")


def test_the_ask_form_is_filled_and_submitted_anonymously_at_the_prompt(console):
    typed, _ = console
    out = run(console, "/ask")
    assert "Ask the study group" in out and "fill question TEXT" in out and "submit" in out
    out = run(console, "submit")
    assert "fill question first" in out  # Slack does not send a form missing a required field
    out = run(
        console,
        "fill question What does a singular value measure?",
        "fill topic eigenvectors",
        "fill privacy anonymous",
        "submit",
    )
    assert "(you submitted Ask the study group)" in out
    assert "Someone asks anonymously: What does a singular value measure?" in out
    assert "Posted your question" in out and "anonymously" in out
    [question] = archived(typed)
    assert question["anonymous"] == 1 and question["user"] is None
    assert "no form is open" in run(console, "submit")
    assert "no field 'colour'" in run(console, "/ask", "fill colour blue")
    assert "(you closed" in run(console, "cancel")


def test_one_link_host_in_a_session_the_workspaces_own(console):
    out = run(
        console,
        "Is SVD just PCA?",
        "reply Yes, of centred data.",
        "react white_check_mark",
        "/nexttopic",
        "/qa svd",
        "/studygroup status",
        "home",
        "/ask",
        "fill question Where is the thread?",
        "submit",
    )
    hosts = set(re.findall(r"https://([a-z0-9.-]+)/archives/", out))
    # The workspace auth.test names, which the payloads' team_domain matches.
    assert console[0].box.app.client.auth_test()["url"] == f"https://{TEAM_DOMAIN}.slack.com/"
    assert hosts == {f"{TEAM_DOMAIN}.slack.com"}, out


def test_as_takes_any_member_id_and_says_who_organizes(console):
    out = run(console, "as u0member2")
    assert "(you are now U0MEMBER2, a member (not an organizer))" in out
    assert "organizers" in run(console, "/studygroup status")  # the polite refusal
    assert "W0GRIDUSER1, a member" in run(console, "as W0GRIDUSER1")
    assert "not a member ID" in run(console, "as U0-X")
    assert f"{ORGANIZER}, an organizer" in run(console, f"as {ORGANIZER}")


@pytest.mark.parametrize(
    ("flag", "said"),
    [
        (["--at", "tomorrow"], "--at 'tomorrow' is not a date or time"),
        (["--at", "2026-13-01"], "--at '2026-13-01' is not a date or time"),
        (["--at", "9999-12-31T23:59"], "pick a time between 1970 and 9000"),
        (["--db", "/no/such/folder/x.db"], "the folder /no/such/folder does not exist"),
        (["--db", "."], "is a folder"),
        (["--user", "alice"], "'alice' is not a member ID"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(flag, said, capsys):
    args = _parser().parse_args(["console", *flag])
    assert console_main(Settings(), args) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_database_that_is_not_one_gives_one_line(tmp_path, capsys):
    bad = tmp_path / "notes.db"
    bad.write_text("not a database, just notes\n" * 200)
    args = _parser().parse_args(["console", "--db", str(bad)])
    assert console_main(Settings(), args) == 2
    err = capsys.readouterr().err
    assert "notes.db" in err and err.count("\n") == 1, err


@pytest.mark.slow
def test_piped_console_as_a_member_who_is_not_an_organizer():
    result = studybot(
        "console",
        "--member",
        "--user",
        "u0member7",
        env={"PYTHONIOENCODING": "utf-8"},
        stdin="/studygroup status\n",
    )
    assert result.returncode == 0, result.stderr
    assert "You are U0MEMBER7, a member (not an organizer)" in result.stdout
    assert "is for the study group's organizers" in result.stdout


def test_study_buddies_and_the_lead_in_the_console_when_time_moves_on(console):
    out = run(console, "/buddy on", "/lead on", "as U0MEMBER2", "/buddy on", "/lead on")
    assert "You're in" in out and "Thanks for volunteering" in out
    assert "How to use `/buddy`" in run(console, "/buddy maybe")
    out = run(console, "time")
    assert "next study-buddy pairing" in out and "next discussion lead's reminder" in out
    out = run(console, "advance 6d")  # to Sunday: the lead is reminded the day before
    assert f"in a DM to {ORGANIZER}" in out and "You lead the discussion" in out
    out = run(console, "next")  # the weekly post, and the pairing with it
    assert f"in a group DM with U0MEMBER2, {ORGANIZER}" in out
    assert "Do this exercise together" in out
    assert f"Discussion lead this week: @{ORGANIZER}" in out
    out = run(console, "leave", "as U0MEMBER3", "/buddy on", "advance 7d")  # U0MEMBER2 leaves
    assert f"group DM with U0MEMBER3, {ORGANIZER}" in out and "U0MEMBER2" not in out


def test_next_while_paused_says_the_group_is_paused(console):
    out = run(console, "/studygroup pause", "next", "next", "next")  # the nudge, the recap
    assert "the group is paused" in out and "roadmap is done" not in out
