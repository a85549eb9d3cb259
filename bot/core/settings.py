"""Settings: every configuration variable defined once, read once from the environment and .env."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_API_URL = "https://slack.com/api/"


class ConfigError(Exception):
    """A missing or malformed variable; its message is one line naming the variable."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


def _text(value: str) -> str:
    return value.strip()


def _port(value: str) -> int:
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise ValueError("must be a port number between 1 and 65535")
    return int(value)


def _url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("must be an http(s) URL such as https://slack.com/api/")
    return value if value.endswith("/") else value + "/"


def _channel(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[CGD][A-Z0-9]+", value):
        raise ValueError("must be a channel ID such as C0123ABCD (not a #name)")
    return value


def _user_ids(value: str) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in value.split(",") if part.strip())
    for user_id in ids:
        if not re.fullmatch(r"[UW][A-Z0-9]+", user_id):
            raise ValueError(f"{user_id!r} is not a user ID such as U0123ABCD")
    return ids


def _token(prefix: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if not value.startswith(prefix):
            raise ValueError(f"must start with {prefix}")
        return value

    return parse


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip().lower()
        if value not in allowed:
            raise ValueError("must be one of " + ", ".join(allowed))
        return value

    return parse


def _setting(
    env: str, default: Any, help: str, parse: Callable[[str], Any] = _text, secret: bool = False
) -> Any:
    # Secrets stay out of repr(), so no log line or traceback that shows the settings leaks them.
    return field(
        default=default, repr=not secret, metadata={"env": env, "help": help, "parse": parse}
    )


@dataclass(frozen=True)
class Settings:
    """The bot's configuration. Built by the CLI; everything else only receives it."""

    bot_token: str | None = _setting(
        "SLACK_BOT_TOKEN", None, "bot token (xoxb-…)", _token("xoxb-"), secret=True
    )
    signing_secret: str | None = _setting(
        "SLACK_SIGNING_SECRET", None, "request signing secret, HTTP mode", secret=True
    )
    app_token: str | None = _setting(
        "SLACK_APP_TOKEN",
        None,
        "app-level token (xapp-…); when set, `run` uses Socket Mode",
        _token("xapp-"),
        secret=True,
    )
    api_url: str = _setting(
        "SLACK_API_URL", DEFAULT_API_URL, "Web API base URL (GovSlack, or a local stand-in)", _url
    )
    channel: str | None = _setting(
        "STUDYBOT_CHANNEL",
        None,
        "channel ID that gets the scheduled posts and whose questions are kept",
        _channel,
    )
    db_path: str = _setting("STUDYBOT_DB", "studybot.db", "SQLite file")
    roadmap_path: str = _setting("STUDYBOT_ROADMAP", "roadmap.yaml", "roadmap file")
    admins: tuple[str, ...] = _setting(
        "STUDYBOT_ADMINS",
        (),
        "comma-separated user IDs allowed to run organizer commands "
        "(workspace admins/owners are allowed too)",
        _user_ids,
    )
    port: int = _setting("PORT", 3000, "HTTP port", _port)
    question_prefix: str = _setting(
        "STUDYBOT_QUESTION_PREFIX",
        "Q:",
        "a top-level message starting with this (or containing a `?`) is kept as a question",
    )
    log_format: str = _setting(
        "STUDYBOT_LOG_FORMAT",
        "text",
        "`text` or `json` (one JSON object a line, for hosted log collectors)",
        _choice("text", "json"),
    )
    track: str | None = _setting(
        "STUDYBOT_TRACK",
        None,
        "roadmap track to follow, e.g. `career-switch` (overrides the roadmap's `schedule.track`)",
    )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        dotenv: str | Path | None = ".env",
        problems: list[ConfigError] | None = None,
    ) -> Settings:
        """Build from `environ` (the CLI passes the process environment: it is the only reader),
        then `.env` for variables the environment lacks. The first malformed variable raises
        ConfigError; with a `problems` list, each is added to it instead and left unset (what
        `doctor` wants: every problem in its checklist, not only the first). A `.env` that
        cannot be read raises either way."""
        values: dict[str, str] = {}
        if dotenv is not None and Path(dotenv).is_file():
            values.update(_dotenv(Path(dotenv)))  # unreadable: nothing to check, so raised
        values.update(environ)
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            raw = values.get(f.metadata["env"])
            if raw is None or raw.strip() == "":
                continue
            try:
                kwargs[f.name] = f.metadata["parse"](raw)
            except ValueError as exc:
                error = ConfigError(f.metadata["env"], str(exc))
                if problems is None:
                    raise error from None
                problems.append(error)
        return cls(**kwargs)

    def require(self, *names: str) -> None:
        """Raise ConfigError for the first of these fields that is unset."""
        for f in fields(self):
            if f.name in names and getattr(self, f.name) in (None, "", ()):
                raise ConfigError(f.metadata["env"], f"is required ({f.metadata['help']})")

    def is_admin_id(self, user_id: str) -> bool:
        """Whether STUDYBOT_ADMINS names this user."""
        return user_id in self.admins


def _dotenv(path: Path) -> dict[str, str]:
    """The variables a .env file sets; a file that cannot be read, or a line python-dotenv
    cannot parse (it would warn, then drop that variable and blame its absence), is a
    ConfigError naming it."""
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror or exc}") from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise ConfigError(
                f"{path}:{binding.original.line}",
                "cannot read this line as NAME=value (an unclosed quote?)",
            )
    found = dotenv_values(stream=io.StringIO(text))
    return {k: v for k, v in found.items() if v is not None}


def documented() -> list[tuple[str, str, str]]:
    """(variable, help, default) for every setting, in definition order: the README's table."""
    rows = []
    for f in fields(Settings):
        default = f.default
        if default in (None, ()):
            shown = "unset"
        elif isinstance(default, str) and default == "":
            shown = "empty"
        else:
            shown = f"`{default}`"
        rows.append((f.metadata["env"], f.metadata["help"], shown))
    return rows
