"""`manage.py resolve_changes [--older-than SECONDS] [--every SECONDS]`: settle unknown and pending audit
rows from Wix's ledger (balances/resolve.py), so nothing stays unresolved. Run it from a scheduler."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from balances.resolve import resolve_stale
from balances.wix.budget import SCANS
from balances.wix.connection import get_client
from balances.wix.errors import WixError


class Command(BaseCommand):
    help = "Settle unknown/pending credit changes older than a few minutes from Wix's transactions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=180, help="only rows at least this many seconds old")
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (0: once)")
        parser.add_argument("--times", type=int, default=0, help="stop after this many rounds (0: no limit)")

    def handle(self, *args: object, older_than: int, every: int, times: int, **options: object) -> None:
        done = 0
        while True:
            try:
                client = get_client()
            except WixError as error:
                raise CommandError(error.message) from error
            with client.budget.share(SCANS):  # background work: people first
                results = resolve_stale(client, older_than=timedelta(seconds=older_than))
            settled = [r for r in results if r.changed]
            self.stdout.write(f"Looked at {len(results)} open changes; settled {len(settled)}.")
            for r in settled:
                self.stdout.write(f"  {r.entry.idempotency_key}: {r.outcome}")
            done += 1
            if not every or (times and done >= times):
                return
            time.sleep(every)
