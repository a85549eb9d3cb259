"""APScheduler wiring: a cron job per post at the roadmap's local time, catch-up on start, retries.

Jobs (explicit ids):
  post-weekly / post-nudge / post-recap  CronTrigger on the post's weekday and time in the
      roadmap's timezone, so a post keeps its local time across DST changes;
  post-catchup  once, at start-up: the current week's posts that fell due while the bot was down;
  post-retry    once, after a failed post, with a growing delay;
  roadmap-sync  every minute: re-read the roadmap; if the post times or timezone changed,
      re-schedule the cron jobs and catch up;
  review-dm     once, at the next member's daily review DM time (bot.slack.review_dm), set
      again at every sync and after each run.
  buddy-pairs   once, at the next weekly pairing of study buddies (bot.slack.buddy_dm), and
  lead-dm       once, at the next discussion lead's reminder (bot.slack.lead_dm): both set
      again at every sync and after each run, as review-dm.
  search-compact  nightly at 03:30 in the roadmap's timezone (as the bot started): the
      archive's search indexes merged into one segment each (bot.core.search_index), a short
      step at a time, so messages archived meanwhile wait a step at most. `studybot run` only.
Every job runs the same tick, bot.slack.posts.run_due: it sends the current week's due posts that are
not out yet, so a job firing on a skipped or paused week, twice in an ambiguous DST hour, or in
two processes at once sends nothing more (the ledger decides). Organizer changes to the calendar
are read at every tick.

bot.slack.manual_scheduler.ManualScheduler runs the same jobs on a ManualClock (the console's
fast-forward and the tests).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core import calendar, health, search_index
from bot.core.deps import Deps
from bot.core.post_plan import Outcome
from bot.slack import buddy_dm, lead_dm, review_dm
from bot.slack.delivery import SlackPoster, run_due

log = logging.getLogger(__name__)

JOB_IDS: dict[calendar.PostKind, str] = {kind: f"post-{kind}" for kind in calendar.POST_KINDS}
CATCH_UP_ID = "post-catchup"
RETRY_ID = "post-retry"
SYNC_ID = "roadmap-sync"
REVIEW_DM_ID = "review-dm"
BUDDY_ID = "buddy-pairs"
LEAD_ID = "lead-dm"
COMPACT_ID = "search-compact"
COMPACT_AT = dt.time(3, 30)  # local night: the steps still pause for the messages arriving
COMPACT_PAUSE = 0.05  # seconds between two steps, for messages waiting to be archived
SYNC_SECONDS = 60
SOCIAL_BACKOFF = dt.timedelta(minutes=5)
SHUTDOWN_GRACE = 20.0  # seconds a post being sent may take to finish when the bot stops
RETRY_DELAYS = tuple(dt.timedelta(minutes=m) for m in (5, 10, 20, 40, 60))
# run_due decides what is still worth sending (only the current week), so a late run is always
# allowed (misfire_grace_time None) and a backlog runs once (coalesce).
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}

_UNSET = object()


class PostJobs:
    """The post jobs on an APScheduler scheduler, kept in step with the roadmap's schedule."""

    def __init__(self, deps: Deps, client: Any, scheduler: BaseScheduler, poster: Any = None):
        self.deps = deps
        self.scheduler = scheduler
        self.client = client
        self.poster = poster or SlackPoster(client)
        self._lock = threading.RLock()
        self._installed: dict[str, Any] = {}
        self._stopping = threading.Event()
        self._not_before: dict[str, dt.datetime] = {}  # buddy-pairs, lead-dm: see _after_social

    def install(self, now: dt.datetime) -> None:
        self.sync(now)
        self._once(CATCH_UP_ID, now)

    def sync(self, now: dt.datetime) -> bool:
        """(Re)schedule the cron jobs whose weekday, time or timezone changed; True if any did."""
        schedule = self.deps.roadmap.schedule
        changed = False
        with self._lock:
            for kind, job_id in JOB_IDS.items():
                when = calendar.post_time(schedule, kind)
                wanted = (schedule.timezone, when.weekday, when.time) if when else None
                had = self._installed.get(kind, _UNSET)
                if had == wanted:
                    continue
                changed = changed or had is not _UNSET
                self._installed[kind] = wanted
                if when is None:
                    if self.scheduler.get_job(job_id):
                        self.scheduler.remove_job(job_id)
                    continue
                trigger = CronTrigger(
                    day_of_week=when.weekday,  # 0 = Monday in both APScheduler and the roadmap
                    hour=when.time.hour,
                    minute=when.time.minute,
                    second=0,
                    timezone=schedule.tz,
                )
                self.scheduler.add_job(
                    self.tick,
                    trigger,
                    id=job_id,
                    name=f"{kind} post",
                    replace_existing=True,
                    next_run_time=trigger.get_next_fire_time(None, now),
                    **JOB_DEFAULTS,
                )
                log.info("%s: next at %s", job_id, trigger.get_next_fire_time(None, now))
        self.sync_reviews(now)
        self.sync_social(now)
        return changed

    def sync_reviews(self, now: dt.datetime) -> None:
        """(Re)schedule the review-dm job at the next member's DM time (members turn theirs on
        and off at any time; this runs at every sync)."""
        at = review_dm.next_at(self.deps, now)
        job = self.scheduler.get_job(REVIEW_DM_ID)
        if at is None:
            if job is not None:
                self.scheduler.remove_job(REVIEW_DM_ID)
            return
        if job is not None and job.next_run_time == at:
            return
        self.scheduler.add_job(
            self.review_tick,
            DateTrigger(run_date=at, timezone=dt.UTC),
            id=REVIEW_DM_ID,
            name=REVIEW_DM_ID,
            replace_existing=True,
            next_run_time=at,
            **JOB_DEFAULTS,
        )

    def review_tick(self) -> list[str]:
        """Send the review DMs due now, then wait for the next."""
        if self._stopping.is_set():
            return []
        sent = review_dm.send_due(self.deps, self.client)
        self.sync_reviews(self.deps.now())
        return sent

    def sync_social(self, now: dt.datetime) -> None:
        """(Re)schedule the buddy-pairs and lead-dm jobs at their next time (members opt in
        and out, organizers pause and set leads, at any time; this runs at every sync)."""
        for job_id, at, func in (
            (BUDDY_ID, buddy_dm.next_at(self.deps, now), self.buddy_tick),
            (LEAD_ID, lead_dm.next_at(self.deps, now), self.lead_tick),
        ):
            floor = self._not_before.get(job_id)
            if at is not None and floor is not None and at < floor:
                at = floor
            job = self.scheduler.get_job(job_id)
            if at is None:
                if job is not None:
                    self.scheduler.remove_job(job_id)
                continue
            if job is not None and job.next_run_time == at:
                continue
            self.scheduler.add_job(
                func,
                DateTrigger(run_date=at, timezone=dt.UTC),
                id=job_id,
                name=job_id,
                replace_existing=True,
                next_run_time=at,
                **JOB_DEFAULTS,
            )

    def buddy_tick(self) -> list[list[str]]:
        """Pair this week's study buddies if it is time, then wait for the next week."""
        if self._stopping.is_set():
            return []
        groups = buddy_dm.send_due(self.deps, self.client)
        self._after_social(BUDDY_ID, buddy_dm.next_at)
        return groups

    def lead_tick(self) -> list[str]:
        """Send the lead reminders due now, then wait for the next."""
        if self._stopping.is_set():
            return []
        sent = lead_dm.send_due(self.deps, self.client)
        self._after_social(LEAD_ID, lead_dm.next_at)
        return sent

    def _after_social(self, job_id: str, next_at: Any) -> None:
        """Wait for the next run; a job that finds itself still due right after running (it
        could not get on) waits a few minutes rather than running again at once."""
        now = self.deps.now()
        at = next_at(self.deps, now)
        self._not_before[job_id] = now + SOCIAL_BACKOFF if at is not None and at <= now else now
        self.sync_social(now)

    def resync(self) -> None:
        """The roadmap-sync job: pick up an edited roadmap's times, then catch up."""
        if self.sync(self.deps.now()):
            self.tick()

    def tick(self) -> list[Outcome]:
        """Send what is due; after a failure, come back later."""
        with self._lock:
            if self._stopping.is_set():
                return []
            try:
                outcomes = run_due(self.deps, self.poster, stop=self._stopping.is_set)
            except sqlite3.DatabaseError as exc:
                # Locked by another process past the busy timeout, full, damaged: the posts
                # could not even be claimed. Come back as after a failed post.
                why = health.unavailable(exc)
                if why is None:
                    raise  # a bug: APScheduler logs it with its traceback
                at = self.deps.now() + RETRY_DELAYS[0]
                self._once(RETRY_ID, at)
                log.error("the posts due could not be claimed: %s; retrying at %s", why, at)
                return []
            failed = [o for o in outcomes if o.status == "failed"]
            if failed:
                tries = min(o.tries for o in failed)
                delay = RETRY_DELAYS[min(tries, len(RETRY_DELAYS)) - 1]
                at = self.deps.now() + delay
                self._once(RETRY_ID, at)
                log.warning("%d post(s) failed; retrying at %s", len(failed), at)
        return outcomes

    def compact_tick(self) -> int:
        """The search-compact job: merge the search indexes, step by step; returns the steps.
        Each step holds the posts' lock, so stopping the bot waits for a step, not the job."""
        merging = search_index.merge_steps(self.deps.db)
        steps = 0
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return steps
                done = next(merging, None)
            if done is None:
                break
            steps += 1
            if not done:
                time.sleep(COMPACT_PAUSE)
        log.info("search indexes compacted in %d steps", steps)
        return steps

    def stop(self, timeout: float) -> bool:
        """Start no more posts; give the one being sent up to `timeout` seconds to finish (a post
        cut off mid-send is recovered on the next start, but finishing it is cleaner). False
        when it is still being sent."""
        self._stopping.set()
        if self._lock.acquire(timeout=timeout):
            self._lock.release()
            return True
        log.warning("a post is still being sent; stopping anyway (it resumes on restart)")
        return False

    def _once(self, job_id: str, at: dt.datetime) -> None:
        self.scheduler.add_job(
            self.tick,
            DateTrigger(run_date=at, timezone=dt.UTC),
            id=job_id,
            name=job_id,
            replace_existing=True,
            next_run_time=at,
            **JOB_DEFAULTS,
        )


class PostScheduler(BackgroundScheduler):
    """The BackgroundScheduler of `studybot run`; stop() lets the jobs still running (a post,
    a DM waiting on Slack) finish, bounded, before the CLI closes the database."""

    post_jobs: PostJobs | None = None

    def shutdown(self, wait: bool = True) -> None:
        if self.running:
            # APScheduler removes a one-off job (the catch-up at start) right after handing
            # it to its executor; stopped in between, it looks for the job among pending ones
            # and its thread dies with a JobLookupError traceback. Paused, it starts no new
            # round, and get_jobs() waits (on the job stores' lock) for the one in progress.
            self.pause()
            self.get_jobs()
        super().shutdown(wait)

    def stop(self, timeout: float = SHUTDOWN_GRACE) -> bool:
        """Start no more jobs and give those running up to `timeout` seconds in all; False
        when one still runs. Its thread uses the database when Slack answers (a post, or a
        review, buddy or lead DM), so the caller must not close the database under it; a
        post's claim is taken up by the next start."""
        deadline = time.monotonic() + timeout
        posts_done = self.post_jobs.stop(timeout) if self.post_jobs is not None else True
        stopper = threading.Thread(
            target=self.shutdown, kwargs={"wait": True}, daemon=True, name="scheduler-stop"
        )
        stopper.start()
        stopper.join(max(0.0, deadline - time.monotonic()))
        if posts_done and stopper.is_alive():  # a post still being sent said so already
            log.warning("a scheduled DM is still waiting on Slack; stopping without it")
        return posts_done and not stopper.is_alive()


def start(deps: Deps, client: Any) -> PostScheduler:
    """Start the posts' scheduler for `studybot run`; stop it with .stop()."""
    scheduler = PostScheduler(timezone=dt.UTC, job_defaults=JOB_DEFAULTS, daemon=True)
    scheduler.start()
    jobs = PostJobs(deps, client, scheduler)
    scheduler.post_jobs = jobs
    jobs.install(deps.now())
    scheduler.add_job(
        jobs.resync,
        IntervalTrigger(seconds=SYNC_SECONDS, timezone=dt.UTC),
        id=SYNC_ID,
        name=SYNC_ID,
        replace_existing=True,
    )
    scheduler.add_job(
        jobs.compact_tick,
        CronTrigger(
            hour=COMPACT_AT.hour, minute=COMPACT_AT.minute, timezone=deps.roadmap.schedule.tz
        ),
        id=COMPACT_ID,
        name=COMPACT_ID,
        replace_existing=True,
    )
    return scheduler
