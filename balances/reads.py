"""Member pages and member details as the dashboard serves them: through the shared read cache.

The views call these rather than credits.py directly. Each answer says when its data was fetched, and
whether it is a recent copy or the last good copy shown because Wix failed (cache.Cached). After a
page is served, the next one is loaded in the background — within the call budget, leaving headroom
for people — so "Next" is answered from the cache.

A member panel is the desk's busiest read, so it is kept cheap (issue 13's desk bench): its numbers
(Query Pools + Query Balances, and Get Member only without a recent record of the member) are one read,
its recent transactions another that may come a moment later (`member_panel_read`). A member page
keeps its rows as copies by member, so the panel of a member clicked in a list shown seconds ago costs
no call for its numbers. And when our own call budget is spent and the panel has no copy, it is drawn
from the freshest numbers we hold (balances/held.py) under the stale banner, instead of refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypedDict, TypeVar

from django.conf import settings

from . import held
from .cache import Cached, cached_copy, generation, peek, read_through, remember
from .concurrency import in_background, start
from .credits import MemberDetail, MemberPage, member_detail, member_page, member_transactions
from .wix.budget import EXTRAS, PREFETCH
from .wix.client import WixClient
from .wix.errors import WixBudgetExhausted, WixError, WixRateLimited, WixUnavailable
from .wix.records import Transaction

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

    def load() -> MemberPage:
        started, asked_at = generation(connection, PAGES), datetime.now(UTC)
        page = member_page(client, connection, **query)
        remember_rows(connection, page, generation=started, asked_at=asked_at)
        return page

    return _wix_read(connection, _page_key(**query), load, refresh=refresh, subscope=PAGES)


def remember_rows(connection: str, page: MemberPage, *, generation: tuple[int, int], asked_at: datetime) -> None:
    """Keep a member page's rows by member: the panel of a member clicked in this list needs no Wix call
    for its numbers while the page itself would be served fresh (same age, same changes), and has
    something honest to show when the budget is spent (balances/held.py)."""
    try:
        remember(
            connection,
            held.rows_of(page.rows),
            generation=generation,
            fetched_at=asked_at,  # as of when Wix was asked: never younger than the numbers are
            fresh_seconds=settings.WIX_READ_CACHE_SECONDS,
            keep_seconds=settings.WIX_STALE_SECONDS,
        )
    except Exception:  # a head start only: the page itself is served either way
        log.warning("could not keep a member page's rows", exc_info=True)


def member_detail_read(
    client: WixClient, connection: str, member_id: str, *, refresh: bool = False, member_too: bool = False
) -> Cached[MemberDetail]:
    """A member's numbers (plans and balances, transactions not loaded): a recent copy of the panel, else
    the row of a member page still fresh, else Wix. When our own call budget is the limit, the freshest
    numbers we hold (the panel's last copy, a member page's row, the change feed's state), marked stale with
    their age; raised only when we hold nothing for this member."""
    scope = member_scope(member_id)
    if not refresh:
        row = held.row_copy(connection, member_id, subscope=PAGES)
        panel_fresh = peek(connection, held.panel_key(member_id), fresh_seconds=settings.WIX_READ_CACHE_SECONDS, subscope=scope)
        if row is not None and not row.stale and not panel_fresh:
            credits = row.value
            detail = MemberDetail(credits.member, credits.pools, plan_names={p.pool_id: p.plan_name for p in credits.pools})
            return Cached(detail, row.fetched_at, from_cache=True)
    # `member_too`: the person asked for everything again (Refresh), their record included.
    known = None if member_too else held.member_record(connection, member_id, subscope=PAGES)
    try:
        fetched = _wix_read(
            connection,
            held.panel_key(member_id),
            lambda: member_detail(client, member_id, member=known),
            refresh=refresh,
            subscope=scope,
        )
    except WixBudgetExhausted as error:
        found = held.freshest(connection, member_id, subscope=PAGES)
        if found is None:
            raise
        return Cached(found.detail, found.as_of, from_cache=True, stale=True, error=error.message, failure=type(error))
    if fetched.stale and fetched.stale_cause == "budget":
        newer = held.freshest(connection, member_id, subscope=PAGES, newer_than=fetched.fetched_at)
        if newer is not None:
            return replace(fetched, value=newer.detail, fetched_at=newer.as_of)
    return fetched


def member_transactions_read(
    client: WixClient, connection: str, member_id: str, *, refresh: bool = False
) -> Cached[tuple[Transaction, ...]]:
    return _wix_read(
        connection,
        f"transactions:{member_id}",
        lambda: member_transactions(client, member_id),
        refresh=refresh,
        subscope=member_scope(member_id),
    )


def member_panel_read(client: WixClient, connection: str, member_id: str, *, refresh: bool = False) -> Cached[MemberDetail]:
    """The member panel: its numbers (`member_detail_read`) and, side by side in the same round trip, its
    recent transactions — from the budget's EXTRAS share, which never waits and leaves a quarter to
    people: when calls run short the numbers come alone (`transactions` None) and the panel loads the
    transactions on a request of their own. Transactions are shown only as fresh as the numbers."""

    def transactions() -> Cached[tuple[Transaction, ...]] | None:
        with client.budget.share(EXTRAS):
            try:
                return member_transactions_read(client, connection, member_id, refresh=refresh)
            except WixError as error:
                log.info("panel transactions deferred: %s", error.message)
                return None

    beside = start(transactions)
    try:
        numbers = member_detail_read(client, connection, member_id, refresh=refresh, member_too=refresh)
    finally:
        recent = beside.result()
    if recent is None or recent.stale or numbers.stale:
        return numbers
    return replace(numbers, value=replace(numbers.value, transactions=recent.value))


def known_plan_names(connection: str, member_id: str) -> dict[str, str]:
    """The member's plan names by pool from what we hold (their panel, a member page's row): the names of
    transactions loaded on their own request, at no call. A pool not held shows no name."""
    found = held.freshest(connection, member_id, subscope=PAGES)
    names = dict(found.detail.plan_names) if found is not None else {}
    panel = cached_copy(connection, held.panel_key(member_id), MemberDetail)
    if panel is not None:
        names.update(panel.value.plan_names)
    return names


def member_detail_after_change(client: WixClient, connection: str, member_id: str) -> Cached[MemberDetail] | None:
    """The member as Wix has them now, right after a change made here (the read carries Wix's consistency
    token, so it sees the change) — or None when Wix cannot be read: the last good copy predates the
    change, so it must not be shown as the new state. Part of the change the person is waiting on, so it
    spends as one (`budget.writing()`), transactions included: the new one is what they look for."""
    with client.budget.writing():
        beside = start(lambda: member_transactions_read(client, connection, member_id, refresh=True))
        try:
            fetched: Cached[MemberDetail] | None = member_detail_read(client, connection, member_id, refresh=True)
        except WixError:
            fetched = None
        try:
            recent: Cached[tuple[Transaction, ...]] | None = beside.result()
        except WixError:
            recent = None
    if fetched is None or fetched.stale:
        return None
    shown = recent.value if recent is not None and not recent.stale else None
    return replace(fetched, value=replace(fetched.value, transactions=shown))


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
