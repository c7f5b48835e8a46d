"""The Brevo Loyalty part of the member panel (the connection itself is the owner's: studio/brevo.py)."""

from django.views.decorators.http import require_GET

from balances import roles
from balances.brevo.models import BrevoConnection
from balances.brevo.service import member_loyalty
from balances.roles import requires
from config.web import Page, page


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/brevo.html", "loyalty", not_found="No member with this ID exists in Wix.")
def member_panel(request, view: Page, member_id):
    """The member's Brevo balances, loaded into the Wix member panel on its own request (hx-trigger=load)
    so that a slow or broken Brevo never holds up or breaks the Wix figures."""
    view.context.update(result=None, configured=BrevoConnection.current() is not None)
    if not view.context["configured"]:
        return view.render()
    email = view.client.get_member(str(member_id)).email
    result = member_loyalty(email, refresh=view.refresh) if email else None
    status = 503 if result is not None and not result.ok else 200
    return view.render({"result": result, "error": result.error if result else ""}, status=status)
