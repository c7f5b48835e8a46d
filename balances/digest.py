"""The owner's morning digest: what it says (this module), when and to whom it goes (`due`, `claim`).

What it says comes from the change feed's state (balances/feed.py) — no Wix call: out of credits, running
low, credits lost at the next renewal, paused plans, and yesterday's changes (the feed's transactions) and
adjustments (our audit log). It is rendered and sent by studio/digest.py.

At most once per owner per day, even with several workers: a worker first *claims* the day by inserting
the owner's `DigestDelivery` row for that date (unique per owner and day, so exactly one insert wins), and
only then sends. A worker that crashes between claiming and sending has lost that day's digest: nobody
sends it again (that is the price of never sending it twice); the next run logs it and marks the row.

The unsubscribe link carries a signed, single-purpose token (django.core.signing, its own salt) naming
the owner and the subscription's link generation: using it bumps the generation, so it works once, and
a tampered token fails the signature.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import IntegrityError
from django.utils import timezone

from . import drift, roles
from .attention import CATEGORIES, Flagged
from .audit import AuditEntry
from .feed import cached_state_report, current_state
from .studio_state import DigestDelivery, DigestSubscription, FeedEvent
from .wix.connection import connection_fingerprint, current_auth
from .wix.errors import WixError

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "credit-desk.digest.unsubscribe"  # a token signed for anything else does not verify here
UNSUBSCRIBE_MAX_AGE = 60 * 24 * 3600  # a link older than 60 days is refused
LIST_LIMIT = 25  # members shown per list; the rest are a link away
LOST_AFTER = timedelta(minutes=10)  # a claim this old and not sent: its worker died

SECTIONS = ("out", "low", "over_cap", "paused")


@dataclass(frozen=True)
class DriftLine:
    """One line of a drift list (a check comparing two sources about a member), for the digest."""

    member_id: str
    name: str
    detail: str


def drift_lines(fingerprint: str) -> tuple[DriftLine, ...]:
    """The bookings-vs-credits check's members (balances/drift.py, as of its last run), one line each, with
    what disagrees. Empty (no check ran yet, or nothing disagrees) = the section is left out."""
    return tuple(
        DriftLine(member.member_id, member.name, "; ".join(flag.summary for flag in member.flags))
        for member in drift.for_digest(fingerprint)
    )


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    count: int
    members: tuple[Flagged, ...]  # the first LIST_LIMIT


@dataclass(frozen=True)
class Digest:
    day: date  # the studio's today (the digest covers yesterday's changes)
    as_of: datetime | None  # of the answers; None when the feed has no state yet
    threshold: Decimal
    sections: tuple[Section, ...]
    changes_by: dict[str, int]  # yesterday's transactions by who made them (FeedEvent.By labels)
    changes_total: int
    adjustments: tuple[AuditEntry, ...]  # yesterday's changes made here, newest first
    drift: tuple[DriftLine, ...] = field(default_factory=tuple)


def studio_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = studio_zone()
    return datetime.combine(day, time.min, zone), datetime.combine(day + timedelta(days=1), time.min, zone)


def current_fingerprint() -> str:
    """The Wix connection's fingerprint, or "" without one (the digest then says there are no answers yet)."""
    try:
        return connection_fingerprint(current_auth())
    except WixError:
        return ""


def build(fingerprint: str, today: date | None = None) -> Digest:
    today = today or timezone.now().astimezone(studio_zone()).date()
    state = current_state(fingerprint)
    report = cached_state_report(fingerprint) if state else None
    titles = {c.key: c.title for c in CATEGORIES}
    sections = tuple(
        Section(key, titles[key], report.count(key) if report else 0, report.groups.get(key, ())[:LIST_LIMIT] if report else ())
        for key in SECTIONS
    )
    start, end = _day_bounds(today - timedelta(days=1))
    yesterday = FeedEvent.objects.filter(created__gte=start, created__lt=end)
    labels = dict(FeedEvent.By.choices)
    by = Counter(str(labels.get(b, b)) for b in yesterday.values_list("by", flat=True))
    adjustments = tuple(AuditEntry.objects.filter(created_at__gte=start, created_at__lt=end).order_by("-created_at")[:50])
    return Digest(
        day=today,
        as_of=report.as_of if report else None,
        threshold=report.threshold if report else Decimal(0),
        sections=sections,
        changes_by=dict(by.most_common()),
        changes_total=sum(by.values()),
        adjustments=adjustments,
        drift=drift_lines(fingerprint) if fingerprint else (),
    )


# --- who gets it, and when ---------------------------------------------------------------------------


def due(now: datetime | None = None) -> list[DigestSubscription]:
    """Subscriptions whose time has come today (studio time zone) and whose day is not claimed yet."""
    now = now or timezone.now()
    local = now.astimezone(studio_zone())
    claimed = set(DigestDelivery.objects.filter(day=local.date()).values_list("user_id", flat=True))
    subscriptions = DigestSubscription.objects.filter(enabled=True, user__is_active=True).select_related("user")
    return [
        s
        for s in subscriptions
        if s.send_at <= local.time() and s.user_id not in claimed and s.user.email and s.user.has_perm(roles.MANAGE_CONNECTION)
    ]


def claim(subscription: DigestSubscription, day: date, worker: str) -> DigestDelivery | None:
    """Claim one owner's digest of `day`; None when another worker (or an earlier run) has it."""
    try:
        return DigestDelivery.objects.create(user_id=subscription.user_id, day=day, claimed_at=timezone.now(), worker=worker[:64])
    except IntegrityError:
        return None


def mark_sent(delivery: DigestDelivery) -> None:
    DigestDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())


def mark_failed(delivery: DigestDelivery, error: str) -> None:
    DigestDelivery.objects.filter(pk=delivery.pk).update(error=error[:500])


def report_lost(now: datetime | None = None) -> int:
    """Claims that were never sent (their worker died between claiming and sending): logged, marked."""
    cutoff = (now or timezone.now()) - LOST_AFTER
    lost = list(DigestDelivery.objects.filter(sent_at__isnull=True, error="", claimed_at__lt=cutoff).select_related("user"))
    for delivery in lost:
        log.error(
            "morning digest for %s on %s was claimed by %s but never sent (the worker stopped?): that day's digest is lost",
            delivery.user.username,
            delivery.day,
            delivery.worker or "a worker",
        )
        mark_failed(delivery, "lost: claimed, never sent")
    return len(lost)


# --- the unsubscribe link ----------------------------------------------------------------------------


def unsubscribe_token(subscription: DigestSubscription) -> str:
    return signing.dumps({"u": subscription.user_id, "g": subscription.link_generation}, salt=UNSUBSCRIBE_SALT, compress=True)


class TokenRefused(Exception):
    def __init__(self, message: str, *, used: bool = False) -> None:
        super().__init__(message)
        self.message, self.used = message, used


def subscription_for(token: str) -> DigestSubscription:
    """The subscription a token is for, while the token is valid and unused; else TokenRefused."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired as error:
        raise TokenRefused("This unsubscribe link has expired; turn the digest off on its settings page.") from error
    except signing.BadSignature as error:
        raise TokenRefused("This unsubscribe link is not valid (was it copied whole?).") from error
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("g"), int):
        raise TokenRefused("This unsubscribe link is not valid (was it copied whole?).")
    subscription = DigestSubscription.objects.filter(user_id=data["u"]).first()
    if subscription is None or subscription.link_generation != data["g"] or not subscription.enabled:
        raise TokenRefused("This unsubscribe link has already been used.", used=True)
    return subscription


def unsubscribe(token: str) -> DigestSubscription:
    """Turn the digest off through a link; works once (a conditional update, so two clicks cannot both win)."""
    subscription = subscription_for(token)
    done = DigestSubscription.objects.filter(pk=subscription.pk, link_generation=subscription.link_generation, enabled=True).update(
        enabled=False, link_generation=subscription.link_generation + 1, unsubscribed_at=timezone.now()
    )
    if not done:
        raise TokenRefused("This unsubscribe link has already been used.", used=True)
    subscription.refresh_from_db()
    return subscription
