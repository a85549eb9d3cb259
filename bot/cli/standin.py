"""A Slack stand-in on 127.0.0.1: the Web API methods the bot calls, response_url, faults on demand."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.cli.waiting import wait_on
from bot.slack.manifest import BOT_SCOPES

BOT_USER = "UBOT0001"
BOT_ID = "B0BOT0001"
TEAM_ID = "T0TEAM001"
HOLD_LIMIT = 60.0  # seconds a held request waits for its release at most (a test that forgot)


@dataclass
class Call:
    """One request the stand-in received."""

    method: str  # Web API method, or "response_url"
    params: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.time)
    status: int = 200

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass
class Fault:
    method: str  # a Web API method, or "*"
    status: int  # 429, 500, ... or 0 for "close the connection"
    times: int
    retry_after: int | None = None
    delay: float = 0.0
    error: str | None = None  # answer 200 with {"ok": false, "error": ...}
    # status 0 only: do the work (post the message…), then drop the connection without an
    # answer, as when Slack's reply is lost on the way back. Retrying blindly duplicates.
    after: bool = False
    # status 0 only: keep the connection open, unanswered, until `release` is set (`reached`
    # says the request got there, and with after=True that the work is done), so a test can
    # act at that moment, e.g. kill the client process.
    hold: bool = False
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class SlackStandIn:
    """Start with `with SlackStandIn() as slack:`; point the bot at `slack.api_url`."""

    def __init__(self, port: int = 0) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        # channel -> ts -> message (what the channel holds, for history/replies)
        self.messages: dict[str, dict[str, dict[str, Any]]] = {}
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._base = int(time.time())
        self.history_page_size = 200
        self.scopes: list[str] = list(BOT_SCOPES)  # what the installed app was granted
        self.not_member: set[str] = set()  # channels the bot was not invited to
        # channel -> its members, in the order they joined (conversations.members); a channel
        # not listed here has every workspace member who is not deleted or a bot.
        self.members: dict[str, list[str]] = {}
        # group DMs opened with conversations.open: their id -> the members
        self.group_dms: dict[str, list[str]] = {}
        self.members_page_size = 100
        # Methods answered as by a minimal stand-in that does not model them: {"ok": true} and
        # nothing else (the fields a real answer always has are missing).
        self.unmodelled: set[str] = set()
        # A Socket Mode server (bot/cli/standin_socket.py) attaches itself here; then
        # apps.connections.open hands out its WebSocket URLs.
        self.socket_mode: Any = None
        # Files uploaded the v2 way (files.getUploadURLExternal, a POST of the bytes to the
        # upload URL, files.completeUploadExternal), by file id.
        self.files: dict[str, dict[str, Any]] = {}
        self._files = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None
        self.changed = threading.Condition(self.lock)

    # --- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.url}/response/{key}"

    def start(self) -> SlackStandIn:
        self.thread = threading.Thread(
            # A short poll: stop() returns at once instead of after half a second.
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-standin",
            daemon=True,
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- test controls ---------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
        error: str | None = None,
        after: bool = False,
        hold: bool = False,
    ) -> Fault:
        """The next `times` calls of `method` ("*" for any) fail this way. status=0 drops the
        connection (before doing anything, or with after=True once the work is done; with
        hold=True only once the returned fault's `release` is set)."""
        fault = Fault(method, status, times, retry_after, delay, error, after, hold)
        with self.lock:
            self.faults.append(fault)
        return fault

    def add_user(self, user_id: str, name: str | None = None, **flags: Any) -> None:
        """A workspace member; flags such as is_admin=True, is_owner=True, deleted=True."""
        name = name or user_id.lower()
        with self.lock:
            self.users[user_id] = {
                "id": user_id,
                "team_id": TEAM_ID,
                "name": name,
                "real_name": flags.pop("real_name", name.title()),
                "is_admin": False,
                "is_owner": False,
                "is_bot": False,
                "deleted": False,
                "tz": "America/Los_Angeles",
                "profile": {"display_name": name, "real_name": name.title()},
                **flags,
            }

    def channel_members(self, channel: str) -> list[str]:
        """Who is in `channel` (conversations.members), the bot included."""
        with self.lock:
            if channel in self.members:
                return list(self.members[channel])
            people = [u["id"] for u in self.users.values() if not u["deleted"] and not u["is_bot"]]
            return [BOT_USER, *people]

    def join(self, channel: str, *users: str) -> None:
        """These members join `channel` (from then on its members are listed explicitly)."""
        with self.lock:
            listed = self.members.setdefault(channel, self.channel_members(channel))
            listed.extend(u for u in users if u not in listed)

    def leave(self, channel: str, *users: str) -> None:
        """These members leave `channel`."""
        with self.lock:
            listed = self.members.setdefault(channel, self.channel_members(channel))
            listed[:] = [u for u in listed if u not in users]

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method and c.status == 200]

    def posts(self, channel: str | None = None) -> list[Call]:
        """Successful chat.postMessage calls (optionally to one channel)."""
        return [
            c
            for c in self.calls_to("chat.postMessage")
            if channel is None or c.get("channel") == channel
        ]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until `method` has been called successfully `count` times; return those calls."""
        wait_on(
            self.changed,
            lambda: len(self.calls_to(method)) >= count,
            timeout,
            lambda: (
                f"{method} called {len(self.calls_to(method))} times, expected {count}; "
                f"calls so far: {[c.method for c in self.calls]}"
            ),
        )
        return self.calls_to(method)

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.faults.clear()

    def next_ts(self) -> str:
        with self.lock:
            return f"{self._base + next(self._ts)}.{next(self._ts) % 1000000:06d}"

    def add_message(self, channel: str, user: str, text: str, **fields: Any) -> dict[str, Any]:
        """Put a member's message in a channel (as if typed in Slack); returns the event payload."""
        ts = fields.pop("ts", None) or self.next_ts()
        message = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel,
            **fields,
        }
        with self.lock:
            self.messages.setdefault(channel, {})[ts] = message
            parent = message.get("thread_ts")
            if parent and parent != ts and parent in self.messages[channel]:
                head = self.messages[channel][parent]
                head["reply_count"] = head.get("reply_count", 0) + 1
                head.setdefault("thread_ts", parent)
        return dict(message, channel_type="channel", event_ts=ts)

    # --- the Web API -----------------------------------------------------------------

    def _fault_for(self, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method in (method, "*") and fault.times > 0 and fault.status != 0:
                    fault.times -= 1
                    return fault
        return None

    def answer(
        self, method: str, params: dict[str, Any], token: str | None, lost: bool = False
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Handle one Web API call; `lost`: it is done but recorded with status 0 (no answer)."""
        fault = None if lost else self._fault_for(method)
        if fault and fault.delay:
            time.sleep(fault.delay)
        call = Call(method, params, token)
        if fault and fault.status != 200:
            call.status = fault.status
            headers = (
                {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            )
            error = "ratelimited" if fault.status == 429 else "internal_error"
            self._record(call)
            return fault.status, {"ok": False, "error": error}, headers
        if fault and fault.error:
            self._record(call)
            return 200, {"ok": False, "error": fault.error}, {}
        if method != "response_url" and not token:
            self._record(call)
            return 200, {"ok": False, "error": "not_authed"}, {}
        handler = (
            None
            if method in self.unmodelled
            else getattr(self, "_m_" + method.replace(".", "_"), None)
        )
        body = (
            handler(params) if handler else {"ok": True, "warning": "stand-in: method not modelled"}
        )
        call.status = 0 if lost else 200
        self._record(call)
        # Slack tells the token's scopes on every answer; auth.test is where clients read them.
        headers = {"x-oauth-scopes": ",".join(self.scopes)} if method == "auth.test" else {}
        return 200, body, headers

    def _record(self, call: Call) -> None:
        with self.changed:
            self.calls.append(call)
            self.changed.notify_all()

    def _m_response_url(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _m_apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.socket_mode is None:  # as before the Socket Mode stand-in existed
            return {"ok": True, "warning": "stand-in: method not modelled"}
        return {"ok": True, "url": self.socket_mode.new_url()}

    def _m_auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://standin.slack.com/",
            "team": "Study Team",
            "user": "studybot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
        }

    def _stored(self, p: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": p.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if p.get(key) is not None:
                value = p[key]
                message[key] = (
                    json.loads(value) if isinstance(value, str) and key != "thread_ts" else value
                )
        return message

    def _m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not p.get("text") and not p.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = self.next_ts()
        message = self._stored(p, ts)
        with self.lock:
            self.messages.setdefault(channel, {})[ts] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self.next_ts()}

    def _m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(p.get("channel")), str(p.get("ts"))
        with self.lock:
            message = self.messages.get(channel, {}).get(ts)
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            message.update(self._stored(p, ts))
        return {"ok": True, "channel": channel, "ts": ts, "text": p.get("text", "")}

    def _m_chat_delete(self, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.messages.get(str(p.get("channel")), {}).pop(str(p.get("ts")), None)
        return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}

    def _m_chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = p.get("channel", ""), str(p.get("message_ts", ""))
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://standin.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _view(self, p: dict[str, Any]) -> dict[str, Any]:
        view = p.get("view")
        view = json.loads(view) if isinstance(view, str) else dict(view or {})
        view["id"] = f"V{next(self._views):08d}"
        return {"ok": True, "view": view}

    _m_views_publish = _view
    _m_views_open = _view
    _m_views_update = _view
    _m_views_push = _view

    def _m_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(p.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = [u.strip() for u in str(p.get("users", "")).split(",") if u.strip()]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) > 8:
            return {"ok": False, "error": "too_many_users"}
        if len(users) == 1:
            return {"ok": True, "channel": {"id": "D" + users[0][1:]}}
        # A group DM: the same members always get the same conversation, as in Slack.
        key = "G" + hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        with self.lock:
            self.group_dms[key] = sorted(users)
        return {"ok": True, "channel": {"id": key, "is_mpim": True}}

    def _m_conversations_members(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        everyone = self.channel_members(channel)
        limit = min(int(p.get("limit") or 100), self.members_page_size)
        start = int(p.get("cursor") or 0)
        more = start + limit < len(everyone)
        return {
            "ok": True,
            "members": everyone[start : start + limit],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            people = list(self.users.values())
        limit = min(int(p.get("limit") or 100), self.members_page_size)
        start = int(p.get("cursor") or 0)
        more = start + limit < len(people)
        return {
            "ok": True,
            "members": people[start : start + limit],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "channel": {
                "id": p.get("channel"),
                "name": "study-group",
                "is_member": p.get("channel") not in self.not_member,
            },
        }

    def _m_conversations_join(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._m_conversations_info(p)

    def _page(self, items: list[dict[str, Any]], p: dict[str, Any]) -> dict[str, Any]:
        limit = min(int(p.get("limit") or 100), self.history_page_size)
        start = int(p.get("cursor") or 0)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("filename") or not str(p.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._files):08d}"
        with self.lock:
            self.files[file_id] = {
                "id": file_id,
                "name": p["filename"],
                "length": int(p["length"]),
                "data": None,
                "channels": [],
            }
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def upload(self, file_id: str, data: bytes) -> bool:
        """The bytes POSTed to an upload URL; False for an unknown file."""
        with self.lock:
            file = self.files.get(file_id)
            if file is None:
                return False
            file["data"] = data
        self._record(Call("upload", {"file_id": file_id, "bytes": len(data)}, None))
        return True

    def _m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        listed = p.get("files")
        listed = json.loads(listed) if isinstance(listed, str) else listed or []
        channel = p.get("channel_id") or ""
        done = []
        with self.lock:
            for item in listed:
                file = self.files.get(str(item.get("id")))
                if file is None or file["data"] is None:
                    return {"ok": False, "error": "file_not_found"}
                file["title"] = item.get("title") or file["name"]
                if channel:
                    file["channels"].append(channel)
                    file["initial_comment"] = p.get("initial_comment")
                done.append({k: v for k, v in file.items() if k != "data"})
        return {"ok": True, "files": done}

    def _m_conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel", "")
        oldest = float(p.get("oldest") or 0)
        latest = float(p.get("latest") or 1e12)
        with self.lock:
            top = [
                dict(m)
                for m in self.messages.get(channel, {}).values()
                if oldest <= float(m["ts"]) <= latest
                and m.get("thread_ts", m["ts"]) == m["ts"]
                or m.get("subtype") == "thread_broadcast"
                and oldest <= float(m["ts"]) <= latest
            ]
        if not p.get("include_all_metadata"):
            for m in top:
                m.pop("metadata", None)
        top.sort(key=lambda m: float(m["ts"]), reverse=True)
        return self._page(top, p)

    def _m_conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = p.get("channel", ""), p.get("ts", "")
        with self.lock:
            thread = [
                dict(m)
                for m in self.messages.get(channel, {}).values()
                if m["ts"] == ts or m.get("thread_ts") == ts
            ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        thread.sort(key=lambda m: float(m["ts"]))
        return self._page(thread, p)


def _handler(slack: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            raw = data.decode("utf-8", "replace")
            path = urllib.parse.urlsplit(self.path).path
            if path.startswith("/upload/"):  # files upload v2: the bytes of one file
                found = slack.upload(path[len("/upload/") :], data)
                self._send(200 if found else 404, {"ok": found}, {})
                return
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype:
                try:
                    params = json.loads(raw or "{}")
                except json.JSONDecodeError:
                    params = {}
            else:
                params = {
                    k: v[-1] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()
                }
            token = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Bearer "):
                token = auth[7:]
            token = token or params.pop("token", None)
            if path.startswith("/api/"):
                method = path[len("/api/") :]
            elif path.startswith("/response/"):
                method = "response_url"
                params = dict(params, _key=path[len("/response/") :])
            else:
                self._send(404, {"ok": False, "error": "unknown_path"}, {})
                return
            dropped: Fault | None = None
            with slack.lock:
                for fault in slack.faults:
                    if fault.method in (method, "*") and fault.times > 0 and fault.status == 0:
                        fault.times -= 1
                        dropped = fault
                        break
            if dropped is not None:  # a dropped connection, as when a proxy dies
                if dropped.delay:
                    time.sleep(dropped.delay)
                if dropped.after:  # the work is done; only the answer is lost
                    slack.answer(method, params, token, lost=True)
                else:
                    slack._record(Call(method, params, token, status=0))
                if dropped.hold:
                    dropped.reached.set()
                    dropped.release.wait(HOLD_LIMIT)
                self.close_connection = True
                self.connection.close()
                return
            status, body, headers = slack.answer(method, params, token)
            self._send(status, body, headers)

        do_GET = do_POST

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
