"""A Brevo sandbox seeded from the shared Wix sandbox's members, and the dashboard connected to it."""

import pytest

from balances.brevo.models import BrevoConnection
from sandbox.brevo import API_KEY, PROGRAM_ID, BrevoSandboxServer, build_loyalty


@pytest.fixture(scope="session")
def brevo_session(sandbox_session):
    emails = [m["loginEmail"] for m in sandbox_session.studio.members]
    server = BrevoSandboxServer(build_loyalty(emails, seed=7)).start()
    yield server
    server.stop()


@pytest.fixture
def brevo(settings, brevo_session):
    brevo_session.faults.reset()
    brevo_session.log.clear()
    brevo_session.reset_budget()
    settings.BREVO_API_BASE_URL = brevo_session.api_url
    settings.BREVO_TIMEOUT_SECONDS = 2.0
    yield brevo_session
    brevo_session.faults.reset()


def connect_brevo(api_key=API_KEY, program_id=PROGRAM_ID):
    connection = BrevoConnection(program_id=program_id)
    connection.set_api_key(api_key)
    connection.save()
    return connection


@pytest.fixture
def brevo_connected(db, brevo):
    connect_brevo()
    return brevo


@pytest.fixture
def brevo_owner(owner_client):
    """An owner who has just typed the password again: allowed to change the Brevo key."""
    response = owner_client.post("/brevo/settings/confirm-password/", {"password": "correct horse battery"})
    assert response.status_code == 302
    return owner_client
