"""Scheduled jobs on top of the task queue, with exactly one runner at a time across processes and machines.

The queue is django-tasks (the backport of Django 6's `django.tasks`) with django-tasks-db storing tasks in
our own database: `some_task.enqueue()` from a page, run by `manage.py worker`. What that library does not
have is a schedule, and a cross-process guarantee that a periodic job runs once per period; this module
adds both, small:

- every scheduled job has one `JobLease` row. A worker runs the job only after a conditional UPDATE (a
  compare-and-set on the values it just read) made it the holder, so two workers can never both win;
- the holder renews its lease every `LEASE_SECONDS / 6` from a heartbeat; a holder that dies (SIGKILL,
  power cut) stops renewing, and once the lease has run out another worker takes the job over and runs the
  SAME period again, so no run is lost;
- finishing writes the run's outcome and frees the lease in one transaction, so a period is either
  finished (never run again) or not (run again) — never both. Its effect happens once as long as the job
  writes it idempotently per period (`current_period()` gives the key) or, like the attention scan,
  overwrites one result;
- a job never overlaps itself: a period that comes due while the previous run still holds the lease is
  skipped (the next one is taken after it finishes), not queued up behind it.

Adding a scheduled job is a few lines in any app's `tasks.py` (imported by every process at start-up):

    from django_tasks import task
    from balances.jobs.schedule import daily, every

    @every(minutes=5, title="Resolve unknown audit rows")
    @task()
    def resolve_unknown() -> str:
        ...                          # return a short outcome for the owner's Jobs page
        return "3 rows resolved"

    @daily(at="06:30", title="Morning digest")   # in the studio's time zone (settings.TIME_ZONE)
    @task()
    def digest() -> str: ...

The same task can also be queued on demand with `resolve_unknown.enqueue()`; the worker runs it once.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks.base import Task

from ..concurrency import run_detached
from .models import JobLease, JobRun, WorkerBeat

log = logging.getLogger(__name__)

T = TypeVar("T")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # every-N periods are aligned to this, identically on every machine


def lease_seconds() -> float:
    return float(getattr(settings, "JOBS_LEASE_SECONDS", 30))


@dataclass(frozen=True)
class Every:
    seconds: int

    def period(self, now: datetime) -> datetime:
        """The start of the period `now` falls in (aligned to EPOCH)."""
        return EPOCH + timedelta(seconds=(now - EPOCH).total_seconds() // self.seconds * self.seconds)

    def next_after(self, period: datetime) -> datetime:
        return period + timedelta(seconds=self.seconds)

    def describe(self) -> str:
        s = self.seconds
        return f"every {s // 60} minutes" if s % 60 == 0 and s >= 120 else f"every {s} seconds"


@dataclass(frozen=True)
class Daily:
    at: time

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)  # the studio's time zone

    def _at_on(self, day: date) -> datetime:
        return datetime.combine(day, self.at, tzinfo=self.zone).astimezone(UTC)  # zoneinfo handles DST

    def period(self, now: datetime) -> datetime:
        today = now.astimezone(self.zone).date()
        start = self._at_on(today)
        return start if start <= now else self._at_on(today - timedelta(days=1))

    def next_after(self, period: datetime) -> datetime:
        return self._at_on(period.astimezone(self.zone).date() + timedelta(days=1))

    def describe(self) -> str:
        return f"daily at {self.at:%H:%M} ({settings.TIME_ZONE})"


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    title: str
    schedule: Every | Daily
    task: Task[[], Any]


JOBS: dict[str, ScheduledJob] = {}


def _register(schedule: Every | Daily, title: str, name: str | None) -> Callable[[Task[[], T]], Task[[], T]]:
    def decorate(task: Task[[], T]) -> Task[[], T]:
        job_name = name or task.name
        if job_name in JOBS and JOBS[job_name].task.module_path != task.module_path:
            raise ValueError(f"two scheduled jobs are called {job_name!r}")
        JOBS[job_name] = ScheduledJob(job_name, title or job_name, schedule, task)
        return task

    return decorate


def every(*, seconds: int = 0, minutes: int = 0, title: str = "", name: str | None = None) -> Callable[[Task[[], T]], Task[[], T]]:
    """Run a task once per `seconds`/`minutes` period (periods are the same on every machine)."""
    total = seconds + 60 * minutes
    if total < 1:
        raise ValueError("a period of at least one second")
    return _register(Every(total), title, name)


def daily(*, at: str, title: str = "", name: str | None = None) -> Callable[[Task[[], T]], Task[[], T]]:
    """Run a task once a day at `at` ("HH:MM") in the studio's time zone (settings.TIME_ZONE)."""
    return _register(Daily(time.fromisoformat(at)), title, name)


_period: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("scheduled_period", default=None)


def current_period() -> datetime | None:
    """Inside a scheduled run: the start of the period it is for (the same on a rerun), else None."""
    return _period.get()


# --- The scheduler: one per worker process ---------------------------------------------------------


class Scheduler:
    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self.running: dict[str, threading.Thread] = {}  # job name -> the thread running it here
        self.lock = threading.Lock()

    def tick(self, now: datetime | None = None) -> list[str]:
        """Claim and start every job that is due (or whose holder died); the names started."""
        now = now or timezone.now()
        started = []
        for job in JOBS.values():
            with self.lock:
                if job.name in self.running:
                    continue
            claimed = self._claim(job, now)
            if claimed:
                period, attempt = claimed
                with self.lock:  # held across the start, so the job's thread finds itself registered
                    self.running[job.name] = run_detached(
                        functools.partial(self._run_in_thread, job, period, attempt), name=f"job-{job.name}"
                    )
                started.append(job.name)
        return started

    def _claim(self, job: ScheduledJob, now: datetime) -> tuple[datetime, int] | None:
        """Become the job's holder with a compare-and-set on the row as read; (period, attempt) if we won."""
        try:
            lease, _ = JobLease.objects.get_or_create(name=job.name)
        except IntegrityError:  # another worker created it this instant
            lease = JobLease.objects.get(name=job.name)
        until = now + timedelta(seconds=lease_seconds())
        same = JobLease.objects.filter(name=job.name, holder=lease.holder, lease_until=lease.lease_until, period=lease.period)
        if lease.holder:
            if lease.lease_until is None or lease.lease_until >= now:
                return None  # running elsewhere (or here): never two runners
            # Its holder stopped renewing: it died mid-run. Run that same period again.
            if not same.update(holder=self.worker_id, lease_until=until, attempt=F("attempt") + 1):
                return None
            log.warning("job %s: worker %s died while running it; running it again", job.name, lease.holder)
            assert lease.period is not None  # a holder always set the period it claimed
            return lease.period, lease.attempt + 1
        period = job.schedule.period(now)
        if lease.done_period is not None and lease.done_period >= period:
            return None  # this period is done
        if not same.update(holder=self.worker_id, lease_until=until, period=period, attempt=1):
            return None  # another worker won the race
        return period, 1

    def _run(self, job: ScheduledJob, period: datetime, attempt: int) -> None:
        try:
            fields = {"state": JobRun.RUNNING, "worker": self.worker_id, "attempt": attempt, "started_at": timezone.now()}
            _retrying(lambda: _upsert(JobRun, {"job": job.name, "period": period}, {**fields, "finished_at": None, "outcome": ""}))
            token = _period.set(period)
            try:
                result = job.task.call()
                state, outcome = JobRun.SUCCEEDED, "" if result is None else str(result)
            except Exception as error:  # recorded on the run and shown to the owner; the next period tries again
                log.exception("job %s failed", job.name)
                state, outcome = JobRun.FAILED, f"{type(error).__name__}: {error}"
            finally:
                _period.reset(token)
            # Retried (the heartbeat keeps our lease meanwhile): giving up here would run the period again.
            if not _retrying(lambda: self._finish(job, period, state, outcome)):
                log.error("job %s: lost its lease while running (stalled longer than the lease?)", job.name)
        finally:
            with self.lock:
                self.running.pop(job.name, None)

    def _finish(self, job: ScheduledJob, period: datetime, state: str, outcome: str) -> int:
        # One transaction: the period is finished and the lease freed together, or neither.
        with transaction.atomic():
            run = JobRun.objects.filter(job=job.name, period=period)
            run.update(state=state, finished_at=timezone.now(), outcome=outcome[:2000])
            mine = JobLease.objects.filter(name=job.name, holder=self.worker_id)
            return mine.update(holder="", lease_until=None, done_period=period)

    def _run_in_thread(self, job: ScheduledJob, period: datetime, attempt: int) -> None:
        try:
            self._run(job, period, attempt)
        finally:
            connection.close()  # this thread's own connection

    def beat(self) -> None:
        """Renew the leases this worker holds, and say it is alive (for tasks it took from the queue)."""
        now = timezone.now()
        with self.lock:
            held = list(self.running)
        if held:
            JobLease.objects.filter(name__in=held, holder=self.worker_id).update(
                lease_until=now + timedelta(seconds=lease_seconds())
            )
        _upsert(WorkerBeat, {"worker_id": self.worker_id}, {"beat_at": now})

    def busy(self) -> bool:
        with self.lock:
            return bool(self.running)


def _upsert(model: Any, keys: dict[str, Any], values: dict[str, Any]) -> None:
    """UPDATE, else INSERT: unlike update_or_create's SELECT-then-write transaction, each statement takes
    SQLite's write lock directly (waiting for it), so concurrent workers never see "database is locked"."""
    if not model.objects.filter(**keys).update(**values):
        try:
            model.objects.create(**keys, **values)
        except IntegrityError:  # created by someone else meanwhile
            model.objects.filter(**keys).update(**values)


def _retrying(write: Callable[[], T], attempts: int = 20) -> T:
    """A write that must happen (a run's outcome): retried while the database is busy or briefly away."""
    for attempt in range(attempts):
        try:
            return write()
        except OperationalError:
            if attempt == attempts - 1:
                raise
            log.warning("database busy; retrying", exc_info=True)
            connection.close()
            time_module.sleep(min(0.1 * 2**attempt, 2.0))
    raise AssertionError("unreachable: the last attempt raises")


def requeue_orphans(now: datetime | None = None) -> int:
    """Queued tasks a dead worker had started go back to the queue (django-tasks-db leaves them RUNNING).

    A worker is dead when its heartbeat is older than the lease; the update is conditional on the row
    being unchanged since we read it, so two workers never both requeue (or a live one lose) a task."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    alive = set(
        WorkerBeat.objects.filter(beat_at__gte=now - timedelta(seconds=lease_seconds())).values_list("worker_id", flat=True)
    )
    requeued = 0
    for row in DBTaskResult.objects.filter(status="RUNNING").only("id", "worker_ids", "started_at"):
        if row.worker_ids and row.worker_ids[-1] in alive:
            continue
        requeued += DBTaskResult.objects.filter(id=row.id, status="RUNNING", started_at=row.started_at).update(
            status="READY", started_at=None
        )
    WorkerBeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()
    return requeued


# --- What the owner's Jobs page shows --------------------------------------------------------------


@dataclass(frozen=True)
class JobStatus:
    name: str
    title: str
    schedule: str
    last_run: JobRun | None
    running: bool
    next_run: datetime


def job_statuses(now: datetime | None = None) -> tuple[JobStatus, ...]:
    now = now or timezone.now()
    leases = {lease.name: lease for lease in JobLease.objects.filter(name__in=list(JOBS))}
    statuses = []
    for job in sorted(JOBS.values(), key=lambda j: j.title.lower()):
        last = JobRun.objects.filter(job=job.name).order_by("-period").first()
        lease = leases.get(job.name)
        running = bool(lease and lease.holder and lease.lease_until and lease.lease_until >= now)
        current = job.schedule.period(now)
        done = lease.done_period if lease else None
        next_run = job.schedule.next_after(current) if done is not None and done >= current else now
        statuses.append(JobStatus(job.name, job.title, job.schedule.describe(), last, running, next_run))
    return tuple(statuses)
