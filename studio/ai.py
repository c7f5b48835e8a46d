from django.views.decorators.http import require_GET

from balances import roles
from balances.ai.service import ai_credits
from balances.roles import requires
from balances.wix.errors import WixPermissionError
from config.web import Page, page


@require_GET
@requires(roles.MANAGE_CONNECTION)
@page("studio/ai_credits.html", "panel")
def ai_credits_panel(request, view: Page):
    """Owners only: AI credits belong to the Wix account, not to a member."""
    view.context["result"] = None
    result = ai_credits(view.client, view.fingerprint, refresh=view.refresh)
    status = 200
    if not result.ok:
        # Wix refusing the key is Wix's answer, not an outage: 502; anything else: 503.
        status = 502 if result.failure is not None and issubclass(result.failure, WixPermissionError) else 503
    return view.render({"result": result, "error": result.error}, status=status)
