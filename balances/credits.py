"""Members with their credits, assembled live from Wix with a fixed number of calls per page.

A member page costs: one Query Members call, then — at the same time — one Query Balances call per
chunk of members (each chunk sized to fit Wix's 100-item page) and, if the studio sells plans without
credits, one Query Pools call for those. No call is made per member or per pool (docs/wix.md#call-budget).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from itertools import chain
from typing import cast

from . import definitions
from .catalog import Catalog, get_catalog
from .concurrency import run_together
from .directory.search import search as search_directory
from .wix.client import MAX_PAGE, MemberResults, WixClient
from .wix.errors import WixBadRequest
from .wix.records import Balance, Member, Pool, Transaction, Wire

# Members per Query Balances call, at most. Studios average ~2.4 pools a member; 35 keeps a chunk's
# balances within one 100-item Wix page nearly always, so chunks run side by side instead of cursor
# after cursor (an overflowing chunk still follows its cursor).
MAX_MEMBERS_PER_BALANCE_QUERY = 35
PAGE_SIZES = (25, 50, 100)
POOL_STATUSES = ("ACTIVE", "PAUSED", "ENDED", "PROVISIONING", "RENEWING", "PENDING")
USABLE_STATUSES = definitions.FREE_TO_BOOK_STATUSES


@dataclass(frozen=True)
class PoolCredits(definitions.PlanFacts):
    pool_id: str
    member_id: str
    plan_name: str
    status: str
    unit: str
    pack_size: Decimal | None
    available: Decimal | None  # None when the plan grants unlimited access
    reserved: Decimal | None
    rollover_enabled: bool
    rollover_cap: Decimal | None
    revision: str = ""
    updated: datetime | None = None
    last_transaction_id: str = ""

    @property
    def available_words(self) -> str:
        """ "free to book", "on hold" or "left, not bookable": what its available credits are."""
        return definitions.available_words(self)

    @classmethod
    def from_balance(cls, balance: Balance, catalog: Catalog, pool: Pool | None = None) -> PoolCredits:
        plan = catalog.plan(balance.pool_definition_id)
        known = catalog.plans.get(balance.pool_definition_id)
        # A plan without credits may still carry a "0" balance in Wix (undocumented either way): its
        # definition, not the balance, says whether it is unlimited.
        if pool.is_unlimited if pool else known is not None and known.is_unlimited:
            return cls.without_balance(pool) if pool else cls._unlimited(balance, plan.name, plan.unit)
        return cls(
            pool_id=balance.pool_id,
            member_id=balance.member_id,
            plan_name=pool.plan_name if pool else plan.name,
            status=pool.status if pool else balance.status,
            unit=pool.unit if pool else plan.unit,
            pack_size=balance.credit_amount if balance.credit_amount is not None else plan.pack_size,
            available=balance.available,
            reserved=balance.reserved,
            rollover_enabled=balance.rollover_enabled,
            rollover_cap=balance.rollover_cap if balance.rollover_enabled else None,
            revision=balance.revision,
            updated=balance.updated,
            last_transaction_id=balance.last_transaction_id,
        )

    @classmethod
    def _unlimited(cls, balance: Balance, plan_name: str, unit: str) -> PoolCredits:
        return cls(
            pool_id=balance.pool_id,
            member_id=balance.member_id,
            plan_name=plan_name,
            status=balance.status,
            unit=unit,
            pack_size=None,
            available=None,
            reserved=None,
            rollover_enabled=False,
            rollover_cap=None,
            updated=balance.updated,
        )

    @classmethod
    def without_balance(cls, pool: Pool) -> PoolCredits:
        return cls(
            pool_id=pool.id,
            member_id=pool.member_id,
            plan_name=pool.plan_name,
            status=pool.status,
            unit=pool.unit,
            pack_size=pool.pack_size,
            available=None,
            reserved=None,
            rollover_enabled=pool.rollover_enabled,
            rollover_cap=pool.rollover_cap if pool.rollover_enabled else None,
            updated=pool.updated,
        )


_STATUS_ORDER = {s: i for i, s in enumerate(("ACTIVE", "RENEWING", "PAUSED", "PENDING", "PROVISIONING", "ENDED"))}


def _sorted_pools(pools: Iterable[PoolCredits]) -> tuple[PoolCredits, ...]:
    return tuple(sorted(pools, key=lambda p: (_STATUS_ORDER.get(p.status, 9), p.plan_name)))


@dataclass(frozen=True)
class MemberCredits:
    member: Member
    pools: tuple[PoolCredits, ...]

    # Every answer below is defined once, in definitions.py.
    @property
    def total_available(self) -> Decimal:
        """Credits free to book now."""
        return definitions.free_to_book(self.pools)

    @property
    def total_reserved(self) -> Decimal:
        return definitions.booked(self.pools)

    @property
    def total_on_hold(self) -> Decimal:
        return definitions.on_hold(self.pools)

    @property
    def has_unlimited(self) -> bool:
        return definitions.has_unlimited(self.pools)

    @property
    def out_of_credits(self) -> bool:
        return definitions.out_of_credits(self.pools)

    @property
    def can_book(self) -> bool:
        return definitions.can_book(self.pools)

    def running_low(self, threshold: Decimal) -> bool:
        return definitions.running_low(self.pools, threshold)


@dataclass(frozen=True)
class MemberPage:
    rows: tuple[MemberCredits, ...]
    limit: int
    offset: int = 0
    total: int | None = None  # None: Wix did not count (`tooManyToCount`), or a status page
    next_cursor: str | None = None  # status-filtered pages page by member cursor (StatusCursor) instead of offsets
    prev_cursor: str | None = None
    by_cursor: bool = False
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def has_next(self) -> bool:
        if self.by_cursor:
            return bool(self.next_cursor)
        if self.total is None:
            # Wix may leave the total out (paging metadata `tooManyToCount`): a full page means there
            # may be more; an empty next page is then the honest end.
            return len(self.rows) >= self.limit
        return self.offset + self.limit < self.total

    @property
    def has_prev(self) -> bool:
        return bool(self.prev_cursor) if self.by_cursor else self.offset > 0

    @property
    def next_offset(self) -> int:
        return self.offset + self.limit

    @property
    def prev_offset(self) -> int:
        return max(self.offset - self.limit, 0)

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.offset + len(self.rows)


@dataclass(frozen=True)
class MemberDetail:
    """One member's panel: the member, every plan with its numbers, and — when loaded — the recent
    transactions (None: not loaded with these numbers; the panel fetches them on their own request)."""

    member: Member
    pools: tuple[PoolCredits, ...]
    transactions: tuple[Transaction, ...] | None = None
    plan_names: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Where numbers not read from Wix just now came from, for the stale banner: "" (a Wix read of this
    # panel), "the member list" (a row of a member page) or "the change feed" (balances/feed.py's state).
    held_from: str = ""

    @property
    def credits(self) -> MemberCredits:
        return MemberCredits(self.member, self.pools)


def balance_query_chunks(items: list[str]) -> list[list[str]]:
    """Split evenly: 100 members -> 34+33+33, not 35+35+30, to leave every chunk the same headroom."""
    count = -(-len(items) // MAX_MEMBERS_PER_BALANCE_QUERY)
    size = -(-len(items) // count) if count else 0
    return [items[i : i + size] for i in range(0, len(items), size)] if size else []


CreditCall = Callable[[], list[PoolCredits]]


def _credit_calls(client: WixClient, catalog: Catalog, member_ids: list[str]) -> list[CreditCall]:
    """The calls that fetch these members' pools with their balances (`_by_member` groups their answers).

    Returned rather than run so a caller can run them side by side with its own calls: a call running in
    the shared pool must never wait on more calls queued to that same pool.
    """

    unlimited = catalog.unlimited_ids

    def balances_of(chunk: list[str]) -> list[PoolCredits]:
        found = client.iterate(client.query_balances, filter={"beneficiary.memberId": {"$in": chunk}}, limit=MAX_PAGE)
        # A "0" balance of a plan without credits is skipped: its pool (below) tells the truth.
        return [PoolCredits.from_balance(balance, catalog) for balance in found if balance.pool_definition_id not in unlimited]

    calls: list[CreditCall] = [partial(balances_of, chunk) for chunk in balance_query_chunks(member_ids)]
    if unlimited:

        def without_balances() -> list[PoolCredits]:
            # Plans without credits have no balance record, so only Query Pools can show them.
            found = client.iterate(
                client.query_pools,
                filter={"$and": [{"beneficiary.memberId": {"$in": member_ids}}, {"poolDefinitionId": {"$in": unlimited}}]},
                limit=MAX_PAGE,
            )
            return [PoolCredits.without_balance(pool) for pool in found]

        calls.append(without_balances)
    return calls


def _by_member(member_ids: list[str], answers: Iterable[list[PoolCredits]]) -> dict[str, list[PoolCredits]]:
    by_member: dict[str, list[PoolCredits]] = {m: [] for m in member_ids}
    for pool in chain.from_iterable(answers):
        by_member.setdefault(pool.member_id, []).append(pool)
    return by_member


def credits_for(client: WixClient, catalog: Catalog, member_ids: list[str]) -> dict[str, list[PoolCredits]]:
    """Every pool of these members with its live balance, in a fixed number of concurrent calls."""
    if not member_ids:
        return {}
    return _by_member(member_ids, run_together(*_credit_calls(client, catalog, member_ids)))


def member_page(
    client: WixClient,
    cache_key: str,
    *,
    search: str = "",
    status: str = "",
    offset: int = 0,
    limit: int = 25,
    cursor: str | None = None,
) -> MemberPage:
    if status:
        return _members_with_pool_status(client, cache_key, status=status, search=search, limit=limit, cursor=cursor)
    if search.strip():
        return _searched_page(client, cache_key, search=search, offset=offset, limit=limit)
    # The plan catalog (cached for minutes) is fetched side by side with the page's first call, so a cold
    # start costs no extra round trip.
    catalog, results = run_together(
        lambda: get_catalog(client, cache_key), lambda: client.query_members(search=search, offset=offset, limit=limit)
    )
    ids = [m.id for m in results.members]
    pools = credits_for(client, catalog, ids)
    rows = tuple(MemberCredits(m, _sorted_pools(pools.get(m.id, []))) for m in results.members)
    return MemberPage(rows=rows, limit=limit, offset=results.offset, total=results.total)


def _searched_page(client: WixClient, cache_key: str, *, search: str, offset: int, limit: int) -> MemberPage:
    """The directory index's forgiving matches merged with Wix's own live answer for the raw text, so a member
    who signed up after the last sync is found too. The index gives IDs only: names shown and balances are
    Wix's, live."""
    indexed = search_directory(search)  # in this thread: the database connection is per thread
    catalog, live = run_together(
        lambda: get_catalog(client, cache_key), lambda: client.query_members(search=search, limit=MAX_PAGE)
    )
    ids = list(dict.fromkeys([*indexed, *(m.id for m in live.members)]))
    page_ids = ids[offset : offset + limit]
    by_id = {m.id: m for m in live.members}
    missing = [i for i in page_ids if i not in by_id]
    calls = _credit_calls(client, catalog, page_ids) if page_ids else []
    answers: list[list[PoolCredits]]
    if missing:  # members only the index found: Wix's own record, side by side with the balances
        results = run_together(partial(_members_by_id, client, missing), *calls)
        by_id.update((m.id, m) for m in cast(list[Member], results[0]))
        answers = [cast(list[PoolCredits], r) for r in results[1:]]
    else:
        answers = list(run_together(*calls)) if calls else []
    pools = _by_member(page_ids, answers)
    rows = tuple(MemberCredits(by_id[i], _sorted_pools(pools.get(i, []))) for i in page_ids if i in by_id)
    return MemberPage(rows=rows, limit=limit, offset=offset, total=len(ids))


def _members_by_id(client: WixClient, ids: list[str]) -> list[Member]:
    return client.query_members(filter={"id": {"$in": ids}}, limit=MAX_PAGE).members


@dataclass(frozen=True)
class StatusCursor:
    """Where a status-filtered page starts: after (or before) a member ID, members walked in ID order.

    Pages are of members, not of plans: a member with several matching plans is one row, on one page.
    Pools are queried sorted by `beneficiary.memberId` (sortable and filterable with every operator, per
    the SDK's PoolQuerySpec), so one member's pools are adjacent and "after member X" is a stable place.
    """

    member_id: str
    before: bool = False

    def encode(self) -> str:
        return f"{'before' if self.before else 'after'}:{self.member_id}"

    @classmethod
    def decode(cls, text: str | None) -> StatusCursor | None:
        if not text:
            return None
        side, _, member_id = text.partition(":")
        if side not in ("after", "before") or not _MEMBER_ID.fullmatch(member_id):
            raise WixBadRequest("That page link is not valid any more: start from the first page.")
        return cls(member_id, before=side == "before")


_MEMBER_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


def _members_with_status(client: WixClient, status: str, limit: int, cursor: StatusCursor | None) -> tuple[list[str], bool]:
    """Up to `limit` distinct member IDs holding a plan in `status`, from `cursor` on, in member-ID order
    (descending when walking back), and whether there are more beyond them."""
    conditions: list[Wire] = [{"status": status}]
    if cursor is not None:
        conditions.append({"beneficiary.memberId": {"$lt" if cursor.before else "$gt": cursor.member_id}})
    order = "DESC" if cursor and cursor.before else "ASC"
    found = client.iterate(
        client.query_pools,
        filter=conditions[0] if len(conditions) == 1 else {"$and": conditions},
        sort=[{"fieldName": "beneficiary.memberId", "order": order}],
        limit=MAX_PAGE,
    )
    ids: dict[str, None] = {}
    for pool in found:
        if pool.member_id:
            ids[pool.member_id] = None
            if len(ids) > limit:  # one member past the page: there is a next page, and this page is complete
                return list(ids)[:limit], True
    return list(ids), False


def _members_with_pool_status(
    client: WixClient, cache_key: str, *, status: str, search: str, limit: int, cursor: str | None
) -> MemberPage:
    """Filtering on pool data has to start from pools, then resolve their members by ID."""
    start = StatusCursor.decode(cursor)
    catalog, (ids, more) = run_together(
        lambda: get_catalog(client, cache_key), lambda: _members_with_status(client, status, limit, start)
    )
    backwards = start is not None and start.before
    if backwards:
        ids.reverse()
    if not ids:
        return MemberPage(rows=(), limit=limit, by_cursor=True)
    next_cursor = StatusCursor(ids[-1]).encode() if (more if not backwards else True) else None
    prev_cursor = StatusCursor(ids[0], before=True).encode() if (more if backwards else start is not None) else None
    # One flat batch: the members and their credits side by side (never a wait inside the pool).
    members: list[MemberResults] = []

    def find_members() -> list[PoolCredits]:
        members.append(client.query_members(filter={"id": {"$in": ids}}, search=search, limit=MAX_PAGE))
        return []

    answers = run_together(find_members, *_credit_calls(client, catalog, ids))
    found = members[0]
    pools = _by_member(ids, answers[1:])
    by_id = {m.id: m for m in found.members}
    rows = tuple(MemberCredits(by_id[i], _sorted_pools(pools.get(i, []))) for i in ids if i in by_id)
    return MemberPage(rows=rows, limit=limit, next_cursor=next_cursor, prev_cursor=prev_cursor, by_cursor=True)


def member_detail(client: WixClient, member_id: str, *, member: Member | None = None) -> MemberDetail:
    """One member's plans with full balance details, in one round trip: Query Pools and Query Balances side
    by side, plus Get Member only when `member` (the record a member page just read) is not given.

    Both pool calls are needed: a plan without credits has no balance record (or a "0" one, undocumented
    either way), so only Query Pools shows it, and only Query Balances has the numbers. The recent
    transactions are a read of their own (`member_transactions`): the numbers come first, and a panel
    never waits or fails for its history."""
    by_member = {"beneficiary.memberId": member_id}
    calls: list[Callable[[], object]] = [
        lambda: list(client.iterate(client.query_pools, filter=by_member)),
        lambda: list(client.iterate(client.query_balances, filter=by_member)),
    ]
    if member is None:
        calls.append(lambda: client.get_member(member_id))
    answers = run_together(*calls)
    pools, balances = cast(list[Pool], answers[0]), cast(list[Balance], answers[1])
    if member is None:
        member = cast(Member, answers[2])
    balance_by_pool = {b.pool_id: b for b in balances}
    empty = Catalog({})
    credits = [
        PoolCredits.from_balance(balance_by_pool[p.id], empty, pool=p)
        if p.id in balance_by_pool
        else PoolCredits.without_balance(p)
        for p in pools
    ]
    return MemberDetail(member=member, pools=_sorted_pools(credits), plan_names={p.id: p.plan_name for p in pools})


def member_transactions(client: WixClient, member_id: str, *, limit: int = 25) -> tuple[Transaction, ...]:
    """The member's most recent transactions, newest first (one Query Transactions call)."""
    return tuple(
        client.query_transactions(
            filter={"beneficiary.memberId": member_id}, sort=[{"fieldName": "createdDate", "order": "DESC"}], limit=limit
        ).items
    )
