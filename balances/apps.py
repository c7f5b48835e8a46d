from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BalancesConfig(AppConfig):
    name = "balances"
    verbose_name = "Balances"

    def ready(self) -> None:
        from .roles import sync_roles

        post_migrate.connect(sync_roles, sender=self)
