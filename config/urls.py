from django.contrib.auth import views as auth_views
from django.urls import include, path

from balances.health import healthz
from balances.staff import LoginForm
from members.attention import home

handler500 = "config.errors.server_error"

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
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
