"""One member's remaining credits, for the site's booking flow (by member ID or login email), and — given
a Bookings service — whether one of the member's plans can pay for it right now (Wix's Eligible Pools:
an active pool covering the service with enough credits for one session).

The credits are served through the read cache (the member panel's copy: the same key, invalidated by the
same writes), so a booking page asking again and again costs Wix nothing; what Wix must answer is spent
from the machines' share of the call budget (budget.SHARES), which always leaves people theirs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from .cache import read_through
from .catalog import get_services
from .credits import MemberCredits
from .formatting import credits_text
from .reads import member_detail_read
from .wix.bookings_records import EligibleBenefit
from .wix.budget import MACHINES
from .wix.client import WixClient
from .wix.errors import WixNotFound, WixRateLimited, WixUnavailable


class UnknownService(LookupError):
    """The serviceId names no Bookings service of this site."""


@dataclass(frozen=True)
class ServiceAnswer:
    """Can a plan pay for one session of this service now, and which plans could."""

    service_id: str
    name: str
    eligible: tuple[EligibleBenefit, ...]

    @property
    def can_pay(self) -> bool:
        return bool(self.eligible)


@dataclass(frozen=True)
class CreditLookup:
    member_id: str
    credits: MemberCredits
    as_of: datetime
    stale: bool = False  # Wix failed; this is the last good copy, as of `as_of`
    service: ServiceAnswer | None = field(default=None)

    def as_json(self) -> dict[str, object]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else credits_text(value)

        credits = self.credits
        return {
            "memberId": self.member_id,
            "available": text(credits.total_available),
            "reserved": text(credits.total_reserved),
            "onHold": text(credits.total_on_hold),
            "unlimited": credits.has_unlimited,
            "outOfCredits": credits.out_of_credits,
            "canBook": credits.can_book,  # documented meaning, kept for sites already using it
            "pools": [
                {
                    "poolId": p.pool_id,
                    "plan": p.plan_name,
                    "status": p.status,
                    "available": text(p.available),
                    "reserved": text(p.reserved),
                }
                for p in credits.pools
            ],
            "asOf": self.as_of.isoformat().replace("+00:00", "Z"),
            "stale": self.stale,
        } | ({"service": self._service_json()} if self.service is not None else {})

    def _service_json(self) -> dict[str, object]:
        assert self.service is not None
        plans = {p.pool_id: p.plan_name for p in self.credits.pools}
        return {
            "serviceId": self.service.service_id,
            "name": self.service.name,
            "canPay": self.service.can_pay,
            "pools": [
                {"poolId": e.pool_id, "plan": plans.get(e.pool_id, ""), "price": credits_text(e.price)}
                for e in self.service.eligible
            ],
        }


def member_id_for_email(client: WixClient, email: str) -> str:
    found = client.query_members(filter={"loginEmail": email.strip().lower()}, limit=2).members
    if not found:
        raise WixNotFound("No member with this email.")
    return found[0].id


def _member_id_read(client: WixClient, connection: str, email: str) -> str:
    """The member ID of a login e-mail, cached like any read (the key is a digest: no e-mails in Redis)."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return read_through(
        connection,
        f"member-by-email:{digest}",
        lambda: member_id_for_email(client, email),
        fresh_seconds=settings.WIX_READ_CACHE_SECONDS,
        keep_seconds=settings.WIX_STALE_SECONDS,
        stale_on=(WixUnavailable, WixRateLimited),
        single_flight=True,
    ).value


def lookup_credits(
    client: WixClient, connection: str, *, member_id: str = "", email: str = "", service_id: str = ""
) -> CreditLookup:
    """`connection` (the connection's fingerprint) keys the cached reads, including the list of services a
    `service_id` is checked against: Eligible Pools answers "none" for an unknown service, which would read
    as "no plan"."""
    # Machines' calls leave people their share of the Wix budget (budget.SHARES).
    with client.budget.share(MACHINES):
        name = ""
        if service_id:
            found = get_services(client, connection).get(service_id)
            if found is None:
                raise UnknownService(service_id)
            name = found.name
        member_id = member_id or _member_id_read(client, connection, email)
        detail = member_detail_read(client, connection, member_id)
        service = None
        if service_id:  # asked after the member is known to exist: an unknown member stays a 404
            service = ServiceAnswer(service_id, name, tuple(client.eligible_pools(service_id=service_id, member_id=member_id)))
    as_of = detail.fetched_at or datetime.now(UTC)
    return CreditLookup(member_id, detail.value.credits, as_of, stale=detail.stale, service=service)
