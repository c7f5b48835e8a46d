"""The seeded bookings-vs-credits disagreements (`drift_cases`): off by default, three members, one kind each,
deterministic, kept across a rebuild from the control endpoint, and undone with the schedule."""

from decimal import Decimal

import httpx
from conftest import NO_TLS

from sandbox import SandboxServer, build_studio

DAY = "2026-03-30"


def balances(studio):
    return {p: dict(b["amount"]) for p, b in studio._balances.items()}


def test_off_by_default_and_deterministic_when_on():
    assert build_studio(120, seed=7, bookings={"today": DAY}).bookings.drift_cases == {}
    one = build_studio(120, seed=7, bookings={"today": DAY, "drift_cases": True}).bookings.drift_cases
    two = build_studio(120, seed=7, bookings={"today": DAY, "drift_cases": True}).bookings.drift_cases
    assert one == two and set(one) == {"unspent", "upcoming", "orphan"} and len(set(one.values())) == 3


def test_the_control_endpoint_keeps_them_and_a_rebuild_without_them_undoes_their_transactions():
    plain = build_studio(120, seed=7, bookings=False)
    studio = build_studio(120, seed=7, bookings={"today": DAY, "drift_cases": True})
    with SandboxServer(studio, port=0) as srv, httpx.Client(base_url=srv.url, **NO_TLS) as c:
        assert set(c.get("/_sandbox/bookings").json()["driftCases"]) == {"unspent", "upcoming", "orphan"}
        got = c.post("/_sandbox/bookings", json={"creditMode": "reserve"}).json()
        assert set(got["driftCases"]) == {"unspent", "upcoming", "orphan"}
        assert c.post("/_sandbox/bookings", json={"driftCases": False}).json()["driftCases"] == {}
    studio.bookings.undo()
    assert {p: Decimal(a["available"]) for p, a in balances(studio).items()} == {
        p: Decimal(a["available"]) for p, a in balances(plain).items()
    }
