"""The scheduler's own state: one row per scheduled job (the lease) and one row per run (the history).

The task queue itself (django-tasks-db's DBTaskResult) keeps on-demand tasks; see jobs/schedule.py.
"""

from django.db import models


class JobLease(models.Model):
    """Who may run a scheduled job right now. Claimed and renewed by conditional UPDATEs, so exactly one
    worker holds it; a holder that dies stops renewing and its lease runs out, then another worker reruns
    the same period."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=64, blank=True, default="")  # "" = free
    lease_until = models.DateTimeField(null=True, blank=True)
    period = models.DateTimeField(null=True, blank=True)  # the period being run (or last run)
    done_period = models.DateTimeField(null=True, blank=True)  # the newest period finished (either way)
    attempt = models.PositiveIntegerField(default=0)  # of `period`: 2+ means a dead worker's run was redone

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'}"


class JobRun(models.Model):
    """One run of a scheduled job for one period (a rerun after a dead worker updates the same row)."""

    RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"

    job = models.CharField(max_length=64)
    period = models.DateTimeField()
    state = models.CharField(max_length=16, default=RUNNING)
    worker = models.CharField(max_length=64)
    attempt = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="one_run_per_job_period")]
        indexes = [models.Index(fields=["job", "-period"], name="jobrun_latest")]

    def __str__(self) -> str:
        return f"{self.job} {self.period:%Y-%m-%d %H:%M:%S} {self.state}"


class WorkerBeat(models.Model):
    """A worker's last heartbeat: a queued task whose worker stopped beating is put back in the queue."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.worker_id
