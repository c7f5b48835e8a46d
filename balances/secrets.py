"""Encryption of stored third-party secrets (Wix API keys, app secrets, Brevo keys).

AES-256-GCM with a random 96-bit nonce. A stored value reads `v1:<key id>:<base64(nonce‖ciphertext)>`,
so keys can rotate: CREDENTIALS_KEYS is `kid:base64key,kid:base64key,…`, the first key encrypts and
all of them decrypt. The associated data (`aad`) names the row and field a value belongs to, so a
ciphertext copied into another row or field does not decrypt. Any failure raises SecretUnreadable:
we fail closed and never hand back ciphertext as if it were the secret.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = "v1"


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted with the configured keys (or was tampered with)."""

    def __init__(self, message: str = "Credentials unreadable — enter them again."):
        super().__init__(message)


@dataclass(frozen=True)
class Key:
    id: str
    material: bytes


def _keys() -> list[Key]:
    raw = getattr(settings, "CREDENTIALS_KEYS", "") or ""
    items = raw if isinstance(raw, list | tuple) else raw.split(",")
    keys = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        kid, _, encoded = item.partition(":")
        try:
            material = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            continue
        if kid and len(material) == 32:
            keys.append(Key(kid, material))
    return keys


def primary_key_id() -> str | None:
    keys = _keys()
    return keys[0].id if keys else None


def encrypt(plaintext: str, *, aad: str) -> str:
    keys = _keys()
    if not keys:
        raise SecretUnreadable("No encryption key is configured (CREDENTIALS_KEYS); secrets cannot be stored.")
    key = keys[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key.material).encrypt(nonce, plaintext.encode(), aad.encode())
    return f"{VERSION}:{key.id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, aad: str) -> str:
    try:
        version, kid, encoded = token.split(":", 2)
        blob = base64.urlsafe_b64decode(encoded)
    except (ValueError, binascii.Error, AttributeError) as exc:
        raise SecretUnreadable() from exc
    key = next((k for k in _keys() if k.id == kid), None)
    if version != VERSION or key is None or len(blob) < 13:
        raise SecretUnreadable()
    try:
        return AESGCM(key.material).decrypt(blob[:12], blob[12:], aad.encode()).decode()
    except (InvalidTag, UnicodeDecodeError) as exc:
        raise SecretUnreadable() from exc


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1] if token.count(":") >= 2 else ""


def reencrypt(token: str, *, aad: str) -> str:
    """Re-seal with the primary key (rotation): decrypt with whichever key made it."""
    return encrypt(decrypt(token, aad=aad), aad=aad)


class SealedSecrets:
    """The one way a model stores secrets: mix it into the model and name its secrets and their columns.

    `seal(name, plaintext)` writes ciphertext bound to this row and secret (the row's pk must be known),
    `reveal(name)` reads it back or raises SecretUnreadable, `rotate()` re-seals every stored secret with
    the primary key. Every class that mixes this in is registered, so `manage.py rotatecredentials`
    re-seals every stored secret of every model, not only the ones someone remembered to list.
    """

    # secret name -> the text column holding its ciphertext
    sealed_columns: ClassVar[Mapping[str, str]] = {}
    # the first part of the associated data; existing ciphertexts are bound to it, so never change it
    sealed_scope: ClassVar[str] = ""
    pk: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.sealed_columns:
            _sealed_models.append(cls)

    def _secret_aad(self, name: str) -> str:
        return f"{self.sealed_scope}:{self.pk}:{name}"

    def seal(self, name: str, plaintext: str) -> None:
        """Encrypt a secret into its column; the row's pk must be set, since the ciphertext names it."""
        setattr(self, self.sealed_columns[name], encrypt(plaintext, aad=self._secret_aad(name)))

    def reveal(self, name: str) -> str:
        """The plaintext secret, or SecretUnreadable (wrong or missing key, tampering): fail closed."""
        return decrypt(getattr(self, self.sealed_columns[name]), aad=self._secret_aad(name))

    def has_secret(self, name: str) -> bool:
        return bool(getattr(self, self.sealed_columns[name]))

    def rotate(self) -> list[str]:
        """Re-seal every stored secret with the primary key; returns the columns to save.
        Raises SecretUnreadable (and changes nothing on this row) if any of them cannot be read."""
        resealed = {
            column: reencrypt(getattr(self, column), aad=self._secret_aad(name))
            for name, column in self.sealed_columns.items()
            if getattr(self, column)
        }
        for column, token in resealed.items():
            setattr(self, column, token)
        return list(self.sealed_columns.values())


_sealed_models: list[type[SealedSecrets]] = []


def sealed_models() -> list[type[SealedSecrets]]:
    """Every model class that stores sealed secrets (their modules are imported once apps are ready)."""
    return list(_sealed_models)
