"""BrevoLoyaltyClient: the one place Credit Desk talks to Brevo, through the official `brevo-python` SDK.

The SDK is pointed at BREVO_API_BASE_URL (the sandbox in tests and the demo). Its automatic retries
are off: every loyalty call spends from an hourly budget (600 on Brevo's Starter plan) that retries
would burn, and Brevo has no idempotency keys, so a retried write could apply twice. SDK and network
failures become the exceptions of errors.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import TypedDict, TypeVar
from urllib.parse import quote

import httpx
from brevo import Brevo
from brevo.core.api_error import ApiError

from . import errors
from .records import BalanceDefinition, Lot, LoyaltyTransaction, to_decimal

log = logging.getLogger(__name__)
T = TypeVar("T")
NO_RETRIES = {"max_retries": 0}


def _error_message(body: object) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or "")[:200]
    return str(getattr(body, "message", "") or "")[:200]


class _Facts(TypedDict):
    status: int | None
    code: str


def error_from_api(exc: ApiError) -> errors.BrevoError:
    status, text = exc.status_code, _error_message(exc.body)
    code = str((exc.body or {}).get("code", "") if isinstance(exc.body, dict) else getattr(exc.body, "code", "") or "")
    kwargs: _Facts = {"status": status, "code": code}
    if status in (401, 403):
        return errors.BrevoAuthError(**kwargs)
    if status == 404:
        return errors.BrevoNotFound(f"Brevo: {text}." if text else "", **kwargs)
    if status == 422:
        return errors.BrevoNotEnrolled(**kwargs)
    if status == 429:
        return errors.BrevoRateLimited(**kwargs)
    if status is None or status >= 500:
        return errors.BrevoUnavailable(f"Brevo is having trouble (HTTP {status}).", **kwargs)
    return errors.BrevoError(f"Brevo did not accept the request ({text or f'HTTP {status}'}).", **kwargs)


def path_segment(value: str) -> str:
    """`value` percent-encoded as exactly one URL path segment.

    brevo-python 5.1.0 puts path parameters into the URL as they are (its `encode_path_param` only
    calls str()), so a member's e-mail such as `maya.levi%40example.com#@evil.example` would cut the
    request at `#` and ask Brevo about Maya Levi instead (issue 19, finding 5); `/`, `..` and `?` would
    change the endpoint or the query. Every reserved character, `@` included, is encoded here: Brevo
    documents the e-mail identifier as URL-encoded and decodes it once.
    """
    return quote(value, safe="")


class BrevoLoyaltyClient:
    def __init__(self, api_key: str, program_id: str, base_url: str, *, timeout: float = 5.0):
        self.program_id = program_id
        # client_id/secret passed as None: otherwise BREVO_CLIENT_ID/SECRET in the environment would
        # silently switch the SDK to OAuth and ignore the key.
        self.sdk = Brevo(
            api_key=api_key, base_url=base_url.rstrip("/"), timeout=timeout, max_retries=0, client_id=None, client_secret=None
        )

    def __repr__(self) -> str:  # never show the key
        return f"<BrevoLoyaltyClient program={self.program_id}>"

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except ApiError as exc:
            raise error_from_api(exc) from exc
        except httpx.TimeoutException as exc:
            raise errors.BrevoUnavailable("Brevo did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise errors.BrevoUnavailable("Could not connect to Brevo.") from exc
        except ValueError as exc:  # an unreadable body
            raise errors.BrevoUnavailable("Brevo sent an unreadable answer.") from exc

    def find_contact_id(self, email: str) -> int | None:
        """The Brevo contact with this e-mail, or None when there is none."""
        if not email or any(ord(c) < 0x20 or c == "\x7f" for c in email):
            return None  # no address Brevo could hold; never sent
        try:
            contact = self._call(
                lambda: self.sdk.contacts.get_contact_info(
                    path_segment(email), identifier_type="email_id", request_options=NO_RETRIES
                )
            )
        except errors.BrevoNotFound:
            return None
        return int(contact.id) if contact.id is not None else None

    def definitions(self) -> list[BalanceDefinition]:
        # version=active: the published configuration; Brevo's default is the unpublished draft.
        page = self._call(
            lambda: self.sdk.balance.get_balance_definition_list(
                path_segment(self.program_id), version="active", limit=100, request_options=NO_RETRIES
            )
        )
        return [BalanceDefinition.from_sdk(d) for d in ((page.items or []) if page else [])]

    def balances(self, contact_id: int) -> dict[str, Decimal]:
        """Completed balance per definition. Raises BrevoNotEnrolled (422) for a contact not subscribed."""
        data = self._call(
            lambda: self.sdk.balance.get_subscription_balances(
                path_segment(self.program_id), str(int(contact_id)), request_options=NO_RETRIES
            )
        )
        return {str(b.balance_definition_id): to_decimal(b.value) for b in (data.balance or [])}

    def _of_contact(self, call: Callable[..., T], contact_id: int, definition_id: str, *, limit: int, sort: str) -> T:
        """One of the program's per-contact, per-balance lists (active lots, transaction history)."""
        return self._call(
            lambda: call(
                path_segment(self.program_id),
                contact_id=contact_id,
                balance_definition_id=definition_id,
                limit=limit,
                sort=sort,
                request_options=NO_RETRIES,
            )
        )

    def lots(self, contact_id: int, definition_id: str, *, limit: int = 50) -> list[Lot]:
        data = self._of_contact(self.sdk.balance.get_active_balances_api, contact_id, definition_id, limit=limit, sort="asc")
        return [Lot.from_sdk(x) for x in (data.active_balances or [])]

    def history(self, contact_id: int, definition_id: str, *, limit: int = 50) -> list[LoyaltyTransaction]:
        # No status filter: open drafts are picked out here, whichever spelling Brevo stored them with.
        data = self._of_contact(self.sdk.balance.get_transaction_history_api, contact_id, definition_id, limit=limit, sort="desc")
        return [LoyaltyTransaction.from_sdk(x) for x in (data.transaction_history or [])]
