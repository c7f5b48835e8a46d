from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    # Its own app (and migrations), so the directory index evolves apart from balances' own tables.
    name = "balances.directory"
    label = "directory"
    verbose_name = "Member directory index"
    default_auto_field = "django.db.models.BigAutoField"
