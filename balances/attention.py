"""Needs attention: whole-studio answers (who is low, out, paused, renewing, over the rollover cap).

They need every balance in the studio, so they are computed in the background by `manage.py worker`
(the `attention-scan` job in balances/tasks.py: every 10 minutes, and queued on demand by the page when
the report is missing or old) — walking balances 100 at a time, spending at most half of the shared
Wix call budget (`client.budget.share(SCANS)`), so the desk keeps the rest. The result and its "as of" time
live in Django's cache (Redis in production), so every process shows the same answer and only one
process scans at a time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from django.core.cache import cache

from . import definitions
from .cache import cache_lock, lock_held
from .catalog import get_catalog
from .credits import PoolCredits
from .formatting import credits_text
from .wix.budget import SCANS
from .wix.client import MAX_PAGE, CursorPage, WixClient
from .wix.errors import WixError
from .wix.records import ZERO, Wire

T = TypeVar("T")

log = logging.getLogger(__name__)

REFRESH_AFTER_SECONDS = 10 * 60  # an older report is still shown, and a new scan starts behind it
SCAN_LOCK_SECONDS = 30 * 60  # a crashed scan frees its lock after this


@dataclass(frozen=True)
class Category:
    key: str
    title: str
    explains: str


CATEGORIES = (
    Category("out", "Out of credits", "Members with a plan but no credits free to book and no active unlimited plan."),
    Category(
        "low", "Running low", "Members with some credits free to book, but no more than the threshold, and no unlimited plan."
    ),
    Category(
        "over_cap",
        "Credits lost at next renewal",
        "Rollover plans holding more free credits than the cap: the extra is lost when the plan renews.",
    ),
    Category(
        "paused",
        "Plans on hold",
        "Plans paused or pending in Wix: their credits are on hold and cannot be booked until the plan is active.",
    ),
    Category(
        "renewing",
        "Renewing now",
        "Plans Wix reports as renewing at this moment, unlimited ones included. Wix gives no end or renewal date for a plan, so "
        "Credit Desk cannot list plans ending within N days.",
    ),
)
CATEGORY_KEYS = tuple(c.key for c in CATEGORIES)


@dataclass(frozen=True)
class Person:
    """Who a row is about, shaped like a Wix Member, so both lists share one member cell."""

    id: str
    name: str
    email: str


@dataclass(frozen=True)
class Flagged:
    """One member in a category, with the pool that put them there (if one pool did)."""

    member_id: str
    name: str
    email: str
    available: Decimal
    reserved: Decimal
    plan_name: str = ""
    pool_id: str = ""
    detail: str = ""

    @property
    def member(self) -> Person:
        return Person(self.member_id, self.name, self.email)


@dataclass(frozen=True)
class AttentionReport:
    threshold: Decimal
    as_of: datetime
    pools_scanned: int
    calls: int
    groups: dict[str, tuple[Flagged, ...]] = field(default_factory=dict)

    def count(self, key: str) -> int:
        return len(self.groups.get(key, ()))

    @property
    def age_seconds(self) -> float:
        return (datetime.now(UTC) - self.as_of).total_seconds()


def _report_key(fingerprint: str) -> str:
    return f"attention:{fingerprint}"


def cached_report(fingerprint: str) -> AttentionReport | None:
    found = cache.get(_report_key(fingerprint))
    return found if isinstance(found, AttentionReport) else None


def scan_running(fingerprint: str) -> bool:
    """A scan is running, or queued for the worker and not yet started."""
    return lock_held(_report_key(fingerprint) + ":lock") or cache.get(_report_key(fingerprint) + ":queued") is not None


class _Calls:
    """Counts the Wix calls a scan makes (the page shows it)."""

    def __init__(self) -> None:
        self.made = 0

    def pages(self, query: Callable[..., CursorPage[T]], *, filter: Wire | None = None) -> Iterator[T]:
        """Every item of a cursor query, one call per page of 100."""
        self.made += 1
        page = query(limit=MAX_PAGE, filter=filter)
        yield from page.items
        while page.next_cursor:
            self.made += 1
            page = query(cursor=page.next_cursor, limit=MAX_PAGE)
            yield from page.items


def scan(client: WixClient, fingerprint: str, threshold: Decimal) -> AttentionReport:
    """Walk every balance (and the pools of plans without credits) and sort members into categories."""
    with client.budget.share(SCANS):  # every call below waits for room and leaves half the budget to people
        return _scan(client, fingerprint, threshold)


def _scan(client: WixClient, fingerprint: str, threshold: Decimal) -> AttentionReport:
    calls = _Calls()
    catalog = get_catalog(client, fingerprint)
    unlimited_ids = set(catalog.unlimited_ids)
    plans: dict[str, list[PoolCredits]] = defaultdict(list)
    scanned = 0
    for b in calls.pages(client.query_balances):
        scanned += 1
        if b.pool_definition_id not in unlimited_ids:  # a "0" balance of a plan without credits: its pool tells
            plans[b.member_id].append(PoolCredits.from_balance(b, catalog))
    if unlimited_ids:
        for pool in calls.pages(client.query_pools, filter={"poolDefinitionId": {"$in": sorted(unlimited_ids)}}):
            plans[pool.member_id].append(PoolCredits.without_balance(pool))

    # Every rule below is a definitions.py answer, the same the member list and the lookup API give.
    by_category: dict[str, list[tuple[str, Decimal, Decimal, str, str, str]]] = defaultdict(list)
    for member_id, pools in plans.items():
        available, reserved = definitions.free_to_book(pools), definitions.booked(pools)
        for p in pools:
            if p.usable and p.available is not None and p.rollover_cap is not None and p.available > p.rollover_cap:
                lost = p.available - p.rollover_cap
                detail = f"{credits_text(lost)} over the cap of {credits_text(p.rollover_cap)}"
                by_category["over_cap"].append((member_id, p.available, p.reserved or ZERO, p.plan_name, p.pool_id, detail))
            if p.on_hold:
                by_category["paused"].append(
                    (member_id, p.available or ZERO, p.reserved or ZERO, p.plan_name, p.pool_id, p.status.lower())
                )
            elif p.status == "RENEWING":
                detail = "renewing, unlimited" if p.unlimited else "renewing"
                by_category["renewing"].append((member_id, p.available or ZERO, p.reserved or ZERO, p.plan_name, p.pool_id, detail))
        if definitions.out_of_credits(pools):
            by_category["out"].append((member_id, available, reserved, "", "", ""))
        elif definitions.running_low(pools, threshold):
            by_category["low"].append((member_id, available, reserved, "", "", ""))

    flagged_ids = sorted({row[0] for rows in by_category.values() for row in rows if row[0]})
    people = _resolve_members(client, flagged_ids, calls)
    groups = {}
    for key in CATEGORY_KEYS:
        rows = [
            Flagged(
                member_id=m,
                name=people.get(m, ("(unknown member)", ""))[0],
                email=people.get(m, ("", ""))[1],
                available=a,
                reserved=r,
                plan_name=plan,
                pool_id=pool_id,
                detail=detail,
            )
            for m, a, r, plan, pool_id, detail in by_category.get(key, [])
        ]
        groups[key] = tuple(sorted(rows, key=lambda f: (f.available, f.name.lower())))
    return AttentionReport(threshold=threshold, as_of=datetime.now(UTC), pools_scanned=scanned, calls=calls.made, groups=groups)


def _resolve_members(client: WixClient, ids: list[str], calls: _Calls) -> dict[str, tuple[str, str]]:
    people = {}
    for start in range(0, len(ids), MAX_PAGE):
        chunk = ids[start : start + MAX_PAGE]
        calls.made += 1
        for member in client.query_members(filter={"id": {"$in": chunk}}, limit=MAX_PAGE).members:
            people[member.id] = (member.name, member.email)
    return people


def refresh(client: WixClient, fingerprint: str, threshold: Decimal) -> AttentionReport | None:
    """Scan and store the report, unless another process is scanning already (then return None)."""
    # The queued request is served by this scan, or by the one holding the lock: from now on a page that
    # finds the report old queues a newer one.
    cache.delete(_report_key(fingerprint) + ":queued")
    with cache_lock(_report_key(fingerprint) + ":lock", hold_seconds=SCAN_LOCK_SECONDS) as held:
        if not held:
            return None
        try:
            report = scan(client, fingerprint, threshold)
            cache.set(_report_key(fingerprint), report, timeout=None)
            cache.delete(_report_key(fingerprint) + ":error")
            return report
        except WixError as error:
            # The last good report stays; the page says why it is not newer.
            cache.set(_report_key(fingerprint) + ":error", error.message, timeout=REFRESH_AFTER_SECONDS)
            log.warning("attention scan failed: %s", error.message)
            return None


def last_error(fingerprint: str) -> str:
    return cache.get(_report_key(fingerprint) + ":error") or ""


def request_scan(fingerprint: str) -> bool:
    """Queue a scan for the worker unless one is running or queued already; True if one is (now) on its way."""
    if scan_running(fingerprint):
        return True
    # Polling pages ask every 2 s: only the first request in a while queues a task. If the worker is down,
    # the mark expires and the next request queues again.
    if cache.add(_report_key(fingerprint) + ":queued", datetime.now(UTC).isoformat(), timeout=REFRESH_AFTER_SECONDS):
        from .tasks import scan_attention  # tasks imports this module

        scan_attention.enqueue()
    return True


def needs_refresh(report: AttentionReport | None, threshold: Decimal) -> bool:
    return report is None or report.threshold != threshold or report.age_seconds > REFRESH_AFTER_SECONDS
