"""Member pages and member details as the dashboard serves them: through the shared read cache.

The views call these rather than credits.py directly. Each answer says when its data was fetched, and
whether it is a recent copy or the last good copy shown because Wix failed (cache.Cached). After a
page is served, the next one is loaded in the background — within the call budget, leaving headroom
for people — so "Next" is answered from the cache.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypedDict, TypeVar

from django.conf import settings

from .cache import Cached, peek, read_through
from .concurrency import in_background
from .credits import MemberDetail, MemberPage, member_detail, member_page
from .wix.budget import PREFETCH
from .wix.client import WixClient
from .wix.errors import WixError, WixRateLimited, WixUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFETCH_MIN_BUDGET = 20  # calls that must be left in the window before we spend any on a guess
PAGES = "pages"  # the subscope of member pages: any change to any balance makes them out of date


def member_scope(member_id: str) -> str:
    """The subscope of one member's panel: only a change to that member's plans makes it out of date."""
    return f"member:{member_id}"


class PageQuery(TypedDict):
    search: str
    status: str
    offset: int
    limit: int
    cursor: str | None


def _page_key(*, search: str, status: str, offset: int, limit: int, cursor: str | None) -> str:
    # What people type goes in hashed: spaces and any length are fine for Redis but not for every cache backend.
    typed = hashlib.sha256(search.encode()).hexdigest()[:24] if search else ""
    return f"page:{typed}|{status}|{offset}|{limit}|{cursor or ''}"


def member_page_read(
    client: WixClient,
    connection: str,
    *,
    search: str = "",
    status: str = "",
    offset: int = 0,
    limit: int = 25,
    cursor: str | None = None,
    refresh: bool = False,
) -> Cached[MemberPage]:
    query: PageQuery = {"search": search, "status": status, "offset": offset, "limit": limit, "cursor": cursor}
    return _wix_read(
        connection, _page_key(**query), lambda: member_page(client, connection, **query), refresh=refresh, subscope=PAGES
    )


def member_detail_read(client: WixClient, connection: str, member_id: str, *, refresh: bool = False) -> Cached[MemberDetail]:
    return _wix_read(
        connection,
        f"member:{member_id}",
        lambda: member_detail(client, member_id),
        refresh=refresh,
        subscope=member_scope(member_id),
    )


def member_detail_after_change(client: WixClient, connection: str, member_id: str) -> Cached[MemberDetail] | None:
    """The member as Wix has them now, right after a change made here (the read carries Wix's consistency
    token, so it sees the change) — or None when Wix cannot be read: the last good copy predates the
    change, so it must not be shown as the new state."""
    try:
        fetched = member_detail_read(client, connection, member_id, refresh=True)
    except WixError:
        return None
    return None if fetched.stale else fetched


def _wix_read(connection: str, key: str, load: Callable[[], T], *, refresh: bool, subscope: str) -> Cached[T]:
    """Copies of one Wix connection's reads (an adjustment invalidates its member's panel and the member
    pages); when Wix is unreachable or rate limiting — or our own call budget is the limit — the last good
    copy, marked stale."""
    return read_through(
        connection,
        key,
        load,
        fresh_seconds=settings.WIX_READ_CACHE_SECONDS,
        keep_seconds=settings.WIX_STALE_SECONDS,
        stale_on=(WixUnavailable, WixRateLimited),
        single_flight=True,
        refresh=refresh,
        subscope=subscope,
    )


def prefetch_member_page(
    client: WixClient,
    connection: str,
    *,
    search: str = "",
    status: str = "",
    offset: int = 0,
    limit: int = 25,
    cursor: str | None = None,
    then: Callable[[MemberPage], None] | None = None,
) -> Future[None] | None:
    """Warm the cache with a page nobody asked for yet; skipped when it is cached or the budget is low.
    `then(page)` runs after a load, in the background too (the web side renders the page's rows ahead)."""
    if not settings.WIX_PREFETCH_NEXT_PAGE:
        return None
    query: PageQuery = {"search": search, "status": status, "offset": offset, "limit": limit, "cursor": cursor}
    if (
        peek(connection, _page_key(**query), fresh_seconds=settings.WIX_READ_CACHE_SECONDS, subscope=PAGES)
        or client.budget.remaining() < PREFETCH_MIN_BUDGET
    ):
        return None

    def load() -> None:
        # Never wait for budget, never take the last quarter of it: people come first.
        with client.budget.share(PREFETCH):
            try:
                fetched = member_page_read(client, connection, **query)
            except WixError as error:  # a guess that failed costs nothing but the attempt
                log.info("prefetch skipped: %s", error.message)
                return
        if then is not None:
            try:
                then(fetched.value)
            except Exception:  # a head start only: the request renders the page itself anyway
                log.exception("prefetch follow-up failed")

    return in_background(load)
