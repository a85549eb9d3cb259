"""create_app(): the Bolt app, with every listener module's routes registered in one place.

It is built in two steps, so that `studybot run` can answer /healthz before the slow part:
new_app() is the Bolt app alone, whose requests wait at its gate (bot/slack/gate.py);
install() loads the listener modules and hands the app its dependencies, opening the gate."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.settings import Settings
from bot.slack.client import web_client
from bot.slack.courtesy import Courtesy
from bot.slack.gate import Gate

if TYPE_CHECKING:  # the listeners, the database and the roadmap are loaded by install()
    from bot.core.clock import Clock
    from bot.core.db import Pool
    from bot.core.deps import Deps
    from bot.core.event_writer import EventWriter
    from bot.core.roadmap_load import RoadmapStore
    from bot.slack.routes import Routes

log = logging.getLogger(__name__)


def wire() -> Routes:
    """The routes of every listener module (the one place they are all named)."""
    from bot.slack.listeners import (
        actions,
        admin,
        archive,
        buddy,
        commands,
        fallbacks,
        home,
        lead,
        qa_command,
        review,
        vote,
    )
    from bot.slack.routes import Routes

    routes = Routes()
    for listeners in (
        commands,
        qa_command,
        review,
        buddy,
        lead,
        admin,
        archive,
        home,
        actions,
        vote,
        fallbacks,
    ):
        listeners.register(routes)
    return routes


@functools.cache
def routes() -> Routes:
    """The app's routes, wired once, when first asked for: importing the listener modules is
    most of the bot's start-up, which /healthz does not wait for."""
    return wire()


def subscribed_events() -> set[str]:
    """Every event type the app subscribes to: manifest.yml must list exactly these, and
    exactly routes().commands (a test holds them together)."""
    return routes().subscribed_events()


# After auth.test failed, requests go on without the bot's ids for this long before it is
# asked again (each try may take seconds of retries).
AUTH_RETRY_SECONDS = 30.0
# How long requests wait for auth.test's answer, from when it was asked, before going on
# without the bot's ids: Slack wants the answer within 3 s, and a listener has its own 2.5 s
# (ack_wait.py).
AUTH_WAIT_SECONDS = 0.4


def _authorize(client: WebClient) -> Callable[..., AuthorizeResult]:
    """Bolt's own single-workspace authorization calls auth.test on the first request and,
    when that fails (Slack's API unreachable just after a restart), answers every request 200
    "reinstall this app": events acknowledged that way are never recorded, and Slack does not
    deliver them again. Here a failed auth.test is logged and the request goes on with the
    bot token alone (the archive skips bot messages by their bot_id anyway); auth.test is
    asked again later, and its answer kept. It is asked on a thread of its own, waited for
    up to AUTH_WAIT_SECONDS after it was asked: a Slack slow to answer it (up to the client's
    10 s timeout) kept the requests arriving meanwhile from being answered in Slack's 3 s."""
    lock = threading.Lock()
    found: list[Any] = []
    failed_at = [-AUTH_RETRY_SECONDS]
    # The auth.test under way: set when it has its answer, and when to stop waiting for it.
    asking: list[tuple[threading.Event, float]] = []

    def ask(answered: threading.Event) -> None:
        try:
            auth = client.auth_test()
        except Exception as exc:  # SlackApiError or the network
            why = (
                exc.response.get("error")
                if isinstance(exc, SlackApiError)
                else exc.__class__.__name__
            )
            log.warning("auth.test failed (%s); going on without the bot's ids", why)
            with lock:
                failed_at[0] = time.monotonic()
        else:
            with lock:
                found.append(auth)
        finally:
            with lock:
                asking.clear()
            answered.set()

    def authorize(user_id: str | None) -> AuthorizeResult:
        with lock:
            if not found and not asking and time.monotonic() - failed_at[0] >= AUTH_RETRY_SECONDS:
                asking.append((threading.Event(), time.monotonic() + AUTH_WAIT_SECONDS))
                threading.Thread(
                    target=ask, args=(asking[0][0],), name="auth-test", daemon=True
                ).start()
            pending = asking[0] if asking and not found else None
        if pending is not None:
            answered, until = pending
            answered.wait(max(0.0, until - time.monotonic()))
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
    from bot.core.clock import SystemClock
    from bot.core.db import Pool
    from bot.core.deps import Deps
    from bot.core.roadmap_load import RoadmapStore

    pool = pool or Pool(settings.db_path, checkpoints=True)
    roadmaps = roadmaps or RoadmapStore(settings.roadmap_path, settings.track)
    deps = Deps(settings=settings, pool=pool, roadmaps=roadmaps, clock=clock or SystemClock())
    app = new_app(settings, client)
    install(app, deps)
    return app


def new_app(settings: Settings, client: WebClient | None = None) -> App:
    """The Bolt app alone, configured: its requests wait at its gate until install()."""
    client = client or web_client(settings)
    # `authorize` gives each request its token, so Bolt gets the client without one (given
    # both, it warns at every start that the client's token will be ignored); the token goes
    # back on the client for what runs outside a request (the scheduler's posts).
    token, client.token = client.token, None
    after_ack = ThreadPoolExecutor(max_workers=AFTER_ACK_WORKERS, thread_name_prefix="after-ack")
    # Commands, actions and views are answered by their ack, so they get threads of their own:
    # on the events' threads, five Home tabs stuck on a slow Slack kept every command from
    # acking within 3 s. Threads start only as requests come in at once.
    answering = ThreadPoolExecutor(max_workers=ANSWERING_WORKERS, thread_name_prefix="answer")
    try:
        app = App(
            # Named, or Bolt finds a name by reading the source of every frame on the stack:
            # a tenth of a bare app's start-up.
            name="studybot",
            client=client,
            listener_executor=after_ack,
            # Bolt answers when the listener returns, not after polling for the ack every
            # 10 ms; the router's listeners return once ours acked (bot/slack/ack_wait.py).
            process_before_response=True,
            authorize=_authorize(client),
            signing_secret=settings.signing_secret or "",
            # Socket Mode requests are not signed; HTTP requests always are.
            request_verification_enabled=bool(settings.signing_secret),
            token_verification_enabled=False,
            # Slack's interactivity payloads carry `bot_access_token` (blank unless a workflow
            # function sent them); Bolt would put it on the listener's client in place of the
            # bot token. The bot has no functions: its own token always answers.
            attaching_function_token_enabled=False,
            # Our Front middleware drops the bot's own events, but for the deletion of its own
            # message: an /ask question it posted for a member (listeners/middleware.py).
            ignoring_self_events_enabled=False,
            raise_error_for_unhandled_request=False,
        )
    finally:
        client.token = token
    gate = Gate()
    app.middleware(gate)
    app.gate = gate  # type: ignore[attr-defined]
    app.after_ack = after_ack  # type: ignore[attr-defined]
    app.answering = answering  # type: ignore[attr-defined]
    # Replies nobody waits on start in a lull between Slack's requests (bot/slack/courtesy.py).
    app.courtesy = Courtesy(after_ack)  # type: ignore[attr-defined]
    return app


def install(app: App, deps: Deps) -> None:
    """Load the listener modules, give `app` its dependencies, and open its gate."""
    from bot.core.event_writer import EventWriter
    from bot.slack import router
    from bot.slack.event_checks import Replays
    from bot.slack.listeners import middleware
    from bot.slack.message_path import MessagePath

    table = routes()
    after_ack = app.after_ack  # type: ignore[attr-defined]
    writer = EventWriter(deps, table.recorders)
    writer.start()
    replays = Replays()
    app.deps = deps  # type: ignore[attr-defined]
    app.writer = writer  # type: ignore[attr-defined]
    router.install(app, table, events=after_ack, answering=app.answering)  # type: ignore[attr-defined]
    courtesy: Courtesy = app.courtesy  # type: ignore[attr-defined]
    gate_of(app).open(middleware.Front(deps, writer, replays, courtesy))
    if deps.settings.signing_secret:  # HTTP: members' messages skip Bolt's dispatch
        app.message_path = MessagePath(  # type: ignore[attr-defined]
            deps=deps,
            writer=writer,
            replays=replays,
            signing_secret=deps.settings.signing_secret,
            listener=router.direct(table.events["message"]),
            needed=functools.partial(table.wants, "message"),
            executor=after_ack,
            courtesy=courtesy,
            client=app.client,
        )


def gate_of(app: App) -> Gate:
    """The gate new_app put first among the app's middleware."""
    gate: Gate = app.gate  # type: ignore[attr-defined]
    return gate


def readiness(app: App) -> Callable[[], str | None]:
    """/readyz's question: once the app is built (waited for, as Slack's requests wait: a
    client that saw /healthz answer and asks at once is told the truth, not "starting"), is
    its database writable and intact? The problem if not, else None."""
    from bot.core import health

    def problem() -> str | None:
        if not gate_of(app).ready():
            return "starting"
        deps = deps_of(app)
        return health.readiness_problem(deps.pool, deps.health)

    return problem


# Threads for the work event listeners do after their ack, as many as Bolt's default.
AFTER_ACK_WORKERS = 5
# Threads for commands, actions and views: as many as may be stuck after their ack on a slow
# Slack (10 s a call) while another member's command still acks at once.
ANSWERING_WORKERS = 32


def finish_after_ack(app: App, timeout: float) -> bool:
    """Take no more after-ack work and wait up to `timeout` seconds for what is running (a
    reply being posted, a Home tab published); True when it all finished. Only then may the
    database be closed: closing a connection a listener is using crashes the interpreter."""
    deadline = time.monotonic() + timeout
    writer: EventWriter | None = getattr(app, "writer", None)  # None: never installed
    # The writer first: its last batch hands its messages to the after-ack threads.
    if writer is not None and not writer.close(timeout):
        return False
    # The servers have stopped: replies waiting for a lull go now, within the same time.
    courtesy: Courtesy = app.courtesy  # type: ignore[attr-defined]
    courtesy.finish(max(0.0, deadline - time.monotonic()))
    courtesy.close()
    executors: list[ThreadPoolExecutor] = [app.after_ack, app.answering]  # type: ignore[attr-defined]
    for executor in executors:
        # What has not started is dropped (its event is kept; a reply is skipped): a queue of
        # calls to a slow Slack would otherwise hold the exit for minutes.
        executor.shutdown(wait=False, cancel_futures=True)

    def wait_all() -> None:
        for executor in executors:
            executor.shutdown(wait=True)

    waiter = threading.Thread(target=wait_all, daemon=True)
    waiter.start()
    waiter.join(max(0.0, deadline - time.monotonic()))
    return not waiter.is_alive()


def deps_of(app: App) -> Deps:
    """The Deps that create_app gave this app (the scheduler and the console share them)."""
    deps: Deps = app.deps  # type: ignore[attr-defined]
    return deps
