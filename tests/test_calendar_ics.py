"""`studybot calendar export|post`: the schedule as an .ics file, parsed back; DST, skips,
extensions and stable UIDs; the upload to the channel through files upload v2."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import icalendar
import pytest

from bot.cli import calendar as calendar_cli
from bot.core import ics
from bot.core.calendar import Calendar, Change, record_change
from bot.core.roadmap_load import load
from tests.paths import ROADMAP
from tests.processes import studybot

MAP = load(ROADMAP)
TZ = MAP.schedule.tz
NOW = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)


def events(data: bytes) -> list[icalendar.Event]:
    parsed = icalendar.Calendar.from_ical(data)
    return list(parsed.walk("VEVENT"))


def by_uid(data: bytes) -> dict[str, icalendar.Event]:
    return {str(e["uid"]): e for e in events(data)}


def build(changes: tuple[Change, ...] = (), channel: str | None = "C0STUDY01") -> bytes:
    cal = Calendar(MAP.followed(), MAP.schedule.start, changes)
    return ics.schedule_ics(MAP, cal, group=ics.group_key(MAP, channel), now=NOW)


def starts(data: bytes) -> list[dt.datetime]:
    return sorted(e.decoded("dtstart") for e in events(data))


# --- the file ------------------------------------------------------------------------------


def test_one_event_per_topic_week_with_title_key_points_reading_and_link() -> None:
    data = build()
    found = events(data)
    assert len(found) == MAP.total_weeks()
    first = MAP.topics[0]
    event = min(found, key=lambda e: e.decoded("dtstart"))
    assert str(event["summary"]) == f"Week 1 of {MAP.total_weeks()}: {first.title}"
    text = str(event["description"])
    assert all(" ".join(p.split()) in text for p in first.key_points)
    core = first.core  # the core reading, each with its link
    assert core and all(r.url in text and r.title in text for r in core)
    extras = [r for r in first.resources if r not in core]
    assert not any(r.url in text for r in extras)
    assert str(event["url"]) == core[0].url
    # A topic over several weeks says which part each event is.
    long = next(t for t in MAP.topics if t.weeks > 1)
    parts = sorted(str(e["summary"]) for e in found if long.title in str(e["summary"]))
    assert [p.rsplit("(", 1)[1] for p in parts] == [
        f"part {i} of {long.weeks})" for i in range(1, long.weeks + 1)
    ]
    assert str(event["transp"]) == "TRANSPARENT"
    # Every event starts at the weekly post's local time, on its weekday.
    weekly = MAP.schedule.weekly
    for e in found:
        start = e.decoded("dtstart")
        assert start.tzinfo is not None and str(start.tzinfo) == MAP.schedule.timezone
        assert (start.weekday(), start.time()) == (weekly.weekday, weekly.time)
    # The file carries its time zone's rules (VTIMEZONE), as RFC 5545 asks.
    zones = list(icalendar.Calendar.from_ical(data).walk("VTIMEZONE"))
    assert [str(z["tzid"]) for z in zones] == [MAP.schedule.timezone]


def test_a_week_across_the_dst_change_keeps_its_local_times() -> None:
    # US daylight saving time ends on Sunday 2026-11-01: the week of Oct 26 crosses it.
    assert MAP.schedule.timezone == "America/Los_Angeles"
    found = {e.decoded("dtstart").date(): e for e in events(build())}
    before, after = found[dt.date(2026, 10, 26)], found[dt.date(2026, 11, 2)]
    start, end = before.decoded("dtstart"), before.decoded("dtend")
    assert (start.hour, start.utcoffset()) == (9, dt.timedelta(hours=-7))
    assert (end, end.utcoffset()) == (dt.datetime(2026, 11, 2, tzinfo=TZ), dt.timedelta(hours=-8))
    # an hour longer than its wall-clock span (Python subtracts same-zone times by the wall)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(days=6, hours=16)
    later = after.decoded("dtstart")
    assert (later.hour, later.utcoffset()) == (9, dt.timedelta(hours=-8))
    assert start.astimezone(dt.UTC).hour == 16 and later.astimezone(dt.UTC).hour == 17


def test_a_skip_moves_every_later_event_a_week_and_keeps_their_uids() -> None:
    before = by_uid(build())
    skipped = MAP.schedule.start + dt.timedelta(weeks=2)
    after = by_uid(build((Change("skip", skipped),)))
    assert before.keys() == after.keys()  # the same events, updated in place
    for uid, event in before.items():
        old, new = event.decoded("dtstart"), after[uid].decoded("dtstart")
        assert new - old == (dt.timedelta(weeks=1) if old.date() >= skipped else dt.timedelta())
    assert skipped not in {e.decoded("dtstart").date() for e in after.values()}
    assert all(int(e["sequence"]) > int(before[uid]["sequence"]) for uid, e in after.items())


def test_an_extension_adds_one_event_and_moves_the_rest() -> None:
    first = next(t for t in MAP.topics if t.weeks > 1)
    before = by_uid(build())
    after = by_uid(build((Change("extend", MAP.schedule.start, first.id),)))
    added = set(after) - set(before)
    assert set(before) <= set(after) and len(added) == 1
    (uid,) = added
    assert uid == ics.event_uid(ics.group_key(MAP, "C0STUDY01"), first.id, first.weeks + 1)
    assert str(after[uid]["summary"]).endswith(f"(part {first.weeks + 1} of {first.weeks + 1})")


def test_uids_are_stable_per_group_and_differ_between_groups() -> None:
    assert by_uid(build()).keys() == by_uid(build()).keys()
    assert not by_uid(build()).keys() & by_uid(build(channel="C0OTHER01")).keys()
    assert by_uid(build(channel=None)).keys() == by_uid(build(channel=None)).keys()


def test_a_pause_without_resume_ends_the_file() -> None:
    paused = MAP.schedule.start + dt.timedelta(weeks=3)
    found = starts(build((Change("pause", paused),)))
    assert len(found) == 3 and found[-1].date() < paused


# --- the commands ---------------------------------------------------------------------------


def test_export_reads_the_groups_changes_and_writes_the_file(box, tmp_path: Path) -> None:
    skipped = MAP.schedule.start + dt.timedelta(weeks=1)
    record_change(box.deps.db, Change("skip", skipped), "U0ADMIN01")
    out = tmp_path / "schedule.ics"
    err = io.StringIO()
    assert calendar_cli.export(box.settings, out=str(out), clock=box.clock, err=err) == 0
    dates = [s.date() for s in starts(out.read_bytes())]
    assert skipped not in dates and dates[1] == skipped + dt.timedelta(weeks=1)
    assert f"wrote {MAP.total_weeks()} weekly events" in err.getvalue()


def test_export_of_a_track_has_its_topics_only(box, tmp_path: Path) -> None:
    track = next(iter(MAP.tracks.values()))
    out = tmp_path / "track.ics"
    assert calendar_cli.export(box.settings, track=track.id, out=str(out), clock=box.clock) == 0
    found = events(out.read_bytes())
    assert len(found) == MAP.total_weeks(track.id)
    assert track.title in str(icalendar.Calendar.from_ical(out.read_bytes())["x-wr-calname"])


def test_post_uploads_the_file_to_the_channel_with_files_upload_v2(box) -> None:
    err = io.StringIO()
    assert calendar_cli.post(box.settings, clock=box.clock, err=err) == 0, err.getvalue()
    methods = [c.method for c in box.slack.calls]
    assert methods[-3:] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    (file,) = box.slack.files.values()
    assert file["name"] == ics.FILENAME and file["channels"] == [box.channel]
    assert "calendar" in file["initial_comment"]
    assert len(events(file["data"])) == MAP.total_weeks()
    assert f"to {box.channel}" in err.getvalue()


def test_post_without_files_write_says_what_to_do_in_one_line(box) -> None:
    box.slack.fail("files.getUploadURLExternal", status=200, error="missing_scope")
    err = io.StringIO()
    assert calendar_cli.post(box.settings, clock=box.clock, err=err) == 1
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and "missing_scope" in lines[0] and "files:write" in lines[0]
    assert not box.slack.calls_to("files.completeUploadExternal")


@pytest.mark.slow
def test_studybot_calendar_export_and_an_unknown_track(tmp_path: Path) -> None:
    env = {"STUDYBOT_DB": str(tmp_path / "bot.db"), "STUDYBOT_ROADMAP": str(ROADMAP)}
    out = tmp_path / "s.ics"
    done = studybot("calendar", "export", "--out", str(out), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(events(out.read_bytes())) == MAP.total_weeks()
    printed = studybot("calendar", "export", env=env, cwd=tmp_path)
    assert printed.stdout.startswith("BEGIN:VCALENDAR")
    wrong = studybot("calendar", "export", "--track", "nope", env=env, cwd=tmp_path)
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1
    assert "nope" in wrong.stderr and "full" in wrong.stderr


@pytest.mark.parametrize("where", ["missing-folder", "folder", "full-disk"])
def test_export_to_a_place_that_cannot_be_written_is_one_line(box, tmp_path: Path, where) -> None:
    out = {
        "missing-folder": tmp_path / "nowhere" / "s.ics",
        "folder": tmp_path,
        "full-disk": Path("/dev/full"),
    }[where]
    if where == "full-disk" and not out.exists():
        pytest.skip("no /dev/full here")
    err = io.StringIO()
    assert calendar_cli.export(box.settings, out=str(out), clock=box.clock, err=err) == 1
    [line] = err.getvalue().strip().splitlines()
    assert line.startswith(f"studybot: cannot write {out}: ")
