"""`manage.py rotatecredentials`: re-seal stored secrets with the first (primary) CREDENTIALS_KEYS key.

Rotation: put a new key first in CREDENTIALS_KEYS (keep the old one after it), restart, run this,
then drop the old key. See README.md, "Rotating the credentials key".
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from balances.secrets import SecretUnreadable, primary_key_id
from balances.wix.models import WixConnection


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the primary CREDENTIALS_KEYS key."

    @transaction.atomic
    def handle(self, *args, **options):
        if primary_key_id() is None:
            raise CommandError("CREDENTIALS_KEYS is empty.")
        count = 0
        for connection in WixConnection.objects.select_for_update():
            try:
                connection.rotate()
            except SecretUnreadable as exc:
                raise CommandError(f"{connection}: {exc} Nothing was changed.") from exc
            connection.save(update_fields=["api_key_sealed", "app_secret_sealed"])
            count += 1
        self.stdout.write(f"Re-encrypted {count} stored connection(s) with key {primary_key_id()!r}.")
