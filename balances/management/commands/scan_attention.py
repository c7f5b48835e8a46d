"""`manage.py scan_attention [--every SECONDS]`: refresh the Needs attention report from a worker or cron."""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from balances.attention import refresh
from balances.models import StudioPreferences
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from balances.wix.errors import WixError


class Command(BaseCommand):
    help = "Scan every balance in Wix (within the call budget) and store the Needs attention report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (0: once)")
        parser.add_argument("--times", type=int, default=0, help="stop after this many scans (0: no limit)")

    def handle(self, *args: object, every: int, times: int, **options: object) -> None:
        done = 0
        while True:
            try:
                fingerprint = connection_fingerprint(current_auth())
            except WixError as error:
                raise CommandError(error.message) from error
            threshold = StudioPreferences.current().low_credit_threshold
            report = refresh(get_client(), fingerprint, threshold)
            if report is None:
                self.stdout.write("Another scan is running or Wix failed; the last report stays.")
            else:
                self.stdout.write(f"Scanned {report.pools_scanned} balances in {report.calls} Wix calls.")
            done += 1
            if not every or (times and done >= times):
                return
            time.sleep(every)
