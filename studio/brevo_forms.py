from django import forms


class BrevoConnectionForm(forms.Form):
    """The key is write-only: never rendered back. Leaving it empty keeps the stored one."""

    api_key = forms.CharField(
        label="Brevo API key",
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Starts with xkeysib-. Leave empty to keep the key already saved.",
    )
    program_id = forms.UUIDField(
        label="Loyalty program ID", error_messages={"invalid": "The loyalty program ID is a UUID, e.g. 3f6b2a9c-…"}
    )

    def __init__(self, *args, has_key: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_key = has_key

    def clean_api_key(self):
        key = self.cleaned_data["api_key"]
        if not key and not self.has_key:
            raise forms.ValidationError("Enter the Brevo API key.")
        if key and (not key.isascii() or any(c.isspace() for c in key)):
            raise forms.ValidationError("That doesn't look like a Brevo API key.")
        return key
