"""Public endpoints over HTTP (spec §4.5): shapes, field types, parameters."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from bitget_nb.exchange import LocalExchange
from bitget_nb.exchange.instruments import Catalogue

from .wire import START, Wire, assert_all_strings, envelope, error_code, ok_data

CATALOGUE = Catalogue.bundled()
FUTURES = ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")
MARKET_CATEGORIES = ("SPOT", *FUTURES)
TICKER_FIELDS = {
    "category",
    "symbol",
    "lastPrice",
    "openPrice24h",
    "highPrice24h",
    "lowPrice24h",
    "ask1Price",
    "ask1Size",
    "bid1Price",
    "bid1Size",
    "price24hPcnt",
    "volume24h",
    "turnover24h",
    "ts",
}
FUTURES_TICKER_FIELDS = {"indexPrice", "markPrice", "fundingRate", "openInterest"}
#: The DOCS Get-Recent-Public-Fills sample, in its order (spec §4.5.6, §10.2).
PUBLIC_FILL_FIELDS = ["execId", "execLinkId", "price", "size", "side", "ts", "isRPI"]


def _on_tick(price: str, tick: Decimal) -> bool:
    return Decimal(price) % tick == 0


@pytest.mark.parametrize(
    "path", ["/api/v2/public/time", "/api/v3/public/time", "/api/v3/market/time"]
)
def test_every_server_time_path_answers_the_exchange_clock(wire: Wire, path: str) -> None:
    response = wire.get(path)
    data = ok_data(response)
    assert data == {"serverTime": str(wire.exchange.now_ms())}
    assert envelope(response)["requestTime"] == wire.exchange.now_ms()


@pytest.mark.parametrize("category", ["SPOT", "usdt-futures", "Coin-Futures", "USDC-FUTURES"])
def test_instruments_are_listed_per_category_with_string_fields(wire: Wire, category: str) -> None:
    rows = ok_data(wire.get("/api/v3/market/instruments", {"category": category}))
    assert rows, category
    assert_all_strings(rows)
    for row in rows:
        assert row["category"] == category.upper()
        for name in ("minOrderQty", "pricePrecision", "quantityPrecision", "minOrderAmount"):
            assert name in row
        if row["category"] in FUTURES:
            for name in ("priceMultiplier", "quantityMultiplier", "minLeverage", "maxLeverage"):
                assert name in row


def test_instruments_filter_by_symbol_and_refuse_unknown_ones(wire: Wire) -> None:
    rows = ok_data(
        wire.get("/api/v3/market/instruments", {"category": "SPOT", "symbol": "BTCUSDT"})
    )
    assert [r["symbol"] for r in rows] == ["BTCUSDT"]
    unknown = wire.get("/api/v3/market/instruments", {"category": "SPOT", "symbol": "NOPEUSDT"})
    assert error_code(unknown) == "25100"


@pytest.mark.parametrize("category", MARKET_CATEGORIES)
def test_instruments_with_nothing_scheduled_have_an_empty_maintain_time(
    wire: Wire, category: str
) -> None:
    # every DOCS Get-Instruments sample: maintainTime "" (spec §10.2); offTime stays "-1"
    for row in ok_data(wire.get("/api/v3/market/instruments", {"category": category})):
        assert row["maintainTime"] == ""
        assert (row["offTime"], row["limitOpenTime"]) == ("-1", "-1")


def test_instruments_of_the_margin_category_are_an_empty_list(wire: Wire) -> None:
    assert ok_data(wire.get("/api/v3/market/instruments", {"category": "MARGIN"})) == []


@pytest.mark.parametrize("category", MARKET_CATEGORIES)
def test_tickers_have_every_field_as_a_string_and_a_consistent_top_of_book(
    wire: Wire, category: str
) -> None:
    rows = ok_data(wire.get("/api/v3/market/tickers", {"category": category.lower()}))
    assert {r["symbol"] for r in rows} == {i.symbol for i in CATALOGUE.in_category(category)}
    assert_all_strings(rows)
    for row in rows:
        expected = TICKER_FIELDS | (FUTURES_TICKER_FIELDS if category in FUTURES else set())
        assert set(row) == expected
        assert row["category"] == category
        inst = CATALOGUE.get(category, row["symbol"])
        assert inst is not None
        last, bid, ask = (Decimal(row[k]) for k in ("lastPrice", "bid1Price", "ask1Price"))
        assert bid <= last <= ask
        assert Decimal(row["lowPrice24h"]) <= last <= Decimal(row["highPrice24h"])
        assert all(_on_tick(row[k], inst.tick) for k in ("lastPrice", "bid1Price", "ask1Price"))
        opening = Decimal(row["openPrice24h"])
        assert abs(Decimal(row["price24hPcnt"]) - (last - opening) / opening) < Decimal("1e-6")
        assert Decimal(row["volume24h"]) > 0 and Decimal(row["turnover24h"]) > 0
        if category in FUTURES:
            # Mark sits between index and last (defaults.FUNDING_PERIODS_PER_BASIS).
            assert Decimal(row["indexPrice"]) <= Decimal(row["markPrice"]) <= last
            assert abs(Decimal(row["indexPrice"]) / last - 1) < Decimal("0.001")


def test_ticker_of_one_symbol(wire: Wire) -> None:
    rows = ok_data(wire.get("/api/v3/market/tickers", {"category": "SPOT", "symbol": "ETHUSDT"}))
    assert [r["symbol"] for r in rows] == ["ETHUSDT"]


@pytest.mark.parametrize(
    ("category", "symbol"),
    [("SPOT", "BTCUSDT"), ("USDT-FUTURES", "ETHUSDT"), ("COIN-FUTURES", "BTCUSD")],
)
def test_orderbook_is_sorted_tick_aligned_strings_with_default_depth_5(
    wire: Wire, category: str, symbol: str
) -> None:
    inst = CATALOGUE.get(category, symbol)
    assert inst is not None
    data = ok_data(wire.get("/api/v3/market/orderbook", {"category": category, "symbol": symbol}))
    assert set(data) == {"a", "b", "ts"}
    assert_all_strings(data)
    assert data["ts"] == str(wire.exchange.now_ms())
    asks = [Decimal(p) for p, _ in data["a"]]
    bids = [Decimal(p) for p, _ in data["b"]]
    assert len(asks) == len(bids) == 5
    assert asks == sorted(asks) and len(set(asks)) == len(asks)
    assert bids == sorted(bids, reverse=True) and len(set(bids)) == len(bids)
    assert bids[0] < asks[0] and (asks[0] - bids[0]) / inst.tick in (1, 2)
    assert all(p % inst.tick == 0 for p in asks + bids)
    assert all(Decimal(s) >= inst.min_qty for _, s in data["a"] + data["b"])


@pytest.mark.parametrize(("limit", "levels"), [("1", 1), ("200", 200), ("max", 200)])
def test_orderbook_limit_sets_the_depth(wire: Wire, limit: str, levels: int) -> None:
    params = {"category": "SPOT", "symbol": "BTCUSDT", "limit": limit}
    data = ok_data(wire.get("/api/v3/market/orderbook", params))
    assert len(data["a"]) == len(data["b"]) == levels


def test_deeper_orderbook_extends_the_shallow_one(wire: Wire) -> None:
    params = {"category": "SPOT", "symbol": "SOLUSDT"}
    shallow = ok_data(wire.get("/api/v3/market/orderbook", params))
    deep = ok_data(wire.get("/api/v3/market/orderbook", {**params, "limit": "50"}))
    assert deep["a"][:5] == shallow["a"] and deep["b"][:5] == shallow["b"]


def test_ticker_top_of_book_matches_the_orderbook(wire: Wire) -> None:
    params = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
    (ticker,) = ok_data(wire.get("/api/v3/market/tickers", params))
    book = ok_data(wire.get("/api/v3/market/orderbook", params))
    assert [ticker["ask1Price"], ticker["ask1Size"]] == book["a"][0]
    assert [ticker["bid1Price"], ticker["bid1Size"]] == book["b"][0]


@pytest.mark.parametrize("path", ["/api/v3/market/candles", "/api/v3/market/history-candles"])
def test_candles_are_ascending_rows_of_seven_strings_default_100(wire: Wire, path: str) -> None:
    rows = ok_data(wire.get(path, {"category": "SPOT", "symbol": "BTCUSDT", "interval": "1m"}))
    assert len(rows) == 100
    assert_all_strings(rows)
    assert all(len(r) == 7 for r in rows)
    stamps = [int(r[0]) for r in rows]
    assert stamps == sorted(stamps) and all(b - a == 60_000 for a, b in itertools.pairwise(stamps))
    assert stamps[-1] <= wire.exchange.now_ms() < stamps[-1] + 60_000
    for _ts, o, h, lo, c, vol, turnover in rows:
        assert (
            Decimal(lo) <= min(Decimal(o), Decimal(c)) <= max(Decimal(o), Decimal(c)) <= Decimal(h)
        )
        assert Decimal(vol) >= 0 and Decimal(turnover) >= 0


def test_candles_respect_start_end_and_limit(wire: Wire) -> None:
    base = {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "interval": "1H"}
    end = wire.exchange.now_ms() - 10 * 3_600_000
    start = end - 5 * 3_600_000
    rows = ok_data(wire.get("/api/v3/market/candles", {**base, "startTime": start, "endTime": end}))
    stamps = [int(r[0]) for r in rows]
    assert len(rows) == 6 and all(start <= t <= end for t in stamps)
    limited = ok_data(
        wire.get("/api/v3/market/candles", {**base, "startTime": start, "endTime": end, "limit": 2})
    )
    assert limited == rows[-2:]  # the newest candles of the window
    thousand = ok_data(wire.get("/api/v3/market/candles", {**base, "limit": 1000}))
    assert len(thousand) == 1000


@pytest.mark.parametrize("price_type", ["mark", "MARK", "index", "Index", "market"])
def test_candle_type_accepts_either_case(wire: Wire, price_type: str) -> None:
    params = {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "interval": "5m", "type": price_type}
    assert len(ok_data(wire.get("/api/v3/market/candles", params))) == 100


def test_index_candles_differ_from_market_candles_by_the_basis(wire: Wire) -> None:
    base = {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "interval": "1H", "limit": 3}
    market = ok_data(wire.get("/api/v3/market/candles", base))
    index = ok_data(wire.get("/api/v3/market/candles", {**base, "type": "index"}))
    for m, i in zip(market, index, strict=True):
        assert m[0] == i[0]
        assert Decimal(i[4]) < Decimal(m[4])
        assert abs(Decimal(m[4]) / Decimal(i[4]) - 1) < Decimal("0.001")


def test_public_fills_are_newest_first_and_shaped(wire: Wire) -> None:
    rows = ok_data(wire.get("/api/v3/market/fills", {"category": "SPOT", "symbol": "BTCUSDT"}))
    assert len(rows) == 100
    assert_all_strings(rows)
    assert all(list(r) == PUBLIC_FILL_FIELDS for r in rows)
    stamps = [int(r["ts"]) for r in rows]
    assert stamps == sorted(stamps, reverse=True) and stamps[0] <= wire.exchange.now_ms()
    assert len({r["execId"] for r in rows}) == 100
    assert {r["side"] for r in rows} <= {"buy", "sell"}
    few = ok_data(
        wire.get("/api/v3/market/fills", {"category": "SPOT", "symbol": "BTCUSDT", "limit": 3})
    )
    assert few == rows[:3]


def test_public_fills_link_each_trade_and_flag_rpi_as_the_docs_sample_does(wire: Wire) -> None:
    params = {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "limit": 50}
    rows = ok_data(wire.get("/api/v3/market/fills", params))
    # no RPI orders on the paper exchange; uppercase on REST (defaults.IS_RPI)
    assert {r["isRPI"] for r in rows} == {"NO"}
    links = [r["execLinkId"] for r in rows]
    assert all(link.isdigit() for link in links) and len(set(links)) == len(rows)
    assert not {r["execId"] for r in rows} & set(links)
    assert ok_data(wire.get("/api/v3/market/fills", params)) == rows  # stable ids


def test_spot_instruments_carry_symbol_type_launch_time_and_max_position_num(wire: Wire) -> None:
    # the DOCS spot sample (spec §10.2): symbolType "crypto", launchTime in ms, maxPositionNum
    rows = ok_data(wire.get("/api/v3/market/instruments", {"category": "SPOT"}))
    for row in rows:
        assert row["symbolType"] == "crypto" and row["launchTime"].isdigit()
        assert int(row["maxPositionNum"]) > 0
    btc = next(r for r in rows if r["symbol"] == "BTCUSDT")
    assert (btc["launchTime"], btc["maxPositionNum"]) == ("1532454360000", "200")


def test_same_seed_and_time_give_identical_market_data_on_two_exchanges() -> None:
    paths = [
        ("/api/v3/market/candles", {"category": "SPOT", "symbol": "ETHUSDT", "interval": "15m"}),
        ("/api/v3/market/orderbook", {"category": "SPOT", "symbol": "ETHUSDT", "limit": 50}),
        ("/api/v3/market/fills", {"category": "SPOT", "symbol": "ETHUSDT"}),
        ("/api/v3/market/tickers", {"category": "USDT-FUTURES"}),
    ]
    answers = []
    for seed in (7, 7, 8):
        with LocalExchange(seed=seed, start_time=START) as ex:
            wire = Wire(ex)
            answers.append([ok_data(wire.get(path, params)) for path, params in paths])
    assert answers[0] == answers[1]
    assert all(a != b for a, b in zip(answers[0], answers[2], strict=True))


COIN_FIELDS = {"coinId", "coin", "transfer", "chains", "areaCoin"}
CHAIN_FIELDS = {
    "chain", "needTag", "withdrawable", "rechargeable", "withdrawFee", "extraWithdrawFee",
    "depositConfirm", "withdrawConfirm", "minDepositAmount", "minWithdrawAmount", "browserUrl",
    "contractAddress", "withdrawStep", "withdrawMinScale", "congestion",
}  # fmt: skip


def test_the_classic_coin_list_holds_the_spot_coins_in_the_v2_shape(wire: Wire) -> None:
    response = wire.get("/api/v2/spot/public/coins")
    coins = ok_data(response)
    spot = {c for i in CATALOGUE.in_category("SPOT") for c in (i.base_coin, i.quote_coin)}
    assert sorted(c["coin"] for c in coins) == sorted(spot)
    assert_all_strings(coins)
    for coin in coins:
        assert set(coin) == COIN_FIELDS
        assert coin["chains"] and all(set(chain) == CHAIN_FIELDS for chain in coin["chains"])
        # paper balances: no chain takes deposits or makes withdrawals
        assert {(c["withdrawable"], c["rechargeable"]) for c in coin["chains"]} == {
            ("false", "false")
        }


def test_the_coin_list_picks_one_coin_in_any_case_and_nothing_for_an_unlisted_one(
    wire: Wire,
) -> None:
    (usdt,) = ok_data(wire.get("/api/v2/spot/public/coins", {"coin": "usdt"}))
    assert usdt["coin"] == "USDT" and {c["chain"] for c in usdt["chains"]} == {"ERC20", "TRC20"}
    assert ok_data(wire.get("/api/v2/spot/public/coins", {"coin": "DOGE"})) == []


def test_the_coin_list_is_public_and_ignores_signed_headers(wire: Wire) -> None:
    # The Node SDK's RestClientV2.getSpotCoinInfo signs it.
    assert ok_data(wire.get("/api/v2/spot/public/coins", signed=True)) == ok_data(
        wire.get("/api/v2/spot/public/coins")
    )
