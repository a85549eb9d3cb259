"""Send correctly signed Slack requests to the app's HTTP endpoint, as Slack does."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from bot.cli.standin import TEAM_ID

# The stand-in's workspace, as its auth.test `url` names it (https://standin.slack.com/): the
# payloads name the same one, so links built from a payload's team_domain and from the
# workspace URL have one host, as in a real workspace.
TEAM_DOMAIN = "standin"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SignedClient:
    """Posts slash commands, events and interactivity payloads to `url` (…/slack/events)."""

    def __init__(
        self, url: str, secret: str, response_url: str = "http://127.0.0.1:9/response"
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = (
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            parts.path,
        )
        self.secret = secret
        self.response_url = response_url
        self._ids = itertools.count(1)

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        sign: bool = True,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> Reply:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if sign:
            all_headers["X-Slack-Request-Timestamp"] = ts
            all_headers["X-Slack-Signature"] = signature(secret or self.secret, ts, body)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            # The server may answer (e.g. 413) and close before reading the whole body; its
            # answer is still waiting to be read.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.request("POST", self.path, body=body, headers=all_headers)
            response = conn.getresponse()
            return Reply(response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()

    def command(
        self,
        command: str,
        text: str = "",
        user: str = "U0MEMBER1",
        channel: str = "C0STUDY01",
        **kwargs: Any,
    ) -> Reply:
        n = next(self._ids)
        form = {
            "token": "deprecated-verification-token",
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel,
            "channel_name": "study-group",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0STUDY01",
            "is_enterprise_install": "false",
            "response_url": self.response_url,
            "trigger_id": f"{n}.{n}.trigger",
        }
        form.update({k: v for k, v in kwargs.items() if not k.startswith("_")})
        body = urllib.parse.urlencode(form).encode()
        return self.post(body, "application/x-www-form-urlencoded", **_opts(kwargs))

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **opts: Any,
    ) -> Reply:
        envelope = {
            "token": "deprecated-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0STUDY01",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):010d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}],
            "is_ext_shared_channel": False,
        }
        headers = dict(opts.pop("headers", None) or {})
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        body = json.dumps(envelope).encode()
        return self.post(body, "application/json", headers=headers, **opts)

    def interaction(self, payload: dict[str, Any], **opts: Any) -> Reply:
        """A block_actions or view_submission payload, form-encoded as `payload=`."""
        payload = {
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "api_app_id": "A0STUDY01",
            **payload,
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded", **opts)

    def action(
        self,
        action_id: str,
        value: str = "",
        user: str = "U0MEMBER1",
        channel: str | None = "C0STUDY01",
        view: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        **opts: Any,
    ) -> Reply:
        n = next(self._ids)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "trigger_id": f"{n}.{n}.trigger",
            "response_url": self.response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if channel:
            payload["channel"] = {"id": channel, "name": "study-group"}
            payload["container"] = {
                "type": "message",
                "channel_id": channel,
                "is_ephemeral": True,
                "message_ts": "1732230000.000100",
            }
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0001")}
        if message is not None:
            payload["message"] = message
        return self.interaction(payload, **opts)

    def view_submission(
        self,
        callback_id: str,
        values: dict[str, dict[str, dict[str, Any]]],
        user: str = "U0MEMBER1",
        private_metadata: str = "",
        **opts: Any,
    ) -> Reply:
        payload = {
            "type": "view_submission",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "trigger_id": "1.1.trigger",
            "view": {
                "id": "V0001",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
            },
        }
        return self.interaction(payload, **opts)


def _opts(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments starting with `_` are request options (e.g. _sign=False)."""
    return {k[1:]: v for k, v in kwargs.items() if k.startswith("_")}
