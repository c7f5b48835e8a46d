"""Needs attention's "Bookings and credits disagree": the scheduled job stores the report, the home page shows
its count, the list names the members, and each member's page the exact bookings and transactions."""

import pytest

from balances import drift
from balances.jobs.schedule import JOBS
from balances.tasks import check_drift
from balances.wix.connection import connection_fingerprint, current_auth
from sandbox import SandboxServer, build_studio
from tests.conftest import _point_at
from tests.helpers import wix_calls


@pytest.fixture
def drift_wix(settings, db):
    # Today in the studio's zone is the real date here, as for the scheduled job in production.
    studio = build_studio(members=200, seed=7, bookings={"drift_cases": True})
    server = SandboxServer(studio, host="127.0.0.1", port=0).start()
    _point_at(settings, server)
    settings.WIX_BOOKINGS_CREDIT_MODE = studio.bookings.credit_mode
    yield server
    server.stop()


def test_the_drift_check_is_a_scheduled_job():
    assert JOBS["bookings-drift"].task.module_path == "balances.tasks.check_drift"
    assert "resolve-changes" in JOBS  # settles check-ins too (balances/resolve.py)


def test_the_job_stores_the_report_and_needs_attention_shows_the_seeded_cases(drift_wix, frontdesk_client):
    cases = drift_wix.studio.bookings.drift_cases
    assert set(cases) == {"unspent", "upcoming", "orphan"}
    outcome = check_drift.enqueue().return_value
    assert "3 members" in outcome
    report = drift.cached_report(connection_fingerprint(current_auth()))
    assert {m.member_id: m.kinds for m in report.members} == {member: (kind,) for kind, member in cases.items()}

    before = len(wix_calls(drift_wix))
    home = frontdesk_client.get("/").content.decode()
    assert 'id="drift-count">3<' in home and "Bookings and credits disagree" in home
    listing = frontdesk_client.get("/members/attention/bookings-and-credits/").content.decode()
    for member in cases.values():
        assert f"/members/attention/bookings-and-credits/{member}/" in listing
    unspent = report.member(cases["unspent"]).flags[0]
    detail = frontdesk_client.get(f"/members/attention/bookings-and-credits/{cases['unspent']}/").content.decode()
    assert unspent.bookings[0].id in detail and all(t.id in detail for t in unspent.transactions)
    # The pages read the stored report: no Wix call of their own for it (the home page's scan aside).
    assert not [r for r in wix_calls(drift_wix)[before:] if "bookings" in r.path or "transactions" in r.path]


def test_an_unknown_member_is_404_and_no_report_yet_says_so(drift_wix, frontdesk_client):
    assert "Not checked yet" in frontdesk_client.get("/members/attention/bookings-and-credits/").content.decode()
    check_drift.enqueue()
    response = frontdesk_client.get("/members/attention/bookings-and-credits/00000000-0000-4000-8000-000000000000/")
    assert response.status_code == 404


def test_the_digest_hook_lists_the_flagged_members(drift_wix):
    check_drift.enqueue()
    members = drift.for_digest(connection_fingerprint(current_auth()))
    assert len(members) == 3 and all(m.flags for m in members)
