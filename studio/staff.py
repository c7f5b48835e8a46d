"""Staff accounts, managed by owners: add, disable, reset the password, grant credit adjustments,
log out everywhere; and one's own password change. (The account services are balances/staff.py.)

Whatever could hand the owner's powers to someone else — adding or promoting an owner, setting a
password, disabling or enabling an account, granting a permission — needs the password typed again
(studio/reauth.py, as for the Wix and Brevo secrets): a stolen or unattended session alone cannot make a
second owner and log in as it. Taking rights away (revoke, log out everywhere, adding a front-desk
account) does not. One's own password is changed with the current one (Django's password-change
view), never through the reset here. Every change leaves a row in the audit log.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm, UserCreationForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from balances import roles
from balances.roles import FRONT_DESK, OWNER, requires
from balances.staff import adjust_permission, can_adjust_directly, end_sessions, record_staff_change

from . import reauth

MANAGE = roles.MANAGE_STAFF
# action: (what the audit row says, needs the password again)
ACTIONS = {
    "disable": ("Disabled the account", True),
    "enable": ("Enabled the account", True),
    "grant_adjust": ("Granted: adjust credits", True),
    "revoke_adjust": ("Revoked: adjust credits", False),
    "make_owner": ("Role changed to Owner", True),
    "make_front_desk": ("Role changed to Front desk", True),
    "logout_everywhere": ("Logged out everywhere", False),
}
STEP_UP_MESSAGE = "Enter your password again (below) to make this change; it stays open for 10 minutes."


class LoginForm(AuthenticationForm):
    """Django's login form sets the username's max_length after the field is built, so the length is
    never validated; an over-long name then reaches django-axes' varchar(255) column (a 500 on
    PostgreSQL). Refuse it up front, before anything authenticates or records it."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        if len(username) > self.fields["username"].max_length:
            raise forms.ValidationError("Please enter a correct username and password.", code="invalid_login")
        return username


class StaffCreationForm(UserCreationForm):
    role = forms.ChoiceField(choices=[(FRONT_DESK, FRONT_DESK), (OWNER, OWNER)], initial=FRONT_DESK)

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # django-stubs omits Meta
        model = get_user_model()
        fields = ("username",)

    @transaction.atomic
    def save(self, commit=True):
        user = super().save(commit=True)
        user.groups.set([Group.objects.get(name=self.cleaned_data["role"])])
        return user


def _staff():
    return get_user_model().objects.prefetch_related("groups", "user_permissions").order_by("username")


def _page(request, *, add_form=None, password_forms=None, reauth_form=None, status=200):
    rows = []
    for user in _staff():
        groups = {g.name for g in user.groups.all()}
        rows.append(
            {
                "user": user,
                "role": OWNER if OWNER in groups else (FRONT_DESK if FRONT_DESK in groups else "—"),
                "can_adjust": OWNER in groups or can_adjust_directly(user),
                "granted_adjust": can_adjust_directly(user),
                "password_form": (password_forms or {}).get(user.pk) or SetPasswordForm(user, prefix=f"u{user.pk}"),
            }
        )
    context = {
        "rows": rows,
        "add_form": add_form or StaffCreationForm(),
        "owner_role": OWNER,
        "fresh": reauth.is_fresh(request),
        "reauth_form": reauth_form or reauth.ReauthForm(),
    }
    return TemplateResponse(request, "studio/staff.html", context, status=status)


def _password_again(request, **page) -> HttpResponse:
    """A privileged change without a fresh password re-check: nothing done, the page asks for it."""
    messages.error(request, STEP_UP_MESSAGE)
    return _page(request, status=403, **page)


@require_GET
@requires(MANAGE)
def staff_list(request):
    return _page(request)


@sensitive_post_parameters("password1", "password2")
@require_POST
@requires(MANAGE)
def staff_add(request):
    form = StaffCreationForm(request.POST)
    if not form.is_valid():
        return _page(request, add_form=form, status=400)
    if form.cleaned_data["role"] == OWNER and not reauth.is_fresh(request):
        return _password_again(request, add_form=form)
    user = form.save()
    record_staff_change(request.user, user.get_username(), f"Added the account as {form.cleaned_data['role']}")
    messages.success(request, f"Added {user.get_username()} ({form.cleaned_data['role']}).")
    return redirect("staff:list")


@require_POST
@requires(MANAGE)
def staff_change(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, "Unknown action.")
        return _page(request, status=400)
    ourselves = user.pk == request.user.pk
    if ourselves and action in ("disable", "make_front_desk"):
        messages.error(request, "You cannot disable your own account or give up your own role.")
        return _page(request, status=400)
    what, step_up = ACTIONS[action]
    if step_up and not reauth.is_fresh(request):
        return _password_again(request)
    if action == "logout_everywhere" and ourselves:
        # Every other session now; this one by logging out (deleting it under the request's feet is a 400).
        end_sessions(user, keep=request.session.session_key)
        record_staff_change(request.user, user.get_username(), what)
        logout(request)
        return redirect("login")
    if action in ("disable", "enable"):
        user.is_active = action == "enable"
        user.save(update_fields=["is_active"])
        if not user.is_active:
            end_sessions(user)
    elif action == "grant_adjust":
        user.user_permissions.add(adjust_permission())
    elif action == "revoke_adjust":
        user.user_permissions.remove(adjust_permission())
    elif action in ("make_owner", "make_front_desk"):
        user.groups.set([Group.objects.get(name=OWNER if action == "make_owner" else FRONT_DESK)])
        end_sessions(user)  # a changed role starts with a fresh log-in
    else:
        end_sessions(user)
    record_staff_change(request.user, user.get_username(), what)
    messages.success(request, f"{user.get_username()}: done ({action.replace('_', ' ')}).")
    return redirect("staff:list")


@sensitive_post_parameters("new_password1", "new_password2")
@require_POST
@requires(MANAGE)
def staff_password(request, user_id: int):
    """Set a new password for a staff member (e.g. a forgotten one) and end their sessions."""
    user = get_object_or_404(get_user_model(), pk=user_id)
    if user.pk == request.user.pk:
        # One's own password needs the current one, whatever else the session may do.
        messages.info(request, "Change your own password here, with your current one.")
        return redirect("password_change")
    form = SetPasswordForm(user, request.POST, prefix=f"u{user.pk}")
    if not form.is_valid():
        return _page(request, password_forms={user.pk: form}, status=400)
    if not reauth.is_fresh(request):
        return _password_again(request, password_forms={user.pk: SetPasswordForm(user, prefix=f"u{user.pk}")})
    form.save()
    end_sessions(user)
    record_staff_change(request.user, user.get_username(), "Password reset (and logged out everywhere)")
    messages.success(request, f"New password set for {user.get_username()}; they were logged out everywhere.")
    return redirect("staff:list")


confirm_password = reauth.confirm_password_view(MANAGE, "staff:list", _page)


# --- one's own password ------------------------------------------------------------------------------


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's form, but the current password is checked through authenticate(), so django-axes
    throttles guesses of it exactly like log-in attempts (a stolen session must not become an oracle)."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        password = self.cleaned_data["old_password"]
        found = authenticate(self.request, username=self.user.get_username(), password=password)
        if found is None or found.pk != self.user.pk:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return password


class OwnPasswordChangeView(auth_views.PasswordChangeView):
    """/accounts/password_change/ for every signed-in account. Other sessions end (the password hash
    changes under them); this one is kept. A refused form is a 400, as everywhere else."""

    form_class = OwnPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        end_sessions(self.request.user, keep=self.request.session.session_key)
        record_staff_change(self.request.user, self.request.user.get_username(), "Changed their own password")
        return response
