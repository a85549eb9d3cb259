"""/lead: volunteer for (or leave) the rotating discussion lead, or see who leads."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.core import lead, ledger
from bot.core.deps import Deps
from bot.slack.render import lead as render
from bot.slack.render.usage import HELP_WORDS, usage
from bot.slack.routes import Routes


def lead_command(ack: Ack, command: dict[str, Any], context: dict[str, Any]) -> None:
    deps: Deps = context["deps"]
    user = str(command.get("user_id") or "")
    args = str(command.get("text") or "").lower().split()
    verb = args[0] if args else ""
    db = deps.db
    if verb in HELP_WORDS:
        ack(usage("/lead"))
    elif len(args) > 1 or verb not in ("", "on", "off", "status"):
        ack(usage("/lead", f"I don't know “{' '.join(args)[:40]}”: say `on` or `off`."))
    elif verb == "on":
        again = not lead.volunteer(db, user, deps.now())
        ack(render.joined(again, _upcoming(deps), user))
    elif verb == "off":
        ack(render.left(lead.withdraw(db, user)))
    else:
        _, week = deps.this_week()
        this_week = lead.chosen(db, week.key) if week.kind == "topic" else None
        ack(
            render.status(
                lead.is_volunteer(db, user), len(lead.volunteers(db)), this_week, _upcoming(deps)
            )
        )


def _upcoming(deps: Deps) -> str | None:
    """Who leads the next week whose weekly post is still to come (kept, or whose turn it is)."""
    schedule = deps.roadmap.schedule
    upcoming = ledger.next_unsent(deps.db, schedule, deps.calendar(), "weekly", deps.now())
    if upcoming is None:
        return None
    key = upcoming[0].key
    members = lead.presumed_members(deps.db, deps.channel)
    return lead.chosen(deps.db, key) or lead.next_in_turn(deps.db, key, members)


def register(routes: Routes) -> None:
    routes.command("/lead", lead_command)
