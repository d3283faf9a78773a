"""One matching engine per instrument: price-time priority over the simulated market's
liquidity and the account's own resting orders.

The engine only *plans*: given an incoming (taker) order it returns the executions and the
self-trade-prevention cancellations that price-time priority gives, without touching any
order or balance. Order entry (:mod:`.entry`) applies the plan through the category's
settlement, which keeps a fill-or-kill dry run and a real run the same code.

Liquidity on the opposite side, best first:

* the market's book (:meth:`.marketdata.MarketData.book`) at the current second, less what earlier
  orders took in that same second (the book is redrawn every second);
* the account's own resting orders, by price then time (``Order.seq``). Own orders strictly
  inside the simulated spread are the best level; at an equal price the simulated liquidity
  goes first (:data:`defaults.SYNTHETIC_FIRST_AT_EQUAL_PRICE`).

Own orders meet the taker's ``stpMode`` (spec §4.1.1, §5.7): ``none`` trades with itself,
``cancel_taker`` stops the taker there, ``cancel_maker`` cancels the resting order and goes
on, ``cancel_both`` cancels both. Whose mode decides is [unverified] (the spec says which side
is cancelled, not whose mode decides): the incoming order's, and an order sent without
``stpMode`` takes the account's setting.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from . import defaults
from .instruments import Instrument
from .marketdata import Book, MarketData
from .orders import Order

__all__ = ["Books", "Level", "MatchingEngine", "Plan", "Step"]

#: Levels of the market's book the engine matches against (the deepest the API serves).
BOOK_LEVELS = defaults.ORDERBOOK_LIMIT_MAX

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Level:
    """Simulated liquidity at one price: ``size`` base still available this second."""

    price: Decimal
    size: Decimal
    ticks: int


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a plan: trade ``qty`` at ``price`` with ``maker`` (``None`` = the
    simulated market), or — when ``cancel_maker`` — cancel the own resting ``maker`` (STP)."""

    price: Decimal
    qty: Decimal
    maker: Order | None
    ticks: int | None = None
    cancel_maker: bool = False


@dataclass(slots=True)
class Plan:
    """What an incoming order would do now.

    ``stp_taker``: self-trade prevention cancels the taker's rest. ``exhausted``: acceptable
    liquidity ran out (limit price or book depth) before the order was complete.
    """

    steps: list[Step] = field(default_factory=list)
    filled: Decimal = _ZERO
    spent: Decimal = _ZERO
    stp_taker: bool = False
    exhausted: bool = False


def _priority(order: Order) -> tuple[Decimal, int]:
    assert order.price is not None
    return (-order.price if order.side == "buy" else order.price, order.seq)


class MatchingEngine:
    """The account's resting orders of one instrument and the matching logic over them."""

    def __init__(self, inst: Instrument, market: MarketData) -> None:
        self.inst = inst
        self.market = market
        self.bids: list[Order] = []  # best first: highest price, then oldest
        self.asks: list[Order] = []  # best first: lowest price, then oldest
        self._second: int | None = None
        self._book: Book | None = None
        self._consumed: dict[tuple[str, int], Decimal] = {}

    # -- own resting orders -------------------------------------------------------------------

    def rest(self, order: Order) -> None:
        """Put an open limit order on the book at its price-time priority."""
        side = self.bids if order.side == "buy" else self.asks
        bisect.insort(side, order, key=_priority)

    def remove(self, order: Order) -> None:
        """Take an order off the book (no-op when it is not there)."""
        side = self.bids if order.side == "buy" else self.asks
        for i, resting in enumerate(side):
            if resting is order:
                del side[i]
                return

    @property
    def resting(self) -> list[Order]:
        return [*self.bids, *self.asks]

    # -- simulated liquidity ------------------------------------------------------------------

    def _levels(self, side: str, now: int) -> list[Level]:
        """Simulated ``"a"``sks or ``"b"``ids at ``now``, best first, less what was taken."""
        second = (now - self.market.epoch_ms) // 1000
        if second != self._second or self._book is None:
            self._second = second
            self._book = self.market.book(self.inst, now, BOOK_LEVELS)
            self._consumed.clear()
        raw = self._book.asks if side == "a" else self._book.bids
        tick, step = self.inst.tick, self.inst.step
        levels = []
        for ticks, steps in raw:
            size = steps * step - self._consumed.get((side, ticks), _ZERO)
            if size > 0:
                levels.append(Level(ticks * tick, size, ticks))
        return levels

    def consume(self, side: str, ticks: int, qty: Decimal) -> None:
        """Record that ``qty`` of the simulated level was taken in the current second."""
        key = (side, ticks)
        self._consumed[key] = self._consumed.get(key, _ZERO) + qty

    # -- planning -----------------------------------------------------------------------------

    def would_take(self, order: Order, now: int) -> bool:
        """Whether a limit order would trade on arrival (the post-only check, spec §5.2)."""
        assert order.price is not None
        buy = order.side == "buy"
        own = self.asks if buy else self.bids
        levels = self._levels("a" if buy else "b", now)
        best = [o.price for o in own[:1] if o.price is not None] + [x.price for x in levels[:1]]
        if not best:
            return False
        top = min(best) if buy else max(best)
        return top <= order.price if buy else top >= order.price

    def plan(self, taker: Order, now: int) -> Plan:
        """Walk the opposite side best first for ``taker`` (which is not on the book)."""
        buy = taker.side == "buy"
        own = self.asks if buy else self.bids
        levels = self._levels("a" if buy else "b", now)
        limit = taker.price
        step = self.inst.step
        remaining, budget = taker.remaining, taker.remaining_amount
        plan = Plan()
        i = j = 0
        complete = False
        while True:
            level = levels[i] if i < len(levels) else None
            mine = own[j] if j < len(own) else None
            if level is None and mine is None:
                break
            if mine is not None and level is not None:
                assert mine.price is not None
                if mine.price == level.price:
                    take_own = not defaults.SYNTHETIC_FIRST_AT_EQUAL_PRICE
                else:
                    take_own = mine.price < level.price if buy else mine.price > level.price
            else:
                take_own = mine is not None
            price = mine.price if take_own else level.price  # type: ignore[union-attr]
            assert price is not None
            if limit is not None and (price > limit if buy else price < limit):
                break
            if take_own:
                assert mine is not None
                j += 1
                mode = taker.stp_mode
                if mode in ("cancel_maker", "cancel_both"):
                    plan.steps.append(Step(price, _ZERO, mine, cancel_maker=True))
                if mode in ("cancel_taker", "cancel_both"):
                    plan.stp_taker = True
                    break
                if mode == "cancel_maker":
                    continue
                available = mine.remaining
            else:
                assert level is not None
                i += 1
                available = level.size
            if taker.quote_sized:
                affordable = (budget / price / step).to_integral_value(ROUND_FLOOR) * step
                qty = min(available, affordable)
                if qty <= 0:
                    complete = True  # what is left cannot buy one lot step
                    break
            else:
                qty = min(available, remaining)
            if take_own:
                plan.steps.append(Step(price, qty, mine))
            else:
                assert level is not None
                plan.steps.append(Step(price, qty, None, level.ticks))
            plan.filled += qty
            plan.spent += price * qty
            if taker.quote_sized:
                budget -= price * qty
            else:
                remaining -= qty
                if remaining == 0:
                    complete = True
                    break
        if taker.quote_sized and budget == 0:
            complete = True
        plan.exhausted = not complete and not plan.stp_taker
        return plan


class Books:
    """One matching engine per instrument, made on first use."""

    def __init__(self, market: MarketData) -> None:
        self.market = market
        self._engines: dict[str, MatchingEngine] = {}

    def of(self, inst: Instrument) -> MatchingEngine:
        """The matching engine of ``inst``."""
        engine = self._engines.get(inst.key)
        if engine is None:
            engine = self._engines[inst.key] = MatchingEngine(inst, self.market)
        return engine

    def engines(self) -> dict[str, MatchingEngine]:
        """Every engine made so far, by ``CATEGORY:SYMBOL``."""
        return self._engines
