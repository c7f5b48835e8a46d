from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from balances.ai.service import ai_credits
from balances.brevo.service import loyalty_column
from balances.credits import member_detail as load_member_detail
from balances.credits import member_page
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from balances.wix.errors import WixBadRequest, WixError, WixNotFound

from .forms import MemberFilterForm


def _partial(request, template: str, partial: str) -> str:
    """HTMX swaps get the named partial; full loads (and htmx history restores) get the page."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def _error_status(error: WixError) -> int:
    if isinstance(error, WixNotFound):
        return 404
    if isinstance(error, WixBadRequest):
        return 400
    return 503 if error.status is None or error.status >= 500 or error.status == 429 else 502


@require_GET
@permission_required("balances.view_members", raise_exception=True)
def member_list(request):
    form = MemberFilterForm(request.GET)
    context = {"form": form, "page": None, "error": None}
    template = _partial(request, "members/list.html", "results")
    if not form.is_valid():
        context["error"] = " ".join(e for errors in form.errors.values() for e in errors)
        return TemplateResponse(request, template, context, status=400)
    query = form.cleaned_data
    try:
        page = member_page(
            get_client(), connection_fingerprint(current_auth()), search=query["q"], status=query["status"],
            offset=query["offset"], limit=query["size"], cursor=query["cursor"] or None,
        )
    except WixError as error:
        context["error"] = error.message
        return TemplateResponse(request, template, context, status=_error_status(error))
    base = {k: v for k, v in (("q", query["q"]), ("status", query["status"]), ("size", query["size"]),
                              ("brevo", query["brevo"] and "on"), ("ai", query["ai"] and "on")) if v}
    if query["brevo"]:  # never raises: a Brevo problem shows in its own column only
        context["loyalty"] = loyalty_column([row.member.email for row in page.rows])
    if query["ai"] and request.user.has_perm("balances.manage_connection"):
        context["ai"] = ai_credits(get_client(), connection_fingerprint(current_auth()))
    if page.total is None:  # pool-status pages walk cursors
        next_params = {**base, "cursor": page.next_cursor} if page.has_next else None
        prev_params = {**base, "cursor": page.prev_cursor} if page.has_prev else None
    else:
        next_params = {**base, "offset": page.next_offset} if page.has_next else None
        prev_params = {**base, **({"offset": page.prev_offset} if page.prev_offset else {})} if page.has_prev else None
    context.update(
        page=page,
        next_url=f"?{urlencode(next_params)}" if next_params else "",
        prev_url=f"?{urlencode(prev_params)}" if prev_params is not None else "",
    )
    return TemplateResponse(request, template, context)


@require_GET
@permission_required("balances.view_members", raise_exception=True)
def member_detail(request, member_id):
    template = _partial(request, "members/detail.html", "panel")
    try:
        detail = load_member_detail(get_client(), str(member_id))
    except WixError as error:
        message = "No member with this ID exists in Wix." if isinstance(error, WixNotFound) else error.message
        return TemplateResponse(request, template, {"error": message, "detail": None},
                                status=_error_status(error))
    return TemplateResponse(request, template, {"detail": detail, "error": None})
