"""Per-pool views loaded on demand inside the member panel."""

from django.views.decorators.http import require_GET

from balances import roles
from balances.explain import explain_pool
from balances.roles import requires
from balances.wix.errors import WixNotFound
from config.web import Page, page

NO_SUCH_PLAN = "This member has no such plan."


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/explain.html", "explanation", not_found=NO_SUCH_PLAN)
def explain_balance(request, view: Page, member_id, pool_id):
    explanation = explain_pool(view.client, str(pool_id))
    if explanation.balance.member_id != str(member_id):
        raise WixNotFound(NO_SUCH_PLAN)
    return view.render({"explanation": explanation})
