"""Random futures sequences keep the books straight in both hold modes: every margin coin
adds up (start + realised PnL + funding − fees), what is locked is exactly what open orders
and positions hold, close orders never exceed their positions, and a refusal changes
nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitget_nb.exchange.params import ExchangeError

from .desk import ETH_PERP, PERP, Desk

START = {"USDT": "20000", "BTC": "1", "ETH": "10"}
INSTRUMENTS = (PERP, ETH_PERP)
#: Refusals a random order may meet; anything else is a bug.
EXPECTED = {"25203", "22002", "25227", "25207", "25230", "25200", "25599", "25204", "25601"}

order = st.tuples(
    st.just("order"),
    st.sampled_from((0, 1)),  # instrument
    st.sampled_from(("buy", "sell")),
    st.sampled_from(("long", "short")),  # posSide in hedge mode
    st.sampled_from(("market", "limit")),
    st.sampled_from((-400, -30, -2, 0, 3, 60)),  # ticks past the best own-side price
    st.integers(1, 40),  # size in steps × 10
    st.sampled_from((False, False, True)),  # reduceOnly (one-way)
    st.booleans(),  # with an attached stop-loss (near enough to fire now and then)
)
actions = st.lists(
    st.one_of(
        order,
        order,
        order,
        st.tuples(st.just("advance"), st.integers(1, 6 * 3_600)),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("leverage"), st.sampled_from((0, 1)), st.sampled_from((2, 5, 25))),
        st.tuples(st.just("close"), st.sampled_from((0, 1))),
    ),
    min_size=5,
    max_size=25,
)


def _state(desk: Desk) -> Any:
    positions = [(p.key, p.size, p.cost, p.margin) for p in desk.trading.positions.open_positions()]
    return desk.snapshot(), positions


def _try(desk: Desk, endpoint: str, params: dict) -> None:
    before = _state(desk)
    try:
        desk.call(endpoint, params)
    except ExchangeError as exc:
        assert exc.code in EXPECTED, exc
        assert _state(desk) == before


def _run(desk: Desk, action: tuple, hedge: bool) -> None:
    kind = action[0]
    if kind == "advance":
        desk.advance(action[1] * 1000)
    elif kind == "cancel":
        open_orders = desk.trading.store.open_orders()
        if open_orders:
            target = open_orders[action[1] % len(open_orders)]
            desk.call("cancel_order", {"orderId": target.order_id})
    elif kind == "leverage":
        inst = INSTRUMENTS[action[1]]
        _try(desk, "set_leverage", {"category": inst.category, "symbol": inst.symbol,
                                    "leverage": str(action[2])})  # fmt: skip
    elif kind == "close":
        inst = INSTRUMENTS[action[1]]
        _try(desk, "close_all_positions", {"category": inst.category, "symbol": inst.symbol})
    else:
        _, which, side, pos_side, order_type, offset, size, reduce_only, with_sl = action
        inst = INSTRUMENTS[which]
        asks, bids = desk.book(inst)
        params = {"category": inst.category, "symbol": inst.symbol, "side": side,
                  "orderType": order_type, "qty": inst.qty_text(size * 10 * inst.step)}  # fmt: skip
        if order_type == "limit":
            best = (
                bids[0][0] + offset * inst.tick
                if side == "buy"
                else asks[0][0] - offset * inst.tick
            )
            params["price"] = inst.price_text(best)
        if hedge:
            params["posSide"] = pos_side
        elif reduce_only:
            params["reduceOnly"] = "yes"
        if with_sl:
            last = desk.price(inst)
            factor = Decimal("0.997") if side == "buy" else Decimal("1.003")
            params["stopLoss"] = inst.price_text(last * factor // inst.tick * inst.tick)
        _try(desk, "submit_new_order", params)


def _check(desk: Desk, hedge: bool) -> None:
    trading, futures = desk.trading, desk.trading.futures
    reserved = trading.reserved_by_coin()
    for coin, balance in desk.venue.account.balances.items():
        start = Decimal(START.get(coin, "0"))
        flows = (
            futures.realised_by_coin.get(coin, Decimal(0))
            + futures.funding_by_coin.get(coin, Decimal(0))
            - trading.fees_paid.get(coin, Decimal(0))
        )
        assert balance.total == start + flows, coin
        assert balance.locked == reserved.get(coin, Decimal(0)), coin
        assert balance.locked >= 0
    for order in trading.store.open_orders():
        inst = desk.venue.catalogue.get(order.category, order.symbol)
        assert inst is not None
        assert order.reserved == trading.settlement(order.category).requirement(order, inst)[1]
    positions = trading.positions.open_positions()
    for position in positions:
        assert position.size > 0 and position.margin > 0
        assert futures.frozen(position) <= position.size
    for inst in INSTRUMENTS:
        sides = {p.pos_side for p in positions if p.symbol == inst.symbol}
        assert hedge or len(sides) <= 1


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(actions, st.booleans())
def test_random_futures_sequences_conserve_margin_coins_and_lock_exactly_what_is_held(
    steps: list[tuple], hedge: bool
) -> None:
    desk = Desk(balances=START)
    if hedge:
        desk.hedge()
    for action in steps:
        _run(desk, action, hedge)
        _check(desk, hedge)
