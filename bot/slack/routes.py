"""The router's tables, which each listener module's register(routes) fills."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core.deps import Deps

Listener = Callable[..., Any]
# Called inside the event-dedupe transaction with (deps, event), before the ack: the archive's
# writes. It may say what it did (e.g. "question"); listeners find it in context["recorded"].
Recorder = Callable[[Deps, dict[str, Any]], str | None]
Kind = Literal["command", "event", "action", "view"]
ActionId = str | re.Pattern[str]


@dataclass
class Routes:
    """Which listener takes which request, by its name: a command, an event type, an action id
    (or a pattern, searched as Bolt would search it), a view's callback id. A name is taken once;
    what no table names goes to the fallback of its kind."""

    commands: dict[str, Listener] = field(default_factory=dict)
    events: dict[str, Listener] = field(default_factory=dict)
    actions: dict[ActionId, Listener] = field(default_factory=dict)
    views: dict[str, Listener] = field(default_factory=dict)
    fallbacks: dict[Kind, Listener] = field(default_factory=dict)
    recorders: list[Recorder] = field(default_factory=list)
    # Event types subscribed to only so the recorders see them (no listener after the ack).
    recorded_events: list[str] = field(default_factory=list)

    def command(self, name: str, listener: Listener) -> None:
        """`listener` answers the slash command `name` ("/nexttopic")."""
        _add(self.commands, name, listener)

    def event(self, event_type: str, listener: Listener) -> None:
        """`listener` takes events of this type, after the recorders."""
        _add(self.events, event_type, listener)

    def action(self, action_id: ActionId, listener: Listener) -> None:
        """`listener` takes clicks on elements with this action id (or matching this pattern)."""
        _add(self.actions, action_id, listener)

    def view(self, callback_id: str, listener: Listener) -> None:
        """`listener` takes submissions of the modal with this callback id."""
        _add(self.views, callback_id, listener)

    def fallback(self, kind: Kind, listener: Listener) -> None:
        """`listener` answers requests of this kind that no table names."""
        _add(self.fallbacks, kind, listener)

    def recorder(self, record: Recorder, *, events: Iterable[str] = ()) -> None:
        """`record` sees every event first, inside the dedupe transaction; `events` are the
        types subscribed to for it alone."""
        self.recorders.append(record)
        self.recorded_events.extend(events)

    def subscribed_events(self) -> set[str]:
        """Every event type the app subscribes to (the manifest lists exactly these)."""
        return set(self.events) | set(self.recorded_events)


def _add(table: dict[Any, Listener], name: Any, listener: Listener) -> None:
    if name in table:  # two listeners for one name: only one would ever run
        raise ValueError(f"{name!r} is routed twice")
    table[name] = listener
