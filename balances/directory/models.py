"""The directory index: who the studio's members are (names, e-mails, phones), for a search that forgives.

Never balances: credits stay live from Wix. This is personal data, so it is read only behind login
(members' search) and filled only by the sync jobs (balances/directory/sync.py)."""

from django.db import models


class DirectoryEntry(models.Model):
    member_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300, blank=True)
    email = models.CharField(max_length=320, blank=True)
    phone = models.CharField(max_length=64, blank=True)
    # Normalized words (no accents, case folded), space-separated with a space at each end, so a whole-word
    # lookup is `contains " word "` on any database.
    words = models.TextField(blank=True)
    phone_digits = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(null=True, blank=True)  # Wix's createdDate: the every-minute job walks newest first
    seen_at = models.DateTimeField()  # the last walk that saw this member: a full walk drops the ones it did not see

    class Meta:
        indexes = [models.Index(fields=["-created"], name="directory_newest")]

    def __str__(self) -> str:
        return self.member_id
