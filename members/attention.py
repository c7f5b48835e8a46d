"""The home page: Needs attention counts, each linking to its list of members."""

from django.core.paginator import Paginator
from django.http import Http404
from django.views.decorators.http import require_GET

from balances import roles
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
from config.web import Page, page, paginator_pager

from .threshold import threshold_form


def _report_context(view: Page):
    """The cached report, queueing a scan for the worker when it is missing or old. Without a Wix connection
    the page still renders (with the threshold form), saying why there are no counts."""
    threshold = StudioPreferences.current().low_credit_threshold
    problem = view.wix_problem()
    if problem:
        return {"error": problem, "report": None, "scanning": False, "threshold": threshold}
    fingerprint = view.fingerprint
    report = cached_report(fingerprint)
    if needs_refresh(report, threshold):
        request_scan(fingerprint)
    return {
        "report": report,
        "threshold": threshold,
        "scanning": scan_running(fingerprint),
        "stale": report is not None and report.threshold != threshold,
        "error": last_error(fingerprint),
    }


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/attention.html", "counts")
def home(request, view: Page):
    context = {**_report_context(view), "categories": CATEGORIES}
    if request.user.has_perm(roles.MANAGE_CONNECTION):  # a studio setting, with the owner's other settings
        context["threshold_form"] = threshold_form()
    return view.render(context)


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/attention_list.html", "rows")
def attention_list(request, view: Page, category):
    chosen = next((c for c in CATEGORIES if c.key == category), None)
    if chosen is None:
        raise Http404("No such list.")
    context = _report_context(view)
    rows = context["report"].groups.get(category, ()) if context["report"] else ()
    rows_page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context.update(category=chosen, page=rows_page, pager=paginator_pager(rows_page, f"{rows_page.paginator.count} in all"))
    return view.render(context)
