from django import template

from balances.adjustments import new_key

register = template.Library()


@register.simple_tag
def new_idempotency_key() -> str:
    """A key made when a write button is rendered, so resubmitting that button can apply only once."""
    return new_key()


@register.simple_tag
def our_changes(transactions) -> dict:
    """Credit Desk's own changes among these Wix transactions, by transaction ID (balances.ours: our audit
    log joined by transaction ID, idempotency key or revert link — whatever Wix kept of reason or party)."""
    from balances.ours import recognise

    return recognise(transactions)
