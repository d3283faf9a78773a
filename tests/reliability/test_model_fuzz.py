"""Fuzzing the request inputs: every input is either refused locally with a
``ValidationError`` naming a field, or sent and accepted by the exchange — or refused by it
only for a reason the client could not have known (state it does not hold, a price it did
not ask for). Never another exception, never a refusal the client's checks could have made.

The client has every category's instruments loaded, so its tick / lot / minimum checks run;
the exchange is a real one (rate limits off), reset between examples.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bitget_nb as bg
from bitget_nb.errors import BitgetAPIError, ValidationError
from bitget_nb.models import PlaceOrderRequestV3, SeedAliasWarning, StrategyOrderRequestV3

from .conftest import START

CATEGORIES = ("SPOT", "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")
FUTURES = CATEGORIES[1:]


@dataclass(frozen=True)
class Allowed:
    """A refusal the client cannot foresee: ``code``, an optional pattern its message must
    match, and why the client could not have known."""

    code: str
    why: str
    pattern: str = ""
    market_only: bool = False

    def matches(self, exc: BitgetAPIError, payload: dict[str, Any]) -> bool:
        if exc.code != self.code or (self.pattern and not re.search(self.pattern, exc.msg)):
            return False
        return not self.market_only or payload.get("orderType") == "market"


#: The exchange may refuse a well-formed request only for these reasons.
ALLOWED = (
    Allowed("25202", "balance: account state"),
    Allowed("25203", "margin: account state"),
    Allowed("25212", "an open order already uses this clientOid: order state"),
    Allowed("22002", "no position to close: position state"),
    Allowed("25601", "no position to protect: position state"),
    Allowed("25227", "more than the position to close: position state"),
    Allowed("25230", "beyond the maximum position: position state"),
    Allowed("25599", "too many TP/SL orders on the position: order state"),
    Allowed("40761", "too many open orders: order state"),
    # a market order's value and its TP/SL levels are judged at the last price, which the
    # client does not hold
    Allowed("25207", "market order value at the last price", r"last price", market_only=True),
    Allowed("25200", "TP/SL level against the last price", r"the last price", market_only=True),
    Allowed("25200", "TP/SL level against the trigger price", r"current trigger price"),
    Allowed("25200", "a partial TP/SL beyond the position: position state", r"position of"),
)

#: Cancels and modifies name an order: whether it exists and is open is order state.
ID_ALLOWED = (
    Allowed("25204", "no such open order: order state"),
    Allowed("25571", "the new price and qty equal the order's: order state"),
)

#: What each fuzz test saw, for ``bench/fuzz_counts.py`` and the failure messages.
SEEN: Counter[str] = Counter()
#: Which field each local refusal named.
WHY: Counter[str] = Counter()


@dataclass(repr=False)
class Venue:
    exchange: bg.LocalExchange
    client: bg.BitgetClient
    prices: dict[tuple[str, str], Decimal]
    symbols: dict[str, list[str]]
    hold_mode: str

    def reset(self) -> None:
        """Cancel every order and close every position (directly on the venue)."""
        ex = self.exchange
        for category in CATEGORIES:
            ex.venue.call("cancel_all_orders", {"category": category}, ex.trader)
        for category in FUTURES:
            if ex.venue.trading.positions.open_positions(category):
                ex.venue.call("close_all_positions", {"category": category}, ex.trader)
        strategies = ex.venue.trading.strategies
        for order in strategies.orders():
            if order.pending:
                ex.venue.call("cancel_strategy_order", {"orderId": order.order_id}, ex.trader)


def _venue(hold_mode: str) -> Iterator[Venue]:
    balances = {"USDT": "10000000", "USDC": "1000000", "BTC": "100", "ETH": "1000", "SOL": "100000"}
    with bg.LocalExchange(seed=7, start_time=START, rate_limits=False, balances=balances) as ex:
        client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url, rate_limit=False)
        prices, symbols = {}, {}
        for category in CATEGORIES:
            client.get_instruments(category=category)
            tickers = client.get_tickers(category=category)
            symbols[category] = list(tickers["symbol"])
            for row in tickers.to_dict("records"):
                prices[(category, row["symbol"])] = Decimal(str(row["lastPrice"]))
        if hold_mode == "hedge_mode":
            client.set_hold_mode(holdMode="hedge_mode")
        yield Venue(ex, client, prices, symbols, hold_mode)
        client.close()


@pytest.fixture(scope="module")
def one_way() -> Iterator[Venue]:
    yield from _venue("one_way_mode")


@pytest.fixture(scope="module")
def hedge() -> Iterator[Venue]:
    yield from _venue("hedge_mode")


# -- strategies ---------------------------------------------------------------------------------
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.1, 1e-5, 0.5, 2.0, 1e21, -0.0]),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)


def _forms(value: Decimal) -> st.SearchStrategy[Any]:
    """``value`` in the forms the client takes: text (padded or not), Decimal, an int when
    whole, a float when it is exactly the number."""
    text = format(value, "f")
    forms: list[Any] = [text, value, f" {text} "]
    if value == value.to_integral_value():
        forms.append(int(value))
    if Decimal(float(value)) == value:
        forms.append(float(value))
    return st.sampled_from(forms)


def _bad_forms(value: Decimal) -> st.SearchStrategy[Any]:
    """``value`` in forms that must be refused: signed, exponent, an inexact float."""
    return st.sampled_from(["+" + format(value, "f"), format(value, "E"), float(value) + 1e-9])


def _on_grid(base: Decimal, unit: Decimal, low: float = 0.9, high: float = 1.1):
    """Values on the ``unit`` grid between ``low``×``base`` and ``high``×``base``."""
    return st.floats(low, high).map(
        lambda f: max(unit, (base * Decimal(str(round(f, 5))) / unit).to_integral_value() * unit)
    )


def _number(base: Decimal, unit: Decimal, *, wild: bool) -> st.SearchStrategy[Any]:
    """Numbers around ``base`` on the ``unit`` grid, in the forms a user types; ``wild``:
    off the grid, zero, negative, huge, or not a number at all."""
    if not wild:
        return _on_grid(base, unit).flatmap(_forms)
    return st.one_of(
        _on_grid(base, unit).map(lambda d: d + unit / 7).flatmap(_forms),
        _on_grid(base, unit).flatmap(_bad_forms),
        st.sampled_from([Decimal(0), -base, base * 10**9, unit / 10]).flatmap(_forms),
        JUNK,
    )


def _word(choices: tuple[str, ...], *, wild: bool = False) -> st.SearchStrategy[Any]:
    if not wild:  # enums are case-insensitive; the seed docs' aliases are taken as written
        return st.sampled_from(choices + tuple(c.upper() for c in choices if "_" not in c))
    return st.one_of(st.sampled_from(choices).map(lambda w: f" {w}x "), JUNK)


Field = tuple[str, Callable[[bool], st.SearchStrategy[Any]], float]


@st.composite
def _mapping(draw: Callable, fields: list[Field]) -> dict[str, Any]:
    """Each field present with its probability; most examples well-formed, some with one or
    two fields made wild (wrong type, off-grid, junk), and sometimes an unknown field."""
    wild = draw(
        st.one_of(
            st.just(set()),
            st.just(set()),
            st.just(set()),
            st.sets(st.sampled_from([f[0] for f in fields]), min_size=1, max_size=2),
        )
    )
    out: dict[str, Any] = {}
    for name, strategy, p in fields:
        if name in wild or draw(st.integers(0, 99)) < round(p * 100):
            out[name] = draw(strategy(name in wild))
    if draw(st.integers(0, 40)) == 0:
        out[draw(st.sampled_from(["leverage", "Qty", "price ", "takeProfitPrice"]))] = draw(JUNK)
    return out


@st.composite
def order_mappings(draw: Callable, venue: Venue) -> dict[str, Any]:
    """A place-order mapping: mostly sensible, a field or two sometimes wrong or missing."""
    category = draw(st.sampled_from(CATEGORIES))
    symbol = draw(st.sampled_from(venue.symbols[category]))
    price = venue.prices[(category, symbol)]
    rules = venue.client.instrument_rules(category, symbol)
    assert rules.tick is not None and rules.step is not None
    lots = max(rules.min_qty or rules.step, Decimal(10) / price)
    side = draw(st.sampled_from(["buy", "sell"]))
    order_type = draw(st.sampled_from(["limit", "market"]))
    futures = category in FUTURES
    hedge = venue.hold_mode == "hedge_mode"
    quote_sized = category == "SPOT" and side == "buy" and order_type == "market"
    up, down = (
        (Decimal("1.05"), Decimal("0.95")) if side == "buy" else (Decimal("0.95"), Decimal("1.05"))
    )
    opening = "long" if side == "buy" else "short"
    closing = "short" if side == "buy" else "long"
    legs = futures and draw(st.integers(0, 3)) == 0  # an attached TP/SL (futures only)
    tp_limit, sl_limit = legs and draw(st.booleans()), legs and draw(st.booleans())
    tp = sl = 0.0
    if legs:
        tp, sl = draw(st.sampled_from([(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]))
    fields: list[Field] = [
        ("category", lambda w: _word((category,), wild=w), 0.99),
        (
            "symbol",
            lambda w: (
                st.sampled_from([symbol, symbol.lower()])
                if not w
                else st.one_of(st.sampled_from(["NOPE", "", "BTCUSDT", "BTCUSD"]), JUNK)
            ),
            0.99,
        ),
        ("side", lambda w: _word((side,), wild=w), 0.99),
        ("orderType", lambda w: _word((order_type,), wild=w), 0.99),
        (
            "qty",
            lambda w: (
                _number(Decimal(50), Decimal("0.01"), wild=w)
                if quote_sized
                else _number(lots * 3, rules.step, wild=w)
            ),
            0.99,
        ),
        (
            "price",
            lambda w: _number(price, rules.tick, wild=w),
            0.97 if order_type == "limit" else 0.02,
        ),
        (
            "timeInForce",
            lambda w: _word(("gtc", "ioc", "fok", "post_only"), wild=w),
            0.3 if order_type == "limit" else 0.05,
        ),
        (
            "posSide",
            lambda w: _word((opening, opening, closing), wild=w),
            (0.97 if hedge else 0.03) if futures else 0.02,
        ),
        ("marginMode", lambda w: _word(("crossed",), wild=w), 0.1 if futures else 0.02),
        (
            "reduceOnly",
            lambda w: (
                _word(("yes", "no"), wild=w) if w else st.sampled_from(["yes", "no", True, False])
            ),
            0.15 if futures else 0.02,
        ),
        (
            "clientOid",
            lambda w: (
                st.text("abcXYZ019.:/_-", min_size=1, max_size=32)
                if not w
                else st.one_of(st.text(max_size=40), JUNK)
            ),
            0.3,
        ),
        (
            "stpMode",
            lambda w: _word(("none", "cancel_taker", "cancel_maker", "cancel_both"), wild=w),
            0.1,
        ),
        ("takeProfit", lambda w: _number(price * up, rules.tick, wild=w), tp or 0.01),
        ("stopLoss", lambda w: _number(price * down, rules.tick, wild=w), sl or 0.01),
        (
            "tpTriggerBy",
            lambda w: _word(("market", "mark", "mark_price", "last_price"), wild=w),
            0.3 * tp,
        ),
        ("slTriggerBy", lambda w: _word(("market", "mark", "fill_price"), wild=w), 0.3 * sl),
        (
            "tpOrderType",
            lambda w: _word(("limit",) if tp_limit else ("market",), wild=w),
            1.0 if tp_limit else 0.3 * tp,
        ),
        ("tpLimitPrice", lambda w: _number(price * up, rules.tick, wild=w), float(tp_limit)),
        (
            "slOrderType",
            lambda w: _word(("limit",) if sl_limit else ("market",), wild=w),
            1.0 if sl_limit else 0.3 * sl,
        ),
        ("slLimitPrice", lambda w: _number(price * down, rules.tick, wild=w), float(sl_limit)),
    ]
    out = draw(_mapping(fields))
    if futures and "takeProfit" not in out and draw(st.integers(0, 20)) == 0:
        out["takeProfitPrice"] = format(rules.round_price(price * up), "f")  # the seed's name
        out["stopLossTriggerType"] = draw(st.sampled_from(["mark_price", "last_price"]))
    return out


@st.composite
def strategy_mappings(draw: Callable, venue: Venue) -> tuple[str, str, dict[str, Any]]:
    """(category, symbol, a place-strategy-order mapping for them)."""
    category = draw(st.sampled_from(FUTURES))
    symbol = draw(st.sampled_from(venue.symbols[category]))
    price = venue.prices[(category, symbol)]
    rules = venue.client.instrument_rules(category, symbol)
    assert rules.tick is not None and rules.step is not None
    pos_side = draw(st.sampled_from(["long", "short"]))
    up, down = (
        (Decimal("1.05"), Decimal("0.95"))
        if pos_side == "long"
        else (Decimal("0.95"), Decimal("1.05"))
    )
    fields: list[Field] = [
        ("category", lambda w: _word((category,), wild=w), 0.99),
        (
            "symbol",
            lambda w: (
                st.just(symbol)
                if not w
                else st.one_of(st.sampled_from(["NOPE", "BTCUSDT", "BTCUSD", "ETHPERP"]), JUNK)
            ),
            0.99,
        ),
        ("posSide", lambda w: _word((pos_side,), wild=w), 0.97),
        ("tpslMode", lambda w: _word(("full", "partial"), wild=w), 0.7),
        ("qty", lambda w: _number(rules.step * 10, rules.step, wild=w), 0.6),
        ("takeProfit", lambda w: _number(price * up, rules.tick, wild=w), 0.6),
        ("stopLoss", lambda w: _number(price * down, rules.tick, wild=w), 0.6),
        ("tpTriggerBy", lambda w: _word(("market", "mark"), wild=w), 0.2),
        ("slOrderType", lambda w: _word(("limit", "market"), wild=w), 0.1),
        ("slLimitPrice", lambda w: _number(price * down, rules.tick, wild=w), 0.1),
        ("type", lambda w: _word(("tpsl",), wild=w), 0.1),
        (
            "clientOid",
            lambda w: st.text("abc019-", min_size=1, max_size=12) if not w else JUNK,
            0.3,
        ),
    ]
    return category, symbol, draw(_mapping(fields))


# -- the property -------------------------------------------------------------------------------
def _send(
    name: str,
    build: Callable[[], Any],
    send: Callable[[Any], Any],
    payload: Callable[[Any], dict[str, Any]],
    allowed: tuple[Allowed, ...] = ALLOWED,
) -> None:
    """Build, then send: ValidationError naming a field, a success, or an allowed refusal."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeedAliasWarning)  # the seed names are fuzzed too
            request = build()
    except ValidationError as exc:
        assert exc.field, f"ValidationError without a field: {exc}"
        SEEN[f"{name}: refused locally"] += 1
        WHY[f"{name}: {exc.field}"] += 1
        return
    try:
        send(request)
    except ValidationError as exc:  # the client's own instrument / hold-mode checks
        assert exc.field, f"ValidationError without a field: {exc}"
        SEEN[f"{name}: refused locally"] += 1
        WHY[f"{name}: {exc.field} (client check)"] += 1
        return
    except BitgetAPIError as exc:
        sent = payload(request)
        assert any(rule.matches(exc, sent) for rule in allowed), (
            f"the exchange refused {sent} with [{exc.code}] {exc.msg}: a reason the client "
            "could have known"
        )
        SEEN[f"{name}: refused by the exchange ({exc.code})"] += 1
        return
    SEEN[f"{name}: accepted"] += 1


#: ``BITGET_NB_FUZZ_SCALE=4`` runs four times the examples, with fresh random draws (the
#: default run is derandomized: the same few hundred cases every time).
SCALE = float(os.environ.get("BITGET_NB_FUZZ_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, round(n * SCALE))


FUZZ = settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=SCALE == 1,
)


def _place(venue: Venue, fields: dict[str, Any]) -> None:
    venue.reset()
    _send(
        "place-order",
        lambda: PlaceOrderRequestV3.from_mapping(fields),
        venue.client.submit_new_order,
        lambda req: req.to_payload(),
    )


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_order_inputs_are_refused_locally_or_accepted_in_one_way_mode(one_way, data):
    _place(one_way, data.draw(order_mappings(one_way)))


@pytest.mark.slow
@settings(FUZZ, max_examples=examples(120))
@given(data=st.data())
def test_order_inputs_are_refused_locally_or_accepted_in_hedge_mode(hedge, data):
    _place(hedge, data.draw(order_mappings(hedge)))


@settings(FUZZ, max_examples=examples(120))
@given(data=st.data(), side=st.sampled_from(["buy", "sell"]))
def test_strategy_order_inputs_are_refused_locally_or_accepted(one_way, data, side):
    venue = one_way
    category, symbol, fields = data.draw(strategy_mappings(venue))
    venue.reset()
    if data.draw(st.booleans()):  # a position to protect
        lot = venue.client.instrument_rules(category, symbol).min_qty
        venue.client.submit_new_order(
            category=category, symbol=symbol, side=side, orderType="market", qty=lot * 20
        )
    _send(
        "place-strategy-order",
        lambda: StrategyOrderRequestV3.from_mapping(fields),
        venue.client.submit_strategy_order,
        lambda req: req.to_payload(),
    )


ID_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "orderId": st.one_of(st.just("live"), st.text("0123456789", min_size=1, max_size=20), JUNK),
        "clientOid": st.one_of(
            st.just("live-1"), st.text("abc019-", min_size=1, max_size=12), JUNK
        ),
        "category": st.booleans().flatmap(lambda w: _word(CATEGORIES, wild=w)),
        "symbol": st.one_of(st.sampled_from(["BTCUSDT", "ETHUSDT", "NOPE"]), JUNK),
        "price": st.booleans().flatmap(lambda w: _number(Decimal(60000), Decimal("0.01"), wild=w)),
        "qty": st.booleans().flatmap(lambda w: _number(Decimal("0.01"), Decimal("0.0001"), wild=w)),
    },
)


@settings(FUZZ, max_examples=examples(120))
@given(fields=ID_FIELDS, action=st.sampled_from(["cancel", "modify", "both"]))
def test_cancel_and_modify_inputs_are_refused_locally_or_answered(one_way, fields, action):
    venue = one_way
    venue.reset()
    client = venue.client
    # a live order the fuzz may hit by its ids
    live = client.submit_new_order(
        category="SPOT",
        symbol="BTCUSDT",
        side="buy",
        orderType="limit",
        qty="0.001",
        price="50000.00",
        clientOid="live-1",
    )
    if fields.get("orderId") == "live":
        fields["orderId"] = live["orderId"]
    calls = {
        "cancel": [client.cancel_order],
        "modify": [client.modify_order],
        "both": [client.modify_order, client.cancel_order],
    }[action]
    for call in calls:
        _send(
            call.__name__,
            lambda: dict(fields),
            lambda payload, call=call: call(payload),
            lambda payload: payload,
            ALLOWED + ID_ALLOWED,
        )
