"""Wire shapes of the futures, strategy, countdown and copy-trading endpoints over real HTTP
(spec §2.3, §4.1.8, §4.1.9, §4.2, §4.3, §4.6): bare arrays where the spec says so, ``{list}``
and ``{list, cursor}`` elsewhere, every value a string."""

from __future__ import annotations

import pytest

from .wire import Wire, assert_all_strings, error_code, ok_data

PLACE = "/api/v3/trade/place-order"
POSITIONS = "/api/v3/position/current-position"
FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
POSITION_FIELDS = {
    "category", "symbol", "marginCoin", "holdMode", "posSide", "marginMode", "positionBalance",
    "available", "frozen", "total", "leverage", "curRealisedPnl", "avgPrice", "positionStatus",
    "unrealisedPnl", "liquidationPrice", "mmr", "profitRate", "markPrice", "breakEvenPrice",
    "totalFunding", "openFeeTotal", "closeFeeTotal", "createdTime", "updatedTime",
}  # fmt: skip
#: A TP/SL row: one per strategy order, both legs' fields, no generic trigger-order fields;
#: ``triggerType`` only once a leg has fired (records.strategy_record).
STRATEGY_FIELDS = {
    "orderId", "clientOid", "category", "symbol", "type", "tpslMode", "qty", "posSide", "status",
    "tpTriggerBy", "slTriggerBy", "takeProfit", "stopLoss", "tpOrderType", "slOrderType",
    "tpLimitPrice", "slLimitPrice", "createdTime", "updatedTime",
}  # fmt: skip


def _long(wire: Wire, qty: str = "0.01") -> dict:
    return ok_data(wire.post(PLACE, {**FUT, "side": "buy", "orderType": "market", "qty": qty}))


def test_positions_and_their_history_have_the_spec_shapes(trading_wire: Wire) -> None:
    _long(trading_wire)
    data = ok_data(trading_wire.get(POSITIONS, {"category": "usdt-futures"}, signed=True))
    assert set(data) == {"list"} and len(data["list"]) == 1
    assert set(data["list"][0]) == POSITION_FIELDS
    assert_all_strings(data)
    order = {**FUT, "side": "sell", "orderType": "market", "qty": "0.01", "reduceOnly": "yes"}
    ok_data(trading_wire.post(PLACE, order))
    history = ok_data(
        trading_wire.get("/api/v3/position/history-position", {"category": "USDT-FUTURES"},
                         signed=True)
    )  # fmt: skip
    assert set(history) == {"list", "cursor"} and history["cursor"] is None  # spec §10.2
    assert {"positionId", "openPriceAvg", "closePriceAvg", "netProfit"} <= set(history["list"][0])
    assert_all_strings(history)
    missing = trading_wire.get(POSITIONS, {}, signed=True)
    assert error_code(missing) == "25200"


def test_fills_of_futures_carry_pos_side_trade_side_and_exec_pnl(trading_wire: Wire) -> None:
    ack = _long(trading_wire)
    (fill,) = ok_data(trading_wire.get("/api/v3/trade/fills", ack, signed=True))["list"]
    assert (fill["posSide"], fill["tradeSide"], fill["execPnl"]) == ("long", "open", "0")


def test_strategy_endpoints_answer_acks_a_bare_array_and_a_page_of_one_row_per_order(
    trading_wire: Wire,
) -> None:
    _long(trading_wire)
    body = {**FUT, "posSide": "long", "tpslMode": "partial", "qty": "0.01",
            "stopLoss": "60000", "takeProfit": "76000", "clientOid": "wire-s1"}  # fmt: skip
    ack = ok_data(trading_wire.post("/api/v3/trade/place-strategy-order", body))
    assert set(ack) == {"orderId", "clientOid"} and ack["clientOid"] == "wire-s1"
    unfilled = ok_data(
        trading_wire.get("/api/v3/trade/unfilled-strategy-orders", {"category": "USDT-FUTURES"},
                         signed=True)
    )  # fmt: skip
    (row,) = unfilled  # a BARE array, one row for the order and both its legs
    assert set(row) == STRATEGY_FIELDS and row["orderId"] == ack["orderId"]
    assert (row["takeProfit"], row["stopLoss"], row["status"]) == ("76000.0", "60000.0", "pending")
    assert_all_strings(unfilled)
    no_category = trading_wire.get("/api/v3/trade/unfilled-strategy-orders", {}, signed=True)
    assert error_code(no_category) == "25200"
    modified = ok_data(
        trading_wire.post("/api/v3/trade/modify-strategy-order",
                          {"orderId": ack["orderId"], "qty": "0.01", "stopLoss": "61000"})
    )  # fmt: skip
    assert modified == ack
    cancelled = ok_data(trading_wire.post("/api/v3/trade/cancel-strategy-order", ack))
    assert cancelled == ack
    history = ok_data(
        trading_wire.get("/api/v3/trade/history-strategy-orders", {"category": "USDT-FUTURES"},
                         signed=True)
    )  # fmt: skip
    assert set(history) == {"list", "cursor"}
    (done,) = history["list"]
    assert set(done) == STRATEGY_FIELDS and (done["orderId"], done["status"]) == (
        ack["orderId"],
        "cancelled",
    )
    assert_all_strings(history)


def test_close_positions_answers_one_row_per_close_order_and_22002_when_flat(
    trading_wire: Wire,
) -> None:
    _long(trading_wire)
    data = ok_data(trading_wire.post("/api/v3/trade/close-positions", {"category": "USDT-FUTURES"}))
    (row,) = data["list"]
    # a successful item carries its ids only (spec §10.2)
    assert set(data) == {"list"} and set(row) == {"orderId", "clientOid"} and row["orderId"]
    again = trading_wire.post("/api/v3/trade/close-positions", {"category": "USDT-FUTURES"})
    assert error_code(again) == "22002"


@pytest.mark.parametrize("value", ["10", "5", "60", "0", 30])
def test_countdown_answers_success(trading_wire: Wire, value: object) -> None:
    path = "/api/v3/trade/countdown-cancel-all"
    assert ok_data(trading_wire.post(path, {"countdown": value})) == "success"
    trading_wire.post(path, {"countdown": "0"})


@pytest.mark.parametrize("value", ["4", "61", "-1", "ten", "5.5", "", "560", None])
def test_countdown_outside_5_to_60_is_25200(trading_wire: Wire, value: object) -> None:
    body = {} if value is None else {"countdown": value}
    response = trading_wire.post("/api/v3/trade/countdown-cancel-all", body)
    assert error_code(response) == "25200"
    assert "5 to 60" in response.json()["msg"]


def test_copy_trading_endpoints_have_the_spec_shapes(trading_wire: Wire) -> None:
    pairs = ok_data(trading_wire.get("/api/v3/copy/futures/trading-pairs", signed=True))
    assert isinstance(pairs, list) and {p["symbol"] for p in pairs} >= {"BTCUSDT", "ETHUSDT"}
    assert set(pairs[0]) == {"symbol", "leverage", "marginDetails"}
    assert set(pairs[0]["marginDetails"][0]) == {
        "marginCoin", "maxLongCount", "remainingLongCount", "maxShortCount",
        "remainingShortCount",
    }  # fmt: skip
    assert_all_strings(pairs)
    transfer = {"type": "in", "coin": "USDT", "amount": "1000"}
    ack = ok_data(trading_wire.post("/api/v3/copy/futures/transfer", transfer))
    assert set(ack) == {"transferId"}
    _long(trading_wire)
    summary = ok_data(trading_wire.get("/api/v3/copy/futures/position-summary", signed=True))
    (row,) = summary
    assert (row["holdSide"], row["marginMode"]) == ("long", "cross")
    assert set(row) == {
        "symbol", "holdSide", "holdSize", "avgPrice", "markPrice", "liqPrice", "leverage",
        "marginMode", "margin", "positionValue", "unrealizedPnl", "realizedPnl", "roi",
    }  # fmt: skip
    most = ok_data(
        trading_wire.get("/api/v3/copy/futures/max-transferable", {"coin": "USDT"}, signed=True)
    )
    assert set(most) == {"maxTransferable", "available"} and most["available"] == "1000"
    records = ok_data(trading_wire.get("/api/v3/copy/futures/transfer-record", signed=True))
    assert set(records) == {"list", "cursor"}
    (record,) = records["list"]
    assert record == {
        "transferId": ack["transferId"], "fromType": "uta", "toType": "lead", "amount": "1000",
        "coin": "USDT", "status": "Successful", "createdTime": record["createdTime"],
    }  # fmt: skip
    no_coin = trading_wire.get("/api/v3/copy/futures/max-transferable", {}, signed=True)
    assert error_code(no_coin) == "25200"


COPY = "/api/v3/copy/futures"


def test_the_paper_lead_account_has_no_followers_and_no_profit_share(trading_wire: Wire) -> None:
    # Nobody else trades on the local exchange, so nobody follows its lead account, even
    # while it leads a position (spec §10.3, the note at api.followers).
    ok_data(trading_wire.post(f"{COPY}/transfer", {"type": "in", "coin": "USDT", "amount": "500"}))
    _long(trading_wire)
    assert len(ok_data(trading_wire.get(f"{COPY}/position-summary", signed=True))) == 1
    for path in ("current-follower", "history-follower"):
        assert ok_data(trading_wire.get(f"{COPY}/{path}", {"limit": "100"}, signed=True)) == {
            "list": []
        }
    summary = ok_data(trading_wire.get(f"{COPY}/profit-summary", signed=True))
    assert summary == {"totalProfit": "0", "totalAllocatedProfit": "0", "totalPendingProfit": "0"}
    window = {"startTime": "1748736000000", "endTime": "1748779200000", "limit": "20"}
    details = ok_data(trading_wire.get(f"{COPY}/profit-details", window, signed=True))
    assert details == {"list": [], "nextCursor": None}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("current-follower", {"limit": "0"}),
        ("current-follower", {"limit": "101"}),
        ("history-follower", {"cursor": "not-an-id"}),
        ("profit-details", {"startTime": "1748779200000", "endTime": "1748736000000"}),
        ("profit-details", {"limit": "abc"}),
    ],
)
def test_follower_and_profit_parameters_are_checked_with_25200(
    trading_wire: Wire, path: str, params: dict
) -> None:
    assert error_code(trading_wire.get(f"{COPY}/{path}", params, signed=True)) == "25200"


def test_follower_and_profit_endpoints_need_a_signature(trading_wire: Wire) -> None:
    for path in ("current-follower", "history-follower", "profit-summary", "profit-details"):
        assert error_code(trading_wire.get(f"{COPY}/{path}")) == "40001"
