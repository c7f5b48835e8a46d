"""The `demo` app: `make demo` (the dashboard wired to in-process Wix and Brevo sandboxes).

Installed only by `config.demo.settings` (used by `make demo`, `make sandbox` and the tests), never by
production's `config.settings`: it is the one place that joins the sandbox to our models.
"""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "config.demo"
    label = "demo"
    verbose_name = "Demo on the built-in sandboxes"
