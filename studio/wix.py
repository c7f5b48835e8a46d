"""Settings → Wix connection (owners only). Secrets are write-only and changing them needs a fresh
password re-check (studio/reauth.py)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from balances import roles
from balances.roles import requires
from balances.secrets import SecretUnreadable
from balances.wix.connection import auth_from_environment
from balances.wix.models import WixConnection
from balances.wix.probe import check_connection
from config.web import partial_template

from . import reauth
from .wix_forms import ConnectionForm

MANAGE = roles.MANAGE_CONNECTION
SECRETS = ("api_key", "app_secret", "password")


def _page(request, *, form=None, reauth_form=None, status=200, check=None, template="studio/wix_settings.html"):
    stored = WixConnection.load()
    unreadable = False
    if stored is not None:
        try:
            stored.auth()
        except SecretUnreadable:
            unreadable = True
    env_auth = auth_from_environment()
    fresh = reauth.is_fresh(request)
    if form is None and fresh:
        initial = (
            {"method": stored.method, "site_id": stored.site_id, "app_id": stored.app_id, "instance_id": stored.instance_id}
            if stored
            else {}
        )
        form = ConnectionForm(initial=initial, existing=stored)
    context = {
        "stored": stored,
        "unreadable": unreadable,
        "source": "stored" if stored else ("environment" if env_auth else ""),
        "env_method": getattr(env_auth, "kind", ""),
        "base_url": settings.WIX_API_BASE_URL,
        "fresh": fresh,
        "form": form,
        "reauth_form": reauth_form or reauth.ReauthForm(),
        "check": check,
    }
    return TemplateResponse(request, template, context, status=status)


@require_GET
@requires(MANAGE)
def connection_settings(request):
    return _page(request)


@sensitive_post_parameters(*SECRETS)
@require_POST
@requires(MANAGE)
@reauth.fresh_password_required(_page)
def save_connection(request):
    form = ConnectionForm(request.POST, existing=WixConnection.load())
    if not form.is_valid():
        return _page(request, form=form, status=400)
    form.save(request.user)
    messages.success(request, "Wix connection saved. It is in force from the next page load.")
    return redirect("wix:settings")


confirm_password = reauth.confirm_password_view(MANAGE, "wix:settings", _page)


@require_POST
@requires(MANAGE)
@reauth.fresh_password_required(_page)
def forget_connection(request):
    """Delete the stored credentials: the environment's (if any) are in force again."""
    WixConnection.objects.filter(pk=1).delete()
    messages.success(request, "Stored Wix credentials deleted.")
    return redirect("wix:settings")


@require_POST
@requires(MANAGE)
def test_connection(request):
    """One live check; an HTMX request gets just the result, swapped next to the button."""
    check = check_connection()
    template = partial_template(request, "studio/wix_settings.html", "check")
    return _page(request, check=check, status=200 if check.ok else 502, template=template)
