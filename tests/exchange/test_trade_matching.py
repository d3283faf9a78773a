"""Matching on arrival: time in force, partial fills, market orders and slippage
(spec §4.1.1, §5.1, §5.2)."""

from __future__ import annotations

from decimal import Decimal

from bitget_nb.exchange import defaults

from .desk import BTC, Desk, qty, text

TICK = BTC.tick


def test_gtc_limit_that_does_not_cross_rests_live_and_locks_quote() -> None:
    desk = Desk()
    _, bids = desk.book()
    price = bids[0][0] - 100
    order = desk.place(side="buy", orderType="limit", qty="0.01", price=text(price))
    assert order["orderStatus"] == "live" and order["cumExecQty"] == "0.000000"
    assert order["timeInForce"] == "gtc" and order["cancelReason"] == ""
    assert desk.locked("USDT") == price * Decimal("0.01")
    listed = desk.call("get_unfilled_orders", {"category": "SPOT"})["list"]
    assert [o["orderId"] for o in listed] == [order["orderId"]]


def test_gtc_limit_that_crosses_fills_what_it_can_and_rests_the_rest() -> None:
    desk = Desk()
    asks, _ = desk.book()
    (top, size), _ = asks[0], asks[1]
    order = desk.place(side="buy", orderType="limit", qty=qty(size * 2), price=text(top))
    assert order["orderStatus"] == "partially_filled"
    assert Decimal(order["cumExecQty"]) == size
    assert Decimal(order["avgPrice"]) == top
    # The open rest keeps exactly price × remaining locked.
    assert desk.locked("USDT") == top * size
    assert desk.call("get_unfilled_orders", {})["list"][0]["orderStatus"] == "partially_filled"


def test_ioc_fills_what_is_there_and_cancels_the_remainder() -> None:
    desk = Desk()
    asks, _ = desk.book()
    reachable = asks[0][1] + asks[1][1]
    order = desk.place(
        side="buy",
        orderType="limit",
        timeInForce="ioc",
        qty=qty(reachable + Decimal("0.1")),
        price=text(asks[1][0]),
    )
    assert order["orderStatus"] == "cancelled"
    assert order["cancelReason"] == defaults.CANCEL_REASON_IOC
    assert Decimal(order["cumExecQty"]) == reachable
    assert [Decimal(f["execPrice"]) for f in desk.fills(order["orderId"])] == [
        asks[1][0],
        asks[0][0],
    ]  # newest first
    assert desk.locked("USDT") == 0
    assert desk.call("get_unfilled_orders", {})["list"] == []


def test_fok_that_cannot_fill_is_cancelled_without_fills() -> None:
    desk = Desk()
    asks, _ = desk.book()
    before = desk.available("USDT")
    order = desk.place(
        side="buy",
        orderType="limit",
        timeInForce="fok",
        qty=qty(asks[0][1] + asks[1][1] + Decimal("0.000001")),
        price=text(asks[1][0]),
    )
    assert order["orderStatus"] == "cancelled"
    assert order["cancelReason"] == defaults.CANCEL_REASON_FOK
    assert order["cumExecQty"] == "0.000000" and order["feeDetail"] == []
    assert desk.fills(order["orderId"]) is None  # no fills: "list" is null (spec §10.2)
    assert desk.available("USDT") == before and desk.locked("USDT") == 0


def test_fok_that_can_fill_fills_completely() -> None:
    desk = Desk()
    asks, _ = desk.book()
    size = asks[0][1] + asks[1][1]
    order = desk.place(
        side="buy", orderType="limit", timeInForce="fok", qty=qty(size), price=text(asks[1][0])
    )
    assert order["orderStatus"] == "filled" and Decimal(order["cumExecQty"]) == size


def test_post_only_that_would_take_is_accepted_then_cancelled_without_error() -> None:
    desk = Desk()
    asks, _ = desk.book()
    ack = desk.submit(
        side="buy", orderType="limit", timeInForce="post_only", qty="0.01", price=text(asks[0][0])
    )
    order = desk.info(ack["orderId"])  # accepted: it has an id (spec §9 #4)
    assert order["orderStatus"] == "cancelled"
    assert order["cancelReason"] == defaults.CANCEL_REASON_POST_ONLY
    assert order["cumExecQty"] == "0.000000" and desk.locked("USDT") == 0


def test_post_only_that_would_not_take_rests_as_maker() -> None:
    desk = Desk()
    _, bids = desk.book()
    order = desk.place(
        side="buy", orderType="limit", timeInForce="post_only", qty="0.01", price=text(bids[0][0])
    )
    assert order["orderStatus"] == "live" and order["timeInForce"] == "post_only"


def test_market_sell_walks_several_levels_with_slippage() -> None:
    desk = Desk()
    _, bids = desk.book()
    size = bids[0][1] + bids[1][1] + bids[2][1] / 2
    order = desk.place(side="sell", orderType="market", qty=qty(size))
    assert order["orderStatus"] == "filled" and Decimal(order["cumExecQty"]) == size
    assert order["price"] == defaults.MARKET_ORDER_PRICE == "0"  # spec §10.2
    fills = desk.fills(order["orderId"])
    assert len(fills) == 3 and {f["tradeScope"] for f in fills} == {"taker"}
    value = sum(Decimal(f["execValue"]) for f in fills)
    assert Decimal(order["cumExecValue"]) == value
    # Worse than the touch: the average sell price is below the best bid.
    assert Decimal(order["avgPrice"]) < bids[0][0]
    fee = value * BTC.taker_fee
    assert order["feeDetail"] == [{"feeCoin": "USDT", "fee": str(fee.quantize(Decimal("1e-8")))}]


def test_spot_market_buy_spends_quote_and_shows_amount_not_qty() -> None:
    desk = Desk()
    asks, _ = desk.book()
    spend = (asks[0][0] * asks[0][1] + asks[1][0] * asks[1][1]).quantize(Decimal(1)) + 100
    usdt = desk.available("USDT")
    order = desk.place(side="buy", orderType="market", qty=str(spend))
    assert order["qty"] == defaults.QUOTE_SIZED_QTY and order["amount"] == str(spend)
    assert order["orderStatus"] == "filled"
    spent = Decimal(order["cumExecValue"])
    assert spend - asks[2][0] * BTC.step < spent <= spend  # only dust below one lot is left
    assert Decimal(order["avgPrice"]) > asks[0][0]
    assert desk.available("USDT") == usdt - spent and desk.locked("USDT") == 0
    got = Decimal(order["cumExecQty"])
    assert desk.available("BTC") == 1 + got - Decimal(order["feeDetail"][0]["fee"])
    assert order["feeDetail"][0]["feeCoin"] == "BTC"  # spot fees come from the coin received


def test_a_second_market_order_in_the_same_second_walks_deeper() -> None:
    desk = Desk()
    asks, _ = desk.book()
    top_value = (asks[0][0] * asks[0][1]).quantize(Decimal(1), rounding="ROUND_FLOOR")
    first = desk.place(side="buy", orderType="market", qty=str(top_value))
    second = desk.place(side="buy", orderType="market", qty="1000")
    assert Decimal(first["avgPrice"]) == asks[0][0]
    assert Decimal(second["avgPrice"]) > Decimal(first["avgPrice"])
    desk.advance(1_000)  # the simulated book is drawn afresh each second
    fresh_top = desk.book()[0][0][0]
    third = desk.place(side="buy", orderType="market", qty="1000")
    assert Decimal(desk.fills(third["orderId"])[-1]["execPrice"]) == fresh_top


def test_market_orders_ignore_time_in_force() -> None:
    desk = Desk()
    _, bids = desk.book()
    order = desk.place(side="sell", orderType="market", timeInForce="fok", qty=qty(bids[0][1] * 3))
    assert order["orderStatus"] == "filled"
