"""/buddy: opt in to (or out of) the weekly study-buddy pairing, or see where you stand."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.core import buddies, channel_members
from bot.core.deps import Deps
from bot.slack import buddy_dm
from bot.slack.render import buddies as render
from bot.slack.render.usage import HELP_WORDS, usage
from bot.slack.routes import Routes


def buddy_command(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    deps: Deps = context["deps"]
    user = str(command.get("user_id") or "")
    args = str(command.get("text") or "").lower().split()
    verb = args[0] if args else ""
    db = deps.db
    tz = deps.roadmap.schedule.tz
    if verb in HELP_WORDS:
        ack(usage("/buddy"))
    elif len(args) > 1 or verb not in ("", "on", "off", "status"):
        ack(usage("/buddy", f"I don't know “{' '.join(args)[:40]}”: say `on` or `off`."))
    elif verb == "on":
        again = not buddies.opt_in(db, user, deps.now())
        nxt = buddy_dm.next_at(deps, deps.now())
        ack(render.joined(again, buddies.paused(db), nxt, tz))
    elif verb == "off":
        ack(render.left(buddies.opt_out(db, user)))
    else:
        _, week = deps.this_week()
        mine = next((g for g in buddies.groups_of(db, week.key) if user in g), [])
        others = [u for u in mine if u != user]
        nxt = buddy_dm.next_at(deps, deps.now())
        signed_up = buddies.is_in(db, user)
        # Those still in the channel as last read (the pairing skips the others).
        present = channel_members.known(db, deps.channel)
        count = sum(1 for m in buddies.members(db) if present is None or m in present or m == user)
        ack(render.status(signed_up, buddies.paused(db), others, count, nxt, tz))


def register(routes: Routes) -> None:
    routes.command("/buddy", buddy_command)
