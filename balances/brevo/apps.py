from django.apps import AppConfig


class BrevoConfig(AppConfig):
    # Its own app (and migrations), so the Brevo connection table evolves apart from balances' own.
    name = "balances.brevo"
    label = "brevo"
    verbose_name = "Brevo Loyalty"
    default_auto_field = "django.db.models.BigAutoField"
