"""How a credit amount is written, everywhere: pages, CSV, the JSON API and messages.

Credits read as counts, not money: Wix sends "7.0000", people see 7; "1.50" is 1.5. Plain decimal
notation always (never 1E+1), so the text round-trips through Decimal.
"""

from __future__ import annotations

from decimal import Decimal

NONE = "—"


def _number(value: Decimal | str | int | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        return None


def credits_text(value: Decimal | str | int | None) -> str:
    """ "7" for Decimal("7.0000"), "1.5" for "1.50", "—" for a missing amount (a refused undo, an unresolved
    change, a balance that could not be read): never an error page."""
    number = _number(value)
    return NONE if number is None else format(number.normalize(), "f")


def signed_credits_text(value: Decimal | str | int | None) -> str:
    """ "+2", "-1.5", "0": a change, with its direction; "—" when there is none to show."""
    number = _number(value)
    return NONE if number is None else ("+" if number > 0 else "") + credits_text(number)
