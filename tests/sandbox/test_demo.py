"""`make demo` shows every feature: it refuses real databases, and connects a Brevo sandbox."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from balances.brevo.models import BrevoConnection
from balances.brevo.service import member_loyalty
from config.demo.management.commands.demo import Command
from sandbox.brevo import API_KEY


def test_the_demo_refuses_any_database_but_demo_sqlite3(db):
    with pytest.raises(CommandError, match="only on demo.sqlite3"):
        call_command("demo", "--port", "0")


def test_the_demo_connects_a_brevo_sandbox_with_the_key_encrypted(sandbox, settings, db):
    brevo = Command._brevo(sandbox)
    try:
        stored = BrevoConnection.current()
        assert stored.api_key() == API_KEY and API_KEY not in stored.api_key_encrypted
        assert settings.BREVO_API_BASE_URL == brevo.api_url
        # The member panel's Brevo section has data for a seeded member.
        result = member_loyalty(sandbox.studio.members[0]["loginEmail"])
        assert result.ok and result.value.enrolled and result.value.balances
    finally:
        brevo.stop()


def test_make_demo_refuses_a_busy_port_before_printing_anything_else():
    import shutil
    import socket
    import subprocess
    from pathlib import Path

    from config.demo.management.commands.demo import _port_free

    if not shutil.which("make"):
        pytest.fail("make is needed to run the demo")
    root = Path(__file__).resolve().parents[2]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not _port_free(port)
        done = subprocess.run(["make", "-s", "demo", f"DEMO_PORT={port}"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stdout.splitlines() == [f"Port {port} is busy on 127.0.0.1. Pick another: make demo DEMO_PORT=8123"]
    assert _port_free(port)
