from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, set_script_prefix
from django.views.decorators.http import require_GET

from balances.ai.service import ai_credits
from balances.brevo.service import loyalty_column
from balances.models import StudioPreferences
from balances.reads import member_detail_read, member_page_read, prefetch_member_page
from balances.roles import requires
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from balances.wix.errors import WixBadRequest, WixError, WixNotFound, WixRateLimited

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


def _error_response(request, template: str, context: dict, error: WixError) -> TemplateResponse:
    response = TemplateResponse(request, template, context, status=_error_status(error))
    retry_after = getattr(error, "retry_after", None)
    if retry_after and (isinstance(error, WixRateLimited) or response.status_code == 503):
        response["Retry-After"] = str(int(retry_after + 0.999))
    return response


def _refresh_url(request) -> str:
    """This same request, but past the read cache ("Refresh" in every page)."""
    query = request.GET.copy()
    query["refresh"] = "1"
    return f"{request.path}?{query.urlencode()}"


def _rows_renderer(script_prefix: str, low_threshold):
    """Render a prefetched page's rows into the fragment cache, so "Next" only has to assemble the page."""

    def render(page) -> None:
        set_script_prefix(script_prefix)  # links in the rows, rendered outside the request's thread
        render_to_string("members/list.html#rows", {"page": page, "low_threshold": low_threshold})

    return render


@require_GET
@requires("balances.view_members")
def member_list(request):
    form = MemberFilterForm(request.GET)
    context = {"form": form, "page": None, "error": None}
    template = _partial(request, "members/list.html", "results")
    if not form.is_valid():
        context["error"] = " ".join(e for errors in form.errors.values() for e in errors)
        return TemplateResponse(request, template, context, status=400)
    query = form.cleaned_data
    try:
        auth = current_auth()
        client, connection = get_client(auth), connection_fingerprint(auth)
        fetched = member_page_read(
            client,
            connection,
            search=query["q"],
            status=query["status"],
            offset=query["offset"],
            limit=query["size"],
            cursor=query["cursor"] or None,
            refresh=request.GET.get("refresh") == "1",
        )
    except WixError as error:
        context["error"] = error.message
        return _error_response(request, template, context, error)
    page = fetched.value
    base = {
        k: v
        for k, v in (
            ("q", query["q"]),
            ("status", query["status"]),
            ("size", query["size"]),
            ("brevo", query["brevo"] and "on"),
            ("ai", query["ai"] and "on"),
        )
        if v
    }
    if query["brevo"]:  # never raises: a Brevo problem shows in its own column only
        context["loyalty"] = loyalty_column([row.member.email for row in page.rows])
    if query["ai"] and request.user.has_perm("balances.manage_connection"):
        context["ai"] = ai_credits(get_client(), connection_fingerprint(current_auth()))
    if page.by_cursor:  # pool-status pages walk member cursors
        next_params = {**base, "cursor": page.next_cursor} if page.has_next else None
        prev_params = {**base, "cursor": page.prev_cursor} if page.has_prev else None
    else:
        next_params = {**base, "offset": page.next_offset} if page.has_next else None
        prev_params = {**base, **({"offset": page.prev_offset} if page.prev_offset else {})} if page.has_prev else None
    low_threshold = StudioPreferences.current().low_credit_threshold  # rows at or below it are highlighted
    if next_params and not fetched.stale:
        prefetch_member_page(
            client,
            connection,
            search=query["q"],
            status=query["status"],
            limit=query["size"],
            offset=page.next_offset if not page.by_cursor else 0,
            cursor=page.next_cursor if page.by_cursor else None,
            then=_rows_renderer(get_script_prefix(), low_threshold),
        )
    context.update(
        page=page,
        fetched=fetched,
        refresh_url=_refresh_url(request),
        low_threshold=low_threshold,
        next_url=f"?{urlencode(next_params)}" if next_params else "",
        prev_url=f"?{urlencode(prev_params)}" if prev_params is not None else "",
    )
    return TemplateResponse(request, template, context)


@require_GET
@requires("balances.view_members")
def member_detail(request, member_id):
    template = _partial(request, "members/detail.html", "panel")
    try:
        fetched = member_detail_read(
            get_client(), connection_fingerprint(current_auth()), str(member_id), refresh=request.GET.get("refresh") == "1"
        )
    except WixError as error:
        message = "No member with this ID exists in Wix." if isinstance(error, WixNotFound) else error.message
        return _error_response(request, template, {"error": message, "detail": None}, error)
    return TemplateResponse(
        request,
        template,
        {
            "detail": fetched.value,
            "fetched": fetched,
            "refresh_url": _refresh_url(request),
            "error": None,
        },
    )
