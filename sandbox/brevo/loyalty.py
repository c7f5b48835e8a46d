"""The Brevo side's data: contacts, one loyalty program, balance definitions, lots and transactions.

Seeded deterministically from a list of e-mail addresses (the Wix studio's members), so the two
sandboxes describe the same people. Dates are relative to the Wix sandbox's reference now
(2026-11-23T09:00:00Z). Both status spellings are seeded on purpose: Brevo renamed `pending` → `draft`
and `complete` → `completed` on 2026-09-03 and old transactions still carry the old names.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ..studio import guid_from_rng

REF_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PROGRAM_ID = "3f6b2a9c-8e1d-4c7a-b5f0-2d9e8c7b6a51"
CREDITS_ID = "7c1e9a4b-2f3d-4e5a-8b6c-0d1e2f3a4b5c"
CASH_ID = "a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c6d"
DRAFT_ONLY_ID = "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _definition(bdid: str, name: str, unit: str, months: int | None) -> dict:
    d = {
        "id": bdid,
        "name": name,
        "description": "",
        "unit": unit,
        "minAmount": 0,
        "maxAmount": 500,
        "balanceOptionAmountOvertakingStrategy": "partial",
        "balanceOptionCreditRounding": "lower",
        "balanceOptionDebitRounding": "upper",
        "meta": {},
        "createdAt": "2026-09-01T08:00:00Z",
        "updatedAt": "2026-10-02T09:12:00Z",
        "deletedAt": None,
    }
    if months:
        d.update(
            balanceAvailabilityDurationValue=months,
            balanceAvailabilityDurationUnit="month",
            balanceAvailabilityDurationModifier="endOfPeriod",
        )
    return d


class Loyalty:
    """One Brevo account with one published loyalty program. Thread-safe through `lock`."""

    def __init__(self, program_id: str = PROGRAM_ID):
        self.lock = threading.RLock()
        self.program_id = program_id
        # Published (active) definitions; `draft_definitions` adds work not yet published.
        self.definitions = [_definition(CREDITS_ID, "Class credits", "POINTS", 6), _definition(CASH_ID, "Studio cash", "EUR", None)]
        self.draft_definitions = [*self.definitions, _definition(DRAFT_ONLY_ID, "Referral points", "POINTS", 12)]
        self.contacts: dict[int, dict] = {}
        self.by_email: dict[str, int] = {}
        self.enrolled: dict[int, str] = {}  # contact id -> loyaltySubscriptionId
        self.lots: dict[tuple[int, str], list[dict]] = {}
        self.transactions: dict[tuple[int, str], list[dict]] = {}

    # --- reads used by the handlers and by tests ----------------------------------------------------
    def contact_by_email(self, email: str) -> dict | None:
        cid = self.by_email.get(email.strip().lower())
        return self.contacts.get(cid) if cid is not None else None

    def balance(self, contact_id: int, bdid: str) -> Decimal:
        return sum((Decimal(str(lot["amount"])) for lot in self.lots.get((contact_id, bdid), [])), Decimal(0))

    def history(self, contact_id: int, bdid: str) -> list[dict]:
        return self.transactions.get((contact_id, bdid), [])

    # --- writes used by the seed and tests ----------------------------------------------------------
    def add_contact(self, email: str) -> dict:
        cid = 1000 + len(self.contacts)
        contact = {
            "id": cid,
            "email": email.lower(),
            "emailBlacklisted": False,
            "smsBlacklisted": False,
            "createdAt": "2026-01-05T10:00:00.000Z",
            "modifiedAt": "2026-11-01T10:00:00.000Z",
            "attributes": {},
            "listIds": [2],
            "statistics": {},
        }
        self.contacts[cid] = contact
        self.by_email[email.lower()] = cid
        return contact

    def enroll(self, contact_id: int, subscription_id: str = "") -> None:
        self.enrolled[contact_id] = subscription_id or f"sub-{contact_id}"
        for d in self.definitions:
            self.lots.setdefault((contact_id, d["id"]), [])
            self.transactions.setdefault((contact_id, d["id"]), [])

    def add_lot(
        self, contact_id: int, bdid: str, amount, created: datetime, expires: datetime | None, status: str = "completed"
    ) -> None:
        rng_id = f"lot-{contact_id}-{bdid[:4]}-{len(self.lots[(contact_id, bdid)])}"
        self.lots[(contact_id, bdid)].append(
            {"id": rng_id, "amount": amount, "createdAt": iso(created), "expiresAt": iso(expires) if expires else None}
        )
        self.add_transaction(contact_id, bdid, amount, status, created, expires=expires)

    def add_transaction(
        self,
        contact_id: int,
        bdid: str,
        amount,
        status: str,
        created: datetime,
        *,
        expires: datetime | None = None,
        meta: dict | None = None,
    ) -> dict:
        history = self.transactions[(contact_id, bdid)]
        tx = {
            "id": f"tx-{contact_id}-{bdid[:4]}-{len(history)}",
            "amount": amount,
            "transactionType": "credit" if amount >= 0 else "debit",
            "status": status,
            "createdAt": iso(created),
            "meta": meta or {},
        }
        if status in ("completed", "complete"):
            tx["completedAt"] = iso(created + timedelta(seconds=1))
            if expires:
                tx["balanceExpirationDate"] = iso(expires)
        elif status == "cancelled":
            tx["cancelledAt"] = iso(created + timedelta(hours=2))
        history.append(tx)
        return tx


def build_loyalty(emails: list[str], seed: int = 7) -> Loyalty:
    """Most e-mails are Brevo contacts; most contacts are enrolled; every enrolled one has lots and history.

    The first three e-mails are fixed cases tests can rely on: 0 enrolled with a draft debit spelled
    `draft` and one spelled `pending`, 1 a contact who is not enrolled (Brevo answers 422), 2 not a contact.
    """
    rng = random.Random(seed)
    loyalty = Loyalty()
    for index, email in enumerate(emails):
        if index == 2 or (index > 2 and rng.random() < 0.15):
            continue
        contact = loyalty.add_contact(email)
        if index == 1 or (index > 2 and rng.random() < 0.15):
            continue
        cid = contact["id"]
        loyalty.enroll(cid, subscription_id=guid_from_rng(rng))
        _seed_member(loyalty, cid, rng, fixed=index == 0)
    return loyalty


def _seed_member(loyalty: Loyalty, cid: int, rng: random.Random, *, fixed: bool) -> None:
    # Class credits: one to three lots, each expiring at the end of its sixth month.
    lots = 2 if fixed else rng.randint(1, 3)
    for n in range(lots):
        created = REF_NOW - timedelta(days=(lots - n) * 40 + (0 if fixed else rng.randint(0, 20)))
        amount = 5 if fixed else rng.choice([2, 4, 5, 8, 10])
        status = "completed" if (fixed and n == 0) or (not fixed and rng.random() < 0.6) else "complete"
        loyalty.add_lot(cid, CREDITS_ID, amount, created, created + timedelta(days=183), status=status)
    # Open bookings: draft debits ("reserved"), in either spelling.
    drafts = (
        [("draft", -1), ("pending", -2)]
        if fixed
        else [(rng.choice(["draft", "pending"]), -rng.randint(1, 2)) for _ in range(rng.randint(0, 2))]
    )
    for n, (status, amount) in enumerate(drafts):
        loyalty.add_transaction(
            cid, CREDITS_ID, amount, status, REF_NOW - timedelta(hours=3 + n), meta={"booking": f"class-{cid}-{n}"}
        )
    # History that moves nothing: a cancelled debit and a still-open credit (an unconfirmed order).
    loyalty.add_transaction(cid, CREDITS_ID, -1, "cancelled", REF_NOW - timedelta(days=9))
    if fixed or rng.random() < 0.3:
        loyalty.add_transaction(cid, CREDITS_ID, 5, "draft", REF_NOW - timedelta(days=1), meta={"order": f"pack-{cid}"})
    # Studio cash: a never-expiring wallet for about half the members.
    if fixed or rng.random() < 0.5:
        loyalty.add_lot(
            cid, CASH_ID, 12.5 if fixed else rng.choice([5, 10, 12.5, 20]), REF_NOW - timedelta(days=30), None, status="completed"
        )
