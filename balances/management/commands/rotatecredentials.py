"""`manage.py rotatecredentials`: re-seal every stored secret with the first (primary) CREDENTIALS_KEYS key.

Rotation: put a new key first in CREDENTIALS_KEYS (keep the old one after it), restart, run this,
then drop the old key. See README.md, "Rotating the credentials key". Every model that stores secrets
mixes in balances.secrets.SealedSecrets and is covered here without being listed.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from balances.secrets import SecretUnreadable, primary_key_id, sealed_models


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the primary CREDENTIALS_KEYS key."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if primary_key_id() is None:
            raise CommandError("CREDENTIALS_KEYS is empty.")
        count = 0
        # One transaction: if any secret cannot be read, no row changes and the old key stays needed.
        for model in sealed_models():
            if not issubclass(model, models.Model):  # a mixin on a non-model has no rows
                continue
            for row in model._default_manager.select_for_update():
                try:
                    columns = row.rotate()
                except SecretUnreadable as exc:
                    raise CommandError(f"{row}: {exc} Nothing was changed.") from exc
                row.save(update_fields=columns)
                count += 1
        self.stdout.write(f"Re-encrypted the secrets of {count} stored connection(s) with key {primary_key_id()!r}.")
