"""The main navigation, as one list: a new page joins by adding its entry (label, URL name, permission, group).

Two groups: the desk (what the front desk works in all day) and the owner's "Studio" menu (the back office).

`navigation(request)` is a template context processor: `nav` is the entries this user may open, and
`can` holds one flag per permission in balances.roles (`can.adjust_credits`, …), so templates never
spell a permission name."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from balances import roles


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    permission: str
    group: str = "desk"
    owns: tuple[str, ...] = ()  # other paths that belong to this entry (its active state), e.g. its lists


DESK, STUDIO = "desk", "studio"
NAVIGATION: list[Entry] = [
    Entry("Needs attention", "home", roles.VIEW_MEMBERS, owns=("/members/attention/",)),
    Entry("Members", "members:list", roles.VIEW_MEMBERS),
    Entry("Today", "today", roles.VIEW_MEMBERS),  # the day's classes and their attendees' credits
    Entry("Settings", "wix:settings", roles.MANAGE_CONNECTION, STUDIO),
    Entry("Staff", "staff:list", roles.MANAGE_STAFF, STUDIO),
    Entry("API tokens", "api_tokens", roles.MANAGE_CONNECTION, STUDIO),
    Entry("AI credits", "ai:credits", roles.MANAGE_CONNECTION, STUDIO),
    Entry("Brevo", "brevo:settings", roles.MANAGE_CONNECTION, STUDIO),
    Entry("Audit log", "audit:list", roles.VIEW_AUDIT, STUDIO),
    Entry("Recent activity", "activity", roles.VIEW_AUDIT, STUDIO),
    Entry("Morning digest", "digest:settings", roles.MANAGE_CONNECTION, STUDIO),
    Entry("Jobs", "jobs", roles.MANAGE_CONNECTION, STUDIO),
]

# "Needs attention" and "Members" were always shown to every signed-in account (their pages answer
# 403 to an account without view_members); the links stay unconditional.
ALWAYS = {"home", "members:list"}


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "nav_desk": [], "nav_studio": [], "studio_active": False, "can": {}, "is_owner": False}
    can = {roles.codename(p): user.has_perm(p) for p in roles.ALL}
    entries: list[tuple[Entry, str, int]] = []
    for e in NAVIGATION:
        if e.url_name in ALWAYS or can[roles.codename(e.permission)]:
            url = reverse(e.url_name)
            # How closely this entry claims the page: its own URL exactly, a section's pages (/members/<id>/), or
            # a path it owns; the closest claim is the active entry (so /members/attention/out/ is Needs attention).
            claims = [len(p) for p in (url, *e.owns) if request.path == p or (p != "/" and request.path.startswith(p))]
            entries.append((e, url, max(claims, default=0)))
    best = max((claim for _, _, claim in entries), default=0)
    nav = [{"label": e.label, "url": url, "group": e.group, "active": best > 0 and claim == best} for e, url, claim in entries]
    studio = [n for n in nav if n["group"] == STUDIO]
    return {
        "nav": nav,
        "nav_desk": [n for n in nav if n["group"] == DESK],
        "nav_studio": studio,
        "studio_active": any(n["active"] for n in studio),
        "can": can,
        "is_owner": SimpleLazyObject(lambda: roles.is_owner(user)),  # a query only for pages that ask
    }
