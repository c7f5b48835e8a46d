from django import template

from balances.adjustments import new_key

register = template.Library()


@register.simple_tag
def new_idempotency_key() -> str:
    """A key made when a write button is rendered, so resubmitting that button can apply only once."""
    return new_key()


@register.simple_tag
def our_changes(transactions) -> dict:
    """Credit Desk's applied changes among these Wix transactions, by transaction ID (one query). Their reason is
    ours, since Wix may keep none (``transactionDetails.reason`` is read-only in its request type); those not yet
    undone offer Undo (``entry.undoable``)."""
    from balances.audit import AuditEntry

    ids = [t.id for t in transactions if t.id]
    entries = AuditEntry.objects.filter(transaction_id__in=ids, outcome=AuditEntry.Outcome.APPLIED).prefetch_related("undos")
    return {e.transaction_id: e for e in entries}
