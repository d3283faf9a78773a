"""Authentication of private endpoints (spec §1.3, §1.5, §1.7) over real HTTP."""

from __future__ import annotations

import pytest

from bitget_nb.endpoints import ENDPOINTS
from bitget_nb.exchange import LocalExchange
from bitget_nb.signing import sign

from .wire import START, Wire, error_code, ok_data

ASSETS = "/api/v3/account/assets"
FEE = "/api/v3/account/fee-rate"
LEVERAGE = "/api/v3/account/set-leverage"
ORDER_INFO = "/api/v3/trade/order-info"
UNFILLED = "/api/v3/trade/unfilled-orders"


def _headers_without(wire: Wire, name: str) -> dict[str, str]:
    headers = wire.auth_headers("GET", ASSETS)
    del headers[name]
    return headers


def test_correctly_signed_get_is_answered(wire: Wire) -> None:
    assert "accountEquity" in ok_data(wire.get(ASSETS, signed=True))


def test_missing_access_key_is_40001(wire: Wire) -> None:
    response = wire.get(ASSETS, headers=_headers_without(wire, "ACCESS-KEY"))
    assert error_code(response) == "40001"


def test_empty_access_key_is_40001(wire: Wire) -> None:
    headers = wire.auth_headers("GET", ASSETS)
    headers["ACCESS-KEY"] = ""
    assert error_code(wire.get(ASSETS, headers=headers)) == "40001"


def test_missing_access_sign_is_40003(wire: Wire) -> None:
    response = wire.get(ASSETS, headers=_headers_without(wire, "ACCESS-SIGN"))
    assert error_code(response) == "40003"


@pytest.mark.parametrize("timestamp", [None, "", "abc", "17487792000.5", "-1748779200000", "1e12"])
def test_missing_or_non_integer_timestamp_is_40005(wire: Wire, timestamp: str | None) -> None:
    headers = wire.auth_headers("GET", ASSETS)
    if timestamp is None:
        del headers["ACCESS-TIMESTAMP"]
    else:
        headers["ACCESS-TIMESTAMP"] = timestamp
    assert error_code(wire.get(ASSETS, headers=headers)) == "40005"


def test_missing_passphrase_is_40011(wire: Wire) -> None:
    response = wire.get(ASSETS, headers=_headers_without(wire, "ACCESS-PASSPHRASE"))
    assert error_code(response) == "40011"


def test_unknown_key_is_40006(wire: Wire) -> None:
    headers = wire.auth_headers("GET", ASSETS)
    headers["ACCESS-KEY"] = "bg_" + "0" * 32
    assert error_code(wire.get(ASSETS, headers=headers)) == "40006"


def test_wrong_passphrase_is_40012(wire: Wire) -> None:
    headers = wire.auth_headers("GET", ASSETS)
    headers["ACCESS-PASSPHRASE"] = "not-the-passphrase"
    assert error_code(wire.get(ASSETS, headers=headers)) == "40012"


@pytest.mark.parametrize("skew_ms", [-31_000, 31_000, -(10**9)])
def test_timestamp_outside_window_is_40008(wire: Wire, skew_ms: int) -> None:
    ts = wire.exchange.now_ms() + skew_ms
    headers = wire.auth_headers("GET", ASSETS, timestamp=ts)
    assert error_code(wire.get(ASSETS, headers=headers)) == "40008"


@pytest.mark.parametrize("skew_ms", [-29_000, 29_000])
def test_timestamp_inside_window_is_accepted(wire: Wire, skew_ms: int) -> None:
    ts = wire.exchange.now_ms() + skew_ms
    ok_data(wire.get(ASSETS, headers=wire.auth_headers("GET", ASSETS, timestamp=ts)))


def test_window_is_measured_against_the_exchange_clock_not_the_wall_clock(
    fresh_exchange: LocalExchange,
) -> None:
    wire = Wire(fresh_exchange)
    stale = fresh_exchange.now_ms()
    fresh_exchange.advance(seconds=31)
    headers = wire.auth_headers("GET", ASSETS, timestamp=stale)
    assert error_code(wire.get(ASSETS, headers=headers)) == "40008"
    ok_data(wire.get(ASSETS, signed=True))


def test_timestamp_window_is_configurable() -> None:
    with LocalExchange(start_time=START, timestamp_window_ms=120_000) as ex:
        wire = Wire(ex)
        headers = wire.auth_headers("GET", ASSETS, timestamp=ex.now_ms() - 100_000)
        ok_data(wire.get(ASSETS, headers=headers))


def test_signature_with_the_wrong_secret_is_40009(wire: Wire) -> None:
    headers = wire.auth_headers("GET", ASSETS)
    headers["ACCESS-SIGN"] = sign("another-secret", headers["ACCESS-TIMESTAMP"], "GET", ASSETS)
    assert error_code(wire.get(ASSETS, headers=headers)) == "40009"


def test_signature_is_over_the_raw_query_as_sent(wire: Wire) -> None:
    # Spec §1.9 V2a/V2b: any parameter order works when the sent text is what was signed.
    unsorted = "symbol=BTCUSDT&category=SPOT"
    headers = wire.auth_headers("GET", FEE, unsorted)
    assert ok_data(wire.get(FEE, query=unsorted, headers=headers))["makerFeeRate"]
    signed_sorted = wire.auth_headers("GET", FEE, "category=SPOT&symbol=BTCUSDT")
    assert error_code(wire.get(FEE, query=unsorted, headers=signed_sorted)) == "40009"


#: Every character class the clientOid pattern allows (spec §5.7): . A-Z : / a-z 0-9 _ -
CLIENT_OID = "ccxt:1/a.b_AZ-09"


@pytest.mark.parametrize(
    "signed_form",
    [
        # ccxt: sends the query percent-encoded, signs it decoded (spec §10.1)
        "clientOid=ccxt:1/a.b_AZ-09",
        # the Node SDK / go-bitget: sign the query exactly as sent
        "clientOid=ccxt%3A1%2Fa.b_AZ-09",
    ],
)
def test_get_signed_over_the_decoded_or_the_received_query_is_answered(
    trading_wire: Wire, signed_form: str
) -> None:
    order = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
             "qty": "0.001", "price": "50000", "clientOid": CLIENT_OID}  # fmt: skip
    ok_data(trading_wire.post("/api/v3/trade/place-order", order))
    sent = "clientOid=ccxt%3A1%2Fa.b_AZ-09"
    headers = trading_wire.auth_headers("GET", ORDER_INFO, signed_form)
    assert ok_data(trading_wire.get(ORDER_INFO, query=sent, headers=headers))["clientOid"] == (
        CLIENT_OID
    )


def test_get_with_a_non_ascii_value_is_answered_when_signed_decoded(wire: Wire) -> None:
    sent = "category=SPOT&symbol=%E5%B8%81USDT"
    for signed_form in (sent, "category=SPOT&symbol=币USDT"):
        headers = wire.auth_headers("GET", UNFILLED, signed_form)
        assert ok_data(wire.get(UNFILLED, query=sent, headers=headers))["list"] == []


def test_get_signed_over_neither_form_of_the_query_is_40009(wire: Wire) -> None:
    sent = "clientOid=ccxt%3A1%2Fa.b"
    # another value, and the same value escaped otherwise than sent
    for signed_form in ("clientOid=ccxt:1/a.c", "clientOid=ccxt%3a1%2fa.b"):
        headers = wire.auth_headers("GET", ORDER_INFO, signed_form)
        assert error_code(wire.get(ORDER_INFO, query=sent, headers=headers)) == "40009"
    # "%20" decodes to a space, not to "+"
    plus = wire.auth_headers("GET", ORDER_INFO, "clientOid=a+b")
    assert error_code(wire.get(ORDER_INFO, query="clientOid=a%20b", headers=plus)) == "40009"


def test_signature_covers_the_raw_post_body_bytes(wire: Wire) -> None:
    # Spec §1.9 V7a: a body with spaces is fine when those exact bytes were signed.
    spaced = '{"holdMode": "one_way_mode"}'
    assert ok_data(wire.post("/api/v3/account/set-hold-mode", raw=spaced)) == "success"
    headers = wire.auth_headers("POST", "/api/v3/account/set-hold-mode", "", spaced)
    response = wire.post(
        "/api/v3/account/set-hold-mode",
        raw='{"holdMode":"one_way_mode"}',
        signed=False,
        headers=headers,
    )
    assert error_code(response) == "40009"


def test_checks_run_in_the_order_of_spec_1_7(wire: Wire) -> None:
    bad = {
        "ACCESS-KEY": "bg_unknown",
        "ACCESS-SIGN": "bm90LWEtc2lnbmF0dXJl",
        "ACCESS-TIMESTAMP": "1",
        "ACCESS-PASSPHRASE": "wrong",
    }
    # Unknown key wins over the wrong passphrase, stale timestamp and bad signature.
    assert error_code(wire.get(ASSETS, headers=bad)) == "40006"
    # A known key with a wrong passphrase: 40012 before the stale timestamp.
    bad["ACCESS-KEY"] = wire.exchange.credentials["api_key"]
    assert error_code(wire.get(ASSETS, headers=bad)) == "40012"
    # Right passphrase: the stale timestamp (40008) comes before the bad signature.
    bad["ACCESS-PASSPHRASE"] = wire.exchange.credentials["api_pass"]
    assert error_code(wire.get(ASSETS, headers=bad)) == "40008"
    bad["ACCESS-TIMESTAMP"] = str(wire.exchange.now_ms())
    assert error_code(wire.get(ASSETS, headers=bad)) == "40009"


def test_header_names_are_case_insensitive(wire: Wire) -> None:
    headers = {k.lower(): v for k, v in wire.auth_headers("GET", ASSETS).items()}
    ok_data(wire.get(ASSETS, headers=headers))
    headers = {k.title(): v for k, v in wire.auth_headers("GET", ASSETS).items()}
    ok_data(wire.get(ASSETS, headers=headers))


def test_paptrading_locale_and_channel_headers_are_accepted(wire: Wire) -> None:
    extra = {"paptrading": "1", "locale": "zh-CN", "X-CHANNEL-API-CODE": "anything"}
    ok_data(wire.get(ASSETS, signed=True, headers=extra))
    ok_data(wire.get("/api/v3/market/tickers", {"category": "SPOT"}, headers=extra))


def test_public_endpoints_ignore_auth_headers(wire: Wire) -> None:
    junk = {"ACCESS-KEY": "x", "ACCESS-SIGN": "y", "ACCESS-TIMESTAMP": "z"}
    ok_data(wire.get("/api/v3/market/tickers", {"category": "SPOT"}, headers=junk))


def test_read_only_key_reads_but_gets_40014_on_write_endpoints(wire: Wire) -> None:
    info = ok_data(wire.get("/api/v3/account/info", signed=True, key="ro"))
    assert info["permType"] == "read_only"
    body = {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "leverage": "5"}
    assert error_code(wire.post(LEVERAGE, body, key="ro")) == "40014"
    # Permission comes before routing to a handler, so it holds for endpoints that this
    # version of the exchange does not implement yet.
    order = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "market"}
    assert error_code(wire.post("/api/v3/trade/place-order", order, key="ro")) == "40014"


def test_every_endpoint_of_the_table_is_served(wire: Wire) -> None:
    assert [name for name in ENDPOINTS if not wire.exchange.venue.implements(name)] == []


def test_read_write_key_reaches_an_unserved_endpoint_as_404(fresh_exchange: LocalExchange) -> None:
    # Every endpoint is served now; take one away to pin what an unserved one answers.
    del fresh_exchange.venue._operations["submit_strategy_order"]
    wire = Wire(fresh_exchange)
    response = wire.post("/api/v3/trade/place-strategy-order", {"category": "USDT-FUTURES"})
    assert error_code(response, 404) == "40404"
    assert "not implemented" in response.json()["msg"]


def test_error_answers_never_contain_credentials(wire: Wire) -> None:
    creds = wire.exchange.credentials
    responses = [
        wire.get(ASSETS, headers=_headers_without(wire, "ACCESS-SIGN")),
        wire.get(ASSETS, headers={**wire.auth_headers("GET", ASSETS), "ACCESS-PASSPHRASE": "x"}),
        wire.get(ASSETS, headers={**wire.auth_headers("GET", ASSETS), "ACCESS-SIGN": "x"}),
    ]
    for response in responses:
        assert creds["api_secret"] not in response.text
        assert creds["api_pass"] not in response.text
