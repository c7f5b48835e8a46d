"""`manage.py probewix [--pair POOL_ID --as OWNER]`: settle what Wix does not document (docs/wix-probe.md)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from balances import roles
from balances.assumptions import Finding, pair_probe, read_probe
from balances.wix.connection import get_client
from balances.wix.errors import WixError


class Command(BaseCommand):
    help = "Probe the Wix site in force: reads only, or one +1/-1 pair on a plan the owner names."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pair", metavar="POOL_ID", default="", help="also make one +1/-1 pair on this plan")
        parser.add_argument("--as", dest="username", default="", help="the owner the pair is audited under")

    def handle(self, *args: object, pair: str, username: str, **options: object) -> None:
        user = None
        if pair:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None or not user.has_perm(roles.ADJUST_CREDITS):
                raise CommandError(
                    "--pair needs --as with an active account allowed to adjust credits (the change is audited under it)."
                )
        try:
            client = get_client()
            findings = read_probe(client)
            if pair and user is not None:
                findings += pair_probe(client, user, pair)
        except WixError as error:
            raise CommandError(error.message) from error
        for finding in findings:
            self.stdout.write(_line(finding))


def _line(finding: Finding) -> str:
    return f"{'' if finding.settled else '(unsettled) '}{finding.question}: {finding.answer}"
