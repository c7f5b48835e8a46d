"""The home page: Needs attention counts, each linking to its list of members."""

from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from balances.attention import (
    CATEGORIES,
    cached_report,
    last_error,
    needs_refresh,
    request_scan,
    scan_running,
)
from balances.models import StudioPreferences
from balances.roles import requires
from balances.wix.connection import connection_fingerprint, current_auth
from balances.wix.errors import WixError

from .threshold import PERMISSION, threshold_form
from .views import _partial


def _report_context():
    """The cached report, queueing a scan for the worker when it is missing or old."""
    threshold = StudioPreferences.current().low_credit_threshold
    try:
        fingerprint = connection_fingerprint(current_auth())
    except WixError as error:
        return {"error": error.message, "report": None, "scanning": False, "threshold": threshold}
    report = cached_report(fingerprint)
    if needs_refresh(report, threshold):
        request_scan(fingerprint)
    return {
        "report": report,
        "threshold": threshold,
        "scanning": scan_running(fingerprint),
        "stale": bool(report) and report.threshold != threshold,
        "error": last_error(fingerprint),
    }


@require_GET
@requires("balances.view_members")
def home(request):
    context = {**_report_context(), "categories": CATEGORIES}
    if request.user.has_perm(PERMISSION):
        context["threshold_form"] = threshold_form()
    return TemplateResponse(request, _partial(request, "members/attention.html", "counts"), context)


@require_GET
@requires("balances.view_members")
def attention_list(request, category):
    chosen = next((c for c in CATEGORIES if c.key == category), None)
    if chosen is None:
        raise Http404("No such list.")
    context = _report_context()
    rows = context["report"].groups.get(category, ()) if context["report"] else ()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context.update(category=chosen, page=page)
    return TemplateResponse(request, _partial(request, "members/attention_list.html", "rows"), context)
