"""Every URL, by audience: the front desk (members/), the owner's back office (studio/), machines (api/).

The URLs and their names are unchanged from before the split, so "brevo" and "audit" each join a
back-office list with the desk's part of it (the Brevo member panel, Undo)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

import members.checkin
import members.today
import members.urls
import studio.urls
from studio.staff import LoginForm, OwnPasswordChangeView

handler500 = "config.errors.server_error"

urlpatterns = [
    members.urls.home,
    path("today/", members.today.today, name="today"),  # the front desk's day (members/today.py)
    path("today/check-in/", members.checkin.check_in, name="checkin"),  # check-in (members/checkin.py)
    path("today/check-in/<int:entry_id>/undo/", members.checkin.undo_check_in, name="checkin_undo"),
    path("today/everyone-present/", members.checkin.everyone_present, name="checkin_everyone"),
    path("members/", include("members.urls")),
    path("audit/", include(([*studio.urls.audit_urls, *members.urls.audit_urls], "audit"))),
    path("", include(studio.urls.token_urls)),
    path("", include("api.urls")),
    path("settings/", include((studio.urls.wix_urls, "wix"))),
    path("staff/", include((studio.urls.staff_urls, "staff"))),
    path("ai-credits/", include((studio.urls.ai_urls, "ai"))),
    path("brevo/", include(([*studio.urls.brevo_urls, *members.urls.brevo_urls], "brevo"))),
    path("jobs/", include(studio.urls.jobs_urls)),
    path("activity/", include(studio.urls.activity_urls)),
    path("digest/", include((studio.urls.digest_urls, "digest"))),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", OwnPasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
