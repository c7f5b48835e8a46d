"""The Wix connection an owner stores from the Settings page: one row, secrets encrypted at rest."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from balances.secrets import SealedSecrets

from .auth import ApiKeyAuth, AppAuth


class WixConnection(SealedSecrets, models.Model):
    API_KEY = "api_key"
    APP = "app"
    METHODS = [(API_KEY, "API key"), (APP, "Wix app")]
    # Ciphertext only (balances/secrets.py: "v1:<kid>:<nonce+ciphertext>"), bound to this row and secret.
    sealed_columns = {"api_key": "api_key_sealed", "app_secret": "app_secret_sealed"}
    sealed_scope = "wix-connection"

    method = models.CharField(max_length=10, choices=METHODS, default=API_KEY)
    site_id = models.CharField(max_length=36, blank=True)
    app_id = models.CharField(max_length=36, blank=True)
    instance_id = models.CharField(max_length=36, blank=True)
    api_key_sealed = models.TextField(blank=True)
    app_secret_sealed = models.TextField(blank=True)
    # The last four characters, so the owner can recognise which secret is in force.
    secret_hint = models.CharField(max_length=4, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"Wix connection ({self.get_method_display()})"

    @classmethod
    def load(cls) -> WixConnection | None:
        return cls.objects.select_related("updated_by").filter(pk=1).first()

    def auth(self) -> ApiKeyAuth | AppAuth:
        if self.method == self.APP:
            return AppAuth(self.app_id, self.reveal("app_secret"), self.instance_id)
        return ApiKeyAuth(self.reveal("api_key"), self.site_id)
