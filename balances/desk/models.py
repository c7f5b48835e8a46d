"""The reasons +1 / −1 in the member panel offer as one tap each; the owner edits them on Needs attention."""

from django.db import models

DEFAULT_ADD = ("Goodwill credit", "Class cancelled by the studio", "Booking problem refunded", "Correction")
DEFAULT_REMOVE = ("Late cancellation", "No-show", "Booked outside Wix", "Correction")
MAX_REASONS = 8
MAX_LENGTH = 80


class QuickReasons(models.Model):
    """One row: the studio's reasons, one per line (empty = the defaults)."""

    add_reasons = models.TextField(blank=True, default="\n".join(DEFAULT_ADD))
    remove_reasons = models.TextField(blank=True, default="\n".join(DEFAULT_REMOVE))

    def __str__(self) -> str:
        return "Quick adjust reasons"

    @classmethod
    def current(cls) -> "QuickReasons":
        # Read-only until an owner saves: showing a page never writes (tests/security: no GET changes anything).
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def for_mode(self, mode: str) -> tuple[str, ...]:
        text = {"add": self.add_reasons, "remove": self.remove_reasons}.get(mode, "")
        reasons = tuple(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
        return reasons or ("Correction",)
