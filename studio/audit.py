"""Owners' audit log of credit changes (filter, CSV export, Resolve of an unconfirmed change). Undo of one
change is the desk's: members/undo.py."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from balances import csv_safe, roles
from balances.audit import AuditEntry
from balances.resolve import resolve
from balances.roles import requires
from config.web import Page, form_errors, page, paginator_pager

from .audit_forms import AuditFilterForm

PER_PAGE = 50
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
]


@require_GET
@requires(roles.VIEW_AUDIT)
@page("studio/audit.html", "rows")
def audit_log(request, view: Page):
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return view.render({"form": form, "page": None, "error": form_errors(form)}, status=400)
    entries = form.filter(AuditEntry.objects.select_related("reverts").prefetch_related("undos"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = Paginator(entries, PER_PAGE).get_page(form.cleaned_data["page"] or 1)
    pager = paginator_pager(
        rows,
        f"Page {rows.number} of {rows.paginator.num_pages}",
        query=query.urlencode(),
        target="#audit-rows",
        prev_label="← Newer",
        next_label="Older →",
    )
    return view.render({"form": form, "page": rows, "pager": pager, "query": query.urlencode()})


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
