"""Wix-shaped errors: ``{"message", "details": {applicationError | validationError | systemError}}``.

Shape from https://dev.wix.com/docs/sdk/articles/work-with-the-sdk/about-errors and the official SDK's
``@wix/error-handler-types`` (``ErrorDetails``).
"""

from __future__ import annotations

from typing import Any

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ALREADY_EXISTS",
    428: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    502: "BAD_GATEWAY",
    503: "UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


def status_name(status: int) -> str:
    return _STATUS_NAMES.get(status, "UNKNOWN")


class WixError(Exception):
    """An error answered with a Wix error body. ``body`` is the JSON body, ``headers`` extra headers."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def application_error(status: int, code: str, description: str, data: dict | None = None, headers: dict | None = None) -> WixError:
    return WixError(
        status,
        {
            "message": description,
            "details": {"applicationError": {"code": code, "description": description, "data": data or {}}},
        },
        headers,
    )


def validation_error(field: str, description: str, rule: str = "OTHER", data: dict | None = None) -> WixError:
    violation: dict[str, Any] = {"field": field, "description": description, "violatedRule": rule}
    if rule == "OTHER":
        violation["ruleName"] = "INVALID_VALUE"
    if data:
        violation["data"] = data
    return WixError(
        400,
        {
            "message": f'INVALID_ARGUMENT: "{field}" {description}',
            "details": {"validationError": {"fieldViolations": [violation]}},
        },
    )


def system_error(status: int, message: str | None = None, headers: dict | None = None) -> WixError:
    name = status_name(status)
    return WixError(
        status,
        {
            "message": message or f"{name}: the service is temporarily unavailable",
            "details": {"systemError": {"errorCode": name}},
        },
        headers,
    )


def status_error(status: int, headers: dict | None = None) -> WixError:
    """A generic error for an arbitrary status (used by fault injection)."""
    if status >= 500:
        return system_error(status, headers=headers)
    name = status_name(status)
    if status == 429:
        desc = "RESOURCE_EXHAUSTED: too many requests, slow down"
    else:
        desc = f"{name}: injected error"
    return application_error(status, name, desc, headers=headers)


def not_found_path(path: str) -> WixError:
    return application_error(404, "NOT_FOUND", f"NOT_FOUND: no route for {path}")


# Default descriptions of the application errors a scripted fault may name (``Faults.script(code=…)``).
# Change Balance's 409s: ALREADY_EXECUTED, BALANCE_ALREADY_INITIALIZED and TRANSACTION_ALREADY_SUPERSEDED
# come from the SDK's ChangeBalanceApplicationErrors union; ABORTED is the generic 409 (concurrent
# modification) every Wix API may answer.
FAULT_DESCRIPTIONS = {
    "ABORTED": "ABORTED: the operation was aborted because of a concurrent modification; retry",
    "ALREADY_EXECUTED": "ALREADY_EXECUTED: a change with this idempotencyKey was already executed",
    "BALANCE_ALREADY_INITIALIZED": "BALANCE_ALREADY_INITIALIZED: the balance was already initialized",
    "TRANSACTION_ALREADY_SUPERSEDED": "TRANSACTION_ALREADY_SUPERSEDED: the transaction was already superseded",
}


def scripted_error(fault, headers: dict | None = None, message: str | None = None) -> WixError:
    """The error a scripted fault answers: an application error when it names a ``code``, else by status."""
    code = getattr(fault, "code", None)
    if code:
        description = FAULT_DESCRIPTIONS.get(code) or f"{code}: injected error"
        return application_error(fault.status, code, description, getattr(fault, "data", None), headers=headers)
    if message and fault.status >= 500:
        return system_error(fault.status, message, headers)
    return status_error(fault.status, headers)
