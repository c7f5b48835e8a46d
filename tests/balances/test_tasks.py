"""Background work: the schedule's periods, the scheduler's leases, and the REAL worker process
(`manage.py worker`) against a real database — two workers run each period once, and a worker killed
with SIGKILL mid-job loses nothing (the job runs again) and doubles nothing (its effect happens once).

The worker-process tests use a database of their own (a SQLite file, or with DATABASE_URL=postgres://…
a PostgreSQL database created and dropped here), because the worker is a separate process.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django_tasks import task

from balances import attention
from balances.jobs import schedule
from balances.jobs.models import JobLease, JobRun, WorkerBeat
from balances.jobs.schedule import Daily, Every, Scheduler
from balances.wix.connection import connection_fingerprint, current_auth

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 30, 10, 0, 0, tzinfo=UTC)


# --- Periods ---------------------------------------------------------------------------------------


def test_every_periods_are_aligned_and_the_same_on_every_machine():
    ten = Every(600)
    assert ten.period(T0 + timedelta(minutes=3)) == T0
    assert ten.period(T0 + timedelta(minutes=10)) == T0 + timedelta(minutes=10)
    assert ten.next_after(T0) == T0 + timedelta(minutes=10)
    assert ten.describe() == "every 10 minutes"


def test_daily_runs_at_the_local_time_of_the_studio_across_dst(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    six = Daily(datetime.strptime("06:30", "%H:%M").time())
    berlin = ZoneInfo("Europe/Berlin")
    # 2026-10-25 is the autumn change (UTC+2 -> UTC+1): the run stays at 06:30 local.
    before = datetime(2026, 10, 24, 7, 0, tzinfo=berlin)
    assert six.period(before) == datetime(2026, 10, 24, 6, 30, tzinfo=berlin)
    assert six.next_after(six.period(before)) == datetime(2026, 10, 25, 6, 30, tzinfo=berlin)
    assert six.next_after(six.period(before)).astimezone(UTC).hour == 5  # was 04:30 UTC the day before
    assert six.period(datetime(2026, 10, 24, 6, 0, tzinfo=berlin)) == datetime(2026, 10, 23, 6, 30, tzinfo=berlin)


# --- The scheduler's leases (in-process, fixed clocks) ---------------------------------------------


@task()
def _noop() -> str:
    return "ok"


@task()
def _broken() -> str:
    raise ValueError("Wix said no")


@pytest.fixture
def one_job(monkeypatch):
    monkeypatch.setattr(schedule, "JOBS", {})
    schedule.every(seconds=60, name="demo-job", title="Demo job")(_noop)
    return schedule.JOBS["demo-job"]


@pytest.mark.django_db
def test_two_schedulers_one_claim_per_period_and_a_period_done_is_not_run_again(one_job, settings):
    settings.JOBS_LEASE_SECONDS = 120  # a's run outlasts its period but not its (renewed) lease
    a, b = Scheduler("a"), Scheduler("b")
    assert a._claim(one_job, T0) == (T0, 1)
    assert b._claim(one_job, T0 + timedelta(seconds=1)) is None  # held by a
    assert b._claim(one_job, T0 + timedelta(seconds=61)) is None  # still held: a job never overlaps itself
    a._run(one_job, T0, 1)
    run = JobRun.objects.get(job="demo-job", period=T0)
    assert (run.state, run.outcome, run.worker) == (JobRun.SUCCEEDED, "ok", "a")
    assert b._claim(one_job, T0 + timedelta(seconds=30)) is None  # T0's period is done
    assert b._claim(one_job, T0 + timedelta(seconds=61)) == (T0 + timedelta(seconds=60), 1)


@pytest.mark.django_db
def test_a_dead_holder_s_period_is_run_again_once_its_lease_runs_out(one_job, settings):
    settings.JOBS_LEASE_SECONDS = 30
    a, b, c = Scheduler("a"), Scheduler("b"), Scheduler("c")
    assert a._claim(one_job, T0) == (T0, 1)  # ...and a dies without renewing
    assert b._claim(one_job, T0 + timedelta(seconds=29)) is None
    assert b._claim(one_job, T0 + timedelta(seconds=95)) == (T0, 2)  # the same period, a second attempt
    assert c._claim(one_job, T0 + timedelta(seconds=95)) is None  # only one taker
    b._run(one_job, T0, 2)
    lease = JobLease.objects.get(name="demo-job")
    assert (lease.holder, lease.done_period, lease.attempt) == ("", T0, 2)


@pytest.mark.django_db
def test_a_failing_job_is_recorded_as_failed_and_frees_its_lease(monkeypatch):
    monkeypatch.setattr(schedule, "JOBS", {})
    schedule.every(seconds=60, name="broken")(_broken)
    s = Scheduler("a")
    assert s._claim(schedule.JOBS["broken"], T0) == (T0, 1)
    s._run(schedule.JOBS["broken"], T0, 1)
    run = JobRun.objects.get(job="broken")
    assert run.state == JobRun.FAILED and run.outcome == "ValueError: Wix said no"
    assert JobLease.objects.get(name="broken").holder == ""


@pytest.mark.django_db
def test_queued_tasks_of_a_dead_worker_go_back_to_the_queue(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.JOBS_LEASE_SECONDS = 30
    for worker in ("dead", "alive"):
        result = _noop.enqueue()
        row = DBTaskResult.objects.get(id=result.id)
        row.claim(worker)
    WorkerBeat.objects.create(worker_id="alive", beat_at=datetime.now(UTC))
    WorkerBeat.objects.create(worker_id="dead", beat_at=datetime.now(UTC) - timedelta(seconds=31))
    assert schedule.requeue_orphans() == 1
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["READY", "RUNNING"]
    assert schedule.requeue_orphans() == 0


# --- The attention scan as a scheduled task ------------------------------------------------------


@pytest.mark.django_db
def test_the_attention_scan_is_the_scheduled_job_and_its_run_stores_the_report(fresh_wix, settings):
    settings.WIX_CALLS_PER_MINUTE = 100_000
    job = schedule.JOBS["attention-scan"]
    assert job.schedule == Every(600)
    s = Scheduler("w")
    period, attempt = s._claim(job, datetime.now(UTC))
    s._run(job, period, attempt)
    run = JobRun.objects.get(job="attention-scan")
    assert run.state == JobRun.SUCCEEDED and run.outcome.startswith("Scanned ")
    report = attention.cached_report(connection_fingerprint(current_auth()))
    assert report is not None and report.age_seconds < 60


@pytest.mark.django_db
def test_the_page_queues_a_scan_once_while_it_is_pending(fresh_wix, owner_client, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued, nobody runs it
    for _ in range(3):
        response = owner_client.get(reverse("home"), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert b"every 2s" in response.content  # the page keeps polling while the scan is pending
    assert DBTaskResult.objects.filter(task_path="balances.tasks.scan_attention", status="READY").count() == 1


# --- The real worker process ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def worker_db(tmp_path_factory):
    """A migrated database the worker processes and this test share: (DATABASE_URL, query function)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, _, name = url.rpartition("/")
        name = f"{name or 'postgres'}_workers_{os.getpid()}"
        admin = psycopg.connect(f"{base}/postgres", autocommit=True)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        db_url = f"{base}/{name}"

        def query(sql):
            with psycopg.connect(db_url) as conn:
                cursor = conn.execute(sql)
                return cursor.fetchall() if cursor.description else []

    else:
        path = tmp_path_factory.mktemp("workers") / "workers.sqlite3"
        db_url = f"sqlite:///{path}"

        def query(sql):
            with sqlite3.connect(path) as conn:
                return conn.execute(sql).fetchall()

    env = _env(db_url, tmp_path_factory.mktemp("fx") / "unused")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    yield db_url, query
    if url.startswith("postgres"):
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def _env(db_url, effects, **extra):
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "SECRET_KEY": "worker-test-" + "x" * 40,
        "JOBS_LEASE_SECONDS": "2",
        "JOB_EFFECT_FILE": str(effects),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    for name in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "TASKS_BACKEND"):
        env.pop(name, None)
    return env


def _worker(env, worker_id):
    cmd = [
        sys.executable,
        "manage.py",
        "worker",
        "--tick",
        "0.2",
        "--worker-id",
        worker_id,
        "--import",
        "tests.balances.worker_jobs",
    ]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _events(effects):
    if not effects.exists():
        return []
    return [json.loads(line) for line in effects.read_text().splitlines()]


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(*procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    outputs = []
    for p in procs:
        try:
            outputs.append(p.communicate(timeout=20)[0])
        except subprocess.TimeoutExpired:
            p.kill()
            outputs.append(p.communicate()[0])
    return outputs


def _reset(query):
    query("DELETE FROM jobs_jobrun")
    query("DELETE FROM jobs_joblease")
    query("DELETE FROM django_tasks_database_dbtaskresult")
    query("DELETE FROM jobs_workerbeat")


def test_a_worker_killed_mid_job_loses_nothing_and_doubles_nothing(worker_db, tmp_path):
    db_url, query = worker_db
    _reset(query)
    effects = tmp_path / "effects.jsonl"
    # One period for the whole test (an hour), a job that takes 3 s: the kill lands mid-job.
    env = _env(db_url, effects, TEST_JOB_EVERY="3600", TEST_JOB_SECONDS="3")
    first = _worker(env, "first")
    try:
        _wait_for(lambda: any(e["event"] == "start" for e in _events(effects)), 60, "the first worker to start the job")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert [e["event"] for e in _events(effects)] == ["start"]  # killed before its effect
        second = _worker(env, "second")
        try:
            _wait_for(lambda: any(e["event"] == "effect" for e in _events(effects)), 60, "the job to run again")
            time.sleep(1.5)  # more ticks: nothing runs the finished period again
        finally:
            out = _stop(second)[0]
    finally:
        if first.poll() is None:
            first.kill()
    events = _events(effects)
    assert [e["event"] for e in events] == ["start", "start", "effect"], out
    assert len({e["period"] for e in events}) == 1  # the same period, run again
    assert events[0]["pid"] == first.pid and events[2]["pid"] == second.pid
    [(state, attempt, worker)] = query("SELECT state, attempt, worker FROM jobs_jobrun WHERE job = 'test-job'")
    assert (state, attempt, worker) == ("succeeded", 2, "second")
    [(holder,)] = query("SELECT holder FROM jobs_joblease WHERE name = 'test-job'")
    assert holder == ""


def test_two_workers_started_together_run_each_period_once(worker_db, tmp_path):
    db_url, query = worker_db
    _reset(query)
    effects = tmp_path / "effects.jsonl"
    env = _env(db_url, effects, TEST_JOB_EVERY="1", TEST_JOB_SECONDS="0.1")
    workers = [_worker(env, "one"), _worker(env, "two")]
    try:
        # Both up (each beats at once), so both compete for every period and SIGTERM finds its handler.
        beats = "SELECT count(*) FROM jobs_workerbeat WHERE worker_id IN ('one', 'two')"
        _wait_for(lambda: query(beats)[0][0] == 2, 60, "both workers to start")
        _wait_for(lambda: len({e["period"] for e in _events(effects)}) >= 6, 90, "six periods")
    finally:
        outputs = _stop(*workers)
    effect_periods = Counter(e["period"] for e in _events(effects) if e["event"] == "effect")
    start_periods = Counter(e["period"] for e in _events(effects) if e["event"] == "start")
    assert len(effect_periods) >= 5, outputs
    assert max(effect_periods.values()) == 1 and max(start_periods.values()) == 1, (effect_periods, start_periods)
    rows = query("SELECT period, state FROM jobs_jobrun WHERE job = 'test-job'")
    assert len(rows) == len(start_periods) and {state for _, state in rows} <= {"succeeded", "running"}
    assert all(p.returncode == 0 for p in workers), outputs  # SIGTERM: finished the running job, then stopped


@pytest.mark.django_db
def test_a_queued_scan_that_finds_one_running_clears_its_mark_so_the_page_stops_waiting(fresh_wix, settings):
    from django.core.cache import cache

    fingerprint = connection_fingerprint(current_auth())
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued, not run
    assert attention.request_scan(fingerprint) and attention.scan_running(fingerprint)  # queued
    cache.set(f"attention:{fingerprint}:lock", "held by the scheduled scan")
    assert attention.refresh(None, fingerprint, Decimal("1")) is None  # the queued task, skipped
    cache.delete(f"attention:{fingerprint}:lock")  # the scheduled scan ends
    assert not attention.scan_running(fingerprint)


def test_a_queued_task_whose_worker_is_killed_is_run_again_by_another_worker(worker_db, tmp_path):
    db_url, query = worker_db
    _reset(query)
    effects = tmp_path / "effects.jsonl"
    env = _env(db_url, effects, TEST_JOB_EVERY="3600", QUEUED_JOB_SECONDS="3")
    enqueue = "from tests.balances.worker_jobs import queued_job; print(queued_job.enqueue().id)"
    subprocess.run([sys.executable, "manage.py", "shell", "-c", enqueue], env=env, cwd=ROOT, check=True, capture_output=True)

    def queued(event):
        return [e for e in _events(effects) if e["event"] == event]

    first = _worker(env, "first")
    try:
        _wait_for(lambda: queued("queued-start"), 60, "the first worker to start the task")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = _worker(env, "second")
        try:
            _wait_for(lambda: queued("queued-effect"), 60, "the task to run again")
        finally:
            out = _stop(second)[0]
    finally:
        if first.poll() is None:
            first.kill()
    assert [e["pid"] for e in queued("queued-start")] == [first.pid, second.pid], out
    assert [e["pid"] for e in queued("queued-effect")] == [second.pid]
    [(status, worker_ids)] = query("SELECT status, worker_ids FROM django_tasks_database_dbtaskresult")
    worker_ids = json.loads(worker_ids) if isinstance(worker_ids, str) else worker_ids
    assert (status, worker_ids) == ("SUCCESSFUL", ["first", "second"])
