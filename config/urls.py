from django.contrib.auth import views as auth_views
from django.urls import include, path

from balances.health import healthz
from balances.staff import LoginForm
from jobs.views import jobs_page
from members.attention import home

urlpatterns = [
    path("", home, name="home"),
    path("members/", include("members.urls")),
    path("audit/", include("balances.audit_urls")),
    path("", include("balances.urls")),
    path("healthz", healthz, name="healthz"),
    path("settings/", include("balances.wix.urls")),
    path("staff/", include("balances.staff")),
    path("ai-credits/", include("balances.ai.urls")),
    path("brevo/", include("balances.brevo.urls")),
    # The owner's Jobs page (issue 12); to be re-homed into the studio/ app with the other owner pages.
    path("studio/jobs/", jobs_page, name="jobs"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
