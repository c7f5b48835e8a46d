from decimal import Decimal

from django import template

register = template.Library()


def _number(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        return None


@register.filter
def credits(value):
    """7 for Decimal("7.0000"), 1.5 for "1.50": credits read as counts, not as money. A missing amount
    (a refused undo, an unresolved change, a balance we could not read) is "—", never an error page."""
    number = _number(value)
    return "—" if number is None else format(number.normalize(), "f")


@register.filter
def signed(value):
    number = _number(value)
    return "—" if number is None else ("+" if number > 0 else "") + credits(number)


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def attention_count(report, key):
    return report.count(key)
