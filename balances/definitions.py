"""What the numbers mean: one definition per question, used by every screen, the CSV export, Needs
attention and the lookup API (the README's glossary says the same in words).

- **Free to book**: `available` credits on ACTIVE and RENEWING plans.
- **Booked, not yet used**: `reserved` credits on those same plans.
- **On hold**: `available` credits on PAUSED and PENDING plans — they exist but cannot be booked until
  Wix makes the plan active again. ENDED and PROVISIONING plans count in neither.
- **Unlimited**: an ACTIVE or RENEWING plan that grants no credits (Wix gives such plans no balance, or
  a "0" one — both are read as unlimited, from the plan's definition, never from the balance).
- **Out of credits**: a member with at least one plan, no credits free to book and no unlimited plan.
  Members without any plan are not counted (they are not plan holders; Wix's balances cannot list them).
- **Running low**: not out of credits, no unlimited plan, and at most N credits free to book (N is the
  owner's threshold). The member list's highlight and Needs attention's list are both exactly this.
- **canBook** (lookup API, documented for sites already using it): an unlimited plan, or more than 0
  credits free to book.

Everything takes a member's plans (anything with `status`, `available`, `reserved` and `unlimited`,
i.e. credits.PoolCredits), so a screen cannot count differently from another.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

ZERO = Decimal(0)
FREE_TO_BOOK_STATUSES = frozenset({"ACTIVE", "RENEWING"})
ON_HOLD_STATUSES = frozenset({"PAUSED", "PENDING"})


class Plan(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def available(self) -> Decimal | None: ...

    @property
    def reserved(self) -> Decimal | None: ...

    @property
    def unlimited(self) -> bool: ...


def bookable(plan: Plan) -> bool:
    """Its credits (or its unlimited access) can be booked now."""
    return plan.status in FREE_TO_BOOK_STATUSES


def held(plan: Plan) -> bool:
    """Paused or pending: its credits are on hold."""
    return plan.status in ON_HOLD_STATUSES


class PlanFacts:
    """`unlimited`, `usable` and `on_hold`, by these definitions, for a plan record (credits.PoolCredits, the
    change feed's feed.StoredPlan) that has `status`, `available` (None: unlimited) and `reserved`."""

    status: str
    available: Decimal | None
    reserved: Decimal | None

    @property
    def unlimited(self) -> bool:
        return self.available is None

    @property
    def usable(self) -> bool:
        return bookable(self)

    @property
    def on_hold(self) -> bool:
        """Paused or pending: its credits exist but cannot be booked."""
        return held(self)


def available_words(plan: Plan) -> str:
    """What a plan's `available` credits are, in the words every screen uses beside the number."""
    if bookable(plan):
        return "free to book"
    return "on hold" if held(plan) else "left, not bookable"


def free_to_book(plans: Iterable[Plan]) -> Decimal:
    return sum((p.available for p in plans if bookable(p) and not p.unlimited and p.available is not None), ZERO)


def booked(plans: Iterable[Plan]) -> Decimal:
    return sum((p.reserved for p in plans if bookable(p) and not p.unlimited and p.reserved is not None), ZERO)


def on_hold(plans: Iterable[Plan]) -> Decimal:
    return sum((p.available for p in plans if held(p) and not p.unlimited and p.available is not None), ZERO)


def has_unlimited(plans: Iterable[Plan]) -> bool:
    """An unlimited plan that can be booked now (a paused unlimited plan books nothing)."""
    return any(p.unlimited and bookable(p) for p in plans)


def out_of_credits(plans: Iterable[Plan]) -> bool:
    plans = list(plans)
    return bool(plans) and free_to_book(plans) <= 0 and not has_unlimited(plans)


def running_low(plans: Iterable[Plan], threshold: Decimal) -> bool:
    plans = list(plans)
    return bool(plans) and not has_unlimited(plans) and ZERO < free_to_book(plans) <= threshold


def can_book(plans: Iterable[Plan]) -> bool:
    """The lookup API's `canBook`, as documented: an unlimited plan, or any credit free to book."""
    plans = list(plans)
    return has_unlimited(plans) or free_to_book(plans) > 0
