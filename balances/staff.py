"""Staff accounts as data: the adjust-credits grant, ending a user's sessions, and the audit row every
staff change leaves (studio/staff.py is the page)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import Permission, User
from django.contrib.sessions.models import Session
from django.utils import timezone

from . import roles
from .audit import AuditEntry


def adjust_permission() -> Permission:
    return Permission.objects.get(content_type__app_label=roles.APP_LABEL, codename=roles.codename(roles.ADJUST_CREDITS))


def can_adjust_directly(user: User) -> bool:
    """Granted to this account itself (not through its role)."""
    wanted = roles.codename(roles.ADJUST_CREDITS)
    return any(p.codename == wanted for p in user.user_permissions.all())


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """Log a user out on every device (but the session `keep`). Sessions live in the database (the default engine)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key != keep and session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


def record_staff_change(actor: User, account: str, what: str) -> AuditEntry:
    """The audit row of one staff change: who (`actor`), which account, what was done (never a password).
    Made after the change, in the same request: it has no outcome to wait for."""
    now = timezone.now()
    return AuditEntry.objects.create(
        user=actor,
        username=actor.get_username(),
        member_id="",
        member_name=account[:200],
        pool_id="",
        kind=AuditEntry.Kind.STAFF,
        reason=what[:256],
        idempotency_key=f"staff:{uuid.uuid4()}",
        outcome=AuditEntry.Outcome.APPLIED,
        completed_at=now,
    )
