"""Every member of a filtered view, page after page, for a CSV export (streamed, never all in memory)."""

from __future__ import annotations

from collections.abc import Iterator

from . import csv_safe
from .credits import MemberCredits, MemberPage, member_page
from .formatting import credits_text
from .wix.budget import EXPORTS
from .wix.client import MAX_PAGE, WixClient
from .wix.errors import WixError


def all_members(
    client: WixClient, cache_key: str, *, search: str = "", status: str = ""
) -> tuple[int | None, Iterator[MemberCredits]]:
    """The total (None when the filter walks cursors) and an iterator over every matching member."""

    def fetch(offset: int = 0, cursor: str | None = None) -> MemberPage:
        # Each page on its own: the budget's context must not stay set across a yield to the server.
        with client.budget.share(EXPORTS):  # waits for room, leaves half of the budget to people
            return member_page(client, cache_key, search=search, status=status, limit=MAX_PAGE, offset=offset, cursor=cursor)

    first = fetch()

    def rows() -> Iterator[MemberCredits]:
        page = first
        while True:
            yield from page.rows
            if not page.has_next:
                return
            page = fetch(offset=page.next_offset, cursor=page.next_cursor)

    return first.total, rows()


# Columns mean what balances/definitions.py says (the README's glossary): one row per member.
HEADER = ["member_id", "name", "email", "free_to_book", "booked_not_yet_used", "on_hold", "unlimited", "out_of_credits", "plans"]


class _Echo:
    """csv.writer's file: writerow() returns the line instead of storing it, so lines stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterator[MemberCredits]) -> Iterator[str]:
    """The export's CSV, a line at a time as the rows arrive from Wix."""
    writer = csv_safe.writer(_Echo())
    yield writer.writerow(HEADER)
    try:
        for row in rows:
            plans = "; ".join(
                f"{p.plan_name} ({p.status.lower()}): "
                + (
                    "unlimited"
                    if p.unlimited
                    else f"{credits_text(p.available)} on hold"
                    if p.on_hold
                    else f"{credits_text(p.available)} free, {credits_text(p.reserved)} booked"
                    if p.usable
                    else f"{credits_text(p.available)} left, not bookable"
                )
                for p in row.pools
            )
            # Text columns are guarded against spreadsheet formulas (csv_safe); numbers stay numbers.
            yield writer.writerow(
                [
                    csv_safe.text(row.member.id),
                    csv_safe.text(row.member.name),
                    csv_safe.text(row.member.email),
                    credits_text(row.total_available),
                    credits_text(row.total_reserved),
                    credits_text(row.total_on_hold),
                    "yes" if row.has_unlimited else "no",
                    "yes" if row.out_of_credits else "no",
                    csv_safe.text(plans),
                ]
            )
    except WixError as error:
        # Headers are gone already: say so in the file, where whoever opens it will see it.
        yield writer.writerow([csv_safe.text(f"# EXPORT INCOMPLETE: {error.message}")])
