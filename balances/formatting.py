"""How a credit amount is written, everywhere: pages, CSV, the JSON API and messages.

Credits read as counts, not money: Wix sends "7.0000", people see 7; "1.50" is 1.5. Plain decimal
notation always (never 1E+1), so the text round-trips through Decimal.
"""

from __future__ import annotations

from decimal import Decimal

NONE = "—"


def credits_text(value: Decimal | str | int | None) -> str:
    """ "7" for Decimal("7.0000"), "1.5" for "1.50", "—" for None."""
    if value is None:
        return NONE
    return format(Decimal(value).normalize(), "f")


def signed_credits_text(value: Decimal | str | int) -> str:
    """ "+2", "-1.5", "0": a change, with its direction."""
    value = Decimal(value)
    return ("+" if value > 0 else "") + credits_text(value)
