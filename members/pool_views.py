"""Per-pool views loaded on demand inside the member panel."""

from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from balances.explain import explain_pool
from balances.roles import requires
from balances.wix.connection import get_client
from balances.wix.errors import WixError, WixNotFound

from .views import _error_status, _partial


@require_GET
@requires("balances.view_members")
def explain_balance(request, member_id, pool_id):
    template = _partial(request, "members/explain.html", "explanation")
    try:
        explanation = explain_pool(get_client(), str(pool_id))
        if explanation.balance.member_id != str(member_id):
            raise WixNotFound("This member has no such plan.")
    except WixError as error:
        message = "This member has no such plan." if isinstance(error, WixNotFound) else error.message
        return TemplateResponse(request, template, {"error": message, "member_id": member_id}, status=_error_status(error))
    return TemplateResponse(request, template, {"explanation": explanation, "member_id": member_id})
