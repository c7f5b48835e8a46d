"""The fault matrix, adjustment leg: the form POSTed through HTTP while Wix's Change Balance misbehaves.

For every fault: never a 500; a clear message; the change applied at most once (the sandbox's balance
and its transaction count); the audit row's outcome honest (applied / failed / unknown); and the Change
Balance calls (from the sandbox's request log) within the retry policy. A lost answer is then retried
with the same form, which must end "applied" exactly once.
"""

import re
import socket
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from balances.audit import AuditEntry
from balances.wix.connection import reset_clients
from sandbox import credentials as sc
from tests.helpers import START, available, change_path, logged_calls

# Faults here hang: Wix calls time out after 0.5 s (tests/conftest.py, quick_timeout).
pytestmark = pytest.mark.usefixtures("quick_timeout")


def adjust_url(pool):
    return reverse("members:adjust", args=[pool["beneficiary"]["memberId"], pool["id"]])


def open_form(client, pool) -> dict:
    body = client.get(adjust_url(pool)).content.decode()
    return {
        name: re.search(rf'name="{name}" value="([^"]*)"', body).group(1)
        for name in ("idempotency_key", "revision", "seen_available")
    }


def post(client, pool, form):
    data = {**form, "mode": "add", "amount": "2", "reason": "Missed class refund"}
    return client.post(adjust_url(pool), data, headers={"HX-Request": "true"})


def transactions(server, pool) -> int:
    return len(server.studio.transactions_for(pool["id"]))


def change_calls(server, pool):
    return logged_calls(server, change_path(pool))


def settle(server, pool):
    """Wait (bounded) until no Change Balance call still hangs in the sandbox: a timed-out call goes on
    there and applies the change when its hang ends, as a slow Wix would."""
    deadline = time.monotonic() + 5
    while [r for r in change_calls(server, pool) if r.status == 0] and time.monotonic() < deadline:
        time.sleep(0.02)


# fault → (how to inject it on Change Balance, expected status, outcome, words shown, most change calls,
#          whether the change reached Wix's books on the first try)
MATRIX = {
    "latency spike": (dict(latency=0.3), 200, "applied", "Applied", 1, True),
    "429, no Retry-After": (("status", 2, {"status": 429}), 200, "applied", "Applied", 3, True),
    "429, short Retry-After": (("status", 1, {"status": 429, "retry_after": 1}), 200, "applied", "Applied", 2, True),
    "429, long Retry-After": (
        ("status", 1, {"status": 429, "retry_after": 90}),
        503,
        "failed",
        "Wix is rate limiting — retry in 90 s",
        1,
        False,
    ),
    "500": (("status", 1, {"status": 500}), 503, "unknown", "may or may not have been applied", 1, False),
    "one 502": (("status", 1, {"status": 502}), 200, "applied", "Applied", 2, True),
    "503s that last": (("status", 10, {"status": 503}), 503, "unknown", "may or may not have been applied", 3, False),
    "a read timeout": (("timeout", 1, {"hang": 1.0}), 503, "unknown", "may or may not have been applied", 1, True),
    "malformed JSON": (("malformed", 1, {}), 503, "unknown", "may or may not have been applied", 1, True),
    "a truncated body": (("truncated", 1, {}), 503, "unknown", "may or may not have been applied", 1, True),
    "applied, then 503": (("apply_then_fail", 1, {}), 200, "applied", "Applied", 2, True),
}


@pytest.mark.parametrize("fault", MATRIX, ids=list(MATRIX))
def test_an_adjustment_under_a_fault_is_honest_and_applied_once(owner_client, fresh_wix, pool, fault):
    injected, status, outcome, words, most_calls, reached = MATRIX[fault]
    form = open_form(owner_client, pool)
    before = transactions(fresh_wix, pool)
    if isinstance(injected, dict):
        fresh_wix.faults.latency = injected["latency"]
    else:
        kind, times, options = injected
        fresh_wix.faults.script(kind, times=times, path_prefix=change_path(pool), **options)

    response = post(owner_client, pool, form)
    body = response.content.decode()
    assert response.status_code == status, body[:400]
    assert words in body and "<html" not in body
    entry = AuditEntry.objects.get()
    assert entry.outcome == outcome
    if "long Retry-After" in fault:
        assert 89 <= int(response["Retry-After"]) <= 90
    assert 1 <= len(change_calls(fresh_wix, pool)) <= most_calls
    settle(fresh_wix, pool)
    applied_now = available(fresh_wix.studio, pool["id"]) == START + 2
    assert applied_now == reached
    assert transactions(fresh_wix, pool) == before + (1 if applied_now else 0)
    if outcome == "applied":
        assert applied_now and entry.transaction_id == fresh_wix.studio.balance(pool["id"])["lastTransactionId"]
        return

    # Wix is back. An unknown outcome keeps the form (same key), whose resend settles it; a failure
    # (nothing applied) offers a fresh form. Either way the change lands exactly once.
    fresh_wix.faults.reset()
    cache.clear()  # the 90 s hold-off of a long Retry-After, which the page already explained
    shown = {name: re.search(rf'name="{name}" value="([^"]*)"', body).group(1) for name in form}
    assert (shown["idempotency_key"] == form["idempotency_key"]) == (outcome == "unknown")
    again = post(owner_client, pool, shown)
    assert again.status_code == 200, again.content.decode()[:400]
    assert AuditEntry.objects.filter(outcome="applied").count() == 1
    assert available(fresh_wix.studio, pool["id"]) == START + 2
    assert transactions(fresh_wix, pool) == before + 1


def test_connection_refused_fails_clearly_and_applies_nothing(owner_client, fresh_wix, pool, settings):
    form = open_form(owner_client, pool)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.WIX_API_BASE_URL = f"http://127.0.0.1:{s.getsockname()[1]}"
    reset_clients()
    response = post(owner_client, pool, form)
    assert response.status_code == 502 and "Could not connect to Wix." in response.content.decode()
    assert AuditEntry.objects.get().outcome == "failed"
    assert available(fresh_wix.studio, pool["id"]) == START and not change_calls(fresh_wix, pool)


def test_a_failing_token_endpoint_fails_clearly_and_applies_nothing(owner_client, fresh_wix, pool, settings):
    settings.WIX_API_KEY = settings.WIX_SITE_ID = ""
    settings.WIX_APP_ID, settings.WIX_APP_SECRET, settings.WIX_INSTANCE_ID = sc.APP_ID, sc.APP_SECRET, sc.INSTANCE_ID
    reset_clients()
    form = open_form(owner_client, pool)
    fresh_wix.faults.script("status", times=10, status=500, path_prefix="/oauth2/token")
    cache.clear()  # the token fetched for the form: the next call must sign in again
    reset_clients()
    response = post(owner_client, pool, form)
    assert response.status_code in (502, 503)
    assert "Wix could not sign in the app right now." in response.content.decode()
    assert AuditEntry.objects.get().outcome == "failed"
    assert available(fresh_wix.studio, pool["id"]) == START and not change_calls(fresh_wix, pool)


@pytest.mark.parametrize("lost_answers", [0, 2], ids=["then confirmed", "lost again and again"])
def test_an_undo_applied_then_answered_503_ends_applied_and_reverses_once(owner_client, fresh_wix, pool, lost_answers):
    """The undo is a compensating change under its own key: a resend meets ALREADY_EXECUTED (or the next
    click finds its transaction in the pool's ledger) — "applied", never "refused", never reversed twice."""
    post(owner_client, pool, open_form(owner_client, pool))
    original = AuditEntry.objects.get()
    history = transactions(fresh_wix, pool)
    change = change_path(pool)
    fresh_wix.faults.script("apply_then_fail", path_prefix=change)
    if lost_answers:
        fresh_wix.faults.script("status", times=lost_answers, status=503, path_prefix=change)
    undo_url = reverse("audit:undo", args=[original.pk])
    key = "0b6f3b1e-8a1c-4d2e-9f00-3b1c2d3e4f50"
    done = owner_client.post(undo_url, {"idempotency_key": key}, headers={"HX-Request": "true"})
    if lost_answers:  # the attempts ran out: honest "unknown", and the same button settles it
        assert done.status_code == 503 and "may or may not have been applied" in done.content.decode()
        assert AuditEntry.objects.get(reverts=original).outcome == "unknown"
        done = owner_client.post(undo_url, {"idempotency_key": key}, headers={"HX-Request": "true"})
    assert done.status_code == 200 and "Undone" in done.content.decode()
    undo_entry = AuditEntry.objects.get(reverts=original)
    assert undo_entry.outcome == "applied"
    assert undo_entry.transaction_id == fresh_wix.studio.balance(pool["id"])["lastTransactionId"]
    assert available(fresh_wix.studio, pool["id"]) == START and transactions(fresh_wix, pool) == history + 1
    # At most 3 attempts per click: the one applied, the lost answers, then Wix's ALREADY_EXECUTED —
    # or, on the next click, the undo's transaction found in the pool's ledger, without asking again.
    undo_calls = [c.status for c in logged_calls(fresh_wix, change) if c.body.get("idempotencyKey") == key]
    assert undo_calls == [503] * (1 + lost_answers) + ([] if lost_answers else [409])
    assert not logged_calls(fresh_wix, "/benefit-programs/v1/balances/changes/")
