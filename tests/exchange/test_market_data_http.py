"""Funding, open interest, position tiers and the ledger on the wire (spec §10.3).

Raw signed HTTP against the local exchange: the shapes the DOCS samples and the third-party
clients read (``bitget_nb.exchange.defaults`` names the choices), and that the answers agree
with what the exchange does — the funding it pays, the positions it holds, the balances.
"""

from __future__ import annotations

from decimal import Decimal

from bitget_nb.exchange import LocalExchange

from .wire import Wire, assert_all_strings, error_code, ok_data

HOUR = 3_600_000
DAY = 24 * HOUR
FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
RATE = "/api/v3/market/current-fund-rate"
HISTORY = "/api/v3/market/history-fund-rate"
OI = "/api/v3/market/open-interest"
TIER = "/api/v3/market/position-tier"
LEDGER = "/api/v3/account/financial-records"


def _buy(wire: Wire, qty: str = "0.01", **extra: str) -> dict:
    body = {**FUT, "side": "buy", "orderType": "market", "qty": qty, **extra}
    return ok_data(wire.post("/api/v3/trade/place-order", body))


def test_current_funding_rate_names_the_next_funding_time_and_the_tickers_rate(wire: Wire):
    (row,) = ok_data(wire.get(RATE, {"symbol": "BTCUSDT"}))
    assert_all_strings(row)
    assert set(row) == {"symbol", "fundingRate", "fundingRateInterval", "nextUpdate",
                        "minFundingRate", "maxFundingRate"}  # fmt: skip
    now = wire.exchange.now_ms()
    assert row["fundingRateInterval"] == "8"
    assert int(row["nextUpdate"]) == (now // (8 * HOUR) + 1) * 8 * HOUR > now
    (ticker,) = ok_data(wire.get("/api/v3/market/tickers", FUT))
    assert Decimal(row["fundingRate"]) == Decimal(ticker["fundingRate"])
    every = ok_data(wire.get(RATE, {"category": "USDT-FUTURES"}))
    assert [r["symbol"] for r in every] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert error_code(wire.get(RATE, {"symbol": "NOPEUSDT"})) == "25100"


def test_history_funding_rate_lists_settled_times_newest_first_in_numbered_pages(wire: Wire):
    first = ok_data(wire.get(HISTORY, {**FUT, "limit": "5"}))
    second = ok_data(wire.get(HISTORY, {**FUT, "limit": "5", "cursor": "2"}))
    assert set(first) == {"resultList"}  # no cursor comes back (defaults.FUNDING_HISTORY_KEY)
    assert_all_strings(first)
    times = [int(r["fundingRateTimestamp"]) for r in first["resultList"] + second["resultList"]]
    assert times[0] == wire.exchange.now_ms() // (8 * HOUR) * 8 * HOUR
    assert times == [times[0] - k * 8 * HOUR for k in range(10)]  # contiguous, no overlap
    assert len(ok_data(wire.get(HISTORY, FUT))["resultList"]) == 20  # default limit
    assert error_code(wire.get(HISTORY, {**FUT, "limit": "101"})) == "25200"
    assert error_code(wire.get(HISTORY, {"category": "USDT-FUTURES"})) == "25200"


def test_history_funding_rate_ends_at_the_markets_first_funding_time(wire: Wire):
    far = ok_data(wire.get(HISTORY, {**FUT, "limit": "100", "cursor": "100000"}))
    assert far == {"resultList": []}


def test_open_interest_adds_the_accounts_own_positions_and_matches_the_tickers(
    trading_wire: Wire,
):
    before = ok_data(trading_wire.get(OI, FUT))
    assert set(before) == {"list", "ts"} and before["ts"] == str(trading_wire.exchange.now_ms())
    assert_all_strings(before)
    _buy(trading_wire, "0.5")
    after = ok_data(trading_wire.get(OI, FUT))
    grown = Decimal(after["list"][0]["openInterest"]) - Decimal(before["list"][0]["openInterest"])
    assert grown == Decimal("0.5")
    (ticker,) = ok_data(trading_wire.get("/api/v3/market/tickers", FUT))
    assert ticker["openInterest"] == after["list"][0]["openInterest"]
    everything = ok_data(trading_wire.get(OI, {"category": "USDT-FUTURES"}))["list"]
    assert [r["symbol"] for r in everything] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


def test_position_tier_is_the_one_tier_positions_are_margined_by(trading_wire: Wire):
    (tier,) = ok_data(trading_wire.get(TIER, FUT))
    assert_all_strings(tier)
    assert tier["tier"] == "1" and tier["minTierValue"] == "0" and tier["leverage"] == "125"
    _buy(trading_wire)
    position = ok_data(trading_wire.get("/api/v3/position/current-position", FUT, signed=True))
    assert Decimal(position["list"][0]["mmr"]) > 0
    assert Decimal(tier["mmr"]) == Decimal("0.004")  # 0.5 / maxLeverage (defaults)
    assert Decimal(tier["maxTierValue"]) > 4000 * 60_000  # maxPositionNum × mark
    assert ok_data(trading_wire.get(TIER, {"category": "MARGIN", "coin": "BTC"})) == []
    assert error_code(trading_wire.get(TIER, {"category": "USDT-FUTURES"})) == "25200"
    assert error_code(trading_wire.get(TIER, {"category": "SPOT", "symbol": "BTCUSDT"})) == "25200"


def test_financial_records_is_signed_and_needs_a_category(wire: Wire):
    assert error_code(wire.get(LEDGER, {"category": "SPOT"})) == "40001"
    assert error_code(wire.get(LEDGER, {}, signed=True)) == "25200"


def test_a_new_account_lists_its_initial_funds_and_an_empty_category_is_null(
    fresh_wire: Wire,
):
    seed = ok_data(fresh_wire.get(LEDGER, {"category": "SPOT"}, signed=True))
    assert_all_strings(seed)
    assert {(r["coin"], r["type"], r["amount"], r["balance"]) for r in seed["list"]} == {
        ("USDT", "PAPTRADING_USER_IN", "100000", "100000"),
        ("BTC", "PAPTRADING_USER_IN", "1", "1"),
        ("ETH", "PAPTRADING_USER_IN", "10", "10"),
    }
    assert seed["cursor"] == ""  # the last page of a non-empty list (defaults)
    empty = ok_data(fresh_wire.get(LEDGER, {"category": "USDT-FUTURES"}, signed=True))
    assert empty == {"list": None, "cursor": None}
    other = ok_data(fresh_wire.get(LEDGER, {"category": "other"}, signed=True))
    assert other == {"list": None, "cursor": None}


def test_financial_records_pages_by_cursor_and_filters_by_coin_and_type(trading_wire: Wire):
    for _ in range(3):
        _buy(trading_wire)
    ok_data(trading_wire.post("/api/v3/copy/futures/transfer",
                              {"type": "in", "coin": "USDT", "amount": "5"}))  # fmt: skip
    whole = ok_data(trading_wire.get(LEDGER, {"category": "USDT-FUTURES"}, signed=True))["list"]
    assert [r["type"] for r in whole] == ["BUY_DEAL"] * 3
    seen, cursor = [], None
    while True:
        query = {"category": "SPOT", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = ok_data(trading_wire.get(LEDGER, query, signed=True))
        seen += page["list"]
        cursor = page["cursor"]
        if not cursor:
            break
    assert [int(r["id"]) for r in seen] == sorted((int(r["id"]) for r in seen), reverse=True)
    assert seen[0]["type"] == "TRANSFER_OUT" and len(seen) == 4
    usdt = ok_data(trading_wire.get(LEDGER, {"category": "SPOT", "coin": "usdt"}, signed=True))
    assert {r["coin"] for r in usdt["list"]} == {"USDT"}
    out = {"category": "SPOT", "type": "TRANSFER_OUT"}
    (moved,) = ok_data(trading_wire.get(LEDGER, out, signed=True))["list"]
    assert moved["amount"] == "-5" and moved["fee"] == "0"


def test_financial_records_keeps_to_the_90_day_look_back_and_30_day_windows(wire: Wire):
    now = wire.exchange.now_ms()
    wide = {"category": "SPOT", "startTime": str(now - 31 * DAY), "endTime": str(now)}
    assert error_code(wire.get(LEDGER, wide, signed=True)) == "25200"
    old = {"category": "SPOT", "startTime": str(now - 91 * DAY)}
    assert error_code(wire.get(LEDGER, old, signed=True)) == "25200"
    assert error_code(wire.get(LEDGER, {"category": "SPOT", "limit": "101"}, signed=True)) == (
        "25200"
    )


def test_funding_paid_appears_in_the_ledger_at_the_rate_history_lists(
    trading_exchange: LocalExchange, trading_wire: Wire
):
    _buy(trading_wire, "0.1")
    trading_exchange.advance(hours=8)
    (paid,) = ok_data(trading_wire.get(LEDGER, {"category": "USDT-FUTURES",
                                                "type": "CONTRACT_MAIN_SETTLE_FEE_USER_OUT"},
                                       signed=True))["list"]  # fmt: skip
    latest = ok_data(trading_wire.get(HISTORY, {**FUT, "limit": "1"}))["resultList"][0]
    assert paid["ts"] == latest["fundingRateTimestamp"]
    position = trading_exchange.venue.trading.positions.open_positions()[0]
    assert Decimal(paid["amount"]) == position.funding < 0  # a long pays a positive rate
    assert Decimal(latest["fundingRate"]) > 0
    assert paid["positionType"] == "crossed" and paid["positionAmount"] == "0.1"
