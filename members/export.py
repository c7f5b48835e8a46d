"""CSV of the member list's current filter: all pages, streamed as they arrive from Wix."""

from datetime import UTC, datetime

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from balances import roles
from balances.exports import all_members, csv_lines
from balances.roles import requires
from config.web import Page, form_errors, page

from .forms import MemberFilterForm


@require_GET
@requires(roles.EXPORT_MEMBERS)
@page(None)  # a download: Wix failures before the first row are plain-text answers
def export_members(request, view: Page):
    form = MemberFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form_errors(form), status=400, content_type="text/plain; charset=utf-8")
    query = form.cleaned_data
    total, rows = all_members(view.client, view.fingerprint, search=query["q"], status=query["status"])
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="members-{stamp}.csv"'
    if total is not None:
        response["X-Export-Rows"] = str(total)  # lets the page show progress as rows arrive
    return response
