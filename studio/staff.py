"""Staff accounts, managed by owners: add, disable, reset the password, grant credit adjustments,
log out everywhere. (The account services are balances/staff.py.)"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm, UserCreationForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from balances import roles
from balances.roles import FRONT_DESK, OWNER, requires
from balances.staff import adjust_permission, can_adjust_directly, end_sessions

MANAGE = roles.MANAGE_STAFF
ACTIONS = {"disable", "enable", "grant_adjust", "revoke_adjust", "logout_everywhere"}


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


def _page(request, *, add_form=None, password_forms=None, status=200):
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
    context = {"rows": rows, "add_form": add_form or StaffCreationForm(), "owner_role": OWNER}
    return TemplateResponse(request, "studio/staff.html", context, status=status)


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
    user = form.save()
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
    if action == "disable" and user.pk == request.user.pk:
        messages.error(request, "You cannot disable your own account.")
        return _page(request, status=400)
    if action in ("disable", "enable"):
        user.is_active = action == "enable"
        user.save(update_fields=["is_active"])
        if not user.is_active:
            end_sessions(user)
    elif action == "grant_adjust":
        user.user_permissions.add(adjust_permission())
    elif action == "revoke_adjust":
        user.user_permissions.remove(adjust_permission())
    else:
        end_sessions(user)
    messages.success(request, f"{user.get_username()}: done ({action.replace('_', ' ')}).")
    return redirect("staff:list")


@sensitive_post_parameters("new_password1", "new_password2")
@require_POST
@requires(MANAGE)
def staff_password(request, user_id: int):
    """Set a new password for a staff member (e.g. a forgotten one) and end their sessions."""
    user = get_object_or_404(get_user_model(), pk=user_id)
    form = SetPasswordForm(user, request.POST, prefix=f"u{user.pk}")
    if not form.is_valid():
        return _page(request, password_forms={user.pk: form}, status=400)
    form.save()
    end_sessions(user)
    messages.success(request, f"New password set for {user.get_username()}; they were logged out everywhere.")
    return redirect("staff:list")
