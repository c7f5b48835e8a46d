"""Owners' audit log of credit changes (filter, CSV export) and the Undo of one applied change."""

import csv
import uuid

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .adjustments import Outcome, PoolBusy, undo
from .audit import AuditEntry
from .audit_forms import AuditFilterForm
from .resolve import resolve
from .roles import requires
from .wix.connection import get_client

PER_PAGE = 50
UNDO_STATUS = {Outcome.APPLIED: 200, Outcome.REFUSED: 422, Outcome.CONFLICT: 409, Outcome.FAILED: 502, Outcome.UNKNOWN: 503}
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


def _partial(request, template: str, partial: str) -> str:
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


@require_GET
@requires("balances.view_audit")
def audit_log(request):
    form = AuditFilterForm(request.GET)
    template = _partial(request, "balances/audit.html", "rows")
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        return TemplateResponse(request, template, {"form": form, "page": None, "error": error}, status=400)
    entries = form.filter(AuditEntry.objects.select_related("reverts").prefetch_related("undos"))
    page = Paginator(entries, PER_PAGE).get_page(form.cleaned_data["page"] or 1)
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(request, template, {"form": form, "page": page, "error": None, "query": query.urlencode()})


def _cell(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas (CSV injection): make them text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@requires("balances.view_audit")
def audit_export(request):
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="credit-desk-audit-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for e in form.filter(AuditEntry.objects.all()).iterator():
        writer.writerow(
            [
                _cell(v)
                for v in (
                    timezone.localtime(e.created_at).isoformat(timespec="seconds"),
                    e.username,
                    e.member_name,
                    e.member_id,
                    e.plan_name,
                    e.pool_id,
                    e.kind,
                    e.requested,
                    e.available_before,
                    e.available_after,
                    e.delta,
                    e.reason,
                    e.outcome,
                    e.message,
                    e.transaction_id,
                    e.idempotency_key,
                    e.reverts_id or "",
                )
            ]
        )
    return response


@require_POST
@requires("balances.adjust_credits")
def undo_change(request, entry_id):
    original = get_object_or_404(AuditEntry, pk=entry_id)
    template = _partial(request, "balances/undo.html", "undo")
    context = {"entry": original, "result": None, "error": None, "key": ""}
    try:
        key = str(uuid.UUID(request.POST.get("idempotency_key", "")))
    except ValueError:
        context["error"] = "This Undo button is out of date. Reload the page and try again."
        return TemplateResponse(request, template, context, status=400)
    try:
        result = undo(get_client(), request.user, original, idempotency_key=key)
    except PoolBusy:
        context.update(error="Another change to this plan is in progress. Try again in a moment.", key=key)
        return TemplateResponse(request, template, context, status=409)
    # Only an unknown outcome keeps its key: the retry must be recognisable as the same undo.
    context.update(result=result, key=key if result.outcome == Outcome.UNKNOWN else "")
    response = TemplateResponse(request, template, context, status=UNDO_STATUS[result.outcome])
    if result.applied:
        response["HX-Trigger"] = "credits-changed"
    return response


@require_POST
@requires("balances.view_audit")
def resolve_change(request, entry_id):
    """Settle one unknown/pending row from Wix's transactions; answers the row as it is now."""
    entry = get_object_or_404(AuditEntry.objects.select_related("reverts"), pk=entry_id)
    resolution = resolve(get_client(), entry)
    entry = AuditEntry.objects.select_related("reverts").prefetch_related("undos").get(pk=entry.pk)
    template = _partial(request, "balances/audit.html", "row")
    if template.endswith("#row"):
        return TemplateResponse(request, template, {"entry": entry, "resolution": resolution})
    return redirect("audit:list")
