"""Account endpoints over HTTP (spec §4.4.1–4.4.6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bitget_nb import BitgetClient
from bitget_nb.exchange import LocalExchange
from bitget_nb.exchange.fees import FlatFees
from bitget_nb.exchange.instruments import Catalogue

from .wire import START, Wire, assert_all_strings, error_code, ok_data

CATALOGUE = Catalogue.bundled()
ASSET_TOTALS = {
    "accountEquity",
    "usdtEquity",
    "btcEquity",
    "unrealisedPnl",
    "usdtUnrealisedPnl",
    "btcUnrealizedPnl",
    "effEquity",
    "mmr",
    "imr",
    "mgnRatio",
    "positionMgnRatio",
    "positionValue",  # the newer DOCS sample (spec §10.2)
    "leverage",
}
COIN_FIELDS = {"coin", "equity", "usdValue", "balance", "available", "debt", "locked", "bonus"}


def _index_price(wire: Wire, symbol: str) -> Decimal:
    (row,) = ok_data(wire.get("/api/v3/market/tickers", {"category": "SPOT", "symbol": symbol}))
    return Decimal(row["lastPrice"])


def test_assets_value_the_default_wallet_at_current_prices(wire: Wire) -> None:
    data = ok_data(wire.get("/api/v3/account/assets", signed=True))
    assert set(data) == ASSET_TOTALS | {"assets"}
    assert_all_strings(data)
    coins = {row["coin"]: row for row in data["assets"]}
    assert set(coins) == {"USDT", "BTC", "ETH"}
    assert all(set(row) == COIN_FIELDS for row in coins.values())
    assert coins["USDT"]["available"] == "100000" and coins["BTC"]["balance"] == "1"
    assert coins["ETH"]["equity"] == "10" and coins["ETH"]["locked"] == "0"
    btc_price = _index_price(wire, "BTCUSDT")
    assert Decimal(coins["BTC"]["usdValue"]) == btc_price
    assert Decimal(coins["ETH"]["usdValue"]) == 10 * _index_price(wire, "ETHUSDT")
    total = sum(Decimal(row["usdValue"]) for row in coins.values())
    assert Decimal(data["accountEquity"]) == total == Decimal(data["usdtEquity"])
    assert abs(Decimal(data["btcEquity"]) - total / btc_price) < Decimal("1e-7")
    assert data["btcUnrealizedPnl"] == "0"
    # no positions, nothing borrowed: as in the DOCS sample (spec §10.2)
    assert (data["positionValue"], data["leverage"]) == ("0", "1")
    assert {row["bonus"] for row in coins.values()} == {"0"}  # paper accounts get no bonus


def test_balances_are_configurable_and_zero_coins_are_not_listed() -> None:
    with LocalExchange(start_time=START, balances={"USDC": "250.5", "SOL": "0"}) as ex:
        data = ok_data(Wire(ex).get("/api/v3/account/assets", signed=True))
    assert [row["coin"] for row in data["assets"]] == ["USDC"]
    assert data["accountEquity"] == "250.5"


@pytest.mark.parametrize(
    "balances", [{"DOGE": "1"}, {"USDT": "-1"}, {"USDT": "lots"}, {"USDT": "NaN"}]
)
def test_bad_balances_are_refused_at_construction(balances: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        LocalExchange(start_time=START, balances=balances)


def test_settings_show_a_unified_one_way_account_with_per_symbol_leverage(wire: Wire) -> None:
    data = ok_data(wire.get("/api/v3/account/settings", signed=True))
    assert_all_strings(data)
    assert data["uid"] == wire.exchange.uid
    assert data["accountMode"] == "unified"
    assert data["holdMode"] in ("one_way_mode", "hedge_mode")
    for name in ("assetMode", "accountLevel", "stpMode"):
        assert data[name]
    futures = {(i.category, i.symbol) for i in CATALOGUE if i.is_futures}
    listed = {(row["category"], row["symbol"]) for row in data["symbolConfigList"]}
    assert listed == futures
    for row in data["symbolConfigList"]:
        assert set(row) == {"category", "symbol", "marginMode", "leverage"}
        assert row["marginMode"] in ("crossed", "isolated")
    assert {row["coin"] for row in data["coinConfigList"]} >= {"BTC", "USDT"}


# the live spelling, with underscores (spec §10.2; defaults.PERM_TYPE_READ_WRITE)
@pytest.mark.parametrize(("key", "perm_type"), [("rw", "read_and_write"), ("ro", "read_only")])
def test_info_names_the_account_and_the_calling_keys_permissions(
    wire: Wire, key: str, perm_type: str
) -> None:
    data = ok_data(wire.get("/api/v3/account/info", signed=True, key=key))
    assert data["userId"] == data["uid"] == wire.exchange.uid
    assert data["permType"] == perm_type
    assert data["permissions"] == ["uta_mgt", "uta_trade"]
    assert data["regisTime"].isdigit()
    assert_all_strings(data)


@pytest.mark.parametrize(
    ("category", "symbol", "maker"),
    [
        ("SPOT", "BTCUSDT", "0.001"),
        ("margin", "ETHUSDT", "0.001"),
        ("USDT-FUTURES", "BTCUSDT", "0.0002"),
    ],
)
def test_fee_rate_comes_from_the_instrument(
    wire: Wire, category: str, symbol: str, maker: str
) -> None:
    params = {"category": category, "symbol": symbol}
    data = ok_data(wire.get("/api/v3/account/fee-rate", params, signed=True))
    assert set(data) == {"makerFeeRate", "takerFeeRate"}
    assert data["makerFeeRate"] == maker
    assert Decimal(data["takerFeeRate"]) >= Decimal(maker)


def test_fee_rate_needs_a_known_symbol(wire: Wire) -> None:
    path = "/api/v3/account/fee-rate"
    assert error_code(wire.get(path, {"category": "SPOT"}, signed=True)) == "25200"
    missing = wire.get(path, {"category": "SPOT", "symbol": "XYZUSDT"}, signed=True)
    assert error_code(missing) == "25100"


ALL_FEE_RATE = "/api/v3/account/all-fee-rate"
MAX_TRANSFERABLE = "/api/v3/account/max-transferable"


@pytest.mark.parametrize("category", ["SPOT", "margin", "USDT-FUTURES", "COIN-FUTURES"])
def test_all_fee_rate_lists_every_symbol_with_the_rates_fee_rate_gives(
    wire: Wire, category: str
) -> None:
    rows = ok_data(wire.get(ALL_FEE_RATE, {"category": category}, signed=True))
    assert isinstance(rows, list)  # a bare array (records.symbol_fee_rate_record)
    assert_all_strings(rows)
    book = "SPOT" if category == "margin" else category  # MARGIN trades on the spot book
    assert [r["symbol"] for r in rows] == [i.symbol for i in CATALOGUE.in_category(book)]
    for row in rows:
        assert set(row) == {"symbol", "makerFeeRate", "takerFeeRate"}
        one = {"category": category, "symbol": row["symbol"]}
        single = ok_data(wire.get("/api/v3/account/fee-rate", one, signed=True))
        assert single == {k: row[k] for k in ("makerFeeRate", "takerFeeRate")}


def test_all_fee_rate_narrows_to_a_symbol_and_refuses_what_fee_rate_refuses(wire: Wire) -> None:
    (row,) = ok_data(wire.get(ALL_FEE_RATE, {"category": "spot", "symbol": "BTCUSDT"},
                              signed=True))  # fmt: skip
    assert row == {"symbol": "BTCUSDT", "makerFeeRate": "0.001", "takerFeeRate": "0.001"}
    assert error_code(wire.get(ALL_FEE_RATE, {}, signed=True)) == "25200"
    unknown = wire.get(ALL_FEE_RATE, {"category": "SPOT", "symbol": "XYZUSDT"}, signed=True)
    assert error_code(unknown) == "25100"
    assert wire.get(ALL_FEE_RATE, {"category": "SPOT"}).status_code != 200  # signed only


def test_all_fee_rate_reports_a_custom_fee_model() -> None:
    flat = FlatFees(maker=Decimal("-0.0001"), taker=Decimal("0.0005"))
    with LocalExchange(start_time=START, fees=flat, rate_limits=False) as ex:
        rows = ok_data(Wire(ex).get(ALL_FEE_RATE, {"category": "USDT-FUTURES"}, signed=True))
    assert {(r["makerFeeRate"], r["takerFeeRate"]) for r in rows} == {("-0.0001", "0.0005")}


def _usdt_available(wire: Wire) -> str:
    data = ok_data(wire.get("/api/v3/account/assets", signed=True))
    return next(r["available"] for r in data["assets"] if r["coin"] == "USDT")


def test_max_transferable_is_what_is_free_and_follows_orders_positions_and_transfers(
    trading_wire: Wire,
) -> None:
    def most(coin: str = "USDT") -> dict:
        return ok_data(trading_wire.get(MAX_TRANSFERABLE, {"coin": coin}, signed=True))

    start = most("usdt")
    assert start == {"coin": "USDT", "maxTransfer": "100000", "borrowMaxTransfer": "100000"}
    assert_all_strings(start)
    assert most("BTC")["maxTransfer"] == "1"
    place = "/api/v3/trade/place-order"
    bid = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
           "qty": "0.01", "price": "10000", "timeInForce": "gtc"}  # fmt: skip
    ok_data(trading_wire.post(place, bid))  # a resting bid holds 100 USDT (and its fee room)
    long = {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "side": "buy",
            "orderType": "market", "qty": "0.01"}  # fmt: skip
    ok_data(trading_wire.post(place, long))  # a crossed position holds its margin
    transfer = {"type": "in", "coin": "USDT", "amount": "1000"}
    ok_data(trading_wire.post("/api/v3/copy/futures/transfer", transfer))  # to the lead account
    now = most()
    assert Decimal(now["maxTransfer"]) < 100000 - 1000 - 100
    # the same figure account/assets calls available, and nothing borrowed on top
    assert now["maxTransfer"] == now["borrowMaxTransfer"] == _usdt_available(trading_wire)
    # the copy-trading route is the lead account's, not this one
    lead = ok_data(
        trading_wire.get("/api/v3/copy/futures/max-transferable", {"coin": "USDT"}, signed=True)
    )
    assert lead["maxTransferable"] == "1000"


def test_max_transferable_needs_a_coin_the_exchange_lists(wire: Wire) -> None:
    assert error_code(wire.get(MAX_TRANSFERABLE, {}, signed=True)) == "25200"
    assert error_code(wire.get(MAX_TRANSFERABLE, {"coin": "NOPE"}, signed=True)) == "25201"
    # a listed coin the account does not hold can move nothing
    (coin,) = [c for c in CATALOGUE.coins() if c not in {"USDT", "BTC", "ETH"}][:1]
    assert ok_data(wire.get(MAX_TRANSFERABLE, {"coin": coin}, signed=True))["maxTransfer"] == "0"


def test_the_client_reads_both_routes_over_http_as_typed_pandas_objects() -> None:
    with (
        LocalExchange(seed=7, start_time=START) as ex,
        BitgetClient(**ex.credentials, base_url=ex.base_url) as client,
    ):
        assert ex.base_url.startswith("http://127.0.0.1:")
        fees = client.get_all_fee_rates(category="USDT-FUTURES")
        most = client.get_max_transferable(coin="USDT")
        raw = client.get_max_transferable(coin="USDT", raw=True)
    assert list(fees.columns) == ["symbol", "makerFeeRate", "takerFeeRate"]
    assert set(fees["symbol"]) == {i.symbol for i in CATALOGUE.in_category("USDT-FUTURES")}
    assert str(fees.dtypes["takerFeeRate"]) == "float64"
    assert fees.attrs["envelope"]["path"] == ALL_FEE_RATE
    assert most["coin"] == "USDT" and most["maxTransfer"] == 100000.0
    assert most["borrowMaxTransfer"] == 100000.0
    assert raw["data"] == {"coin": "USDT", "maxTransfer": "100000", "borrowMaxTransfer": "100000"}


def test_set_leverage_changes_the_settings(fresh_wire: Wire) -> None:
    body = {"category": "USDT-FUTURES", "symbol": "ETHUSDT", "leverage": "25"}
    assert ok_data(fresh_wire.post("/api/v3/account/set-leverage", body)) == "success"
    margin = {"category": "MARGIN", "coin": "btc", "leverage": 5}
    assert ok_data(fresh_wire.post("/api/v3/account/set-leverage", margin)) == "success"
    data = ok_data(fresh_wire.get("/api/v3/account/settings", signed=True))
    eth = next(r for r in data["symbolConfigList"] if r["symbol"] == "ETHUSDT")
    assert eth["leverage"] == "25"
    btc = next(r for r in data["coinConfigList"] if r["coin"] == "BTC")
    assert btc["leverage"] == "5"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"category": "USDT-FUTURES", "symbol": "BTCUSDT", "leverage": "126"}, "25200"),
        ({"category": "USDT-FUTURES", "symbol": "BTCUSDT", "leverage": "0"}, "25200"),
        ({"category": "USDT-FUTURES", "symbol": "BTCUSDT", "leverage": "2.5"}, "25200"),
        ({"category": "USDT-FUTURES", "symbol": "BTCUSDT"}, "25200"),
        ({"category": "USDT-FUTURES", "symbol": "NOPE", "leverage": "5"}, "25100"),
        ({"category": "SPOT", "symbol": "BTCUSDT", "leverage": "5"}, "25200"),
        ({"category": "MARGIN", "coin": "XYZ", "leverage": "2"}, "25201"),
        ({"symbol": "BTCUSDT", "leverage": "5"}, "25200"),
        ({"category": "USDT-FUTURES", "symbol": "BTCUSDT", "leverage": ["5"]}, "25200"),
    ],
)
def test_set_leverage_refuses_bad_values(fresh_wire: Wire, body: dict, code: str) -> None:
    assert error_code(fresh_wire.post("/api/v3/account/set-leverage", body)) == code


def test_set_hold_mode_switches_the_account(fresh_wire: Wire) -> None:
    path = "/api/v3/account/set-hold-mode"
    assert ok_data(fresh_wire.post(path, {"holdMode": "hedge_mode"})) == "success"
    settings = ok_data(fresh_wire.get("/api/v3/account/settings", signed=True))
    assert settings["holdMode"] == "hedge_mode"
    assert error_code(fresh_wire.post(path, {"holdMode": "both_ways"})) == "25200"


@pytest.mark.parametrize("raw", ["", "{}", "  ", "{ }"])
def test_empty_post_body_and_empty_object_both_parse(fresh_wire: Wire, raw: str) -> None:
    # Both reach the operation, which then asks for its required field (not 40017).
    response = fresh_wire.post("/api/v3/account/set-hold-mode", raw=raw)
    assert error_code(response) == "25200"
    assert "holdMode is required" in response.json()["msg"]
