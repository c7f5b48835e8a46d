from django import template

from balances.adjustments import new_key

register = template.Library()


@register.simple_tag
def new_idempotency_key() -> str:
    """A key made when a write button is rendered, so resubmitting that button can apply only once."""
    return new_key()
