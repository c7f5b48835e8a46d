from django.apps import AppConfig


class DeskConfig(AppConfig):
    # Its own app (and migrations): the desk's small preferences evolve apart from balances' own tables.
    name = "balances.desk"
    label = "desk"
    verbose_name = "Front desk preferences"
    default_auto_field = "django.db.models.BigAutoField"
