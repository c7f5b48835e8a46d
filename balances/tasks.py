"""Background tasks of the data side, run by `manage.py worker` (balances/jobs/schedule.py explains scheduling)."""

from datetime import timedelta

from django.conf import settings
from django_tasks import task

from balances.jobs.schedule import every

from . import drift, feed
from .attention import REFRESH_AFTER_SECONDS, record_error, request_scan, scan_lock
from .resolve import resolve_stale
from .wix.budget import SCANS
from .wix.connection import connection_fingerprint, current_auth, get_client
from .wix.errors import WixError


@every(seconds=REFRESH_AFTER_SECONDS, name="attention-scan", title="Needs attention scan")
@task()
def scan_attention() -> str:
    """Read every balance (today's whole-studio scan) and seed the change feed's state from it.

    Needed only when there is no state yet, the Wix connection changed, or the feed has stopped keeping
    it current (older than 10 minutes); also queued on demand by the home page then."""
    fingerprint = connection_fingerprint(current_auth())  # no connection: the run fails and says why
    state = feed.current_state(fingerprint)
    if not feed.is_stale(state):
        assert state is not None and state.as_of is not None
        return f"The change feed keeps the answers current (as of {state.as_of:%H:%M:%S}); no rebuild needed."
    with scan_lock(fingerprint) as held:
        if not held:
            return "Another rebuild was already running; its answer stands."
        try:
            result = feed.rebuild(get_client(), fingerprint)
        except WixError as error:
            record_error(fingerprint, error.message)
            raise RuntimeError(f"Wix failed; the last answer stays: {error.message}") from error
        record_error(fingerprint, "")
    return f"Scanned {result.pools} pools in {result.calls} Wix calls; the feed's state is rebuilt ({result.changed} changed)."


@every(seconds=settings.FEED_POLL_SECONDS, name="feed-poll", title="Change feed: new transactions")
@task()
def feed_poll() -> str:
    """Apply the transactions Wix recorded since the last poll (balances/feed.py)."""
    fingerprint = connection_fingerprint(current_auth())
    result = feed.poll(get_client(), fingerprint)
    if result is None:
        request_scan(fingerprint)
        return "No state to keep current yet: a full rebuild is queued."
    feed.prune_events()
    return (
        f"{result.applied} new transactions ({result.transactions} read), {result.pools} balances re-read, "
        f"{result.changed} changed, {result.calls} Wix calls."
    )


@every(seconds=settings.FEED_SWEEP_SECONDS, name="feed-sweep", title="Change feed: status sweep and reconciliation")
@task()
def feed_sweep() -> str:
    """Catch what leaves no transaction (pause, resume, end, renew) and check the state against Wix."""
    fingerprint = connection_fingerprint(current_auth())
    client = get_client()
    swept = feed.sweep(client, fingerprint)
    checked = feed.reconcile(client, fingerprint)
    if swept is None or checked is None:
        return "No state yet: nothing to sweep."
    return (
        f"Sweep: {len(swept.changed)} status changes in {swept.calls} calls. Reconciliation: {checked.pools_read} pools "
        f"read in {checked.calls} calls, {len(checked.drift)} differed{' (cycle complete)' if checked.wrapped else ''}."
    )


@every(seconds=drift.REFRESH_AFTER_SECONDS, name="bookings-drift", title="Bookings and credits check")
@task()
def check_drift() -> str:
    """Compare plan-paid bookings of today ± a week with the members' credits (within the DRIFT share of the
    call budget) and store the report Needs attention shows."""
    from .today import studio_time_zone, today_in

    fingerprint = connection_fingerprint(current_auth())
    client = get_client()
    time_zone = studio_time_zone(client, fingerprint).value
    report = drift.refresh(client, fingerprint, today=today_in(time_zone), time_zone=time_zone)
    if report is not None:
        checked = f"{report.bookings_checked} bookings, {report.calls} Wix calls"
        return f"{report.count} members with bookings and credits that disagree ({checked})."
    error = drift.last_error(fingerprint)
    if error:
        raise RuntimeError(f"Wix failed; the last report stays: {error}")
    return "Another check was already running; its report stands."


RESOLVE_OLDER_THAN = timedelta(minutes=3)


@every(minutes=2, name="resolve-changes", title="Resolve unconfirmed credit changes")
@task()
def resolve_changes() -> str:
    """Settle unknown/pending audit rows older than a few minutes from Wix (balances/resolve.py: a credit change
    from its ledger, a check-in from the booking's attendance), so nothing stays unresolved; background work,
    so it spends from the scans' share (people first)."""
    client = get_client()
    with client.budget.share(SCANS):
        results = resolve_stale(client, older_than=RESOLVE_OLDER_THAN)
    settled = sum(r.changed for r in results)
    return f"Looked at {len(results)} open changes; settled {settled}."
