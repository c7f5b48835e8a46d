"""Over the whole test run, no response body and no log line may contain a configured secret.

`watch_secrets` (autouse, imported by conftest.py) wraps Django's test client and adds a handler to
the root logger; each test fails if anything it did leaked one of KNOWN_SECRETS. Tests that store
their own secrets add them with `remember_secret`.
"""

import logging

import pytest
from django.conf import settings
from django.test.client import Client

from sandbox import credentials as sandbox_credentials

KNOWN_SECRETS: set[str] = {
    sandbox_credentials.API_KEY,
    sandbox_credentials.READONLY_API_KEY,
    sandbox_credentials.APP_SECRET,
}
_leaks: list[str] = []


def remember_secret(value: str) -> str:
    KNOWN_SECRETS.add(value)
    return value


def _scan(text: str, where: str) -> None:
    for secret in KNOWN_SECRETS:
        if secret and secret in text:
            _leaks.append(f"{where} contains a secret ending …{secret[-4:]}")


class _LogScanner(logging.Handler):
    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:  # a broken format string is not ours to judge here
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1])
        _scan(text, f"log line from {record.name}")


@pytest.fixture(scope="session")
def _secret_scanners():
    for item in getattr(settings, "CREDENTIALS_KEYS", []) or []:
        KNOWN_SECRETS.add(item.partition(":")[2])
    original = Client.request

    def request(self, **kwargs):
        response = original(self, **kwargs)
        if not getattr(response, "streaming", False):
            _scan(response.content.decode(errors="replace"), f"response to {kwargs.get('PATH_INFO')}")
        return response

    Client.request = request
    handler = _LogScanner(level=logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield
    logging.getLogger().removeHandler(handler)
    Client.request = original


@pytest.fixture(autouse=True)
def watch_secrets(_secret_scanners):
    _leaks.clear()
    yield
    leaks, _leaks[:] = list(_leaks), []
    assert not leaks, "secret leaked: " + "; ".join(leaks)
