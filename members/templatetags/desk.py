"""Small presentation helpers of the desk's pages."""

from django import template

register = template.Library()


@register.filter
def ended_pools(row) -> list:
    """A member's ended plans, folded under "+N ended" in the list so the live ones stay in view."""
    return [p for p in row.pools if p.status == "ENDED"]
