"""Reading roadmap.yaml: load() validates a file, RoadmapStore keeps the current good version."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from bot.core.format import plural
from bot.core.roadmap import FULL_TRACK, Roadmap, RoadmapError, Topic
from bot.core.roadmap_schema import parse

log = logging.getLogger(__name__)


MAX_LOGGED_WARNINGS = 20  # an older roadmap may have a hundred; `roadmap check` lists them all


def load(path: str | Path, strict: bool = False, checking: bool = False) -> Roadmap:
    """Load and validate a roadmap file; raise RoadmapError listing every problem. The
    curriculum rules' findings are `Roadmap.warnings`, or errors when `strict`;
    `checking` (an organizer running `roadmap check`) refuses a start that sends posts out of
    order, which the running bot only warns about."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RoadmapError([f"{path}:1: (file): cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise RoadmapError([_not_utf8(path, exc)]) from None
    return parse(text, path, strict=strict, checking=checking)


def _not_utf8(path: str, exc: UnicodeDecodeError) -> str:
    """The error line for a roadmap that is not UTF-8 (saved as UTF-16, or Latin-1), on the
    line of its first bad byte."""
    line = bytes(exc.object[: exc.start]).count(b"\n") + 1
    return (
        f"{path}:{line}: (file): not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
        f"offset {exc.start}); save the file as UTF-8"
    )


def log_warnings(roadmap: Roadmap) -> None:
    """Log the curriculum rules' warnings of a roadmap just taken, in one record: the group
    keeps using it (an organizer's roadmap from before the rules must keep working)."""
    found = roadmap.warnings
    if not found:
        return
    shown = "\n".join(found[:MAX_LOGGED_WARNINGS])
    more = len(found) - MAX_LOGGED_WARNINGS
    if more > 0:
        shown += f"\n…and {more} more"
    log.warning(
        "roadmap %s loaded with %s (`studybot roadmap check %s` lists them; "
        "`--strict` treats them as errors):\n%s",
        roadmap.path,
        plural(len(found), "warning"),
        roadmap.path,
        shown,
    )


class UnknownTrack(RoadmapError):
    """The track the store was asked to follow (STUDYBOT_TRACK) is not in the roadmap."""


class RoadmapStore:
    """The current roadmap, re-read when the file changes; a bad edit keeps the last good one.

    Every access stats the file (cheap); a changed stamp (mtime in ns, size, inode, so an
    editor's save-by-rename counts) triggers one reload. An invalid or unreadable version is
    logged once with every error line and remembered in `last_error`; the group keeps the
    last good roadmap until the file is fixed. A version with only warnings (the curriculum
    rules) is taken, its warnings logged once. `reload()` forces a re-read (SIGHUP).
    """

    def __init__(self, path: str | Path, track: str | None = None) -> None:
        self.path = str(path)
        self.track = track
        # Re-entrant: a SIGHUP handler may call reload() while this thread is in current().
        self._lock = threading.RLock()
        self.last_error: str | None = None
        self._stamp = self._file_stamp()
        self._roadmap = load(self.path)
        self._check_track(self._roadmap)
        log_warnings(self._roadmap)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _check_track(self, roadmap: Roadmap) -> None:
        track = self.track or roadmap.schedule.track
        if track and track != FULL_TRACK and track not in roadmap.tracks:
            known = ", ".join([FULL_TRACK, *roadmap.tracks])
            if self.track:  # the operator's setting names it, not the file
                raise UnknownTrack([f"unknown track {track!r}: {self.path} has {known}"])
            raise RoadmapError(
                [f"{self.path}:1: schedule.track: unknown track {track!r} ({known})"]
            )

    def current(self) -> Roadmap:
        """The roadmap in use: re-read if the file changed, the last good one if it is now invalid."""
        stamp = self._file_stamp()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._stamp = stamp
                    if stamp is None:
                        self._keep(f"{self.path}:1: (file): cannot read the file")
                    else:
                        self._load()
        return self._roadmap

    def reload(self) -> bool:
        """Re-read the file now; return whether the new version was taken."""
        with self._lock:
            self._stamp = self._file_stamp()
            return self._load()

    def _load(self) -> bool:
        try:
            roadmap = load(self.path)
            self._check_track(roadmap)
        except RoadmapError as exc:
            self._keep(str(exc))
            return False
        self._roadmap = roadmap
        self.last_error = None
        log.info("roadmap %s reloaded: %d topics", self.path, len(roadmap.topics))
        log_warnings(roadmap)
        return True

    def _keep(self, why: str) -> None:
        self.last_error = why
        log.error("roadmap %s is invalid; keeping the last good version:\n%s", self.path, why)

    def topics(self) -> tuple[Topic, ...]:
        """The current roadmap's topics."""
        return self.current().followed(self.track)
