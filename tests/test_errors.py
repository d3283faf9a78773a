"""The exception tree and the code table (spec §2.4)."""

from __future__ import annotations

import pytest

from bitget_nb import errors
from bitget_nb.errors import CODES, error_from_envelope


def test_every_code_row_maps_to_an_api_error_class_with_its_own_code():
    for code, row in CODES.items():
        assert row.code == code
        assert issubclass(row.cls, errors.BitgetAPIError)
        assert row.message


def test_outcome_unknown_codes_are_exactly_the_spec_list():
    unknown = {c for c, row in CODES.items() if row.outcome_unknown}
    assert unknown == {"40010", "40725", "45001", "25001"}
    for code in unknown:
        assert CODES[code].cls is errors.OutcomeUnknownError


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("40009", errors.AuthenticationError),
        ("40008", errors.TimestampExpiredError),
        ("40014", errors.PermissionDeniedError),
        ("40085", errors.PermissionDeniedError),
        ("429", errors.RateLimitError),
        ("25200", errors.InvalidParameterError),
        ("25202", errors.InsufficientBalanceError),
        ("25204", errors.OrderNotFoundError),
        ("25212", errors.DuplicateClientOidError),
        ("45001", errors.OutcomeUnknownError),
        ("25236", errors.PositionError),
    ],
)
def test_envelope_code_selects_the_class_by_meaning(code, cls):
    exc = error_from_envelope(
        {"code": code, "msg": "m", "requestTime": 1700000000000, "data": None},
        http_status=400,
        endpoint="/api/v3/x",
    )
    assert type(exc) is cls
    assert (exc.code, exc.msg, exc.http_status, exc.request_time, exc.endpoint) == (
        code,
        "m",
        400,
        1700000000000,
        "/api/v3/x",
    )
    assert f"[{code}]" in str(exc) and "/api/v3/x" in str(exc)


def test_invalid_parameter_and_validation_errors_are_value_errors():
    assert issubclass(errors.InvalidParameterError, ValueError)
    assert issubclass(errors.ValidationError, ValueError)
    assert not issubclass(errors.ValidationError, errors.BitgetAPIError)


def test_http_statuses_without_a_known_code_fall_back_by_status():
    assert type(error_from_envelope(None, http_status=502)) is errors.ServerError
    assert error_from_envelope(None, http_status=502).retryable
    rate = error_from_envelope(None, http_status=429, retry_after=0.5)
    assert type(rate) is errors.RateLimitError and rate.retry_after == 0.5 and rate.retryable
    assert type(error_from_envelope({"code": "99999"}, http_status=400)) is errors.BitgetAPIError


def test_retryable_follows_the_table():
    assert error_from_envelope({"code": "25000"}, http_status=400).retryable
    assert not error_from_envelope({"code": "25202"}, http_status=400).retryable


def test_outcome_unknown_names_the_client_oid():
    exc = errors.OutcomeUnknownError(None, "answer lost", client_oid="my-order-1")
    assert "my-order-1" in str(exc) and exc.client_oid == "my-order-1"
