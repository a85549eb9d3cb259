"""`studybot doctor`: a checklist of what the bot needs, with what to do; exit 1 on any problem."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from bot.core.db import Pool
from tests.conftest import ROADMAP
from tests.damage import damage_event_index

pytestmark = pytest.mark.slow  # each test runs `studybot doctor` as a process

GOOD_SECRET = "0123456789abcdef0123456789abcdef"


def doctor(env: dict[str, str], cwd) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def env(tmp_path, slack):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STUDYBOT_"))}
    return {
        **base,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": GOOD_SECRET,
        "SLACK_API_URL": slack.api_url,
        "STUDYBOT_CHANNEL": "C0STUDY01",
        "STUDYBOT_DB": str(tmp_path / "bot.db"),
        "STUDYBOT_ROADMAP": str(ROADMAP),
    }


def lines_of(out: str, mark: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith(mark)]


def test_a_healthy_setup_passes_every_check(env, tmp_path):
    Pool(tmp_path / "bot.db").close()
    code, out = doctor(env, tmp_path)
    assert code == 0, out
    names = [line.split()[1] for line in lines_of(out, "✓")]
    for name in ("configuration", "bot", "scopes", "study", "signing", "database", "roadmap"):
        assert name in names, out
    assert not lines_of(out, "✗") and "All good." in out


def test_each_problem_is_named_with_what_to_do(env, tmp_path, slack):
    slack.scopes.remove("reactions:read")
    slack.not_member.add("C0STUDY01")
    env["SLACK_SIGNING_SECRET"] = "not-a-secret"
    code, out = doctor(env, tmp_path)
    assert code == 1, out
    failed = " ".join(lines_of(out, "✗"))
    assert "missing reactions:read" in failed
    assert "not a member" in failed
    assert "signing secret" in failed
    fixes = lines_of(out, "→")
    assert any("reinstall" in f for f in fixes) and any("/invite @studybot" in f for f in fixes)
    assert "3 problems found." in out


def test_a_refused_token_and_an_unreachable_slack(env, tmp_path, slack):
    slack.fail("auth.test", status=200, error="invalid_auth")
    code, out = doctor(env, tmp_path)
    assert code == 1 and "invalid_auth" in " ".join(lines_of(out, "✗")), out
    env["SLACK_API_URL"] = "http://127.0.0.1:9/api/"
    code, out = doctor(env, tmp_path)
    assert code == 1 and "cannot reach Slack" in out and "SLACK_API_URL" in out, out


def test_a_damaged_database_fails_the_full_integrity_check_with_how_to_restore(env, tmp_path):
    db = tmp_path / "bot.db"
    pool = Pool(db)
    for n in range(300):  # enough rows for the index to span pages beyond its root
        pool.get().execute("INSERT INTO events_seen (event_id) VALUES (?)", (f"Ev{n:08d}",))
    pool.close()
    damage_event_index(db)
    code, out = doctor(env, tmp_path)
    assert code == 1, out
    [line] = [x for x in lines_of(out, "✗") if "database" in x]
    assert "damaged" in line
    assert any("studybot restore" in f or ".recover" in f for f in lines_of(out, "→"))


def test_a_database_from_a_newer_version_is_named(env, tmp_path):
    db = tmp_path / "bot.db"
    Pool(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO migrations (name) VALUES ('9999_from_the_future.sql')")
    conn.commit()
    conn.close()
    code, out = doctor(env, tmp_path)
    assert code == 1 and "newer studybot" in out and "9999_from_the_future.sql" in out, out


def test_a_broken_roadmap_is_a_failed_check(env, tmp_path):
    bad = tmp_path / "roadmap.yaml"
    bad.write_text("title: x\nstages: nope\n")
    env["STUDYBOT_ROADMAP"] = str(bad)
    code, out = doctor(env, tmp_path)
    assert code == 1 and "roadmap" in " ".join(lines_of(out, "✗")), out
    assert "studybot roadmap check" in out


def test_an_install_older_than_the_manifest_is_told_to_update(env, tmp_path, slack):
    """An upgrade added a scope (files:write, for `calendar post`): doctor names it; the slash
    commands cannot be compared with a bot token, and doctor says so instead of guessing."""
    Pool(tmp_path / "bot.db").close()
    slack.scopes.remove("files:write")
    code, out = doctor(env, tmp_path)
    assert code == 1, out
    assert "missing files:write" in " ".join(lines_of(out, "✗"))
    (commands,) = lines_of(out, "–")
    assert "slash commands" in commands and "manifest.yml" in commands
    assert "1 problem found." in out


def test_a_folder_as_the_database_is_a_failed_check(env, tmp_path):
    env["STUDYBOT_DB"] = str(tmp_path)
    code, out = doctor(env, tmp_path)
    assert code == 1 and "Traceback" not in out, out
    [line] = [x for x in lines_of(out, "✗") if "database" in x]
    assert "is a folder" in line


def test_malformed_variables_are_failed_checks_and_the_rest_still_run(env, tmp_path):
    """doctor is what an operator runs to find what is wrong: a malformed variable is a line
    of the checklist (exit 1, as for any problem), not the one-line refusal of `run` (exit 2),
    and the other checks still run."""
    Pool(tmp_path / "bot.db").close()
    env["SLACK_APP_TOKEN"] = "xoxb-not-an-app-token"
    env["STUDYBOT_ADMINS"] = "alice"
    code, out = doctor(env, tmp_path)
    assert code == 1, out
    failed = lines_of(out, "✗")
    assert any("SLACK_APP_TOKEN" in f and "xapp-" in f for f in failed), out
    assert any("STUDYBOT_ADMINS" in f for f in failed), out
    assert "xoxb-not-an-app-token" not in out
    for name in ("bot", "scopes", "study", "database", "roadmap"):
        assert name in [line.split()[1] for line in lines_of(out, "✓")], out
    assert "2 problems found." in out


def test_a_malformed_slack_api_url_skips_the_slack_checks(env, tmp_path):
    Pool(tmp_path / "bot.db").close()
    env["SLACK_API_URL"] = "localhost:9/api"
    code, out = doctor(env, tmp_path)
    assert code == 1 and "SLACK_API_URL" in " ".join(lines_of(out, "✗")), out
    assert "bot token" not in out and "database" in out


def test_a_database_another_process_keeps_locked_is_named(env, tmp_path):
    """The checklist used to say "writable, intact" while the bot could keep no event."""
    db = tmp_path / "bot.db"
    Pool(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, out = doctor(env, tmp_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1, out
    [line] = [x for x in lines_of(out, "✗") if "database" in x]
    assert "locked" in line and "writable" not in line
    code, out = doctor(env, tmp_path)  # released: the same file passes again
    assert code == 0, out
