"""Order validation, spot balances, cancel and modify rules (spec §2.4, §4.1.1–4.1.5, §5.7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bitget_nb.exchange import defaults
from bitget_nb.exchange.entry import SPOT_MARGIN_OPEN_CAP

from .desk import BTC, Desk, qty, text

LIMIT = {"side": "buy", "orderType": "limit", "qty": "0.01", "price": "50000"}


# -- validation, before any state change ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "hint"),
    [
        ({"symbol": "DOGEUSDT"}, "25100", "DOGEUSDT"),
        ({"category": "OPTIONS"}, "25200", "category"),
        ({"price": "50000.001"}, "25244", "try 50000.00 or 50000.01"),
        ({"qty": "0.0100001"}, "25610", "try 0.010000 or 0.010001"),
        ({"qty": "0.000001", "price": "2000000"}, "25611", "minimum"),
        ({"qty": "0.00001", "price": "50000"}, "25207", "minimum order amount"),
        ({"qty": "1201"}, "25208", "maximum"),
        ({"price": None}, "25200", "price is required"),
        ({"qty": "1e-2"}, "25200", "qty"),
        ({"qty": "-1"}, "25200", "qty"),
        ({"side": "BUY"}, "25200", "side"),
        ({"orderType": "stop"}, "25200", "orderType"),
        ({"timeInForce": "day"}, "25200", "timeInForce"),
        ({"stpMode": "cancel"}, "25200", "stpMode"),
        ({"clientOid": "has space"}, "25200", "clientOid"),
        ({"clientOid": "x" * 33}, "25200", "clientOid"),
        ({"reduceOnly": "yes"}, "25200", "futures"),
        ({"posSide": "long"}, "25200", "futures"),
        ({"takeProfit": "90000"}, "25200", "futures"),
    ],
)
def test_bad_orders_are_refused_with_the_spec_code_and_change_nothing(
    change: dict, code: str, hint: str
) -> None:
    desk = Desk()
    before = desk.snapshot()
    params = {"category": "SPOT", "symbol": "BTCUSDT", **LIMIT, **change}
    params = {k: v for k, v in params.items() if v is not None}
    error = desk.error("submit_new_order", params)
    assert error.code == code and hint in error.msg
    assert desk.snapshot() == before


@pytest.mark.parametrize("category", ["MARGIN", "margin"])
def test_margin_placement_is_refused_as_not_served(category: str) -> None:
    # Borrowing is not modelled; futures are served (tests/exchange/test_futures_*.py).
    desk = Desk()
    before = desk.snapshot()
    error = desk.error("submit_new_order", {"category": category, "symbol": "BTCUSDT", **LIMIT})
    assert error.code == "25200" and "MARGIN order placement is not served" in error.msg
    assert desk.snapshot() == before


def test_category_is_case_insensitive_and_uppercase_in_answers() -> None:
    desk = Desk()
    order = desk.place(category="spot", **LIMIT)
    assert order["category"] == "SPOT"


def test_market_sell_below_the_minimum_amount_is_refused() -> None:
    error = Desk().error(
        "submit_new_order",
        {"category": "SPOT", "symbol": "BTCUSDT", "side": "sell", "orderType": "market",
         "qty": "0.00001"},
    )  # fmt: skip
    assert error.code == defaults.NOTIONAL_TOO_SMALL_CODE


def test_duplicate_client_oid_is_refused_only_while_the_first_order_is_open() -> None:
    desk = Desk()
    first = desk.place(clientOid="dup-1", **LIMIT)
    error = desk.error("submit_new_order", {"category": "SPOT", "symbol": "BTCUSDT",
                                            "clientOid": "dup-1", **LIMIT})  # fmt: skip
    assert error.code == "25212" and first["orderId"] in error.msg
    desk.call("cancel_order", {"clientOid": "dup-1"})
    second = desk.place(clientOid="dup-1", **LIMIT)
    assert second["orderId"] != first["orderId"]
    # clientOid now names the newest order; the old one is still found by orderId.
    assert desk.call("get_order_info", {"clientOid": "dup-1"})["orderId"] == second["orderId"]
    assert desk.info(first["orderId"])["orderStatus"] == "cancelled"


def test_orders_without_client_oid_get_one() -> None:
    order = Desk().place(**LIMIT)
    assert order["clientOid"] == defaults.AUTO_CLIENT_OID_PREFIX + order["orderId"]


def test_open_order_caps_give_40761_per_symbol_and_across_spot() -> None:
    desk = Desk(balances={"USDT": "100000", "BTC": "1", "ETH": "10"})
    cap = BTC.max_open_orders
    assert cap is not None
    for _ in range(cap):
        desk.submit(side="buy", orderType="limit", qty="0.00002", price="50000")
    error = desk.error("submit_new_order", {"category": "SPOT", "symbol": "BTCUSDT", **LIMIT})
    assert error.code == "40761" and "BTCUSDT" in error.msg
    # ioc orders never stay open, so the cap does not stop them.
    desk.submit(side="buy", orderType="limit", qty="0.00002", price="50000", timeInForce="ioc")
    for _ in range(SPOT_MARGIN_OPEN_CAP - cap):
        desk.submit(symbol="ETHUSDT", side="buy", orderType="limit", qty="0.0004", price="3000")
    sol = {"category": "SPOT", "symbol": "SOLUSDT", **LIMIT, "price": "100"}
    error = desk.error("submit_new_order", sol)
    assert error.code == "40761" and "400" in error.msg


# -- spot balances -----------------------------------------------------------------------------


def test_buy_locks_quote_sell_locks_base_and_cancels_release_them() -> None:
    desk = Desk()
    buy = desk.place(side="buy", orderType="limit", qty="0.1", price="50000")
    sell = desk.place(side="sell", orderType="limit", qty="0.3", price="90000")
    assert (desk.available("USDT"), desk.locked("USDT")) == (95_000, 5_000)
    assert (desk.available("BTC"), desk.locked("BTC")) == (Decimal("0.7"), Decimal("0.3"))
    assets = {a["coin"]: a for a in desk.call("get_balances", {})["assets"]}
    assert assets["USDT"]["locked"] == "5000" and assets["BTC"]["available"] == "0.7"
    desk.call("cancel_order", {"orderId": buy["orderId"]})
    desk.call("cancel_order", {"orderId": sell["orderId"]})
    assert (desk.available("USDT"), desk.locked("USDT")) == (100_000, 0)
    assert (desk.available("BTC"), desk.locked("BTC")) == (1, 0)


def test_a_buy_filled_below_its_limit_releases_the_difference() -> None:
    desk = Desk()
    asks, _ = desk.book()
    limit = asks[0][0] + 50
    order = desk.place(side="buy", orderType="limit", qty=qty(asks[0][1]), price=text(limit))
    assert order["orderStatus"] == "filled"
    assert desk.locked("USDT") == 0
    assert desk.available("USDT") == 100_000 - asks[0][0] * asks[0][1]


@pytest.mark.parametrize(
    "fields",
    [
        {"side": "buy", "orderType": "limit", "qty": "2", "price": "60000"},
        {"side": "buy", "orderType": "market", "qty": "100000.01"},
        {"side": "sell", "orderType": "limit", "qty": "1.000001", "price": "90000"},
        {"side": "sell", "orderType": "market", "qty": "1.5"},
    ],
)
def test_insufficient_balance_is_25202_and_leaves_state_unchanged(fields: dict) -> None:
    desk = Desk()
    desk.place(side="buy", orderType="limit", qty="0.01", price="50000")  # some state to keep
    before = desk.snapshot()
    error = desk.error("submit_new_order", {"category": "SPOT", "symbol": "BTCUSDT", **fields})
    assert error.code == "25202" and "available" in error.msg
    assert desk.snapshot() == before


def test_coins_never_held_appear_once_bought() -> None:
    desk = Desk()
    order = desk.place(symbol="SOLUSDT", side="buy", orderType="market", qty="500")
    assert order["orderStatus"] == "filled"
    sol = {a["coin"]: a for a in desk.call("get_balances", {})["assets"]}["SOL"]
    assert Decimal(sol["balance"]) == Decimal(order["cumExecQty"]) - Decimal(
        order["feeDetail"][0]["fee"]
    )


# -- cancel ------------------------------------------------------------------------------------


def test_cancel_answers_ids_and_sets_normal_cancel() -> None:
    desk = Desk()
    order = desk.place(clientOid="c-1", **LIMIT)
    ack = desk.call("cancel_order", {"clientOid": "c-1", "category": "spot"})
    assert ack == {"orderId": order["orderId"], "clientOid": "c-1"}
    info = desk.info(order["orderId"])
    assert info["orderStatus"] == "cancelled"
    assert info["cancelReason"] == defaults.CANCEL_REASON_USER


def test_cancel_or_look_up_of_an_unknown_or_closed_order_is_25204() -> None:
    desk = Desk()
    assert desk.error("cancel_order", {"orderId": "123"}).code == "25204"
    assert desk.error("get_order_info", {"clientOid": "nope"}).code == "25204"
    order = desk.place(**LIMIT)
    desk.call("cancel_order", {"orderId": order["orderId"]})
    assert desk.error("cancel_order", {"orderId": order["orderId"]}).code == "25204"
    assert desk.error("cancel_order", {}).code == "25200"
    # orderId wins over clientOid; a category that does not match finds nothing.
    live = desk.place(clientOid="c-2", **LIMIT)
    assert desk.error("cancel_order", {"orderId": "1", "clientOid": "c-2"}).code == "25204"
    error = desk.error("cancel_order", {"orderId": live["orderId"], "category": "USDT-FUTURES"})
    assert error.code == "25204"


# -- modify (spec §4.1.3, §9 #10) --------------------------------------------------------------


def test_modify_keeps_the_order_id_and_moves_the_lock() -> None:
    desk = Desk()
    order = desk.place(clientOid="m-1", **LIMIT)
    ack = desk.call("modify_order", {"clientOid": "m-1", "price": "51000", "qty": "0.02"})
    assert ack == {"orderId": order["orderId"], "clientOid": "m-1"}
    info = desk.info(order["orderId"])
    assert (info["price"], info["qty"], info["orderStatus"]) == ("51000.00", "0.020000", "live")
    assert desk.locked("USDT") == 1020


def test_modify_with_the_same_price_and_qty_is_25571() -> None:
    desk = Desk()
    order = desk.place(**LIMIT)
    error = desk.error("modify_order", {"orderId": order["orderId"], "price": "50000.00"})
    assert error.code == "25571"
    assert desk.error("modify_order", {"orderId": order["orderId"]}).code == "25200"


def test_modify_qty_may_not_go_below_the_filled_quantity() -> None:
    desk = Desk()
    asks, _ = desk.book()
    top, size = asks[0]
    order = desk.place(side="buy", orderType="limit", qty=qty(size * 3), price=text(top))
    assert Decimal(order["cumExecQty"]) == size
    error = desk.error("modify_order", {"orderId": order["orderId"], "qty": qty(size / 2)})
    assert error.code == defaults.QTY_BELOW_FILLED_CODE and "filled" in error.msg
    # Equal to the filled quantity: nothing is left open, so the order is filled.
    desk.call("modify_order", {"orderId": order["orderId"], "qty": qty(size)})
    info = desk.info(order["orderId"])
    assert info["orderStatus"] == "filled" and desk.locked("USDT") == 0


def test_modify_of_a_closed_order_is_25204_and_beyond_balance_is_25202() -> None:
    desk = Desk()
    order = desk.place(**LIMIT)
    before = desk.snapshot()
    error = desk.error("modify_order", {"orderId": order["orderId"], "qty": "3"})
    assert error.code == "25202" and desk.snapshot() == before
    desk.call("cancel_order", {"orderId": order["orderId"]})
    assert desk.error("modify_order", {"orderId": order["orderId"], "qty": "1"}).code == "25204"


def test_failed_modify_with_auto_cancel_cancels_the_order() -> None:
    desk = Desk()
    order = desk.place(**LIMIT)
    error = desk.error(
        "modify_order", {"orderId": order["orderId"], "price": "50000.001", "autoCancel": "yes"}
    )
    assert error.code == "25244"
    info = desk.info(order["orderId"])
    assert info["orderStatus"] == "cancelled"
    assert info["cancelReason"] == defaults.CANCEL_REASON_MODIFY
    assert desk.locked("USDT") == 0


def test_modify_to_a_crossing_price_takes_liquidity() -> None:
    desk = Desk()
    asks, _ = desk.book()
    order = desk.place(side="buy", orderType="limit", qty="0.01", price="60000")
    desk.call("modify_order", {"orderId": order["orderId"], "price": text(asks[0][0])})
    info = desk.info(order["orderId"])
    assert info["orderStatus"] == "filled" and info["orderId"] == order["orderId"]
    assert desk.fills(order["orderId"])[0]["tradeScope"] == "taker"


def _first_to_fill(desk: Desk, a: dict, b: dict) -> str:
    """Trade against two own sells at one price with a buy as large as b; who filled?"""
    asks, _ = desk.book()
    desk.place(side="buy", orderType="limit", qty="0.01", price=text(asks[0][0]))
    filled = {o["orderId"]: desk.info(o["orderId"])["cumExecQty"] for o in (a, b)}
    return max(filled, key=lambda oid: Decimal(filled[oid]))


def test_reducing_qty_keeps_time_priority_but_raising_it_loses_it() -> None:
    for change, first in (("0.02", "a"), ("0.04", "b")):
        desk = Desk()
        _, bids = desk.book()
        price = text(bids[0][0] + BTC.tick)  # inside the spread: the best ask
        a = desk.place(side="sell", orderType="limit", qty="0.03", price=price)
        b = desk.place(side="sell", orderType="limit", qty="0.03", price=price)
        desk.call("modify_order", {"orderId": a["orderId"], "qty": change})
        winner = _first_to_fill(desk, a, b)
        assert winner == {"a": a, "b": b}[first]["orderId"], change
