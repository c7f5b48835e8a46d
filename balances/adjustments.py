"""Change a member's credits in Wix safely: checked against what the person saw, applied once, audited.

Wix's Change Balance takes an idempotency key but has no revision guard (docs/wix.md#change-balance-and-revert), so:

1. the form carries the balance revision it was rendered from and a key made at render time;
2. adjustments of one pool run one at a time (`pool_lock`, held in the database so it dies with its
   holder and survives a cache restart; a busy pool is answered at once, never waited for);
3. the audit row is claimed (unique key, status "pending") before any Wix call, marked `sent_at` just
   before each attempt, and completed after;
4. the balance is re-read; if its revision moved, nothing is applied (outcome "conflict");
5. once an attempt may have reached Wix, only a definite answer from Wix settles the row: a lost answer,
   and anything after it that says nothing about the key (429, the breaker, our budget, a refused
   connection, our own database or cache failing), leaves it "unknown" with its key. Retrying first
   looks for the key among the pool's transactions, then re-reads and re-checks the revision, and only
   then resends the same key — whose 409 ALREADY_EXECUTED means "it was applied": never applied twice.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Concatenate, ParamSpec

from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from . import held, ledger
from .audit import AuditEntry
from .cache import cached_copy, invalidate
from .concurrency import run_together
from .credits import MemberDetail
from .formatting import credits_text
from .pool_lock import PoolBusy, pool_lock
from .reads import PAGES, member_scope
from .wix import errors
from .wix.client import BalanceChange, WixClient
from .wix.connection import connection_fingerprint
from .wix.records import Balance, Transaction

log = logging.getLogger(__name__)
P = ParamSpec("P")

Outcome = AuditEntry.Outcome
Kind = AuditEntry.Kind

MAX_CREDITS = Decimal("1000")  # per change and for an exact value: bigger numbers are typos
ENDED = "ENDED"
ENDED_REFUSED = "This plan has ended. Only an owner can change an ended plan."
UNCONFIRMED = "Wix did not confirm the change; it may or may not have been applied — Retry applies it at most once (same key)."

__all__ = ["PoolBusy", "adjust", "undo", "new_key", "AdjustmentRequest", "AdjustmentResult", "Outcome", "Kind"]


@dataclass(frozen=True)
class AdjustmentRequest:
    member_id: str
    pool_id: str
    mode: str  # "add" | "remove" | "set"
    amount: Decimal  # > 0 for add/remove; the exact new value for set
    reason: str
    idempotency_key: str
    revision: str  # the balance revision the form was rendered from
    allow_negative: bool = False

    @property
    def kind(self) -> str:
        return Kind.SET if self.mode == "set" else Kind.ADJUST

    @property
    def requested(self) -> Decimal:
        """What goes on the wire: the signed delta for ADJUST, the target for SET."""
        return -self.amount if self.mode == "remove" else self.amount


@dataclass(frozen=True)
class AdjustmentResult:
    outcome: str
    message: str
    entry: AuditEntry | None
    balance: Balance | None = None  # the balance as it is now, when we know it
    seen_revision: str = ""  # for conflicts: what the person confirmed against
    replayed: bool = False  # a resubmit answered from the audit log, without calling Wix
    retry_after: float | None = None  # Wix (or our call budget) asked to hold off this long
    unrecorded: bool = False  # Wix answered, but our audit log could not be written (completed by Resolve)
    forbidden: bool = False  # refused for who is asking (an ended plan is the owner's), not for the numbers

    @property
    def applied(self) -> bool:
        return self.outcome == Outcome.APPLIED


def _finish(entry: AuditEntry, outcome: str, message: str = "", **fields: object) -> AuditEntry:
    entry.outcome = outcome
    entry.message = message[:500]
    entry.completed_at = timezone.now()
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.save()
    return entry


def _settle(entry: AuditEntry, result: AdjustmentResult, **fields: object) -> AdjustmentResult:
    """Record Wix's answer. If our database fails now, Wix's answer still stands: the person is told what
    Wix did (never a 500 that invites a second try), and the row — "pending", marked sent — is completed
    by Resolve, which finds the change by its key."""
    try:
        _finish(entry, result.outcome, result.message, **fields)
    except DatabaseError:
        log.exception("audit: could not record Wix's answer for %s", entry.idempotency_key)
        note = " The audit log could not be updated just now; it will be completed automatically."
        return AdjustmentResult(result.outcome, result.message + note, entry, result.balance, result.seen_revision, unrecorded=True)
    return result


def _mark_sent(entry: AuditEntry) -> None:
    """Committed before the call: from here on the change may reach Wix. If the database refuses this,
    nothing is sent (DatabaseError reaches the page: "nothing was sent")."""
    entry.sent_at = timezone.now()
    entry.save(update_fields=["sent_at"])


def _claim(
    user: User,
    request: AdjustmentRequest,
    *,
    kind: str,
    reverts: AuditEntry | None = None,
) -> tuple[AuditEntry, bool]:
    """The audit row for this key, created "pending" if new. Committed before any Wix call."""
    try:
        with transaction.atomic():
            entry = AuditEntry.objects.create(
                user=user,
                username=user.get_username(),
                member_id=request.member_id,
                pool_id=request.pool_id,
                kind=kind,
                requested=request.requested if kind != Kind.UNDO else None,
                revision_seen=request.revision,
                allow_negative=request.allow_negative,
                reason=request.reason[:256],
                idempotency_key=request.idempotency_key,
                reverts=reverts,
            )
        return entry, True
    except IntegrityError:
        return AuditEntry.objects.get(idempotency_key=request.idempotency_key), False


def _same_change(entry: AuditEntry, request: AdjustmentRequest) -> bool:
    return entry.pool_id == request.pool_id and entry.kind == request.kind and entry.requested == request.requested


def _replay(entry: AuditEntry) -> AdjustmentResult:
    return AdjustmentResult(entry.outcome, entry.message or entry.get_outcome_display(), entry, replayed=True)


def _replay_conflict(client: WixClient, entry: AuditEntry) -> AdjustmentResult:
    """A conflict form sent again (double click, a second tab): the same answer, with today's balance so the
    person can decide again (a conflict applied nothing, so there is nothing to protect)."""
    try:
        balance = client.get_balance(entry.pool_id)
    except errors.WixError:
        balance = None
    return AdjustmentResult(Outcome.CONFLICT, entry.message, entry, balance, seen_revision=entry.revision_seen, replayed=True)


def _describe(error: errors.WixError) -> str:
    if isinstance(error, errors.WixPreconditionFailed) and error.code == "BALANCE_EXCEEDED_LIMITS":
        return "Wix refused the change: it would take the balance below zero."
    if isinstance(error, errors.WixConflict) and error.refused:
        return f"Wix refused the change ({error.code}); nothing was applied."
    return error.message


def _hold_off(error: errors.WixError) -> float | None:
    return getattr(error, "retry_after", None) if isinstance(error, errors.WixRateLimited | errors.WixUnknownOutcome) else None


def adjust(
    client: WixClient,
    user: User,
    request: AdjustmentRequest,
    *,
    may_go_negative: bool = False,
    may_change_ended: bool = True,
) -> AdjustmentResult:
    """Apply one adjustment at most once. `may_go_negative`: the person holds the permission;
    `may_change_ended`: they may change an ended plan (owners), judged on the balance read before sending.

    Raises PoolBusy at once when another change to the pool is under way (nothing written or sent)."""
    with pool_lock(request.pool_id), client.budget.writing():  # a person is sending a change: first in line
        entry, created = _claim(user, request, kind=request.kind)
        if not created:
            if not _same_change(entry, request):
                return AdjustmentResult(
                    Outcome.REFUSED, "This form was already used for a different change. Open the form again.", None
                )
            if entry.outcome == Outcome.CONFLICT:
                return _replay_conflict(client, entry)
            if entry.outcome in (Outcome.UNKNOWN, Outcome.PENDING) and entry.sent_at is not None:
                return _resume(client, entry, request, may_go_negative=may_go_negative)
            if entry.outcome != Outcome.PENDING:
                return _replay(entry)
            # Pending and never sent (we stopped before the call): the whole check runs as for a new form.
        return _check_and_send(client, entry, request, may_go_negative=may_go_negative, may_change_ended=may_change_ended)


def _check_and_send(
    client: WixClient, entry: AuditEntry, request: AdjustmentRequest, *, may_go_negative: bool, may_change_ended: bool = True
) -> AdjustmentResult:
    """Re-read, compare with the revision the person saw, apply. Nothing has reached Wix yet.

    The names for the audit row come from the member's panel the person just had open (its cached copy),
    so a change costs Wix one read and one write; only without that copy are the pool and member read too."""
    names = _names_from_panel(client, request)
    try:
        if names is not None:
            balance = client.get_balance(request.pool_id)
            owner, (entry.member_name, entry.plan_name) = balance.member_id, names
        else:
            balance, pool, member = run_together(
                lambda: client.get_balance(request.pool_id),
                lambda: client.get_pool(request.pool_id),
                lambda: client.get_member(request.member_id),
            )
            owner, entry.member_name, entry.plan_name = pool.member_id, member.name[:200], pool.plan_name[:200]
    except errors.WixError as error:
        _finish(entry, Outcome.FAILED, f"Could not read the balance first: {error.message}")
        return AdjustmentResult(Outcome.FAILED, entry.message, entry, retry_after=_hold_off(error))
    if owner != request.member_id:
        _finish(entry, Outcome.REFUSED, "This plan does not belong to this member.")
        return AdjustmentResult(Outcome.REFUSED, entry.message, entry, balance)
    if balance.status == ENDED and not may_change_ended:
        # Checked on the read the change makes anyway (one call less than a read of its own).
        _finish(entry, Outcome.REFUSED, ENDED_REFUSED)
        return AdjustmentResult(Outcome.REFUSED, entry.message, entry, balance, forbidden=True)
    return _compare_and_send(client, entry, request, balance, may_go_negative=may_go_negative)


def _names_from_panel(client: WixClient, request: AdjustmentRequest) -> tuple[str, str] | None:
    """(member name, plan name) from the member's cached panel — or the member page's row it was drawn
    from, or what our database holds (held.py) — if it shows this pool. Names only: the numbers are always
    read again, and whose plan it is comes from that read (the balance's beneficiary)."""
    try:
        connection = connection_fingerprint(client.auth)
        panel = cached_copy(connection, held.panel_key(request.member_id), MemberDetail)
        row = held.row_copy(connection, request.member_id, subscope=PAGES)
    except Exception:  # the cache is away: read the names from Wix instead
        return None
    for member, pools in [(c.value.member, c.value.pools) for c in (panel, row) if c is not None]:
        for pool in pools:
            if pool.pool_id == request.pool_id and pool.member_id == request.member_id:
                return member.name[:200], pool.plan_name[:200]
    # Else the change feed's row of the pool and the search index: two Wix reads fewer for a change.
    found = held.stored_names(request.member_id, request.pool_id)
    return (found[0][:200], found[1][:200]) if found is not None else None


def _compare_and_send(
    client: WixClient,
    entry: AuditEntry,
    request: AdjustmentRequest,
    balance: Balance,
    *,
    may_go_negative: bool,
    resuming: bool = False,
) -> AdjustmentResult:
    entry.available_before = balance.available
    if balance.revision != request.revision:
        _finish(
            entry,
            Outcome.CONFLICT,
            f"The balance changed since the form was shown "
            f"(revision {request.revision} → {balance.revision}). Nothing was applied.",
        )
        return AdjustmentResult(Outcome.CONFLICT, entry.message, entry, balance, seen_revision=request.revision)

    after = request.amount if request.mode == "set" else balance.available + request.requested
    entry.delta = after - balance.available
    entry.available_after = after
    if entry.delta == 0:
        _finish(entry, Outcome.REFUSED, "The balance already has that value; nothing to change.")
        return AdjustmentResult(Outcome.REFUSED, entry.message, entry, balance)
    if after < 0 and not (request.allow_negative and may_go_negative):
        # Owners hold the permission: what they lack is the tick, so say that, not "only an owner".
        why = (
            "Tick “Allow the balance to go below zero” to go ahead."
            if may_go_negative
            else "Only an owner can allow a balance below zero."
        )
        _finish(entry, Outcome.REFUSED, f"That would leave {credits_text(after)} credits. {why}")
        return AdjustmentResult(Outcome.REFUSED, entry.message, entry, balance)
    entry.save()  # before/after on record before the call
    return _send(client, entry, request, before=balance, resuming=resuming)


def _resume(client: WixClient, entry: AuditEntry, request: AdjustmentRequest, *, may_go_negative: bool) -> AdjustmentResult:
    """An earlier attempt may have reached Wix. Look for it in the pool's transactions; if Wix does not have
    it, re-read and re-check the revision exactly as a new form would, and only then send the same key."""
    try:
        found = ledger.find_change(client, entry)
        balance = client.get_balance(entry.pool_id)
    except errors.WixError as error:
        return _still_unknown(entry, f"Wix could not be asked about it right now ({error.message}).", error)
    if found is not None:
        return record_found(entry, found, balance)
    if balance.revision == request.revision:  # nothing changed since the form: safe to send the same key
        return _compare_and_send(client, entry, request, balance, may_go_negative=may_go_negative, resuming=True)
    # The balance moved and our key is not among the pool's transactions.
    if ledger.attempt_settled(entry):
        return _compare_and_send(client, entry, request, balance, may_go_negative=may_go_negative)  # a plain conflict
    return _still_unknown(entry, "Wix has not shown the change yet; try again in a few seconds.", None)


def _still_unknown(entry: AuditEntry, why: str, error: errors.WixError | None) -> AdjustmentResult:
    message = f"{UNCONFIRMED} {why}".strip()
    return _settle(
        entry, AdjustmentResult(Outcome.UNKNOWN, message, entry, retry_after=_hold_off(error) if error is not None else None)
    )


def record_found(entry: AuditEntry, found: Transaction, balance: Balance | None) -> AdjustmentResult:
    """Wix's ledger holds our change: applied, with the delta it really made."""
    fields: dict[str, object] = {"transaction_id": found.id, "delta": found.available_change}
    if entry.available_before is None and balance is not None and balance.revision == entry.revision_seen:
        fields["available_before"] = balance.available
    if balance is not None:
        fields["available_after"] = balance.available
    done = "Undone" if entry.kind == Kind.UNDO else "Applied"
    message = f"{done} (confirmed in Wix's transactions)."
    return _settle(entry, AdjustmentResult(Outcome.APPLIED, message, entry, balance), **fields)


def _invalidates_reads(
    write: Callable[Concatenate[WixClient, P], AdjustmentResult],
) -> Callable[Concatenate[WixClient, P], AdjustmentResult]:
    """Whatever Wix may have changed, cached pages must not keep showing the old numbers."""

    @functools.wraps(write)
    def wrapper(client: WixClient, /, *args: P.args, **kwargs: P.kwargs) -> AdjustmentResult:
        result = write(client, *args, **kwargs)
        if result.outcome in (Outcome.APPLIED, Outcome.UNKNOWN):
            member = result.entry.member_id if result.entry is not None else ""
            try:
                invalidate(connection_fingerprint(client.auth), subscopes=[PAGES, member_scope(member)] if member else None)
            except Exception:  # the cache is down: its copies expire on their own; the change stands
                log.warning("could not invalidate cached reads after a change", exc_info=True)
        return result

    return wrapper


@_invalidates_reads
def _send(
    client: WixClient,
    entry: AuditEntry,
    request: AdjustmentRequest,
    *,
    before: Balance | None,
    resuming: bool = False,
) -> AdjustmentResult:
    """Send the change under the row's key. `resuming`: an earlier attempt may have reached Wix."""
    _mark_sent(entry)
    try:
        change = client.change_balance(
            request.pool_id,
            idempotency_key=entry.idempotency_key,
            value=credits_text(entry.requested),
            set_exact=entry.kind == Kind.SET,
            reason=entry.reason,
            member_id=entry.member_id,
        )
    except errors.WixConflict as error:
        if error.already_applied:  # an earlier attempt with this key went through (its answer was lost)
            return _confirm_applied(client, entry, str(error.data.get("transactionId") or ""))
        if error.refused:
            return _settle(entry, AdjustmentResult(Outcome.REFUSED, _describe(error), entry, before))
        # ABORTED (Wix's concurrency error) or a 409 we do not know: it says nothing about an earlier attempt.
        if resuming or error.code != "ABORTED":
            return _still_unknown(entry, f"Wix answered {error.code or 'a conflict'}.", error)
        message = "Wix was busy with another change to this plan and applied nothing. Try again."
        return _settle(entry, AdjustmentResult(Outcome.FAILED, message, entry, before))
    except errors.WixUnknownOutcome as error:
        return _still_unknown(entry, "", error)
    except (errors.WixPreconditionFailed, errors.WixBadRequest, errors.WixNotFound) as error:
        # Wix checks the key first: a business refusal means this key was never applied.
        return _settle(entry, AdjustmentResult(Outcome.REFUSED, _describe(error), entry, before))
    except errors.WixError as error:
        if resuming:  # 429, the breaker, our budget, a refused connection: no word on the earlier attempt
            return _still_unknown(entry, error.message, error)
        # Refused before reaching Wix (our budget, the breaker, a refused connection) or by Wix before
        # applying (429, auth): nothing changed, and no earlier attempt exists.
        result = AdjustmentResult(Outcome.FAILED, error.message, entry, before, retry_after=_hold_off(error))
        return _settle(entry, result)
    except Exception:
        # Our own side failed around the call (the cache under the budget or breaker, a bug): the change
        # may have been applied. Unknown, same key — never a 500 inviting a second, fresh attempt.
        log.exception("change %s: failure around the Wix call", entry.idempotency_key)
        return _still_unknown(entry, "", None)
    fields: dict[str, object] = {"transaction_id": change.transaction_id, "available_after": change.balance.available}
    fields["delta"] = _moved(client, entry, change, before)
    return _settle(entry, AdjustmentResult(Outcome.APPLIED, "Applied.", entry, change.balance), **fields)


def _moved(client: WixClient, entry: AuditEntry, change: BalanceChange, before: Balance | None) -> Decimal | None:
    """What this change moved. Never "after − before": our pool lock keeps colleagues out, not a member
    booking a class on the site between our read and Wix applying the change (nor a colleague whose
    lock died with a database connection), and both would be counted as ours.
    An ADJUST moves exactly its value. A SET moves what Wix's own transaction says; only if that cannot
    be read is the lock-time estimate recorded (then logged)."""
    if entry.kind != Kind.SET:
        return entry.requested
    if change.transaction_id:
        try:
            return client.get_transaction(change.transaction_id).available_change
        except errors.WixError:
            log.warning("change %s: its transaction could not be read; delta from the balance", entry.idempotency_key)
    return change.balance.available - before.available if before is not None else None


def _confirm_applied(client: WixClient, entry: AuditEntry, transaction_id: str) -> AdjustmentResult:
    """ALREADY_EXECUTED: applied earlier. Its payload need not carry the transactionId, and the delta of a
    lost answer is unknown: both come from the pool's transactions, found by our key (undo needs them)."""
    found = None
    try:
        found = ledger.find_change(client, entry)
    except errors.WixError:
        pass
    try:
        balance = client.get_balance(entry.pool_id)
    except errors.WixError:
        balance = None
    if found is not None:
        return record_found(entry, found, balance)
    fields: dict[str, object] = {"transaction_id": transaction_id}
    if balance is not None:
        fields["available_after"] = balance.available
    result = AdjustmentResult(Outcome.APPLIED, "Applied (confirmed by Wix on retry).", entry, balance)
    return _settle(entry, result, **fields)


# --- undo --------------------------------------------------------------------------------------------


def undo_refusal(original: AuditEntry) -> str:
    """Why `original` cannot be undone, judged from the log alone; "" when it can be."""
    if original.outcome != Outcome.APPLIED or not original.transaction_id or original.kind in (Kind.UNDO, Kind.STAFF):
        return "Only an applied change can be undone."
    if original.delta is None:
        return "How much this change moved is not on record, so it cannot be undone safely."
    if original.undos.exclude(outcome__in=[Outcome.REFUSED, Outcome.FAILED, Outcome.CONFLICT]).exists():
        return "This change was already undone."
    return ""


def undo(
    client: WixClient, user: User, original: AuditEntry, *, idempotency_key: str, may_go_negative: bool = False
) -> AdjustmentResult:
    """Undo an applied change by the opposite change, once; the undo is audited like any change.
    `may_go_negative`: the person holds the below-zero permission (the same rule as an adjustment).

    Never through Wix's Revert: it is deprecated (removal planned for 2027-03-31) and ignores its
    idempotency key, so a lost answer could only be settled by Wix refusing a second revert. The
    compensating change is a Change Balance of minus what the change did (a SET's real effect too),
    under the undo's own key: a retry after a lost answer resends that key and cannot apply twice.
    """
    request = AdjustmentRequest(
        member_id=original.member_id,
        pool_id=original.pool_id,
        mode="undo",
        amount=Decimal(0),
        reason=f"Undo: {original.reason}",
        idempotency_key=idempotency_key,
        revision="",
    )
    with pool_lock(original.pool_id), client.budget.writing():
        original.refresh_from_db()
        if not AuditEntry.objects.filter(idempotency_key=idempotency_key).exists():
            # Refused before Wix is asked: nothing to record (a row without amounts only clutters the log).
            if refusal := undo_refusal(original):
                return AdjustmentResult(Outcome.REFUSED, refusal, None)
        entry, created = _claim(user, request, kind=Kind.UNDO, reverts=original)
        if not created:
            if entry.reverts_id != original.pk:
                return AdjustmentResult(Outcome.REFUSED, "This undo button was already used for another change.", None)
            if entry.outcome not in (Outcome.UNKNOWN, Outcome.PENDING):
                return _replay(entry)
            if entry.sent_at is not None:
                return _resume_undo(client, entry, original)
        entry.member_name, entry.plan_name = original.member_name, original.plan_name
        entry.delta = -original.delta if original.delta is not None else None
        if original.outcome != Outcome.APPLIED or not original.transaction_id or original.kind == Kind.UNDO:
            _finish(entry, Outcome.REFUSED, "Only an applied change can be undone.")
            return AdjustmentResult(Outcome.REFUSED, entry.message, entry)
        if original.delta is None:
            _finish(entry, Outcome.REFUSED, "How much this change moved is not on record, so it cannot be undone safely.")
            return AdjustmentResult(Outcome.REFUSED, entry.message, entry)
        if original.undos.exclude(pk=entry.pk).exclude(outcome__in=[Outcome.REFUSED, Outcome.FAILED, Outcome.CONFLICT]).exists():
            _finish(entry, Outcome.REFUSED, "This change was already undone.")
            return AdjustmentResult(Outcome.REFUSED, entry.message, entry)
        return _compensate(client, entry, original.delta, resuming=False, may_go_negative=may_go_negative)


def _resume_undo(client: WixClient, entry: AuditEntry, original: AuditEntry) -> AdjustmentResult:
    """An earlier attempt of this undo may have reached Wix: its transaction (our key, or — for an undo
    made before Revert was dropped — the revert's link to the change) settles it; else the same key again."""
    try:
        found = ledger.find_change(client, entry)
    except errors.WixError as error:
        return _still_unknown(entry, f"Wix could not be asked about it right now ({error.message}).", error)
    if found is not None:
        try:
            balance = client.get_balance(entry.pool_id)
        except errors.WixError:
            balance = None
        return record_found(entry, found, balance)
    if original.delta is None:  # pragma: no cover - refused before any attempt is sent
        return _still_unknown(entry, "", None)
    return _compensate(client, entry, original.delta, resuming=True)


def _reverted_elsewhere(client: WixClient, entry: AuditEntry) -> list[Transaction]:
    """Transactions that revert the undone change (a Revert made in Wix or another tool links to it)."""
    original = entry.reverts
    if original is None or not original.transaction_id:
        return []
    found = client.query_transactions(
        filter={"$and": [{"pool.id": entry.pool_id}, {"relatedTransactionId": original.transaction_id}]}, limit=10
    )
    return [t for t in found.items if t.status != "FAILED" and t.available_change == -(original.delta or 0)]


def _compensate(
    client: WixClient, entry: AuditEntry, delta: Decimal, *, resuming: bool, may_go_negative: bool = False
) -> AdjustmentResult:
    """Send minus `delta` (what the undone change did) under the undo's key, after reading the balance."""
    try:
        before, reverted = run_together(
            lambda: client.get_balance(entry.pool_id), lambda: [] if resuming else _reverted_elsewhere(client, entry)
        )
    except errors.WixError as error:
        if resuming:  # no word on the earlier attempt
            return _still_unknown(entry, f"Wix could not be asked about it right now ({error.message}).", error)
        _finish(entry, Outcome.FAILED, f"Could not read the balance first: {error.message}")
        return AdjustmentResult(Outcome.FAILED, entry.message, entry, retry_after=_hold_off(error))
    if reverted:
        # Revert refused a second revert by itself; a compensating change must look first.
        _finish(entry, Outcome.REFUSED, "Wix says this change was already reverted (outside Credit Desk). Nothing was changed.")
        return AdjustmentResult(Outcome.REFUSED, entry.message, entry, before)
    after = before.available - delta
    if not resuming and after < 0 and not may_go_negative:
        # The credits it added were booked or used since; undoing would take the member below zero. The
        # adjustment's rule and permission: only whoever may allow a balance below zero goes ahead.
        message = (
            f"Undoing it would leave {credits_text(after)} credits: they were used since. Nothing was changed. "
            "Only an owner can allow a balance below zero."
        )
        _finish(entry, Outcome.REFUSED, message, available_before=before.available, available_after=after)  # what was weighed
        return AdjustmentResult(Outcome.REFUSED, entry.message, entry, before)
    if entry.available_before is None:
        entry.available_before = before.available
    entry.requested, entry.available_after = -delta, after  # recorded as what is sent
    entry.save()
    opposite = AdjustmentRequest(
        member_id=entry.member_id,
        pool_id=entry.pool_id,
        mode="add" if delta < 0 else "remove",
        amount=abs(delta),
        reason=entry.reason,
        idempotency_key=entry.idempotency_key,
        revision=before.revision,
    )
    return _send(client, entry, opposite, before=None if resuming else before, resuming=resuming)


def new_key() -> str:
    return str(uuid.uuid4())
