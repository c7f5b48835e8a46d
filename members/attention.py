"""The home page: Needs attention counts, each linking to its list of members."""

from datetime import UTC

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from balances import roles
from balances.attention import CATEGORIES, last_error, request_scan, scan_running
from balances.exports import attention_csv, emails_of
from balances.feed import cached_state_report, current_state, is_stale
from balances.models import StudioPreferences
from balances.roles import requires
from config.web import Page, page, paginator_pager

from .drift import drift_context
from .reasons import reasons_form
from .threshold import threshold_form


def age_text(seconds: float) -> str:
    """How old an answer is, as the page says it: "12 s ago", "4 min ago", "2 h ago"."""
    seconds = max(seconds, 0)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds // 60:.0f} min ago"
    return f"{seconds // 3600:.0f} h ago"


def _report_context(view: Page):
    """The answers from the change feed's state (balances/feed.py), queueing a full rebuild for the worker
    when there is none or the feed stopped keeping it current. Without a Wix connection the page still
    renders (with the threshold form), saying why there are no counts."""
    threshold = StudioPreferences.current().low_credit_threshold
    problem = view.wix_problem()
    if problem:
        return {"error": problem, "report": None, "scanning": False, "threshold": threshold}
    fingerprint = view.fingerprint
    state = current_state(fingerprint)
    report = cached_state_report(fingerprint, threshold) if state else None
    if is_stale(state):
        request_scan(fingerprint)
    return {
        "report": report,
        "threshold": threshold,
        "age": age_text(report.age_seconds) if report else "",
        "feed_stale": bool(report) and is_stale(state),
        "feed": state,  # its reconciliation's drift count and last full cycle
        "scanning": scan_running(fingerprint),
        "error": last_error(fingerprint),
    }


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/attention.html", "counts")
def home(request, view: Page):
    context = {**_report_context(view), **drift_context(view), "categories": CATEGORIES}
    if request.user.has_perm(roles.MANAGE_CONNECTION):  # a studio setting, with the owner's other settings
        context["threshold_form"] = threshold_form()
        context["reasons_form"] = reasons_form()
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
    context.update(
        category=chosen,
        page=rows_page,
        pager=paginator_pager(rows_page, f"{rows_page.paginator.count} in all"),
        emails=emails_of(rows),  # the whole list's, not just this page's: outreach goes to everyone in it
    )
    return view.render(context)


@require_GET
@requires(roles.EXPORT_MEMBERS)
@page(None)
def attention_export(request, view: Page, category):
    """One list as CSV, from the same stored report the page shows (no Wix call)."""
    chosen = next((c for c in CATEGORIES if c.key == category), None)
    if chosen is None:
        raise Http404("No such list.")
    report = _report_context(view)["report"]
    if report is None:
        return HttpResponse("Still checking every balance in Wix; try again in a moment.", status=503, content_type="text/plain")
    response = StreamingHttpResponse(
        attention_csv(report.groups.get(category, ()), chosen.title, report.as_of), content_type="text/csv; charset=utf-8"
    )
    stamp = report.as_of.astimezone(UTC).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{category}-{stamp}.csv"'
    return response
