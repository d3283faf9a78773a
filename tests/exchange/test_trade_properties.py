"""Random order sequences keep the books straight: every coin adds up exactly, nothing goes
negative, and what is locked is exactly what the open orders need."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitget_nb.exchange.params import ExchangeError

from .desk import CATALOGUE, Desk

START_BALANCES = {"USDT": "20000", "BTC": "0.3", "ETH": "4"}
SYMBOLS = ("BTCUSDT", "ETHUSDT")

place_limit = st.tuples(
    st.just("limit"),
    st.sampled_from(SYMBOLS),
    st.sampled_from(("buy", "sell")),
    # Ticks past the best price of the order's own side (positive = more aggressive): a few
    # ticks make partial fills, thousands rest until the market comes (or sweep the book).
    st.sampled_from((-2_000, -300, -40, -3, -1, 0, 1, 2, 3, 40, 300, 2_000)),
    st.integers(1, 60),  # size, in units of 300 × minOrderQty
    st.sampled_from(("gtc", "gtc", "ioc", "fok", "post_only")),
    st.sampled_from(("none", "none", "cancel_taker", "cancel_maker", "cancel_both")),
)
place_market = st.tuples(
    st.just("market"), st.sampled_from(SYMBOLS), st.sampled_from(("buy", "sell")),
    st.integers(1, 40),
)  # fmt: skip
# A resting order at the best own-side price, then an opposite taker at that price: the two
# meet, so self-trades and every stpMode get exercised.
self_cross = st.tuples(
    st.just("self"),
    st.sampled_from(SYMBOLS),
    st.sampled_from(("buy", "sell")),
    st.integers(1, 40),
    st.integers(1, 60),
    st.sampled_from(("none", "cancel_taker", "cancel_maker", "cancel_both")),
)
cancel = st.tuples(st.just("cancel"), st.integers(0, 50))
advance = st.tuples(st.just("advance"), st.integers(1, 4 * 3_600))

actions = st.lists(
    st.one_of(place_limit, place_limit, place_market, self_cross, cancel, advance),
    min_size=8,
    max_size=30,
)


def _submit(desk: Desk, **params: str) -> None:
    """Place an order; a refusal (not enough balance, a market order below the minimum
    amount) must change nothing at all."""
    before = desk.snapshot()
    try:
        desk.submit(**params)
    except ExchangeError as exc:
        assert exc.code in ("25202", "25207"), exc
        assert desk.snapshot() == before


def _run(desk: Desk, action: tuple) -> None:
    kind = action[0]
    if kind == "advance":
        desk.advance(action[1] * 1_000)
        return
    if kind == "cancel":
        open_orders = desk.trading.store.open_orders()
        if open_orders:
            order = open_orders[action[1] % len(open_orders)]
            desk.call("cancel_order", {"orderId": order.order_id})
        return
    symbol = action[1]
    inst = CATALOGUE.get("SPOT", symbol)
    assert inst is not None
    asks, bids = desk.book(inst)
    if kind == "self":
        _, _, side, maker_size, taker_size, stp = action
        if side == "buy":  # inside a two-tick spread, else at the best bid (behind the market)
            price = max(bids[0][0], asks[0][0] - inst.tick)
        else:
            price = min(asks[0][0], bids[0][0] + inst.tick)
        common = {"symbol": symbol, "orderType": "limit", "price": inst.price_text(price)}
        _submit(desk, side=side, qty=inst.qty_text(maker_size * 100 * inst.min_qty), **common)
        other = "sell" if side == "buy" else "buy"
        taker_qty = inst.qty_text(taker_size * 300 * inst.min_qty)
        _submit(desk, side=other, qty=taker_qty, stpMode=stp, **common)
        return
    if kind == "market":
        _, _, side, size = action
        qty = str(size * 100) if side == "buy" else inst.qty_text(size * 200 * inst.min_qty)
        params = {"side": side, "orderType": "market", "qty": qty}
    else:
        _, _, side, offset, size, tif, stp = action
        if side == "buy":
            price = bids[0][0] + offset * inst.tick
        else:
            price = asks[0][0] - offset * inst.tick
        params = {
            "side": side, "orderType": "limit", "price": inst.price_text(price),
            "qty": inst.qty_text(size * 300 * inst.min_qty), "timeInForce": tif, "stpMode": stp,
        }  # fmt: skip
    _submit(desk, symbol=symbol, **params)


def _check(desk: Desk) -> None:
    trading = desk.trading
    balances = desk.venue.account.balances
    flows: dict[str, Decimal] = {coin: Decimal(value) for coin, value in START_BALANCES.items()}
    fees: dict[str, Decimal] = {}
    for fill in trading.store.newest_fills():
        inst = CATALOGUE.get(fill.category, fill.symbol)
        assert inst is not None
        sign = 1 if fill.side == "buy" else -1
        flows[inst.base_coin] = flows.get(inst.base_coin, Decimal(0)) + sign * fill.exec_qty
        flows[inst.quote_coin] = flows.get(inst.quote_coin, Decimal(0)) - sign * fill.exec_value
        fees[fill.fee_coin] = fees.get(fill.fee_coin, Decimal(0)) + fill.fee
        assert fill.fee >= 0
    assert {c: f for c, f in fees.items() if f} == {c: f for c, f in trading.fees_paid.items() if f}
    reserved = trading.reserved_by_coin()
    for coin, balance in balances.items():
        assert balance.available >= 0 and balance.locked >= 0, coin
        # Conservation: what the account started with and traded = what it holds + fees paid.
        assert balance.total + fees.get(coin, Decimal(0)) == flows.get(coin, Decimal(0)), coin
        assert balance.locked == reserved.get(coin, Decimal(0)), coin
    for order in trading.store.open_orders():
        inst = CATALOGUE.get(order.category, order.symbol)
        assert inst is not None
        coin, need = trading.settlement(order.category).requirement(order, inst)
        assert (coin, order.reserved) == (order.reserve_coin, need)
    for order in trading.store.newest_orders():
        assert order.cum_exec_qty <= order.qty or order.quote_sized
        if not order.is_open:
            assert order.reserved == 0


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(actions)
def test_random_order_sequences_conserve_every_coin_and_lock_exactly_what_is_needed(
    steps: list[tuple],
) -> None:
    desk = Desk(balances=START_BALANCES)
    for action in steps:
        _run(desk, action)
        _check(desk)
