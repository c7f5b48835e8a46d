from django import template

from balances.formatting import credits_text, signed_credits_text

register = template.Library()


@register.filter
def credits(value):
    """7 for Decimal("7.0000"), 1.5 for "1.50", — for nothing (balances.formatting)."""
    return credits_text(value)


@register.filter
def signed(value):
    return signed_credits_text(value)


@register.filter
def ago(moment):
    """How long ago `moment` was, as the pages say it ("12 s ago", "4 min ago"): a stale copy's age."""
    from datetime import UTC, datetime

    from members.attention import age_text

    return age_text((datetime.now(UTC) - moment).total_seconds()) if moment else ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def attention_count(report, key):
    return report.count(key)


@register.filter
def running_low(row, threshold):
    """The member list's "low" highlight: exactly Needs attention's "Running low" (balances.definitions)."""
    return row.running_low(threshold)
