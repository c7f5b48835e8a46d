"""Scheduled jobs used only by tests/balances/test_tasks.py, imported by the real worker process with
`manage.py worker --import tests.balances.worker_jobs`. Each run appends what it did to JOB_EFFECT_FILE
(one line per event, appended with O_APPEND so two processes never interleave a line)."""

import json
import os
import time

from django_tasks import task

from balances.jobs.schedule import current_period, every


def note(event: str) -> None:
    period = current_period()
    line = json.dumps({"event": event, "pid": os.getpid(), "period": period.isoformat() if period else None}) + "\n"
    fd = os.open(os.environ["JOB_EFFECT_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@every(seconds=int(os.environ.get("TEST_JOB_EVERY", "1")), name="test-job", title="Test job")
@task()
def test_job() -> str:
    note("start")
    time.sleep(float(os.environ.get("TEST_JOB_SECONDS", "0")))  # a SIGKILL lands here, before the effect
    note("effect")
    return "done"


@task()
def queued_job() -> str:
    """Queued (not scheduled): `queued_job.enqueue()`."""
    note("queued-start")
    time.sleep(float(os.environ.get("QUEUED_JOB_SECONDS", "0")))
    note("queued-effect")
    return "done"
