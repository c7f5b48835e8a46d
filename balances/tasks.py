"""Background tasks of the data side, run by `manage.py worker` (balances/jobs/schedule.py explains scheduling)."""

from datetime import timedelta

from django_tasks import task

from balances.jobs.schedule import every

from .attention import REFRESH_AFTER_SECONDS, last_error, refresh
from .models import StudioPreferences
from .resolve import resolve_stale
from .wix.budget import SCANS
from .wix.connection import connection_fingerprint, current_auth, get_client


@every(seconds=REFRESH_AFTER_SECONDS, name="attention-scan", title="Needs attention scan")
@task()
def scan_attention() -> str:
    """Scan every balance (within the call budget's bulk share) and store the Needs attention report.

    Also queued on demand by the home page when the report is missing or older than 10 minutes."""
    fingerprint = connection_fingerprint(current_auth())  # no connection: the run fails and says why
    threshold = StudioPreferences.current().low_credit_threshold
    report = refresh(get_client(), fingerprint, threshold)
    if report is not None:
        return f"Scanned {report.pools_scanned} balances in {report.calls} Wix calls."
    error = last_error(fingerprint)
    if error:
        raise RuntimeError(f"Wix failed; the last report stays: {error}")
    return "Another scan was already running; its report stands."


RESOLVE_OLDER_THAN = timedelta(minutes=3)


@every(minutes=2, name="resolve-changes", title="Resolve unconfirmed credit changes")
@task()
def resolve_changes() -> str:
    """Settle unknown/pending audit rows older than a few minutes from Wix's ledger (balances/resolve.py), so
    nothing stays unresolved; background work, so it spends from the scans' share (people first)."""
    client = get_client()
    with client.budget.share(SCANS):
        results = resolve_stale(client, older_than=RESOLVE_OLDER_THAN)
    settled = sum(r.changed for r in results)
    return f"Looked at {len(results)} open changes; settled {settled}."
