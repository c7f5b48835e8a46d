"""The directory index's scheduled jobs (run by `manage.py worker`; balances/jobs/schedule.py explains scheduling)."""

from django_tasks import task

from balances.jobs.schedule import daily, every

from ..wix.connection import get_client
from .sync import pick_up_new, rewalk


@every(minutes=1, name="directory-new-members", title="Search index: new members")
@task()
def sync_new_members() -> str:
    """New members, newest first, until a page brings nobody new (a quiet minute costs one Wix call)."""
    return pick_up_new(get_client()).describe()  # no connection: the run fails and says why


@daily(at="03:15", name="directory-rewalk", title="Search index: full re-walk")
@task()
def rewalk_directory() -> str:
    """Every member once a night: renames, new e-mails and phones; members Wix no longer has are dropped."""
    return rewalk(get_client()).describe()
