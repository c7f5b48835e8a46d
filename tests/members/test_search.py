"""The search that forgives: the directory index (names, e-mails, phones) merged with Wix's live answer.

Runs on both database legs (CI runs the suite on SQLite and PostgreSQL)."""

import time

import pytest
from django.urls import reverse

from balances.directory.models import DirectoryEntry
from balances.directory.search import fold, search
from balances.directory.sync import pick_up_new, rewalk
from balances.wix.connection import get_client
from tests.helpers import wix_calls

URL = reverse("members:list")


def _found(client, q):
    response = client.get(URL, {"q": q})
    assert response.status_code == 200, response.content[:300]
    return [r.member.id for r in response.context["page"].rows]


@pytest.fixture
def maya(fresh_wix):
    member = fresh_wix.studio.add_member("Maya", "Levi", "maya.levi@example.com")
    with fresh_wix.studio.lock:
        member["contact"]["phones"] = ["+1 555-0199"]
    member_id = member["id"]
    rewalk(get_client())
    return member_id


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["Maya Levi", "levi maya", "mya levi", "maya lvi", "MAYA", "Ma Le", "may lev", "maya.levi@example.com", "555 0199", "5550199"],
)
def test_a_member_is_found_in_any_order_partially_with_a_typo_by_email_and_phone(frontdesk_client, maya, query):
    assert maya in _found(frontdesk_client, query)


@pytest.mark.django_db
def test_the_best_match_comes_first_and_unrelated_members_are_not_found(frontdesk_client, maya):
    assert _found(frontdesk_client, "maya levi")[0] == maya
    assert maya not in _found(frontdesk_client, "maya cohen")  # every word must match
    assert maya not in _found(frontdesk_client, "mxyz levi")  # two edits away is not a match
    assert maya not in _found(frontdesk_client, "ma lx")  # words under 3 letters only match their start


@pytest.mark.django_db
def test_accents_and_case_are_ignored(fresh_wix):
    zoe = fresh_wix.studio.add_member("Zoë", "Ørsted", "zoe@example.com")["id"]
    rewalk(get_client())
    assert zoe in search("zoe orsted")
    assert zoe in search("ZOË ØRSTED")
    assert fold("Ángel Müller") == "angel muller"


@pytest.mark.django_db
def test_a_member_who_joined_after_the_last_sync_is_found_live(frontdesk_client, maya, fresh_wix):
    newcomer = fresh_wix.studio.add_member("Quentin", "Marlowe")["id"]
    assert not DirectoryEntry.objects.filter(member_id=newcomer).exists()
    assert newcomer in _found(frontdesk_client, "Quentin")  # Wix's own search, asked live with the raw text
    assert maya in _found(frontdesk_client, "levi maya")


@pytest.mark.django_db
def test_pick_up_new_walks_newest_first_and_a_quiet_minute_costs_one_call(fresh_wix):
    rewalk(get_client())
    quiet = pick_up_new(get_client())
    assert (quiet.calls, quiet.added) == (1, 0)
    newcomer = fresh_wix.studio.add_member("Quentin", "Marlowe")["id"]
    before = len(wix_calls(fresh_wix, "/members/v1/members/query"))
    picked = pick_up_new(get_client())
    assert (picked.calls, picked.added) == (1, 1)
    assert len(wix_calls(fresh_wix, "/members/v1/members/query")) == before + 1
    assert newcomer in search("quentin marlowe")


@pytest.mark.django_db
def test_the_nightly_rewalk_catches_renames_and_drops_deleted_members(fresh_wix):
    studio = fresh_wix.studio
    first = rewalk(get_client())
    assert first.added == len(studio.members) == DirectoryEntry.objects.count()
    assert first.calls == -(-len(studio.members) // 100)
    renamed, deleted = studio.members[0], studio.members[1]
    with studio.lock:
        renamed["contact"]["firstName"], renamed["contact"]["lastName"] = "Ottoline", "Bramble"
        studio.members.remove(deleted)
        studio._members_by_id.pop(deleted["id"])
    again = rewalk(get_client())
    assert (again.updated, again.removed) == (1, 1)
    assert search("ottoline bramble") == [renamed["id"]]
    assert not DirectoryEntry.objects.filter(member_id=deleted["id"]).exists()


@pytest.mark.django_db
def test_the_index_holds_no_balances():
    fields = {f.name for f in DirectoryEntry._meta.get_fields()}
    assert fields == {"id", "member_id", "name", "email", "phone", "words", "phone_digits", "created", "seen_at"}


@pytest.mark.django_db
def test_search_needs_login(client, maya):
    response = client.get(URL, {"q": "maya levi"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert b"maya" not in response.content.lower()


@pytest.mark.django_db
def test_the_sync_spends_only_from_its_share_leaving_people_sixty_percent(fresh_wix, settings):
    settings.WIX_CALLS_PER_MINUTE = 10
    settings.WIX_BUDGET_WINDOW_SECONDS = 2
    people = get_client().budget
    people.spend(4 - (10 - people.remaining()))  # the window now holds 40 %: the directory's share is used up
    started = time.monotonic()
    result = rewalk(get_client())  # waits for room rather than spending people's 60 %
    assert time.monotonic() - started >= 1.0
    assert result.added == len(fresh_wix.studio.members)


@pytest.mark.django_db
def test_the_index_is_kept_by_two_scheduled_jobs_every_minute_and_nightly(fresh_wix, settings):
    from datetime import UTC, datetime

    from balances.jobs import schedule
    from balances.jobs.models import JobRun
    from balances.jobs.schedule import Daily, Every, Scheduler

    settings.WIX_CALLS_PER_MINUTE = 100_000
    new_members, nightly = schedule.JOBS["directory-new-members"], schedule.JOBS["directory-rewalk"]
    assert new_members.schedule == Every(60) and isinstance(nightly.schedule, Daily)
    worker = Scheduler("w")
    for job in (nightly, new_members):
        period, attempt = worker._claim(job, datetime.now(UTC))
        worker._run(job, period, attempt)
    runs = dict(JobRun.objects.values_list("job", "outcome"))
    assert runs["directory-rewalk"].startswith(f"{len(fresh_wix.studio.members)} added")
    assert runs["directory-new-members"] == "0 added, 0 updated in 1 Wix calls."
    assert DirectoryEntry.objects.count() == len(fresh_wix.studio.members)
