"""`studybot console`: the real app against a local Slack stand-in, driven from a prompt."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.cli import render
from bot.cli.console_forms import Form
from bot.cli.console_messages import Channel
from bot.cli.sandbox import Sandbox
from bot.core.clock import ManualClock
from bot.core.health import startup_problem
from bot.core.roadmap import RoadmapError
from bot.core.settings import Settings
from bot.slack.manual_scheduler import ManualScheduler
from bot.slack.organizer_controls import no_posts_reason

HELP = """\
Type what a member would type in Slack:
  /nexttopic, /resources free, /roadmap, /progress, /qa eigen, /ask …   slash commands
  any other text                       a message in the study channel (a question if it has "?")
  reply [N] TEXT                       reply in the thread of message #N (default: your last question)
  react [N] EMOJI / unreact [N] EMOJI  add or remove a reaction on #N (default: your last message),
                                       e.g. react white_check_mark to mark an answer
  edit N TEXT / delete N               edit or delete your message #N, as members can in Slack
  click N                              press button N of the last answer
  fill FIELD VALUE                     fill in the form the bot opened (e.g. `/ask` with no text:
                                       fill question Why?, fill topic svd, fill anonymous)
  submit / cancel                      send the form, or close it
  home                                 open the App Home tab
  join / leave                         join the study channel (as a newcomer), or leave it
  /buddy on, /lead on                  a study buddy each week (group DM when the weekly post
                                       goes out); take turns leading the discussion (a DM the
                                       day before; `time` shows when)
  as USER                              type as another member, e.g. as U0MEMBER2 (a member unless
                                       listed in STUDYBOT_ADMINS; you started as an organizer
                                       unless started with --member)
  time                                 the clock and the next scheduled posts
  next                                 fast-forward to the next scheduled post and run it
  advance 3d | 12h | 30m               move the clock forward, running posts that fall due
  help, quit"""


class Console:
    def __init__(self, box: Sandbox, user: str, out: Callable[[str], None] = print) -> None:
        self.box = box
        self.user = user
        self.out = out
        self.chat = Channel(box, out)
        self.buttons: list[dict[str, Any]] = []
        self.form: Form | None = None  # the modal the bot opened, being filled in
        self.seen_calls = 0
        self.box.slack.add_user(user, "you")
        self.box.slack.join(box.channel, user)  # the channel's members (conversations.members)
        self.scheduler = ManualScheduler(box.deps, box.app.client)

    # --- output --------------------------------------------------------------------

    def _show(self, title: str, payload: dict[str, Any]) -> None:
        self.out(f"┌ {title}")
        for line in render.message(payload, self.buttons):
            self.out(f"│ {line}")
        self.out("└")

    def _settle(self, quiet: float = 0.15, limit: float = 3.0) -> None:
        """Wait until the bot has stopped calling Slack (its work after the ack)."""
        deadline = time.time() + limit
        count = len(self.box.slack.calls)
        last_change = time.time()
        while time.time() < deadline:
            time.sleep(0.03)
            now_count = len(self.box.slack.calls)
            if now_count != count:
                count, last_change = now_count, time.time()
            elif time.time() - last_change >= quiet:
                break
        self._flush()

    def _flush(self) -> None:
        calls = self.box.slack.calls[self.seen_calls :]
        self.seen_calls += len(calls)
        for call in calls:
            if call.status != 200:
                self.out(
                    f"(Slack answered {call.method} with HTTP {call.status or 'a dropped connection'})"
                )
                continue
            params = call.params
            if call.method == "chat.postMessage":
                channel = params.get("channel", "")
                ts = self.chat.latest_ts(channel)
                n = self.chat.number(channel, ts)
                where = "in thread" if params.get("thread_ts") else f"in {channel}"
                if channel in self.box.slack.group_dms:
                    where = "in a group DM with " + ", ".join(self.box.slack.group_dms[channel])
                elif channel[:1] in ("U", "W", "D"):
                    where = f"in a DM to {channel if channel[:1] != 'D' else 'U' + channel[1:]}"
                self._show(f"#{n} studybot {where}", params)
            elif call.method == "chat.postEphemeral":
                self._show("studybot (only visible to you)", params)
            elif call.method == "response_url":
                self._show("studybot (reply)", params)
            elif call.method in ("views.publish", "views.open", "views.update", "views.push"):
                view = params.get("view")
                if isinstance(view, str):
                    view = json.loads(view)
                view = view or {}
                title = view.get("title", {}).get("text") or "App Home"
                self._show(f"{call.method}: {title}", {"blocks": view.get("blocks", [])})
                form = Form.of(view) if call.method != "views.publish" else None
                if form is not None:
                    self.form = form
                    self.out(f"(fill it in: {form.hints()})")
            elif call.method == "chat.update":
                self._show("studybot updated a message", params)

    def catch_up(self) -> None:
        """What `studybot run` does on start-up: this week's posts that are already due."""
        if self.scheduler is not None:
            self.scheduler.run_until(self.box.clock.now())
            self._settle()

    # --- input ---------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        """Run one line; False means quit."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word, _, rest = line.partition(" ")
        handlers: dict[str, Callable[[str], None]] = {
            "help": lambda _: self.out(HELP),
            "reply": lambda r: self.chat.reply(self.user, r),
            "react": lambda r: self.chat.react(self.user, r, "reaction_added"),
            "unreact": lambda r: self.chat.react(self.user, r, "reaction_removed"),
            "click": self.click,
            "edit": lambda r: self.chat.edit(self.user, r),
            "delete": lambda r: self.chat.delete(self.user, r),
            "fill": self.fill,
            "submit": self.submit,
            "cancel": self.cancel,
            "home": self.home,
            "join": self.join,
            "leave": self.leave,
            "as": self.switch_user,
            "time": self.time,
            "next": self.next,
            "advance": self.advance,
        }
        if word in ("quit", "exit"):
            return False
        try:
            if line.startswith("/"):
                self.command(word, rest)
            elif word in handlers:
                handlers[word](rest.strip())
            else:
                self.chat.say(self.user, line)
        except ValueError as exc:
            self.out(f"(console: {exc})")
        self._settle()
        return True

    def command(self, name: str, text: str) -> None:
        self.buttons = []
        reply = self.box.client.command(name, text, user=self.user, channel=self.box.channel)
        if reply.status != 200:
            self.out(f'(Slack would show: “{name} failed with the error "{reply.status}"”)')
            return
        if reply.body:
            try:
                payload = reply.json()
            except ValueError:
                payload = {"text": reply.text}
            self._show(
                f"studybot ({'only visible to you' if payload.get('response_type') != 'in_channel' else 'in channel'})",
                payload,
            )

    def click(self, rest: str) -> None:
        try:
            element = self.buttons[int(rest) - 1]
        except (ValueError, IndexError):
            if not self.buttons:
                raise ValueError("there are no buttons to press right now") from None
            raise ValueError(f"no button {rest!r}; press one of 1..{len(self.buttons)}") from None
        reply = self.box.client.action(
            element["action_id"], element.get("value", ""), user=self.user, channel=self.box.channel
        )
        if reply.status != 200:
            self.out(f"(the button failed: HTTP {reply.status})")

    def fill(self, rest: str) -> None:
        if self.form is None:
            raise ValueError("no form is open; `/ask` with no text opens one")
        self.out(f"({self.form.fill(rest)})")

    def submit(self, _: str) -> None:
        form = self.form
        if form is None:
            raise ValueError("no form is open; `/ask` with no text opens one")
        reply = self.box.client.view_submission(
            form.callback_id, form.values(), user=self.user, private_metadata=form.private_metadata
        )
        if reply.status != 200:
            self.out(f"(Slack would show: “{form.title} failed”, HTTP {reply.status})")
            return
        answer = reply.json() if reply.body else None
        if isinstance(answer, dict) and answer.get("response_action") == "errors":
            for name, error in (answer.get("errors") or {}).items():
                self.out(f"(the form says, at {name}: {error})")
            return
        self.form = None
        self.out(f"(you submitted {form.title})")

    def cancel(self, _: str) -> None:
        if self.form is None:
            raise ValueError("no form is open")
        self.out(f"(you closed {self.form.title})")
        self.form = None

    def home(self, _: str) -> None:
        self.buttons = []
        self.box.client.event(
            {
                "type": "app_home_opened",
                "user": self.user,
                "channel": "D" + self.user[1:],
                "tab": "home",
                "event_ts": self.box.slack.next_ts(),
            }
        )

    def join(self, _: str) -> None:
        self.box.slack.join(self.box.channel, self.user)
        self.box.client.event(
            {
                "type": "member_joined_channel",
                "user": self.user,
                "channel": self.box.channel,
                "channel_type": "C",
                "team": "T0TEAM001",
                "event_ts": self.box.slack.next_ts(),
            }
        )

    def leave(self, _: str) -> None:
        self.box.slack.leave(self.box.channel, self.user)
        self.out(f"(you left {self.box.channel}: no study buddy or lead turn until you `join`)")

    def switch_user(self, rest: str) -> None:
        user = member_id(rest)
        self.user = user
        if user not in self.box.slack.users:
            self.box.slack.add_user(user)
            self.box.slack.join(self.box.channel, user)
        self.out(f"(you are now {user}, {self.role(user)})")

    def role(self, user: str) -> str:
        """How the bot will treat `user`: STUDYBOT_ADMINS and workspace admins organize."""
        flags = self.box.slack.users.get(user) or {}
        admin = (
            self.box.settings.is_admin_id(user) or flags.get("is_admin") or flags.get("is_owner")
        )
        return "an organizer" if admin else "a member (not an organizer)"

    def time(self, _: str) -> None:
        now = self.box.clock.now()
        tz = self.box.deps.roadmap.schedule.tz
        self.out(f"(it is {now.astimezone(tz):%A %Y-%m-%d %H:%M %Z})")
        for kind, when in self.scheduler.upcoming(now):
            self.out(f"(next {kind} post: {when.astimezone(tz):%a %Y-%m-%d %H:%M %Z})")
        for what, when in self.scheduler.social(now):
            self.out(f"(next {what}: {when.astimezone(tz):%a %Y-%m-%d %H:%M %Z})")

    def next(self, _: str) -> None:
        upcoming = self.scheduler.upcoming(self.box.clock.now())
        if not upcoming:
            raise ValueError(
                f"nothing more is scheduled: {no_posts_reason(self.box.deps.calendar())}"
            )
        self._run_until(upcoming[0][1])

    def advance(self, rest: str) -> None:
        self._run_until(self.box.clock.now() + _duration(rest))

    def _run_until(self, when: dt.datetime) -> None:
        assert isinstance(self.box.clock, ManualClock)
        if self.scheduler is not None:
            self.scheduler.run_until(when)
        else:
            self.box.clock.set(when)
        self._settle()
        self.time("")


def _duration(text: str) -> dt.timedelta:
    units = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError("say how far, e.g. advance 3d, advance 12h, advance 30m")
    return dt.timedelta(**{units[text[-1]]: int(text[:-1])})


MEMBER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def member_id(text: str) -> str:
    """A Slack member ID as typed (any case): U… or W… (Enterprise Grid); ValueError else."""
    user = text.strip().upper()
    if not MEMBER_ID.match(user):
        raise ValueError(
            f"{text.strip()!r} is not a member ID: they look like U0MEMBER2 or W0GRIDUSER"
        )
    return user


def main(settings: Settings, args: argparse.Namespace) -> int:
    logging.getLogger().setLevel(logging.WARNING)
    try:
        start = _start_time(args.at)
        user = member_id(args.user)
        db_path = _db_path(args.db)
    except ValueError as exc:
        print(f"studybot console: {exc}", file=sys.stderr)
        return 2
    member = bool(getattr(args, "member", False))
    settings = replace(settings, roadmap_path=args.roadmap or settings.roadmap_path)
    admins = settings.admins if member else (*settings.admins, user)
    try:
        box = Sandbox(
            roadmap_path=settings.roadmap_path,
            db_path=db_path,
            clock=ManualClock(start),
            settings=replace(settings, admins=admins),
            socket=getattr(args, "socket", False),
        )
    except RoadmapError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        print(
            "studybot: fix the roadmap (see `studybot roadmap check`) and try again",
            file=sys.stderr,
        )
        return 1
    except sqlite3.Error as exc:
        print(f"studybot console: --db {db_path}: cannot use it ({exc})", file=sys.stderr)
        return 2
    interactive = sys.stdin.isatty()
    console = Console(box, user)
    try:
        roadmap = box.deps.roadmap
        over = " over Socket Mode" if box.socket is not None else ""
        print(
            f"Study Companion console{over} — {roadmap.title}. You are {user}, "
            f"{console.role(user)}. Type `help` for what you can do, `quit` to leave."
        )
        console.catch_up()
        while True:
            try:
                line = input("> " if interactive else "")
            except EOFError:
                break
            if not interactive:
                print(f"> {line}")
            if not console.handle(line):
                break
    except BrokenPipeError:
        # The reader went away (`studybot console | head`): nothing more to say to it, and
        # Python's own flush at exit must not fail on the closed pipe either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        box.close()
    return 0


def _start_time(at: str | None) -> dt.datetime:
    """--at as a time (UTC when it names no zone; a date alone is its midnight), else now."""
    if not at:
        return dt.datetime.now(dt.UTC)
    try:
        start = dt.datetime.fromisoformat(at.strip())
    except ValueError:
        raise ValueError(
            f"--at {at!r} is not a date or time: write it like 2026-10-06 or 2026-10-06T10:00"
        ) from None
    if not 1970 <= start.year <= LAST_YEAR:
        # The scheduler computes a year of posts ahead: past this it overflows datetime.
        raise ValueError(f"--at {at!r}: pick a time between 1970 and {LAST_YEAR}")
    return start if start.tzinfo else start.replace(tzinfo=dt.UTC)


# The latest --at the console starts at.
LAST_YEAR = 9000


def _db_path(db: str | None) -> str | None:
    """--db checked before anything starts: a file SQLite can write, not a folder, not damaged."""
    if db is None:
        return None
    if os.path.isdir(db):
        raise ValueError(
            f"--db {db} is a folder; name a file in it, e.g. {db.rstrip('/')}/study.db"
        )
    folder = os.path.dirname(os.path.abspath(db))
    if not os.path.isdir(folder):
        raise ValueError(f"--db {db}: the folder {folder} does not exist")
    problem = startup_problem(db)
    if problem:
        raise ValueError(f"--db {db}: {problem}")
    return db
