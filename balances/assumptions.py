"""One short probe of a real Wix site for the behaviours Wix does not document (docs/wix-probe.md).

`read_probe` only reads (a handful of calls). `pair_probe` makes one +1 and one −1 on a plan the owner
names, through the normal adjustment path (audited), and resends the +1 with its own key in between to
see how Wix answers a repeated key — checking the balance after each step, taking back at once anything
Wix applied twice, and ending where it started.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User

from .adjustments import AdjustmentRequest, adjust, new_key
from .catalog import get_catalog
from .ours import recognise
from .wix import errors
from .wix.client import WixClient
from .wix.connection import connection_fingerprint
from .wix.records import Transaction

PROBE_REASON = "Credit Desk probe"


@dataclass(frozen=True)
class Finding:
    question: str
    answer: str
    settled: bool  # False: the evidence here was not enough to say


def read_probe(client: WixClient) -> list[Finding]:
    findings = [_members_total(client), _plans_without_credits(client)]
    recent = client.query_transactions(sort=[{"fieldName": "createdDate", "order": "DESC"}], limit=100).items
    findings += _our_changes(recent)
    findings.append(_renewal_wording(recent))
    findings.append(_consistency(client))
    return findings


def _members_total(client: WixClient) -> Finding:
    total = client.query_members(limit=1).total
    if total is None:
        return Finding("Query Members gives a total", "no: `total` missing or `tooManyToCount`", True)
    return Finding("Query Members gives a total", f"yes ({total} members)", True)


def _plans_without_credits(client: WixClient) -> Finding:
    question = "Plans without credits: no balance, a '0' balance, or no pool"
    unlimited = get_catalog(client, connection_fingerprint(client.auth), refresh=True).unlimited_ids
    if not unlimited:
        return Finding(question, "the site sells no plan without credits", False)
    pools = client.query_pools(filter={"poolDefinitionId": {"$in": unlimited}}, limit=20).items
    if not pools:
        return Finding(question, "no pool of such a plan (no member holds one, or Wix makes none)", False)
    balances = client.query_balances(filter={"id": {"$in": [p.id for p in pools]}}, limit=20).items
    if not balances:
        return Finding(question, f"no balance ({len(pools)} pools looked at)", True)
    amounts = sorted({str(b.available) for b in balances})
    return Finding(question, f"a balance of {', '.join(amounts)} ({len(balances)} of {len(pools)} pools)", True)


def _our_changes(recent: list[Transaction]) -> list[Finding]:
    ours = recognise(recent)
    mine = [(t, ours[t.id]) for t in recent if t.id in ours and ours[t.id].entry is not None]
    if not mine:
        return [Finding("Our changes in Wix's recent history", "none among the last 100 transactions", False)]
    keys = sum(1 for t, o in mine if o.entry is not None and t.idempotency_key == o.entry.idempotency_key)
    reasons = sum(1 for t, _ in mine if t.reason)
    parties = Counter(t.instructed_by or "none" for t, _ in mine)
    n = len(mine)
    return [
        Finding("Change Balance copies our idempotency key onto the transaction", f"{keys} of {n}", True),
        Finding("transactionDetails.reason survives", f"{reasons} of {n} keep a reason", True),
        Finding("instructingParty on our changes", ", ".join(f"{k}: {v}" for k, v in parties.items()), True),
    ]


def _renewal_wording(recent: list[Transaction]) -> Finding:
    grants = Counter(t.reason or "(no reason)" for t in recent if t.target == "AVAILABLE" and t.source == "EXTERNAL")
    if not grants:
        return Finding("How grants and renewals are worded", "no credits added among the last 100", False)
    return Finding("How grants and renewals are worded", "; ".join(f"{r!r} ×{n}" for r, n in grants.most_common(6)), True)


def _consistency(client: WixClient) -> Finding:
    token = client.consistency.last_seen
    return Finding("Wix sends X-Wix-Consistent", "yes" if token else "not on these reads", bool(token))


def pair_probe(client: WixClient, user: User, pool_id: str) -> list[Finding]:
    """+1, the same +1 again with its key (must not apply twice), −1. The balance ends where it started."""
    balance = client.get_balance(pool_id)
    start, member_id = balance.available, balance.member_id
    plus = AdjustmentRequest(member_id, pool_id, "add", Decimal(1), f"{PROBE_REASON} +1", new_key(), balance.revision)
    added = adjust(client, user, plus)
    if not added.applied:
        return [Finding("The probe's +1", f"not applied: {added.message}", False)]
    findings = [_repeat(client, added.entry.idempotency_key if added.entry else plus.idempotency_key, pool_id)]
    now = client.get_balance(pool_id)
    extra = now.available - start - 1
    if extra > 0:  # Wix applied the repeated key: take it back before anything else
        findings.append(Finding("A repeated key is applied once", f"NO: Wix applied it again (+{extra})", True))
        back = AdjustmentRequest(member_id, pool_id, "remove", extra, f"{PROBE_REASON}: repeat taken back", new_key(), now.revision)
        adjust(client, user, back)
        now = client.get_balance(pool_id)
    else:
        findings.append(Finding("A repeated key is applied once", "yes", True))
    minus = AdjustmentRequest(member_id, pool_id, "remove", Decimal(1), f"{PROBE_REASON} −1", new_key(), now.revision)
    removed = adjust(client, user, minus)
    end = client.get_balance(pool_id).available
    findings.append(
        Finding("The balance ends where it started", f"{'yes' if end == start else 'NO'}: {start} → {end}", removed.applied)
    )
    history = client.query_transactions(
        filter={"pool.id": pool_id}, sort=[{"fieldName": "createdDate", "order": "DESC"}], limit=10
    ).items
    findings += _our_changes(history)
    findings.append(_consistency(client))
    return findings


def _repeat(client: WixClient, key: str, pool_id: str) -> Finding:
    question = "A repeated idempotency key answers"
    try:
        client.change_balance(pool_id, idempotency_key=key, value="1", reason=f"{PROBE_REASON} +1 (repeat)")
    except errors.WixError as error:
        data = f", data {sorted(error.data)}" if error.data else ", no data"
        return Finding(question, f"HTTP {error.status} {error.code or '(no code)'}{data}", True)
    return Finding(question, "HTTP 200 (the first answer replayed, or applied again: see the next line)", True)
