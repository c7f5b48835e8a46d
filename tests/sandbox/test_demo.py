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
