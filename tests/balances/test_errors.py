import httpx
import pytest

from balances.wix import errors
from balances.wix.client import error_from_response


def _response(status, body=None, headers=None):
    return httpx.Response(status, json=body if body is not None else {}, headers=headers or {})


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, errors.WixAuthError),
        (403, errors.WixPermissionError),
        (404, errors.WixNotFound),
        (400, errors.WixBadRequest),
        (409, errors.WixConflict),
        (428, errors.WixPreconditionFailed),
        (429, errors.WixRateLimited),
        (503, errors.WixUnavailable),
    ],
)
def test_it_maps_statuses_to_errors(status, kind):
    assert isinstance(error_from_response(_response(status)), kind)


def test_it_reads_the_application_error_code():
    error = error_from_response(
        _response(
            428,
            {
                "message": "Balance exceeded limits",
                "details": {"applicationError": {"code": "BALANCE_EXCEEDED_LIMITS", "description": "x", "data": {"a": 1}}},
            },
            {"x-wix-request-id": "req-1"},
        )
    )
    assert error.code == "BALANCE_EXCEEDED_LIMITS" and error.data == {"a": 1} and error.request_id == "req-1"


def test_it_explains_a_validation_error_by_field():
    error = error_from_response(
        _response(
            400,
            {
                "details": {
                    "validationError": {
                        "fieldViolations": [
                            {"field": "cursorPaging.cursor", "description": "invalid cursor", "violatedRule": "FORMAT"}
                        ]
                    }
                }
            },
        )
    )
    assert "cursorPaging.cursor: invalid cursor" in error.message


def test_it_reads_retry_after_in_seconds_and_as_a_date():
    assert error_from_response(_response(429, headers={"Retry-After": "7"})).retry_after == 7
    assert "retry in 7 s" in error_from_response(_response(429, headers={"Retry-After": "7"})).message
    dated = error_from_response(_response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert dated.retry_after == 0


def test_a_failed_write_is_an_unknown_outcome_not_a_plain_failure():
    assert isinstance(error_from_response(_response(503), write=True), errors.WixUnknownOutcome)
