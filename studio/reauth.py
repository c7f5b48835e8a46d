"""A short-lived "you typed your password again" mark in the session, required before secrets change.

Same shape as healthchecks' sudo mode: a TimestampSigner-signed value bound to the user, checked
with a maximum age. Password attempts go through authenticate(), so django-axes throttles them
like log-ins.
"""

import functools
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from balances.roles import requires

SESSION_KEY = "reauth"
_signer = signing.TimestampSigner(salt="credit-desk.reauth")


def reauth_seconds() -> int:
    return getattr(settings, "REAUTH_SECONDS", 600)


def is_fresh(request) -> bool:
    token = request.session.get(SESSION_KEY)
    if not token:
        return False
    try:
        return _signer.unsign(token, max_age=reauth_seconds()) == str(request.user.pk)
    except signing.BadSignature:  # includes SignatureExpired
        return False


def confirm_password(request, password: str) -> bool:
    """Check the signed-in user's password; on success, open the short re-auth window."""
    user = authenticate(request, username=request.user.get_username(), password=password)
    if user is None or user.pk != request.user.pk:
        return False
    request.session[SESSION_KEY] = _signer.sign(str(user.pk))
    return True


def end(request) -> None:
    request.session.pop(SESSION_KEY, None)


class ReauthForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "current-password"}),
    )


def password_form(request) -> ReauthForm:
    """The posted password form, checked: valid means the password was right and the window is open."""
    form = ReauthForm(request.POST)
    if form.is_valid() and not confirm_password(request, form.cleaned_data["password"]):
        form.add_error("password", "That is not your password.")
    return form


Refused = Callable[..., HttpResponse]


def fresh_password_required(refused: Refused):
    """The one gate in front of every change to a secret: a POST without a fresh password re-check is
    answered by `refused(request, status=403)` — the settings page again, with its password form."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST" and not is_fresh(request):
                return refused(request, status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def confirm_password_view(permission: str, then: str, page: Refused):
    """The view that takes the password: right, back to `then` (a URL name) with the window open;
    wrong, `page(request, reauth_form=form, status=400)`."""

    @sensitive_post_parameters("password")
    @require_POST
    @requires(permission)
    def confirm_password_page(request: HttpRequest) -> HttpResponse:
        form = password_form(request)
        if form.is_valid():
            return redirect(then)
        return page(request, reauth_form=form, status=400)

    return confirm_password_page
