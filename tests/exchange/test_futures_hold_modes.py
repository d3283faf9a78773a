"""Hold modes (spec §5.3, §4.1.1 rule 4, §4.4.5, §9 #11, #18): posSide / reduceOnly shapes,
closes beyond the position, the one-way reduce-only replacement rule, and when the mode may
switch."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bitget_nb.exchange import defaults

from .desk import PERP, Desk

FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}


def _far_sell(desk: Desk, qty: str, **fields: str) -> dict:
    """A sell limit far above the market: it rests."""
    price = PERP.price_text(desk.price(PERP) * Decimal("1.05") // PERP.tick * PERP.tick)
    return desk.future(side="sell", orderType="limit", qty=qty, price=price, **fields)


@pytest.mark.parametrize(
    ("hedge", "fields", "hint"),
    [
        (True, {"side": "buy"}, "posSide (long or short) is required in hedge mode"),
        (False, {"side": "buy", "posSide": "long"}, "posSide applies in hedge mode only"),
        (False, {"side": "sell", "posSide": "short", "reduceOnly": "yes"}, "hedge mode only"),
    ],
)
def test_a_pos_side_that_does_not_fit_the_hold_mode_is_25236(
    hedge: bool, fields: dict, hint: str
) -> None:
    desk = Desk()
    if hedge:
        desk.hedge()
    before = desk.snapshot()
    error = desk.error("submit_new_order", {**FUT, "orderType": "market", "qty": "0.01", **fields})
    assert error.code == "25236" and hint in error.msg
    assert desk.snapshot() == before


def test_reduce_only_in_hedge_mode_is_ignored_and_the_pos_side_decides() -> None:
    desk = Desk()
    desk.hedge()
    opened = desk.future(side="buy", orderType="market", qty="0.01", posSide="long",
                         reduceOnly="yes")  # fmt: skip
    assert (opened["tradeSide"], opened["reduceOnly"]) == ("open", "NO")
    assert desk.positions()["long"]["total"] == "0.0100"


@pytest.mark.parametrize("hedge", [True, False])
def test_closing_without_a_position_is_22002(hedge: bool) -> None:
    desk = Desk()
    if hedge:
        desk.hedge()
        fields = {"side": "sell", "posSide": "long"}
    else:
        fields = {"side": "sell", "reduceOnly": "yes"}
    error = desk.error("submit_new_order", {**FUT, "orderType": "market", "qty": "0.01", **fields})
    assert error.code == "22002" and "no long position" in error.msg


def test_one_way_reduce_only_on_the_side_of_the_position_is_22002() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.01")
    error = desk.error(
        "submit_new_order",
        {**FUT, "side": "buy", "orderType": "market", "qty": "0.01", "reduceOnly": "yes"},
    )
    assert error.code == "22002" and "closes a short position" in error.msg


def test_hedge_close_beyond_what_is_left_to_close_is_25227() -> None:
    desk = Desk()
    desk.hedge()
    desk.future(side="buy", orderType="market", qty="0.05", posSide="long")
    _far_sell(desk, "0.03", posSide="long")  # a resting close holds 0.03
    row = desk.positions()["long"]
    assert (row["available"], row["frozen"]) == ("0.0200", "0.0300")
    error = desk.error(
        "submit_new_order",
        {**FUT, "side": "sell", "orderType": "market", "qty": "0.03", "posSide": "long"},
    )
    assert error.code == "25227" and "0.0200 left to close" in error.msg
    # What is left can still be closed.
    desk.future(side="sell", orderType="market", qty="0.02", posSide="long")
    assert desk.positions()["long"]["available"] == "0.0000"


def test_one_way_reduce_only_larger_than_the_position_is_25227() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.02")
    error = desk.error(
        "submit_new_order",
        {**FUT, "side": "sell", "orderType": "market", "qty": "0.03", "reduceOnly": "yes"},
    )
    assert error.code == "25227"


def test_one_way_new_reduce_only_order_replaces_the_oldest_when_they_exceed_the_position() -> None:
    # spec §4.1.1 rule 4.
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.05")
    oldest = _far_sell(desk, "0.02", reduceOnly="yes", clientOid="ro-1")
    middle = _far_sell(desk, "0.02", reduceOnly="yes", clientOid="ro-2")
    newest = _far_sell(desk, "0.03", reduceOnly="yes", clientOid="ro-3")
    assert desk.info(oldest["orderId"])["orderStatus"] == "cancelled"
    assert desk.info(oldest["orderId"])["cancelReason"] == defaults.CANCEL_REASON_REDUCE_ONLY
    assert desk.info(middle["orderId"])["orderStatus"] == "live"
    assert newest["orderStatus"] == "live" and newest["clientOid"] == "ro-3"
    assert desk.positions()["long"]["frozen"] == "0.0500"


def test_open_close_orders_are_trimmed_when_the_position_shrinks() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.05")
    resting = _far_sell(desk, "0.04", reduceOnly="yes")
    desk.future(side="sell", orderType="market", qty="0.02")  # not reduce-only: nets 0.05 → 0.03
    assert desk.info(resting["orderId"])["orderStatus"] == "cancelled"
    assert desk.positions()["long"]["total"] == "0.0300"


def test_set_hold_mode_is_refused_with_a_position_and_allowed_once_it_is_closed() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.01")
    error = desk.error("set_hold_mode", {"holdMode": "hedge_mode"})
    assert error.code == "25010"
    assert desk.call("get_account_settings", {})["holdMode"] == "one_way_mode"
    desk.call("close_all_positions", {"category": "USDT-FUTURES"})
    assert desk.call("set_hold_mode", {"holdMode": "hedge_mode"}) == "success"
    assert desk.call("get_account_settings", {})["holdMode"] == "hedge_mode"


def test_set_hold_mode_is_refused_with_an_open_futures_order_but_not_a_spot_one() -> None:
    desk = Desk()
    spot = desk.place(side="buy", orderType="limit", qty="0.01", price="50000")
    assert desk.call("set_hold_mode", {"holdMode": "hedge_mode"}) == "success"
    desk.call("set_hold_mode", {"holdMode": "one_way_mode"})
    resting = desk.future(side="buy", orderType="limit", qty="0.01", price="50000.0")
    assert desk.error("set_hold_mode", {"holdMode": "hedge_mode"}).code == "25010"
    desk.call("cancel_order", {"orderId": resting["orderId"]})
    assert desk.call("set_hold_mode", {"holdMode": "hedge_mode"}) == "success"
    assert desk.info(spot["orderId"])["orderStatus"] == "live"


def test_position_rows_carry_pos_side_in_one_way_mode() -> None:
    desk = Desk()
    desk.future(side="sell", orderType="market", qty="0.01")
    (row,) = desk.call("get_current_position", {"category": "USDT-FUTURES"})["list"]
    assert (row["posSide"], row["holdMode"]) == ("short", "one_way_mode")
    filtered = desk.call("get_current_position", {"category": "USDT-FUTURES", "posSide": "long"})
    assert filtered == {"list": None}  # spec §10.2


def test_margin_mode_on_an_order_must_match_the_symbol() -> None:
    desk = Desk()
    error = desk.error(
        "submit_new_order",
        {**FUT, "side": "buy", "orderType": "market", "qty": "0.01", "marginMode": "isolated"},
    )
    assert error.code == "25200" and "set-leverage" in error.msg
    desk.call("set_leverage", {**FUT, "leverage": "10", "marginMode": "isolated"})
    order = desk.future(side="buy", orderType="market", qty="0.01", marginMode="isolated")
    assert order["marginMode"] == "isolated"
    assert desk.positions()["long"]["marginMode"] == "isolated"


def test_position_size_is_capped_by_max_position_num() -> None:
    desk = Desk(balances={"USDT": "100000000"})
    desk.call("set_leverage", {**FUT, "leverage": "125"})
    now = desk.now()
    _, low = desk.venue.market.extremes(PERP, now + 1000, now + 3_600_000)
    price = PERP.price_text((low + 50) * PERP.tick)  # reached within the hour: fills whole
    for _ in range(3):
        desk.future(side="buy", orderType="limit", qty="1200", price=price)
    desk.advance(3_600_000)
    assert desk.positions()["long"]["total"] == "3600.0000"
    error = desk.error(
        "submit_new_order",
        {**FUT, "side": "buy", "orderType": "limit", "qty": "400.1", "price": price},
    )
    assert error.code == "25230" and "maxPositionNum 4000" in error.msg
    desk.future(side="buy", orderType="limit", qty="400", price=price)  # exactly to the cap
