from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balances import reauth
from balances.roles import requires
from balances.secrets import SecretUnreadable
from balances.wix.connection import get_client
from balances.wix.errors import WixError, WixNotFound

from .errors import BrevoError, BrevoNotConfigured
from .forms import BrevoConnectionForm
from .models import BrevoConnection
from .service import connect, definitions, member_loyalty


def _partial(request, template: str, partial: str) -> str:
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def _page(request, form, connection, *, status=200, reauth_form=None):
    return TemplateResponse(
        request,
        "brevo/settings.html",
        {
            "form": form,
            "connection": connection,
            "settings_base_url": settings.BREVO_API_BASE_URL,
            "fresh": reauth.is_fresh(request),
            "reauth_form": reauth_form or reauth.ReauthForm(),
        },
        status=status,
    )


@sensitive_post_parameters("api_key")
@require_http_methods(["GET", "POST"])
@requires("balances.manage_connection")
def brevo_settings(request):
    """Owners connect (or disconnect) Brevo Loyalty. The key is checked against Brevo before it is kept.
    Changing it needs the owner's password again, as for the Wix credentials (balances/reauth.py)."""
    connection = BrevoConnection.current()
    if request.method == "POST" and not reauth.is_fresh(request):
        form = BrevoConnectionForm(has_key=connection is not None)
        return _page(request, form, connection, status=403)
    if request.method == "POST" and request.POST.get("action") == "remove":
        BrevoConnection.objects.all().delete()
        messages.success(request, "Brevo Loyalty is disconnected.")
        return redirect("brevo:settings")
    form = BrevoConnectionForm(
        request.POST or None, has_key=connection is not None, initial={"program_id": connection.program_id} if connection else None
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            candidate = BrevoConnection(pk=connection.pk if connection else None, program_id=form.cleaned_data["program_id"])
            try:
                if form.cleaned_data["api_key"]:
                    candidate.set_api_key(form.cleaned_data["api_key"])
                else:
                    candidate.set_api_key(connection.api_key())
                # One cheap loyalty call proves the key, the program and the Loyalty module together.
                definitions(connect(candidate))
            except SecretUnreadable as error:
                form.add_error("api_key", str(error))
            except BrevoNotConfigured as error:
                form.add_error("api_key", error.message)
            except BrevoError as error:
                form.add_error(None, _explain(error))
            else:
                candidate.updated_by = request.user
                with transaction.atomic():
                    candidate.save()
                messages.success(request, "Brevo Loyalty is connected.")
                return redirect("brevo:settings")
        status = 400
    return _page(request, form, connection, status=status)


@sensitive_post_parameters("password")
@require_POST
@requires("balances.manage_connection")
def confirm_password(request):
    form = reauth.password_form(request)
    if form.is_valid():
        return redirect("brevo:settings")
    connection = BrevoConnection.current()
    return _page(request, BrevoConnectionForm(has_key=connection is not None), connection, status=400, reauth_form=form)


def _explain(error: BrevoError) -> str:
    if error.status == 404:
        return "Brevo has no loyalty program with that ID (or it isn't published). Nothing was saved."
    return f"{error.message} Nothing was saved."


@require_GET
@requires("balances.view_members")
def member_panel(request, member_id):
    """The member's Brevo balances, loaded into the Wix member panel on its own request (hx-trigger=load)
    so that a slow or broken Brevo never holds up or breaks the Wix figures."""
    template = _partial(request, "brevo/member.html", "loyalty")
    if BrevoConnection.current() is None:
        return TemplateResponse(request, template, {"result": None, "configured": False})
    try:
        email = get_client().get_member(str(member_id)).email
    except WixError as error:
        message = "No member with this ID exists in Wix." if isinstance(error, WixNotFound) else error.message
        return TemplateResponse(
            request,
            template,
            {"result": None, "configured": True, "error": message},
            status=404 if isinstance(error, WixNotFound) else 503,
        )
    result = member_loyalty(email, refresh=request.GET.get("refresh") == "1") if email else None
    status = 503 if result is not None and not result.ok else 200
    return TemplateResponse(
        request,
        template,
        {"result": result, "configured": True, "member_id": member_id, "error": result.error if result else ""},
        status=status,
    )
