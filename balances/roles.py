"""The two roles and what each may do. Owners may grant a front-desk account extra permissions."""

OWNER = "Owner"
FRONT_DESK = "Front desk"

ROLE_PERMISSIONS = {
    OWNER: [
        "view_members",
        "adjust_credits",
        "export_members",
        "view_audit",
        "manage_connection",
        "manage_staff",
        "allow_negative_balance",
    ],
    FRONT_DESK: ["view_members"],
}


def requires(permission: str):
    """`permission_required` that answers 403 (never a login loop) and records the permission on the
    view, so the URL-walking tests can check each view against each role."""
    from django.contrib.auth.decorators import permission_required

    def decorate(view):
        checked = permission_required(permission, raise_exception=True)(view)
        checked.required_permission = permission
        return checked

    return decorate


def sync_roles(using="default", **kwargs) -> None:
    """Both roles exist with at least their permissions. Runs after every migrate (and after the flush
    of transactional tests), so a permission added later reaches the roles without a data migration."""
    from django.contrib.auth.models import Group, Permission

    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(*Permission.objects.using(using).filter(content_type__app_label="balances", codename__in=codenames))
