"""`studybot calendar export|post`: the reading schedule as a calendar file, saved or shared."""

from __future__ import annotations

import http.client
import sys
from typing import TextIO

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.core import calendar, ics
from bot.core.clock import Clock, SystemClock
from bot.core.deps import Deps
from bot.core.roadmap import FULL_TRACK
from bot.core.settings import ConfigError, Settings

COMMENT = (
    "The study schedule as a calendar file: open it and add it to your calendar "
    "(Google Calendar: Settings → Import & export). Each week's event has its key points "
    "and core reading. When the schedule changes (a skipped week, an extension), a new file "
    "is posted here; importing it updates the same events instead of adding new ones."
)


def build(deps: Deps, track: str | None = None) -> tuple[bytes, int]:
    """The calendar file of `track` (default: the group's), with the organizers' changes, and
    how many events it holds."""
    roadmap = deps.roadmap
    chosen = track or deps.roadmaps.track or roadmap.schedule.track
    if chosen and chosen != FULL_TRACK and chosen not in roadmap.tracks:
        known = ", ".join([FULL_TRACK, *roadmap.tracks])
        raise ConfigError("--track", f"no track {chosen!r} in the roadmap (known: {known})")
    weeks = calendar.Calendar(
        roadmap.followed(chosen), roadmap.schedule.start, calendar.load_changes(deps.db)
    )
    name = roadmap.title
    if chosen and chosen != FULL_TRACK:
        name += f" — {roadmap.tracks[chosen].title}"
    data = ics.schedule_ics(
        roadmap,
        weeks,
        group=ics.group_key(roadmap, deps.channel),
        now=deps.now(),
        name=name,
    )
    return data, sum(1 for w in weeks.weeks if w.kind == "topic")


def export(
    settings: Settings,
    track: str | None = None,
    out: str | None = None,
    *,
    clock: Clock | None = None,
    err: TextIO | None = None,
) -> int:
    """Write the calendar file to `out` (default: standard output)."""
    from bot.cli.main import open_deps_or_exit

    pool, roadmaps = open_deps_or_exit(settings)
    try:
        deps = Deps(settings=settings, pool=pool, roadmaps=roadmaps, clock=clock or SystemClock())
        data, events = build(deps, track)
    finally:
        pool.close()
    if out:
        try:
            with open(out, "wb") as f:
                f.write(data)
        except OSError as exc:  # no such folder, a folder, a full disk (/dev/full)
            print(f"studybot: cannot write {out}: {exc.strerror or exc}", file=err or sys.stderr)
            return 1
        print(f"wrote {events} weekly events to {out}", file=err or sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def post(
    settings: Settings,
    track: str | None = None,
    *,
    clock: Clock | None = None,
    err: TextIO | None = None,
) -> int:
    """Upload the calendar file to the study channel (files upload v2). Exit 0 when it is
    there, 1 when Slack refused or could not be reached (the reason on one line)."""
    from bot.cli.main import open_deps_or_exit
    from bot.slack.client import web_client

    err = err or sys.stderr
    settings.require("bot_token")
    pool, roadmaps = open_deps_or_exit(settings)
    try:
        deps = Deps(settings=settings, pool=pool, roadmaps=roadmaps, clock=clock or SystemClock())
        channel = deps.channel
        if not channel:
            raise ConfigError("STUDYBOT_CHANNEL", "is required (the channel to post the file in)")
        data, events = build(deps, track)
        title = f"{deps.roadmap.title}: the schedule"
    finally:
        pool.close()
    try:
        web_client(settings).files_upload_v2(
            channel=channel,
            content=data,
            filename=ics.FILENAME,
            title=title,
            initial_comment=COMMENT,
        )
    except SlackApiError as exc:
        why = exc.response.get("error")
        hint = (
            " (the app needs the files:write scope: reinstall it from manifest.yml)"
            if why == "missing_scope"
            else ""
        )
        print(f"studybot calendar post: Slack refused: {why}{hint}", file=err)
        return 1
    except (OSError, http.client.HTTPException, SlackRequestError) as exc:
        print(
            f"studybot calendar post: cannot reach Slack ({exc.__class__.__name__}); try again",
            file=err,
        )
        return 1
    print(f"posted the schedule ({events} weekly events) to {channel}", file=err)
    return 0
