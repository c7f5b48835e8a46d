from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def credits(value):
    """7 for Decimal("7.0000"), 1.5 for "1.50": credits read as counts, not as money."""
    if value is None:
        return "—"
    return format(Decimal(value).normalize(), "f")


@register.filter
def signed(value):
    value = Decimal(value)
    return ("+" if value > 0 else "") + credits(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def attention_count(report, key):
    return report.count(key)
