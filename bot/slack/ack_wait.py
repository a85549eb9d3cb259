"""Run a listener on the after-ack threads and answer the request the moment it acks.

Bolt's default (`process_before_response=False`) runs a listener on its executor and polls
for the ack every 10 ms, so even a command answered in 0.1 ms waits ~10 ms. With
`process_before_response=True` Bolt runs the listener in the request's thread and answers when
it returns, which would hold the answer until the listener's work after its ack (an "asked
before" reply, a Home refresh) is done. Here the listener runs on the after-ack executor as
before, and the request's thread waits on an event that the ack itself sets: the answer goes
out as soon as `ack()` is called, and the work after it goes on, as Slack's rules want."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, Args

log = logging.getLogger(__name__)

# Slack waits 3 s for an answer: a listener that has not acked by 2.5 s is answered for, so
# that the answer still reaches Slack in time.
ACK_TIMEOUT = 2.5


# What a member sees when a command could not answer in time (the database busy, say).
LATE = "That is taking me longer than usual: the answer will follow here when it is ready."


class SignallingAck(Ack):
    """Bolt's `ack` for one request, which also wakes whoever waits for it. The first answer
    counts: once the wait gave up and answered (`late`), the listener's own ack is too late."""

    def __init__(
        self, inner: Ack, acked: threading.Event, respond: Callable[..., Any] | None = None
    ) -> None:
        super().__init__()
        self.inner = inner
        self.acked = acked
        self.respond = respond  # a command's response_url: where an answer too late goes
        self.lock = threading.Lock()
        self.answered = False
        self.late_answer = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            if self.answered:
                if self.late_answer and (args or kwargs):
                    self._follow_up(*args, **kwargs)
                return self.inner.response
            self.answered = True
            response = self.inner(*args, **kwargs)
        self.response = response
        self.acked.set()
        return response

    def _follow_up(self, *args: Any, **kwargs: Any) -> None:
        """The answer the late note promised, through the command's response_url; a failure
        is logged (it is after the ack: nobody else would hear of it)."""
        if self.respond is None or not getattr(self.respond, "response_url", None):
            return
        try:
            self.respond(*args, **{"response_type": "ephemeral", **kwargs})
        except Exception:
            log.warning("the answer after the late note could not be sent", exc_info=True)

    def late(self, command: bool) -> None:
        """Answer for a listener that has not acked in Slack's time: a note for a command, a
        bare ack for an action or a form (Bolt would answer 404, which Slack shows as an
        error, and Socket Mode would not acknowledge at all)."""
        with self.lock:
            if self.answered or self.inner.response is not None:
                return
            self.answered = self.late_answer = True
            if command:
                self.inner(response_type="ephemeral", text=LATE)
            else:
                self.inner()


def until_acked(
    executor: Executor, listener: Callable[[Args], None], timeout: float = ACK_TIMEOUT
) -> Callable[[Args], None]:
    """A Bolt listener that runs `listener` on `executor` and returns once it has acked (or
    ended, or `timeout` passed); for requests answered by their ack (commands, actions,
    views)."""

    def run(args: Args) -> None:
        acked = threading.Event()
        command = args.command is not None
        ack = args.ack = SignallingAck(args.ack, acked, args.respond if command else None)
        executor.submit(listener, args).add_done_callback(lambda _: acked.set())
        if not acked.wait(timeout):
            log.warning("a listener did not ack within %.0f s; answered for it", timeout)
            ack.late(command=command)

    return run


def after_returning(
    executor: Executor,
    listener: Callable[[Args], None],
    needed: Callable[[Args], bool] | None = None,
) -> Callable[[Args], None]:
    """A Bolt listener that hands `listener` to `executor` (when `needed` says it has
    anything to do) and returns at once; for events, which Bolt acknowledges itself when the
    listener returns (their recording happened before)."""

    def run(args: Args) -> None:
        if needed is None or needed(args):
            executor.submit(listener, args)

    return run
