"""The whole-studio state the change feed keeps (balances/feed.py), and the owner's morning digest.

Everything here except the digest's choices is derived from Wix and can be rebuilt at any time by a
full scan: one row per pool with its latest balance and status and when Wix said so, the names of the
members the answers list, the feed's watermark, the transactions it has applied (Recent activity, and
the de-duplication of its overlap window), and the differences the reconciliation found.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PoolState(models.Model):
    """One pool's latest balance and status as Wix last told us (`read_at`)."""

    pool_id = models.CharField(max_length=64, primary_key=True)
    member_id = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, db_index=True)
    available = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    reserved = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    unlimited = models.BooleanField(default=False)  # a plan without credits: its member can always book
    plan_name = models.CharField(max_length=200, blank=True)
    rollover_cap = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)  # None: no rollover
    read_at = models.DateTimeField()  # an older read never overwrites a newer one

    def __str__(self) -> str:
        return f"{self.pool_id} {self.status} {self.available}"


class MemberInfo(models.Model):
    """The name and e-mail shown for a member the answers list (read with Query Members)."""

    member_id = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True)

    def __str__(self) -> str:
        return self.name


class FeedState(models.Model):
    """The feed's one row (pk=1): for which connection, up to when, and where the sweeps are."""

    fingerprint = models.CharField(max_length=32, blank=True)  # the Wix connection the state is of
    watermark = models.DateTimeField(null=True, blank=True)  # transactions created before this are applied
    as_of = models.DateTimeField(null=True, blank=True)  # the last time the state was known current
    built_at = models.DateTimeField(null=True, blank=True)  # the last full rebuild
    version = models.PositiveBigIntegerField(default=0)  # bumped by every change of the state
    sweep_after = models.CharField(max_length=64, blank=True)  # the status sweep's place (pool id)
    reconcile_lane = models.CharField(max_length=16, blank=True, default="balances")  # "balances" or "unlimited"
    reconcile_after = models.CharField(max_length=64, blank=True)  # the reconciliation's place (pool id)
    reconciled_at = models.DateTimeField(null=True, blank=True)  # the last completed reconciliation cycle
    drift_total = models.PositiveIntegerField(default=0)  # pools the reconciliation found different, ever

    def __str__(self) -> str:
        return f"feed as of {self.as_of}"


class FeedEvent(models.Model):
    """One Wix transaction the feed applied: Recent activity, and the de-duplication of the overlap."""

    class By(models.TextChoices):
        STAFF = "staff", "Credit Desk staff"
        BOOKING = "booking", "A booking"
        RENEWAL = "renewal", "A renewal or purchase"
        DASHBOARD = "dashboard", "The Wix dashboard"

    transaction_id = models.CharField(max_length=64, primary_key=True)
    created = models.DateTimeField(db_index=True)  # Wix's createdDate
    applied_at = models.DateTimeField()
    pool_id = models.CharField(max_length=64)
    member_id = models.CharField(max_length=64, db_index=True)
    plan_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10)  # Transaction.kind: added, removed, reserved, released, used
    change = models.DecimalField(max_digits=14, decimal_places=4)  # signed, on credits free to book
    magnitude = models.DecimalField(max_digits=14, decimal_places=4)
    by = models.CharField(max_length=10, choices=By.choices)
    staff_username = models.CharField(max_length=150, blank=True)  # when by = staff (our audit log)
    reason = models.CharField(max_length=256, blank=True)
    item = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-created"], name="feedevent_newest")]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.kind} {self.change}"


class DriftRecord(models.Model):
    """Pools whose feed-maintained state differed from a fresh read (logged and counted)."""

    found_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=16)  # "sweep" (status changes, expected) or "reconcile" (drift)
    count = models.PositiveIntegerField()
    pool_ids = models.JSONField(default=list)
    detail = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.source} {self.count} at {self.found_at}"


class DigestSubscription(models.Model):
    """An owner's morning digest: opt-in, and the time it is sent in the studio's time zone."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest")
    enabled = models.BooleanField(default=False)
    send_at = models.TimeField(default="07:00")
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    link_generation = models.PositiveIntegerField(default=0)  # an unsubscribe link works once: used, it is bumped

    def __str__(self) -> str:
        return f"digest for {self.user_id} at {self.send_at}"


class DigestDelivery(models.Model):
    """The claim on one owner's digest of one day: the unique row is what makes it at most once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # in the studio's time zone
    claimed_at = models.DateTimeField()
    worker = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # None after a crash between claim and send: lost
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_owner_per_day")]

    def __str__(self) -> str:
        return f"digest {self.user_id} {self.day}"
