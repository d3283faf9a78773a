"""Domain events: every state change is announced, in the order it happens, with a copy of the
changed object — so following the events alone rebuilds the account."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from bitget_nb.exchange.events import (
    BalanceChanged,
    ClockMoved,
    CountdownChanged,
    Event,
    FillRecorded,
    FundingSettled,
    HoldModeChanged,
    LeverageChanged,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderModified,
    OrderRelocked,
    OrderRested,
    PositionChanged,
    StrategyOrderChanged,
    TransferMade,
)

from .desk import BTC, PERP, Desk

ORDER_EVENTS = (
    OrderAccepted,
    OrderRested,
    OrderFilled,
    OrderModified,
    OrderCancelled,
    OrderRelocked,
)
HOUR = 3_600_000


def _kinds(events: list[Event]) -> list[str]:
    """Event type names with runs of one type collapsed (several fills of one execution)."""
    return [name for name, _ in itertools.groupby(type(e).__name__ for e in events)]


def _follow(desk: Desk) -> list[Event]:
    events: list[Event] = []
    desk.venue.subscribe(events.append)
    return events


def test_a_filled_futures_market_order_is_announced_order_fill_position_balance() -> None:
    desk = Desk()
    events = _follow(desk)
    desk.future(side="buy", orderType="market", qty="0.5")
    assert _kinds(events) == [
        "OrderAccepted",
        "BalanceChanged",  # the margin it locked while it matched
        "OrderFilled",
        "FillRecorded",
        "PositionChanged",
        "BalanceChanged",
    ]
    accepted, filled = events[0], events[2]
    assert isinstance(accepted, OrderAccepted) and accepted.order.status == "live"
    assert isinstance(filled, OrderFilled) and filled.order.status == "filled"
    position = next(e for e in events if isinstance(e, PositionChanged))
    assert position.position.size == Decimal("0.5") and not position.closed


def test_each_execution_of_a_spot_market_order_is_announced_order_fill_balances() -> None:
    desk = Desk()
    events = _follow(desk)
    desk.place(side="buy", orderType="market", qty="30000")  # walks several levels
    kinds = _kinds(events)
    assert kinds[:2] == ["OrderAccepted", "BalanceChanged"]
    executions = kinds[2:]
    # Every execution: the order, its fill, then the coins it moved; the last step finishes
    # the order and releases what it did not spend.
    assert executions[-2:] == ["OrderFilled", "BalanceChanged"]
    steps = executions[:-2]
    assert steps and len(steps) % 3 == 0
    assert steps == ["OrderFilled", "FillRecorded", "BalanceChanged"] * (len(steps) // 3)


def test_events_are_published_inside_the_venue_lock_with_copies() -> None:
    desk = Desk()
    owned: list[bool] = []
    orders = []

    def subscriber(event: Event) -> None:
        owned.append(desk.venue.lock._is_owned())  # type: ignore[attr-defined]
        if isinstance(event, OrderAccepted):
            orders.append(event.order)

    desk.venue.subscribe(subscriber)
    ack = desk.submit(side="buy", orderType="limit", qty="0.01", price="50000")
    desk.call("cancel_order", {"orderId": ack["orderId"]})
    assert owned and all(owned)
    assert orders[0].status == "live"  # a copy: the order itself is cancelled by now
    assert desk.trading.store.get(ack["orderId"]).status == "cancelled"


def test_moving_the_clock_is_announced_before_what_happened_meanwhile() -> None:
    desk = Desk()
    desk.submit(side="sell", orderType="limit", qty="0.01", price=_just_above(desk))
    events = _follow(desk)
    before = desk.now()
    desk.advance(HOUR)
    assert isinstance(events[0], ClockMoved)
    assert (events[0].from_ms, events[0].at_ms) == (before, before + HOUR)
    fills = [e for e in events if isinstance(e, FillRecorded)]
    assert fills and all(before < e.at_ms <= before + HOUR for e in fills)


def _just_above(desk: Desk) -> str:
    """A sell limit above the book that the market trades through within the next hour."""
    high, _ = desk.venue.market.extremes(BTC, desk.now() + 1000, desk.now() + HOUR)
    ask = desk.book(BTC)[0][0][0]
    return BTC.price_text(max(ask, (high - 1) * BTC.tick))


def _scenario(desk: Desk) -> None:
    """A bit of everything that changes state."""
    resting = desk.submit(side="buy", orderType="limit", qty="0.01", price="50000")
    desk.call("modify_order", {"orderId": resting["orderId"], "price": "51000"})
    desk.submit(side="sell", orderType="market", qty="0.02")
    desk.call("cancel_order", {"orderId": resting["orderId"]})
    price = desk.price(PERP)
    desk.future(side="buy", orderType="market", qty="0.1",
                stopLoss=PERP.price_text(price * Decimal("0.5")),
                takeProfit=PERP.price_text(price * Decimal("1.5")))  # fmt: skip
    desk.future(side="sell", orderType="limit", qty="0.05", reduceOnly="yes",
                price=PERP.price_text(price * Decimal("1.4")))  # fmt: skip
    desk.future(side="buy", orderType="limit", qty="0.01",
                price=PERP.price_text(price * Decimal("0.8")))  # fmt: skip
    # A new leverage re-sizes the position's margin and what the open limit order locks.
    desk.call("set_leverage", {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "leverage": "5"})
    desk.call("submit_strategy_order", {"category": "USDT-FUTURES", "symbol": "BTCUSDT",
              "posSide": "long", "tpslMode": "partial", "qty": "0.02",
              "stopLoss": PERP.price_text(price * Decimal("0.6"))})  # fmt: skip
    desk.call("copy_futures_transfer", {"type": "in", "coin": "USDT", "amount": "100"})
    desk.call("copy_futures_transfer", {"type": "out", "coin": "USDT", "amount": "40"})
    desk.call("countdown_cancel_all", {"countdown": "5"})
    desk.submit(side="buy", orderType="limit", qty="0.01", price="50001")
    desk.advance(10_000)  # the countdown cancels the open orders
    desk.advance(9 * HOUR)  # a funding time passes
    desk.call("close_all_positions", {"category": "USDT-FUTURES"})
    desk.hedge()


def _last(events: list[Event], kind: type, key: Any) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for event in events:
        if isinstance(event, kind):
            out[key(event)] = event
    return out


def test_the_account_rebuilt_from_its_events_is_the_account() -> None:
    desk = Desk()
    start = {
        coin: (b.available, b.locked, b.debt) for coin, b in desk.venue.account.balances.items()
    }
    events = _follow(desk)
    _scenario(desk)
    venue, trading = desk.venue, desk.trading
    kinds = {type(e) for e in events}
    for kind in (
        OrderRested,
        OrderCancelled,
        OrderModified,
        OrderRelocked,
        FundingSettled,
        TransferMade,
        StrategyOrderChanged,
        CountdownChanged,
        LeverageChanged,
        HoldModeChanged,
    ):
        assert kind in kinds, kind.__name__  # fmt: skip

    # Balances: start from what they were at subscription, apply every BalanceChanged.
    balances = dict(start)
    for event in events:
        if isinstance(event, BalanceChanged):
            b = event.balance
            balances[event.coin] = (b.available, b.locked, b.debt)
    now = {coin: (b.available, b.locked, b.debt) for coin, b in venue.account.balances.items()}
    assert balances == now

    # Orders: the last event of each order is the order as it stands.
    orders = {}
    for event in events:
        if isinstance(event, ORDER_EVENTS):
            orders[event.order.order_id] = event.order
    stored = {o.order_id: o for o in trading.store.newest_orders()}
    assert set(orders) == set(stored)
    for order_id, seen in orders.items():
        real = stored[order_id]
        assert (seen.status, seen.cum_exec_qty, seen.reserved, seen.price, seen.qty, seen.seq) == (
            real.status, real.cum_exec_qty, real.reserved, real.price, real.qty, real.seq
        ), order_id  # fmt: skip

    # Fills: every fill, once, in the order they were made.
    fills = [e.fill for e in events if isinstance(e, FillRecorded)]
    assert fills == list(reversed(list(trading.store.newest_fills())))

    # Positions: the last event of each position is the position as it stands.
    positions = _last(events, PositionChanged, lambda e: e.position.position_id)
    open_now = {p.position_id: p for p in trading.positions.open_positions()}
    closed_now = {p.position_id: p for p in trading.positions.newest_closed()}
    assert set(positions) == set(open_now) | set(closed_now)
    for position_id, event in positions.items():
        real = open_now.get(position_id) or closed_now[position_id]
        assert event.closed == (position_id in closed_now)
        seen = event.position
        assert (seen.size, seen.margin, seen.funding, seen.realised, seen.close_fee) == (
            real.size, real.margin, real.funding, real.realised, real.close_fee
        )  # fmt: skip

    # Strategy orders, transfers, the lead balance and the countdown.
    strategies = _last(events, StrategyOrderChanged, lambda e: e.strategy.order_id)
    for strategy in trading.strategies.orders():
        seen = strategies[strategy.order_id].strategy
        assert {k: leg.status for k, leg in seen.legs.items()} == {
            k: leg.status for k, leg in strategy.legs.items()
        }
        assert seen.qty == strategy.qty
    transfers = [e for e in events if isinstance(e, TransferMade)]
    assert [e.transfer for e in transfers] == venue.lead.transfers
    assert transfers[-1].lead_balance == venue.lead.balance("USDT")
    countdown = [e for e in events if isinstance(e, CountdownChanged)][-1].countdown
    assert (countdown.seconds, countdown.deadline_ms) == (
        trading.countdown.seconds,
        trading.countdown.deadline_ms,
    )
    hold = [e for e in events if isinstance(e, HoldModeChanged)][-1]
    assert hold.hold_mode == venue.account.hold_mode == "hedge_mode"


def test_nothing_is_announced_for_a_refused_order_or_a_read() -> None:
    desk = Desk()
    events = _follow(desk)
    desk.error("submit_new_order", {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy",
                                    "orderType": "limit", "qty": "0.01", "price": "1"})  # fmt: skip
    desk.call("get_balances", {})
    desk.call("get_unfilled_orders", {})
    assert events == []


def test_unsubscribing_stops_the_events() -> None:
    desk = Desk()
    events: list[Event] = []
    unsubscribe = desk.venue.subscribe(events.append)
    desk.submit(side="buy", orderType="limit", qty="0.01", price="50000")
    seen = len(events)
    unsubscribe()
    desk.submit(side="buy", orderType="limit", qty="0.01", price="50000")
    assert seen > 0 and len(events) == seen
