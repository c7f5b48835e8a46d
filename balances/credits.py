"""Members with their credits, assembled live from Wix with a fixed number of calls per page.

A member page costs: one Query Members call, then — at the same time — one Query Balances call per
chunk of members (each chunk sized to fit Wix's 100-item page) and, if the studio sells plans without
credits, one Query Pools call for those. No call is made per member or per pool (docs/wix.md#call-budget).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from itertools import chain
from typing import cast

from .catalog import Catalog, get_catalog
from .concurrency import run_together
from .directory.search import search as search_directory
from .wix.client import MAX_PAGE, MemberResults, WixClient
from .wix.records import ZERO, Balance, Member, Pool, Transaction

# Members per Query Balances call, at most. Studios average ~2.4 pools a member; 35 keeps a chunk's
# balances within one 100-item Wix page nearly always, so chunks run side by side instead of cursor
# after cursor (an overflowing chunk still follows its cursor).
MAX_MEMBERS_PER_BALANCE_QUERY = 35
PAGE_SIZES = (25, 50, 100)
POOL_STATUSES = ("ACTIVE", "PAUSED", "ENDED", "PROVISIONING", "RENEWING", "PENDING")
USABLE_STATUSES = frozenset({"ACTIVE", "RENEWING"})


@dataclass(frozen=True)
class PoolCredits:
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
    def unlimited(self) -> bool:
        return self.available is None

    @property
    def usable(self) -> bool:
        return self.status in USABLE_STATUSES

    @classmethod
    def from_balance(cls, balance: Balance, catalog: Catalog, pool: Pool | None = None) -> PoolCredits:
        plan = catalog.plan(balance.pool_definition_id)
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

    @property
    def total_available(self) -> Decimal:
        """Credits free to book now: active plans only (paused or ended credits can't be booked)."""
        return sum((p.available for p in self.pools if p.usable and p.available is not None), ZERO)

    @property
    def total_reserved(self) -> Decimal:
        return sum((p.reserved for p in self.pools if p.usable and not p.unlimited and p.reserved is not None), ZERO)

    @property
    def has_unlimited(self) -> bool:
        return any(p.unlimited and p.usable for p in self.pools)


@dataclass(frozen=True)
class MemberPage:
    rows: tuple[MemberCredits, ...]
    limit: int
    offset: int = 0
    total: int | None = None
    next_cursor: str | None = None  # status-filtered pages walk pools by cursor instead of offsets
    prev_cursor: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def has_next(self) -> bool:
        if self.total is None:
            return bool(self.next_cursor)
        return self.offset + self.limit < self.total

    @property
    def has_prev(self) -> bool:
        return bool(self.prev_cursor) if self.total is None else self.offset > 0

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
    member: Member
    pools: tuple[PoolCredits, ...]
    transactions: tuple[Transaction, ...]
    plan_names: dict[str, str]
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

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

    def balances_of(chunk: list[str]) -> list[PoolCredits]:
        found = client.iterate(client.query_balances, filter={"beneficiary.memberId": {"$in": chunk}}, limit=MAX_PAGE)
        return [PoolCredits.from_balance(balance, catalog) for balance in found]

    calls: list[CreditCall] = [partial(balances_of, chunk) for chunk in balance_query_chunks(member_ids)]
    unlimited = catalog.unlimited_ids
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


def _members_with_pool_status(
    client: WixClient, cache_key: str, *, status: str, search: str, limit: int, cursor: str | None
) -> MemberPage:
    """Filtering on pool data has to start from pools, then resolve their members by ID."""
    catalog, page = run_together(
        lambda: get_catalog(client, cache_key),
        lambda: client.query_pools(
            filter={"status": status},
            sort=[{"fieldName": "createdDate", "order": "DESC"}],
            limit=limit,
            cursor=cursor,
        ),
    )
    ids = list(dict.fromkeys(p.member_id for p in page.items if p.member_id))
    if not ids:
        return MemberPage(rows=(), limit=limit, next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)
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
    return MemberPage(rows=rows, limit=limit, next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)


def member_detail(client: WixClient, member_id: str, *, transactions: int = 25) -> MemberDetail:
    """One member: every pool with full balance details and the recent transactions, in one round trip."""
    by_member = {"beneficiary.memberId": member_id}
    member, pools, balances, recent = run_together(
        lambda: client.get_member(member_id),
        lambda: list(client.iterate(client.query_pools, filter=by_member)),
        lambda: list(client.iterate(client.query_balances, filter=by_member)),
        lambda: (
            client.query_transactions(
                filter=by_member, sort=[{"fieldName": "createdDate", "order": "DESC"}], limit=transactions
            ).items
        ),
    )
    balance_by_pool = {b.pool_id: b for b in balances}
    empty = Catalog({})
    credits = [
        PoolCredits.from_balance(balance_by_pool[p.id], empty, pool=p)
        if p.id in balance_by_pool
        else PoolCredits.without_balance(p)
        for p in pools
    ]
    return MemberDetail(
        member=member,
        pools=_sorted_pools(credits),
        transactions=tuple(recent),
        plan_names={p.id: p.plan_name for p in pools},
    )
