"""The group decides its pace: /studygroup vote on|off, Yes/No on the nudge, the organizers'
veto, and the recap that extends the topic — over signed HTTP into the real app."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.console import Console
from bot.cli.sandbox import Sandbox
from bot.core.clock import ManualClock
from bot.core.pace_vote import Tally, passes
from bot.core.roadmap import RoadmapError, VoteRule
from bot.core.roadmap_load import load
from bot.slack.manual_scheduler import ManualScheduler
from bot.slack.render.ids import PACE_VETO, PACE_VOTE
from tests.blockkit import all_text, assert_valid_message
from tests.polling import wait_until
from tests.posts_kit import ADMIN, LA, at, sent, week

MEMBERS = [f"U0VOTER0{i}" for i in range(1, 7)]
MATRICES = week(8).topic.title  # week 8: the last of its topic's four weeks
DETERMINANTS = week(9).topic.title


def open_box(tmp_path: Path, roadmap: Path = LA) -> Sandbox:
    """Monday 10:00 of week 8, its weekly post out, one STUDYBOT_ADMINS organizer."""
    box = Sandbox(
        roadmap_path=roadmap,
        db_path=tmp_path / "studybot.db",
        clock=ManualClock(at(8, 0, 8)),
        admins=(ADMIN,),
    )
    box.__enter__()
    run_until(box, at(8, 0, 10))
    return box


@pytest.fixture
def vbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = open_box(tmp_path)
    try:
        yield box
    finally:
        box.__exit__(None, None, None)


def run_until(box: Sandbox, when: Any) -> None:
    ManualScheduler(box.deps, box.app.client).run_until(when)


def replies(box: Sandbox) -> int:
    return len(box.slack.calls_to("response_url"))


def studygroup(box: Sandbox, text: str, user: str = ADMIN) -> dict[str, Any]:
    """Run /studygroup; its answer (after the ack, through response_url)."""
    before = replies(box)
    assert box.client.command("/studygroup", text, user=user, channel=box.channel).status == 200
    answer = box.slack.wait_for("response_url", before + 1)[before].params
    payload = {k: v for k, v in answer.items() if not k.startswith("_")}
    assert_valid_message(payload)
    return payload


def click(box: Sandbox, action_id: str, value: str, user: str) -> dict[str, Any]:
    """Press a button; the private answer the clicker gets."""
    before = replies(box)
    reply = box.client.action(action_id, value, user=user, channel=box.channel)
    assert reply.status == 200
    answer = box.slack.wait_for("response_url", before + 1)[before].params
    payload = {k: v for k, v in answer.items() if not k.startswith("_")}
    assert_valid_message(payload)
    assert payload["response_type"] == "ephemeral"
    return payload


def vote(box: Sandbox, user: str, choice: str, n: int = 8) -> dict[str, Any]:
    updates = len(box.slack.calls_to("chat.update"))
    answer = click(box, PACE_VOTE + choice, week(n).key, user)
    assert answer.get("replace_original") is False  # the nudge stays as it is for everyone
    if "already voted" not in answer["text"]:
        box.slack.wait_for("chat.update", updates + 1)
    return answer


def nudge(box: Sandbox, n: int = 8) -> dict[str, Any]:
    """Run the scheduler past week n's nudge; the nudge as sent."""
    run_until(box, at(n, 2, 12, 1))
    [post] = sent(box, "nudge", n)
    assert_valid_message(post)
    return post


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def tally_shown(box: Sandbox) -> str:
    """The tally line of the nudge as last updated."""
    update = box.slack.calls_to("chat.update")[-1].params
    assert_valid_message({k: v for k, v in update.items() if k in ("text", "blocks")})
    return all_text(update)


def dms(box: Sandbox, user: str = ADMIN) -> list[dict[str, Any]]:
    return [c.params for c in box.slack.posts(user)]


def recap(box: Sandbox, n: int = 8) -> str:
    run_until(box, at(n, 4, 16, 1))
    [post] = sent(box, "recap", n)[:1]
    assert_valid_message(post)
    return all_text(post)


def passed(box: Sandbox, yes: int = 3, no: int = 2) -> None:
    """Vote on, the nudge out, and the members' votes in."""
    studygroup(box, "vote on")
    nudge(box)
    for user in MEMBERS[yes : yes + no]:  # the noes first: the last yes is the one that tips it
        vote(box, user, "no")
    for user in MEMBERS[:yes]:
        vote(box, user, "yes")


# --- on and off ----------------------------------------------------------------------------


def test_with_the_vote_off_the_nudge_asks_nothing(vbox):
    post = nudge(vbox)
    assert buttons(post) == []
    assert "another week" not in all_text(post)


def test_vote_on_puts_yes_and_no_on_the_nudge_and_off_takes_them_away(vbox):
    answer = studygroup(vbox, "vote on")
    assert "From this week" in answer["text"] and "at least 3" in answer["text"]
    assert "already on" in studygroup(vbox, "vote on")["text"]
    assert "pace vote is on" in all_text(studygroup(vbox, "status"))
    post = nudge(vbox)
    assert "Need another week on this topic?" in all_text(post)
    assert [b["action_id"] for b in buttons(post)] == [PACE_VOTE + "yes", PACE_VOTE + "no"]
    assert {b["value"] for b in buttons(post)} == {week(8).key}
    assert "Yes 0 · No 0" in all_text(post)
    assert "vote is off" in studygroup(vbox, "vote off")["text"]
    assert "pace vote is on" not in all_text(studygroup(vbox, "status"))
    run_until(vbox, at(9, 0, 10))
    assert buttons(nudge(vbox, 9)) == []


def test_vote_alone_or_a_bad_word_gets_the_usage(vbox):
    for text in ("vote", "vote maybe", "vote on now"):
        answer = studygroup(vbox, text)
        assert "`on` or `off`" in all_text(answer) and "/studygroup vote on|off" in all_text(answer)
    assert "vote on|off" in all_text(studygroup(vbox, "help"))


def test_members_cannot_turn_the_vote_on(vbox):
    answer = studygroup(vbox, "vote on", user=MEMBERS[0])
    assert "organizers" in answer["text"]
    assert buttons(nudge(vbox)) == []


# --- counting ------------------------------------------------------------------------------


def test_a_vote_counts_once_per_member_and_a_change_moves_it(vbox):
    studygroup(vbox, "vote on")
    nudge(vbox)
    answer = vote(vbox, MEMBERS[0], "yes")
    assert "You voted *Yes*" in answer["text"] and "Yes 1 · No 0" in answer["text"]
    assert "Yes 1 · No 0" in tally_shown(vbox)
    answer = vote(vbox, MEMBERS[0], "yes")
    assert "already voted" in answer["text"] and "Yes 1 · No 0" in answer["text"]
    answer = vote(vbox, MEMBERS[0], "no")
    assert "changed your vote to *No*" in answer["text"] and "Yes 0 · No 1" in answer["text"]
    assert "Yes 0 · No 1" in tally_shown(vbox)
    vote(vbox, MEMBERS[1], "yes")
    assert "Yes 1 · No 1" in tally_shown(vbox)
    rows = vbox.deps.db.execute("SELECT user, choice FROM pace_votes ORDER BY user").fetchall()
    assert [tuple(r) for r in rows] == [(MEMBERS[0], "no"), (MEMBERS[1], "yes")]
    # The tally is shown by updating the nudge: no new message, nobody pinged.
    assert len(sent(vbox, "nudge", 8)) == 1
    assert all("<!" not in all_text(c.params) for c in vbox.slack.calls_to("chat.update"))


@pytest.mark.slow  # Slack answers chat.update in seconds here
def test_clicks_while_slack_is_slow_to_update_the_nudge_hold_up_no_command(vbox):
    # The nudge's clicks come together. Each tally update waits for the one before it; had
    # each click's thread waited its turn, the after-ack threads would all be waiting on a
    # slow chat.update, and a command (or another click) would find none free to answer it
    # within Slack's 3 s.
    studygroup(vbox, "vote on")
    nudge(vbox)
    vbox.slack.fail("chat.update", status=200, times=20, delay=4)
    statuses: list[int] = []

    def click_yes(user: str) -> None:
        reply = vbox.client.action(PACE_VOTE + "yes", week(8).key, user=user, channel=vbox.channel)
        statuses.append(reply.status)

    clicks = [threading.Thread(target=click_yes, args=(user,)) for user in MEMBERS]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(10)
    assert statuses == [200] * len(MEMBERS)  # every click answered in time
    started = time.monotonic()
    reply = vbox.client.command("/nexttopic", user=MEMBERS[0], channel=vbox.channel)
    assert reply.status == 200, reply.text
    assert MATRICES in all_text(reply.json())
    assert time.monotonic() - started < 2
    # The nudge ends up showing every vote.
    wait_until(
        lambda: vbox.slack.calls_to("chat.update") and "Yes 6 · No 0" in tally_shown(vbox),
        timeout=20,
    )
    assert len(vbox.slack.calls_to("chat.update")) < len(MEMBERS)  # the clicks' tallies merged


def test_two_yes_of_two_votes_do_not_pass_under_the_minimum_of_three(vbox):
    passed(vbox, yes=2, no=0)
    assert dms(vbox) == []
    text = recap(vbox)
    assert "not enough" in text and "Yes 2 · No 0" in text
    assert vbox.deps.calendar().week_of(week(9).start).topic.title == DETERMINANTS


def test_three_yes_two_no_passes_and_the_organizers_are_told_once(vbox):
    passed(vbox, yes=3, no=2)
    wait_until(lambda: len(dms(vbox)) == 1)
    [notice] = dms(vbox)
    assert_valid_message(notice)
    assert MATRICES in all_text(notice) and "Yes 3 · No 2" in all_text(notice)
    assert [b["action_id"] for b in buttons(notice)] == [PACE_VETO]
    vote(vbox, MEMBERS[5], "yes")  # a 4th yes, and a change back and forth
    vote(vbox, MEMBERS[0], "no")
    vote(vbox, MEMBERS[0], "yes")
    assert len(dms(vbox)) == 1


def test_a_passed_vote_extends_the_topic_at_the_recap_and_undo_takes_it_back(vbox):
    passed(vbox, yes=3, no=2)
    text = recap(vbox)
    assert f"The group voted for another week on *{MATRICES}*" in text
    assert f"next week stays on *{MATRICES}*" in text
    # Sent again (forced, or a retry after a failure), the recap repeats the decision only.
    assert "Sent the end-of-week recap" in studygroup(vbox, "post recap force")["text"]
    assert f"next week stays on *{MATRICES}*" in all_text(sent(vbox, "recap", 8)[-1])
    rows = vbox.deps.db.execute("SELECT kind, week_start, topic_id FROM calendar_changes")
    assert [tuple(r) for r in rows] == [("extend", week(8).key, week(8).topic.id)]
    # The following week: /nexttopic still shows the same topic, part 5 of 5.
    run_until(vbox, at(9, 0, 10))
    reply = vbox.client.command("/nexttopic", "", user=MEMBERS[0], channel=vbox.channel)
    card = all_text(reply.json())
    assert MATRICES in card and DETERMINANTS not in card.split("Next")[0]
    [weekly] = sent(vbox, "weekly", 9)
    assert MATRICES in all_text(weekly) and "part 5 of 5" in all_text(weekly)
    # No second vote on the topic the group already voted another week for.
    post = nudge(vbox, 9)
    assert buttons(post) == [] and "already voted this topic another week" in all_text(post)


def test_undo_reverses_the_groups_extension_before_next_weeks_post(vbox):
    passed(vbox, yes=3, no=2)
    recap(vbox)
    answer = studygroup(vbox, "undo")
    assert f"Undid the extra week for *{MATRICES}*" in answer["text"]
    assert vbox.deps.calendar().week_of(week(9).start).topic.title == DETERMINANTS
    run_until(vbox, at(9, 0, 10))
    assert DETERMINANTS in all_text(sent(vbox, "weekly", 9)[0])


def test_a_veto_keeps_the_calendar_and_the_recap_says_so(vbox):
    passed(vbox, yes=4, no=1)
    before = vbox.deps.calendar().weeks
    answer = click(vbox, PACE_VETO, week(8).key, ADMIN)
    assert "You vetoed" in answer["text"] and answer["replace_original"] is True
    assert "already vetoed" in click(vbox, PACE_VETO, week(8).key, ADMIN)["text"]
    text = recap(vbox)
    assert "an organizer vetoed it" in text and "next week stays" not in text
    assert vbox.deps.calendar().weeks == before
    assert vbox.deps.db.execute("SELECT count(*) FROM calendar_changes").fetchone()[0] == 0
    # After the recap the veto button says it is decided.
    assert "has closed" in click(vbox, PACE_VETO, week(8).key, ADMIN)["text"]


def test_a_member_cannot_veto(vbox):
    passed(vbox, yes=3, no=0)
    answer = click(vbox, PACE_VETO, week(8).key, MEMBERS[0])
    assert "Only the study group's organizers" in answer["text"]
    assert f"next week stays on *{MATRICES}*" in recap(vbox)


def test_a_vote_after_the_recap_has_closed(vbox):
    passed(vbox, yes=1, no=1)
    recap(vbox)
    answer = click(vbox, PACE_VOTE + "yes", week(8).key, MEMBERS[4])
    assert "Voting for week 8 has closed" in answer["text"]
    count = vbox.deps.db.execute("SELECT count(*) FROM pace_votes").fetchone()[0]
    assert count == 2


def test_a_vote_for_a_week_whose_nudge_did_not_ask_is_not_counted(vbox):
    nudge(vbox)  # week 8's nudge goes out with the vote off: no question, no buttons
    studygroup(vbox, "vote on")
    updates = len(vbox.slack.calls_to("chat.update"))
    for user in MEMBERS[:4]:
        answer = click(vbox, PACE_VOTE + "yes", week(8).key, user)
        assert "did not ask for a vote" in answer["text"]
    # Nor a week whose nudge is not out yet.
    answer = click(vbox, PACE_VOTE + "yes", week(9).key, MEMBERS[0])
    assert "did not ask for a vote" in answer["text"]
    assert vbox.deps.db.execute("SELECT count(*) FROM pace_votes").fetchone()[0] == 0
    assert len(vbox.slack.calls_to("chat.update")) == updates  # the old nudge gets no buttons
    assert dms(vbox) == []
    assert "another week" not in recap(vbox)


def test_turning_the_vote_off_drops_the_weeks_votes(vbox):
    passed(vbox, yes=3, no=0)
    studygroup(vbox, "vote off")
    assert "vote is off" in click(vbox, PACE_VOTE + "yes", week(8).key, MEMBERS[4])["text"]
    text = recap(vbox)
    assert "another week" not in text
    assert vbox.deps.db.execute("SELECT count(*) FROM calendar_changes").fetchone()[0] == 0


# --- the roadmap's schedule.vote ---------------------------------------------------------


def with_vote(tmp_path: Path, vote: str) -> Path:
    text = LA.read_text().replace(
        '  recap: {weekday: friday, time: "16:00"}\n',
        f'  recap: {{weekday: friday, time: "16:00"}}\n  vote: {vote}\n',
    )
    assert "vote:" in text
    path = tmp_path / "roadmap.yaml"
    path.write_text(text)
    return path


def test_the_roadmap_sets_the_share_and_the_minimum(tmp_path):
    assert load(LA).schedule.vote.min_votes == 3 and load(LA).schedule.vote.share == 0.5
    two = tmp_path / "two"
    two.mkdir()
    box = open_box(two, with_vote(two, "{min_votes: 2}"))
    try:
        passed(box, yes=2, no=0)
        wait_until(lambda: len(dms(box)) == 1)
    finally:
        box.__exit__(None, None, None)
    strict = tmp_path / "strict"
    strict.mkdir()
    box = open_box(strict, with_vote(strict, "{share: 0.6, min_votes: 3}"))
    try:
        passed(box, yes=3, no=2)  # 60% is not more than 60%
        assert dms(box) == []
        vote(box, MEMBERS[5], "yes")  # 4 of 6
        wait_until(lambda: len(dms(box)) == 1)
    finally:
        box.__exit__(None, None, None)


def test_the_share_is_compared_exactly_as_written():
    rule = VoteRule(share=0.57, min_votes=1)
    assert not passes(Tally(57, 43), rule)  # 57 % is not more than 57 %
    assert passes(Tally(58, 42), rule)
    assert not passes(Tally(2, 2), VoteRule()) and passes(Tally(3, 2), VoteRule())
    assert not passes(Tally(2, 0), VoteRule()) and passes(Tally(2, 0), VoteRule(min_votes=2))


@pytest.mark.parametrize(
    ("vote", "error"),
    [
        ("{share: 1.5}", "schedule.vote.share: must be a number from 0 up to (not including) 1"),
        ("{share: half}", "schedule.vote.share: must be a number from 0 up to"),
        ("{min_votes: 0}", "schedule.vote.min_votes: must be a whole number of votes from 1"),
        ("{quorum: 3}", "schedule.vote.quorum: unknown field; allowed: share, min_votes"),
        ("yes", "schedule.vote: must be a mapping of fields"),
    ],
)
def test_a_bad_vote_setting_is_a_path_line_error(tmp_path, vote, error):
    path = with_vote(tmp_path, vote)
    line = path.read_text().splitlines().index(f"  vote: {vote}") + 1
    with pytest.raises(RoadmapError) as caught:
        load(path)
    assert f"{path}:{line}: {error}" in str(caught.value)


# --- in the console ----------------------------------------------------------------------


@pytest.mark.slow  # a whole console session, with its waits for the bot to go quiet
def test_the_vote_works_in_the_console(tmp_path):
    lines: list[str] = []
    with Sandbox(
        roadmap_path=LA,
        db_path=tmp_path / "c.db",
        clock=ManualClock(at(8, 0, 8)),
        admins=(ADMIN,),
    ) as box:
        typed = Console(box, ADMIN, out=lines.append)
        script = ["/studygroup vote on", "next", "next", "click 1"]
        for member in MEMBERS[:2]:
            script += [f"as {member}", "click 1"]
        script += [f"as {ADMIN}", "next", "/nexttopic"]
        for line in script:
            assert typed.handle(line)
    # The console wraps at 80 columns: read it as one line of words.
    out = " ".join(line.removeprefix("│").strip() for line in lines)
    assert "[1: Yes, another week] [2: No, move on]" in out
    assert "Yes 3 · No 0" in out and "[" in out.split("The group voted for another week")[1]
    recap_on = out.split("Week 8 recap: Matrices")[1]
    assert f"The group voted for another week on {MATRICES}: next week stays on {MATRICES}" in (
        recap_on
    )
    assert f"Week 8 of 109: {MATRICES}" in recap_on.split("only visible to you")[-1]
