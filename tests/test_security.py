"""Security: forged, stale and replayed requests, organizer-only controls, secrets kept out of logs."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.sandbox import SECRET, Sandbox
from bot.cli.signed import Reply, SignedClient, signature
from bot.core import calendar
from bot.core.settings import Settings
from bot.slack.router import SORRY
from tests.conftest import ROADMAP
from tests.hardening import HOSTILE_TEXTS, PING, assert_no_pings, posted_texts, week3_clock
from tests.polling import quiet_for, wait_until
from tests.processes import bot_env, free_port, start_bot, stop_bot

ADMIN = "U0ADMIN01"  # in STUDYBOT_ADMINS
BOSS = "U0BOSS001"  # a workspace admin according to users.info
MEMBER = "U0MEMBER1"  # nobody special
CHANNEL = "C0STUDY01"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the module: every test here only adds rows, and checks its own."""
    db = tmp_path_factory.mktemp("security") / "studybot.db"
    with Sandbox(roadmap_path=ROADMAP, db_path=db, clock=week3_clock(), admins=(ADMIN,)) as sbox:
        sbox.slack.add_user(MEMBER)
        sbox.slack.add_user(ADMIN)
        sbox.slack.add_user(BOSS, is_admin=True)
        yield sbox


# --- forged, stale and replayed requests ------------------------------------------------------


class Capture(SignedClient):
    """The signed client's payload builders, without sending: returns (body, content type)."""

    def post(self, body: bytes, content_type: str, **opts: Any) -> tuple[bytes, str]:  # type: ignore[override]
        return body, content_type


_capture = Capture("http://127.0.0.1:9/slack/events", SECRET)


def request_of(kind: str, tag: str) -> tuple[bytes, str]:
    """A realistic request body of each kind Slack sends; `tag` makes it unique."""
    if kind == "command":
        return _capture.command("/nexttopic", user=MEMBER, trigger_id=f"{tag}.trigger")  # type: ignore[return-value]
    if kind == "event":
        event = {
            "type": "app_mention",
            "user": MEMBER,
            "text": "<@UBOT0001> hello",
            "ts": "1732230000.000100",
            "channel": CHANNEL,
            "event_ts": "1732230000.000100",
        }
        return _capture.event(event, event_id=f"Ev{tag}")  # type: ignore[return-value]
    if kind == "message":  # a member's message: the short path (bot/slack/message_path.py)
        event = {
            "type": "message",
            "user": MEMBER,
            "text": f"why does {tag} work?",
            "ts": "1732230000.000200",
            "channel": CHANNEL,
            "channel_type": "channel",
            "event_ts": "1732230000.000200",
        }
        return _capture.event(event, event_id=f"Ev{tag}")  # type: ignore[return-value]
    if kind == "action":
        return _capture.action("home_resources", value=f"no-such-topic-{tag}", user=MEMBER)  # type: ignore[return-value]
    if kind == "view_submission":
        return _capture.view_submission(f"callback-{tag}", {}, user=MEMBER)  # type: ignore[return-value]
    raise AssertionError(kind)


def send(box: Sandbox, body: bytes, ctype: str, headers: dict[str, str]) -> Reply:
    return box.client.post(body, ctype, sign=False, headers=headers)


def signed_headers(body: bytes, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(secret, stamp, body),
    }


def _unsigned(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {}


def _wrong_secret(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, secret="not-the-signing-secret")


def _stale(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, ts=int(time.time()) - 6 * 60)


def _future(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, ts=int(time.time()) + 6 * 60)


def _no_timestamp(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed_headers(body)
    del headers["X-Slack-Request-Timestamp"]
    return body, headers


def _no_signature(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed_headers(body)
    del headers["X-Slack-Signature"]
    return body, headers


def _garbage_signature(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed_headers(body)
    headers["X-Slack-Signature"] = "v1=" + headers["X-Slack-Signature"][3:]
    return body, headers


def _non_ascii_signature(body: bytes) -> tuple[bytes, dict[str, str]]:
    """A signature with a non-ASCII character (hmac refuses to compare such strings)."""
    headers = signed_headers(body)
    headers["X-Slack-Signature"] = "v0=\u00e9" + headers["X-Slack-Signature"][4:]
    return body, headers


def _tampered_body(body: bytes) -> tuple[bytes, dict[str, str]]:
    """Signed, then changed in flight (a member id swapped for an organizer's)."""
    return body.replace(MEMBER.encode(), ADMIN.encode()), signed_headers(body)


def _timestamp_swapped(body: bytes) -> tuple[bytes, dict[str, str]]:
    """A valid signature made for another second than the header claims."""
    now = int(time.time())
    headers = signed_headers(body, ts=now - 10)
    headers["X-Slack-Request-Timestamp"] = str(now)
    return body, headers


def _non_numeric_timestamp(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed_headers(body)
    headers["X-Slack-Request-Timestamp"] = "yesterday"
    return body, headers


FORGERIES = {
    "unsigned": _unsigned,
    "wrong-secret": _wrong_secret,
    "stale-6min": _stale,
    "future-6min": _future,
    "no-timestamp": _no_timestamp,
    "no-signature": _no_signature,
    "v1-signature": _garbage_signature,
    "non-ascii-signature": _non_ascii_signature,
    "tampered-body": _tampered_body,
    "timestamp-swapped": _timestamp_swapped,
    "timestamp-not-a-number": _non_numeric_timestamp,
}
KINDS = ("command", "event", "message", "action", "view_submission")


def events_seen(box: Sandbox, event_id: str) -> int:
    return (
        box.pool.get()
        .execute("SELECT count(*) FROM events_seen WHERE event_id = ?", (event_id,))
        .fetchone()[0]
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_forged_requests_are_refused_with_401(box: Sandbox, kind: str, forgery: str) -> None:
    tag = f"{kind}-{forgery}-{secrets.token_hex(4)}"
    body, ctype = request_of(kind, tag)
    calls_before = len(box.slack.calls)
    forged_body, headers = FORGERIES[forgery](body)
    reply = send(box, forged_body, ctype, headers)
    assert reply.status == 401, (reply.status, reply.text)
    assert SECRET not in reply.text
    # Nothing happened on the bot's side: no event recorded, no call to Slack.
    assert events_seen(box, f"Ev{tag}") == 0
    assert quiet_for(0.1, lambda: len(box.slack.calls)) == calls_before


@pytest.mark.parametrize("kind", KINDS)
def test_the_genuine_request_is_accepted_then_its_replay_refused(box: Sandbox, kind: str) -> None:
    tag = f"{kind}-replay-{secrets.token_hex(4)}"
    body, ctype = request_of(kind, tag)
    headers = signed_headers(body, ts=int(time.time()) - 4 * 60)  # old, but inside the window
    first = send(box, body, ctype, headers)
    assert first.status != 401 and first.status < 500, (first.status, first.text)
    again = send(box, body, ctype, headers)
    assert again.status == 401
    calls = len(box.slack.calls)
    retried = send(box, body, ctype, {**headers, "X-Slack-Retry-Num": "1"})
    if kind in ("event", "message"):
        # Slack's re-delivery of an event may carry the first one's signature (sent within
        # the same second): acknowledged, so Slack stops, and handled once by its event id.
        assert retried.status == 200
        assert events_seen(box, f"Ev{tag}") == 1
        assert quiet_for(0.2, lambda: len(box.slack.calls)) == calls
    else:
        # Slack re-delivers only events: on anything else the header changes nothing.
        assert retried.status == 401


def test_a_fresh_signature_on_a_redelivered_event_is_handled_once(box: Sandbox) -> None:
    """Slack's own re-delivery is signed afresh: accepted with a 2xx, but handled only once."""
    tag = f"redelivery-{secrets.token_hex(4)}"
    body, ctype = request_of("event", tag)
    assert send(box, body, ctype, signed_headers(body, ts=int(time.time()) - 2)).status == 200
    for n in (1, 2, 3):
        headers = {**signed_headers(body, ts=int(time.time()) - 2 + n), "X-Slack-Retry-Num": str(n)}
        assert send(box, body, ctype, headers).status == 200
    assert events_seen(box, f"Ev{tag}") == 1


def test_http_mode_without_a_signing_secret_does_not_start(tmp_path: Path) -> None:
    """Without SLACK_SIGNING_SECRET the app would accept unsigned requests: refuse to run."""
    from bot.cli.standin import SlackStandIn

    with SlackStandIn() as slack:
        env = bot_env(slack, tmp_path / "bot.db", free_port())
        del env["SLACK_SIGNING_SECRET"]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr


# --- organizer-only controls ------------------------------------------------------------------


def changes(box: Sandbox) -> int:
    return len(calendar.load_changes(box.pool.get()))


def crafted_action(box: Sandbox, action_id: str, user: str, value: str) -> Reply:
    """A block_actions payload that claims, every way it can, that `user` is an admin."""
    claims = {"is_admin": True, "is_owner": True, "is_primary_owner": True, "is_organizer": True}
    return box.client.interaction(
        {
            "type": "block_actions",
            "user": {"id": user, "username": "mallory", "team_id": "T0TEAM001", **claims},
            "trigger_id": f"{secrets.token_hex(4)}.trigger",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "home_admin",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {"id": "V0HOME", "type": "home", "callback_id": "home"},
            "enterprise": None,
            "is_enterprise_install": False,
            **claims,
        }
    )


def users_info_calls(box: Sandbox, user: str) -> int:
    return sum(1 for c in box.slack.calls if c.method == "users.info" and c.get("user") == user)


@pytest.mark.parametrize("control", ["skip", "extend", "pause", "resume"])
def test_home_organizer_buttons_refuse_a_member_claiming_to_be_admin(
    box: Sandbox, control: str
) -> None:
    week = box.deps.this_week()[1]
    before = changes(box)
    asked = users_info_calls(box, MEMBER)
    reply = crafted_action(box, f"home_admin_{control}", MEMBER, week.key)
    assert reply.status == 200
    # Slack was asked (the first time; then the answer is remembered), and nothing changed.
    assert asked > 0 or wait_until(lambda: users_info_calls(box, MEMBER) > asked)
    assert quiet_for(0.5, lambda: changes(box)) == before


@pytest.mark.slow
def test_home_organizer_buttons_refuse_when_slack_cannot_confirm_the_role(box: Sandbox) -> None:
    """users.info failing (500, dropped connection) means no, and the no is not remembered."""
    boss = "U0BOSS00X"
    box.slack.add_user(boss, is_admin=True)
    week = box.deps.this_week()[1]
    before = changes(box)
    asked = 0
    for status, attempts in ((500, 1), (0, 3)):  # a dropped connection is retried twice
        box.slack.fail("users.info", status=status, times=attempts)
        assert crafted_action(box, "home_admin_pause", boss, week.key).status == 200
        asked += attempts
        wait_until(lambda asked=asked: users_info_calls(box, boss) == asked)
        assert quiet_for(0.5, lambda: changes(box)) == before
    # Slack answers again: the workspace admin is an organizer after all.
    assert box.client.action("home_admin_pause", week.key, user=boss, channel=None).status == 200
    wait_until(lambda: changes(box) == before + 1)
    assert box.client.action("home_admin_resume", week.key, user=boss, channel=None).status == 200
    wait_until(lambda: changes(box) == before + 2)


def test_home_organizer_buttons_work_for_organizers(box: Sandbox) -> None:
    """The positive control: STUDYBOT_ADMINS and workspace admins may use them."""
    week = box.deps.this_week()[1]
    before = changes(box)
    done = before
    for user in (ADMIN, BOSS):
        for control in ("pause", "resume"):
            reply = box.client.action(f"home_admin_{control}", week.key, user=user, channel=None)
            assert reply.status == 200
            # Each runs after its ack: a resume sent before the pause landed finds nothing to
            # resume, so wait for each one as a member clicking would see it.
            done += 1
            wait_until(
                lambda n=done: changes(box) >= n,
                timeout=15,
                message=lambda: (
                    box.pool.get().execute("SELECT kind, by_user FROM calendar_changes").fetchall()
                ),
            )


def test_a_forged_organizer_action_is_refused_before_any_listener(box: Sandbox) -> None:
    week = box.deps.this_week()[1]
    before = changes(box)
    reply = box.client.action(
        "home_admin_skip", week.key, user=ADMIN, channel=None, secret="guessed-secret"
    )
    assert reply.status == 401
    assert quiet_for(0.5, lambda: changes(box)) == before


def studygroup(box: Sandbox, text: str, user: str, **claims: str) -> str:
    """Run /studygroup and return what the member saw (the ack, or the response_url answer)."""
    answered = len(box.slack.calls_to("response_url"))
    reply = box.client.command("/studygroup", text, user=user, **claims)
    assert reply.status == 200, reply.text
    assert "coming soon" not in reply.text, "/studygroup answers with its placeholder"
    if reply.body:
        return reply.text
    call = box.slack.wait_for("response_url", answered + 1)[answered]
    return json.dumps(call.params, sort_keys=True)


def kv_rows(box: Sandbox) -> list[tuple[str, str]]:
    return box.pool.get().execute("SELECT key, value FROM kv ORDER BY key").fetchall()


ORGANIZER_COMMANDS = (
    "skip",
    "extend",
    "pause",
    "resume",
    "post weekly",
    "post recap force",
    "channel C0EVIL001",
    "channel <#C0EVIL001|evil>",
)


def test_studygroup_refuses_a_member_claiming_to_be_admin(box: Sandbox) -> None:
    before, kv_before, posts_before = changes(box), kv_rows(box), len(box.slack.posts())
    claims = {"is_admin": "true", "is_owner": "true", "user_is_admin": "true"}
    answers = {studygroup(box, text, MEMBER, **claims) for text in ORGANIZER_COMMANDS}
    assert len(answers) == 1, answers  # one refusal, whatever was asked
    assert quiet_for(0.5, lambda: (changes(box), len(box.slack.posts()))) == (before, posts_before)
    assert kv_rows(box) == kv_before
    # The refusal is not what an organizer sees.
    assert studygroup(box, "status", ADMIN) not in answers


def test_studygroup_works_for_organizers(box: Sandbox) -> None:
    """The positive control: an organizer's request changes the calendar."""
    for user in (ADMIN, BOSS):
        before = changes(box)
        studygroup(box, "extend", user)
        wait_until(lambda before=before: changes(box) > before)


# --- secrets never in logs or error messages --------------------------------------------------


def _secrets() -> dict[str, str]:
    return {
        "bot token": "xoxb-" + secrets.token_hex(20),
        "signing secret": secrets.token_hex(16),
        "app token": "xapp-1-" + secrets.token_hex(20),
    }


def leaks(text: str, values: dict[str, str]) -> list[str]:
    """Which secrets appear in `text`, whole or as any 12-character piece of their random part."""
    found = []
    for name, value in values.items():
        core = value.split("-")[-1]
        pieces = {core[i : i + 12] for i in range(0, len(core) - 11)}
        if value in text or any(p in text for p in pieces):
            found.append(name)
    return found


def drive_a_busy_session(client: SignedClient, slack: Any) -> list[Reply]:
    """Commands, events, faults that make listeners fail, and bad requests."""
    replies: list[Reply] = []

    def event(e: dict[str, Any], **opts: Any) -> None:
        replies.append(client.event(e, **opts))

    for text in ("", "help"):
        for name in ("/nexttopic", "/resources", "/roadmap", "/progress", "/qa", "/ask"):
            replies.append(client.command(name, text or "eigenvectors", user=MEMBER))
    replies.append(client.command("/studygroup", "status", user=ADMIN))
    replies.append(client.command("/studygroup", "pause", user=MEMBER))
    ts = slack.next_ts()
    event(slack.add_message(CHANNEL, MEMBER, "Q: why does PCA use eigenvectors?", ts=ts))
    event(slack.add_message(CHANNEL, ADMIN, "Because of the covariance matrix.", thread_ts=ts))
    event(
        {
            "type": "reaction_added",
            "user": MEMBER,
            "reaction": "white_check_mark",
            "item": {"type": "message", "channel": CHANNEL, "ts": ts},
            "event_ts": ts,
        }
    )
    home = {"type": "app_home_opened", "user": MEMBER, "channel": "D0HOME", "tab": "home"}
    event(home)
    event({"type": "member_joined_channel", "user": "U0NEWBIE1", "channel": CHANNEL})
    # Faults from Slack while listeners work: 500s, an auth error, 429s, dropped connections.
    for fault in (
        {"status": 500, "times": 3},
        {"status": 200, "error": "invalid_auth", "times": 3},
        {"status": 429, "retry_after": 1, "times": 1},
        {"status": 0, "times": 3},
    ):
        slack.fail("*", **fault)
        event(home)
        replies.append(client.command("/nexttopic", user=MEMBER))
        replies.append(crafted_action_via(client, "home_admin_skip", ADMIN))
        time.sleep(0.3)
        slack.reset()
    # Bad requests: forged, stale, malformed, too big.
    replies.append(client.command("/nexttopic", _secret="wrong-secret"))
    replies.append(client.command("/nexttopic", _timestamp=int(time.time()) - 3600))
    replies.append(client.post(b"{not json", "application/json"))
    replies.append(client.post(b"payload=%7Bbroken", "application/x-www-form-urlencoded"))
    replies.append(client.post(b"x" * 1_100_000, "application/json"))
    return replies


def crafted_action_via(client: SignedClient, action_id: str, user: str) -> Reply:
    return client.action(action_id, "2026-W01", user=user, channel=None, view={"id": "V1"})


@pytest.mark.slow
def test_a_full_debug_run_never_logs_tokens_or_the_signing_secret(tmp_path: Path) -> None:
    """`studybot -v run` (HTTP) with commands, events, failing listeners and bad requests; then
    Socket Mode refused and failing; then malformed tokens: no secret in any output or reply."""
    from bot.cli.standin import SlackStandIn

    values = _secrets()
    log = tmp_path / "bot.log"
    with SlackStandIn() as slack:
        for user in (MEMBER, ADMIN):
            slack.add_user(user)
        env = bot_env(
            slack,
            tmp_path / "bot.db",
            free_port(),
            SLACK_BOT_TOKEN=values["bot token"],
            SLACK_SIGNING_SECRET=values["signing secret"],
            STUDYBOT_ADMINS=ADMIN,
        )
        proc, base = start_bot(env, tmp_path, log, verbose=True)
        try:
            client = SignedClient(
                base + "/slack/events", values["signing secret"], response_url=slack.response_url()
            )
            replies = drive_a_busy_session(client, slack)
            proc.send_signal(signal.SIGHUP)  # a roadmap reload is logged too
            time.sleep(0.5)
        finally:
            stop_bot(proc)
        # The bot really used the token (so a leak had the chance to happen) ...
        assert any(c.token == values["bot token"] for c in slack.calls)
        replied = "\n".join(r.text for r in replies)
        sent = json.dumps([c.params for c in slack.calls], default=str)

        # Socket Mode: refused (invalid_auth: the bot stops), then Slack failing (500: the
        # bot keeps trying, and is stopped after three tries).
        socket_env = {**env, "SLACK_APP_TOKEN": values["app token"]}
        socket_run = [sys.executable, "-m", "bot", "-v", "run"]
        slack.fail("apps.connections.open", status=200, error="invalid_auth")
        run = subprocess.run(
            socket_run, env=socket_env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert run.returncode != 0
        with log.open("a") as out:
            out.write(run.stdout + run.stderr)
        slack.reset()
        slack.fail("apps.connections.open", status=500, times=50)
        with log.open("ab") as out:
            trying = subprocess.Popen(
                socket_run, env=socket_env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
            )
            try:
                wait_until(
                    lambda: sum(c.method == "apps.connections.open" for c in slack.calls) >= 3,
                    timeout=30,
                )
            finally:
                stop_bot(trying)
        opened = [c for c in slack.calls if c.method == "apps.connections.open"]
        assert opened and all(c.token == values["app token"] for c in opened)
        slack.reset()

    # Malformed tokens (a user token where the bot token goes, a bot token as the app token).
    for variable, value in (
        ("SLACK_BOT_TOKEN", "xoxp-" + values["bot token"][5:]),
        ("SLACK_APP_TOKEN", "xoxb-" + values["app token"][7:]),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "bot", "-v", "run"],
            env={**env, variable: value},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert run.returncode == 2 and variable in run.stderr
        with log.open("a") as out:
            out.write(run.stdout + run.stderr)

    output = log.read_text(errors="replace")
    # It did log, a lot: debug lines, and the failing listeners' errors.
    assert "DEBUG" in output and "ERROR" in output
    assert leaks(output, values) == [], "secret in the logs"
    assert leaks(replied, values) == [], "secret in an HTTP reply"
    assert leaks(sent, values) == [], "secret in a message sent to Slack"


def test_settings_repr_hides_the_secrets() -> None:
    values = _secrets()
    settings = Settings(
        bot_token=values["bot token"],
        signing_secret=values["signing secret"],
        app_token=values["app token"],
    )
    assert leaks(repr(settings) + str(settings), values) == []


# --- search input never reaches SQL -----------------------------------------------------------

SQL_AND_FTS = [
    "'; DROP TABLE qa_questions; --",
    '"; DROP TABLE qa_answers; --',
    "1' OR '1'='1",
    'x" OR 1=1 --',
    "vector); DELETE FROM qa_questions; --",
    "eigen*",
    "*",
    "NEAR(vector space, 2)",
    "body:vector",
    "qa_questions_fts:vector",
    "{body}: vector",
    "vector AND NOT space",
    "vector OR 1=1",
    "^vector",
    "-vector",
    '"unclosed phrase',
    "(((",
    ")))",
    "AND",
    "%",
    "_",
    "\\",
    "\x00",
    "topic:'; DROP TABLE qa_questions; --",
    "topic:x' OR 1=1 --",
    "mine'; --",
    'unanswered"',
    "vector " * 500,
]


def archive_state(box: Sandbox) -> tuple[Any, ...]:
    db = box.pool.get()
    tables = tuple(
        r[0] for r in db.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
    )
    counts = tuple(
        db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - our own names
        for t in ("qa_questions", "qa_answers", "events_seen", "calendar_changes")
    )
    return tables, counts


def qa_answer(box: Sandbox, text: str) -> str:
    """What /qa answered (the ack, or its response_url answer)."""
    answered = len(box.slack.calls_to("response_url"))
    reply = box.client.command("/qa", text, user=MEMBER)
    assert reply.status == 200, reply.text
    if reply.body:
        return reply.text
    return json.dumps(box.slack.wait_for("response_url", answered + 1)[answered].params)


def test_search_input_never_reaches_sql(box: Sandbox) -> None:
    hostile = "Q: what does '; DROP TABLE qa_questions; -- do to a vector space?"
    event = box.slack.add_message(CHANNEL, MEMBER, hostile)
    assert box.client.event(event).status == 200
    wait_until(lambda: archive_state(box)[1][0] > 0)
    before = archive_state(box)
    for text in SQL_AND_FTS:
        answer = qa_answer(box, text)
        assert SORRY not in answer, text
    assert archive_state(box) == before
    assert box.pool.get().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The hostile words are data: searching for them finds the question that holds them.
    assert "vector space" in qa_answer(box, "DROP TABLE qa_questions")


# --- member text never pings anyone when re-posted -------------------------------------------

ASKER2 = "U0ASKER02"
NEUTRALISED = ("@channel", "@here", "@everyone", "@admins", "@U0VICTIM1", "@victim")


@pytest.mark.slow  # ten texts through seven paths
def test_member_text_never_pings_anyone_when_re_posted(tmp_path: Path) -> None:
    """Hostile text (channel/here/everyone/subteam/user mentions, mrkdwn, links) through every
    path that re-posts member text: /ask, "asked before", the nudge and recap digests, /qa
    results, App Home, /studygroup status. Only the bot's own mentions of real members remain."""
    from bot.slack.manual_scheduler import ManualScheduler

    clock = week3_clock()
    with Sandbox(
        roadmap_path=ROADMAP, db_path=tmp_path / "pings.db", clock=clock, admins=(ADMIN,)
    ) as sbox:
        for user in (MEMBER, ADMIN, ASKER2):
            sbox.slack.add_user(user)
        scheduler = ManualScheduler(sbox.deps, sbox.app.client)  # the weekly post goes out

        def say(user: str, text: str, **extra: Any) -> str:
            event = sbox.slack.add_message(CHANNEL, user, text, **extra)
            assert sbox.client.event(event).status == 200
            return str(event["ts"])

        asked = []
        for i, text in enumerate(HOSTILE_TEXTS):
            ts = say(MEMBER, f"Q: eigenvectors {i}: {text}?")
            answer = say(ADMIN, f"eigenvectors answer {i}: {text}", thread_ts=ts)
            asked.append((ts, answer))
        # The asker accepts the first answer; the same question asked again is "asked before".
        ts, answer = asked[0]
        reaction = {
            "type": "reaction_added",
            "user": MEMBER,
            "reaction": "white_check_mark",
            "item": {"type": "message", "channel": CHANNEL, "ts": answer},
            "item_user": ADMIN,
            "event_ts": sbox.slack.next_ts(),
        }
        assert sbox.client.event(reaction).status == 200
        say(ASKER2, f"Q: eigenvectors 0: {HOSTILE_TEXTS[0]}?")
        for text in HOSTILE_TEXTS[:4]:
            assert sbox.client.command("/ask", f"eigenvectors: {text}?", user=ASKER2).status == 200
        for text in ("eigenvectors", "channel", "victim", "mine", "unanswered"):
            assert sbox.client.command("/qa", text, user=MEMBER).status == 200
        for user in (MEMBER, ADMIN):
            home = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
            assert sbox.client.event(home).status == 200
        assert sbox.client.command("/studygroup", "status", user=ADMIN).status == 200
        # The week's nudge and recap list the questions and thank the answerers.
        scheduler.run_until(clock.now() + dt.timedelta(days=5))
        quiet_for(1.0, lambda: len(sbox.slack.calls))  # let the work after the acks finish

        calls = list(sbox.slack.calls)
        assert_no_pings(calls, allowed=(MEMBER, ADMIN, ASKER2))

        # Every path did re-post member text (mentions shown inert, as @channel or @U0VICTIM1).
        def reposted(call: Any) -> bool:
            return any(m in t for t in posted_texts([call]) for m in NEUTRALISED)

        sent = {c.method for c in calls if reposted(c)}
        assert {"chat.postMessage", "views.publish", "response_url"} <= sent, sent
        kinds = {
            ((c.get("metadata") or {}).get("event_payload") or {}).get("kind", "reply")
            for c in sbox.slack.posts(CHANNEL)
            if reposted(c)
        }
        assert {"reply", "nudge"} <= kinds, kinds  # /ask and "asked before"; the digest


@pytest.mark.parametrize(
    "typed", ["&lt;!channel&gt;", "&lt;@U0VICTIM1&gt; x", "<<!channel>> nested <!here"]
)
def test_qa_search_words_a_member_typed_never_ping_in_the_fallback(
    box: Sandbox, typed: str
) -> None:
    """A member who types `<!channel>` into /qa (Slack sends `&lt;!channel&gt;`): the answer
    quotes the search words, and its plain fallback `text`, which Slack reads as mrkdwn too,
    must not turn them back into a ping (it did: `text.plain()` unescaped `&lt;`)."""
    answered = len(box.slack.calls_to("response_url"))
    reply = box.client.command("/qa", typed, user=MEMBER)
    assert reply.status == 200, reply.text
    calls = box.slack.wait_for("response_url", answered + 1)[answered:]
    assert_no_pings(calls)
    assert not PING.search(reply.text)
    # The words are quoted (shown as typed or inert), not dropped.
    assert any("channel" in t or "U0VICTIM1" in t for t in posted_texts(calls)), calls
