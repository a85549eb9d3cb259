"""ManualScheduler: the posts' jobs run on a ManualClock (the console's fast-forward, tests).

The jobs, triggers and job store are APScheduler's, as in `studybot run`; only the moment a
job runs is decided here, by public APIs alone: the jobs' `next_run_time` and `trigger`, the
scheduler's `get_jobs`/`modify_job`/`remove_job`, and the job's own callable.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler

from bot.core import calendar, ledger
from bot.core.clock import ManualClock
from bot.core.deps import Deps
from bot.slack import buddy_dm, lead_dm
from bot.slack.scheduler import JOB_DEFAULTS, PostJobs

log = logging.getLogger(__name__)


class _Unthreaded(BaseScheduler):
    """An APScheduler scheduler with no thread of its own, started paused: it holds the jobs
    and never runs one; ManualScheduler does. Only the two abstract methods are defined."""

    def wakeup(self) -> None:
        pass  # nothing to wake: nothing here waits for a job to fall due

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


class ManualScheduler:
    """The same jobs on a ManualClock: `run_until(when)` moves the clock from one fire time to
    the next and runs each due job, in order (the console's `next`/`advance`, and tests)."""

    def __init__(self, deps: Deps, client: Any, poster: Any = None) -> None:
        if not isinstance(deps.clock, ManualClock):
            raise TypeError("ManualScheduler needs deps with a ManualClock")
        self.deps = deps
        self.clock: ManualClock = deps.clock
        self.scheduler = _Unthreaded(timezone=dt.UTC, job_defaults=JOB_DEFAULTS)
        self.scheduler.start(paused=True)
        self.jobs = PostJobs(deps, client, self.scheduler, poster)
        self.jobs.install(self.clock.now())

    def upcoming(self, now: dt.datetime) -> list[tuple[calendar.PostKind, dt.datetime]]:
        """The next post of each kind still to go out after `now`, soonest first."""
        deps = self.deps
        found = ledger.upcoming(deps.db, deps.roadmap.schedule, deps.calendar(), now)
        return [(kind, at) for kind, _, at in found]

    def social(self, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
        """When the next study-buddy pairing and lead reminder are due, if any."""
        found = [
            ("study-buddy pairing", buddy_dm.next_at(self.deps, now)),
            ("discussion lead's reminder", lead_dm.next_at(self.deps, now)),
        ]
        return [(what, at) for what, at in found if at is not None]

    def run_until(self, when: dt.datetime) -> None:
        """Move the clock to `when`, running every job that falls due on the way, in order."""
        while True:
            # The real scheduler's roadmap-sync job runs every minute; here, before every step.
            if self.jobs.sync(self.clock.now()):
                self.jobs.tick()
            next_run = min(
                (t for job in self._scheduled() if (t := job.next_run_time)), default=None
            )
            if next_run is None or next_run > when:
                break
            self.clock.set(max(next_run, self.clock.now()))
            self._run_due(self.clock.now())
        if when > self.clock.now():
            self.clock.set(when)

    def shutdown(self, wait: bool = False) -> None:
        self.scheduler.shutdown(wait)

    def _scheduled(self) -> list[Job]:
        """The jobs with a next run time, soonest first (ties in the job store's order)."""
        jobs = [job for job in self.scheduler.get_jobs() if job.next_run_time is not None]
        return sorted(jobs, key=lambda job: job.next_run_time)

    def _run_due(self, now: dt.datetime) -> None:
        """What APScheduler does with the jobs due at `now`: each runs once for its whole
        backlog when it coalesces (JOB_DEFAULTS), moved to its next fire time after `now` or
        removed when it has none."""
        for job in [job for job in self._scheduled() if job.next_run_time <= now]:
            run_times = _run_times(job, now)
            runs = run_times[-1:] if job.coalesce else run_times
            following = job.trigger.get_next_fire_time(run_times[-1], now)
            # Reschedule before running, as the real scheduler does (it runs jobs in a pool):
            # a job may schedule a new run of itself (post-retry).
            if following:
                self.scheduler.modify_job(job.id, next_run_time=following)
            else:
                self.scheduler.remove_job(job.id)
            for _ in runs:
                try:
                    job.func(*job.args, **job.kwargs)
                except Exception:  # as APScheduler's executors do: logged, and time goes on
                    log.exception("job %r raised an exception", job.id)


def _run_times(job: Job, now: dt.datetime) -> list[dt.datetime]:
    """A due job's fire times up to `now`, the missed ones included, oldest first."""
    run_times: list[dt.datetime] = []
    at = job.next_run_time
    while at is not None and at <= now:
        run_times.append(at)
        at = job.trigger.get_next_fire_time(at, now)
    return run_times
