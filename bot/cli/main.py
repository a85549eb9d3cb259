"""The studybot command line: run, console, roadmap check, post, faq export, backfill."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.cli import logs
from bot.core.settings import ConfigError, Settings

if TYPE_CHECKING:  # `roadmap check` needs neither the Slack client nor sqlite_utils
    from slack_bolt import App

    from bot.core.db import Pool
    from bot.core.roadmap_load import RoadmapStore
    from bot.slack.scheduler import PostScheduler
    from bot.slack.server import HttpServer

log = logging.getLogger("studybot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studybot", description="Study Companion: a Slack app for a team's reading group."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser("run", help="run the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)")

    console = sub.add_parser("console", help="try the bot locally against a Slack stand-in")
    console.add_argument("--db", help="SQLite file to keep (default: a throwaway one)")
    console.add_argument("--roadmap", help="roadmap file (default: STUDYBOT_ROADMAP)")
    console.add_argument("--at", help="start the clock at this ISO date/time (default: now)")
    console.add_argument("--user", default="U0MEMBER1", help="the member you type as")
    console.add_argument("--member", action="store_true", help="type as a member, not an organizer")
    console.add_argument(
        "--socket",
        action="store_true",
        help="run the app over Socket Mode (a local Socket Mode stand-in) instead of signed HTTP",
    )

    roadmap = sub.add_parser("roadmap", help="roadmap tools")
    roadmap_sub = roadmap.add_subparsers(dest="roadmap_command", metavar="ACTION")
    roadmap_sub.required = True
    check = roadmap_sub.add_parser("check", help="validate a roadmap and print its summary")
    check.add_argument("path", nargs="?", help="roadmap file (default: STUDYBOT_ROADMAP)")
    check.add_argument(
        "--strict",
        action="store_true",
        help="the curriculum rules' warnings are errors too (exit 1); CI checks roadmap.yaml so",
    )
    check.add_argument(
        "--stats",
        action="store_true",
        help="per track: weeks, core hours a week, paid total (core / optional), topics without "
        "an exercise, resources without a pointer",
    )

    post = sub.add_parser("post", help="send a scheduled post now (once per week and kind)")
    post.add_argument("kind", choices=["weekly", "nudge", "recap"])
    post.add_argument("--force", action="store_true", help="send even if already sent this week")

    faq = sub.add_parser("faq", help="the Q&A archive as an FAQ")
    faq_sub = faq.add_subparsers(dest="faq_command", metavar="ACTION")
    faq_sub.required = True
    export = faq_sub.add_parser("export", help="write the answered Q&A as Markdown")
    export.add_argument("--topic", help="only this topic id")
    export.add_argument("--out", help="write to this file (default: standard output)")

    backup = sub.add_parser(
        "backup", help="a consistent copy of the database, even while the bot runs"
    )
    backup.add_argument("file", help="where to write the copy")
    restore = sub.add_parser(
        "restore", help="put a backup in place of the database (stop the bot first)"
    )
    restore.add_argument("file", help="the backup to restore")

    sub.add_parser(
        "doctor",
        help="check tokens, scopes, channel, database, roadmap, time zone and disk (exit 1 on a problem)",
    )

    backfill = sub.add_parser("backfill", help="import past questions and answers from the channel")
    backfill.add_argument("--days", type=int, default=90, help="how far back (default: 90)")

    cal = sub.add_parser("calendar", help="the reading schedule as a calendar file (.ics)")
    cal_sub = cal.add_subparsers(dest="calendar_command", metavar="ACTION")
    cal_sub.required = True
    cal_export = cal_sub.add_parser("export", help="write the schedule as an .ics file")
    cal_post = cal_sub.add_parser("post", help="upload the .ics file to the study channel")
    for action in (cal_export, cal_post):
        action.add_argument("--track", help="this track's topics (default: the group's track)")
    cal_export.add_argument("--out", help="write to this file (default: standard output)")

    browse = sub.add_parser(
        "browse",
        help="open the Q&A archive read-only in Datasette (pip install 'studybot[browse]')",
    )
    browse.add_argument("--port", type=int, default=8001, help="port to serve on (default: 8001)")
    browse.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)"
    )
    browse.add_argument("--no-open", action="store_true", help="do not open a web browser")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.setup(args.verbose)
    try:
        # doctor lists every malformed variable in its checklist (exit 1) instead of
        # stopping at the first (exit 2): finding them is what it is run for.
        problems: list[ConfigError] | None = [] if args.command == "doctor" else None
        settings = Settings.from_env(os.environ, problems=problems)
        # The settings hold the token now. Bolt would read it from the environment again
        # and warn at every start that the client we give it overrides it.
        os.environ.pop("SLACK_BOT_TOKEN", None)
        logs.setup(args.verbose, settings.log_format)
        if args.command == "doctor":
            from bot.cli import doctor

            return doctor.command(settings, malformed=problems or [])
        return _dispatch(args, settings)
    except ConfigError as exc:
        _refuse(f"configuration error: {exc}")
        return 2
    except SystemExit as exc:
        if not isinstance(exc.code, str):
            raise
        _refuse(exc.code.removeprefix("studybot: "))  # e.g. Slack refused the app token
        return 1
    except ModuleNotFoundError as exc:
        package = (exc.name or "").partition(".")[0]
        if not package or package == "bot":
            raise  # our own code is broken: the traceback says where
        print(
            f"studybot: the {package} package is missing; reinstall studybot with its "
            "dependencies (pip install .)",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


def _refuse(message: str) -> None:
    """The one line a command that cannot go on prints on standard error: a JSON log line with
    STUDYBOT_LOG_FORMAT=json (every line the collector reads is JSON), else plain text."""
    try:
        fmt = Settings.from_env(os.environ, problems=[]).log_format
    except ConfigError:  # a .env that cannot be read: no format to go by
        fmt = "text"
    if fmt == "json":
        logs.setup(False, "json")
        logging.getLogger("studybot").error(message)
    else:
        print(f"studybot: {message}", file=sys.stderr)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        return run(settings)
    if args.command == "console":
        from bot.cli import console

        return console.main(settings, args)
    if args.command == "roadmap":
        from bot.cli import roadmap_check as roadmap_cli

        return roadmap_cli.check(
            args.path or settings.roadmap_path, strict=args.strict, stats=args.stats
        )
    if args.command == "post":
        from bot.cli import post as posts_cli

        return posts_cli.post(settings, args.kind, force=args.force)
    if args.command == "faq":
        from bot.cli import faq

        return faq.export_command(settings, topic=args.topic, out=args.out)
    if args.command in ("backup", "restore"):
        return _backup_or_restore(args.command, args.file, settings)
    if args.command == "backfill":
        from bot.cli import backfill

        return backfill.command(settings, days=args.days)
    if args.command == "calendar":
        from bot.cli import calendar as calendar_cli

        if args.calendar_command == "export":
            return calendar_cli.export(settings, track=args.track, out=args.out)
        return calendar_cli.post(settings, track=args.track)
    if args.command == "browse":
        from bot.cli import browse

        return browse.command(
            settings, host=args.host, port=args.port, open_browser=not args.no_open
        )
    raise AssertionError(args.command)


def _backup_or_restore(command: str, file: str, settings: Settings) -> int:
    from bot.core import backup

    if os.path.isdir(settings.db_path):
        # Said before anything is copied: a restore would move the whole folder aside.
        raise ConfigError("STUDYBOT_DB", f"{settings.db_path} is a folder; name the database file")
    try:
        if command == "backup":
            backup.backup(settings.db_path, file)
            print(f"backed up {settings.db_path} to {file}")
        else:
            kept = backup.restore(file, settings.db_path)
            print(
                f"restored {file} to {settings.db_path}"
                + (f"; the replaced file is {kept}" if kept else "")
            )
    except backup.BackupError as exc:
        print(f"studybot {command}: {exc}", file=sys.stderr)
        return 1
    return 0


def open_deps_or_exit(settings: Settings) -> tuple[Pool, RoadmapStore]:
    """The database pool and roadmap store; a problem with either is a configuration error."""
    check_database_or_exit(settings)
    return _open_checked(settings)


def check_database_or_exit(settings: Settings) -> None:
    """A database that cannot be written or is damaged is a configuration error."""
    from bot.core.health import startup_problem

    problem = startup_problem(settings.db_path)
    if problem:
        raise ConfigError("STUDYBOT_DB", problem)


def _open_checked(settings: Settings, checkpoints: bool = False) -> tuple[Pool, RoadmapStore]:
    """open_deps_or_exit() after check_database_or_exit(); `checkpoints`: see Pool."""
    from bot.core import health
    from bot.core.backup import BackupError, before_migrations
    from bot.core.db import Pool
    from bot.core.roadmap import RoadmapError
    from bot.core.roadmap_load import RoadmapStore, UnknownTrack

    try:
        kept = before_migrations(settings.db_path)
    except BackupError as exc:
        raise ConfigError("STUDYBOT_DB", f"no backup before migrating: {exc}") from None
    if kept:
        log.info("backed the database up to %s before migrating it", kept)
    try:
        pool = Pool(settings.db_path, checkpoints=checkpoints)
    except sqlite3.Error as exc:
        if health.is_locked(exc):
            raise ConfigError(
                "STUDYBOT_DB",
                f"{settings.db_path} is locked: another process is writing to it and did not "
                "let go within 10 s (a sqlite3 shell, a restore?); try again once it is done",
            ) from None
        raise ConfigError("STUDYBOT_DB", f"cannot open {settings.db_path}: {exc}") from None
    try:
        roadmaps = RoadmapStore(settings.roadmap_path, settings.track)
    except UnknownTrack as exc:
        raise ConfigError("STUDYBOT_TRACK", exc.errors[0]) from None
    except RoadmapError as exc:
        first = exc.errors[0] if exc.errors else str(exc)
        more = (
            f" (and {len(exc.errors) - 1} more; run `studybot roadmap check`)"
            if len(exc.errors) > 1
            else ""
        )
        raise ConfigError("STUDYBOT_ROADMAP", f"{first}{more}") from None
    return pool, roadmaps


def run(settings: Settings) -> int:
    """The bot, until SIGINT/SIGTERM. SIGHUP re-reads the roadmap.

    In HTTP mode the server answers /healthz (the process is alive) before the database is
    migrated, the roadmap read and the listeners loaded, most of the start-up; Slack's requests
    and /readyz wait for those (bot/slack/gate.py). A problem found then still stops the bot
    with one line (exit 2); a damaged or read-only database stops it before it listens."""
    settings.require("bot_token", "channel")
    if not settings.app_token:
        settings.require("signing_secret")
    check_database_or_exit(settings)
    # Imported here, not at the top, so that `roadmap check` starts fast. A missing package
    # stops the bot (main() names it in one line).
    from bot.slack.app import finish_after_ack, new_app

    # A stop asked for while starting (the platform saw /healthz and moved on) is taken once
    # started, so that it is the usual clean shutdown.
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    app = new_app(settings)
    server = None if settings.app_token else _start_http(app, settings)
    pool, roadmaps = _build(app, settings, server)
    scheduler = _start_scheduler(app)
    sighup = getattr(signal, "SIGHUP", None)  # not on Windows
    if sighup is not None:
        signal.signal(sighup, lambda *_: roadmaps.reload())

    try:
        if server is None:
            _run_socket_mode(app, settings, stop)
        else:
            _run_http(server, stop)
    finally:
        # Committed work is safe without a close (WAL); closing under a listener or a job
        # still at work would crash, so the database is closed only once the scheduled jobs
        # (a post or a DM waiting on Slack) and the work after the acks are done.
        jobs_done = scheduler.stop()
        if jobs_done and finish_after_ack(app, SHUTDOWN_WAIT):
            pool.close()
        else:
            if jobs_done:
                log.warning("work after an ack still running after %.0f s; exiting", SHUTDOWN_WAIT)
            # The interpreter would wait for those threads at exit, each as long as a slow
            # Slack keeps its calls (10 s and retries). What was acknowledged is committed.
            logging.shutdown()
            os._exit(0)
    return 0


def _build(app: App, settings: Settings, server: HttpServer | None) -> tuple[Pool, RoadmapStore]:
    """Open the database and the roadmap and install the listeners, opening the app's gate;
    on a problem, the requests waiting at the gate are answered and the server stopped."""
    from bot.core.clock import SystemClock
    from bot.core.deps import Deps
    from bot.slack.app import gate_of, install

    try:
        pool, roadmaps = _open_checked(settings, checkpoints=True)
        install(app, Deps(settings=settings, pool=pool, roadmaps=roadmaps, clock=SystemClock()))
    except BaseException:
        gate_of(app).fail()
        if server is not None:
            server.stop()
        raise
    return pool, roadmaps


# How long a stopping bot waits for listeners still working after their ack.
SHUTDOWN_WAIT = 10.0


def _start_scheduler(app: App) -> PostScheduler:
    """The posts' scheduler, started as `studybot run` starts it (the benchmark does too)."""
    from bot.slack import scheduler
    from bot.slack.app import deps_of

    return scheduler.start(deps_of(app), app.client)


def _start_http(app: App, settings: Settings) -> HttpServer:
    """The HTTP server, answering /healthz at once; /readyz waits until the app is built."""
    from bot.slack.app import readiness
    from bot.slack.server import make_server

    try:
        server = make_server(app, "0.0.0.0", settings.port, ready=readiness(app))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                "PORT", f"port {settings.port} is in use (another studybot, or another server?)"
            ) from None
        raise ConfigError(
            "PORT", f"cannot listen on port {settings.port}: {exc.strerror or exc}"
        ) from None
    return server.start()


def _run_http(server: HttpServer, stop: threading.Event) -> None:
    log.info(
        "HTTP mode: listening on port %d (POST /slack/events, GET /healthz, GET /readyz)",
        server.port,
    )
    stop.wait()
    log.info("shutting down")
    server.stop()


def _run_socket_mode(app: App, settings: Settings, stop: threading.Event) -> None:
    from slack_sdk.errors import SlackApiError

    from bot.slack.socket_mode import FIRST_LINK_SECONDS, SocketMode

    # app.client already points at SLACK_API_URL; apps.connections.open gets the app token.
    link = SocketMode(app, settings.app_token or "")
    try:
        if not link.start(stop=stop) and not stop.is_set():
            log.warning(
                "Socket Mode: no link after %.0f s; still trying (is wss-primary.slack.com reachable?)",
                FIRST_LINK_SECONDS,
            )
    except SlackApiError as exc:
        link.close()
        raise SystemExit(
            f"studybot: Socket Mode: Slack refused the connection ({exc.response.get('error')}); "
            "check SLACK_APP_TOKEN"
        ) from None
    stop.wait()
    log.info("shutting down")
    link.close()


if __name__ == "__main__":
    sys.exit(main())
