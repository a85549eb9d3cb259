"""Log set-up for every command: one line a record, text or JSON, that member input cannot forge."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys

# Control characters (a newline above all) in a logged payload field could start a forged line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# A token, or a response_url (it lets anyone answer in the channel for half an hour), in any
# line, whatever logged it: e.g. a library's debug dump of a request.
_SECRET = re.compile(
    r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+|(https://hooks\.slack\.com/)\S+", re.IGNORECASE
)

# Libraries' own lines, at normal verbosity (-v shows them all):
QUIET = {
    # one INFO line per job added, run and removed: the bot logs what the jobs mean itself
    "apscheduler": logging.WARNING,
    # an ERROR line for every failed attempt and an INFO line per retry, for a failure that
    # is then raised to the caller, which says it once (one line per problem)
    "slack_sdk.web.base_client": logging.CRITICAL,
    "slack_sdk.webhook.client": logging.CRITICAL,
}


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def redact(text: str) -> str:
    """`text` with Slack tokens and response URLs replaced by a mark."""
    return _SECRET.sub(lambda m: f"{m.group(1) or m.group(2)}…(redacted)", text)


class TextFormatter(logging.Formatter):
    """The usual text line, its message with control characters escaped (a traceback below
    it keeps its own lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = _escaped(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False))


def setup(verbose: bool = False, fmt: str = "text") -> None:
    """Log to standard error at INFO (DEBUG when verbose) in `fmt` ("text" or "json"), the
    libraries in QUIET at their level unless verbose."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else level)
