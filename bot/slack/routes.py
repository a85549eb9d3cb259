"""The router's tables, which each listener module's register(routes) fills."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core.deps import Deps

Listener = Callable[..., Any]
# Called inside the event-dedupe transaction with (deps, event), before the ack: the archive's
# writes. It may say what it did (e.g. "question"); listeners find it in context["recorded"].
Recorder = Callable[[Deps, dict[str, Any]], str | None]
# Given what the recorders said of an event (None: it was not recorded), whether its listener
# has anything to do after the ack.
Needed = Callable[[Sequence[str | None] | None], bool]
Kind = Literal["command", "event", "action", "view"]
ActionId = str | re.Pattern[str]


@dataclass
class Routes:
    """Which listener takes which request, by its name: a command, an event type, an action id
    (or a pattern, searched as Bolt would search it), a view's callback id. A name is taken once;
    what no table names goes to the fallback of its kind."""

    commands: dict[str, Listener] = field(default_factory=dict)
    events: dict[str, Listener] = field(default_factory=dict)
    # Per event type: when its listener runs (absent: always). An event it has nothing to do
    # for costs no hand-over to the after-ack threads: most messages (BENCHMARKS.md).
    needed: dict[str, Needed] = field(default_factory=dict)
    actions: dict[ActionId, Listener] = field(default_factory=dict)
    views: dict[str, Listener] = field(default_factory=dict)
    fallbacks: dict[Kind, Listener] = field(default_factory=dict)
    recorders: list[Recorder] = field(default_factory=list)
    # Event types subscribed to only so the recorders see them (no listener after the ack).
    recorded_events: list[str] = field(default_factory=list)

    def command(self, name: str, listener: Listener) -> None:
        """`listener` answers the slash command `name` ("/nexttopic")."""
        _add(self.commands, name, listener)

    def event(self, event_type: str, listener: Listener, *, needed: Needed | None = None) -> None:
        """`listener` takes events of this type, after the recorders; only those for which
        `needed(recorded)` is true, when it is given."""
        _add(self.events, event_type, listener)
        if needed is not None:
            self.needed[event_type] = needed

    def wants(self, event_type: str | None, recorded: Sequence[str | None] | None) -> bool:
        """Whether the listener of `event_type` has anything to do for an event of which the
        recorders said `recorded` (None: it was not recorded)."""
        needed = self.needed.get(event_type) if event_type is not None else None
        return needed is None or needed(recorded)

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
