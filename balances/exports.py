"""Every member of a filtered view, page after page, for a CSV export (streamed, never all in memory)."""

from __future__ import annotations

from collections.abc import Iterator

from .credits import MemberCredits, member_page
from .pacing import CallPacer
from .wix.client import MAX_PAGE, WixClient

CALLS_PER_PAGE = 4  # one members query, then up to three balance/pool queries side by side


def all_members(client: WixClient, cache_key: str, *, search: str = "", status: str = "",
                pacer: CallPacer | None = None) -> tuple[int | None, Iterator[MemberCredits]]:
    """The total (None when the filter walks cursors) and an iterator over every matching member."""
    pacer = pacer or CallPacer(share=0.5)
    pacer.spend(CALLS_PER_PAGE)
    first = member_page(client, cache_key, search=search, status=status, limit=MAX_PAGE)

    def rows():
        page = first
        while True:
            yield from page.rows
            if not page.has_next:
                return
            pacer.spend(CALLS_PER_PAGE)
            page = member_page(client, cache_key, search=search, status=status, limit=MAX_PAGE,
                               offset=page.next_offset, cursor=page.next_cursor)

    return first.total, rows()
