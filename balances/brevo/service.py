"""Members' Brevo Loyalty balances, matched by e-mail, cached, and failing on their own.

Nothing here raises for an upstream problem: results come back as `Cached` values carrying a message,
so a broken or slow Brevo can only blank its own column or panel, never the Wix view around it.

Brevo has no "reserved" figure. Ours: **reserved = open (draft) debits**, i.e. bookings not yet
completed; **free to spend = balance − reserved**. Open draft credits are shown as "incoming".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import cast

from django.conf import settings
from django.core.cache import cache

from balances.cache import Cached, cached_copy, read_or_failed, read_through
from balances.concurrency import map_together, run_together
from balances.secrets import SecretUnreadable

from .client import BrevoLoyaltyClient
from .errors import BrevoError, BrevoNotConfigured, BrevoNotEnrolled
from .models import BrevoConnection
from .records import ZERO, BalanceDefinition, Lot, LoyaltyTransaction

FRESH_SECONDS = 60  # Brevo suggests caching balance reads 30-60 s
KEEP_SECONDS = 24 * 3600
CONTACT_SECONDS = 3600  # contact ids don't change; "no contact" is re-checked sooner
NO_CONTACT_SECONDS = 600
DEFINITIONS_SECONDS = 600


@dataclass(frozen=True)
class LoyaltyBalance:
    definition: BalanceDefinition
    value: Decimal  # what Brevo calls the balance: completed transactions only
    reserved: Decimal | None = None  # open draft debits (None in the list, which skips history)
    incoming: Decimal | None = None  # open draft credits
    lots: tuple[Lot, ...] = ()

    @property
    def free(self) -> Decimal | None:
        if self.reserved is None:
            return None
        floor = self.definition.min_amount if self.definition.min_amount is not None else ZERO
        return max(self.value - self.reserved, floor)


@dataclass(frozen=True)
class MemberLoyalty:
    state: str  # "enrolled", "no_contact" or "not_enrolled"
    balances: tuple[LoyaltyBalance, ...] = ()

    @property
    def enrolled(self) -> bool:
        return self.state == "enrolled"


def _fingerprint(connection: BrevoConnection, api_key: str) -> str:
    raw = repr((settings.BREVO_API_BASE_URL, str(connection.program_id), api_key))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Source:
    client: BrevoLoyaltyClient
    fingerprint: str

    @property
    def scope(self) -> str:
        """The read cache's scope: one Brevo account and program."""
        return f"brevo:{self.fingerprint}"

    def key(self, *parts: object) -> str:
        return ":".join(("brevo", self.fingerprint, *map(str, parts)))


def connect(connection: BrevoConnection | None = None) -> Source:
    """The configured Brevo source. Raises BrevoNotConfigured (also when the stored key is unreadable)."""
    connection = connection or BrevoConnection.current()
    if connection is None:
        raise BrevoNotConfigured()
    try:
        api_key = connection.api_key()
    except SecretUnreadable as exc:
        raise BrevoNotConfigured(
            "The stored Brevo API key can't be read any more: an owner must enter it again in Settings."
        ) from exc
    client = BrevoLoyaltyClient(
        api_key, str(connection.program_id), settings.BREVO_API_BASE_URL, timeout=settings.BREVO_TIMEOUT_SECONDS
    )
    return Source(client, _fingerprint(connection, api_key))


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def contact_id(source: Source, email: str) -> int | None:
    key = source.key("contact", _email_key(email))
    cached = cache.get(key)
    if isinstance(cached, int):
        return cached or None  # 0 marks "no such contact"
    found = source.client.find_contact_id(email) if email else None
    cache.set(key, found or 0, CONTACT_SECONDS if found else NO_CONTACT_SECONDS)
    return found


def definitions(source: Source) -> list[BalanceDefinition]:
    return read_through(
        source.scope, "definitions", source.client.definitions, fresh_seconds=DEFINITIONS_SECONDS, keep_seconds=DEFINITIONS_SECONDS
    ).value


def _summary(source: Source, email: str) -> MemberLoyalty:
    """List view: the completed balance per definition (one loyalty call after the contact lookup)."""
    cid = contact_id(source, email)
    if cid is None:
        return MemberLoyalty("no_contact")
    try:
        values = source.client.balances(cid)
    except BrevoNotEnrolled:
        return MemberLoyalty("not_enrolled")
    return MemberLoyalty("enrolled", tuple(LoyaltyBalance(d, values.get(d.id, ZERO)) for d in definitions(source)))


def _detail(source: Source, email: str) -> MemberLoyalty:
    """Member panel: balances, expiring lots and open drafts per definition, read side by side."""
    summary = _summary(source, email)
    if not summary.enrolled:
        return summary
    cid = contact_id(source, email)
    if cid is None:  # enrolled means found a moment ago (the contact id is cached for an hour)
        return summary
    # Flat: every balance's lots and history in one batch, read side by side.
    calls: list[Callable[[], list[Lot] | list[LoyaltyTransaction]]] = [
        partial(read, cid, b.definition.id) for b in summary.balances for read in (source.client.lots, source.client.history)
    ]
    results = run_together(*calls, pool="brevo") if calls else ()
    return MemberLoyalty(
        "enrolled",
        tuple(
            _with_activity(balance, cast(list[Lot], results[2 * i]), cast(list[LoyaltyTransaction], results[2 * i + 1]))
            for i, balance in enumerate(summary.balances)
        ),
    )


def _with_activity(balance: LoyaltyBalance, lots: list[Lot], history: list[LoyaltyTransaction]) -> LoyaltyBalance:
    open_items = [t for t in history if t.is_open]
    return LoyaltyBalance(
        balance.definition,
        balance.value,
        reserved=sum((-t.amount for t in open_items if t.kind == "debit"), ZERO),
        incoming=sum((t.amount for t in open_items if t.kind == "credit"), ZERO),
        lots=tuple(sorted(lots, key=lambda lot: (lot.expires is None, lot.expires or lot.created))),
    )


def _describe(error: Exception) -> str:
    return getattr(error, "message", "") or "Brevo returned an error."


def _loyalty_read(
    source: Source, key: str, load: Callable[[], MemberLoyalty], *, refresh: bool = False
) -> Cached[MemberLoyalty | None]:
    return read_or_failed(
        source.scope,
        key,
        load,
        failing=BrevoError,
        fresh_seconds=FRESH_SECONDS,
        keep_seconds=KEEP_SECONDS,
        describe=_describe,
        refresh=refresh,
    )


def member_loyalty(email: str, *, refresh: bool = False) -> Cached[MemberLoyalty | None]:
    try:
        source = connect()
    except BrevoNotConfigured as error:
        return Cached.failed(error.message, BrevoNotConfigured)
    return _loyalty_read(source, f"member:{_email_key(email)}", lambda: _detail(source, email), refresh=refresh)


@dataclass(frozen=True)
class LoyaltyColumn:
    """The Brevo column of one member-list page."""

    by_email: dict[str, Cached[MemberLoyalty | None]]
    error: str = ""
    not_loaded: int = 0  # members past the per-page lookup cap; they fill in on later views

    def get(self, email: str) -> Cached[MemberLoyalty | None] | None:
        return self.by_email.get(email)


def loyalty_column(emails: list[str]) -> LoyaltyColumn:
    """Summaries for a page of members at a bounded cost: cached ones are free, and at most
    BREVO_LIST_LOOKUPS uncached members are fetched per page (two calls each: contact lookup,
    subscription balances; plus one definitions call every ten minutes)."""
    try:
        source = connect()
    except BrevoNotConfigured as error:
        return LoyaltyColumn({}, error=error.message)
    found: dict[str, Cached[MemberLoyalty | None]] = {}
    to_fetch: list[str] = []
    not_loaded = 0
    for email in dict.fromkeys(e for e in emails if e):
        copy = cached_copy(source.scope, _summary_key(email), MemberLoyalty, fresh_seconds=FRESH_SECONDS)
        if copy is not None and not copy.stale:
            found[email] = copy
        elif len(to_fetch) < settings.BREVO_LIST_LOOKUPS:
            to_fetch.append(email)
        else:
            not_loaded += 1
            if copy is not None:
                found[email] = copy

    def fetch(email: str) -> Cached[MemberLoyalty | None]:
        return _loyalty_read(source, _summary_key(email), lambda: _summary(source, email))

    message = ""
    if to_fetch:
        # The first on its own: if Brevo is down, refuses the key or is out of budget, stop there
        # instead of spending the rest of the page's calls on the same answer.
        first = fetch(to_fetch[0])
        found[to_fetch[0]] = first
        if first.failure is None:
            for email, result in zip(to_fetch[1:], map_together(fetch, to_fetch[1:]), strict=True):
                found[email] = result
        else:
            message = first.error
            not_loaded += len(to_fetch) - 1
    message = message or next((r.error for r in found.values() if r.error), "")
    return LoyaltyColumn(found, error=message, not_loaded=not_loaded)


def _summary_key(email: str) -> str:
    return f"summary:{_email_key(email)}"
