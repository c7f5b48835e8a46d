"""Fill the directory index (members' search) from Wix now: `--full` re-walks every member and drops the deleted."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from balances.directory.sync import pick_up_new, rewalk
from balances.wix.connection import get_client


class Command(BaseCommand):
    help = "Pick up new members into the search index (or re-walk every member with --full)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--full", action="store_true", help="walk every member; drop the ones Wix no longer has")

    def handle(self, *args: Any, full: bool = False, **options: Any) -> None:
        result = (rewalk if full else pick_up_new)(get_client())
        self.stdout.write(result.describe())
