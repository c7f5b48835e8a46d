"""The two roles and what each may do. Owners may grant a front-desk account extra permissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

View = TypeVar("View", bound=Callable[..., Any])

OWNER = "Owner"
FRONT_DESK = "Front desk"

APP_LABEL = "balances"

# The permission names, here and nowhere else: views check `roles.ADJUST_CREDITS`, templates read the
# `can` flags (config.context.navigation), tests import these. Each is "<app label>.<codename>".
VIEW_MEMBERS = "balances.view_members"
ADJUST_CREDITS = "balances.adjust_credits"
EXPORT_MEMBERS = "balances.export_members"
VIEW_AUDIT = "balances.view_audit"
MANAGE_CONNECTION = "balances.manage_connection"  # the Wix/Brevo connections, AI credits, API tokens, studio settings
MANAGE_STAFF = "balances.manage_staff"
ALLOW_NEGATIVE_BALANCE = "balances.allow_negative_balance"
CHECK_IN = "balances.check_in"  # mark attendance (attended, no-show, undo) through Wix Bookings

# What Django's Permission rows say (balances.models and balances.audit declare them from here).
DESCRIPTIONS = {
    VIEW_MEMBERS: "Look up members and their credits",
    ADJUST_CREDITS: "Adjust members' credits",
    EXPORT_MEMBERS: "Export member lists",
    VIEW_AUDIT: "See the audit log",
    MANAGE_CONNECTION: "Change the Wix connection",
    MANAGE_STAFF: "Manage staff accounts",
    ALLOW_NEGATIVE_BALANCE: "Let an adjustment take credits below zero",
    CHECK_IN: "Check attendees in (attended, no-show)",
}

ALL = (VIEW_MEMBERS, ADJUST_CREDITS, EXPORT_MEMBERS, VIEW_AUDIT, MANAGE_CONNECTION, MANAGE_STAFF, ALLOW_NEGATIVE_BALANCE, CHECK_IN)


def codename(permission: str) -> str:
    """ "balances.adjust_credits" -> "adjust_credits" (what Permission rows store)."""
    return permission.split(".", 1)[1]


def meta_permissions(*permissions: str) -> list[tuple[str, StrOrPromise]]:
    """A model's Meta.permissions for these names."""
    return [(codename(p), DESCRIPTIONS[p]) for p in permissions]


ROLE_PERMISSIONS = {
    OWNER: [codename(p) for p in ALL],
    FRONT_DESK: [codename(VIEW_MEMBERS), codename(CHECK_IN)],
}


def requires(permission: str) -> Callable[[View], View]:
    """`permission_required` that answers 403 (never a login loop) and records the permission on the
    view, so the URL-walking tests can check each view against each role."""
    from django.contrib.auth.decorators import permission_required

    def decorate(view: View) -> View:
        checked: Any = permission_required(permission, raise_exception=True)(view)
        checked.required_permission = permission
        return cast(View, checked)

    return decorate


def sync_roles(using: str = "default", **kwargs: object) -> None:
    """Both roles exist with at least their permissions. Runs after every migrate (and after the flush
    of transactional tests), so a permission added later reaches the roles without a data migration."""
    from django.contrib.auth.models import Group, Permission

    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(*Permission.objects.using(using).filter(content_type__app_label=APP_LABEL, codename__in=codenames))


def is_owner(user: Any) -> bool:
    """Owner-only actions that have no permission of their own (adjusting an ended plan)."""
    return bool(getattr(user, "is_superuser", False)) or user.groups.filter(name=OWNER).exists()
