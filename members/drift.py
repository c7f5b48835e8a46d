"""Bookings and credits that disagree: the list behind the Needs attention count, and per member the exact
bookings and transactions that disagree (from the stored report of balances/drift.py; no Wix call here)."""

from django.core.paginator import Paginator
from django.http import Http404
from django.views.decorators.http import require_GET

from balances import drift, roles
from balances.roles import requires
from config.web import Page, page, paginator_pager


def drift_context(view: Page) -> dict[str, object]:
    """The stored report, for Needs attention and these pages. The scheduled job `bookings-drift` makes it
    (every 30 minutes, within its share of the call budget); pages never start one, so a page view costs
    no Wix call and a busy desk cannot multiply checks."""
    problem = view.wix_problem()
    if problem:
        return {"drift": None, "drift_error": problem, "drift_running": False}
    fingerprint = view.fingerprint
    report = drift.cached_report(fingerprint)
    return {
        "drift": report,
        "drift_error": drift.last_error(fingerprint),
        "drift_running": drift.running(fingerprint),
        "drift_kinds": drift.KINDS,
    }


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/drift_list.html", "rows")
def drift_list(request, view: Page):
    context = drift_context(view)
    report = context["drift"]
    rows = report.members if isinstance(report, drift.DriftReport) else ()
    rows_page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context.update(page=rows_page, pager=paginator_pager(rows_page, f"{rows_page.paginator.count} in all"))
    return view.render(context)


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/drift_member.html")
def drift_member(request, view: Page, member_id):
    context = drift_context(view)
    report = context["drift"]
    found = report.member(str(member_id)) if isinstance(report, drift.DriftReport) else None
    if found is None and isinstance(report, drift.DriftReport):
        raise Http404("This member has no bookings that disagree with their credits in the last check.")
    context.update(member=found, member_id=str(member_id))
    return view.render(context)
