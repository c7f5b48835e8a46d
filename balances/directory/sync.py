"""Filling the directory index from Wix's Query Members, within the whole-studio share of the call budget.

- `pick_up_new` (every minute): newest members first, page by page, until a page holds nobody new — a
  quiet minute costs one call.
- `rewalk` (nightly): every member, then drops the entries the walk did not see (deleted members) —
  renames and new e-mails are caught on the way. A walk that fails halfway drops nothing.

Both spend from their row of the call budget's SHARES (`DIRECTORY`: 60 % is always left to people), like
the Needs attention scan and the CSV export spend from theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..wix.budget import DIRECTORY
from ..wix.client import MAX_PAGE, WixClient
from ..wix.records import Member
from .models import DirectoryEntry
from .search import digits, index_words

FIELDS = ["name", "email", "phone", "words", "phone_digits", "created", "seen_at"]
NEWEST_FIRST = [{"fieldName": "createdDate", "order": "DESC"}]


@dataclass(frozen=True)
class SyncResult:
    calls: int
    added: int
    updated: int
    removed: int = 0

    def describe(self) -> str:
        removed = f", {self.removed} removed" if self.removed else ""
        return f"{self.added} added, {self.updated} updated{removed} in {self.calls} Wix calls."


def _fields(member: Member, seen_at: datetime) -> dict[str, Any]:
    return {
        "name": member.name[:300],
        "email": member.email[:320],
        "phone": member.phone[:64],
        "words": index_words(member.name, member.nickname, member.email),
        "phone_digits": digits(member.phone)[:64],
        "created": member.created,
        "seen_at": seen_at,
    }


def _store(members: list[Member], seen_at: datetime) -> tuple[int, int, int]:
    """Upsert one page; returns (added, updated, unchanged)."""
    known = {e.member_id: e for e in DirectoryEntry.objects.filter(member_id__in=[m.id for m in members])}
    added = updated = unchanged = 0
    fresh, changed = [], []
    for member in members:
        values = _fields(member, seen_at)
        entry = known.get(member.id)
        if entry is None:
            fresh.append(DirectoryEntry(member_id=member.id, **values))
            added += 1
            continue
        differs = any(getattr(entry, k) != v for k, v in values.items() if k != "seen_at")
        for k, v in values.items():
            setattr(entry, k, v)
        changed.append(entry)
        if differs:
            updated += 1
        else:
            unchanged += 1
    with transaction.atomic():
        DirectoryEntry.objects.bulk_create(fresh, ignore_conflicts=True)  # a concurrent walk may have added it
        DirectoryEntry.objects.bulk_update(changed, FIELDS, batch_size=200)
    return added, updated, unchanged


def pick_up_new(client: WixClient, *, max_pages: int = 20) -> SyncResult:
    """Newest members first until a page brings nobody new (or `max_pages`, the rest is left to the next run)."""
    calls = added = updated = 0
    now = timezone.now()
    with client.budget.share(DIRECTORY):
        for page_number in range(max_pages):
            results = client.query_members(sorting=NEWEST_FIRST, offset=page_number * MAX_PAGE, limit=MAX_PAGE)
            calls += 1
            a, u, _ = _store(results.members, now)
            added, updated = added + a, updated + u
            if a == 0 or len(results.members) < MAX_PAGE:
                break
    return SyncResult(calls=calls, added=added, updated=updated)


def rewalk(client: WixClient) -> SyncResult:
    """Every member (renames, new e-mails and phones), then drop the ones Wix no longer has."""
    calls = added = updated = 0
    started = timezone.now()
    offset = 0
    with client.budget.share(DIRECTORY):
        while True:
            results = client.query_members(sorting=[{"fieldName": "createdDate", "order": "ASC"}], offset=offset, limit=MAX_PAGE)
            calls += 1
            a, u, _ = _store(results.members, started)
            added, updated = added + a, updated + u
            offset += len(results.members)
            if not results.members or (results.total is not None and offset >= results.total) or len(results.members) < MAX_PAGE:
                break
    removed, _ = DirectoryEntry.objects.filter(seen_at__lt=started).delete()
    return SyncResult(calls=calls, added=added, updated=updated, removed=removed)
