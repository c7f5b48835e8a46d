from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The project-wide pieces that need an app: deployment checks and the session-start stamp."""

    name = "config"
    label = "site_config"
    verbose_name = "Site configuration"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the checks)
        from .middleware import stamp_session_start

        user_logged_in.connect(stamp_session_start, dispatch_uid="config.stamp_session_start")
