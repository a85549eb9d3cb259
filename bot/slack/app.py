"""create_app(): the Bolt app with every listener registered in one place."""

from __future__ import annotations

import http.client
import inspect
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Args, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import ingest
from bot.core.clock import Clock, SystemClock
from bot.core.db import Pool
from bot.core.deps import Deps
from bot.core.roadmap_load import RoadmapStore
from bot.core.settings import Settings
from bot.slack.client import web_client
from bot.slack.listeners import actions as member_actions
from bot.slack.listeners import admin, archive, commands, events, home, middleware, qa_command

log = logging.getLogger(__name__)

# The manifest (manifest.yml) must list exactly these; a test holds the two together.
COMMANDS: dict[str, Callable[..., Any]] = {
    "/nexttopic": commands.next_topic,
    "/resources": commands.resources,
    "/roadmap": commands.roadmap,
    "/progress": commands.progress,
    "/ask": commands.ask,
    "/qa": qa_command.qa_command,
    "/studygroup": admin.studygroup,
}
EVENTS: dict[str, Callable[..., Any]] = {
    "message": archive.on_message,
    "reaction_added": archive.on_reaction,
    "reaction_removed": archive.on_reaction,
    "app_home_opened": home.home_opened,
    "member_joined_channel": home.member_joined,
}
# Events subscribed to only so the archive records them (in middleware, before the ack).
RECORDED_EVENTS: tuple[str, ...] = ()
ACTIONS: dict[str | re.Pattern[str], Callable[..., Any]] = {
    "home_done": home.tick_topic,
    "home_resources": home.show_resources,
    "home_ask": home.ask,
    re.compile(r"^home_admin_(skip|extend|pause|resume)$"): home.organizer_control,
    archive.MARK_ANSWERED: archive.mark_answered,
    re.compile(r"^member_done(:\w+)?$"): member_actions.done,
    re.compile(r"^member_undo(:\w+)?$"): member_actions.undo,
    re.compile(r"^member_resources(:\w+)?$"): member_actions.show_resources,
    re.compile(r"^member_roadmap(:\w+)?$"): member_actions.roadmap_page,
    "member_share": member_actions.share,
}
VIEWS: dict[str, Callable[..., Any]] = {
    "member_ask": member_actions.ask_submitted,
}
# Called inside the event-dedupe transaction with (deps, event): the archive's writes.
RECORDERS: tuple[middleware.Recorder, ...] = (ingest.record,)


# After auth.test failed, requests go on without the bot's ids for this long before it is
# asked again (each try may take seconds of retries).
AUTH_RETRY_SECONDS = 30.0


def _authorize(client: WebClient) -> Callable[..., AuthorizeResult]:
    """Bolt's own single-workspace authorization calls auth.test on the first request and,
    when that fails (Slack's API unreachable just after a restart), answers every request 200
    "reinstall this app": events acknowledged that way are never recorded, and Slack does not
    deliver them again. Here a failed auth.test is logged and the request goes on with the
    bot token alone (the archive skips bot messages by their bot_id anyway); auth.test is
    asked again later, and its answer kept."""
    lock = threading.Lock()
    found: list[Any] = []
    failed_at = [-AUTH_RETRY_SECONDS]

    def authorize(user_id: str | None) -> AuthorizeResult:
        with lock:
            if not found and time.monotonic() - failed_at[0] >= AUTH_RETRY_SECONDS:
                try:
                    found.append(client.auth_test())
                except Exception as exc:  # SlackApiError or the network
                    failed_at[0] = time.monotonic()
                    why = (
                        exc.response.get("error")
                        if isinstance(exc, SlackApiError)
                        else exc.__class__.__name__
                    )
                    log.warning("auth.test failed (%s); going on without the bot's ids", why)
        auth = found[0] if found else None
        return AuthorizeResult(
            enterprise_id=auth.get("enterprise_id") if auth else None,
            team_id=auth.get("team_id") if auth else None,
            bot_id=auth.get("bot_id") if auth else None,
            bot_user_id=auth.get("user_id") if auth else None,
            bot_token=client.token,
            user_id=user_id,
            bot_scopes=auth.headers.get("x-oauth-scopes") if auth else None,
        )

    return authorize


def create_app(
    settings: Settings,
    *,
    pool: Pool | None = None,
    roadmaps: RoadmapStore | None = None,
    clock: Clock | None = None,
    client: WebClient | None = None,
) -> App:
    """A fresh Bolt app for these settings; tests build one each."""
    pool = pool or Pool(settings.db_path)
    roadmaps = roadmaps or RoadmapStore(settings.roadmap_path, settings.track)
    deps = Deps(settings=settings, pool=pool, roadmaps=roadmaps, clock=clock or SystemClock())
    client = client or web_client(settings)
    app = App(
        client=client,
        authorize=_authorize(client),
        signing_secret=settings.signing_secret or "",
        # Socket Mode requests are not signed; HTTP requests always are.
        request_verification_enabled=bool(settings.signing_secret),
        token_verification_enabled=False,
        ignoring_self_events_enabled=True,
        raise_error_for_unhandled_request=False,
    )
    app.deps = deps  # type: ignore[attr-defined]

    app.middleware(middleware.Front(deps, RECORDERS))

    # One Bolt listener per kind of request, each choosing ours by name: Bolt asks every
    # listener in turn whether it matches, building its arguments each time, which cost more
    # than archiving a message. Events first: they are most of the traffic. Anything else
    # Slack sends still gets a 2xx, or Slack keeps re-delivering it (or shows the member an
    # error): the fallbacks.
    any_name = re.compile(".*")
    app.event(any_name)(_router(EVENTS, lambda a: _field(a.event, "type"), events.ignore))
    app.command(any_name)(
        _router(COMMANDS, lambda a: _field(a.command, "command"), events.unknown_command)
    )
    app.action(any_name)(
        _router(ACTIONS, lambda a: _field(a.action, "action_id"), events.unknown_interaction)
    )
    app.view(any_name)(
        _router(VIEWS, lambda a: _field(a.view, "callback_id"), events.unknown_interaction)
    )
    app.error(_log_error)
    return app


def deps_of(app: App) -> Deps:
    """The Deps that create_app gave this app (the scheduler and the console share them)."""
    deps: Deps = app.deps  # type: ignore[attr-defined]
    return deps


def _field(payload: Any, name: str) -> str | None:
    value = payload.get(name) if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None


def _router(
    table: dict[Any, Callable[..., Any]],
    name_of: Callable[[Args], str | None],
    fallback: Callable[..., Any],
) -> Callable[[Args], None]:
    """The listener of `table` whose name (or pattern, as Bolt would search it) fits the
    request, else `fallback`; each guarded."""
    fixed = {key: _guarded(listener) for key, listener in table.items() if isinstance(key, str)}
    patterns = [(key, _guarded(fn)) for key, fn in table.items() if isinstance(key, re.Pattern)]
    otherwise = _guarded(fallback)

    def route(args: Args) -> None:
        name = name_of(args)
        chosen = fixed.get(name) if name is not None else None
        if chosen is None and name is not None:
            chosen = next((fn for pattern, fn in patterns if pattern.search(name)), None)
        (chosen or otherwise)(args)

    return route


SORRY = "Sorry, something went wrong on my side. Please try again in a minute."


def _guarded(listener: Callable[..., Any]) -> Callable[..., Any]:
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
            deps = args.context.get("deps")
            if deps is not None:
                deps.health.saw(error)  # damage seen anywhere makes the bot "not ready"
            _log_error(error, args.body or {})
            if args.ack.response is None:
                if args.command:
                    args.ack(text=SORRY, response_type="ephemeral")
                else:
                    args.ack()

    run.__name__ = getattr(listener, "__name__", "listener")
    run.__qualname__ = getattr(listener, "__qualname__", run.__name__)
    run.__doc__ = listener.__doc__
    return run


def _arg_names(listener: Callable[..., Any]) -> tuple[str, ...]:
    """The arguments the listener asks for by name (as Bolt injects them: `args`, `ack`,
    `body`, `client`, `context`...), read once when it is registered."""
    by_name = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(
        name for name, p in inspect.signature(listener).parameters.items() if p.kind in by_name
    )


def _log_error(
    error: Exception, body: dict[str, Any], response: BoltResponse | None = None
) -> None:
    kind = body.get("type") or body.get("command") or "request"
    log.exception("listener failed on %s: %s", kind, error.__class__.__name__, exc_info=error)
    if response is not None and response.status == 500:
        # Listeners are guarded and our middleware answers its own failures, so what is left
        # is Slack or the network failing (503: Slack delivers it again later), or Bolt
        # tripping over a payload shape Slack never sends (400: the caller's error).
        temporary = (OSError, http.client.HTTPException, SlackApiError, sqlite3.DatabaseError)
        response.status = 503 if isinstance(error, temporary) else 400


def subscribed_events() -> set[str]:
    """Every event type the app subscribes to (for the manifest check)."""
    return set(EVENTS) | set(RECORDED_EVENTS)
