from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from balances.roles import requires
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from balances.wix.errors import WixNotConfigured, WixPermissionError

from .service import ai_credits


@require_GET
@requires("balances.manage_connection")
def ai_credits_panel(request):
    """Owners only: AI credits belong to the Wix account, not to a member."""
    template = "ai/credits.html#panel" if request.htmx and not request.htmx.history_restore_request else "ai/credits.html"
    try:
        auth = current_auth()
    except WixNotConfigured as error:
        return TemplateResponse(request, template, {"result": None, "error": error.message}, status=503)
    result = ai_credits(get_client(), connection_fingerprint(auth), refresh=request.GET.get("refresh") == "1")
    status = 200
    if not result.ok:
        # Wix refusing the key is Wix's answer, not an outage: 502; anything else: 503.
        status = 502 if issubclass(result.failure, WixPermissionError) else 503
    return TemplateResponse(request, template, {"result": result, "error": result.error}, status=status)
