"""`manage.py createowner USERNAME`: the first owner of a real deployment.

The password is asked for twice on a terminal, or read from CREDIT_DESK_OWNER_PASSWORD for scripted
deployments (never from the command line, where it would land in shell history and `ps`).
"""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from balances.roles import OWNER

PASSWORD_ENV = "CREDIT_DESK_OWNER_PASSWORD"


class Command(BaseCommand):
    help = "Create an owner account (role Owner) with a password checked by Django's validators."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: object, username: str, **options: object) -> None:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"An account named {username!r} already exists.")
        password = os.environ.get(PASSWORD_ENV) or self._ask()
        user = User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        with transaction.atomic():
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=OWNER))
        self.stdout.write(self.style.SUCCESS(f"Owner {username!r} created."))

    def _ask(self) -> str:
        if not os.isatty(0):
            raise CommandError(f"No terminal to ask for a password: set {PASSWORD_ENV}.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return password
