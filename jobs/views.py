"""The owner's Jobs page: each scheduled job with its last run, its outcome and its next run.

(Lives here until the studio/ app for owner pages lands; the integrator re-homes it.)
"""

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from balances.roles import requires

from .schedule import job_statuses, lease_seconds


@require_GET
@requires("balances.manage_connection")
def jobs_page(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "studio/jobs.html", {"jobs": job_statuses(), "lease_seconds": int(lease_seconds())})
