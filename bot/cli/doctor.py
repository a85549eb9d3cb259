"""`studybot doctor`: checks what the bot needs, prints a checklist with what to do, exit 1 on any failure."""

from __future__ import annotations

import logging
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import health
from bot.core.format import plural
from bot.core.roadmap import RoadmapError
from bot.core.roadmap_load import load
from bot.core.settings import ConfigError, Settings
from bot.slack.manifest import BOT_SCOPES

MIN_FREE_DISK = 100 * 1024 * 1024  # room for the archive to grow and for a backup beside it


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, what was found, and what to do if wrong."""

    name: str
    ok: bool
    found: str
    fix: str = ""
    checked: bool = True  # False: a line that says what could not be checked, and why


# Slack gives an app's slash commands only to an app configuration token (apps.manifest.export,
# tokens that expire after 12 hours), never to the bot token: doctor cannot compare them.
COMMANDS_UNCHECKED = Check(
    "slash commands",
    True,
    "not checkable with the bot token (Slack shows an app's commands only to an app "
    "configuration token); after an upgrade that adds commands, update the app from "
    "manifest.yml (README: Upgrading)",
    checked=False,
)


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return f"Slack answered {exc.response.get('error')}"
    return f"cannot reach Slack ({exc.__class__.__name__})"


def check_configuration(settings: Settings, malformed: Sequence[ConfigError] = ()) -> list[Check]:
    """What is not set, and each variable set to something malformed (`malformed`: what
    Settings.from_env found and left unset)."""
    bad = {error.variable for error in malformed}
    missing = [
        env
        for env, value in (
            ("SLACK_BOT_TOKEN", settings.bot_token),
            ("STUDYBOT_CHANNEL", settings.channel),
        )
        if not value and env not in bad
    ]
    if not ({"SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"} & bad) and not (
        settings.app_token or settings.signing_secret
    ):
        missing.append("SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)")
    checks = [
        Check(
            "configuration",
            False,
            str(error),
            f"correct {error.variable} in the environment or in .env (README: Configuration)",
        )
        for error in malformed
    ]
    if missing:
        checks.append(
            Check(
                "configuration",
                False,
                "not set: " + ", ".join(missing),
                "set them in the environment or in .env (README: Put it in your Slack, step 2)",
            )
        )
    if not checks:
        mode = "Socket Mode (SLACK_APP_TOKEN)" if settings.app_token else "HTTP mode"
        checks.append(Check("configuration", True, f"tokens and channel set; {mode}"))
    return checks


def check_slack(settings: Settings, client: WebClient) -> list[Check]:
    """The bot token, its scopes, and the bot's membership of the study channel."""
    if not settings.bot_token:
        return []
    try:
        auth = client.auth_test()
    except Exception as exc:
        found = _slack_error(exc)
        fix = (
            f"check the network and SLACK_API_URL ({settings.api_url})"
            if found.startswith("cannot reach")
            else "copy OAuth & Permissions → Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN"
        )
        return [Check("bot token", False, found, fix)]
    checks = [Check("bot token", True, f"@{auth.get('user')} in {auth.get('team')}")]
    granted = {s.strip() for s in str(auth.headers.get("x-oauth-scopes", "")).split(",") if s}
    missing = [s for s in BOT_SCOPES if s not in granted]
    checks.append(
        Check(
            "scopes",
            not missing,
            f"missing {', '.join(missing)}"
            if missing
            else f"all {len(BOT_SCOPES)} of manifest.yml",
            "add them under OAuth & Permissions (or update the app from manifest.yml), then "
            "reinstall the app to the workspace",
        )
    )
    checks.append(COMMANDS_UNCHECKED)
    if settings.channel:
        try:
            info = client.conversations_info(channel=settings.channel)
            channel: dict[str, Any] = info.get("channel") or {}
            member = bool(channel.get("is_member"))
            name = f"#{channel.get('name') or settings.channel}"
            checks.append(
                Check(
                    "study channel",
                    member,
                    f"{name}: the bot is {'a member' if member else 'not a member'}",
                    f"in {name}, type /invite @{auth.get('user') or 'studybot'}",
                )
            )
        except Exception as exc:
            checks.append(
                Check(
                    "study channel",
                    False,
                    f"{settings.channel}: {_slack_error(exc)}",
                    "set STUDYBOT_CHANNEL to the channel's ID (channel details → About)",
                )
            )
    return checks


def check_signing_secret(settings: Settings) -> Check | None:
    if not settings.signing_secret:
        return None  # the configuration check names it when HTTP mode needs it
    secret = settings.signing_secret or ""
    ok = bool(re.fullmatch(r"[0-9a-f]{32}", secret))
    return Check(
        "signing secret",
        ok,
        "32 hexadecimal characters" if ok else "not the shape of a Slack signing secret",
        "copy Basic Information → App Credentials → Signing Secret into SLACK_SIGNING_SECRET",
    )


def check_app_token(settings: Settings, client: WebClient) -> Check | None:
    if not settings.app_token:
        return None
    try:
        client.apps_connections_open(app_token=settings.app_token)
    except Exception as exc:
        return Check(
            "app token",
            False,
            _slack_error(exc),
            "create an app-level token with connections:write (Basic Information → App-Level "
            "Tokens) and enable Socket Mode",
        )
    return Check("app token", True, "Socket Mode connections allowed")


def check_database(settings: Settings) -> Check:
    path = Path(settings.db_path)
    if not path.exists():
        problem = health.startup_problem(path)
        return Check(
            "database",
            problem is None,
            problem or f"{path} does not exist yet; `studybot run` creates it",
            "point STUDYBOT_DB at a file on a persistent, writable disk",
        )
    problem = health.startup_problem(path, budget=0.0)
    if path.is_dir():
        return Check("database", False, problem or "", "point STUDYBOT_DB at the database file")
    if problem and "damaged" not in problem:
        return Check("database", False, problem, "make the file and its folder writable")
    damage = health.integrity_problems(path)
    if damage:
        return Check(
            "database", False, f"{path} is damaged: {damage[0]}", health.RESTORE_HINT.capitalize()
        )
    held = health.write_lock_problem(path)
    if held:
        return Check(
            "database",
            False,
            f"{path} is {held}",
            "stop the process holding it (a second bot, a script or a sqlite3 shell left in a "
            "transaction); the bot cannot keep events meanwhile",
        )
    missing, unknown = health.migration_state(path)
    if unknown:
        return Check(
            "database",
            False,
            f"written by a newer studybot (migrations {', '.join(unknown)})",
            "run the newer version, or restore a backup taken before the upgrade",
        )
    pending = f"; {len(missing)} migration(s) to apply at the next start" if missing else ""
    return Check("database", True, f"{path}: writable, intact{pending}")


def check_roadmap(settings: Settings) -> list[Check]:
    try:
        roadmap = load(settings.roadmap_path)
    except RoadmapError as exc:
        first = exc.errors[0] if exc.errors else str(exc)
        return [
            Check(
                "roadmap",
                False,
                first,
                f"fix it, then `studybot roadmap check {settings.roadmap_path}`",
            )
        ]
    schedule = roadmap.schedule
    return [
        Check("roadmap", True, f"{roadmap.title}: {plural(len(roadmap.topics), 'topic')}"),
        Check("time zone", True, f"{schedule.timezone} (posts keep their local time across DST)"),
    ]


def check_disk(settings: Settings) -> Check:
    folder = Path(settings.db_path).resolve().parent
    free = shutil.disk_usage(folder if folder.exists() else Path.cwd()).free
    return Check(
        "disk",
        free >= MIN_FREE_DISK,
        f"{free / 2**30:.1f} GiB free in {folder}",
        "free some space: SQLite needs room to write, and a backup needs as much as the file",
    )


def run_checks(
    settings: Settings, client: WebClient, malformed: Sequence[ConfigError] = ()
) -> list[Check]:
    """Every check, in the order an operator sets things up. A malformed SLACK_API_URL
    leaves the Slack checks out: they would ask slack.com instead of the Slack meant."""
    checks: list[Check | None] = [*check_configuration(settings, malformed)]
    slack = "SLACK_API_URL" not in {error.variable for error in malformed}
    checks += check_slack(settings, client) if slack else []
    checks.append(check_signing_secret(settings))
    checks.append(check_app_token(settings, client) if slack else None)
    checks += [check_database(settings), *check_roadmap(settings), check_disk(settings)]
    return [c for c in checks if c is not None]


def report(checks: list[Check], out: TextIO) -> int:
    """Print the checklist; 0 when everything passed, else 1."""
    width = max(len(c.name) for c in checks)
    for c in checks:
        mark = "–" if not c.checked else "✓" if c.ok else "✗"
        print(f"  {mark} {c.name:<{width}}  {c.found}", file=out)
        if not c.ok and c.fix:
            print(f"{' ' * (width + 6)}→ {c.fix}", file=out)
    failed = sum(not c.ok for c in checks)
    print(f"\n{plural(failed, 'problem')} found." if failed else "\nAll good.", file=out)
    return 1 if failed else 0


def command(
    settings: Settings, out: TextIO = sys.stdout, malformed: Sequence[ConfigError] = ()
) -> int:
    """`studybot doctor`; `malformed`: the variables Settings.from_env could not read."""
    # No retries: a check that fails should say so now, not after a minute of backing off;
    # and each failure is reported once, in the checklist, not again by slack_sdk's logger.
    client = WebClient(
        token=settings.bot_token, base_url=settings.api_url, timeout=10, retry_handlers=[]
    )
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)
    print("studybot doctor", file=out)
    return report(run_checks(settings, client, malformed), out)
