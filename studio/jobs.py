"""The owner's Jobs page: each scheduled job (balances/jobs/schedule.py) with its last run, its outcome and its next run."""

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from balances import roles
from balances.jobs.schedule import job_statuses, lease_seconds
from balances.roles import requires


@require_GET
@requires(roles.MANAGE_CONNECTION)
def jobs_page(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "studio/jobs.html", {"jobs": job_statuses(), "lease_seconds": int(lease_seconds())})
