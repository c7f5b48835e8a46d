"""CSV of the member list's current filter: all pages, streamed as they arrive from Wix."""

import csv
from datetime import UTC, datetime

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from balances.exports import all_members
from balances.roles import requires
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from balances.wix.errors import WixError

from .forms import MemberFilterForm
from .views import _error_status

# Columns mean what balances/definitions.py says (the README's glossary): one row per member.
HEADER = ["member_id", "name", "email", "free_to_book", "booked_not_yet_used", "on_hold", "unlimited", "out_of_credits", "plans"]


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    # Spreadsheet formula injection: a name like "=HYPERLINK(…)" must stay text.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _lines(total, rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    try:
        for row in rows:
            plans = "; ".join(
                f"{p.plan_name} ({p.status.lower()}): "
                + (
                    "unlimited"
                    if p.unlimited
                    else f"{_n(p.available)} on hold"
                    if p.on_hold
                    else f"{_n(p.available)} free, {_n(p.reserved)} booked"
                    if p.usable
                    else f"{_n(p.available)} left, not bookable"
                )
                for p in row.pools
            )
            yield writer.writerow(
                [
                    _cell(v)
                    for v in (
                        row.member.id,
                        row.member.name,
                        row.member.email,
                        _n(row.total_available),
                        _n(row.total_reserved),
                        _n(row.total_on_hold),
                        "yes" if row.has_unlimited else "no",
                        "yes" if row.out_of_credits else "no",
                        plans,
                    )
                ]
            )
    except WixError as error:
        # Headers are gone already: say so in the file, where whoever opens it will see it.
        yield writer.writerow([f"# EXPORT INCOMPLETE: {error.message}"])


def _n(value) -> str:
    return format(value.normalize(), "f")


@require_GET
@requires("balances.export_members")
def export_members(request):
    form = MemberFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            " ".join(e for errs in form.errors.values() for e in errs), status=400, content_type="text/plain; charset=utf-8"
        )
    query = form.cleaned_data
    try:
        total, rows = all_members(get_client(), connection_fingerprint(current_auth()), search=query["q"], status=query["status"])
    except WixError as error:
        return HttpResponse(error.message, status=_error_status(error), content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(_lines(total, rows), content_type="text/csv; charset=utf-8")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="members-{stamp}.csv"'
    if total is not None:
        response["X-Export-Rows"] = str(total)  # lets the page show progress as rows arrive
    return response
