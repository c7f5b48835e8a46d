"""``python manage.py runsandbox --port 8765 --members 300 --seed 7 --latency-ms 0 --error-rate 0 --rate-limit 0``"""

from django.core.management.base import BaseCommand  # type: ignore[import-untyped, unused-ignore]

from sandbox import cli


class Command(BaseCommand):
    help = "Run the Wix API sandbox (emulator) on 127.0.0.1."

    def add_arguments(self, parser):
        cli.add_arguments(parser)

    def handle(self, *args, **options):
        cli.run(options, out=self.stdout)
