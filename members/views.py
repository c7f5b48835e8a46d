from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.views.decorators.http import require_GET

from balances import roles
from balances.ai.service import ai_credits
from balances.brevo.service import loyalty_column
from balances.models import StudioPreferences
from balances.reads import (
    known_plan_names,
    member_detail_after_change,
    member_page_read,
    member_panel_read,
    member_transactions_read,
    prefetch_member_page,
)
from balances.roles import requires
from config.web import Page, Pager, page

from .forms import MemberFilterForm


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
@requires(roles.VIEW_MEMBERS)
@page("members/list.html", "results")
def member_list(request, view: Page):
    form = MemberFilterForm(request.GET)
    view.context.update(form=form, page=None)
    if not form.is_valid():
        return view.invalid(form)
    query = form.cleaned_data
    client, connection = view.client, view.fingerprint
    fetched = member_page_read(
        client,
        connection,
        search=query["q"],
        status=query["status"],
        offset=query["offset"],
        limit=query["size"],
        cursor=query["cursor"] or None,
        refresh=view.refresh,
    )
    page = fetched.value
    base: dict[str, Any] = {
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
    context: dict[str, Any] = {}
    if query["brevo"]:  # never raises: a Brevo problem shows in its own column only
        context["loyalty"] = loyalty_column([row.member.email for row in page.rows])
    if query["ai"] and request.user.has_perm(roles.MANAGE_CONNECTION):
        context["ai"] = ai_credits(client, connection)
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
    if page.total is not None:
        summary = f"{page.first_row}–{page.last_row} of {page.total}"
    elif not page.by_cursor:  # Wix did not count them (`tooManyToCount`): say which rows, not a made-up total
        summary = f"{page.first_row}–{page.last_row}"
    else:
        summary = f"{len(page.rows)} members"
    context.update(
        page=page,
        fetched=fetched,
        refresh_url=_refresh_url(request),
        low_threshold=low_threshold,
        next_url=f"?{urlencode(next_params)}" if next_params else "",
        prev_url=f"?{urlencode(prev_params)}" if prev_params is not None else "",
    )
    context["pager"] = Pager(context["prev_url"], context["next_url"], summary, target="#results")
    return view.render(context)


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/detail.html", "panel", not_found="No member with this ID exists in Wix.")
def member_detail(request, view: Page, member_id):
    view.context["detail"] = None
    fetched = member_panel_read(view.client, view.fingerprint, str(member_id), refresh=view.refresh)
    return view.render({"detail": fetched.value, "fetched": fetched, "refresh_url": _refresh_url(request)})


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/transactions.html", "recent", not_found="No member with this ID exists in Wix.")
def member_transactions(request, view: Page, member_id):
    """The panel's recent transactions on their own request, when they did not come with its numbers."""
    fetched = member_transactions_read(view.client, view.fingerprint, str(member_id))
    names = known_plan_names(view.fingerprint, str(member_id))
    return view.render({"transactions": fetched.value, "recent": fetched, "plan_names": names})


@dataclass(frozen=True)
class JustChanged:
    """The one message the re-rendered panel shows, in the card of the plan just changed."""

    pool_id: str
    result: object  # balances.adjustments.AdjustmentResult


def panel_after_change(view: Page, member_id: str, pool_id: str, result) -> TemplateResponse | None:
    """After a change applied from the member panel: the whole panel again, read from Wix now.

    Header, credit bar, legend, plan lines, transactions and the Undo button then all show the new
    numbers (the read carries Wix's X-Wix-Consistent token, so it sees the change), with one message
    in the changed plan's card — a second change or an undo replaces it instead of stacking. None when
    Wix cannot be read right now: the caller answers with its own partial, which knows the outcome.
    """
    fetched = member_detail_after_change(view.client, view.fingerprint, member_id)
    if fetched is None:
        return None
    response = view.render(
        {
            "detail": fetched.value,
            "fetched": fetched,
            "refresh_url": reverse("members:detail", args=[member_id]) + "?refresh=1",
            "changed": JustChanged(pool_id, result),
            # Explanations open before the change load again, with the new numbers.
            "reopen_explain": set(view.request.POST.getlist("explain_open")),
        },
        template="members/detail.html#panel",
    )
    # The change's form sits inside the panel: swap the whole panel, not just the form.
    response["HX-Retarget"] = f"#member-{member_id}"
    response["HX-Reswap"] = "outerHTML"
    return response
