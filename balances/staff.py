"""Staff accounts as data: the adjust-credits grant and ending a user's sessions (studio/staff.py is the page)."""

from __future__ import annotations

from django.contrib.auth.models import Permission, User
from django.contrib.sessions.models import Session
from django.utils import timezone

from . import roles


def adjust_permission() -> Permission:
    return Permission.objects.get(content_type__app_label=roles.APP_LABEL, codename=roles.codename(roles.ADJUST_CREDITS))


def can_adjust_directly(user: User) -> bool:
    """Granted to this account itself (not through its role)."""
    wanted = roles.codename(roles.ADJUST_CREDITS)
    return any(p.codename == wanted for p in user.user_permissions.all())


def end_sessions(user: User) -> int:
    """Log a user out on every device. Sessions live in the database (the default engine)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended
