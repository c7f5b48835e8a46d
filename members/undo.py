"""Undo of one applied change, from the member panel or the audit log (the same button, members/_undo.html)."""

import uuid

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from balances import roles
from balances.adjustments import Outcome, PoolBusy, undo
from balances.audit import AuditEntry
from balances.roles import requires
from config.web import Page, page

from .adjust import STATUS
from .views import panel_after_change


@require_POST
@requires(roles.ADJUST_CREDITS)
@page("members/undo.html", "undo")
def undo_change(request, view: Page, entry_id):
    original = get_object_or_404(AuditEntry, pk=entry_id)
    view.context.update(entry=original, result=None, key="")
    if original.user_id != request.user.pk and not request.user.has_perm(roles.VIEW_AUDIT):
        # Whoever may not read the log may not reverse what others did (they would act on rows they cannot see).
        return view.render({"error": "Only people who can see the audit log can undo someone else's change."}, status=403)
    try:
        key = str(uuid.UUID(request.POST.get("idempotency_key", "")))
    except ValueError:
        return view.render({"error": "This Undo button is out of date. Reload the page and try again."}, status=400)
    client = view.client  # resolved before anything is written: no connection is a 503 page
    try:
        result = undo(
            client, request.user, original, idempotency_key=key, may_go_negative=request.user.has_perm(roles.ALLOW_NEGATIVE_BALANCE)
        )
    except PoolBusy:
        return view.render({"error": "Another change to this plan is in progress. Try again in a moment.", "key": key}, status=409)
    response = None
    if result.applied and request.htmx and request.POST.get("in_panel"):
        response = panel_after_change(view, original.member_id, original.pool_id, result)
    # Only an unknown outcome keeps its key: the retry must be recognisable as the same undo.
    response = response or view.render(
        {"result": result, "key": key if result.outcome == Outcome.UNKNOWN else ""}, status=STATUS[result.outcome]
    )
    if result.applied:
        trigger_client_event(response, "credits-changed")
    return response
