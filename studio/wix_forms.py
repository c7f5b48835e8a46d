"""The Settings page's forms: the Wix connection (write-only secrets) and the password re-check."""

from __future__ import annotations

import re

from django import forms
from django.db import transaction

from balances.secrets import SecretUnreadable
from balances.wix.models import WixConnection

SECRET_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]+")
GUID_ERROR = "Enter the ID as Wix shows it: a GUID like 0d2c6e8a-4b1f-4c3d-9e7a-5f8b2a1c6d90."


def _guid(label: str) -> forms.UUIDField:
    return forms.UUIDField(required=False, label=label, error_messages={"invalid": f"{label}: {GUID_ERROR}"})


def _secret(label: str) -> forms.CharField:
    # render_value=False: a secret never travels back to the browser, not even in a re-rendered form.
    return forms.CharField(
        required=False,
        label=label,
        max_length=4000,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class ConnectionForm(forms.Form):
    method = forms.ChoiceField(
        choices=WixConnection.METHODS, initial=WixConnection.API_KEY, widget=forms.RadioSelect, label="Connect with"
    )
    api_key = _secret("API key")
    site_id = _guid("Site ID")
    app_id = _guid("App ID")
    app_secret = _secret("App secret")
    instance_id = _guid("Instance ID")

    def __init__(self, *args, existing: WixConnection | None = None, **kwargs):
        self.existing = existing
        super().__init__(*args, **kwargs)

    def _clean_secret(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        # Secrets go into HTTP headers; Wix keys (JWT-like) and app secrets (GUIDs) use only these characters.
        if value and not SECRET_CHARS.fullmatch(value):
            raise forms.ValidationError(
                f"The {str(self.fields[name].label).lower()} has characters Wix keys never "
                "contain; paste it again exactly as Wix shows it."
            )
        return value

    def clean_api_key(self):
        return self._clean_secret("api_key")

    def clean_app_secret(self):
        return self._clean_secret("app_secret")

    def _keeps(self, secret: str, method: str) -> bool:
        """A blank secret keeps the stored one, if the stored one is for the same method."""
        if not (self.existing and self.existing.method == method and getattr(self.existing, f"{secret}_sealed")):
            return False
        try:  # an unreadable secret (key lost or rotated away) must be entered again
            self.existing.reveal(secret)
        except SecretUnreadable:
            return False
        return True

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if method == WixConnection.API_KEY:
            required = {"site_id": "site ID"}
            if not self._keeps("api_key", method):
                required["api_key"] = "API key"
        elif method == WixConnection.APP:
            required = {"app_id": "app ID", "instance_id": "instance ID"}
            if not self._keeps("app_secret", method):
                required["app_secret"] = "app secret"
        else:
            return data
        for name, label in required.items():
            if not data.get(name) and name not in self.errors:
                self.add_error(name, f"Enter the {label}.")
        return data

    @transaction.atomic
    def save(self, user) -> WixConnection:
        data = self.cleaned_data
        # The row's pk is part of each secret's associated data, so it must exist before sealing.
        connection, _ = WixConnection.objects.select_for_update().get_or_create(pk=1)
        connection.method = data["method"]
        connection.updated_by = user
        if connection.method == WixConnection.API_KEY:
            connection.site_id = str(data["site_id"])
            connection.app_id = connection.instance_id = connection.app_secret_sealed = ""
            secret_field = "api_key"
        else:
            connection.app_id, connection.instance_id = str(data["app_id"]), str(data["instance_id"])
            connection.site_id = connection.api_key_sealed = ""
            secret_field = "app_secret"
        if data[secret_field]:
            connection.seal(secret_field, data[secret_field])
            connection.secret_hint = data[secret_field][-4:]
        connection.save()
        return connection
