from django import forms

from balances.credits import PAGE_SIZES, POOL_STATUSES


class MemberFilterForm(forms.Form):
    """The member list's query string. Anything else in it is ignored; anything wrong here is a 400."""

    q = forms.CharField(required=False, max_length=100, strip=True, label="Search")
    status = forms.ChoiceField(
        required=False,
        label="Plan status",
        choices=[("", "Any status")] + [(s, s.title()) for s in POOL_STATUSES],
    )
    size = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=25,  # type: ignore[arg-type]  # the stubs type empty_value as str; int is what coerce yields
        label="Per page",
        choices=[(n, str(n)) for n in PAGE_SIZES],
        error_messages={"invalid_choice": "Page size must be 25, 50 or 100."},
    )
    offset = forms.IntegerField(required=False, min_value=0, max_value=1_000_000)
    cursor = forms.CharField(required=False, max_length=16000)
    # Optional columns from other balance sources (balances/brevo, balances/ai).
    brevo = forms.BooleanField(required=False, label="Brevo Loyalty")
    ai = forms.BooleanField(required=False, label="AI credits")

    def clean_offset(self):
        return self.cleaned_data["offset"] or 0
