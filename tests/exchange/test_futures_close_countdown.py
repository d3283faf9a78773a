"""close-positions (spec §4.1.8, §5.5) and the countdown switch (spec §4.1.9, §5.6, §9 #8)."""

from __future__ import annotations

from decimal import Decimal

from bitget_nb.exchange import defaults

from .desk import ETH_PERP, PERP, Desk

FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
SECOND = 1000


def _far_bid(desk: Desk, **fields: str) -> dict:
    return desk.place(side="buy", orderType="limit", qty="0.01", price="50000", **fields)


# -- close-positions -----------------------------------------------------------------------------


def test_close_positions_closes_each_selected_position_with_a_market_order() -> None:
    desk = Desk()
    desk.hedge()
    desk.future(side="buy", orderType="market", qty="0.2", posSide="long")
    desk.future(side="sell", orderType="market", qty="0.1", posSide="short")
    desk.future(ETH_PERP, side="buy", orderType="market", qty="1", posSide="long")
    # Only the BTCUSDT short.
    result = desk.call("close_all_positions", {**FUT, "posSide": "short"})
    (row,) = result["list"]
    close = desk.info(row["orderId"])
    assert (close["orderType"], close["side"], close["posSide"], close["orderStatus"]) == (
        "market",
        "buy",
        "short",
        "filled",
    )
    assert set(desk.positions()) == {"long"}
    # Everything else of the category.
    result = desk.call("close_all_positions", {"category": "usdt-futures"})
    # successful items carry the ids only (spec §10.2)
    assert len(result["list"]) == 2 and all(
        set(r) == {"orderId", "clientOid"} for r in result["list"]
    )
    assert desk.call("get_current_position", {"category": "USDT-FUTURES"}) == {"list": None}


def test_close_positions_cancels_the_open_close_orders_first() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.2")
    resting = desk.future(side="sell", orderType="limit", qty="0.1", price="80000.0",
                          reduceOnly="yes")  # fmt: skip
    desk.call("close_all_positions", {"category": "USDT-FUTURES"})
    info = desk.info(resting["orderId"])
    assert (info["orderStatus"], info["cancelReason"]) == (
        "cancelled",
        defaults.CANCEL_REASON_CLOSE_POSITIONS,
    )
    assert desk.positions() == {}


def test_close_positions_splits_a_position_beyond_the_market_order_maximum() -> None:
    desk = Desk(balances={"USDT": "10000000"})
    now = desk.now()
    _, low = desk.venue.market.extremes(PERP, now + SECOND, now + 3_600_000)
    desk.future(
        side="buy", orderType="limit", qty="300", price=PERP.price_text((low + 50) * PERP.tick)
    )
    desk.advance(3_600_000)
    assert desk.positions()["long"]["total"] == "300.0000"
    result = desk.call("close_all_positions", {"category": "USDT-FUTURES"})
    sizes = [desk.info(r["orderId"])["qty"] for r in result["list"]]
    assert sizes == ["220.0000", "80.0000"]  # maxMarketOrderQty 220, one row per order
    assert desk.positions() == {}


def test_close_positions_with_nothing_to_close_is_22002() -> None:
    desk = Desk()
    error = desk.error("close_all_positions", {"category": "USDT-FUTURES"})
    assert error.code == "22002"
    desk.future(side="buy", orderType="market", qty="0.01")
    error = desk.error("close_all_positions", {**FUT, "posSide": "short"})
    assert error.code == "22002"
    assert desk.error("close_all_positions", {"category": "SPOT"}).code == "25200"


# -- countdown ------------------------------------------------------------------------------------


def test_re_arming_the_countdown_keeps_orders_alive_and_expiry_cancels_them() -> None:
    desk = Desk()
    order = _far_bid(desk)
    start = desk.now()
    assert desk.call("countdown_cancel_all", {"countdown": "10"}) == "success"
    countdown = desk.trading.countdown
    assert countdown.armed and countdown.deadline_ms == start + 10 * SECOND
    desk.advance(5 * SECOND)
    desk.call("countdown_cancel_all", {"countdown": "10"})  # a heartbeat
    assert countdown.deadline_ms == start + 15 * SECOND
    desk.advance(9 * SECOND)
    assert desk.info(order["orderId"])["orderStatus"] == "live"
    desk.advance(1 * SECOND)  # exactly at the deadline
    info = desk.info(order["orderId"])
    assert (info["orderStatus"], info["cancelReason"]) == (
        "cancelled",
        defaults.CANCEL_REASON_COUNTDOWN,
    )
    assert int(info["updatedTime"]) == start + 15 * SECOND
    assert not countdown.armed and countdown.deadline_ms is None
    # Disarmed: later orders live on.
    later = _far_bid(desk)
    desk.advance(120 * SECOND)
    assert desk.info(later["orderId"])["orderStatus"] == "live"


def test_countdown_expiry_cancels_normal_orders_of_every_category_not_strategy_orders() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.1", stopLoss="60000")
    spot = _far_bid(desk)
    futures = desk.future(side="buy", orderType="limit", qty="0.1", price="50000.0")
    desk.call("countdown_cancel_all", {"countdown": "5"})
    desk.advance(5 * SECOND)
    assert desk.call("get_unfilled_orders", {}) == {"list": [], "cursor": None}
    assert desk.info(spot["orderId"])["cancelReason"] == defaults.CANCEL_REASON_COUNTDOWN
    assert desk.info(futures["orderId"])["cancelReason"] == defaults.CANCEL_REASON_COUNTDOWN
    assert [r["status"] for r in desk.strategy_rows()] == ["pending"]
    assert desk.positions()["long"]["total"] == "0.1000"


def test_zero_disarms_the_countdown() -> None:
    desk = Desk()
    order = _far_bid(desk)
    desk.call("countdown_cancel_all", {"countdown": "5"})
    assert desk.call("countdown_cancel_all", {"countdown": "0"}) == "success"
    assert not desk.trading.countdown.armed
    desk.advance(60 * SECOND)
    assert desk.info(order["orderId"])["orderStatus"] == "live"


def test_an_order_the_market_reaches_after_the_deadline_is_cancelled_not_filled() -> None:
    desk = Desk()
    now = desk.now()
    window = 3_600_000
    _, low = desk.venue.market.extremes(PERP, now + SECOND, now + window)
    price = (low + 20) * PERP.tick
    reached = desk.venue.market.first_reach(
        PERP, now + SECOND, now + window, low + 20, direction="down", strict=True
    )
    assert reached is not None and reached - now > 60 * SECOND
    order = desk.future(side="buy", orderType="limit", qty="0.01", price=PERP.price_text(price))
    desk.call("countdown_cancel_all", {"countdown": "60"})
    desk.advance(window)
    info = desk.info(order["orderId"])
    assert (info["orderStatus"], info["cumExecQty"]) == ("cancelled", "0.0000")
    assert desk.positions() == {}


def test_with_a_clock_that_moves_on_its_own_the_deadline_is_checked_at_each_request() -> None:
    # A real clock moves without ``advance``: each request catches up first, to the ms.
    desk = Desk()
    desk.clock.advance(500)
    order = _far_bid(desk)
    desk.call("countdown_cancel_all", {"countdown": "5"})
    desk.clock.advance(5 * SECOND - 100)  # 100 ms before the deadline
    assert desk.info(order["orderId"])["orderStatus"] == "live"
    desk.clock.advance(100)  # the deadline, inside a second already processed
    assert desk.info(order["orderId"])["orderStatus"] == "cancelled"
    assert Decimal(desk.info(order["orderId"])["updatedTime"]) % SECOND == 500
