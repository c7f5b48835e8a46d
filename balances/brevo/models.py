from django.conf import settings
from django.db import models

from balances.secrets import SealedSecrets

SINGLETON_ID = 1


class BrevoConnection(SealedSecrets, models.Model):
    """The one Brevo account and loyalty program the studio reads from. The API key is stored encrypted
    (balances/secrets.py) and bound to this row and field; only its last four characters are kept plain,
    to show which key is in use."""

    sealed_columns = {"api_key": "api_key_encrypted"}
    sealed_scope = "brevo.BrevoConnection"  # existing ciphertexts are bound to this name

    api_key_encrypted = models.TextField()
    api_key_last4 = models.CharField(max_length=4)
    program_id = models.UUIDField("loyalty program ID")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "Brevo connection"

    def __str__(self) -> str:
        return f"Brevo loyalty program {self.program_id}"

    def set_api_key(self, plaintext: str) -> None:
        self.pk = SINGLETON_ID
        self.seal("api_key", plaintext)
        self.api_key_last4 = plaintext[-4:]

    def api_key(self) -> str:
        """Raises SecretUnreadable when the keys changed or the value was tampered with."""
        return self.reveal("api_key")

    @property
    def masked_key(self) -> str:
        return f"xkeysib-…{self.api_key_last4}"

    @classmethod
    def current(cls) -> "BrevoConnection | None":
        return cls.objects.filter(pk=SINGLETON_ID).first()
