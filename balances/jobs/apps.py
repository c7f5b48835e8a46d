from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "balances.jobs"
    label = "jobs"  # the tables and migrations keep the name they were created with
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every app's `tasks.py` registers its tasks and scheduled jobs on import (see balances/jobs/schedule.py),
        # so the worker and the owner's Jobs page know the same list in every process.
        autodiscover_modules("tasks")
