"""The exception tree and the code table (spec §2.4)."""

from __future__ import annotations

import ast
import traceback
from pathlib import Path

import pytest

import bitget_nb as bg
from bitget_nb import errors
from bitget_nb.endpoints import ENDPOINTS
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


# -- a refusal's traceback is the caller's line and the method's -------------------------------
def _shown(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    out, link = [], exc.__cause__ or exc.__context__
    while link is not None:
        out.append(link)
        link = link.__cause__ or link.__context__
    return out


def test_a_refused_read_is_raised_from_the_method_in_two_frames_without_tenacity(client):
    with pytest.raises(errors.OrderNotFoundError) as info:
        client.get_order_info(orderId="123")
    frames = traceback.extract_tb(info.value.__traceback__)
    assert [f.name for f in frames] == [
        "test_a_refused_read_is_raised_from_the_method_in_two_frames_without_tenacity",
        "get_order_info",
    ]
    assert "/tenacity/" not in _shown(info.value) and _chain(info.value) == []
    assert _shown(info.value).splitlines()[-1].startswith("bitget_nb.errors.OrderNotFoundError: ")


def test_a_refused_write_is_raised_from_the_method_in_two_frames(client):
    with pytest.raises(errors.InsufficientBalanceError) as info:
        client.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit",
                                qty="1000", price="60000")  # fmt: skip
    assert [f.name for f in traceback.extract_tb(info.value.__traceback__)][1:] == [
        "submit_new_order"
    ]
    assert _chain(info.value) == []


def test_a_read_retried_until_it_gives_up_shows_no_retry_machinery(exchange):
    exchange.faults.fail_next("get_tickers", 3, when="before", kind="http_503")
    with bg.BitgetClient(base_url=exchange.base_url, sleep=lambda s: None, max_retries=2) as c:
        with pytest.raises(errors.ServerError) as info:
            c.get_tickers(category="SPOT")
        assert len(traceback.extract_tb(info.value.__traceback__)) == 2
        assert "/tenacity/" not in _shown(info.value) and _chain(info.value) == []
        # the transport too raises it after tenacity has returned, from its own frames
        exchange.faults.fail_next("get_tickers", 3, when="before", kind="http_503")
        with pytest.raises(errors.ServerError) as info:
            c.transport.call(ENDPOINTS["get_tickers"], {"category": "SPOT"})
    frames = traceback.extract_tb(info.value.__traceback__)
    assert not any("tenacity" in f.filename for f in frames)
    assert frames[1].name == "call" and frames[-1].name == "_check"


def test_a_write_whose_outcome_stays_unknown_has_a_short_chain(exchange):
    exchange.faults.fail_next("submit_new_order", when="before", kind="code_45001")
    with (
        bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url, settle_window=0) as c,
        pytest.raises(errors.OutcomeUnknownError) as info,
    ):
        c.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit",
                           qty="0.001", price="50000", clientOid="tb-1")  # fmt: skip
    assert "tb-1" in str(info.value)
    assert len(traceback.extract_tb(info.value.__traceback__)) == 2
    assert all(link.__traceback__ is None for link in _chain(info.value))
    assert len(_shown(info.value).splitlines()) < 12


def test_a_bug_keeps_its_whole_traceback(client):
    # not a refusal: a TypeError from deep inside (a bad positional argument) is not cut
    with pytest.raises(TypeError) as info:
        client.get_tickers(["SPOT"])
    assert len(traceback.extract_tb(info.value.__traceback__)) > 2


# -- messages say the rule, not a section of a spec the user does not have ----------------------
def _string_literals_outside_docstrings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            docs.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def test_no_message_of_the_package_cites_the_spec():
    package = Path(bg.__file__).parent
    cited = [
        f"{path.relative_to(package)}:{line}: {text[:60]!r}"
        for path in sorted(package.rglob("*.py"))
        for line, text in _string_literals_outside_docstrings(path)
        if "spec §" in text or "§" in text
    ]
    assert cited == []


def test_the_public_methods_docstrings_cite_no_spec_either():
    for name in dir(bg.BitgetClient):
        if not name.startswith("_"):
            doc = getattr(bg.BitgetClient, name).__doc__ or ""
            assert "§" not in doc, name
