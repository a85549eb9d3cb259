"""App Home and onboarding, through signed events and the Slack stand-in."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.cli.sandbox import Sandbox
from bot.cli.standin import BOT_USER
from bot.core import calendar, progress, questions
from bot.core.roadmap_load import load
from tests.blockkit import all_text, assert_valid_message, assert_valid_view
from tests.conftest import ROADMAP
from tests.polling import wait_until

ADMIN = "U0ADMIN01"
MEMBER = "U0MEMBER1"


@pytest.fixture
def home_box(tmp_path, clock):
    with Sandbox(
        roadmap_path=ROADMAP, db_path=tmp_path / "home.db", clock=clock, admins=(ADMIN,)
    ) as box:
        box.slack.add_user(MEMBER)
        box.slack.add_user(ADMIN)
        yield box


def open_home(box: Sandbox, user: str = MEMBER) -> dict:
    before = len(box.slack.calls_to("views.publish"))
    reply = box.client.event(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": "1.1",
        }
    )
    assert reply.status == 200
    call = box.slack.wait_for("views.publish", before + 1)[-1]
    assert call["user_id"] == user
    view = json.loads(call["view"]) if isinstance(call["view"], str) else call["view"]
    return assert_valid_view(view)


def this_week(box: Sandbox):
    return box.deps.this_week()[1]


def test_home_shows_this_week_progress_and_next_posts(home_box):
    view = open_home(home_box)
    text = all_text(view)
    week = this_week(home_box)
    assert week.topic.title in text
    assert f"Week {week.study_week} of" in text
    total = len(load(ROADMAP).followed())
    assert f"0/{total}" in text
    assert "weekly post" in text
    assert "Organizer" not in text


def test_ticking_the_topic_from_home_updates_progress(home_box):
    week = this_week(home_box)
    reply = home_box.client.action(
        "home_done", week.topic.id, user=MEMBER, channel=None, view={"id": "V1"}
    )
    assert reply.status == 200
    call = home_box.slack.wait_for("views.publish", 1)[-1]
    assert week.topic.id in progress.done_topics(home_box.pool.get(), MEMBER)
    assert "1/" in all_text(call["view"])


def test_open_questions_mine_and_to_help(home_box):
    db = home_box.pool.get()
    now = home_box.clock.now()
    questions.add_question(
        db,
        channel=home_box.channel,
        ts="1800000000.000100",
        user=MEMBER,
        text="Why is &lt;SVD&gt; unique? <!channel>",
        asked_at=now,
    )
    questions.add_question(
        db,
        channel=home_box.channel,
        ts="1800000000.000200",
        user="U0OTHER01",
        text="How do eigenvalues relate to PCA?",
        asked_at=now,
    )
    text = all_text(open_home(home_box))
    mine, _, help_part = text.partition("Questions you could help with")
    assert "Why is &lt;SVD&gt; unique?" in mine
    assert "<!channel>" not in text  # re-posted member text never pings
    assert "eigenvalues relate to PCA" in help_part


def test_home_stays_within_limits_with_a_large_archive(home_box):
    db = home_box.pool.get()
    now = home_box.clock.now()
    for i in range(300):
        questions.add_question(
            db,
            channel=home_box.channel,
            ts=f"1800000000.{i:06d}",
            user=MEMBER if i % 2 else "U0X",
            text=("A long question about gradients? " * 40) + str(i),
            asked_at=now,
        )
    view = open_home(home_box)
    assert len(view["blocks"]) <= 100


def test_organizer_sees_ledger_and_controls_and_can_skip(home_box):
    text = all_text(open_home(home_box, ADMIN))
    assert "Organizer" in text
    week = this_week(home_box)
    reply = home_box.client.action(
        "home_admin_skip", week.key, user=ADMIN, channel=None, view={"id": "V1"}
    )
    assert reply.status == 200
    published = home_box.slack.wait_for("views.publish", 2)[-1]
    changes = calendar.load_changes(home_box.pool.get())
    assert [c.kind for c in changes] == ["skip"]
    skipped = home_box.deps.calendar().week_of(changes[0].week_start)
    assert skipped.kind == "skip"
    assert f"{skipped.start:%b %-d}" in all_text(published["view"])  # the notice says which week
    # a member opening Home in the skipped week sees the break
    home_box.clock.set(home_box.clock.now() + (skipped.start - week.start))
    assert "break week" in all_text(open_home(home_box, MEMBER))


def test_organizer_home_lists_the_skipped_weeks(home_box):
    """Issue 7: organizers see the ledger's sent and failed posts and the skipped weeks (the
    weeks with no posts). A skip two weeks ahead shows there, for organizers only, until
    it is undone."""
    week = this_week(home_box)
    later = week.start + dt.timedelta(weeks=2)
    reply = home_box.client.command("/studygroup", f"skip {later:%Y-%m-%d}", user=ADMIN)
    assert reply.status == 200
    wait_until(lambda: calendar.load_changes(home_box.pool.get()))
    text = all_text(open_home(home_box, ADMIN))
    assert "Skipped weeks" in text and f"{later:%b %-d}" in text, text
    assert "Skipped weeks" not in all_text(open_home(home_box, MEMBER))
    home_box.client.command("/studygroup", "undo", user=ADMIN)
    wait_until(lambda: not calendar.load_changes(home_box.pool.get()))
    assert f"{later:%b %-d}" not in all_text(open_home(home_box, ADMIN))


def test_non_organizer_cannot_use_controls_even_with_a_crafted_payload(home_box):
    week = this_week(home_box)
    payload_user = {"id": MEMBER, "is_admin": True, "is_owner": True}
    reply = home_box.client.interaction(
        {
            "type": "block_actions",
            "user": payload_user,
            "trigger_id": "1.1",
            "actions": [
                {
                    "type": "button",
                    "action_id": "home_admin_pause",
                    "block_id": "home_admin",
                    "value": week.key,
                }
            ],
            "container": {"type": "view", "view_id": "V1"},
            "view": {"id": "V1"},
        }
    )
    assert reply.status == 200
    home_box.slack.wait_for("users.info", 1)
    assert calendar.load_changes(home_box.pool.get()) == []


def test_workspace_admin_is_an_organizer(home_box):
    home_box.slack.add_user("U0BOSS001", is_admin=True)
    assert "Organizer" in all_text(open_home(home_box, "U0BOSS001"))


def test_newcomer_is_greeted_once_with_a_catch_up_path(home_box):
    roadmap = load(ROADMAP)
    week = this_week(home_box)
    event = {
        "type": "member_joined_channel",
        "user": "U0NEWBIE1",
        "channel": home_box.channel,
        "channel_type": "C",
        "team": "T0TEAM001",
        "event_ts": "1.2",
    }
    assert home_box.client.event(event).status == 200
    call = home_box.slack.wait_for("chat.postEphemeral", 1)[0]
    assert call["user"] == "U0NEWBIE1" and call["channel"] == home_box.channel
    assert_valid_message({"text": call["text"], "blocks": call.get("blocks")})
    text = all_text(call.params)
    assert week.topic.title in text
    for prereq in week.topic.prerequisites:
        assert roadmap.topic(prereq).title in text
    # joining again (or Slack re-delivering under a new event id) greets no more
    assert home_box.client.event(dict(event, event_ts="1.3")).status == 200
    home_box.client.event(
        {"type": "member_joined_channel", "user": "U0NEWBIE2", "channel": "C0OTHER01"}
    )
    home_box.slack.wait_for("chat.postEphemeral", 1)
    assert len(home_box.slack.calls_to("chat.postEphemeral")) == 1


def test_the_bot_joining_the_channel_greets_nobody(home_box):
    """Inviting the bot to the channel (the first step of the setup) sends Slack a
    member_joined_channel for the bot itself, and Bolt keeps that self event: the bot greeted
    itself. A member's join after it is still greeted."""
    joined = {"type": "member_joined_channel", "channel": home_box.channel, "event_ts": "1.2"}
    assert home_box.client.event(dict(joined, user=BOT_USER, inviter=ADMIN)).status == 200
    assert home_box.client.event(dict(joined, user="U0NEWBIE1", event_ts="1.3")).status == 200
    (greeting,) = home_box.slack.wait_for("chat.postEphemeral", 1)
    assert greeting["user"] == "U0NEWBIE1"
    wait_until(lambda: home_box.deps.db.execute("SELECT count(*) FROM welcomed").fetchone()[0])
    assert [r[0] for r in home_box.deps.db.execute("SELECT user FROM welcomed")] == ["U0NEWBIE1"]


def test_home_before_the_start_and_after_the_end(home_box):
    roadmap = load(ROADMAP)
    start = roadmap.schedule.start
    home_box.clock.set(
        dt.datetime.combine(start - dt.timedelta(days=10), dt.time(9), roadmap.schedule.tz)
    )
    text = all_text(open_home(home_box))
    assert "starts on" in text and roadmap.followed()[0].title in text
    end = home_box.deps.calendar().end
    home_box.clock.set(
        dt.datetime.combine(end + dt.timedelta(days=30), dt.time(9), roadmap.schedule.tz)
    )
    assert "complete" in all_text(open_home(home_box))


def test_home_buttons_open_resources_and_the_ask_form(home_box):
    week = this_week(home_box)
    for action_id in ("home_resources", "home_ask"):
        reply = home_box.client.action(
            action_id, week.topic.id, user=MEMBER, channel=None, view={"id": "V1"}
        )
        assert reply.status == 200
    # Each opens its modal after the ack, so the two may reach Slack in either order.
    opened = [assert_valid_view(c["view"]) for c in home_box.slack.wait_for("views.open", 2)]
    [resources] = [v for v in opened if week.topic.resources[0].url in json.dumps(v)]
    [form] = [v for v in opened if v is not resources]
    assert form["type"] == "modal" and week.topic.title in json.dumps(form)


def test_extend_on_home_asks_for_confirmation_and_undo_reverses_it(home_box):
    view = open_home(home_box, ADMIN)
    controls = {
        e["action_id"]: e
        for b in view["blocks"]
        if b.get("block_id") == "home_admin"
        for e in b["elements"]
    }
    week = this_week(home_box)
    confirm = controls["home_admin_extend"]["confirm"]
    assert week.topic.title in confirm["text"]["text"] and confirm["confirm"]["text"] == "Extend"
    assert "confirm" in controls["home_admin_undo"]
    assert "confirm" not in controls["home_admin_skip"]
    # Slack sends the click only once the organizer confirmed: it extends, and Undo reverses it.
    home_box.client.action(
        "home_admin_extend", week.key, user=ADMIN, channel=None, view={"id": "V1"}
    )
    published = home_box.slack.wait_for("views.publish", 2)[-1]
    assert "one more week" in all_text(published["view"])
    assert [c.kind for c in calendar.load_changes(home_box.pool.get())] == ["extend"]
    home_box.client.action("home_admin_undo", week.key, user=ADMIN, channel=None, view={"id": "V1"})
    published = home_box.slack.wait_for("views.publish", 3)[-1]
    assert "Undid the extra week for" in all_text(published["view"])
    assert calendar.load_changes(home_box.pool.get()) == []


def test_home_weighs_topics_not_ticks_like_progress(home_box):
    """Ticks on topics the group has not reached do not make up for finished ones left
    unticked: Home says behind (and how far ahead), as /progress does."""
    db = home_box.pool.get()
    cal = home_box.deps.calendar()
    week = this_week(home_box)
    followed = load(ROADMAP).followed()
    finished = progress.standing(followed, cal, week, set()).behind
    assert finished, "the test week must come after finished topics"
    later = [t for t in followed if cal.spans[t.id][0] > week.index][: len(finished)]
    for topic in later:
        progress.mark_done(db, MEMBER, topic.id, home_box.clock.now())
    text = all_text(open_home(home_box))
    assert f"Behind the group on *{finished[0].title}*" in text
    assert f"{len(later)} topic" in text and "ahead" in text
    assert "in step" not in text.lower()


def test_home_next_line_leaves_out_a_weekly_post_sent_early(home_box):
    monday = this_week(home_box).start
    tz = home_box.deps.roadmap.schedule.tz
    home_box.clock.set(dt.datetime.combine(monday, dt.time(8, 0), tz))  # its post is due at 09:00
    reply = home_box.client.command("/studygroup", "post weekly", user=ADMIN)
    assert reply.status == 200
    assert "Sent" in home_box.slack.wait_for("response_url", 1)[0]["text"]
    text = all_text(open_home(home_box))
    later = monday + dt.timedelta(weeks=1)
    assert f"weekly post: Mon {later:%b %-d}, 09:00" in text
    assert f"weekly post: Mon {monday:%b %-d}" not in text


def test_home_counts_the_groups_track_like_progress(tmp_path, clock):
    """On a track (STUDYBOT_TRACK), Home's bar and standing cover the track's topics, as the
    calendar and /progress do, not every topic of the roadmap."""
    with Sandbox(
        roadmap_path=ROADMAP, db_path=tmp_path / "t.db", clock=clock, track="career-switch"
    ) as box:
        box.slack.add_user(MEMBER)
        on_track = len(box.deps.calendar().topics)
        assert on_track < len(load(ROADMAP).topics)
        assert f"0/{on_track} " in all_text(open_home(box))
