from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from balances import roles
from balances.brevo.errors import BrevoError, BrevoNotConfigured
from balances.brevo.models import BrevoConnection
from balances.brevo.service import connect, definitions
from balances.roles import requires
from balances.secrets import SecretUnreadable

from . import reauth
from .brevo_forms import BrevoConnectionForm


def _page(request, form=None, connection=None, *, status=200, reauth_form=None):
    if form is None:  # the page as it stands (after a refused or wrong password)
        connection = BrevoConnection.current()
        form = BrevoConnectionForm(has_key=connection is not None)
    return TemplateResponse(
        request,
        "studio/brevo_settings.html",
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
@requires(roles.MANAGE_CONNECTION)
@reauth.fresh_password_required(_page)
def brevo_settings(request):
    """Owners connect (or disconnect) Brevo Loyalty. The key is checked against Brevo before it is kept.
    Changing it needs the owner's password again, as for the Wix credentials (studio/reauth.py)."""
    connection = BrevoConnection.current()
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


confirm_password = reauth.confirm_password_view(roles.MANAGE_CONNECTION, "brevo:settings", _page)


def _explain(error: BrevoError) -> str:
    if error.status == 404:
        return "Brevo has no loyalty program with that ID (or it isn't published). Nothing was saved."
    return f"{error.message} Nothing was saved."
