"""A member's e-mail cannot rewrite the Brevo request path (issue 19, finding 5).

brevo-python puts the e-mail into `/v3/contacts/{identifier}` without percent-encoding it: `#` ends
the path, `?` starts a query, `/` and `..` change the endpoint. Against the real loopback Brevo
sandbox, each hostile address must be looked up as itself: found when Brevo holds exactly that
address, never resolved to somebody else's contact.
"""

import pytest

from balances.brevo.client import BrevoLoyaltyClient
from sandbox.brevo import API_KEY, PROGRAM_ID, BrevoSandboxServer
from sandbox.brevo.loyalty import Loyalty

MAYA = "maya.levi@example.com"
HOSTILE = [
    "maya.levi%40example.com#@evil.example",  # the address from the review: `#` cut it to Maya's
    "maya.levi@example.com#x@evil.example",
    "maya.levi@example.com?identifierType=email_id&x=@evil.example",
    "../contacts/maya.levi@example.com",
    "x/../maya.levi@example.com",
    "maya.levi@example.com/",
    "maya.levi%2540example.com@evil.example",
]


@pytest.fixture(scope="module")
def brevo_server():
    loyalty = Loyalty()
    loyalty.add_contact(MAYA)
    loyalty.add_contact("owner+tag@example.com")
    loyalty.add_contact(HOSTILE[0])  # Brevo holds the odd address too: it must be found as itself
    server = BrevoSandboxServer(loyalty).start()
    yield server
    server.stop()


@pytest.fixture
def client(brevo_server):
    brevo_server.log.clear()
    return BrevoLoyaltyClient(API_KEY, PROGRAM_ID, brevo_server.api_url, timeout=2.0)


def test_ordinary_addresses_still_resolve(client, brevo_server):
    maya = brevo_server.loyalty.contact_by_email(MAYA)["id"]
    assert client.find_contact_id(MAYA) == maya
    assert client.find_contact_id("owner+tag@example.com") == brevo_server.loyalty.contact_by_email("owner+tag@example.com")["id"]


@pytest.mark.parametrize("email", HOSTILE)
def test_a_hostile_address_is_never_resolved_to_someone_else(client, brevo_server, email):
    maya = brevo_server.loyalty.contact_by_email(MAYA)["id"]
    own = brevo_server.loyalty.contact_by_email(email)
    found = client.find_contact_id(email)
    assert found != maya
    assert found == (own["id"] if own else None)
    # One request, to the contacts endpoint, with the whole address as one encoded path segment.
    (record,) = brevo_server.log.records()
    assert record.path.startswith("/v3/contacts/") and record.path.count("/") == 3 and record.query.startswith("identifierType=")


def test_control_characters_are_never_sent(client, brevo_server):
    assert client.find_contact_id("maya.levi@example.com\r\nX-Evil: 1") is None
    assert brevo_server.log.records() == []
