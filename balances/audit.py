"""The local audit log: the one record of every change Credit Desk attempts in Wix.

`AuditEntry.kind` says what kind of change a row is (an adjustment — add/remove or set exact — an
undo, or a change to a staff account, kept here too so one log answers "who did what"); a new kind of
write to Wix (check-ins, say) adds its choice to `Kind` and writes its rows here, so the audit page,
undo and the outcome rules cover it without a second log.

A row is written (status "pending") before the Wix call and completed after it, so a crash or a lost
answer leaves an honest trace. The idempotency key is unique: a resubmitted form finds its row
instead of calling Wix again, and a retry after an unknown outcome reuses the same key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from balances import roles


class AuditEntry(models.Model):
    class Kind(models.TextChoices):
        ADJUST = "adjust", "Add/remove"
        SET = "set", "Set exact"
        UNDO = "undo", "Undo"
        CHECKIN = "checkin", "Check-in"  # attendance set through Wix Bookings (balances/checkin.py)
        # A change to a staff account (balances/staff.py): no member, pool or amounts; `member_name` holds
        # the account changed and `reason` what was done. Never sent to Wix, so never undoable.
        STAFF = "staff", "Staff account"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"  # written before the call; stays so only if we died (or lost the database) mid-way
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"  # a rule (ours or Wix's) said no; nothing changed
        CONFLICT = "conflict", "Conflict"  # the balance moved since the form was shown; nothing changed
        FAILED = "failed", "Failed"  # Wix could not be asked or said no before changing anything
        UNKNOWN = "unknown", "Unknown"  # Wix may or may not have applied it; retry with the same key

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # When the last attempt went out to Wix. Set (and committed) before the call: from then on the change
    # may have reached Wix, and only a definite answer from Wix may settle the row.
    sent_at = models.DateTimeField(null=True, blank=True)
    # When Resolve last settled the row from Wix's ledger ("not applied" is re-checked for a while after).
    resolved_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)  # kept when the account is deleted
    member_id = models.CharField(max_length=64, db_index=True)
    member_name = models.CharField(max_length=200, blank=True)
    pool_id = models.CharField(max_length=64, db_index=True)
    plan_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    requested = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)  # signed delta or target
    revision_seen = models.CharField(max_length=32, blank=True)  # the revision the form was rendered from
    available_before = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    available_after = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    delta = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    allow_negative = models.BooleanField(default=False)
    reason = models.CharField(max_length=256)
    idempotency_key = models.CharField(max_length=200, unique=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING, db_index=True)
    message = models.CharField(max_length=500, blank=True)
    transaction_id = models.CharField(max_length=64, blank=True, db_index=True)
    # Check-in rows (kind CHECKIN): the booking, the session (event ID), what was set and what the page showed
    # before. `pool_id` is empty: checking in never touches credits from our side.
    booking_id = models.CharField(max_length=64, blank=True, db_index=True)
    event_id = models.CharField(max_length=250, blank=True)
    attendance = models.CharField(max_length=16, blank=True)  # ATTENDED | NOT_ATTENDED
    attendance_before = models.CharField(max_length=16, blank=True)
    attendees = models.PositiveIntegerField(null=True, blank=True)
    reverts = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="undos")

    class Meta:
        app_label = "balances"
        ordering = ["-created_at", "-id"]
        default_permissions = ()
        permissions = roles.meta_permissions(roles.ALLOW_NEGATIVE_BALANCE, roles.CHECK_IN)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pool_id} by {self.username}: {self.outcome}"

    @property
    def undone(self) -> bool:
        # Over .all() so a prefetch_related("undos") serves the whole audit page in one query.
        live = (self.Outcome.APPLIED, self.Outcome.UNKNOWN, self.Outcome.PENDING)
        return any(u.outcome in live for u in self.undos.all())

    @property
    def open(self) -> bool:
        """Wix's answer was lost or never recorded: Resolve settles it from Wix's transactions."""
        return self.outcome in (self.Outcome.UNKNOWN, self.Outcome.PENDING)

    @property
    def undoable(self) -> bool:
        return (
            self.kind not in (self.Kind.UNDO, self.Kind.CHECKIN)  # a check-in has its own undo (balances/checkin.py)
            and self.outcome == self.Outcome.APPLIED
            and bool(self.transaction_id)
            and not self.undone
        )
