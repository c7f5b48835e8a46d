"""The owner's Jobs page: every scheduled job with its last run, its outcome and its next run."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from balances.jobs import schedule
from balances.jobs.models import JobLease, JobRun
from balances.jobs.schedule import Scheduler

pytestmark = pytest.mark.django_db


def _row(response, name):
    html = response.content.decode()
    start = html.index(f'id="job-{name}"')
    return html[start : html.index("</tr>", start)]


def test_owner_sees_each_job_never_run_then_its_run_outcome_and_next_run(fresh_wix, owner_client, settings):
    settings.WIX_CALLS_PER_MINUTE = 100_000
    before = owner_client.get(reverse("jobs"))
    assert before.status_code == 200
    row = _row(before, "attention-scan")
    assert "Needs attention scan" in row and "every 10 minutes" in row and "never" in row

    job = schedule.JOBS["attention-scan"]
    worker = Scheduler("page-test")
    period, attempt = worker._claim(job, datetime.now(UTC))
    running = _row(owner_client.get(reverse("jobs")), "attention-scan")
    assert "running now" in running
    worker._run(job, period, attempt)

    row = _row(owner_client.get(reverse("jobs")), "attention-scan")
    assert "succeeded: Scanned " in row
    next_run = timezone.localtime(period + timedelta(minutes=10))
    assert date_format(next_run, "Y-m-d H:i:s") in row


def test_a_failed_run_shows_why_and_a_rerun_says_its_first_worker_stopped(owner_client):
    now = timezone.now()
    JobRun.objects.create(
        job="attention-scan",
        period=now,
        state=JobRun.FAILED,
        worker="w",
        attempt=2,
        started_at=now,
        outcome="RuntimeError: Wix failed",
    )
    JobLease.objects.create(name="attention-scan", done_period=now)
    row = _row(owner_client.get(reverse("jobs")), "attention-scan")
    assert "failed: RuntimeError: Wix failed" in row
    assert "attempt 2" in row


def test_front_desk_is_refused(frontdesk_client):
    assert frontdesk_client.get(reverse("jobs")).status_code == 403


def test_only_owners_see_it_and_it_takes_no_writes(client, owner_client):
    assert owner_client.post(reverse("jobs")).status_code == 405
    assert owner_client.get(reverse("jobs") + "?job=%00<script>").status_code == 200  # a query string is ignored
    client.logout()
    anonymous = client.get(reverse("jobs"))
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
