"""Configuration: read once, one clear line and exit 2 for a missing or malformed variable."""

from __future__ import annotations

import re
import socket

import pytest

from bot.core.settings import ConfigError, Settings, documented
from tests.conftest import ROOT
from tests.processes import studybot


def test_run_without_tokens_prints_one_line_and_exits_2(tmp_path):
    result = studybot("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SLACK_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"SLACK_BOT_TOKEN": "nonsense"}, "SLACK_BOT_TOKEN"),
        ({"PORT": "eighty"}, "PORT"),
        ({"STUDYBOT_CHANNEL": "#general"}, "STUDYBOT_CHANNEL"),
        ({"STUDYBOT_ADMINS": "U123,bob"}, "STUDYBOT_ADMINS"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "STUDYBOT_CHANNEL": "C0123ABCD"}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_malformed_or_missing_variable_is_named(tmp_path, env, variable):
    result = studybot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and variable in result.stderr, result.stderr


def test_dotenv_fills_what_the_environment_lacks(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_BOT_TOKEN=xoxb-from-file\nPORT=4000\nSTUDYBOT_ADMINS=U1AAA, U2BBB\n")
    settings = Settings.from_env({"PORT": "5000"}, dotenv)
    assert settings.bot_token == "xoxb-from-file"
    assert settings.port == 5000  # the environment wins
    assert settings.admins == ("U1AAA", "U2BBB")


def test_settings_are_frozen():
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_require_names_the_variable():
    with pytest.raises(ConfigError, match="STUDYBOT_CHANNEL"):
        Settings(bot_token="xoxb-1").require("bot_token", "channel")


def test_readme_documents_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text()
    table = {
        m.group(1): m.group(3).strip()
        for m in re.finditer(r"^\| `([A-Z_]+)` \|([^|]*)\|([^|]*)\|$", readme, re.M)
    }
    for variable, _help, default in documented():
        assert variable in table, f"{variable} missing from the README's configuration table"
        if default not in ("unset", "empty"):
            assert default in table[variable], (variable, table[variable])
    assert set(table) == {v for v, _, _ in documented()}


@pytest.mark.parametrize(
    "command",
    [["run"], ["post", "weekly"], ["faq", "export"], ["calendar", "export"], ["backfill"]],
)
def test_a_folder_as_the_database_is_named_in_one_line(tmp_path, command):
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "secret",
        "STUDYBOT_CHANNEL": "C0123ABCD",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached
        "STUDYBOT_DB": str(tmp_path),
        "STUDYBOT_ROADMAP": str(ROOT / "roadmap.yaml"),
    }
    result = studybot(*command, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "STUDYBOT_DB" in result.stderr, result.stderr
    assert "is a folder" in result.stderr


@pytest.mark.parametrize("command", [["run"], ["roadmap", "check"], ["doctor"]])
def test_a_dotenv_that_is_not_utf8_is_named_in_one_line(tmp_path, command):
    (tmp_path / ".env").write_bytes("SLACK_BOT_TOKEN=xoxb-1\n# café\n".encode("latin-1"))
    result = studybot(*command, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert ".env: not UTF-8 text" in result.stderr


@pytest.mark.parametrize("command", [["run"], ["roadmap", "check"], ["doctor"]])
def test_a_dotenv_line_that_cannot_be_parsed_is_named_in_one_line(tmp_path, command):
    # python-dotenv only warns (twice, once per read) and drops the variable, so the bot
    # blamed its absence: "SLACK_SIGNING_SECRET: is required", under two warning lines.
    (tmp_path / ".env").write_text(
        'SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET="abc\nSTUDYBOT_CHANNEL=C0STUDY01\n'
    )
    result = studybot(*command, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert ".env:2: cannot read this line as NAME=value" in result.stderr


def test_an_unknown_track_names_studybot_track(tmp_path):
    env = {
        "STUDYBOT_TRACK": "nosuch",
        "STUDYBOT_DB": str(tmp_path / "bot.db"),
        "STUDYBOT_ROADMAP": str(ROOT / "roadmap.yaml"),
    }
    result = studybot("faq", "export", env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "STUDYBOT_TRACK: unknown track 'nosuch'" in result.stderr
    assert "career-switch" in result.stderr  # the tracks there are


def test_a_port_in_use_is_named_in_one_line(tmp_path):
    with socket.create_server(("0.0.0.0", 0)) as taken:
        port = taken.getsockname()[1]
        env = {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "secret",
            "STUDYBOT_CHANNEL": "C0123ABCD",
            "STUDYBOT_DB": str(tmp_path / "bot.db"),
            "STUDYBOT_ROADMAP": str(ROOT / "roadmap.yaml"),
            "PORT": str(port),
        }
        result = studybot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"PORT: port {port} is in use" in result.stderr
