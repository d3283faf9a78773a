"""TP/SL: attached presets becoming strategy orders, triggers on last vs mark price, the order
they send, sibling cancellation, failures, and the strategy endpoints' rules (spec §4.2, §5.4,
§9 #7; exchange.strategies.StrategyDesk.fire)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bitget_nb.exchange import defaults

from .desk import PERP, Desk

FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
WINDOW = 2 * 3_600_000


def _extremes(desk: Desk, kind: str) -> tuple[int, int]:
    """(high, low) ticks of ``kind`` prices over the next two hours, from the next second."""
    start = desk.now() + 1000
    return desk.venue.market.extremes(PERP, start, start + WINDOW, kind)  # type: ignore[arg-type]


def _reach(desk: Desk, ticks: int, direction: str, kind: str) -> int | None:
    start = desk.now() + 1000
    return desk.venue.market.first_reach(
        PERP, start, start + WINDOW, ticks, direction=direction, strict=False, price_type=kind
    )  # type: ignore[arg-type]


def _protect(desk: Desk, **fields: str) -> str:
    params = {**FUT, "posSide": "long", "tpslMode": "partial", "qty": "0.05", **fields}
    return desk.call("submit_strategy_order", params)["orderId"]


def _row(desk: Desk, order_id: str) -> dict:
    """The one row of a strategy order, open or finished."""
    rows = (
        desk.strategy_rows()
        + desk.call("get_history_strategy_orders", {"category": "USDT-FUTURES"})["list"]
    )
    (row,) = [r for r in rows if r["orderId"] == order_id]
    return row


def _status(desk: Desk, order_id: str) -> tuple[str, str | None]:
    """A strategy order's status on the wire and the leg that fired (``triggerType``)."""
    row = _row(desk, order_id)
    return row["status"], row.get("triggerType")


def _legs(desk: Desk, order_id: str) -> dict[str, str]:
    """triggerType → status of each leg, in the domain (the wire shows the order's)."""
    order = desk.trading.strategies.book.get(order_id)
    assert order is not None
    return {t: leg.status for t, leg in order.legs.items()}


def _newest_order(desk: Desk) -> dict:
    (order, *_) = desk.call("get_history_orders", {"category": "USDT-FUTURES"})["list"]
    return order


def test_take_profit_on_last_price_fires_where_the_same_level_on_mark_does_not() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    last_high, _ = _extremes(desk, "market")
    mark_high, _ = _extremes(desk, "mark")
    assert mark_high < last_high  # the mark sits a few bps under last (basis share)
    level = PERP.price_text(last_high * PERP.tick)
    on_last = _protect(desk, takeProfit=level, tpTriggerBy="market")
    on_mark = _protect(desk, takeProfit=level, tpTriggerBy="mark")
    fired_at = _reach(desk, last_high, "up", "market")
    assert fired_at is not None
    desk.advance(WINDOW + 1000)
    assert _status(desk, on_last) == ("success", "takeProfit")
    assert _status(desk, on_mark) == ("pending", None)
    close = _newest_order(desk)
    assert (close["side"], close["orderType"], close["reduceOnly"]) == ("sell", "market", "YES")
    assert int(close["createdTime"]) == fired_at and close["qty"] == "0.0500"
    _, bids = desk.book(PERP, at=fired_at)
    assert Decimal(close["avgPrice"]) == bids[0][0]  # a market close at the trigger second
    assert desk.positions()["long"]["total"] == "0.0500"


def test_stop_loss_on_mark_price_fires_where_the_same_level_on_last_does_not() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    _, mark_low = _extremes(desk, "mark")
    level = PERP.price_text(mark_low * PERP.tick)
    on_mark = _protect(desk, stopLoss=level, slTriggerBy="mark")
    on_last = _protect(desk, stopLoss=level, slTriggerBy="market")
    fired_at = _reach(desk, mark_low, "down", "mark")
    assert fired_at is not None and _reach(desk, mark_low, "down", "market") is None
    desk.advance(WINDOW + 1000)
    assert _status(desk, on_mark) == ("success", "stopLoss")
    assert _status(desk, on_last) == ("pending", None)
    assert int(_newest_order(desk)["createdTime"]) == fired_at


def test_attached_tp_sl_becomes_a_partial_strategy_order_sized_by_the_fill() -> None:
    desk = Desk()
    asks, _ = desk.book(PERP)
    (top, size) = asks[0]
    qty = size + Decimal("0.1")  # fills the best level now, rests the rest at that price
    order = desk.future(
        side="buy", orderType="limit", qty=PERP.qty_text(qty), price=PERP.price_text(top),
        takeProfit="75000", stopLoss="60000.5", slTriggerBy="mark", slOrderType="limit",
        slLimitPrice="60000",
    )  # fmt: skip
    assert order["orderStatus"] == "partially_filled"
    assert (order["takeProfit"], order["stopLoss"], order["slTriggerBy"]) == (
        "75000",
        "60000.5",
        "mark",
    )
    (row,) = desk.strategy_rows()  # one strategy order with two legs is one row
    assert "triggerType" not in row  # no leg has fired
    assert (row["type"], row["tpslMode"], row["posSide"], row["status"]) == (
        "tpsl",
        "partial",
        "long",
        "pending",
    )
    assert Decimal(row["qty"]) == size
    assert (row["takeProfit"], row["tpTriggerBy"], row["tpOrderType"]) == (
        "75000.0",
        "market",
        defaults.PRESET_ORDER_TYPE_DEFAULT,
    )
    assert (row["stopLoss"], row["slOrderType"], row["slLimitPrice"]) == (
        "60000.5",
        "limit",
        "60000.0",
    )
    # The rest fills later (the market comes back through the price): the preset grows.
    desk.advance(WINDOW)
    assert desk.info(order["orderId"])["orderStatus"] == "filled"
    assert {Decimal(r["qty"]) for r in desk.strategy_rows()} == {qty}


def test_attached_tp_sl_of_an_order_cancelled_unfilled_is_discarded() -> None:
    desk = Desk()
    order = desk.future(side="buy", orderType="limit", qty="0.1", price="60000.0",
                        takeProfit="70000", stopLoss="55000")  # fmt: skip
    assert desk.strategy_rows() == []
    desk.call("cancel_order", {"orderId": order["orderId"]})
    desk.advance(WINDOW)
    assert desk.strategy_rows() == []
    history = desk.call("get_history_strategy_orders", {"category": "USDT-FUTURES"})
    assert history == {"list": [], "cursor": None}


def test_a_fired_leg_cancels_its_sibling_and_a_closed_position_cancels_every_leg() -> None:
    desk = Desk()
    _, low = _extremes(desk, "market")
    stop = PERP.price_text((low + 1) * PERP.tick)
    desk.future(side="buy", orderType="market", qty="0.1", stopLoss=stop, takeProfit="75000")
    (preset,) = [r["orderId"] for r in desk.strategy_rows()]
    other = _protect(desk, qty="0.02", takeProfit="76000")
    desk.advance(WINDOW)
    assert _status(desk, preset) == ("success", "stopLoss")
    assert _legs(desk, preset) == {"stopLoss": "success", "takeProfit": "cancelled"}
    assert desk.positions() == {}  # the stop closed all 0.1
    assert _status(desk, other) == ("cancelled", None)  # nothing left to protect
    assert desk.strategy_rows() == []


def test_a_limit_take_profit_rests_a_reduce_only_order_at_its_limit_price() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    high, _ = _extremes(desk, "market")
    order_id = _protect(
        desk, takeProfit=PERP.price_text((high - 5) * PERP.tick), tpOrderType="limit",
        tpLimitPrice="75000",
    )  # fmt: skip
    desk.advance(WINDOW)
    assert _status(desk, order_id) == ("success", "takeProfit")
    (resting,) = desk.call("get_unfilled_orders", {"category": "USDT-FUTURES"})["list"]
    assert (resting["side"], resting["price"], resting["qty"], resting["reduceOnly"]) == (
        "sell",
        "75000.0",
        "0.0500",
        "YES",
    )
    row = desk.positions()["long"]
    assert (row["total"], row["frozen"], row["available"]) == ("0.1000", "0.0500", "0.0500")


def test_a_leg_that_finds_nothing_left_to_close_fails() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.05")
    high, _ = _extremes(desk, "market")
    order_id = _protect(desk, takeProfit=PERP.price_text((high - 5) * PERP.tick))
    # A resting close holds the whole position: the TP has nothing to close when it fires.
    desk.future(side="sell", orderType="limit", qty="0.05", price="80000.0", reduceOnly="yes")
    desk.advance(WINDOW)
    assert _status(desk, order_id) == ("failed", "takeProfit")
    assert desk.positions()["long"]["total"] == "0.0500"


def test_in_hedge_mode_a_short_take_profit_closes_with_buy_and_pos_side_short() -> None:
    desk = Desk()
    desk.hedge()
    desk.future(side="sell", orderType="market", qty="0.1", posSide="short")
    _, low = _extremes(desk, "market")
    params = {**FUT, "posSide": "short", "tpslMode": "full",
              "takeProfit": PERP.price_text((low + 3) * PERP.tick)}  # fmt: skip
    order_id = desk.call("submit_strategy_order", params)["orderId"]
    (row,) = desk.strategy_rows()
    assert (row["tpslMode"], row["qty"]) == ("full", defaults.FULL_MODE_QTY)
    desk.advance(WINDOW)
    assert _status(desk, order_id) == ("success", "takeProfit")
    close = _newest_order(desk)
    assert (close["side"], close["posSide"], close["tradeSide"], close["qty"]) == (
        "buy",
        "short",
        "close",
        "0.1000",
    )
    assert desk.positions() == {}


# -- the endpoints' rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "hint"),
    [
        ({"posSide": None}, "25200", "posSide is required"),
        ({"posSide": "short"}, "25601", "no short position"),
        ({"stopLoss": None}, "25200", "takeProfit or stopLoss is required"),
        ({"stopLoss": "75000"}, "25200", "stop-loss of a long position must be below"),
        ({"stopLoss": None, "takeProfit": "60000"}, "25200", "must be above"),
        ({"qty": None}, "25200", "qty is required for tpslMode=partial"),
        ({"qty": "0.2"}, "25200", "more than the long position"),
        ({"qty": "0.00005"}, "25610", "lot step"),
        ({"stopLoss": "60000.05"}, "25244", "tick"),
        ({"slOrderType": "limit"}, "25200", "slLimitPrice is required"),
        ({"type": "trigger"}, "25200", "type=trigger"),
        ({"category": "SPOT"}, "25200", "category must be one of"),
    ],
)
def test_place_strategy_order_refusals(change: dict, code: str, hint: str) -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    params = {**FUT, "posSide": "long", "tpslMode": "partial", "qty": "0.05", "stopLoss": "60000"}
    params = {k: v for k, v in {**params, **change}.items() if v is not None}
    error = desk.error("submit_strategy_order", params)
    assert error.code == code and hint in error.msg


def test_strategy_order_caps_are_25599() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    full = {**FUT, "posSide": "long", "stopLoss": "60000"}
    desk.call("submit_strategy_order", full)
    assert desk.error("submit_strategy_order", full).code == "25599"
    for _ in range(defaults.STRATEGY_ORDERS_PER_POSITION_MAX - 1):
        _protect(desk, stopLoss="60000")
    error = desk.error("submit_strategy_order", {**full, "tpslMode": "partial", "qty": "0.01"})
    assert error.code == "25599" and "at most 20" in error.msg


def test_strategy_client_oid_is_unique_for_six_hours() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    _protect(desk, stopLoss="60000", clientOid="s-1")
    again = {**FUT, "posSide": "long", "tpslMode": "partial", "qty": "0.01", "stopLoss": "60000",
             "clientOid": "s-1"}  # fmt: skip
    assert desk.error("submit_strategy_order", again).code == "25212"
    desk.advance(6 * 3_600_000)  # six hours later the clientOid is free again
    desk.call("submit_strategy_order", again)


def test_modify_needs_qty_and_changes_the_pending_legs() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    order_id = _protect(desk, stopLoss="60000", clientOid="m-1")
    error = desk.error("modify_strategy_order", {"orderId": order_id, "stopLoss": "61000"})
    assert error.code == "25200" and "qty is required" in error.msg
    ack = desk.call(
        "modify_strategy_order",
        {"clientOid": "m-1", "qty": "0.08", "stopLoss": "61000", "takeProfit": "76000"},
    )
    assert ack == {"orderId": order_id, "clientOid": "m-1"}
    (row,) = desk.strategy_rows()
    assert _legs(desk, order_id) == {"stopLoss": "pending", "takeProfit": "pending"}
    # a price for a missing leg adds it; the one row shows both
    assert (row["qty"], row["stopLoss"], row["takeProfit"]) == ("0.0800", "61000.0", "76000.0")


def test_cancel_answers_the_ids_and_a_second_cancel_is_25204() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    order_id = _protect(desk, stopLoss="60000", takeProfit="76000", clientOid="c-1")
    assert desk.call("cancel_strategy_order", {"orderId": order_id}) == {
        "orderId": order_id,
        "clientOid": "c-1",
    }
    assert desk.strategy_rows() == []
    assert desk.error("cancel_strategy_order", {"clientOid": "c-1"}).code == "25204"
    assert desk.error("cancel_strategy_order", {"orderId": "123"}).code == "25204"


def test_history_pages_hold_one_row_per_order_and_follow_the_order_id_cursor() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    ids = [_protect(desk, stopLoss="60000", takeProfit="76000") for _ in range(3)]
    for order_id in ids:
        desk.call("cancel_strategy_order", {"orderId": order_id})
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        page = desk.call(
            "get_history_strategy_orders",
            {"category": "USDT-FUTURES", "limit": "2", "cursor": cursor},
        )
        seen += [r["orderId"] for r in page["list"]]
        assert all(r["status"] == "cancelled" and "triggerType" not in r for r in page["list"])
        cursor = page["cursor"]
        if not cursor:
            break
        assert cursor == seen[-1]
    assert seen == list(reversed(ids))


def test_an_order_whose_other_leg_still_waits_stays_open_as_one_pending_row() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.05")
    high, _ = _extremes(desk, "market")
    order_id = _protect(desk, takeProfit=PERP.price_text((high - 5) * PERP.tick), stopLoss="50000")
    # A resting close holds the whole position: the TP fails when it fires; the SL still waits.
    desk.future(side="sell", orderType="limit", qty="0.05", price="80000.0", reduceOnly="yes")
    desk.advance(WINDOW)
    assert _legs(desk, order_id) == {"takeProfit": "failed", "stopLoss": "pending"}
    (row,) = desk.strategy_rows()
    assert (row["orderId"], row["status"], "triggerType" in row) == (order_id, "pending", False)
    history = desk.call("get_history_strategy_orders", {"category": "USDT-FUTURES"})["list"]
    assert order_id not in {r["orderId"] for r in history}


def test_tp_sl_rows_carry_no_generic_trigger_fields_and_absent_legs_read_as_live_does() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1")
    _protect(desk, stopLoss="60000", slOrderType="limit", slLimitPrice="59990")
    (row,) = desk.strategy_rows()
    assert not {"triggerBy", "triggerPrice", "triggerOrderType", "triggerOrderPrice"} & set(row)
    # the shape of ccxt's captured live answer of an SL-only order (records.strategy_record)
    assert (row["takeProfit"], row["tpLimitPrice"]) == ("", "")
    assert (row["tpTriggerBy"], row["tpOrderType"]) == ("market", "market")
    assert (row["stopLoss"], row["slOrderType"], row["slLimitPrice"]) == (
        "60000.0",
        "limit",
        "59990.0",
    )
