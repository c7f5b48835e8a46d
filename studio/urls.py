"""The owner's back office. Each page keeps the URL (and URL name) it had before the apps were split;
config/urls.py mounts each list under its prefix and namespace."""

from django.urls import path

from . import activity, ai, audit, brevo, digest, jobs, staff, tokens, wix

wix_urls = [
    path("", wix.connection_settings, name="settings"),
    path("save/", wix.save_connection, name="save"),
    path("confirm-password/", wix.confirm_password, name="confirm_password"),
    path("forget/", wix.forget_connection, name="forget"),
    path("test/", wix.test_connection, name="test"),
]
brevo_urls = [
    path("settings/", brevo.brevo_settings, name="settings"),
    path("settings/confirm-password/", brevo.confirm_password, name="confirm_password"),
]
ai_urls = [path("", ai.ai_credits_panel, name="credits")]
staff_urls = [
    path("", staff.staff_list, name="list"),
    path("add/", staff.staff_add, name="add"),
    path("confirm-password/", staff.confirm_password, name="confirm_password"),
    path("<int:user_id>/", staff.staff_change, name="change"),
    path("<int:user_id>/password/", staff.staff_password, name="password"),
]
audit_urls = [
    path("", audit.audit_log, name="list"),
    path("export.csv", audit.audit_export, name="export"),
    path("<int:entry_id>/resolve/", audit.resolve_change, name="resolve"),
]
token_urls = [
    path("api-tokens/", tokens.api_tokens, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke/", tokens.revoke_token, name="api_token_revoke"),
]
jobs_urls = [path("", jobs.jobs_page, name="jobs")]
activity_urls = [path("", activity.recent_activity, name="activity")]
digest_urls = [
    path("", digest.digest_settings, name="settings"),
    path("preview/", digest.digest_preview, name="preview"),
    path("unsubscribe/<str:token>/", digest.digest_unsubscribe, name="unsubscribe"),
]
