"""The main navigation, as one list: a new page joins by adding its entry (label, URL name, permission).

`navigation(request)` is a template context processor: `nav` is the entries this user may open, and
`can` holds one flag per permission in balances.roles (`can.adjust_credits`, …), so templates never
spell a permission name."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from balances import roles


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    permission: str


NAVIGATION: list[Entry] = [
    Entry("Needs attention", "home", roles.VIEW_MEMBERS),
    Entry("Members", "members:list", roles.VIEW_MEMBERS),
    Entry("Audit log", "audit:list", roles.VIEW_AUDIT),
    Entry("AI credits", "ai:credits", roles.MANAGE_CONNECTION),
    Entry("Brevo", "brevo:settings", roles.MANAGE_CONNECTION),
    Entry("API tokens", "api_tokens", roles.MANAGE_CONNECTION),
    Entry("Staff", "staff:list", roles.MANAGE_STAFF),
    Entry("Settings", "wix:settings", roles.MANAGE_CONNECTION),
    Entry("Jobs", "jobs", roles.MANAGE_CONNECTION),
]

# "Needs attention" and "Members" were always shown to every signed-in account (their pages answer
# 403 to an account without view_members); the links stay unconditional.
ALWAYS = {"home", "members:list"}


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "can": {}}
    can = {roles.codename(p): user.has_perm(p) for p in roles.ALL}
    nav = [
        {"label": e.label, "url": reverse(e.url_name)}
        for e in NAVIGATION
        if e.url_name in ALWAYS or can[roles.codename(e.permission)]
    ]
    return {"nav": nav, "can": can}
