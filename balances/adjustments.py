"""Change a member's credits in Wix safely: checked against what the person saw, applied once, audited.

Wix's Change Balance takes an idempotency key but has no revision guard (docs/wix.md#change-balance-and-revert), so:

1. the form carries the balance revision it was rendered from and a key made at render time;
2. adjustments of one pool run one at a time (`pool_lock`), so "re-read, compare, apply" is atomic
   across requests and processes (the lock lives in the Django cache: Redis in production);
3. the audit row is claimed (unique key, status "pending") before any Wix call and completed after;
4. the balance is re-read; if its revision moved, nothing is applied (outcome "conflict");
5. a lost answer leaves the row "unknown"; retrying sends the same key, and Wix's 409 ALREADY_EXECUTED
   then means "it was applied", so nothing is ever applied twice.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Concatenate, ParamSpec

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from .audit import AuditEntry
from .cache import cache_lock, invalidate
from .concurrency import run_together
from .formatting import credits_text
from .wix import errors, retry
from .wix.client import WixClient
from .wix.connection import connection_fingerprint
from .wix.records import Balance

P = ParamSpec("P")
Outcome = AuditEntry.Outcome
Kind = AuditEntry.Kind

MAX_CREDITS = Decimal("1000")  # per change and for an exact value: bigger numbers are typos
LOCK_SECONDS = 60  # longer than the slowest re-read + change (timeouts included)
LOCK_WAIT_SECONDS = 15


class PoolBusy(Exception):
    """Another adjustment of this pool held the lock for too long."""


@contextmanager
def pool_lock(pool_id: str) -> Iterator[None]:
    """Serialize adjustments of one pool across every process; PoolBusy if it stays taken too long."""
    with cache_lock(f"adjust-lock:{pool_id}", hold_seconds=LOCK_SECONDS, wait_seconds=LOCK_WAIT_SECONDS, poll_seconds=0.02) as held:
        if not held:
            raise PoolBusy(pool_id)
        yield


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


def _describe(error: errors.WixError) -> str:
    if isinstance(error, errors.WixPreconditionFailed) and error.code == "BALANCE_EXCEEDED_LIMITS":
        return "Wix refused the change: it would take the balance below zero."
    return error.message


def _hold_off(error: errors.WixError) -> float | None:
    return error.retry_after if isinstance(error, errors.WixRateLimited) else None


def adjust(
    client: WixClient,
    user: User,
    request: AdjustmentRequest,
    *,
    may_go_negative: bool = False,
) -> AdjustmentResult:
    """Apply one adjustment at most once. `may_go_negative`: the person holds the permission."""
    with pool_lock(request.pool_id):
        entry, created = _claim(user, request, kind=request.kind)
        if not created:
            if not _same_change(entry, request):
                return AdjustmentResult(
                    Outcome.REFUSED, "This form was already used for a different change. Open the form again.", None
                )
            if entry.outcome not in (Outcome.UNKNOWN, Outcome.PENDING):
                return _replay(entry)
            # Unknown (or we died mid-way): only resending the same key can tell, and it cannot apply twice.
            return _send(client, entry, request, before=None)

        try:
            balance, pool, member = run_together(
                lambda: client.get_balance(request.pool_id),
                lambda: client.get_pool(request.pool_id),
                lambda: client.get_member(request.member_id),
            )
        except errors.WixError as error:
            _finish(entry, Outcome.FAILED, f"Could not read the balance first: {error.message}")
            return AdjustmentResult(Outcome.FAILED, entry.message, entry, retry_after=_hold_off(error))
        entry.member_name, entry.plan_name = member.name[:200], pool.plan_name[:200]
        entry.available_before = balance.available
        if pool.member_id != request.member_id:
            _finish(entry, Outcome.REFUSED, "This plan does not belong to this member.")
            return AdjustmentResult(Outcome.REFUSED, entry.message, entry, balance)
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
            _finish(
                entry,
                Outcome.REFUSED,
                f"That would leave {credits_text(after)} credits. Only an owner can allow a balance below zero.",
            )
            return AdjustmentResult(Outcome.REFUSED, entry.message, entry, balance)
        entry.save()  # before/after on record before the call
        return _send(client, entry, request, before=balance)


def _invalidates_reads(
    write: Callable[Concatenate[WixClient, P], AdjustmentResult],
) -> Callable[Concatenate[WixClient, P], AdjustmentResult]:
    """Whatever Wix may have changed, cached pages must not keep showing the old numbers."""

    @functools.wraps(write)
    def wrapper(client: WixClient, /, *args: P.args, **kwargs: P.kwargs) -> AdjustmentResult:
        result = write(client, *args, **kwargs)
        if result.outcome in (Outcome.APPLIED, Outcome.UNKNOWN):
            invalidate(connection_fingerprint(client.auth))
        return result

    return wrapper


@_invalidates_reads
def _send(
    client: WixClient,
    entry: AuditEntry,
    request: AdjustmentRequest,
    *,
    before: Balance | None,
) -> AdjustmentResult:
    if entry.requested is None:  # _claim records it for every change it sends
        raise ValueError("an adjustment without a requested value cannot be sent")
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
        # ALREADY_EXECUTED: an earlier attempt with this key went through (its answer was lost).
        return _confirm_applied(client, entry, str(error.data.get("transactionId") or ""))
    except errors.WixUnknownOutcome:
        _finish(
            entry,
            Outcome.UNKNOWN,
            "Wix did not confirm the change; it may or may not have been applied. "
            "Retry: it reuses the same key, so it cannot be applied twice.",
        )
        return AdjustmentResult(Outcome.UNKNOWN, entry.message, entry, before)
    except errors.WixPreconditionFailed as error:
        _finish(entry, Outcome.REFUSED, _describe(error))
        return AdjustmentResult(Outcome.REFUSED, entry.message, entry, before)
    except errors.WixError as error:  # refused before applying (429, 4xx, no connection): nothing changed
        _finish(entry, Outcome.FAILED, error.message)
        return AdjustmentResult(Outcome.FAILED, entry.message, entry, before, retry_after=_hold_off(error))
    after = change.balance.available
    if before is not None:  # under the lock nobody else moved it: the exact effect of this change
        entry.delta = after - before.available
    _finish(entry, Outcome.APPLIED, transaction_id=change.transaction_id, available_after=after)
    return AdjustmentResult(Outcome.APPLIED, "Applied.", entry, change.balance)


def _confirm_applied(client: WixClient, entry: AuditEntry, transaction_id: str) -> AdjustmentResult:
    try:
        balance = client.get_balance(entry.pool_id)
    except errors.WixError:
        balance = None
    _finish(entry, Outcome.APPLIED, "Applied (confirmed by Wix on retry).", transaction_id=transaction_id)
    return AdjustmentResult(Outcome.APPLIED, entry.message, entry, balance)


# --- undo --------------------------------------------------------------------------------------------


def undo_refusal(original: AuditEntry) -> str:
    """Why `original` cannot be undone, judged from the log alone; "" when it can be."""
    if original.outcome != Outcome.APPLIED or not original.transaction_id or original.kind in (Kind.UNDO, Kind.STAFF):
        return "Only an applied change can be undone."
    if original.undos.exclude(outcome__in=[Outcome.REFUSED, Outcome.FAILED, Outcome.CONFLICT]).exists():
        return "This change was already undone."
    return ""


def undo(
    client: WixClient, user: User, original: AuditEntry, *, idempotency_key: str, may_go_negative: bool = False
) -> AdjustmentResult:
    """Reverse an applied change with Wix's revert endpoint, once; the undo is audited like any change.
    `may_go_negative`: the person holds the below-zero permission (the same rule as an adjustment)."""
    request = AdjustmentRequest(
        member_id=original.member_id,
        pool_id=original.pool_id,
        mode="undo",
        amount=Decimal(0),
        reason=f"Undo: {original.reason}",
        idempotency_key=idempotency_key,
        revision="",
    )
    with pool_lock(original.pool_id):
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
            return _revert(client, entry, original, retrying=True)
        entry.member_name, entry.plan_name = original.member_name, original.plan_name
        # Wix reverts exactly the delta the original transaction applied (a SET's too).
        entry.delta = -original.delta if original.delta is not None else None
        if original.outcome != Outcome.APPLIED or not original.transaction_id or original.kind == Kind.UNDO:
            _finish(entry, Outcome.REFUSED, "Only an applied change can be undone.")
            return AdjustmentResult(Outcome.REFUSED, entry.message, entry)
        if original.undos.exclude(pk=entry.pk).exclude(outcome__in=[Outcome.REFUSED, Outcome.FAILED, Outcome.CONFLICT]).exists():
            _finish(entry, Outcome.REFUSED, "This change was already undone.")
            return AdjustmentResult(Outcome.REFUSED, entry.message, entry)
        return _revert(client, entry, original, retrying=False, may_go_negative=may_go_negative)


@_invalidates_reads
def _revert(
    client: WixClient, entry: AuditEntry, original: AuditEntry, *, retrying: bool, may_go_negative: bool = False
) -> AdjustmentResult:
    try:
        before = client.get_balance(entry.pool_id)
    except errors.WixError as error:
        if not retrying:
            _finish(entry, Outcome.FAILED, f"Could not read the balance first: {error.message}")
            return AdjustmentResult(Outcome.FAILED, entry.message, entry)
        before = None
    if before is not None and entry.available_before is None:
        entry.available_before = before.available
        entry.save()
    if (
        not retrying
        and before is not None
        and entry.delta is not None
        and before.available + entry.delta < 0
        and not may_go_negative
    ):
        # Our own below-zero rule, as for an adjustment: credits booked since may make the undo overdraw.
        after = before.available + entry.delta
        _finish(
            entry,
            Outcome.REFUSED,
            f"Undoing it would leave {credits_text(after)} credits. Only an owner can allow a balance below zero.",
            available_after=after,
        )
        return AdjustmentResult(Outcome.REFUSED, entry.message, entry, before)
    try:
        reverting_id = _send_revert(client, entry, original, lost=retrying)
    except errors.WixNotFound as error:
        delta = original.delta
        if error.code == "TRANSACTION_NOT_FOUND" or delta is None:
            _finish(entry, Outcome.REFUSED, "Wix no longer has this change, so it cannot be undone.")
            return AdjustmentResult(Outcome.REFUSED, entry.message, entry, before)
        # Revert is deprecated in Wix: where the endpoint is gone, apply the opposite change instead,
        # under the same key so a retry of it still cannot apply twice.
        return _send(client, entry, _compensation(entry, delta), before=None if retrying else before)
    except errors.WixPreconditionFailed as error:
        message = "Wix says this change was already reverted." if error.code == "CHANGE_ALREADY_REVERTED" else _describe(error)
        _finish(entry, Outcome.REFUSED, message)
        return AdjustmentResult(Outcome.REFUSED, message, entry, before)
    except errors.WixUnknownOutcome:
        _finish(
            entry,
            Outcome.UNKNOWN,
            "Wix did not confirm the undo; it may or may not have been applied. "
            "Retry: Wix refuses a second revert of the same change.",
        )
        return AdjustmentResult(Outcome.UNKNOWN, entry.message, entry, before)
    except errors.WixError as error:
        _finish(entry, Outcome.FAILED, error.message)
        return AdjustmentResult(Outcome.FAILED, entry.message, entry, before, retry_after=_hold_off(error))
    return _reverted(client, entry, reverting_id)


def _send_revert(client: WixClient, entry: AuditEntry, original: AuditEntry, *, lost: bool) -> str:
    """Revert `original` once; the reverting transaction's ID.

    Wix ignores the idempotency key on Revert (docs/wix.md#change-balance-and-revert), so the client never repeats it by
    itself (retry.py); this does, after a lost answer, because Wix refuses a second revert of one change
    (428 CHANGE_ALREADY_REVERTED): asking again can never reverse twice, and after our own lost attempt
    that refusal means the attempt went through. `lost`: an earlier attempt of this undo went unanswered.
    """
    for attempt in range(retry.ATTEMPTS):
        try:
            return client.revert_change(original.transaction_id, idempotency_key=entry.idempotency_key)
        except errors.WixPreconditionFailed as error:
            if lost and error.code == "CHANGE_ALREADY_REVERTED":
                return str(error.data.get("revertedTransactionId") or "")
            raise
        except errors.WixUnknownOutcome:
            if attempt == retry.ATTEMPTS - 1:
                raise
            lost = True
            time.sleep(retry.BACKOFF_SECONDS * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _compensation(entry: AuditEntry, delta: Decimal) -> AdjustmentRequest:
    """The opposite of the original change's `delta`."""
    entry.kind, entry.requested = Kind.ADJUST, -delta  # recorded as what was actually sent
    entry.message = "Revert unavailable: compensating change."
    entry.save()
    amount = abs(delta)
    return AdjustmentRequest(
        member_id=entry.member_id,
        pool_id=entry.pool_id,
        mode="add" if delta < 0 else "remove",
        amount=amount,
        reason=entry.reason,
        idempotency_key=entry.idempotency_key,
        revision="",
    )


def _reverted(client: WixClient, entry: AuditEntry, transaction_id: str) -> AdjustmentResult:
    try:
        balance = client.get_balance(entry.pool_id)
    except errors.WixError:
        balance = None
    if balance is not None:
        entry.available_after = balance.available
    _finish(entry, Outcome.APPLIED, "Undone.", transaction_id=transaction_id)
    return AdjustmentResult(Outcome.APPLIED, entry.message, entry, balance)


def new_key() -> str:
    return str(uuid.uuid4())
