"""One member's remaining credits, for the site's booking flow (by member ID or login email)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .credits import MemberCredits, member_detail
from .formatting import credits_text
from .wix.budget import MACHINES
from .wix.client import WixClient
from .wix.errors import WixNotFound


@dataclass(frozen=True)
class CreditLookup:
    member_id: str
    credits: MemberCredits
    as_of: datetime

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
        }


def member_id_for_email(client: WixClient, email: str) -> str:
    found = client.query_members(filter={"loginEmail": email.strip().lower()}, limit=2).members
    if not found:
        raise WixNotFound("No member with this email.")
    return found[0].id


def lookup_credits(client: WixClient, *, member_id: str = "", email: str = "") -> CreditLookup:
    # Machines' calls leave people their share of the Wix budget (budget.SHARES).
    with client.budget.share(MACHINES):
        member_id = member_id or member_id_for_email(client, email)
        detail = member_detail(client, member_id, transactions=1)
    return CreditLookup(member_id, detail.credits, datetime.now(UTC))
