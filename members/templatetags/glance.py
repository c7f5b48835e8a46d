"""At-a-glance SVG for a pool: a credit bar and a balance-history sparkline, drawn on the server.

Sizes are SVG attributes, never style="" (the CSP forbids inline styles); colours come from classes.
"""

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join

from balances.explain import effect
from balances.formatting import credits_text

register = template.Library()

BAR_WIDTH = 100  # viewBox units; the element stretches to the card


def _pct(value: Decimal, scale: Decimal) -> str:
    return f"{max(min(value / scale * BAR_WIDTH, BAR_WIDTH), 0):.2f}"


@register.simple_tag
def credit_bar(pool):
    """Free (solid) then booked (hatched) credits, with a tick at the rollover cap."""
    if pool.available is None:
        return ""
    available, reserved = max(pool.available, Decimal(0)), max(pool.reserved or Decimal(0), Decimal(0))
    scale = max(available + reserved, pool.rollover_cap or 0, pool.pack_size or 0, Decimal(1))
    cap = ""
    if pool.rollover_cap is not None:
        x = _pct(pool.rollover_cap, scale)
        cap = format_html('<line class="bar-cap" x1="{}" x2="{}" y1="0" y2="10"><title>rollover cap</title></line>', x, x)
    label = f"{credits_text(available)} {pool.available_words}, {credits_text(reserved)} booked, not yet used"
    if pool.rollover_cap is not None:
        label += f", rollover cap {credits_text(pool.rollover_cap)}"
    return format_html(
        '<svg class="credit-bar" viewBox="0 0 {w} 10" preserveAspectRatio="none" role="img" aria-label="{label}">'
        '<rect class="bar-track" x="0" y="0" width="{w}" height="10"></rect>'
        '<rect class="bar-available" x="0" y="0" width="{a}" height="10"></rect>'
        '<rect class="bar-reserved" x="{a}" y="0" width="{r}" height="10"></rect>{cap}</svg>',
        w=BAR_WIDTH,
        label=label,
        a=_pct(available, scale),
        r=_pct(reserved, scale),
        cap=cap,
    )


def history_points(pool, transactions) -> list[Decimal]:
    """Free credits after each of the pool's recent transactions, oldest first, ending at today's balance."""
    points = [pool.available]
    for tx in transactions:  # newest first, as the panel lists them
        if tx.pool_id == pool.pool_id:
            points.append(points[-1] - effect(tx)[0])
    return points[::-1]


@register.simple_tag
def balance_sparkline(pool, transactions):
    if pool.available is None:
        return ""
    points = history_points(pool, transactions)
    if len(points) < 2:
        return ""
    high, low = max(points), min(min(points), Decimal(0))
    span = (high - low) or Decimal(1)
    step = 100 / (len(points) - 1)
    coords = [(f"{i * step:.1f}", f"{28 - float((p - low) / span) * 26:.1f}") for i, p in enumerate(points)]
    return format_html(
        '<svg class="sparkline" viewBox="0 0 100 30" preserveAspectRatio="none" role="img" '
        'aria-label="Free credits over the last {n} changes: from {first} to {last}">'
        '<polyline points="{pts}"></polyline></svg>',
        n=len(points) - 1,
        first=credits_text(points[0]),
        last=credits_text(points[-1]),
        pts=format_html_join(" ", "{},{}", coords),
    )
