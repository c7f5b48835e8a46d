"""Every member of a filtered view, page after page, for a CSV export (streamed, never all in memory)."""

from __future__ import annotations

from collections.abc import Iterator

from .credits import MemberCredits, MemberPage, member_page
from .wix.budget import EXPORTS
from .wix.client import MAX_PAGE, WixClient


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
