"""The two roles and what each may do. Owners may grant a front-desk account extra permissions."""

OWNER = "Owner"
FRONT_DESK = "Front desk"

ROLE_PERMISSIONS = {
    OWNER: ["view_members", "adjust_credits", "export_members", "view_audit", "manage_connection", "manage_staff"],
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
