"""A short-lived "you typed your password again" mark in the session, required before secrets change.

Same shape as healthchecks' sudo mode: a TimestampSigner-signed value bound to the user, checked
with a maximum age. Password attempts go through authenticate(), so django-axes throttles them
like log-ins.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.core import signing

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
