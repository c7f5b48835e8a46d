"""Fixtures: a real SandboxServer on a loopback ephemeral port, and httpx clients for it."""

import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sandbox import SandboxServer, build_studio, credentials  # noqa: E402

AUTH = {"Authorization": credentials.API_KEY, "wix-site-id": credentials.SITE_ID}


@pytest.fixture
def studio():
    return build_studio(members=300, seed=7)


@pytest.fixture
def server(studio):
    srv = SandboxServer(studio, host="127.0.0.1", port=0).start()
    yield srv
    srv.stop()


# Plain-HTTP loopback only: skip building a TLS context per client (that costs ~0.1 s each).
NO_TLS = {"verify": False}


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=5.0, **NO_TLS) as c:
        yield c


@pytest.fixture
def anon(server):
    """A client with no credentials."""
    with httpx.Client(base_url=server.url, timeout=5.0, **NO_TLS) as c:
        yield c


def assert_wix_error(resp, status, code=None):
    """The response is a Wix error body with ``message`` and one kind of ``details``."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert isinstance(body["message"], str) and body["message"]
    details = body["details"]
    assert set(details) & {"applicationError", "validationError", "systemError"}, body
    if code is not None:
        if "applicationError" in details:
            assert details["applicationError"]["code"] == code, body
        elif "validationError" in details:
            rules = [v["violatedRule"] for v in details["validationError"]["fieldViolations"]]
            assert code in rules, body
        else:
            assert details["systemError"]["errorCode"] == code, body
    assert resp.headers.get("x-wix-request-id")
    return body
