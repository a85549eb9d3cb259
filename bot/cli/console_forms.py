"""A modal the app opened, filled in at the console's prompt and submitted as Slack would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The input elements the console can fill; any other kind is left as the app set it.
TEXT, SELECT, CHECKBOXES = "plain_text_input", "static_select", "checkboxes"


@dataclass
class Field:
    """One input block of the form and what has been put in it."""

    block_id: str
    action_id: str
    kind: str
    label: str
    optional: bool
    options: list[dict[str, Any]]
    value: Any = None  # text, one option, or a list of options

    def state(self) -> dict[str, Any]:
        """The element's entry in view.state.values, as Slack sends it on submit."""
        if self.kind == SELECT:
            return {"type": SELECT, "selected_option": self.value}
        if self.kind == CHECKBOXES:
            return {"type": CHECKBOXES, "selected_options": list(self.value or [])}
        return {"type": self.kind, "value": self.value}

    @property
    def empty(self) -> bool:
        return not self.value

    def hint(self) -> str:
        if self.kind == CHECKBOXES and len(self.options) == 1:
            return f"fill {self.block_id}"
        what = "TEXT" if self.kind == TEXT else "CHOICE"
        return f"fill {self.block_id} {what}"


@dataclass
class Form:
    """A modal view: its callback id, metadata and fields, filled in step by step."""

    callback_id: str
    title: str
    private_metadata: str
    fields: list[Field] = field(default_factory=list)

    @classmethod
    def of(cls, view: dict[str, Any]) -> Form | None:
        """The form in a views.open/push/update view; None for a view with no input."""
        if view.get("type") != "modal":
            return None
        fields = [_field(b) for b in view.get("blocks") or [] if b.get("type") == "input"]
        kept = [f for f in fields if f is not None]
        if not kept:
            return None
        title = str((view.get("title") or {}).get("text") or "the form")
        return cls(
            str(view.get("callback_id") or ""), title, str(view.get("private_metadata") or ""), kept
        )

    def hints(self) -> str:
        """How to fill this form in at the prompt."""
        return " · ".join(f.hint() for f in self.fields) + ", then submit (or cancel)"

    def fill(self, rest: str) -> str:
        """`NAME VALUE`: put VALUE in the field NAME (its block id or the start of its label);
        a checkbox field with no VALUE toggles its one option. Says what was set."""
        name, _, value = rest.strip().partition(" ")
        target = self._field(name)
        value = value.strip()
        if target.kind == TEXT:
            if not value:
                raise ValueError(f"say what: fill {target.block_id} YOUR TEXT")
            target.value = value
            return f"{target.label}: {value}"
        if target.kind == SELECT:
            target.value = _option(target, value)
            return f"{target.label}: {_text(target.value)}"
        chosen = _option(target, value) if value or len(target.options) != 1 else target.options[0]
        picked = list(target.value or [])
        if chosen in picked:
            picked.remove(chosen)
            said = "unticked"
        else:
            picked.append(chosen)
            said = "ticked"
        target.value = picked
        return f"{target.label}: {said} “{_text(chosen)}”"

    def values(self) -> dict[str, dict[str, Any]]:
        """view.state.values for a submission; ValueError names a required field left empty
        (Slack itself would not send the form)."""
        missing = [f.block_id for f in self.fields if not f.optional and f.empty]
        if missing:
            raise ValueError(f"fill {missing[0]} first: the form needs it before Slack sends it")
        return {f.block_id: {f.action_id: f.state()} for f in self.fields}

    def _field(self, name: str) -> Field:
        wanted = name.lower()
        for f in self.fields:
            if wanted in (f.block_id.lower(), f.action_id.lower()):
                return f
        starts = [f for f in self.fields if f.label.lower().startswith(wanted)] if wanted else []
        if len(starts) == 1:
            return starts[0]
        names = ", ".join(f.block_id for f in self.fields)
        raise ValueError(f"no field {name!r} in {self.title}; its fields are {names}")


def _field(block: dict[str, Any]) -> Field | None:
    element = block.get("element") or {}
    kind = element.get("type")
    if kind not in (TEXT, SELECT, CHECKBOXES):
        return None
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    if kind == TEXT:
        value: Any = element.get("initial_value")
    elif kind == SELECT:
        value = element.get("initial_option")
    else:
        value = list(element.get("initial_options") or [])
    return Field(
        block_id=str(block.get("block_id") or ""),
        action_id=str(element.get("action_id") or ""),
        kind=kind,
        label=str((block.get("label") or {}).get("text") or block.get("block_id") or ""),
        optional=bool(block.get("optional")),
        options=options,
        value=value,
    )


def _text(option: dict[str, Any] | None) -> str:
    return str(((option or {}).get("text") or {}).get("text") or "")


def _option(target: Field, said: str) -> dict[str, Any]:
    """The option meant by `said`: its value or text, whole, else the one containing it."""
    wanted = said.strip().lower()
    if not wanted:
        raise ValueError(f"say which: fill {target.block_id} CHOICE")
    for option in target.options:
        if wanted in (str(option.get("value", "")).lower(), _text(option).lower()):
            return option
    near = [
        o
        for o in target.options
        if wanted in str(o.get("value", "")).lower() or wanted in _text(o).lower()
    ]
    if len(near) == 1:
        return near[0]
    shown = ", ".join(str(o.get("value")) for o in (near or target.options)[:8])
    more = " …" if len(near or target.options) > 8 else ""
    which = "several match" if near else "none matches"
    raise ValueError(f"{which} “{said}” in {target.label}: {shown}{more}")
