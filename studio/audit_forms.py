from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from balances.audit import AuditEntry

# The audit log starts with Credit Desk; dates far outside it (9999-12-31, 0001-01-01) overflow the
# day-after and time-zone arithmetic of the filter, so they are refused with a message instead.
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)


def _in_range(value: date | None) -> None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise forms.ValidationError(f"Dates must be between {EARLIEST:%-d %b %Y} and {LATEST:%-d %b %Y}.", code="out_of_range")


class AuditFilterForm(forms.Form):
    """The audit log's query string; the same filters drive the page and the CSV export."""

    q = forms.CharField(required=False, max_length=100, strip=True, label="Member, staff or reason")
    outcome = forms.ChoiceField(required=False, choices=[("", "Any outcome"), *AuditEntry.Outcome.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Any change"), *AuditEntry.Kind.choices])
    since = forms.DateField(
        required=False, label="From", validators=[_in_range], widget=forms.DateInput(attrs={"type": "date", "min": EARLIEST})
    )
    until = forms.DateField(
        required=False, label="To", validators=[_in_range], widget=forms.DateInput(attrs={"type": "date", "max": LATEST})
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("“From” must be on or before “To”.")
        return data

    def filter(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        data = self.cleaned_data
        if data["q"]:
            q = data["q"]
            entries = entries.filter(
                Q(member_name__icontains=q)
                | Q(member_id=q)
                | Q(username__icontains=q)
                | Q(reason__icontains=q)
                | Q(pool_id=q)
                | Q(transaction_id=q)
            )
        if data["outcome"]:
            entries = entries.filter(outcome=data["outcome"])
        if data["kind"]:
            entries = entries.filter(kind=data["kind"])
        zone = timezone.get_current_timezone()
        if data["since"]:
            entries = entries.filter(created_at__gte=datetime.combine(data["since"], time.min, zone))
        if data["until"]:
            entries = entries.filter(created_at__lt=datetime.combine(data["until"] + timedelta(days=1), time.min, zone))
        return entries
