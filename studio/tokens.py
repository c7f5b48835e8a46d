"""Owners create and revoke the site's API tokens; a new token is shown once, in the POST's answer."""

from django import forms
from django.core.validators import MaxValueValidator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from balances import roles
from balances.api_tokens import create_token, max_wix_calls_per_minute, revoke
from balances.models import ApiToken
from balances.roles import requires

# Tokens unlock member data for the whole site, like the Wix connection itself.
MANAGE_TOKENS = roles.MANAGE_CONNECTION


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, label="Name", help_text="Where it is used, e.g. “Booking page”.")
    requests_per_minute = forms.IntegerField(min_value=1, max_value=600, initial=60, label="Requests per minute")
    wix_calls_per_minute = forms.IntegerField(
        min_value=1,
        initial=30,
        required=False,
        label="Wix calls per minute",
        help_text="What its lookups may spend of the studio's Wix call budget: one Wix must answer costs 4–5 calls, "
        "one answered from the cache none.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # At most the machines' share of the budget: a token can never take the people's share.
        field = self.fields["wix_calls_per_minute"]
        field.max_value = max_wix_calls_per_minute()
        field.validators.append(MaxValueValidator(field.max_value))
        field.widget.attrs["max"] = field.max_value


@require_http_methods(["GET", "POST"])
@requires(MANAGE_TOKENS)
def api_tokens(request):
    form = TokenForm(request.POST or None)
    context = {"form": form, "new_token": None}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            token, plaintext = create_token(
                form.cleaned_data["name"],
                request.user,
                requests_per_minute=form.cleaned_data["requests_per_minute"],
                wix_calls_per_minute=form.cleaned_data["wix_calls_per_minute"] or 30,
            )
            context.update(new_token=plaintext, created=token, form=TokenForm())
        else:
            status = 400
    context["tokens"] = ApiToken.objects.all()
    return TemplateResponse(request, "studio/api_tokens.html", context, status=status)


@require_POST
@requires(MANAGE_TOKENS)
def revoke_token(request, token_id):
    revoke(get_object_or_404(ApiToken, pk=token_id))
    return redirect("api_tokens")
