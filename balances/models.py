from django.db import models

from balances import roles


class StudioAccess(models.Model):
    """Holds Credit Desk's permissions; no table. Roles are the groups "Owner" and "Front desk"."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = roles.meta_permissions(
            roles.VIEW_MEMBERS,
            roles.ADJUST_CREDITS,
            roles.EXPORT_MEMBERS,
            roles.VIEW_AUDIT,
            roles.MANAGE_CONNECTION,
            roles.MANAGE_STAFF,
        )

    def __str__(self) -> str:
        return "Credit Desk permissions"


class StudioPreferences(models.Model):
    """The owner's choices for the whole studio; one row (pk=1), defaults until first saved."""

    low_credit_threshold = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=1,
        help_text="Members with at most this many credits free to book need attention.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "studio preferences"

    def __str__(self) -> str:
        return "Studio preferences"

    @classmethod
    def current(cls) -> "StudioPreferences":
        # Reading never writes (a GET must change nothing): unsaved defaults until an owner saves.
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class ApiToken(models.Model):
    """A bearer token the studio's site uses to look up credits. Only its SHA-256 digest is stored."""

    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    requests_per_minute = models.PositiveIntegerField(default=60)
    # What a token may spend of the Wix call budget (a lookup Wix must answer costs 4–5 calls; one served
    # from the read cache costs none), within the machines' share of budget.SHARES.
    wix_calls_per_minute = models.PositiveIntegerField(default=30)
    created_by = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


from balances.wix.models import WixConnection  # noqa: E402, F401  (models live next to the Wix code)

from .audit import AuditEntry  # noqa: E402, F401  (the audit log model lives with its concern)
from .studio_state import (  # noqa: E402, F401  (the change feed's state and the morning digest)
    DigestDelivery,
    DigestSubscription,
    DriftRecord,
    FeedEvent,
    FeedState,
    MemberInfo,
    PoolState,
)
