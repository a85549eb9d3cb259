"""One Bolt listener per kind of request, choosing ours from the routes by name, each guarded."""

from __future__ import annotations

import http.client
import inspect
import logging
import re
import socket
import sqlite3
import traceback
import urllib.error
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, Args, BoltResponse
from slack_sdk.errors import SlackApiError

from bot.core import health
from bot.core.db import DatabaseGone
from bot.slack.ack_wait import after_returning, until_acked
from bot.slack.routes import Routes

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side. Please try again in a minute."


def install(app: App, routes: Routes, *, events: Executor, answering: Executor) -> None:
    """Give `app` one listener per kind of request, routing by the tables of `routes`, and
    the error handler. Event listeners run on `events` (the event was answered already);
    commands, actions and views on `answering`, the request answered when they ack
    (bot/slack/ack_wait.py).

    One Bolt listener per kind, each choosing ours by name: Bolt asks every listener in turn
    whether it matches, building its arguments each time, which cost more than archiving a
    message (BENCHMARKS.md). Events first: they are most of the traffic. Anything else Slack
    sends still gets a 2xx, or Slack keeps re-delivering it (or shows the member an error):
    the fallbacks."""
    any_name = re.compile(".*")
    fallback = routes.fallbacks
    app.event(any_name)(
        after_returning(
            events,
            router(routes.events, lambda a: _field(a.event, "type"), fallback["event"]),
            lambda a: routes.wants(_field(a.event, "type"), a.context.get("recorded")),
        )
    )
    app.command(any_name)(
        until_acked(
            answering,
            router(routes.commands, lambda a: _field(a.command, "command"), fallback["command"]),
        )
    )
    app.action(any_name)(
        until_acked(
            answering,
            router(routes.actions, lambda a: _field(a.action, "action_id"), fallback["action"]),
        )
    )
    app.view(any_name)(
        until_acked(
            answering,
            router(routes.views, lambda a: _field(a.view, "callback_id"), fallback["view"]),
        )
    )
    app.error(log_error)


def _field(payload: Any, name: str) -> str | None:
    value = payload.get(name) if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None


def router(
    table: dict[Any, Callable[..., Any]],
    name_of: Callable[[Args], str | None],
    fallback: Callable[..., Any],
) -> Callable[[Args], None]:
    """The listener of `table` whose name (or pattern, as Bolt would search it) fits the
    request, else `fallback`; each guarded."""
    fixed = {key: guarded(listener) for key, listener in table.items() if isinstance(key, str)}
    patterns = [(key, guarded(fn)) for key, fn in table.items() if isinstance(key, re.Pattern)]
    otherwise = guarded(fallback)

    def route(args: Args) -> None:
        name = name_of(args)
        chosen = fixed.get(name) if name is not None else None
        if chosen is None and name is not None:
            chosen = next((fn for pattern, fn in patterns if pattern.search(name)), None)
        (chosen or otherwise)(args)

    return route


def guarded(listener: Callable[..., Any]) -> Callable[..., Any]:
    """The listener, with its failures logged and answered instead of passed on to Bolt.

    Bolt turns a failure before the ack into a 500, and loses an ack made just before a
    failure (the request then waits 3 s and is answered 404). Here a failure after the ack
    is only logged; one before it is answered (an apology for a command, a bare ack else)."""
    wanted = _arg_names(listener)  # once, at registration: not on every request

    def run(args: Args) -> None:
        kwargs = {
            name: args if name == "args" else getattr(args, name, args.context.get(name))
            for name in wanted
        }
        try:
            listener(**kwargs)
        except Exception as error:
            report(error, args.context, args.body)
            if args.ack.response is None:
                if args.command:
                    args.ack(text=SORRY, response_type="ephemeral")
                else:
                    args.ack()

    run.__name__ = getattr(listener, "__name__", "listener")
    run.__qualname__ = getattr(listener, "__qualname__", run.__name__)
    run.__doc__ = listener.__doc__
    return run


def direct(listener: Callable[..., Any]) -> Callable[[dict[str, Any]], None]:
    """`listener` called outside Bolt, after its request was acknowledged (the short path for
    messages, bot/slack/message_path.py), with what it asks for among `given` (ack, body,
    event, payload, context, client, logger); its failures logged as `guarded` logs them."""
    wanted = _arg_names(listener)

    def run(given: dict[str, Any]) -> None:
        try:
            listener(**{name: given.get(name) for name in wanted})
        except Exception as error:
            report(error, given["context"], given.get("body"))

    return run


def report(error: Exception, context: dict[str, Any], body: dict[str, Any] | None) -> None:
    """A listener's failure (or its work's after the ack): logged, and damage seen anywhere
    makes the bot "not ready"."""
    deps = context.get("deps")
    if deps is not None:
        deps.health.saw(error)
    log_error(error, body or {})


def _arg_names(listener: Callable[..., Any]) -> tuple[str, ...]:
    """The arguments the listener asks for by name (as Bolt injects them: `args`, `ack`,
    `body`, `client`, `context`...), read once when it is registered."""
    by_name = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(
        name for name, p in inspect.signature(listener).parameters.items() if p.kind in by_name
    )


# Failures talking to Slack over the network: said in one line, they are not our bug.
NETWORK = (
    urllib.error.URLError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    http.client.HTTPException,
)
# Unexpected failures whose traceback was logged already: (kind, where) -> times seen.
_traced: dict[tuple[str, str, int], int] = {}


def log_error(error: Exception, body: dict[str, Any], response: BoltResponse | None = None) -> None:
    """Bolt's error handler (and the guard's log): the failure, and the status it answers.

    Slack unreachable or refusing is one WARNING line; the database file removed, replaced or
    damaged one ERROR line saying what to do (locked, full or read-only: a WARNING line);
    anything else is a bug, logged as an
    ERROR line with its traceback the first time it happens at that place, and as one line
    after that (every traceback is at DEBUG with -v)."""
    kind = body.get("type") or body.get("command") or "request"
    if isinstance(error, SlackApiError):
        why = error.response.get("error") if isinstance(error.response.data, dict) else None
        log.warning(
            "listener failed on %s: Slack answered %s", kind, why or error.response.status_code
        )
        log.debug("the failure in full", exc_info=error)
    elif isinstance(error, DatabaseGone):
        # The database file removed or replaced: the line says what to do (/readyz says it).
        log.error("listener failed on %s: %s", kind, error)
        log.debug("the failure in full", exc_info=error)
    elif (why := health.unavailable(error)) is not None:
        # The database's state (damaged, locked, full), not a bug: one line with what to do.
        (log.error if health.is_damage(error) else log.warning)(
            "listener failed on %s: %s", kind, why
        )
        log.debug("the failure in full", exc_info=error)
    elif isinstance(error, NETWORK):
        reason = getattr(error, "reason", None) or error
        log.warning(
            "listener failed on %s: Slack unreachable (%s: %s)",
            kind,
            error.__class__.__name__,
            reason,
        )
        log.debug("the failure in full", exc_info=error)
    else:
        frame = traceback.extract_tb(error.__traceback__)[-1:] or None
        where = (
            (error.__class__.__name__, frame[0].filename, frame[0].lineno or 0) if frame else None
        )
        seen = _traced.get(where, 0) if where else 0
        if where:
            _traced[where] = seen + 1
        if not seen:
            log.error(
                "listener failed on %s: %s: %s",
                kind,
                error.__class__.__name__,
                error,
                exc_info=error,
            )
        else:
            log.error(
                "listener failed on %s: %s: %s (seen %d times; traceback logged the first time)",
                kind,
                error.__class__.__name__,
                error,
                seen + 1,
            )
            log.debug("the failure in full", exc_info=error)
    if response is not None and response.status == 500:
        # Listeners are guarded and our middleware answers its own failures, so what is left
        # is Slack or the network failing (503: Slack delivers it again later), or Bolt
        # tripping over a payload shape Slack never sends (400: the caller's error).
        temporary = (OSError, http.client.HTTPException, SlackApiError, sqlite3.DatabaseError)
        response.status = 503 if isinstance(error, temporary) else 400
