"""Owners' audit log of credit changes (filter, CSV export, Resolve of an unconfirmed change). Undo of one
change is the desk's: members/undo.py."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from balances import csv_safe, roles
from balances.audit import AuditEntry
from balances.directory.models import DirectoryEntry
from balances.resolve import resolve
from balances.roles import requires
from config.web import Page, filters_query, form_errors, newest_first, page

from .audit_forms import AuditFilterForm

CSV_COLUMNS = [
    "when",
    "staff",
    "member",
    "member_id",
    "plan",
    "pool_id",
    "change",
    "requested",
    "before",
    "after",
    "delta",
    "reason",
    "outcome",
    "message",
    "wix_transaction_id",
    "idempotency_key",
    "undoes",
    "booking_id",  # check-ins: the booking, the session and what was set
    "session_id",
    "attendance",
]


@require_GET
@requires(roles.VIEW_AUDIT)
@page("studio/audit.html", "rows")
def audit_log(request, view: Page):
    form = AuditFilterForm(request.GET)
    view.context.update(form=form, page=None)
    if not form.is_valid():
        return view.invalid(form)
    entries = form.filter(AuditEntry.objects.select_related("reverts").prefetch_related("undos"))
    rows, pager = newest_first(request, entries, form.cleaned_data["page"], target="#audit-rows")
    # A change whose first read failed stored no names: the directory index still knows who the member is.
    nameless = {e.member_id for e in rows if not e.member_name}
    known = dict(DirectoryEntry.objects.filter(member_id__in=nameless).values_list("member_id", "name")) if nameless else {}
    return view.render({"page": rows, "pager": pager, "query": filters_query(request), "known_names": known})


@require_GET
@requires(roles.VIEW_AUDIT)
def audit_export(request):
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form_errors(form), status=400, content_type="text/plain; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="credit-desk-audit-{stamp}.csv"'
    writer = csv_safe.writer(response)
    writer.writerow(CSV_COLUMNS)
    # Text columns are guarded against spreadsheet formulas; numbers (a delta of -1) stay numbers.
    text, number = csv_safe.text, csv_safe.number
    for e in form.filter(AuditEntry.objects.all()).iterator():
        writer.writerow(
            [
                timezone.localtime(e.created_at).isoformat(timespec="seconds"),
                text(e.username),
                text(e.member_name),
                text(e.member_id),
                text(e.plan_name),
                text(e.pool_id),
                text(e.kind),
                number(e.requested),
                number(e.available_before),
                number(e.available_after),
                number(e.delta),
                text(e.reason),
                text(e.outcome),
                text(e.message),
                text(e.transaction_id),
                text(e.idempotency_key),
                number(e.reverts_id),
                text(e.booking_id),
                text(e.event_id),
                text(e.attendance),
            ]
        )
    return response


@require_POST
@requires(roles.VIEW_AUDIT)
@page("studio/audit.html", "row")
def resolve_change(request, view: Page, entry_id):
    """Settle one unknown/pending row from Wix's transactions (balances/resolve.py); answers the row as it
    is now, in place. Resolve never raises for Wix trouble: it says why the row stays open."""
    entry = get_object_or_404(AuditEntry.objects.select_related("reverts"), pk=entry_id)
    resolution = resolve(view.client, entry)
    if not (view.template or "").endswith("#row"):
        return redirect("audit:list")
    entry = AuditEntry.objects.select_related("reverts").prefetch_related("undos").get(pk=entry.pk)
    return view.render({"entry": entry, "resolution": resolution})
