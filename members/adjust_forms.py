import re
from decimal import Decimal

from django import forms

from balances.adjustments import MAX_CREDITS

# Plain numbers only: no exponent ("1e9"), sign, "NaN" or "Infinity" that Decimal() would accept.
_NUMBER = re.compile(r"\d{1,7}(\.\d+)?")
MAX_DECIMALS = 2


class AdjustForm(forms.Form):
    """A change to one pool. The key and revision are fixed when the form is rendered (hidden)."""

    mode = forms.ChoiceField(
        choices=[("add", "Add"), ("remove", "Remove"), ("set", "Set to exactly")],
        initial="add",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose add, remove or set.", "invalid_choice": "Choose add, remove or set."},
    )
    amount = forms.CharField(
        max_length=20, strip=True, label="Credits", error_messages={"required": "Enter a number of credits, like 2 or 1.5."}
    )
    reason = forms.CharField(
        max_length=256,
        strip=True,
        widget=forms.TextInput(attrs={"maxlength": 256}),
        error_messages={"required": "A reason is required.", "max_length": "Keep the reason under 256 characters."},
    )
    allow_negative = forms.BooleanField(required=False, label="Allow the balance to go below zero")
    # An ended plan: shown only to owners, who confirm they mean it (members/adjust.py refuses everyone else).
    ended = forms.BooleanField(required=False, widget=forms.HiddenInput)
    confirm_ended = forms.BooleanField(required=False, label="Yes, change this ended plan")
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    revision = forms.RegexField(regex=r"^\d{1,19}$", widget=forms.HiddenInput)
    seen_available = forms.DecimalField(max_digits=14, decimal_places=4, required=False, widget=forms.HiddenInput)

    @property
    def is_for_ended(self) -> bool:
        """The form was shown for an ended plan (so it asks for the owner's confirmation)."""
        if self.is_bound:
            return bool(self.fields["ended"].to_python(self.data.get("ended")))
        return bool(self.initial.get("ended"))

    def clean_amount(self) -> Decimal:
        text = self.cleaned_data["amount"]
        if text.startswith(("-", "+")):
            raise forms.ValidationError("Enter the number without a sign; choose Add or Remove instead.")
        if not _NUMBER.fullmatch(text):
            raise forms.ValidationError(f"“{text}” is not a number of credits. Enter something like 2 or 1.5.")
        value = Decimal(text)
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
            raise forms.ValidationError(f"Use at most {MAX_DECIMALS} decimal places.")
        if value > MAX_CREDITS:
            raise forms.ValidationError(f"At most {MAX_CREDITS} credits at a time.")
        return value

    def clean(self):
        data = super().clean()
        if data.get("mode") in ("add", "remove") and data.get("amount") == 0:
            self.add_error("amount", "Enter more than zero credits to add or remove.")
        if data.get("ended") and not data.get("confirm_ended"):
            self.add_error("confirm_ended", "This plan has ended. Tick the box to confirm the change.")
        return data
