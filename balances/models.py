from django.db import models


class StudioAccess(models.Model):
    """Holds Credit Desk's permissions; no table. Roles are the groups "Owner" and "Front desk"."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_members", "Look up members and their credits"),
            ("adjust_credits", "Adjust members' credits"),
            ("export_members", "Export member lists"),
            ("view_audit", "See the audit log"),
            ("manage_connection", "Change the Wix connection"),
            ("manage_staff", "Manage staff accounts"),
        ]

    def __str__(self):
        return "Credit Desk permissions"


from balances.wix.models import WixConnection  # noqa: E402, F401  (models live next to the Wix code)
