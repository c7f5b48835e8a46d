"""The change feed: whole-studio answers kept current from Wix's transaction ledger.

Every change to a balance leaves a transaction in Wix, and Query Transactions filters and sorts on
`createdDate`. So instead of walking every balance again (⌈balances ÷ 100⌉ calls, over 1,100 at 50,000
members), the feed keeps one row per pool in our database (`PoolState`, derived from Wix, rebuildable)
and, every `FEED_POLL_SECONDS`:

1. asks for the transactions created after its watermark minus `FEED_OVERLAP_SECONDS` (Wix's reads can
   lag, so a transaction may show up a little after its `createdDate`), oldest first;
2. drops those it has applied before (`FeedEvent`, keyed by the transaction ID: the overlap is read
   twice, applied once);
3. re-reads only the balances they touched (List Balances, 100 pool IDs a call);
4. writes the new rows, the transactions (Recent activity) and the advanced watermark in ONE database
   transaction — a worker killed anywhere before the commit leaves the watermark where it was, so the
   next poll does the same work again; after it, the work is done and de-duplicated. Nothing is lost or
   applied twice.

A row is only ever overwritten by a newer read (`read_at`), so the poll, the sweep, the reconciliation
and a full rebuild may interleave freely.

Changes that leave no transaction (pause, resume, end, renew):

- the **status sweep** (`sweep`, every `FEED_SWEEP_SECONDS`) reads the pools in the statuses that come
  and go — PAUSED, RENEWING, PENDING, PROVISIONING — with Query Pools sorted by ID, at most
  `FEED_SWEEP_CALLS` calls a run, continuing where the last run stopped (a small studio is covered every
  run). A pool that entered one of them shows up; one that left (resumed, renewed, ended) is missing from
  its ID range and is re-read.
- the **reconciliation** (`reconcile`, in the same job) re-reads every balance and unlimited pool, a
  few pages (`FEED_RECONCILE_PAGES`) each run, in ID order, and compares with the feed-maintained rows.
  Any difference the feed could not have known about yet (Wix's balance changed after our watermark) is
  simply applied; every other one is drift: logged with the pools involved, counted (`DriftRecord`,
  `FeedState.drift_total`), and repaired. A plan ended straight from ACTIVE leaves no transaction and
  stays out of the swept statuses, so it is this check that catches it.

All of it spends from the FEED row of the call budget (`balances/wix/budget.py`). A full rebuild
(`rebuild`: today's whole-studio scan, the `attention-scan` job) seeds the state and replaces it when
the Wix connection changes; Needs attention is then computed from the rows (`report_from_state`), so
changing the low-credit threshold costs no Wix call.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q

from . import definitions
from .attention import CATEGORY_KEYS, AttentionReport, Flagged, Row, categorize
from .audit import AuditEntry
from .catalog import Catalog, get_catalog
from .formatting import credits_text
from .studio_state import DriftRecord, FeedEvent, FeedState, MemberInfo, PoolState
from .wix.budget import FEED
from .wix.client import MAX_PAGE, CursorPage, WixClient
from .wix.records import ZERO, Balance, Pool, Transaction, Wire

log = logging.getLogger(__name__)
T = TypeVar("T")

SWEPT_STATUSES = ("PAUSED", "PENDING", "PROVISIONING", "RENEWING")  # the statuses pools come and go from
BOOKING_REASONS = frozenset({"Redemption", "Reservation", "Attended class", "Booking canceled", "Refund"})
RENEWAL_REASONS = frozenset({"Renewal", "Plan purchase", "Rollover cap at renewal", "Unused credits expired"})
STALE_AFTER_SECONDS = 10 * 60  # older state is still shown, and a full rebuild starts behind it
EVENTS_KEPT_DAYS = 30
ID_ORDER: list[Wire] = [{"fieldName": "id", "order": "ASC"}]
CREATED_ORDER: list[Wire] = [{"fieldName": "createdDate", "order": "ASC"}]


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Calls:
    """Counts the Wix calls one run makes (its outcome says how many)."""

    def __init__(self) -> None:
        self.made = 0


# --- rows from Wix records --------------------------------------------------------------------------


def _unlimited_plan(balance: Balance, catalog: Catalog) -> bool:
    """A plan without credits may carry a "0" balance: its definition, not the balance, says so (credits.py)."""
    known = catalog.plans.get(balance.pool_definition_id)
    return known is not None and known.is_unlimited


def _row_from_balance(balance: Balance, catalog: Catalog, read_at: datetime) -> PoolState:
    unlimited = _unlimited_plan(balance, catalog)
    return PoolState(
        pool_id=balance.pool_id,
        member_id=balance.member_id,
        status=balance.status,
        available=ZERO if unlimited else balance.available,
        reserved=ZERO if unlimited else balance.reserved,
        unlimited=unlimited,
        plan_name=catalog.plan(balance.pool_definition_id).name[:200],
        rollover_cap=balance.rollover_cap if balance.rollover_enabled and not unlimited else None,
        read_at=read_at,
    )


def _row_from_pool(pool: Pool, read_at: datetime) -> PoolState:
    return PoolState(
        pool_id=pool.id,
        member_id=pool.member_id,
        status=pool.status,
        available=ZERO,
        reserved=ZERO,
        unlimited=True,
        plan_name=pool.plan_name[:200],
        rollover_cap=None,
        read_at=read_at,
    )


def _same(a: PoolState, b: PoolState) -> bool:
    return (a.status, a.available, a.reserved, a.member_id, a.unlimited, a.rollover_cap) == (
        b.status,
        b.available,
        b.reserved,
        b.member_id,
        b.unlimited,
        b.rollover_cap,
    )


FIELDS = ["member_id", "status", "available", "reserved", "unlimited", "plan_name", "rollover_cap", "read_at"]


def _apply_rows(rows: Iterable[PoolState]) -> list[str]:
    """Write the rows that are newer than what is stored (inside the caller's transaction); the pool IDs
    whose answer-relevant values changed."""
    fresh = {row.pool_id: row for row in rows}
    if not fresh:
        return []
    stored: dict[str, PoolState] = {}
    ids = list(fresh)
    for start in range(0, len(ids), 5000):  # SQLite allows at most ~32,000 parameters a statement
        stored.update(PoolState.objects.in_bulk(ids[start : start + 5000]))
    write, changed = [], []
    for pool_id, row in fresh.items():
        old = stored.get(pool_id)
        if old is not None and old.read_at >= row.read_at:
            continue  # someone read it after us
        write.append(row)
        if old is None or not _same(old, row):
            changed.append(pool_id)
    PoolState.objects.bulk_create(write, batch_size=2000, update_conflicts=True, unique_fields=["pool_id"], update_fields=FIELDS)
    return changed


def _locked_state(fingerprint: str) -> FeedState | None:
    state = FeedState.objects.select_for_update().filter(pk=1).first()
    return state if state is not None and state.fingerprint == fingerprint else None


def current_state(fingerprint: str) -> FeedState | None:
    """The feed's row when it is of this Wix connection (else the state must be rebuilt first)."""
    state = FeedState.objects.filter(pk=1).first()
    return state if state is not None and state.fingerprint == fingerprint and state.watermark is not None else None


# --- full rebuild -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebuildResult:
    pools: int
    calls: int
    changed: int
    seconds: float


def _walk(
    client: WixClient,
    calls: Calls,
    query: Callable[..., CursorPage[T]],
    *,
    filter: Wire | None = None,
    sort: list[Wire] | None = None,
) -> Iterator[tuple[list[T], datetime, bool]]:
    """Every page of a cursor query with the time it was asked for (a page is as of then) and whether more
    pages follow."""
    asked = _now()
    calls.made += 1
    page = query(limit=MAX_PAGE, filter=filter, sort=sort)
    yield page.items, asked, bool(page.next_cursor)
    while page.next_cursor:
        asked = _now()
        calls.made += 1
        page = query(cursor=page.next_cursor, limit=MAX_PAGE)
        yield page.items, asked, bool(page.next_cursor)


def rebuild(client: WixClient, fingerprint: str) -> RebuildResult:
    """Read every balance and unlimited pool (today's whole-studio scan) and make the state match it.

    Rows the feed read after a page was read are kept; rows of pools Wix no longer has are removed.
    A first build (or a new Wix connection) starts the watermark at the scan's start."""
    started = _now()
    calls = Calls()
    rows: list[PoolState] = []
    with client.budget.share(FEED):
        catalog = get_catalog(client, fingerprint)
        for balances, asked, _ in _walk(client, calls, client.query_balances):
            rows.extend(_row_from_balance(b, catalog, asked) for b in balances if not _unlimited_plan(b, catalog))
        if catalog.unlimited_ids:
            unlimited = {"poolDefinitionId": {"$in": catalog.unlimited_ids}}
            for pools, asked, _ in _walk(client, calls, client.query_pools, filter=unlimited):
                rows.extend(_row_from_pool(p, asked) for p in pools)
    with transaction.atomic():
        state = FeedState.objects.select_for_update().filter(pk=1).first() or FeedState(pk=1)
        new_connection = state.fingerprint != fingerprint or state.watermark is None
        if new_connection:  # another studio's state means nothing here
            PoolState.objects.all().delete()
            MemberInfo.objects.all().delete()
            FeedEvent.objects.all().delete()
            state = FeedState(pk=1, fingerprint=fingerprint, watermark=started, as_of=started, version=state.version)
        changed = _apply_rows(rows)
        seen = {row.pool_id for row in rows}
        # In Python: an IN list of every pool (over 100,000) is slow and may exceed the database's limits.
        older = set(PoolState.objects.filter(read_at__lt=started).values_list("pool_id", flat=True))
        gone = sorted(older - seen)
        for start in range(0, len(gone), 5000):
            PoolState.objects.filter(pool_id__in=gone[start : start + 5000]).delete()
        state.as_of = max(state.as_of or started, started)
        state.built_at = _now()
        state.version += 1
        state.save()
    calls.made += resolve_names(client, max_calls=None)  # a full scan names everyone it lists, as before
    store_report(fingerprint)
    return RebuildResult(len(rows), calls.made, len(changed) + len(gone), (_now() - started).total_seconds())


# --- the poll ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollResult:
    transactions: int  # read (the overlap included)
    applied: int  # new ones
    pools: int  # balances re-read
    changed: int  # rows whose values changed
    calls: int
    as_of: datetime


def _staff_keys(transactions: list[Transaction]) -> dict[str, str]:
    """Idempotency key or transaction ID -> username, for the changes Credit Desk staff made (audit log)."""
    keys = [t.idempotency_key for t in transactions if t.idempotency_key]
    ids = [t.id for t in transactions]
    found = {}
    for entry in AuditEntry.objects.filter(Q(idempotency_key__in=keys) | Q(transaction_id__in=ids)).only(
        "idempotency_key", "transaction_id", "username"
    ):
        found[entry.idempotency_key] = entry.username
        if entry.transaction_id:
            found[entry.transaction_id] = entry.username
    return found


def _by(t: Transaction, staff: dict[str, str]) -> tuple[str, str]:
    """Who made a change: (FeedEvent.By, staff username)."""
    username = staff.get(t.idempotency_key) or staff.get(t.id)
    if username:
        return FeedEvent.By.STAFF, username
    if t.item_name or t.reason in BOOKING_REASONS or t.idempotency_key.startswith("booking-"):
        return FeedEvent.By.BOOKING, ""
    if t.reason in RENEWAL_REASONS or t.idempotency_key.startswith(("renewal-", "provision-", "rollover-")):
        return FeedEvent.By.RENEWAL, ""
    return FeedEvent.By.DASHBOARD, ""


def poll(client: WixClient, fingerprint: str) -> PollResult | None:
    """Apply the transactions created since the watermark; None when there is no state to update yet."""
    state = current_state(fingerprint)
    if state is None:
        return None
    assert state.watermark is not None
    asked = _now()
    since = state.watermark - timedelta(seconds=settings.FEED_OVERLAP_SECONDS)
    calls = Calls()
    with client.budget.share(FEED):
        transactions: list[Transaction] = []
        for page, _, _ in _walk(
            client, calls, client.query_transactions, filter={"createdDate": {"$gt": _iso(since)}}, sort=CREATED_ORDER
        ):
            transactions.extend(page)
        unique = list({t.id: t for t in transactions if t.id and t.pool_id}.values())
        known = set(FeedEvent.objects.filter(transaction_id__in=[t.id for t in unique]).values_list("transaction_id", flat=True))
        new = [t for t in unique if t.id not in known]
        pool_ids = list(dict.fromkeys(t.pool_id for t in new))
        rows: list[PoolState] = []
        if pool_ids:
            catalog = get_catalog(client, fingerprint)
            for start in range(0, len(pool_ids), MAX_PAGE):
                read_at = _now()
                calls.made += 1
                rows.extend(
                    _row_from_balance(b, catalog, read_at) for b in client.list_balances(pool_ids[start : start + MAX_PAGE])
                )
    staff = _staff_keys(new)
    names = {row.pool_id: row.plan_name for row in rows}
    events = []
    for t in new:
        by, username = _by(t, staff)
        events.append(
            FeedEvent(
                transaction_id=t.id,
                created=t.created or asked,
                applied_at=asked,
                pool_id=t.pool_id,
                member_id=t.member_id,
                plan_name=names.get(t.pool_id, ""),
                kind=t.kind,
                change=t.available_change,
                magnitude=t.magnitude,
                by=by,
                staff_username=username[:150],
                reason=t.reason[:256],
                item=t.item_name[:200],
            )
        )
    with transaction.atomic():
        locked = _locked_state(fingerprint)
        if locked is None or locked.watermark is None:
            return None  # the connection changed (or the state was dropped) meanwhile: nothing to update
        changed = _apply_rows(rows)
        FeedEvent.objects.bulk_create(events, ignore_conflicts=True)
        # The watermark moves only here, with the state it stands for.
        locked.watermark = max(locked.watermark, asked)
        locked.as_of = max(locked.as_of or asked, asked)
        if changed:
            locked.version += 1
        locked.save(update_fields=["watermark", "as_of", "version"])
    calls.made += resolve_names(client)
    if changed or not cached_state_report(fingerprint):
        store_report(fingerprint)
    return PollResult(len(transactions), len(new), len(rows), len(changed), calls.made, asked)


def prune_events(now: datetime | None = None) -> int:
    """Recent activity keeps 30 days (and the overlap's de-duplication needs only the last minutes)."""
    return FeedEvent.objects.filter(created__lt=(now or _now()) - timedelta(days=EVENTS_KEPT_DAYS)).delete()[0]


# --- changes without a transaction: the status sweep and the reconciliation --------------------------


@dataclass(frozen=True)
class CheckResult:
    pools_read: int
    changed: list[str]  # pools whose state was different
    drift: list[str]  # of those, the ones the feed should have known about
    calls: int
    wrapped: bool  # a whole cycle completed


def _record(source: str, pool_ids: list[str], detail: str) -> None:
    if not pool_ids:
        return
    DriftRecord.objects.create(found_at=_now(), source=source, count=len(pool_ids), pool_ids=pool_ids[:1000], detail=detail[:5000])


def _reread(client: WixClient, calls: Calls, catalog: Catalog, pool_ids: list[str], unlimited: set[str]) -> list[PoolState]:
    """Fresh rows for these pools: List Balances for credit pools, Query Pools for unlimited ones."""
    rows: list[PoolState] = []
    credit = [p for p in pool_ids if p not in unlimited]
    for start in range(0, len(credit), MAX_PAGE):
        read_at = _now()
        calls.made += 1
        rows.extend(_row_from_balance(b, catalog, read_at) for b in client.list_balances(credit[start : start + MAX_PAGE]))
    plain = [p for p in pool_ids if p in unlimited]
    for start in range(0, len(plain), MAX_PAGE):
        read_at = _now()
        calls.made += 1
        page = client.query_pools(filter={"id": {"$in": plain[start : start + MAX_PAGE]}}, limit=MAX_PAGE)
        rows.extend(_row_from_pool(p, read_at) for p in page.items)
    return rows


def _after(filter: Wire, after: str) -> Wire | None:
    """`filter`, and only IDs after `after` (the place a rolling check continues from)."""
    if not after:
        return filter or None
    return {"$and": [filter, {"id": {"$gt": after}}]} if filter else {"id": {"$gt": after}}


def sweep(client: WixClient, fingerprint: str, *, max_calls: int | None = None) -> CheckResult | None:
    """Re-read the pools in statuses that change without a transaction (see the module docstring)."""
    state = current_state(fingerprint)
    if state is None:
        return None
    budget = max(2, settings.FEED_SWEEP_CALLS if max_calls is None else max_calls)
    calls = Calls()
    after = state.sweep_after
    seen: dict[str, tuple[Pool, datetime]] = {}
    last_id, wrapped = after, True
    with client.budget.share(FEED):
        catalog = get_catalog(client, fingerprint)
        for pools, asked, more in _walk(
            client, calls, client.query_pools, filter=_after({"status": {"$in": list(SWEPT_STATUSES)}}, after), sort=ID_ORDER
        ):
            for pool in pools:
                seen[pool.id] = (pool, asked)
                last_id = max(last_id, pool.id)
            if more and calls.made >= budget - 1:  # keep a call or so for re-reads
                wrapped = False
                break
        covered = Q(pool_id__gt=after) if after else Q()
        if not wrapped:
            covered &= Q(pool_id__lte=last_id)
        stored = {row.pool_id: row for row in PoolState.objects.filter(covered, status__in=SWEPT_STATUSES)}
        stored.update(PoolState.objects.in_bulk(list(seen)))
        left = [pid for pid in stored if pid not in seen and stored[pid].status in SWEPT_STATUSES]  # resumed, ended …
        entered = [pid for pid, (pool, _) in seen.items() if pid not in stored or stored[pid].status != pool.status]
        unlimited = {pid for pid, (pool, _) in seen.items() if pool.is_unlimited} | {pid for pid in left if stored[pid].unlimited}
        rows = [_row_from_pool(pool, asked) for pid, (pool, asked) in seen.items() if pid in entered and pool.is_unlimited]
        rows += _reread(client, calls, catalog, [p for p in entered if p not in unlimited] + left, unlimited)
    changed = _commit_check(fingerprint, rows, {"sweep_after": "" if wrapped else last_id})
    if changed:
        log.info("status sweep: %d pools changed without a transaction: %s", len(changed), ", ".join(changed[:20]))
        _record("sweep", changed, "statuses changed without a transaction (pause, resume, end, renew)")
        store_report(fingerprint)
    return CheckResult(len(seen) + len(rows), changed, [], calls.made, wrapped)


def _commit_check(fingerprint: str, rows: list[PoolState], place: dict[str, object]) -> list[str]:
    with transaction.atomic():
        locked = _locked_state(fingerprint)
        if locked is None:
            return []
        changed = _apply_rows(rows)
        for name, value in place.items():
            setattr(locked, name, value)
        if changed:
            locked.version += 1
        locked.save()
    return changed


def reconcile(client: WixClient, fingerprint: str, *, pages: int | None = None) -> CheckResult | None:
    """Re-read a few pages of every balance (then of every unlimited pool), in ID order, continuing where
    the last run stopped; differences are applied, and those the feed should have seen are drift."""
    state = current_state(fingerprint)
    if state is None:
        return None
    limit = max(1, settings.FEED_RECONCILE_PAGES if pages is None else pages)
    calls = Calls()
    lane, after = state.reconcile_lane or "balances", state.reconcile_after
    watermark = state.watermark
    assert watermark is not None
    rows: list[PoolState] = []
    fresh_in_wix: set[str] = set()  # changed in Wix after the watermark: the feed has not had its chance yet
    last_id, lane_done = after, True
    with client.budget.share(FEED):
        catalog = get_catalog(client, fingerprint)
        walk: Iterator[tuple[list[Balance], datetime, bool]] | Iterator[tuple[list[Pool], datetime, bool]]
        if lane == "balances":
            walk = _walk(client, calls, client.query_balances, filter=_after({}, after), sort=ID_ORDER)
        else:
            ids = catalog.unlimited_ids
            walk = (
                _walk(client, calls, client.query_pools, filter=_after({"poolDefinitionId": {"$in": ids}}, after), sort=ID_ORDER)
                if ids
                else iter(())
            )
        for items, asked, more in walk:
            for item in items:
                if isinstance(item, Balance) and _unlimited_plan(item, catalog):
                    continue  # its pool is read in the unlimited lane
                if isinstance(item, Balance):
                    rows.append(_row_from_balance(item, catalog, asked))
                    if item.updated is not None and item.updated > watermark - timedelta(seconds=settings.FEED_OVERLAP_SECONDS):
                        fresh_in_wix.add(item.pool_id)
                else:
                    rows.append(_row_from_pool(item, asked))
                last_id = max(last_id, rows[-1].pool_id)
            if more and calls.made >= limit:
                lane_done = False
                break
    covered = Q(pool_id__gt=after) if after else Q()
    if not lane_done:
        covered &= Q(pool_id__lte=last_id)
    stored = {row.pool_id: row for row in PoolState.objects.filter(covered, unlimited=lane != "balances")}
    scanned = {row.pool_id: row for row in rows}
    drift = []
    for pool_id, row in scanned.items():
        old = stored.get(pool_id)
        if (old is None or not _same(old, row)) and (old is None or old.read_at < row.read_at) and pool_id not in fresh_in_wix:
            drift.append(pool_id)
    gone = [pid for pid in stored if pid not in scanned]
    cycle_done = lane_done and lane != "balances"
    place: dict[str, object] = {
        "reconcile_lane": ("unlimited" if lane == "balances" else "balances") if lane_done else lane,
        "reconcile_after": "" if lane_done else last_id,
    }
    if cycle_done:
        place["reconciled_at"] = _now()
    changed = _commit_check(fingerprint, rows, place)
    if gone:
        PoolState.objects.filter(pool_id__in=gone, read_at__lt=min((r.read_at for r in rows), default=_now())).delete()
    drift += gone
    if drift:
        FeedState.objects.filter(pk=1).update(drift_total=F("drift_total") + len(drift))
        detail = "; ".join(_describe(stored.get(p), scanned.get(p)) for p in drift[:50])
        log.warning("reconciliation: %d pools differed from the feed's state: %s", len(drift), detail)
        _record("reconcile", drift, detail)
    if changed or gone:
        store_report(fingerprint)
    return CheckResult(len(rows), changed, drift, calls.made, cycle_done)


def _describe(old: PoolState | None, new: PoolState | None) -> str:
    if old is None and new is not None:
        return f"{new.pool_id}: missing, Wix has {new.status} {new.available}"
    if new is None and old is not None:
        return f"{old.pool_id}: gone from Wix (was {old.status} {old.available})"
    assert old is not None and new is not None
    return f"{new.pool_id}: {old.status} {old.available}/{old.reserved} -> {new.status} {new.available}/{new.reserved}"


# --- names ------------------------------------------------------------------------------------------


def resolve_names(client: WixClient, *, max_calls: int | None = 5) -> int:
    """Read the names of listed members we have none for (a threshold change can list new ones), at most
    `max_calls` calls (None: all); calls made."""
    report_ids: set[str] = set()
    for rows in _groups(_threshold()).values():
        report_ids.update(member_id for member_id, *_ in rows)
    missing = sorted(report_ids - set(_names(report_ids)))
    made = 0
    with client.budget.share(FEED):
        wanted = len(missing) if max_calls is None else min(len(missing), max_calls * MAX_PAGE)
        for start in range(0, wanted, MAX_PAGE):
            chunk = missing[start : start + MAX_PAGE]
            made += 1
            found = client.query_members(filter={"id": {"$in": chunk}}, limit=MAX_PAGE).members
            MemberInfo.objects.bulk_create(
                [MemberInfo(member_id=m.id, name=m.name[:200], email=m.email[:254]) for m in found],
                update_conflicts=True,
                unique_fields=["member_id"],
                update_fields=["name", "email"],
            )
    return made


# --- the answers, from the rows ---------------------------------------------------------------------


def _names(member_ids: set[str]) -> dict[str, tuple[str, str]]:
    """(name, e-mail) of the members we know, in chunks (the lists can hold many thousand members)."""
    ids, found = sorted(member_ids), {}
    for start in range(0, len(ids), 5000):
        for m in MemberInfo.objects.filter(member_id__in=ids[start : start + 5000]):
            found[m.member_id] = (m.name, m.email)
    return found


def _threshold() -> Decimal:
    from .models import StudioPreferences

    return Decimal(StudioPreferences.current().low_credit_threshold)


@dataclass(frozen=True)
class StoredPlan(definitions.PlanFacts):
    """A stored row as the categories read it (attention.categorize; definitions.py decides)."""

    pool_id: str
    status: str
    available: Decimal | None  # None: unlimited, as in credits.PoolCredits
    reserved: Decimal | None
    plan_name: str
    rollover_cap: Decimal | None


def _groups(threshold: Decimal) -> dict[str, list[Row]]:
    plans: dict[str, list[StoredPlan]] = defaultdict(list)
    fields = ("member_id", "pool_id", "status", "available", "reserved", "unlimited", "plan_name", "rollover_cap")
    for member_id, pool_id, status, available, reserved, unlimited, plan_name, cap in PoolState.objects.values_list(
        *fields
    ).iterator(chunk_size=5000):
        plans[member_id].append(
            StoredPlan(pool_id, status, None if unlimited else available, None if unlimited else reserved, plan_name, cap)
        )
    grouped = categorize(plans, threshold)
    return {key: grouped.get(key, []) for key in CATEGORY_KEYS}


def report_from_state(fingerprint: str, threshold: Decimal | None = None) -> AttentionReport | None:
    """Needs attention computed from the feed's rows (no Wix call); None before the first build."""
    state = current_state(fingerprint)
    if state is None or state.as_of is None:
        return None
    threshold = _threshold() if threshold is None else Decimal(threshold)
    groups = _groups(threshold)
    ids = {row[0] for rows in groups.values() for row in rows}
    people = _names(ids)
    out = {}
    for key, rows in groups.items():
        flagged = [
            Flagged(m, people.get(m, ("(unknown member)", ""))[0], people.get(m, ("", ""))[1], a, r, plan, pool, detail)
            for m, a, r, plan, pool, detail in rows
        ]
        out[key] = tuple(sorted(flagged, key=lambda f: (f.available, f.name.lower())))
    return AttentionReport(
        threshold=threshold, as_of=state.as_of, pools_scanned=PoolState.objects.count(), calls=0, groups=out, version=state.version
    )


def _report_key(fingerprint: str, version: int, threshold: Decimal) -> str:
    return f"attention:state:{fingerprint}:{version}:{credits_text(Decimal(threshold))}"


def store_report(fingerprint: str) -> AttentionReport | None:
    """Compute the answers now and keep them in the shared cache, so pages answer without computing."""
    report = report_from_state(fingerprint)
    if report is not None:
        cache.set(_report_key(fingerprint, report.version, report.threshold), report, timeout=3600)
        cache.set(f"attention:state:{fingerprint}:as_of", report.as_of, timeout=None)
    return report


def cached_state_report(fingerprint: str, threshold: Decimal | None = None) -> AttentionReport | None:
    """The answers for the state's current version and this threshold: from the cache, else computed."""
    state = current_state(fingerprint)
    if state is None:
        return None
    threshold = _threshold() if threshold is None else Decimal(threshold)
    found = cache.get(_report_key(fingerprint, state.version, threshold))
    if isinstance(found, AttentionReport):
        # The rows did not change, but a poll may have confirmed them since: the newer "as of" holds.
        if state.as_of and state.as_of > found.as_of:
            return AttentionReport(found.threshold, state.as_of, found.pools_scanned, 0, found.groups, found.version)
        return found
    report = report_from_state(fingerprint, threshold)
    if report is not None:
        cache.set(_report_key(fingerprint, report.version, threshold), report, timeout=3600)
    return report


def is_stale(state: FeedState | None) -> bool:
    return state is None or state.as_of is None or (_now() - state.as_of).total_seconds() > STALE_AFTER_SECONDS
