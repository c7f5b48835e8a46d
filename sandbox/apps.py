"""Django app config for the sandbox (only to expose ``manage.py runsandbox``; installed by config.demo.settings)."""

from django.apps import AppConfig  # type: ignore[import-untyped, unused-ignore]


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Wix API sandbox"
    default_auto_field = "django.db.models.BigAutoField"
