"""Set-up for one run: a throwaway SQLite database, Django configured from the environment as in
production, a logged-in owner, and the in-process Wix sandbox the dashboard is pointed at.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from sandbox import SandboxServer, build_studio
from sandbox import credentials as sandbox_credentials

ROOT = Path(__file__).resolve().parent.parent


def configure_django(workdir: Path, *, redis_url: str = "") -> dict[str, str]:
    """Configure and set up Django; returns the environment a server process needs to match it.

    Only the variables below are set, so whatever a shell exports (e.g. another REDIS_URL) cannot
    leak in: a bench must never clear somebody else's cache.
    """
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(50),  # shared with the server process: sessions must match
        "DEBUG": "false",
        "HTTPS": "false",  # plain-http loopback: secure cookies would never come back
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "ERROR",
        "REDIS_URL": redis_url,
        "WIX_API_KEY": sandbox_credentials.API_KEY,
        "WIX_SITE_ID": sandbox_credentials.SITE_ID,
        "WIX_APP_ID": "",
        "WIX_APP_SECRET": "",
        "WIX_INSTANCE_ID": "",
        # The page legs send bursts no real desk would; the sandbox does not rate-limit them, so the
        # dashboard's own call budget (#5) must not either. The whole-studio scan sets the real one.
        "WIX_CALLS_PER_MINUTE": "1000000",
        "WIX_TIMEOUT_SECONDS": "60",  # the 50,000-member sandbox is slow to sort; that is not Wix's latency
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return env


def owner_client():
    """A Django test client logged in as an Owner; its session lives in the shared database."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from balances.roles import OWNER

    user, _ = get_user_model().objects.get_or_create(username="bench-owner")
    user.groups.set([Group.objects.get(name=OWNER)])
    client = Client()
    client.force_login(user)
    return client


def start_sandbox(members: int, latency: float) -> tuple[SandboxServer, float]:
    """A seeded studio on a loopback port with `latency` seconds added to every Wix call."""
    started = time.monotonic()
    server = SandboxServer(build_studio(members=members, seed=7), host="127.0.0.1", port=0).start()
    server.faults.update(latency=latency)
    return server, time.monotonic() - started


def point_at(server: SandboxServer) -> None:
    """Point this process's dashboard at `server`, with empty caches and fresh connections."""
    from django.conf import settings
    from django.core.cache import cache

    from balances.wix.connection import reset_clients

    settings.WIX_API_BASE_URL = os.environ["WIX_API_BASE_URL"] = server.url
    reset_clients()
    cache.clear()


def studio_size(server: SandboxServer) -> tuple[int, int, int]:
    """(members, pools, pools with a balance) of the sandbox's studio."""
    studio = server.studio
    with_balance = sum(1 for p in studio.pools if studio.balance(p["id"]) is not None)
    return len(studio.members), len(studio.pools), with_balance
