"""Recent activity: the change feed itself (balances/feed.py) — what changed, for whom, by whom — newest first.

Every row is a Wix transaction the feed applied; "by whom" is Credit Desk staff when its idempotency key
(or transaction ID) is in our audit log, a booking, a renewal or purchase, or else the Wix dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from .studio_state import FeedEvent, MemberInfo

KINDS = (
    ("added", "Credits added"),
    ("removed", "Credits removed"),
    ("reserved", "Booked (reserved)"),
    ("released", "Booking released"),
    ("used", "Booked credit used"),
)


@dataclass(frozen=True)
class Activity:
    transaction_id: str
    created: datetime
    member_id: str
    member_name: str  # "" when the feed has not needed this member's name
    plan_name: str
    kind: str
    kind_label: str
    change: Decimal
    magnitude: Decimal
    by: str
    by_label: str
    staff_username: str
    reason: str
    item: str


def events(*, member_id: str = "", kind: str = "", by: str = "") -> QuerySet[FeedEvent]:
    """The feed's transactions, newest first, filtered (the values are checked by the caller's form)."""
    found = FeedEvent.objects.order_by("-created", "-transaction_id")
    if member_id:
        found = found.filter(member_id=member_id)
    if kind:
        found = found.filter(kind=kind)
    if by:
        found = found.filter(by=by)
    return found


def described(rows: list[FeedEvent]) -> list[Activity]:
    """Rows as the page shows them, with the names the feed knows."""
    names = dict(MemberInfo.objects.filter(member_id__in={r.member_id for r in rows}).values_list("member_id", "name"))
    kinds = dict(KINDS)
    by = dict(FeedEvent.By.choices)
    return [
        Activity(
            transaction_id=r.transaction_id,
            created=r.created,
            member_id=r.member_id,
            member_name=names.get(r.member_id, ""),
            plan_name=r.plan_name,
            kind=r.kind,
            kind_label=kinds.get(r.kind, r.kind),
            change=r.change,
            magnitude=r.magnitude,
            by=r.by,
            by_label=str(by.get(r.by, r.by)),
            staff_username=r.staff_username,
            reason=r.reason,
            item=r.item,
        )
        for r in rows
    ]
