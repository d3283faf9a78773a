"""Order and fill queries over HTTP: fields, pages, cursors and history windows
(spec §4.0, §4.1.10–4.1.13, §9 #6)."""

from __future__ import annotations

from typing import Any

import pytest

from .wire import Wire, assert_all_strings, error_code, ok_data

PLACE = "/api/v3/trade/place-order"
INFO = "/api/v3/trade/order-info"
UNFILLED = "/api/v3/trade/unfilled-orders"
HISTORY = "/api/v3/trade/history-orders"
FILLS = "/api/v3/trade/fills"
DAY_MS = 86_400_000

#: spec §4.1.10, every field.
ORDER_FIELDS = {
    "orderId", "clientOid", "category", "symbol", "orderType", "side", "price", "qty",
    "amount", "cumExecQty", "cumExecValue", "avgPrice", "timeInForce", "orderStatus",
    "posSide", "holdMode", "tradeSide", "reduceOnly", "marginMode", "stpMode", "takeProfit",
    "stopLoss", "tpTriggerBy", "slTriggerBy", "tpOrderType", "slOrderType", "tpLimitPrice",
    "slLimitPrice", "feeDetail", "delegateType", "cancelReason", "execType", "createdTime",
    "updatedTime",
}  # fmt: skip
#: spec §4.1.13.
FILL_FIELDS = {
    "execId", "execLinkId", "orderId", "clientOid", "category", "symbol", "orderType", "side",
    "posSide", "execPrice", "execQty", "execValue", "tradeScope", "tradeSide", "feeDetail",
    "execPnl", "isRPI", "createdTime", "updatedTime",
}  # fmt: skip


def _place(wire: Wire, **fields: str) -> dict[str, str]:
    body = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
            "qty": "0.001", "price": "50000", **fields}  # fmt: skip
    return ok_data(wire.post(PLACE, body))


def _closed(wire: Wire, **fields: str) -> dict[str, str]:
    """An order that is cancelled at once (an ioc far from the market)."""
    return _place(wire, timeInForce="ioc", **fields)


def _get(wire: Wire, path: str, **params: Any) -> Any:
    return ok_data(wire.get(path, params, signed=True))


def test_order_info_has_every_field_of_the_spec_as_strings(trading_wire: Wire) -> None:
    ack = _place(trading_wire, clientOid="q-1")
    info = _get(trading_wire, INFO, clientOid="q-1")
    assert set(info) == ORDER_FIELDS
    assert_all_strings(info)
    assert info["orderId"] == ack["orderId"] and info["reduceOnly"] == "NO"
    assert (info["category"], info["orderStatus"], info["feeDetail"]) == ("SPOT", "live", [])
    assert info["createdTime"] == info["updatedTime"] == str(trading_wire.exchange.now_ms())
    by_id = _get(trading_wire, INFO, orderId=ack["orderId"])
    assert by_id == info


def test_market_orders_carry_price_0_in_order_info_and_history(trading_wire: Wire) -> None:
    # the DOCS Get-Order-Details sample, a spot market buy: "price": "0" (spec §10.2)
    ack = _place(trading_wire, side="buy", orderType="market", qty="100")
    info = _get(trading_wire, INFO, orderId=ack["orderId"])
    assert (info["orderType"], info["orderStatus"], info["price"]) == ("market", "filled", "0")
    (row,) = _get(trading_wire, HISTORY, category="SPOT")["list"]
    assert row["orderId"] == ack["orderId"] and row["price"] == "0"


def test_unfilled_orders_omit_cancel_reason_and_exec_type(trading_wire: Wire) -> None:
    _place(trading_wire)
    (row,) = _get(trading_wire, UNFILLED, category="spot")["list"]
    assert set(row) == ORDER_FIELDS - {"cancelReason", "execType"}
    assert _get(trading_wire, UNFILLED, category="SPOT", symbol="ETHUSDT")["list"] == []


def test_fills_have_every_field_of_the_spec_and_positive_fees(trading_wire: Wire) -> None:
    ack = _place(trading_wire, orderType="market", qty="100")
    (fill, *_) = _get(trading_wire, FILLS, orderId=ack["orderId"])["list"]
    assert set(fill) == FILL_FIELDS
    assert_all_strings(fill)
    assert fill["tradeScope"] == "taker" and fill["category"] == "SPOT"
    assert fill["isRPI"] == "NO"  # uppercase on REST (defaults.IS_RPI)
    (fee,) = fill["feeDetail"]
    assert fee["feeCoin"] == "BTC" and float(fee["fee"]) > 0


def test_history_holds_terminal_orders_only_with_symbol_and_order_id_filters(
    trading_wire: Wire,
) -> None:
    live = _place(trading_wire)
    btc = _closed(trading_wire)
    eth = _closed(trading_wire, symbol="ETHUSDT", qty="0.01", price="2000")
    rows = _get(trading_wire, HISTORY, category="SPOT")["list"]
    assert [r["orderId"] for r in rows] == [eth["orderId"], btc["orderId"]]
    assert all(r["orderStatus"] == "cancelled" and r["cancelReason"] for r in rows)
    only = _get(trading_wire, HISTORY, category="SPOT", symbol="BTCUSDT")["list"]
    assert [r["orderId"] for r in only] == [btc["orderId"]]
    by_id = _get(trading_wire, HISTORY, category="SPOT", orderId=eth["orderId"])["list"]
    assert [r["orderId"] for r in by_id] == [eth["orderId"]]
    assert live["orderId"] not in {r["orderId"] for r in rows}
    assert error_code(trading_wire.get(HISTORY, {}, signed=True)) == "25200"  # category needed


def _walk(wire: Wire, path: str, key: str, **params: Any) -> tuple[list[str], list[int]]:
    """Follow the cursor chain; (ids in order, page sizes)."""
    ids: list[str] = []
    sizes: list[int] = []
    cursor = ""
    while True:
        data = _get(wire, path, **params, **({"cursor": cursor} if cursor else {}))
        ids += [row[key] for row in data["list"]]
        sizes.append(len(data["list"]))
        cursor = data["cursor"]
        if not cursor:
            return ids, sizes
        assert cursor == ids[-1]  # the cursor is the id of the last row returned
        assert len(sizes) < 20, "the cursor chain does not end"


def test_cursor_chain_covers_every_order_once_newest_first(trading_wire: Wire) -> None:
    made = [_closed(trading_wire)["orderId"] for _ in range(23)]
    for _ in range(3):
        _place(trading_wire)  # open ones stay out of history
    ids, sizes = _walk(trading_wire, HISTORY, "orderId", category="SPOT", limit=10)
    assert sizes == [10, 10, 3]
    assert ids == made[::-1]
    open_ids, open_sizes = _walk(trading_wire, UNFILLED, "orderId", limit=2)
    assert open_sizes == [2, 1] and len(set(open_ids)) == 3
    assert open_ids == sorted(open_ids, key=int, reverse=True)


def test_fills_pages_chain_through_every_fill(trading_wire: Wire) -> None:
    for _ in range(4):
        _place(trading_wire, orderType="market", qty="20000")  # several levels each
    everything = _get(trading_wire, FILLS, limit=100)["list"]
    assert len(everything) > 6 and everything[-1]["execId"] < everything[0]["execId"]
    ids, sizes = _walk(trading_wire, FILLS, "execId", limit=3)
    assert ids == [f["execId"] for f in everything] and max(sizes) == 3


def test_empty_answers_and_last_pages_carry_null_as_live_bitget_does(trading_wire: Wire) -> None:
    # spec §10.2: "list" is null on empty fills, history-position and current-position; the
    # cursor of a last page is null on every paged list, never ""
    positions = "/api/v3/position/history-position"
    for path, params in ((FILLS, {}), (positions, {"category": "USDT-FUTURES"})):
        assert _get(trading_wire, path, **params) == {"list": None, "cursor": None}
    current = _get(trading_wire, "/api/v3/position/current-position", category="USDT-FUTURES")
    assert current == {"list": None}
    strategies = "/api/v3/trade/history-strategy-orders"
    for path, params in (
        (UNFILLED, {}),
        (HISTORY, {"category": "SPOT"}),
        (strategies, {"category": "USDT-FUTURES"}),
    ):
        assert _get(trading_wire, path, **params) == {"list": [], "cursor": None}
    _closed(trading_wire)
    _closed(trading_wire)
    first = _get(trading_wire, HISTORY, category="SPOT", limit=1)
    assert first["cursor"] == first["list"][0]["orderId"]  # more rows follow
    last = _get(trading_wire, HISTORY, category="SPOT", limit=1, cursor=first["cursor"])
    assert len(last["list"]) == 1 and last["cursor"] is None


@pytest.mark.parametrize(
    ("params", "rule"),
    [
        ({"limit": "101"}, "limit"),
        ({"cursor": "abc"}, "cursor"),
        ({"startTime": "now"}, "startTime"),
    ],
)
def test_bad_list_parameters_are_25200(trading_wire: Wire, params: dict, rule: str) -> None:
    response = trading_wire.get(HISTORY, {"category": "SPOT", **params}, signed=True)
    assert error_code(response) == "25200" and rule in response.json()["msg"]


def test_history_reaches_back_90_days_in_windows_of_at_most_30(trading_wire: Wire) -> None:
    ex = trading_wire.exchange
    start = ex.now_ms()
    made: dict[int, str] = {}
    for day in (0, 10, 20, 30, 40, 45):
        ex.advance(days=day - (ex.now_ms() - start) / DAY_MS)
        made[day] = _closed(trading_wire)["orderId"]

    def window(**params: Any) -> list[str]:
        rows = _get(trading_wire, HISTORY, category="SPOT", **params)["list"]
        return [r["orderId"] for r in rows]

    # Omitted times: the last 30 days (defaults.HISTORY_DEFAULT_SPAN_MS).
    assert window() == [made[45], made[40], made[30], made[20]]
    first_month = window(startTime=start, endTime=start + 29 * DAY_MS)
    assert first_month == [made[20], made[10], made[0]]
    assert window(startTime=start + 5 * DAY_MS) == [made[30], made[20], made[10]]
    assert window(endTime=start + 15 * DAY_MS) == [made[10], made[0]]
    fills_window = _get(trading_wire, FILLS, startTime=start, endTime=start + DAY_MS)
    assert fills_window == {"list": None, "cursor": None}

    now = ex.now_ms()
    too_long = trading_wire.get(
        HISTORY, {"category": "SPOT", "startTime": now - 31 * DAY_MS, "endTime": now}, signed=True
    )
    assert error_code(too_long) == "25200" and "30 days" in too_long.json()["msg"]
    backwards = trading_wire.get(
        HISTORY, {"category": "SPOT", "startTime": now, "endTime": now - 1}, signed=True
    )
    assert error_code(backwards) == "25200" and "before startTime" in backwards.json()["msg"]

    ex.advance(days=50)  # now day 95: day 0 is beyond the look-back, day 10 is not
    too_old = trading_wire.get(FILLS, {"startTime": start, "endTime": start + DAY_MS}, signed=True)
    assert error_code(too_old) == "25200" and "90 days" in too_old.json()["msg"]
    oldest = ex.now_ms() - 90 * DAY_MS
    assert window(startTime=oldest, endTime=oldest + 30 * DAY_MS) == [made[30], made[20], made[10]]
