"""Resting limit orders filling as the market moves, and self-trade prevention
(spec §5.1, §5.7; the touch rule of defaults.TOUCH_FILL_FRACTION)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bitget_nb.exchange import defaults

from .desk import BTC, Desk, text

HOUR = 3_600_000
TICK = BTC.tick


def _window(desk: Desk) -> tuple[int, int, int]:
    """(start, high, low) in ticks of the hour after now (the seconds a catch-up will see)."""
    start = desk.now() + 1_000
    high, low = desk.venue.market.extremes(BTC, start, desk.now() + HOUR)
    return start, high, low


def test_resting_buy_fills_in_full_as_maker_when_the_market_trades_through_it() -> None:
    desk = Desk()
    start, _, low = _window(desk)
    price = (low + 1) * TICK
    assert price < desk.book()[1][0][0]  # below the best bid: it rests
    order = desk.place(side="buy", orderType="limit", qty="0.01", price=text(price))
    assert order["orderStatus"] == "live"
    desk.advance(HOUR)
    done = desk.info(order["orderId"])
    assert done["orderStatus"] == "filled" and done["avgPrice"] == str(price)
    (fill,) = desk.fills(order["orderId"])
    assert fill["tradeScope"] == "maker" and fill["execPrice"] == text(price)
    # Dated at the first second the price went below the limit, not at the time of advance.
    when = desk.venue.market.first_reach(
        BTC, start, desk.now(), low + 1, direction="down", strict=True
    )
    assert fill["createdTime"] == str(when) and int(fill["createdTime"]) < desk.now()
    fee = Decimal("0.01") * BTC.maker_fee
    assert fill["feeDetail"] == [{"feeCoin": "BTC", "fee": format(fee.normalize(), "f")}]
    assert desk.locked("USDT") == 0 and desk.available("BTC") == 1 + Decimal("0.01") - fee


def test_resting_sell_fills_when_the_high_goes_through_it() -> None:
    desk = Desk()
    _, high, _ = _window(desk)
    price = (high - 1) * TICK
    assert price > desk.book()[0][0][0]
    order = desk.place(side="sell", orderType="limit", qty="0.2", price=text(price))
    assert desk.locked("BTC") == Decimal("0.2")
    desk.advance(HOUR)
    assert desk.info(order["orderId"])["orderStatus"] == "filled"
    assert desk.locked("BTC") == 0
    value = price * Decimal("0.2")
    assert desk.available("USDT") == 100_000 + value - (value * BTC.maker_fee).quantize(
        Decimal("1e-8")
    )


def test_a_mere_touch_fills_part_of_a_resting_order() -> None:
    desk = Desk()
    _, _, low = _window(desk)
    order = desk.place(side="buy", orderType="limit", qty="0.010001", price=text(low * TICK))
    desk.advance(HOUR)  # the low of the hour equals the limit: a touch, never through
    touched = desk.info(order["orderId"])
    assert touched["orderStatus"] == "partially_filled"
    fraction = Decimal(defaults.TOUCH_FILL_FRACTION)
    expected = (Decimal("0.010001") * fraction).quantize(BTC.step, rounding="ROUND_FLOOR")
    assert Decimal(touched["cumExecQty"]) == expected
    assert desk.locked("USDT") == low * TICK * (Decimal("0.010001") - expected)


def test_resting_orders_fill_lazily_at_the_next_request_when_the_clock_moved_alone() -> None:
    desk = Desk()
    _, _, low = _window(desk)
    order = desk.place(side="buy", orderType="limit", qty="0.01", price=text((low + 1) * TICK))
    desk.clock.advance(HOUR)  # what a real clock does: no advance() call
    assert desk.trading.store.get(order["orderId"]).status == "live"  # type: ignore[union-attr]
    assert desk.info(order["orderId"])["orderStatus"] == "filled"


def test_orders_far_from_the_market_keep_resting() -> None:
    desk = Desk()
    _, bids = desk.book()
    order = desk.place(side="buy", orderType="limit", qty="0.01", price="50000")
    desk.advance(6 * HOUR)
    assert desk.info(order["orderId"])["orderStatus"] == "live"
    assert bids  # the band of the simulated market keeps BTC well above 60 000


# -- self-trade prevention (spec §5.7) --------------------------------------------------------


@pytest.fixture
def inside() -> tuple[Desk, dict, Decimal]:
    """A desk with an own sell of 0.05 resting inside the simulated spread."""
    desk = Desk()
    asks, bids = desk.book()
    assert asks[0][0] - bids[0][0] == 2 * TICK  # seed 7 at START: a two-tick spread
    price = bids[0][0] + TICK
    maker = desk.place(side="sell", orderType="limit", qty="0.05", price=text(price))
    assert maker["orderStatus"] == "live"
    return desk, maker, price


def _taker(desk: Desk, stp: str) -> dict:
    asks, _ = desk.book()
    return desk.place(
        side="buy", orderType="limit", qty="0.02", price=text(asks[0][0]), stpMode=stp
    )


def test_stp_none_trades_with_the_own_order_inside_the_spread_first(
    inside: tuple[Desk, dict, Decimal],
) -> None:
    desk, maker, price = inside
    taker = _taker(desk, "none")
    assert taker["orderStatus"] == "filled" and taker["avgPrice"] == str(price)
    (buy,) = desk.fills(taker["orderId"])
    (sell,) = desk.fills(maker["orderId"])
    assert (buy["tradeScope"], sell["tradeScope"]) == ("taker", "maker")
    assert buy["execLinkId"] == sell["execLinkId"]  # one trade, both sides ours
    assert desk.info(maker["orderId"])["orderStatus"] == "partially_filled"


def test_stp_cancel_taker_cancels_the_incoming_order_and_keeps_the_resting_one(
    inside: tuple[Desk, dict, Decimal],
) -> None:
    desk, maker, _ = inside
    taker = _taker(desk, "cancel_taker")
    assert taker["orderStatus"] == "cancelled" and taker["cancelReason"] == "stp_cancel"
    assert taker["cumExecQty"] == "0.000000" and taker["stpMode"] == "cancel_taker"
    assert desk.info(maker["orderId"])["orderStatus"] == "live"
    assert desk.locked("USDT") == 0


def test_stp_cancel_maker_cancels_the_resting_order_and_fills_on_the_market(
    inside: tuple[Desk, dict, Decimal],
) -> None:
    desk, maker, _ = inside
    asks, _ = desk.book()
    taker = _taker(desk, "cancel_maker")
    assert taker["orderStatus"] == "filled" and Decimal(taker["avgPrice"]) == asks[0][0]
    resting = desk.info(maker["orderId"])
    assert resting["orderStatus"] == "cancelled"
    assert resting["cancelReason"] == defaults.CANCEL_REASON_STP
    assert desk.locked("BTC") == 0


def test_stp_cancel_both_cancels_both_orders(inside: tuple[Desk, dict, Decimal]) -> None:
    desk, maker, _ = inside
    taker = _taker(desk, "cancel_both")
    assert taker["orderStatus"] == "cancelled" and taker["cumExecQty"] == "0.000000"
    assert desk.info(maker["orderId"])["orderStatus"] == "cancelled"
    assert desk.locked("BTC") == 0 and desk.locked("USDT") == 0
    assert desk.call("get_trade_fills", {})["list"] is None  # no fills: null (spec §10.2)


def test_stp_mode_defaults_to_the_account_setting(inside: tuple[Desk, dict, Decimal]) -> None:
    desk, _, _ = inside
    asks, _ = desk.book()
    taker = desk.place(side="buy", orderType="limit", qty="0.02", price=text(asks[0][0]))
    assert taker["stpMode"] == desk.venue.account.stp_mode == defaults.STP_MODE
