from django import template

from balances.adjustments import new_key

register = template.Library()


@register.simple_tag
def new_idempotency_key() -> str:
    """A key made when a write button is rendered, so resubmitting that button can apply only once."""
    return new_key()


@register.simple_tag
def undoable_changes(transactions) -> dict:
    """Our applied, not yet undone changes among these Wix transactions, by transaction ID (one query)."""
    from balances.audit import AuditEntry

    ids = [t.id for t in transactions if t.id]
    entries = (
        AuditEntry.objects.filter(transaction_id__in=ids, outcome=AuditEntry.Outcome.APPLIED)
        .exclude(kind=AuditEntry.Kind.UNDO)
        .prefetch_related("undos")
    )
    return {e.transaction_id: e for e in entries if e.undoable}
