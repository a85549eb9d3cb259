"""Waiting for work the app does after the ack: the one set of polling helpers for every test.

Listeners answer Slack first and work afterwards, on other threads (and the bot may run in a
subprocess), so a test that checks the result must poll for it. Two questions only:

- `wait_until(predicate)`: "this happens": polls until `predicate()` is truthy and returns that
  value, or fails the test with a message that says what never happened.
- `quiet_for(seconds, probe)`: "nothing more happens": polls until `probe()` has returned the
  same value for `seconds` and returns it; then assert it is what it was before (a refused
  request changed nothing) or read the settled state (everything after the ack is done).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 5.0,
    interval: float = 0.02,
    message: str | Callable[[], object] = "",
) -> T:
    """Poll `predicate()` every `interval` s until it returns something truthy; return that.

    Fails (AssertionError) once `timeout` s pass without it, naming `message` (a string, or a
    callable evaluated then, for state worth showing) and the predicate's last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            said = message() if callable(message) else message
            raise AssertionError(
                f"not so after {timeout:g}s: {said or _name(predicate)} (last value: {value!r})"
            )
        time.sleep(interval)


def quiet_for(
    seconds: float, probe: Callable[[], T], timeout: float = 10.0, interval: float = 0.02
) -> T:
    """Poll `probe()` until its value has not changed for `seconds`; return that value.

    Use it for "nothing (more) happens": the probe counts what could happen (calls to Slack,
    calendar changes). Fails (AssertionError) if the value is still changing after `timeout` s."""
    deadline = time.monotonic() + timeout
    value = probe()
    since = time.monotonic()
    while True:
        time.sleep(interval)
        now = probe()
        if now != value:
            value, since = now, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{_name(probe)} still changing after {timeout:g}s (last value: {value!r})"
            )


def _name(fn: Callable[..., object]) -> str:
    """The function's source line if it is a lambda (what was waited for), else its name."""
    name = getattr(fn, "__name__", repr(fn))
    if name != "<lambda>":
        return name
    try:
        return inspect.getsource(fn).strip()
    except (OSError, TypeError):
        return name
