"""The two roles and what each may do. Owners may grant a front-desk account extra permissions."""

OWNER = "Owner"
FRONT_DESK = "Front desk"

ROLE_PERMISSIONS = {
    OWNER: ["view_members", "adjust_credits", "export_members", "view_audit", "manage_connection", "manage_staff",
            "allow_negative_balance"],
    FRONT_DESK: ["view_members"],
}
