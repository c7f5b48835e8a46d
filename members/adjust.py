"""The adjustment form of one pool: shown with a fresh idempotency key and the balance revision, applied
through balances.adjustments, answered with the outcome (the same partial for HTMX and full pages)."""

from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from balances import roles
from balances.adjustments import ENDED, ENDED_REFUSED, AdjustmentRequest, Outcome, PoolBusy, adjust, new_key
from balances.desk.models import QuickReasons
from balances.roles import requires
from config.web import Page, page

from .adjust_forms import _NUMBER, AdjustForm
from .views import panel_after_change

TEMPLATE = "members/adjust.html"
# Refusals are the person's to fix (422); a conflict asks them to look again (409).
STATUS: dict[str, int] = {
    Outcome.APPLIED: 200,
    Outcome.REFUSED: 422,
    Outcome.CONFLICT: 409,
    Outcome.FAILED: 502,
    Outcome.UNKNOWN: 503,
}


def _fresh_form(balance, **values) -> AdjustForm:
    return AdjustForm(
        initial={
            "idempotency_key": new_key(),
            "revision": balance.revision,
            "seen_available": balance.available,
            "ended": balance.status == ENDED,
            **values,
        }
    )


@require_http_methods(["GET", "POST"])
@requires(roles.ADJUST_CREDITS)
@page(TEMPLATE, "adjust", not_found="Wix has no balance for this plan.")
def adjust_credits(request, view: Page, member_id, pool_id):
    member_id, pool_id = str(member_id), str(pool_id)
    context = view.context
    context.update(
        member_id=member_id,
        pool_id=pool_id,
        form=None,
        result=None,
        balance=None,
        may_go_negative=request.user.has_perm(roles.ALLOW_NEGATIVE_BALANCE),
        owner=roles.is_owner(request.user),
    )
    client = view.client  # resolved before anything is read or written: no connection is a 503 page

    if request.method == "GET":
        with client.budget.writing():  # the form of a change: it outranks pages, which have stale copies
            balance = client.get_balance(pool_id)
        if balance.member_id != member_id:
            return view.render({"error": "This plan does not belong to this member."}, status=404)
        if balance.status == ENDED and not context["owner"]:
            return view.render({"error": ENDED_REFUSED}, status=403)
        # Loaded into the member panel (HTMX), an applied change answers with the whole panel again.
        in_panel = bool(request.htmx)
        # +1 / −1 in the panel: the same form with the change filled in, and the reasons as one tap each.
        preset = {"mode": request.GET.get("mode", ""), "amount": request.GET.get("amount", "")}
        if preset["mode"] in ("add", "remove") and _NUMBER.fullmatch(preset["amount"]):
            return view.render(
                {
                    "form": _fresh_form(balance, **preset),
                    "balance": balance,
                    "quick": preset,
                    "reasons": QuickReasons.current().for_mode(preset["mode"]),  # the owner's list (Needs attention)
                    "in_panel": in_panel,
                }
            )
        return view.render({"form": _fresh_form(balance), "balance": balance, "in_panel": in_panel})

    posted = request.POST.copy()
    # The quick picker sends its tapped reason and the (empty) free-text box under the same name: the one given counts.
    given = [reason for reason in posted.getlist("reason") if reason.strip()]
    posted.setlist("reason", given[:1] or [""])
    form = AdjustForm(posted)
    context.update(form=form, in_panel=bool(request.POST.get("in_panel")))
    if not form.is_valid():
        return view.render(status=400)
    data = form.cleaned_data
    change = AdjustmentRequest(
        member_id=member_id,
        pool_id=pool_id,
        mode=data["mode"],
        amount=data["amount"],
        reason=data["reason"],
        idempotency_key=str(data["idempotency_key"]),
        revision=data["revision"],
        allow_negative=data["allow_negative"],
    )
    try:
        # Whether the plan has ended is judged on the balance the change reads anyway, under its lock: a
        # read of its own spent as a page and was refused when pages had spent their share (issue 13).
        result = adjust(client, request.user, change, may_go_negative=context["may_go_negative"], may_change_ended=context["owner"])
    except PoolBusy:
        # Nothing was written or sent: the same form (same key) can simply be sent again.
        return view.render({"error": "Another change to this plan is in progress. Try again in a moment."}, status=409)

    if result.forbidden:
        return view.render({"error": result.message, "form": None}, status=403)
    context.update(result=result, balance=result.balance, seen_available=data["seen_available"], seen_revision=data["revision"])
    keep = {"mode": data["mode"], "amount": data["amount"], "reason": data["reason"]}
    if result.outcome == Outcome.UNKNOWN:
        pass  # keep the bound form: retrying must send the very same key
    elif result.outcome == Outcome.APPLIED:
        context["form"] = None
    elif result.balance is not None:
        context["form"] = _fresh_form(result.balance, **keep)
    else:  # a replayed or failed attempt without fresh numbers: show the form again to retry from scratch
        context["form"] = AdjustForm(
            initial={**keep, "idempotency_key": new_key(), "revision": data["revision"], "seen_available": data["seen_available"]}
        )
    response = None
    if result.applied and request.htmx and request.POST.get("in_panel"):
        response = panel_after_change(view, member_id, pool_id, result)
    response = response or view.render(status=STATUS[result.outcome])
    if result.retry_after:  # rate limited: nothing was applied, and the form says when to try again
        response.status_code, response["Retry-After"] = 503, str(int(result.retry_after + 0.999))
    if result.applied:
        trigger_client_event(response, "credits-changed")
    return response
