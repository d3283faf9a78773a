"""The real client against the real local exchange, over HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pandas as pd
import pytest
import requests

import bitget_nb as bg
from bitget_nb.endpoints import Endpoint, Shape
from bitget_nb.frames import SCHEMAS
from bitget_nb.signing import sign

START = "2026-01-05T00:00:00Z"
START_MS = int(pd.Timestamp(START).value // 1_000_000)
UTC_MS = "datetime64[ms, UTC]"


@pytest.fixture(scope="module")
def exchange():
    """One exchange for the module (overrides the per-test one of conftest.py)."""
    with bg.LocalExchange(seed=7, start_time=START) as ex:
        yield ex


class SentSignatures:
    """A session hook that remembers every ACCESS-SIGN the client sent."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.values: list[str] = []
        self.session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args, **kwargs) -> None:
        sign = response.request.headers.get("ACCESS-SIGN")
        if sign:
            self.values.append(sign)


# -- market data ------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["get_server_time", "get_server_time_v3", "get_market_time"])
def test_every_server_time_method_is_the_exchange_clock(client, exchange, method):
    series = getattr(client, method)()
    assert series["serverTime"] == pd.Timestamp(exchange.now_ms(), unit="ms", tz="UTC")


def test_spot_coin_info_is_a_frame_of_the_exchanges_coins_with_their_chains(client):
    coins = client.get_spot_coin_info().set_index("coin")
    assert list(coins.index) == ["BTC", "USDT", "ETH", "SOL", "USDC"]
    assert str(coins.dtypes["transfer"]) == "boolean" and coins["transfer"].all()
    assert [c["chain"] for c in coins.loc["USDT", "chains"]] == ["ERC20", "TRC20"]
    assert len(client.get_spot_coin_info(coin="BTC")) == 1


def test_instruments_have_numeric_specs_as_floats(client):
    df = client.get_instruments(category="SPOT")
    assert {"BTCUSDT", "ETHUSDT"} <= set(df["symbol"])
    assert df.dtypes["minOrderQty"] == "float64" and df.dtypes["minOrderAmount"] == "float64"
    assert (df["category"] == "SPOT").all()
    futures = client.get_instruments(category="USDT-FUTURES")
    assert (futures["priceMultiplier"] > 0).all() and (futures["maxLeverage"] >= 1).all()


@pytest.mark.parametrize("category", ["SPOT", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES"])
def test_tickers_of_every_category_are_typed(client, category):
    df = client.get_tickers(category=category)
    assert len(df) >= 1 and (df["category"] == category).all()
    assert df.dtypes["lastPrice"] == "float64" and (df["lastPrice"] > 0).all()
    assert (df["bid1Price"] < df["ask1Price"]).all()
    if category != "SPOT":
        assert df["markPrice"].notna().all()


def test_seed_prices_rest_far_from_the_example_limits(client):
    df = client.get_tickers(category="SPOT").set_index("symbol")
    assert df.loc["BTCUSDT", "lastPrice"] > 60000 * 1.02
    assert df.loc["ETHUSDT", "lastPrice"] > 3000 * 1.02


def test_orderbook_is_sorted_with_asks_above_bids(client):
    book = client.get_orderbook(category="SPOT", symbol="BTCUSDT", limit=20)
    asks, bids = book[book["side"] == "ask"], book[book["side"] == "bid"]
    assert len(asks) == 20 and len(bids) == 20
    assert asks["price"].is_monotonic_increasing and bids["price"].is_monotonic_decreasing
    assert bids["price"].iloc[0] < asks["price"].iloc[0]
    assert (book["size"] > 0).all()


def test_candles_are_time_indexed_float_ohlcv(client, exchange):
    df = client.get_candles(category="SPOT", symbol="BTCUSDT", interval="1H", limit=48)
    assert len(df) == 48 and str(df.index.dtype) == UTC_MS and df.index.name == "ts"
    assert list(df.columns) == ["open", "high", "low", "close", "volume", "turnover"]
    assert (df.dtypes == "float64").all()
    assert df.index.is_monotonic_increasing and df.index[-1] <= pd.Timestamp(
        exchange.now_ms(), unit="ms", tz="UTC"
    )
    assert (df["high"] >= df[["open", "close"]].max(axis=1)).all()
    assert (df["low"] <= df[["open", "close"]].min(axis=1)).all()


def test_history_candles_reach_back_with_an_end_time(client):
    end = pd.Timestamp(START) - pd.Timedelta(days=30)
    df = client.get_history_candles(
        category="USDT-FUTURES", symbol="BTCUSDT", interval="1D", endTime=end, limit=20
    )
    assert len(df) == 20 and df.index[-1] <= end


def test_public_fills_are_typed(client):
    df = client.get_fills(category="SPOT", symbol="ETHUSDT", limit=50)
    assert 0 < len(df) <= 50
    assert df.dtypes["price"] == "float64" and str(df.dtypes["ts"]) == UTC_MS
    assert set(df["side"]) <= {"buy", "sell"}


# -- account ----------------------------------------------------------------------------------
def test_balances_show_the_funded_paper_account(client):
    df = client.get_balances().set_index("coin")
    assert df.loc["USDT", "balance"] == 100_000 and df.loc["BTC", "balance"] == 1
    assert df.loc["ETH", "balance"] == 10
    assert df.dtypes["available"] == "float64"
    assert df.attrs["account"]["accountEquity"] > 100_000


def test_account_settings_and_info_are_series(client):
    settings = client.get_account_settings()
    assert settings["accountMode"] == "unified" and settings["holdMode"] == "one_way_mode"
    info = client.get_account_info()
    assert info["permType"] == "read_and_write" and "uta_trade" in info["permissions"]
    assert info["userId"] == info["uid"] == settings["uid"]


def test_the_fields_of_bitgets_newer_samples_reach_the_frames(client):
    # spec §10.2: spot instruments, public fills and account assets carry more fields
    spot = client.get_instruments(category="SPOT").set_index("symbol").loc["BTCUSDT"]
    assert spot["symbolType"] == "crypto" and spot["maxPositionNum"] == 200
    assert spot["launchTime"] == pd.Timestamp(1532454360000, unit="ms", tz="UTC")
    assert pd.isna(spot["maintainTime"])  # "" when nothing is scheduled
    fills = client.get_fills(category="SPOT", symbol="BTCUSDT", limit=5)
    assert fills["execLinkId"].str.isdigit().all() and str(fills.dtypes["isRPI"]) == "boolean"
    assert not fills["isRPI"].any()
    balances = client.get_balances()
    assert balances.dtypes["bonus"] == "float64" and (balances["bonus"] == 0).all()
    account = balances.attrs["account"]
    assert account["leverage"] >= 1 and account["positionValue"] >= 0


def test_raw_returns_the_envelope(client):
    envelope = client.get_account_info(raw=True)
    assert envelope["code"] == "00000" and isinstance(envelope["requestTime"], int)
    frame = client.get_balances()
    assert frame.attrs["envelope"]["code"] == "00000" and "data" not in frame.attrs["envelope"]


def test_parameters_may_be_a_mapping_keywords_or_both(client):
    a = client.get_tickers({"category": "SPOT", "symbol": "BTCUSDT"})
    b = client.get_tickers(category="SPOT", symbol="BTCUSDT")
    c = client.get_tickers({"category": "SPOT"}, symbol="BTCUSDT")
    assert a.equals(b) and b.equals(c) and len(a) == 1


class CountingSession(requests.Session):
    """A session that counts the requests it sends (nothing else changed)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def send(self, request, **kwargs):  # type: ignore[override]
        self.sent += 1
        return super().send(request, **kwargs)


@pytest.fixture
def counted(exchange):
    session = CountingSession()
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url, session=session) as c:
        yield c, session


def test_a_misspelt_keyword_is_refused_before_sending_naming_the_fields(counted):
    client, session = counted
    with pytest.raises(bg.ValidationError) as info:
        client.get_candles(category="SPOT", symbol="BTCUSDT", interval="1m", start_time=START_MS)
    error = info.value
    assert isinstance(error, TypeError) and error.field == "start_time"
    assert "has no field 'start_time' — did you mean 'startTime'?" in str(error)
    assert "Its fields: category, symbol, interval, startTime, endTime, type, limit" in str(error)
    assert session.sent == 0


def test_a_key_of_a_mapping_that_is_no_field_is_refused_too(counted):
    client, session = counted
    with pytest.raises(bg.ValidationError, match="did you mean 'symbol'") as info:
        client.get_tickers({"category": "SPOT", "symbl": "BTCUSDT"})
    assert info.value.field == "symbl"
    with pytest.raises(bg.ValidationError, match=r"cancel_order\(\) has no field 'price'"):
        client.cancel_order({"orderId": "1", "price": "60000"})  # a cancel takes no price
    assert session.sent == 0


def test_a_write_with_a_field_it_does_not_take_sends_nothing(client):
    with pytest.raises(TypeError, match="did you mean 'clientOid'"):
        client.submit_new_order(
            category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit", qty="0.001",
            price="50000", clientOID="x-1",
        )  # fmt: skip
    assert client.get_unfilled_orders(category="SPOT").empty


def test_a_missing_required_field_is_refused_locally_with_its_allowed_values(counted):
    client, session = counted
    with pytest.raises(bg.ValidationError, match="interval: required by get_candles") as info:
        client.get_candles(category="SPOT", symbol="BTCUSDT")
    assert "one of 1m, 3m" in str(info.value) and info.value.field == "interval"
    with pytest.raises(bg.ValidationError, match="get_order_info: give orderId or clientOid"):
        client.get_order_info()
    assert session.sent == 0


@pytest.mark.parametrize(
    "start",
    [
        START_MS - 3_600_000,
        str(START_MS - 3_600_000),
        "2026-01-04T23:00:00Z",
        "2026-01-04T23:00",  # no zone: UTC
        "2026-01-05T00:00+01:00",
        datetime(2026, 1, 4, 23, tzinfo=UTC),
        pd.Timestamp("2026-01-05 00:00", tz="Europe/Paris"),
    ],
    ids=["ms", "ms-text", "iso-z", "iso-naive", "iso-offset", "datetime", "timestamp-paris"],
)
def test_times_may_be_ms_iso_strings_or_aware_datetimes(client, start):
    end = START_MS - 3_600_000 + 4 * 60_000  # five one-minute candles from 23:00 UTC
    frame = client.get_candles(
        category="SPOT", symbol="BTCUSDT", interval="1m", startTime=start, endTime=end
    )
    assert list(frame.index.strftime("%H:%M")) == ["23:00", "23:01", "23:02", "23:03", "23:04"]


def test_a_date_range_of_iso_days_reads_history_instead_of_being_refused(client):
    client.transport.sync_time()  # the exchange's manual clock, for the 90-day look-back
    orders = client.get_history_orders(
        category="SPOT", startTime="2026-01-01", endTime="2026-01-05"
    )
    assert orders.empty and list(orders.columns) == list(SCHEMAS["order"])
    hours = client.get_candles(category="SPOT", symbol="BTCUSDT", interval="1H",
                               startTime=date(2026, 1, 4), endTime="2026-01-04T02:00")  # fmt: skip
    assert list(hours.index.strftime("%d %H:%M")) == ["04 00:00", "04 01:00", "04 02:00"]


def test_a_naive_datetime_is_refused_saying_what_to_give(counted):
    client, session = counted
    with pytest.raises(bg.ValidationError, match="no time zone") as info:
        client.get_candles(category="SPOT", symbol="BTCUSDT", interval="1m",
                           startTime=datetime(2026, 1, 4, 23))  # fmt: skip
    assert "tzinfo=UTC" in str(info.value) and info.value.field == "startTime"
    assert session.sent == 0


def test_bad_parameters_raise_invalid_parameter_error(client):
    with pytest.raises(bg.InvalidParameterError) as info:
        client.get_candles(category="SPOT", symbol="BTCUSDT", interval="7m")
    assert info.value.http_status == 400 and isinstance(info.value, ValueError)
    with pytest.raises(bg.InvalidParameterError):
        client.get_tickers(category="SPOT", symbol="NOPEUSDT")


def test_a_classic_endpoint_asked_of_the_unified_account_is_permission_denied(client):
    # A row the table does not hold: a classic V2 read, signed and sent like any other.
    classic = Endpoint("classic_assets", "GET", "/api/v2/spot/account/assets", Shape.LIST, 10)
    with pytest.raises(bg.PermissionDeniedError) as info:
        client.request(classic, coin="USDT")
    assert info.value.code == "40085" and "Unified Account mode" in str(info.value)


# -- authentication ---------------------------------------------------------------------------
def _client(exchange, **overrides):
    creds = {**exchange.credentials, **overrides}
    return bg.BitgetClient(**creds, base_url=exchange.base_url, max_retries=0)


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"api_key": "bg_unknown_key_000000"}, "40006"),
        ({"api_pass": "wrong-passphrase"}, "40012"),
        ({"api_secret": "wrong-secret"}, "40009"),
    ],
)
def test_auth_failures_surface_their_code(exchange, override, code):
    with _client(exchange, **override) as c, pytest.raises(bg.AuthenticationError) as info:
        c.get_balances()
    assert info.value.code == code and info.value.http_status == 400
    assert info.value.endpoint == "/api/v3/account/assets"


def test_private_call_without_credentials_fails_before_sending(exchange):
    with bg.BitgetClient(base_url=exchange.base_url) as c:
        assert len(c.get_tickers(category="SPOT")) > 0  # public data needs no key
        with pytest.raises(bg.ConfigurationError, match="needs API credentials"):
            c.get_balances()


def test_read_only_key_reads(exchange):
    with bg.BitgetClient(**exchange.read_only_credentials, base_url=exchange.base_url) as c:
        assert c.get_account_info()["permType"] == "read_only"


# -- clock ------------------------------------------------------------------------------------
def test_stale_clock_is_corrected_once_from_server_time():
    with bg.LocalExchange(seed=3) as ex:  # real clock
        late = bg.BitgetClient(
            **ex.credentials, base_url=ex.base_url, clock=lambda: time.time() - 120
        )
        assert late.get_balances().shape[0] >= 3  # 40008, resync, re-sent
        offset = late.transport.clock_offset_ms
        assert 119_000 < offset < 121_000
        late.get_balances()
        assert late.transport.clock_offset_ms == offset  # no second resync needed
        late.close()


def test_manual_exchange_clock_is_followed_after_advance(client, exchange):
    before = client.get_server_time()["serverTime"]
    exchange.advance(hours=2)
    assert client.get_balances().shape[0] >= 3  # the signed call adapts to the jump
    assert client.get_server_time()["serverTime"] - before == pd.Timedelta(hours=2)


# -- rate limits ------------------------------------------------------------------------------
def test_burst_of_100_ticker_calls_earns_no_429(exchange):
    # max_retries=0: any 429 would raise instead of being retried away
    with _client(exchange) as c:
        for _ in range(100):
            c.get_tickers(category="SPOT", symbol="BTCUSDT", raw=True)


def test_without_the_client_limiter_a_burst_gets_429_then_recovers(exchange):
    with bg.BitgetClient(
        **exchange.credentials, base_url=exchange.base_url, rate_limit=False, max_retries=0
    ) as unlimited:
        with pytest.raises(bg.RateLimitError) as info:
            for _ in range(12):  # account/info allows 5/s
                unlimited.get_account_info(raw=True)
        assert info.value.code == "429" and info.value.http_status == 429
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with bg.BitgetClient(
        **exchange.credentials, base_url=exchange.base_url, rate_limit=False, sleep=sleep
    ) as retrying:
        for _ in range(8):
            assert retrying.get_account_info(raw=True)["code"] == "00000"
    assert waits  # at least one 429 was waited out and the call succeeded


# -- transport failures -----------------------------------------------------------------------
def test_refused_connection_is_a_transport_error_after_bounded_retries():
    waits: list[float] = []
    with bg.LocalExchange(seed=1) as ex:
        url = ex.base_url
    with (
        bg.BitgetClient(base_url=url, sleep=waits.append, max_retries=2) as c,
        pytest.raises(bg.TransportError) as info,
    ):
        c.get_tickers(category="SPOT")
    assert len(waits) == 2 and not info.value.maybe_sent


# -- empty lists ------------------------------------------------------------------------------
def test_null_lists_and_cursors_give_empty_frames_with_their_columns():
    # a fresh account: the exchange answers "list": null and "cursor": null (spec §10.2)
    with (
        bg.LocalExchange(seed=7, start_time=START) as ex,
        bg.BitgetClient(**ex.credentials, base_url=ex.base_url) as c,
    ):
        fills = c.get_trade_fills()
        positions = c.get_current_position(category="USDT-FUTURES")
        closed = c.get_position_history(category="USDT-FUTURES")
        orders = c.get_unfilled_orders()
        raw_fills = c.get_trade_fills(raw=True)["data"]
        raw_positions = c.get_current_position(category="USDT-FUTURES", raw=True)["data"]
    assert raw_fills == {"list": None, "cursor": None} and raw_positions == {"list": None}
    assert fills.attrs["envelope"]["pages"] == 1 and fills.attrs["envelope"]["cursor"] is None
    for frame, schema in ((fills, "fill"), (positions, "position"), (closed, "position_history"),
                          (orders, "order")):  # fmt: skip
        assert frame.empty and list(frame.columns) == list(SCHEMAS[schema])
    assert str(fills.dtypes["createdTime"]) == UTC_MS and fills.dtypes["execPrice"] == "float64"


# -- signing ----------------------------------------------------------------------------------
def test_signed_gets_with_every_client_oid_character_and_a_non_ascii_symbol_are_answered(
    exchange,
):
    sent: list[requests.PreparedRequest] = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request))
    creds = exchange.credentials
    client_oid = "ccxt:1/a.b_AZ-09"  # every character class of the pattern (spec §5.7)
    with bg.BitgetClient(**creds, base_url=exchange.base_url, session=session) as c:
        c.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit",
                           qty="0.001", price="50000", clientOid=client_oid)  # fmt: skip
        assert c.get_order_info(clientOid=client_oid)["clientOid"] == client_oid
        empty = c.get_unfilled_orders(category="SPOT", symbol="币USDT")
    assert empty.empty and {"orderId", "clientOid", "price"} <= set(empty.columns)
    by_path = {urlsplit(r.url).path: r for r in sent}
    # nothing in the clientOid needs escaping (spec §10.1): sent and decoded query are one
    assert urlsplit(by_path["/api/v3/trade/order-info"].url).query == f"clientOid={client_oid}"
    unfilled = by_path["/api/v3/trade/unfilled-orders"]
    assert urlsplit(unfilled.url).query == "category=SPOT&symbol=%E5%B8%81USDT"
    # ...and where something must be escaped, the signature is over the decoded form
    decoded = sign(creds["api_secret"], unfilled.headers["ACCESS-TIMESTAMP"], "GET",
                   "/api/v3/trade/unfilled-orders", "category=SPOT&symbol=币USDT")  # fmt: skip
    assert unfilled.headers["ACCESS-SIGN"] == decoded


# -- secrets ----------------------------------------------------------------------------------
def test_no_secret_passphrase_or_signature_in_reprs_errors_or_logs(exchange, caplog):
    caplog.set_level(logging.DEBUG)
    creds = exchange.credentials
    hooks = SentSignatures()
    texts: list[str] = []
    c = bg.BitgetClient(**creds, base_url=exchange.base_url, session=hooks.session)
    texts += [repr(c), str(c)]
    c.get_balances()
    c.get_account_info()
    for bad in ({"api_secret": "x" * 20}, {"api_pass": "y" * 20}):
        other = bg.BitgetClient(
            **{**creds, **bad}, base_url=exchange.base_url, session=hooks.session
        )
        with pytest.raises(bg.AuthenticationError) as info:
            other.get_balances()
        texts += [str(info.value), repr(info.value), repr(other)]
    texts += [repr(exchange), str(exchange)]
    texts += [record.getMessage() for record in caplog.records]
    assert hooks.values, "the hook saw the signatures that were sent"
    secrets = [creds["api_secret"], creds["api_pass"], *hooks.values]
    for text in texts:
        for secret in secrets:
            assert secret not in text


# -- environments -----------------------------------------------------------------------------
def test_demo_mode_sends_paptrading_on_private_calls_only(exchange):
    sent: list[tuple[str, str | None]] = []
    session = requests.Session()
    session.hooks["response"].append(
        lambda r, *a, **k: sent.append((r.request.path_url, r.request.headers.get("paptrading")))
    )
    with bg.BitgetClient(
        **exchange.credentials, base_url=exchange.base_url, demo=True, session=session
    ) as demo:
        demo.get_balances()
        demo.get_tickers(category="SPOT", symbol="BTCUSDT")
    headers = dict(sent)
    assert headers["/api/v3/account/assets"] == "1"
    assert headers["/api/v3/market/tickers?category=SPOT&symbol=BTCUSDT"] is None


def test_every_request_carries_the_locale_header(exchange):
    seen: list[str | None] = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request.headers["locale"]))
    with bg.BitgetClient(base_url=exchange.base_url, session=session, locale="zh-CN") as c:
        c.get_server_time()
    assert seen == ["zh-CN"]


def test_connect_starts_one_exchange_per_process(monkeypatch):
    monkeypatch.delenv("BITGET_NB_ENV", raising=False)
    first, second = bg.connect(), bg.connect()
    assert first.env == second.env == "local"
    assert first.base_url == second.base_url == bg.default_exchange().base_url
    assert first.get_balances().shape[0] >= 3
    first.close()
    second.close()


# -- writes -----------------------------------------------------------------------------------
def test_writes_are_never_retried_by_the_transport(exchange):
    waits: list[float] = []
    with (
        bg.BitgetClient(
            **exchange.credentials, base_url=exchange.base_url, rate_limit=False, sleep=waits.append
        ) as c,
        pytest.raises(bg.RateLimitError),
    ):
        for _ in range(30):  # set-hold-mode allows 10/s
            c.request("set_hold_mode", holdMode="one_way_mode")
    assert waits == []  # a read would have waited and retried; a write raises at once
