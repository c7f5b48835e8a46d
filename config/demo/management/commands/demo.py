"""`make demo`: the dashboard on the built-in Wix sandbox, with two demo logins, in one process."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from balances.brevo.models import BrevoConnection
from balances.jobs.worker import start_in_thread
from balances.roles import FRONT_DESK, OWNER
from balances.wix.connection import reset_clients
from sandbox import SandboxServer, build_studio
from sandbox import brevo as brevo_sandbox
from sandbox import credentials as sandbox_credentials
from sandbox.brevo import BrevoSandboxServer, build_loyalty

DEMO_USERS = (("owner", OWNER), ("frontdesk", FRONT_DESK))


class Command(BaseCommand):
    help = "Serve the dashboard on 127.0.0.1 against an in-process Wix sandbox, with demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--members", type=int, default=300)
        parser.add_argument("--latency-ms", type=int, default=0, help="delay the sandbox adds per Wix call")

    def handle(self, *args, port, members, latency_ms, **options):
        # Demo logins with a known password must never reach a real database.
        name = str(connection.settings_dict["NAME"])
        if connection.vendor != "sqlite" or not name.endswith("demo.sqlite3"):
            raise CommandError("The demo runs only on demo.sqlite3 (use `make demo`).")

        sandbox = SandboxServer(build_studio(members=members), host="127.0.0.1", port=0).start()
        sandbox.faults.latency = latency_ms / 1000
        # The dashboard reaches the sandbox exactly as it reaches Wix: base URL plus API key.
        settings.WIX_API_BASE_URL = sandbox.url
        settings.WIX_API_KEY = sandbox_credentials.API_KEY
        settings.WIX_SITE_ID = sandbox_credentials.SITE_ID
        reset_clients()
        brevo = self._brevo(sandbox)

        password = os.environ.get("DEMO_PASSWORD", "demo")
        User = get_user_model()
        for username, role in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_active = True
            user.save()
            user.groups.set([Group.objects.get(name=role)])

        self.stdout.write(self.style.SUCCESS(f"\nCredit Desk demo: http://127.0.0.1:{port}/"))
        self.stdout.write(f"  log in as  owner / {password}      (Owner)")
        self.stdout.write(f"         or  frontdesk / {password}  (Front desk)")
        self.stdout.write(f"  Wix sandbox with {members} members at {sandbox.url}")
        self.stdout.write(f"  Brevo Loyalty sandbox at {brevo.url} (connected, key stored encrypted)\n")
        stop_worker = start_in_thread()  # `manage.py worker` in-process: scheduled jobs and queued tasks
        self.stdout.write("  Background worker running in this process (owners see its jobs at /jobs/)\n")
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            stop_worker.set()
            brevo.stop()
            sandbox.stop()

    @staticmethod
    def _brevo(sandbox: SandboxServer) -> BrevoSandboxServer:
        """The Brevo sandbox, enrolled from the studio's e-mails, and a stored (encrypted) connection to
        it, so the member panel's Brevo section has data in the demo."""
        emails = [m["loginEmail"] for m in sandbox.studio.members]
        brevo = BrevoSandboxServer(build_loyalty(emails), host="127.0.0.1", port=0).start()
        settings.BREVO_API_BASE_URL = brevo.api_url
        with transaction.atomic():
            BrevoConnection.objects.all().delete()
            stored = BrevoConnection(program_id=brevo_sandbox.PROGRAM_ID)
            stored.set_api_key(brevo_sandbox.API_KEY)
            stored.save()
        return brevo
