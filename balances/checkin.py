"""Check-in: mark a booking attended or a no-show at one session through Wix Bookings' Attendance API.

The same rules as credit changes (adjustments.py), because a check-in is a change made in Wix:

1. every check-in is one audit row (`AuditEntry.Kind.CHECKIN`: who, when, session, booking, what was set),
   claimed "pending" under a key made when the page was drawn, before any Wix call, and marked `sent_at`
   just before it; a resubmitted button (a double click, a reload) finds its row instead of a second one;
2. one check-in of a booking at a session at a time (`pool_lock` on the booking and session, held in the
   database so it dies with its holder); a second request waits a moment for the first, never long;
3. two staff at once: whoever comes second finds the first person's row for the same status and, once Wix
   confirms the attendance already reads so, is told who did it — no second row, no second call;
4. only a definite answer from Wix settles a row. Set Attendance carries no idempotency key, so a lost
   answer leaves the row "unknown"; Retry (the same button, the same key) or Resolve reads the booking's
   attendance from Wix: already as asked → applied; otherwise Retry sends it again (setting a status twice
   is the same as once) and Resolve, once a late write can no longer land, says "not applied".

Checking in never touches credits from our side: where the site reserves at booking, Wix itself spends
the reserved credit when attendance is marked (docs/wix.md#bookings).

Undo (a mis-tap) sets the attendance back: to what the page showed before when that was a mark, else to
NOT_ATTENDED (Wix has no way to "unset" besides deleting the record), as its own audited check-in.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from .audit import AuditEntry
from .cache import invalidate
from .pool_lock import PoolBusy, pool_lock
from .wix import errors
from .wix.bookings_records import MAX_BULK_ATTENDANCE, Attendance, AttendanceSet
from .wix.client import WixClient
from .wix.connection import connection_fingerprint

log = logging.getLogger(__name__)

Outcome = AuditEntry.Outcome
Kind = AuditEntry.Kind

ATTENDED, NOT_ATTENDED, NOT_SET = "ATTENDED", "NOT_ATTENDED", "NOT_SET"
MARKS = (ATTENDED, NOT_ATTENDED)
LABELS = {ATTENDED: "Attended", NOT_ATTENDED: "No-show", NOT_SET: "Not marked"}
LOCK_WAIT_SECONDS = 3.0  # a double click's second request waits for the first this long, then says "busy"
UNCONFIRMED = "Wix did not confirm the check-in; it may or may not have been applied — Retry checks Wix first."
BUSY = "Another check-in for this attendee is under way; try again in a moment."

__all__ = [
    "ATTENDED",
    "NOT_ATTENDED",
    "CheckinRequest",
    "CheckinResult",
    "check_in",
    "check_in_everyone",
    "undo_check_in",
    "resolve_check_in",
    "undoable_check_ins",
    "new_key",
]


@dataclass(frozen=True)
class CheckinRequest:
    booking_id: str
    event_id: str  # the session (Wix: eventId = sessionId for classes)
    status: str  # ATTENDED | NOT_ATTENDED
    idempotency_key: str  # made when the button was drawn
    participants: int = 1  # how many people the booking brought (numberOfAttendees when attended)
    seen: str = NOT_SET  # the attendance the page showed
    member_id: str = ""  # "" for a guest
    name: str = ""  # the attendee, for the audit log
    session: str = ""  # "Vinyasa Flow 09:00", for the audit log

    @property
    def attendees(self) -> int:
        return max(self.participants, 1) if self.status == ATTENDED else 0

    def wire(self) -> AttendanceSet:
        return AttendanceSet(self.booking_id, self.event_id, self.status, self.attendees)


@dataclass(frozen=True)
class CheckinResult:
    booking_id: str
    outcome: str  # an AuditEntry outcome, or "busy" / "already" (no row written)
    message: str
    status: str  # the attendance as we now believe it is in Wix
    entry: AuditEntry | None = None
    replayed: bool = False  # answered from the audit log (a resubmitted button)
    settled_now: bool = False  # Resolve settled an open row just now

    @property
    def applied(self) -> bool:
        return self.outcome in (Outcome.APPLIED, "already")

    @property
    def unknown(self) -> bool:
        return self.outcome in (Outcome.UNKNOWN, Outcome.PENDING)


def _stale_reads(client: WixClient, results: list[CheckinResult]) -> None:
    """A mark Wix may have taken makes cached reads wrong: the Today page's attendance and, where the site
    reserves, the member's credits (Wix spends the reservation). Stop serving them as fresh."""
    if any(r.outcome in (Outcome.APPLIED, Outcome.UNKNOWN, Outcome.PENDING) for r in results):
        try:
            invalidate(connection_fingerprint(client.auth))
        except Exception:  # the cache is down: its copies expire on their own; the check-in stands
            log.warning("could not invalidate cached reads after a check-in", exc_info=True)


def new_key() -> str:
    return str(uuid.uuid4())


def _lock_name(booking_id: str, event_id: str) -> str:
    return f"attendance:{booking_id}:{event_id}"


@contextmanager
def _held(booking_id: str, event_id: str) -> Iterator[None]:
    """The booking's lock at this session; waits up to LOCK_WAIT_SECONDS (a double click's second request
    should get the first one's answer, not "busy"), then raises PoolBusy."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        stack = ExitStack()
        try:
            stack.enter_context(pool_lock(_lock_name(booking_id, event_id)))
        except PoolBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
            continue
        with stack:
            yield
        return


def settled_after() -> timedelta:
    """How old an attempt must be before "Wix does not show it" means "not applied": a write slower than the
    timeout can still land until the attempt's timeout has run out, and a read may lag a fresh write."""
    lag = float(getattr(settings, "WIX_READ_LAG_SECONDS", 2.0))
    return timedelta(seconds=2 * float(settings.WIX_TIMEOUT_SECONDS) + float(settings.WIX_RETRY_SECONDS) + lag)


# --- the audit row ------------------------------------------------------------------------------------


def _claim(user: User, request: CheckinRequest, *, reverts: AuditEntry | None = None) -> tuple[AuditEntry, bool]:
    label = LABELS.get(request.status, request.status)
    try:
        with transaction.atomic():
            entry = AuditEntry.objects.create(
                user=user,
                username=user.get_username(),
                member_id=request.member_id[:64],
                member_name=request.name[:200],
                pool_id="",
                plan_name=request.session[:200],
                kind=Kind.CHECKIN,
                reason=(f"Undo check-in: {label}" if reverts else f"Check-in: {label}")[:256],
                idempotency_key=request.idempotency_key,
                booking_id=request.booking_id,
                event_id=request.event_id,
                attendance=request.status,
                attendance_before=request.seen,
                attendees=request.attendees,
                reverts=reverts,
            )
        return entry, True
    except IntegrityError:
        return AuditEntry.objects.get(idempotency_key=request.idempotency_key), False


def _finish(entry: AuditEntry, outcome: str, message: str) -> CheckinResult:
    """Record Wix's answer. If our database fails now, Wix's answer still stands: the person is told what
    Wix did, and the row ("pending", marked sent) is settled later by Resolve reading Wix."""
    entry.outcome, entry.message, entry.completed_at = outcome, message[:500], timezone.now()
    status = entry.attendance if outcome == Outcome.APPLIED else entry.attendance_before
    try:
        entry.save(update_fields=["outcome", "message", "completed_at"])
    except DatabaseError:
        log.exception("audit: could not record Wix's answer for check-in %s", entry.idempotency_key)
        message += " The audit log could not be updated just now; it will be completed automatically."
    return CheckinResult(entry.booking_id, outcome, message, status, entry)


def _mark_sent(entry: AuditEntry) -> None:
    entry.sent_at = timezone.now()
    entry.save(update_fields=["sent_at"])


def _latest_live(booking_id: str, event_id: str) -> AuditEntry | None:
    return (
        AuditEntry.objects.filter(
            kind=Kind.CHECKIN,
            booking_id=booking_id,
            event_id=event_id,
            outcome__in=[Outcome.APPLIED, Outcome.UNKNOWN, Outcome.PENDING],
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _same(entry: AuditEntry, request: CheckinRequest) -> bool:
    return (entry.booking_id, entry.event_id, entry.attendance) == (request.booking_id, request.event_id, request.status)


# --- reading Wix --------------------------------------------------------------------------------------


def read_attendance(client: WixClient, booking_id: str, event_id: str) -> Attendance | None:
    """The booking's attendance at this session as Wix has it now (None: never marked). One call."""
    page = client.query_attendance(filter={"bookingId": {"$eq": booking_id}})
    for attendance in page.items:
        if attendance.event_id == event_id:
            return attendance
    return None


def _status_in_wix(client: WixClient, entry: AuditEntry) -> str:
    found = read_attendance(client, entry.booking_id, entry.event_id)
    return found.status if found is not None else NOT_SET


# --- one check-in -------------------------------------------------------------------------------------


def check_in(client: WixClient, user: User, request: CheckinRequest, *, reverts: AuditEntry | None = None) -> CheckinResult:
    """Set one booking's attendance at most once. Never raises for Wix trouble: the answer is the result."""
    if request.status not in MARKS:
        return CheckinResult(request.booking_id, Outcome.REFUSED, "Choose Attended or No-show.", request.seen)
    try:
        # A person is sending a change: first in line for the call budget (budget.CHANGES).
        with _held(request.booking_id, request.event_id), client.budget.writing():
            result = _check_in_locked(client, user, request, reverts)
    except PoolBusy:
        return CheckinResult(request.booking_id, "busy", BUSY, request.seen)
    _stale_reads(client, [result])
    return result


def _check_in_locked(client: WixClient, user: User, request: CheckinRequest, reverts: AuditEntry | None) -> CheckinResult:
    existing = AuditEntry.objects.filter(idempotency_key=request.idempotency_key).first()
    if existing is not None:
        return _again(client, existing, request)
    latest = _latest_live(request.booking_id, request.event_id)
    if latest is not None and latest.attendance == request.status:
        # Someone marked it so already (a second member of staff, another tab). Ask Wix before saying so.
        try:
            in_wix = _status_in_wix(client, latest)
        except errors.WixError as error:
            return CheckinResult(request.booking_id, Outcome.FAILED, f"Could not ask Wix first: {error.message}", request.seen)
        if latest.open:
            _settle_from_wix(latest, in_wix)
        if in_wix == request.status:
            when = timezone.localtime(latest.created_at).strftime("%H:%M")
            message = f"Already marked {LABELS[request.status]} by {latest.username} at {when}."
            return CheckinResult(request.booking_id, "already", message, in_wix, latest)
    entry, created = _claim(user, request, reverts=reverts)
    if not created:  # the same key claimed between our look and our insert (cannot happen under the lock)
        return _again(client, entry, request)
    return _send(client, entry)


def _again(client: WixClient, entry: AuditEntry, request: CheckinRequest) -> CheckinResult:
    """The same button again (double click, reload, Retry after an unknown outcome)."""
    if not _same(entry, request):
        return CheckinResult(
            request.booking_id, Outcome.REFUSED, "This button was already used for something else; reload.", request.seen
        )
    if entry.open and entry.sent_at is not None:
        return _resume(client, entry)
    if entry.open:  # claimed, never sent (we stopped before the call): nothing reached Wix; send now
        return _send(client, entry)
    status = entry.attendance if entry.outcome == Outcome.APPLIED else entry.attendance_before
    return CheckinResult(
        entry.booking_id, entry.outcome, entry.message or entry.get_outcome_display(), status, entry, replayed=True
    )


def _resume(client: WixClient, entry: AuditEntry) -> CheckinResult:
    """An earlier attempt may have reached Wix: read the attendance; as asked → applied, else send again
    (setting the same status twice is the same as once, so resending can never mark it twice)."""
    try:
        in_wix = _status_in_wix(client, entry)
    except errors.WixError as error:
        return _finish(entry, Outcome.UNKNOWN, f"{UNCONFIRMED} Wix could not be asked right now ({error.message}).")
    if in_wix == entry.attendance:
        return _finish(entry, Outcome.APPLIED, f"{LABELS[entry.attendance]} (confirmed by reading Wix).")
    return _send(client, entry, resuming=True)


def _send(client: WixClient, entry: AuditEntry, *, resuming: bool = False) -> CheckinResult:
    _mark_sent(entry)
    item = AttendanceSet(entry.booking_id, entry.event_id, entry.attendance, entry.attendees or 0)
    try:
        answer = client.set_attendance(item)
    except errors.WixUnknownOutcome:
        return _finish(entry, Outcome.UNKNOWN, UNCONFIRMED)
    except (errors.WixNotFound, errors.WixBadRequest, errors.WixPreconditionFailed, errors.WixConflict) as error:
        # Wix looked at it and said no: nothing was set (a lost earlier attempt would not make it say no).
        return _finish(entry, Outcome.REFUSED, f"Wix refused it: {error.message}")
    except errors.WixError as error:
        if resuming:  # 429, the breaker, our budget: no word on the earlier attempt
            return _finish(entry, Outcome.UNKNOWN, f"{UNCONFIRMED} {error.message}")
        return _finish(entry, Outcome.FAILED, f"Not sent: {error.message}")
    except Exception:
        log.exception("check-in %s: failure around the Wix call", entry.idempotency_key)
        return _finish(entry, Outcome.UNKNOWN, UNCONFIRMED)
    if answer.status != entry.attendance:
        return _finish(entry, Outcome.UNKNOWN, f"{UNCONFIRMED} Wix answered {answer.status}.")
    return _finish(entry, Outcome.APPLIED, f"{LABELS[entry.attendance]}.")


def _settle_from_wix(entry: AuditEntry, in_wix: str) -> bool:
    """Settle an open row from the attendance Wix shows now; True when it was settled."""
    if in_wix == entry.attendance:
        _finish(entry, Outcome.APPLIED, f"{LABELS[entry.attendance]} (confirmed by reading Wix).")
    elif timezone.now() - (entry.sent_at or entry.created_at) >= settled_after():
        _finish(entry, Outcome.FAILED, f"Not applied: Wix shows {LABELS.get(in_wix, in_wix)} (Resolve).")
    else:
        return False
    AuditEntry.objects.filter(pk=entry.pk).update(resolved_at=timezone.now())
    return True


def resolve_check_in(client: WixClient, entry: AuditEntry) -> CheckinResult:
    """Resolve for a check-in row left unknown or pending: Wix's attendance is the truth."""
    try:
        with _held(entry.booking_id, entry.event_id):
            entry.refresh_from_db()
            if not entry.open:
                return CheckinResult(entry.booking_id, entry.outcome, "Already settled.", entry.attendance, entry)
            if entry.sent_at is None:
                if timezone.now() - entry.created_at < settled_after():
                    return CheckinResult(entry.booking_id, entry.outcome, "Too recent to decide.", entry.attendance_before, entry)
                done = _finish(entry, Outcome.FAILED, "Stopped before reaching Wix; nothing was set (Resolve).")
                return replace(done, settled_now=True)
            try:
                in_wix = _status_in_wix(client, entry)
            except errors.WixError as error:
                return CheckinResult(entry.booking_id, entry.outcome, f"Wix could not be asked: {error.message}", "", entry)
            if _settle_from_wix(entry, in_wix):
                entry.refresh_from_db()
                return CheckinResult(entry.booking_id, entry.outcome, entry.message, in_wix, entry, settled_now=True)
            return CheckinResult(
                entry.booking_id, entry.outcome, "Wix may still apply it; Resolve again in a minute.", in_wix, entry
            )
    except PoolBusy:
        return CheckinResult(entry.booking_id, "busy", BUSY, "", entry)


# --- undo ---------------------------------------------------------------------------------------------


def undoable_check_ins(booking_ids: list[str]) -> dict[str, AuditEntry]:
    """Per booking, its latest check-in row when that is an applied mark made here and not undone since:
    the Today page keeps offering its Undo across refreshes. One query for the whole day."""
    latest: dict[str, AuditEntry] = {}
    rows = (
        AuditEntry.objects.filter(kind=Kind.CHECKIN, booking_id__in=booking_ids)
        .exclude(outcome__in=[Outcome.REFUSED, Outcome.FAILED, Outcome.CONFLICT])
        .order_by("created_at", "id")
    )
    for row in rows:
        latest[row.booking_id] = row  # later rows win
    return {b: row for b, row in latest.items() if row.outcome == Outcome.APPLIED and row.reverts_id is None}


def undo_check_in(client: WixClient, user: User, original: AuditEntry, *, idempotency_key: str) -> CheckinResult:
    """Set the attendance back after a mis-tap: to the mark the page showed before, else NOT_ATTENDED."""
    if original.kind != Kind.CHECKIN or original.outcome != Outcome.APPLIED or original.attendance not in MARKS:
        return CheckinResult(original.booking_id, Outcome.REFUSED, "Only an applied check-in can be undone.", "")
    back = original.attendance_before if original.attendance_before in MARKS else NOT_ATTENDED
    if back == original.attendance:
        back = NOT_ATTENDED if original.attendance == ATTENDED else ATTENDED
    request = CheckinRequest(
        booking_id=original.booking_id,
        event_id=original.event_id,
        status=back,
        idempotency_key=idempotency_key,
        participants=max(original.attendees or 1, 1),
        seen=original.attendance,
        member_id=original.member_id,
        name=original.member_name,
        session=original.plan_name,
    )
    return check_in(client, user, request, reverts=original)


# --- everyone present ---------------------------------------------------------------------------------


def check_in_everyone(client: WixClient, user: User, requests: list[CheckinRequest]) -> list[CheckinResult]:
    """Mark every given booking of a session attended with Bulk Set Attendance, 8 a call.

    Each booking is its own audit row and follows the rules of `check_in`: a booking already marked so in
    our log, busy, or resubmitted is answered without a call; the rest are claimed, sent in chunks of 8
    and settled one by one from Wix's per-item answers. A chunk whose answer is lost leaves its rows
    unknown (Retry reads Wix for each)."""
    results: dict[str, CheckinResult] = {}
    with ExitStack() as locks, client.budget.writing():
        to_send: list[AuditEntry] = []
        for request in requests:
            if request.status not in MARKS:
                results[request.booking_id] = CheckinResult(
                    request.booking_id, Outcome.REFUSED, "Choose Attended or No-show.", request.seen
                )
                continue
            try:
                locks.enter_context(pool_lock(_lock_name(request.booking_id, request.event_id)))
            except PoolBusy:
                results[request.booking_id] = CheckinResult(request.booking_id, "busy", BUSY, request.seen)
                continue
            existing = AuditEntry.objects.filter(idempotency_key=request.idempotency_key).first()
            if existing is not None and not (existing.open and existing.sent_at is not None):
                results[request.booking_id] = _again(client, existing, request)
                continue
            if existing is not None:  # an earlier bulk call's answer was lost: resend it with this chunk
                to_send.append(existing)
                continue
            latest = _latest_live(request.booking_id, request.event_id)
            if latest is not None and latest.attendance == request.status and latest.outcome == Outcome.APPLIED:
                when = timezone.localtime(latest.created_at).strftime("%H:%M")
                message = f"Already marked {LABELS[request.status]} by {latest.username} at {when}."
                results[request.booking_id] = CheckinResult(request.booking_id, "already", message, request.status, latest)
                continue
            entry, _created = _claim(user, request)
            to_send.append(entry)
        for start in range(0, len(to_send), MAX_BULK_ATTENDANCE):
            for result in _send_chunk(client, to_send[start : start + MAX_BULK_ATTENDANCE]):
                results[result.booking_id] = result
    _stale_reads(client, list(results.values()))
    return [results[r.booking_id] for r in requests if r.booking_id in results]


def _send_chunk(client: WixClient, entries: list[AuditEntry]) -> list[CheckinResult]:
    # Committed before the call; each entry object keeps its earlier `sent_at` (None: first attempt).
    AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).update(sent_at=timezone.now())
    items = [AttendanceSet(e.booking_id, e.event_id, e.attendance, e.attendees or 0) for e in entries]
    try:
        answers = client.bulk_set_attendance(items)
    except errors.WixUnknownOutcome:
        return [_finish(e, Outcome.UNKNOWN, UNCONFIRMED) for e in entries]
    except (errors.WixBadRequest, errors.WixNotFound) as error:
        return [_finish(e, Outcome.REFUSED, f"Wix refused it: {error.message}") for e in entries]
    except errors.WixError as error:
        # Refused before reaching Wix (our budget, the breaker, 429): nothing set — unless an earlier attempt
        # of that row went unanswered, about which this says nothing.
        return [
            _finish(e, Outcome.UNKNOWN, f"{UNCONFIRMED} {error.message}")
            if e.sent_at is not None
            else _finish(e, Outcome.FAILED, f"Not sent: {error.message}")
            for e in entries
        ]
    except Exception:
        log.exception("bulk check-in: failure around the Wix call")
        return [_finish(e, Outcome.UNKNOWN, UNCONFIRMED) for e in entries]
    out = []
    for entry, answer in zip(entries, answers, strict=True):
        if answer.success:
            out.append(_finish(entry, Outcome.APPLIED, f"{LABELS[entry.attendance]}."))
        elif answer.error_code == "UNDETAILED_FAILURE":
            out.append(_finish(entry, Outcome.UNKNOWN, f"{UNCONFIRMED} {answer.error_description}"))
        else:
            out.append(_finish(entry, Outcome.REFUSED, f"Wix refused it: {answer.error_description or answer.error_code}"))
    return out
