"""The owner's back office's scheduled jobs (jobs/schedule.py explains scheduling)."""

import socket

from django_tasks import task

from balances.jobs.schedule import every

from .digest import send_due


@every(seconds=60, name="morning-digest", title="Owners' morning digest")
@task()
def morning_digest() -> str:
    """Each owner's digest at the time they chose (studio time zone), at most once a day."""
    sent, failed = send_due(socket.gethostname()[:40])
    if failed:
        raise RuntimeError(f"{failed} digests could not be sent ({sent} sent); the log says why")
    return f"{sent} digests sent." if sent else "No digest due."
