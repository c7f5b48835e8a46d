"""Reconcile our audit log against the sandbox's ledger: the proof of "exactly once"."""

from decimal import Decimal

from balances.audit import AuditEntry


def signed(tx) -> Decimal:
    amount = Decimal(tx["amount"])
    return (amount if tx["target"] == "AVAILABLE" else 0) - (amount if tx["source"] == "AVAILABLE" else 0)


def reconcile(studio, pool_id, start: Decimal) -> dict:
    """Every applied row has exactly one Wix transaction (by key, or the reverting one for an undo), no
    transaction of ours lacks an applied row, and the applied deltas add up to the balance's change."""
    ours = {e.idempotency_key: e for e in AuditEntry.objects.filter(pool_id=pool_id)}
    ledger = studio.transactions_for(pool_id)
    by_key: dict[str, list] = {}
    for tx in ledger:
        if tx.get("idempotencyKey") in ours:
            by_key.setdefault(tx["idempotencyKey"], []).append(tx)
    reverts = {tx["relatedTransactionId"]: tx for tx in ledger if tx.get("relatedTransactionId")}
    doubled = [k for k, txs in by_key.items() if len(txs) > 1]
    lost = [k for k in by_key if ours[k].outcome != AuditEntry.Outcome.APPLIED]
    missing = []
    for key, entry in ours.items():
        if entry.outcome != AuditEntry.Outcome.APPLIED:
            continue
        if entry.kind == AuditEntry.Kind.UNDO and entry.reverts and entry.reverts.transaction_id in reverts:
            continue
        if key not in by_key:
            missing.append(key)
    applied = [e for e in ours.values() if e.outcome == AuditEntry.Outcome.APPLIED]
    now = Decimal(studio.balance(pool_id)["amount"]["available"])
    deltas = sum((e.delta for e in applied if e.delta is not None), Decimal(0))
    return {
        "doubled": doubled,
        "lost": lost,  # applied in Wix, not recorded applied
        "missing": missing,  # recorded applied, not in Wix
        "undelta": [e.idempotency_key for e in applied if e.delta is None],
        "sum_matches": deltas == now - start,
        "balance": now,
    }


def assert_reconciled(studio, pool_id, start: Decimal) -> dict:
    found = reconcile(studio, pool_id, start)
    assert found["doubled"] == [] and found["lost"] == [] and found["missing"] == [], found
    assert found["undelta"] == [] and found["sum_matches"], found
    return found
