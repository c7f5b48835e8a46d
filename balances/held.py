"""What Credit Desk already holds about one member, for a panel Wix cannot be asked for right now.

When our own call budget is spent and a member's panel has no copy yet, the panel is not refused: it is
drawn from the freshest numbers we hold — a row of a member page (the list the person clicked from,
`reads.remember_rows`) or the change feed's state (balances/feed.py: one row per pool, kept current from
Wix's ledger) — and the page says how old they are and why (reads.member_detail_read). Nothing here
calls Wix.

A member's record (name, e-mail, status) changes rarely and carries no credits: a copy up to
MEMBER_RECORD_SECONDS old spares a panel its Get Member call, the way the plan catalog spares a member
page its Query Pools call for plans with credits (catalog.CATALOG_SECONDS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from .cache import Cached, cached_copy
from .catalog import CATALOG_SECONDS
from .credits import MemberCredits, MemberDetail, PoolCredits, _sorted_pools
from .directory.models import DirectoryEntry
from .feed import current_state
from .studio_state import MemberInfo, PoolState
from .wix.records import Member

MEMBER_RECORD_SECONDS = CATALOG_SECONDS
FROM_LIST = "the member list"
FROM_FEED = "the change feed"


def row_key(member_id: str) -> str:
    return f"row:{member_id}"


def panel_key(member_id: str) -> str:
    return f"member:{member_id}"


@dataclass(frozen=True)
class Held:
    """Numbers we hold for a member, and as of when Wix said them."""

    detail: MemberDetail
    as_of: datetime


def row_copy(connection: str, member_id: str, *, subscope: str) -> Cached[MemberCredits] | None:
    """The member's row from the last member page that showed them; `stale` once past the read cache's
    fresh time or once any change was made since (`subscope`: the member pages')."""
    return cached_copy(
        connection, row_key(member_id), MemberCredits, fresh_seconds=settings.WIX_READ_CACHE_SECONDS, subscope=subscope
    )


def member_record(
    connection: str, member_id: str, *, subscope: str, max_age: float | None = MEMBER_RECORD_SECONDS
) -> Member | None:
    """The newest record of this member that a member page or a panel read, if younger than `max_age`
    (None: any age)."""
    found: list[tuple[datetime, Member]] = []
    row = row_copy(connection, member_id, subscope=subscope)
    if row is not None and row.fetched_at is not None:
        found.append((row.fetched_at, row.value.member))
    panel = cached_copy(connection, panel_key(member_id), MemberDetail)
    if panel is not None and panel.fetched_at is not None:
        found.append((panel.fetched_at, panel.value.member))
    if not found:
        return None
    at, member = max(found, key=lambda pair: pair[0])
    if max_age is not None and (datetime.now(UTC) - at).total_seconds() > max_age:
        return None
    return member


def _stored_member(member_id: str) -> Member | None:
    """Who the member is from our own database: the search index (name, e-mail, phone) or the feed's names."""
    entry = DirectoryEntry.objects.filter(member_id=member_id).first()
    if entry is not None:
        return _member(member_id, entry.name, entry.email, entry.phone)
    info = MemberInfo.objects.filter(member_id=member_id).first()
    return _member(member_id, info.name, info.email, "") if info is not None else None


def stored_names(member_id: str, pool_id: str) -> tuple[str, str] | None:
    """(member name, plan name) of one of the member's plans from our own database — the change feed's row
    of the pool and the search index — for an audit row (names only: never a number)."""
    pool = PoolState.objects.filter(pool_id=pool_id, member_id=member_id).only("plan_name").first()
    member = _stored_member(member_id) if pool is not None and pool.plan_name else None
    return (member.name, pool.plan_name) if pool is not None and member is not None else None


def _member(member_id: str, name: str, email: str, phone: str) -> Member:
    # Status is not kept there: "" is shown as no status at all, never as a guess.
    return Member(member_id, name, "", "", email, "", "", None, None, phone)


def _from_feed(connection: str, member_id: str) -> tuple[list[PoolCredits], datetime] | None:
    state = current_state(connection)
    if state is None or state.as_of is None:
        return None
    # The state holds every pool of the studio (rebuilt by a full scan, kept by the ledger): no row means no plan.
    pools = [
        PoolCredits(
            pool_id=row.pool_id,
            member_id=row.member_id,
            plan_name=row.plan_name or "Plan",
            status=row.status,
            unit="credits",
            pack_size=None,  # not kept in the state: shown as not known
            available=None if row.unlimited else row.available,
            reserved=None if row.unlimited else row.reserved,
            rollover_enabled=row.rollover_cap is not None,
            rollover_cap=row.rollover_cap,
            updated=row.read_at,
        )
        for row in PoolState.objects.filter(member_id=member_id)
    ]
    return pools, state.as_of


def freshest(connection: str, member_id: str, *, subscope: str, newer_than: datetime | None = None) -> Held | None:
    """The freshest numbers we hold for this member (a member page's row or the change feed's state), if
    newer than `newer_than`; None when we hold none, or cannot say who the member is."""
    candidates: list[Held] = []
    row = row_copy(connection, member_id, subscope=subscope)
    if row is not None and row.fetched_at is not None:
        credits = row.value
        detail = MemberDetail(credits.member, credits.pools, plan_names=_names(credits.pools), held_from=FROM_LIST)
        candidates.append(Held(detail, row.fetched_at))
    feed = _from_feed(connection, member_id)
    if feed is not None:
        pools, as_of = feed
        member = member_record(connection, member_id, subscope=subscope, max_age=None) or _stored_member(member_id)
        if member is not None:
            detail = MemberDetail(member, _sorted_pools(pools), plan_names=_names(pools), held_from=FROM_FEED)
            candidates.append(Held(detail, as_of))
    newer = [c for c in candidates if newer_than is None or c.as_of > newer_than]
    return max(newer, key=lambda c: c.as_of) if newer else None


def _names(pools: tuple[PoolCredits, ...] | list[PoolCredits]) -> dict[str, str]:
    return {p.pool_id: p.plan_name for p in pools}


def rows_of(credits: tuple[MemberCredits, ...]) -> dict[str, object]:
    """A member page's rows as copies keyed by member."""
    return {row_key(row.member.id): row for row in credits}
