"""Bookings and credits that disagree: per member, the bookings a plan paid for against what Benefit Programs
holds for them, over the schedule around today.

Wix Bookings charges a plan-paid booking in one of two ways (docs/wix.md#bookings; which one a site uses is
not documented, so it is the setting WIX_BOOKINGS_CREDIT_MODE):
- "redeem": the credit is spent at checkout (AVAILABLE→EXTERNAL) and refunded if the booking is cancelled;
- "reserve": the credit is reserved at booking (AVAILABLE→RESERVED), spent when attendance is marked
  (RESERVED→EXTERNAL, attended or no-show) and released if the booking is cancelled.

A booking's transactions carry it as their item (`details.item.id` = booking ID, `details.item.externalId`
= service ID), so each booking's credit is what its own transactions net to. Three kinds of disagreement:

- "upcoming": a booking still to be marked that holds no credit as the mode says it should (redeem: none
  spent; reserve: none reserved, or spent early), and, in reserve mode, a plan whose `reserved` credits
  differ from what its bookings' reservations add up to (a cancellation never released, a reservation
  with no booking behind it, a balance changed by hand);
- "orphan": a redemption without a matching booking — credits spent or reserved for a booking that does
  not exist, was cancelled or declined, or was not paid with a plan;
- "unspent": an attended or no-show booking paid with a plan whose credit was never spent.

Bookings paid by an unlimited plan (price 0) hold no credit and are never flagged. Only plan-enabled
services count: other items in a pool's history (another app's benefits) are not Bookings' business.

Cost (all reads, counted in `DriftReport.calls`): services 1 + bookings ⌈B/100⌉ + members by contact
⌈C/100⌉ (only for bookings made by staff) + transactions since the window's start ⌈T/100⌉ + pool items
⌈M/100⌉ + (reserve mode) balances ⌈P/100⌉ + a lookup by booking for plan bookings whose charge is older than
the transaction window ⌈b/100⌉. It runs as the scheduled job `bookings-drift` (balances/tasks.py) within the
DRIFT share of the call budget; the report lives in the shared cache like the Needs attention report.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from .cache import cache_lock, lock_held
from .formatting import credits_text
from .wix.bookings_records import BOOKINGS_APP_ID, Booking, PoolItem
from .wix.budget import DRIFT
from .wix.client import MAX_PAGE, CursorPage, WixClient
from .wix.errors import WixError
from .wix.records import ZERO, Balance, Transaction, Wire

log = logging.getLogger(__name__)
T = TypeVar("T")

MODES = ("redeem", "reserve")
PAST_DAYS = 7  # the schedule looked at: a week back (unmarked and no-show bookings) …
AHEAD_DAYS = 7  # … and a week ahead (upcoming bookings)
LEAD_DAYS = 7  # a class's charge is made when it is booked: transactions are read from this long before the window
REFRESH_AFTER_SECONDS = 30 * 60
LOCK_SECONDS = 30 * 60
HELD = ("CONFIRMED", "PENDING", "CREATED")  # bookings that keep their place (and their credit)
MARKED = ("ATTENDED", "NOT_ATTENDED")
SORT: list[Wire] = [{"fieldName": "startDate", "order": "ASC"}, {"fieldName": "id", "order": "ASC"}]

UPCOMING, ORPHAN, UNSPENT = "upcoming", "orphan", "unspent"
KINDS = {
    UPCOMING: "Booked, but the credit is not where it should be",
    ORPHAN: "Credit used without a matching booking",
    UNSPENT: "Attended or no-show, credit never spent",
}


def _credits(amount: Decimal) -> str:
    return f"{credits_text(amount)} credit{'' if amount == 1 else 's'}"


def credit_mode() -> str:
    mode = str(getattr(settings, "WIX_BOOKINGS_CREDIT_MODE", "redeem"))
    return mode if mode in MODES else "redeem"


@dataclass(frozen=True)
class DriftBooking:
    id: str
    service: str
    start: datetime | None  # UTC
    status: str
    attendance: str
    credits: Decimal  # what its transactions hold now: spent + reserved


@dataclass(frozen=True)
class DriftTransaction:
    id: str
    pool_id: str
    source: str
    target: str
    amount: Decimal
    booking_id: str  # details.item.id
    reason: str
    created: datetime | None


@dataclass(frozen=True)
class Flag:
    kind: str  # UPCOMING | ORPHAN | UNSPENT
    member_id: str
    summary: str
    pool_id: str = ""
    plan_name: str = ""
    bookings: tuple[DriftBooking, ...] = ()
    transactions: tuple[DriftTransaction, ...] = ()

    @property
    def title(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class MemberDrift:
    member_id: str
    name: str
    flags: tuple[Flag, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({f.kind for f in self.flags}))


@dataclass(frozen=True)
class DriftReport:
    mode: str
    first_day: date
    last_day: date
    bookings_checked: int
    members_checked: int
    calls: int
    members: tuple[MemberDrift, ...]
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def count(self) -> int:
        """Members with at least one disagreement (the Needs attention count)."""
        return len(self.members)

    def member(self, member_id: str) -> MemberDrift | None:
        return next((m for m in self.members if m.member_id == member_id), None)

    @property
    def age_seconds(self) -> float:
        return (datetime.now(UTC) - self.as_of).total_seconds()


class _Calls:
    """Counts the Wix calls one check makes."""

    def __init__(self) -> None:
        self.made = 0

    def one(self, call: Callable[[], T]) -> T:
        self.made += 1
        return call()

    def pages(self, query: Callable[..., CursorPage[T]], **arguments: Any) -> Iterator[T]:
        """Every item of a cursor query; later pages carry only the cursor (the client drops the rest)."""
        cursor: str | None = None
        while True:
            page = self.one(partial(query, cursor=cursor, **arguments))
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor


def _chunks(items: list[str], size: int = MAX_PAGE) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _wire_time(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _drift_tx(tx: Transaction) -> DriftTransaction:
    return DriftTransaction(tx.id, tx.pool_id, tx.source, tx.target, tx.magnitude, tx.item_id, tx.reason, tx.created)


@dataclass
class _Holding:
    """What one booking's transactions net to, per pool."""

    reserved: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    spent: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    transactions: list[Transaction] = field(default_factory=list)

    def add(self, tx: Transaction) -> None:
        if tx.status and tx.status != "COMPLETED":
            return
        self.transactions.append(tx)
        self.reserved[tx.pool_id] += tx.reserved_change
        if tx.target == "EXTERNAL":
            self.spent[tx.pool_id] += tx.magnitude
        elif tx.source == "EXTERNAL":  # a refund
            self.spent[tx.pool_id] -= tx.magnitude

    @property
    def total_reserved(self) -> Decimal:
        return sum(self.reserved.values(), ZERO)

    @property
    def total_spent(self) -> Decimal:
        return sum(self.spent.values(), ZERO)

    @property
    def pool_id(self) -> str:
        return self.transactions[0].pool_id if self.transactions else ""


def check(client: WixClient, *, today: date, time_zone: str, mode: str | None = None) -> DriftReport:
    """Compare every plan-paid booking of today ± a week with the credits Benefit Programs holds for it."""
    with client.budget.share(DRIFT):
        return _check(client, today=today, time_zone=time_zone, mode=mode or credit_mode())


def _check(client: WixClient, *, today: date, time_zone: str, mode: str) -> DriftReport:
    calls = _Calls()
    zone = ZoneInfo(time_zone)
    first_day, last_day = today - timedelta(days=PAST_DAYS), today + timedelta(days=AHEAD_DAYS)
    window_start = datetime.combine(first_day, time(0), zone)
    window_end = datetime.combine(last_day + timedelta(days=1), time(0), zone)

    services = {s.id: s for s in calls.one(client.query_services) if s.plan_ids}
    bookings = [b for b in _plan_bookings(client, calls, window_start, window_end) if b.event_id and b.service_id in services]
    by_id = {b.id: b for b in bookings}

    # Who each booking is for: a booking made by the member names her; the rest are looked up by contact.
    member_of: dict[str, str] = {b.contact_id: b.member_id_if_self_booked for b in bookings if b.member_id_if_self_booked}
    unknown = sorted({b.contact_id for b in bookings if b.contact_id and b.contact_id not in member_of})
    names: dict[str, str] = {}
    for chunk in _chunks(unknown):
        member_of.update(calls.one(partial(client.member_ids_by_contact, chunk)))
    for b in bookings:
        if member_of.get(b.contact_id):
            names.setdefault(member_of[b.contact_id], b.name)

    # Every transaction since before the window (charges are made at booking), grouped by the booking it names.
    since = _wire_time(window_start - timedelta(days=LEAD_DAYS))
    holdings: dict[str, _Holding] = defaultdict(_Holding)
    seen_tx: set[str] = set()

    def take(txs: Iterable[Transaction]) -> None:
        for tx in txs:
            if tx.id in seen_tx or not tx.item_id or tx.item_external_id not in services:
                continue  # not a Bookings charge of a plan-enabled service
            seen_tx.add(tx.id)
            holdings[tx.item_id].add(tx)

    tx_sort: list[Wire] = [{"fieldName": "createdDate", "order": "ASC"}]
    take(calls.pages(client.query_transactions, filter={"createdDate": {"$gte": since}}, sort=tx_sort))

    # Orphan candidates: charges dated in the window (details.effectiveDate = the session) naming no plan booking.
    orphan_items = [
        item
        for item, holding in holdings.items()
        if item not in by_id and any(t.effective is None or window_start <= t.effective < window_end for t in holding.transactions)
    ]
    members = {member_of[b.contact_id] for b in bookings if member_of.get(b.contact_id)}
    members |= {t.member_id for item in orphan_items for t in holdings[item].transactions if t.member_id}

    covering: dict[tuple[str, str], list[PoolItem]] = defaultdict(list)
    pools: dict[str, PoolItem] = {}
    for chunk in _chunks(sorted(members)):
        flt: Wire = {"beneficiary.memberId": {"$in": chunk}, "providerAppId": BOOKINGS_APP_ID}
        for pool_item in calls.pages(client.query_pool_items, filter=flt):
            covering[(pool_item.member_id, pool_item.service_id)].append(pool_item)
            pools.setdefault(pool_item.pool_id, pool_item)

    def unlimited_covers(member_id: str, service_id: str) -> bool:
        return any(i.unlimited or i.price == 0 for i in covering[(member_id, service_id)])

    # Plan bookings with no charge in the read (booked before LEAD_DAYS, or never charged): ask by booking.
    charged = [b for b in bookings if b.charged_to_plan and member_of.get(b.contact_id)]
    missing = [b.id for b in charged if b.id not in holdings and not unlimited_covers(member_of[b.contact_id], b.service_id)]
    for chunk in _chunks(missing):
        take(calls.pages(client.query_transactions, filter={"details.item.id": {"$in": chunk}}))

    flags: dict[str, list[Flag]] = defaultdict(list)

    def booking_row(b: Booking) -> DriftBooking:
        h = holdings.get(b.id) or _Holding()
        return DriftBooking(b.id, services[b.service_id].name, b.start, b.status, b.attendance, h.total_spent + h.total_reserved)

    def tx_rows(item: str) -> tuple[DriftTransaction, ...]:
        return tuple(_drift_tx(t) for t in (holdings.get(item) or _Holding()).transactions)

    def plan_of(h: _Holding) -> str:
        return pools[h.pool_id].plan_name if h.pool_id in pools else ""

    def flag_booking(kind: str, member: str, b: Booking, h: _Holding, summary: str) -> None:
        flags[member].append(Flag(kind, member, summary, h.pool_id, plan_of(h), (booking_row(b),), tx_rows(b.id)))

    for b in bookings:
        member = member_of.get(b.contact_id, "")
        if not member:
            continue
        h = holdings.get(b.id) or _Holding()
        holds = h.total_spent + h.total_reserved
        name = services[b.service_id].name
        when = b.start.astimezone(zone).strftime("%a %d %b %H:%M") if b.start else ""
        if b.status not in HELD or not b.charged_to_plan:
            if holds > 0:
                why = "was cancelled" if b.status not in HELD else "was not paid with a plan"
                flag_booking(ORPHAN, member, b, h, f"{name} {when}: the booking {why}, but {_credits(holds)} stay used for it.")
            continue
        if not h.transactions and unlimited_covers(member, b.service_id):
            continue  # an unlimited plan paid: no credit to hold
        if b.attendance in MARKED:
            if h.total_spent <= 0:
                held = " (still reserved)" if h.total_reserved > 0 else ""
                marked = b.attendance.replace("_", " ").lower()
                flag_booking(UNSPENT, member, b, h, f"{name} {when}: marked {marked}, no credit spent{held}.")
            continue
        if mode == "reserve":
            if h.total_spent > 0:
                problem = "its credit was spent before the class was marked"
            elif h.total_reserved <= 0:
                problem = "no credit is reserved for it"
            else:
                continue
        elif h.total_spent > 0:
            continue
        else:
            problem = "no credit was spent for it"
        flag_booking(UPCOMING, member, b, h, f"{name} {when}: booked with a plan, but {problem}.")

    for item in orphan_items:
        h = holdings[item]
        holds = h.total_spent + h.total_reserved
        if holds <= 0:
            continue  # charged and refunded: nothing held
        member = next((t.member_id for t in h.transactions if t.member_id), "")
        what = h.transactions[0]
        flags[member].append(
            Flag(
                ORPHAN,
                member,
                f"{_credits(holds)} used for “{what.item_name or 'a class'}”, but Bookings has no plan booking {item}.",
                h.pool_id,
                plan_of(h),
                (),
                tx_rows(item),
            )
        )

    checked_pools = 0
    if mode == "reserve":
        # A plan's reserved credits must be exactly what its bookings' reservations add up to.
        expected: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for h in holdings.values():
            for pool_id, amount in h.reserved.items():
                expected[pool_id] += amount
        credit_pools = sorted(p for p, item in pools.items() if not item.unlimited and item.status != "ENDED")
        balances: dict[str, Balance] = {}
        for chunk in _chunks(credit_pools):
            balances.update({b.pool_id: b for b in calls.one(partial(client.list_balances, chunk))})
        checked_pools = len(balances)
        for pool_id, balance in balances.items():
            if balance.reserved == expected[pool_id]:
                continue
            plan_item = pools[pool_id]
            mine = [b for b in bookings if pool_id in (holdings.get(b.id) or _Holding()).reserved]
            txs = tuple(_drift_tx(t) for b in mine for t in holdings[b.id].transactions if t.pool_id == pool_id)
            summary = (
                f"{plan_item.plan_name}: Wix holds {_credits(balance.reserved)} reserved, "
                f"but the plan's bookings account for {credits_text(expected[pool_id])}."
            )
            flags[balance.member_id or plan_item.member_id].append(
                Flag(
                    UPCOMING,
                    balance.member_id or plan_item.member_id,
                    summary,
                    pool_id,
                    plan_item.plan_name,
                    tuple(booking_row(b) for b in mine),
                    txs,
                )
            )

    result = tuple(
        sorted(
            (
                MemberDrift(member, names.get(member, "") or "(unknown member)", tuple(found))
                for member, found in flags.items()
                if member
            ),
            key=lambda m: (m.name.lower(), m.member_id),
        )
    )
    log.info(
        "drift check: %d bookings, %d members, %d pools, %d flagged, %d calls",
        len(bookings),
        len(members),
        checked_pools,
        len(result),
        calls.made,
    )
    return DriftReport(mode, first_day, last_day, len(bookings), len(members), calls.made, result)


def _plan_bookings(client: WixClient, calls: _Calls, start: datetime, end: datetime) -> list[Booking]:
    """Every booking paid (or to be paid) with a plan whose session starts in [start, end), any status."""
    filter: Wire = {
        "startDate": {"$gte": _wire_time(start), "$lt": _wire_time(end)},
        "selectedPaymentOption": {"$in": ["MEMBERSHIP"]},
    }
    found: dict[str, Booking] = {}
    offset = 0
    while True:
        page = calls.one(partial(client.query_extended_bookings, filter=filter, sort=SORT, offset=offset))
        found.update({b.id: b for b in page.bookings})
        offset += MAX_PAGE
        if not page.bookings or offset >= page.total:
            return list(found.values())


# --- the stored report (Needs attention reads it; the job writes it) ---------------------------------------


def _key(fingerprint: str) -> str:
    return f"drift:{fingerprint}"


def cached_report(fingerprint: str) -> DriftReport | None:
    found = cache.get(_key(fingerprint))
    return found if isinstance(found, DriftReport) else None


def last_error(fingerprint: str) -> str:
    return cache.get(_key(fingerprint) + ":error") or ""


def running(fingerprint: str) -> bool:
    return lock_held(_key(fingerprint) + ":lock")


def refresh(client: WixClient, fingerprint: str, *, today: date, time_zone: str, mode: str | None = None) -> DriftReport | None:
    """Check and store the report, unless another process is checking already (then None). A failed check
    keeps the last good report and records why."""
    with cache_lock(_key(fingerprint) + ":lock", hold_seconds=LOCK_SECONDS) as held:
        if not held:
            return None
        try:
            report = check(client, today=today, time_zone=time_zone, mode=mode)
        except WixError as error:
            cache.set(_key(fingerprint) + ":error", error.message, timeout=REFRESH_AFTER_SECONDS)
            log.warning("drift check failed: %s", error.message)
            return None
        cache.set(_key(fingerprint), report, timeout=None)
        cache.delete(_key(fingerprint) + ":error")
        return report


def needs_refresh(report: DriftReport | None) -> bool:
    return report is None or report.age_seconds > REFRESH_AFTER_SECONDS


def for_digest(fingerprint: str) -> tuple[MemberDrift, ...]:
    """The hook for the studio digest (issue 18): members whose bookings and credits disagree, as of the last
    check (empty when none ran yet). Each MemberDrift names the exact bookings and transactions."""
    report = cached_report(fingerprint)
    return report.members if report is not None else ()
