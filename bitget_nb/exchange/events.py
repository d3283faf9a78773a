"""Domain events: every state change of the account, announced as it happens.

Subscribers (tests now; the WebSocket server and a row-based persistence later) follow the
exchange through :meth:`EventBus.subscribe`. Every change to an order, a fill, a position, a
balance (spot and futures margin alike), a strategy order, a lead-account transfer, the
countdown or the account's settings publishes an event, and so does the clock moving
(:class:`ClockMoved`: what the market looks like now is the market's to answer).

Events are published synchronously, inside the venue's lock, in the order the changes
happen. One execution of an order is one step, announced as order → fill(s) → position(s)
→ balances: :class:`OrderFilled`, :class:`FillRecorded`, :class:`PositionChanged`,
:class:`BalanceChanged`. A new order is announced once accepted, with what it locked
(:class:`OrderAccepted`, then the balance), before it matches; :class:`OrderRested` when what
is left of it goes on the book. Each event carries a COPY of
the changed object as it stands after the change, so a subscriber may keep it; ``at_ms`` is
the exchange time of the change (catch-up replays the past: a resting order that the market
reached a minute ago is filled "a minute ago").

A balance is announced whenever it differs from what was last announced (the
:class:`Notifier` compares at the end of every step), so no change can slip through, and
building the balances from the events alone gives the account's balances:

>>> from bitget_nb.exchange.clock import ManualClock
>>> from bitget_nb.exchange.venue import Venue
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> seen = []
>>> unsubscribe = venue.subscribe(seen.append)
>>> ack = venue.call("submit_new_order", {"category": "SPOT", "symbol": "BTCUSDT",
...     "side": "sell", "orderType": "market", "qty": "0.01"}, venue.trader)
>>> [type(e).__name__ for e in seen]  # doctest: +NORMALIZE_WHITESPACE
['OrderAccepted', 'BalanceChanged', 'OrderFilled', 'FillRecorded', 'BalanceChanged',
 'BalanceChanged']
>>> unsubscribe()
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .accounts import Account, Balance, Countdown, SymbolConfig, Transfer
from .orders import Fill, Order
from .positions import Position
from .triggers import StrategyOrder

__all__ = [
    "BalanceChanged",
    "ClockMoved",
    "CoinLeverageChanged",
    "CountdownChanged",
    "Event",
    "EventBus",
    "FillRecorded",
    "FundingSettled",
    "HoldModeChanged",
    "LeverageChanged",
    "Notifier",
    "OrderAccepted",
    "OrderCancelled",
    "OrderFilled",
    "OrderModified",
    "OrderRelocked",
    "OrderRested",
    "PositionChanged",
    "StrategyOrderChanged",
    "TransferMade",
]


@dataclass(frozen=True, slots=True)
class Event:
    """Something changed at ``at_ms`` (exchange time)."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class OrderAccepted(Event):
    """A new order passed every check, holds what it locked, and is about to match."""

    order: Order


@dataclass(frozen=True, slots=True)
class OrderRested(Event):
    """The order went on its book (``seq`` is its time priority there) to wait for the
    market."""

    order: Order


@dataclass(frozen=True, slots=True)
class OrderFilled(Event):
    """One execution changed the order's filled quantity, fees and status."""

    order: Order


@dataclass(frozen=True, slots=True)
class OrderModified(Event):
    """modify-order changed the order's price and/or quantity (it may match again next)."""

    order: Order


@dataclass(frozen=True, slots=True)
class OrderCancelled(Event):
    """The order was cancelled (``cancel_reason`` says why) and released what it held."""

    order: Order


@dataclass(frozen=True, slots=True)
class OrderRelocked(Event):
    """What an open order holds locked changed without any trade of its own: a futures
    position it would close changed size, or the symbol's leverage changed."""

    order: Order


@dataclass(frozen=True, slots=True)
class FillRecorded(Event):
    """An execution (or one part of it: a one-way flip records its close and its open)."""

    fill: Fill


@dataclass(frozen=True, slots=True)
class PositionChanged(Event):
    """A futures position opened, grew, shrank, closed (``closed``) or had its margin
    re-sized."""

    position: Position
    closed: bool = False


@dataclass(frozen=True, slots=True)
class FundingSettled(Event):
    """Funding was paid (``amount`` < 0) or received on a position at a funding time."""

    position: Position
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BalanceChanged(Event):
    """A coin of the unified account changed (available, locked or debt)."""

    coin: str
    balance: Balance


@dataclass(frozen=True, slots=True)
class StrategyOrderChanged(Event):
    """A TP/SL strategy order was made, grew, was modified, fired, failed or cancelled."""

    strategy: StrategyOrder


@dataclass(frozen=True, slots=True)
class TransferMade(Event):
    """A transfer between the unified account and the lead account; ``lead_balance`` is the
    lead account's balance of the coin after it."""

    transfer: Transfer
    lead_balance: Decimal


@dataclass(frozen=True, slots=True)
class CountdownChanged(Event):
    """The dead man's switch was armed, re-armed, disarmed or went off."""

    countdown: Countdown


@dataclass(frozen=True, slots=True)
class HoldModeChanged(Event):
    """The account switched between one-way and hedge mode."""

    hold_mode: str


@dataclass(frozen=True, slots=True)
class LeverageChanged(Event):
    """A futures symbol's leverage or margin mode changed."""

    config: SymbolConfig


@dataclass(frozen=True, slots=True)
class CoinLeverageChanged(Event):
    """A margin coin's borrowing leverage changed."""

    coin: str
    leverage: int


@dataclass(frozen=True, slots=True)
class ClockMoved(Event):
    """The exchange's time moved from ``from_ms`` to ``at_ms`` and the market with it
    (published before what happened in between is replayed)."""

    from_ms: int


Subscriber = Callable[[Event], None]


class EventBus:
    """Subscribers of one venue. It outlives resets and restores: it is the venue's, not
    part of the account's state."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every event from now on; returns the unsubscribe."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    @property
    def active(self) -> bool:
        """Whether anyone listens (events are only built then)."""
        return bool(self._subscribers)

    def publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            subscriber(event)

    def __repr__(self) -> str:
        return f"EventBus({len(self._subscribers)} subscribers)"


def _order(order: Order) -> Order:
    return dataclasses.replace(order, fees=dict(order.fees))


def _strategy(strategy: StrategyOrder) -> StrategyOrder:
    legs = {k: dataclasses.replace(leg) for k, leg in strategy.legs.items()}
    return dataclasses.replace(strategy, legs=legs)


class Notifier:
    """How the desks announce what they change: typed calls that copy the changed object
    into an event, only when someone listens. It also remembers the balances last announced
    and announces every coin that differs when a step ends (:meth:`balances`)."""

    def __init__(self, bus: EventBus, account: Account) -> None:
        self.bus = bus
        self.account = account
        self._marks: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
        self.mark()

    def mark(self) -> None:
        """Take the current balances as announced (a new subscriber starts from here)."""
        self._marks = {
            coin: (b.available, b.locked, b.debt) for coin, b in self.account.balances.items()
        }

    def _publish(self, event: Event) -> None:
        self.bus.publish(event)

    def order_accepted(self, order: Order, at_ms: int) -> None:
        if self.bus.active:
            self._publish(OrderAccepted(at_ms, _order(order)))

    def order_rested(self, order: Order, at_ms: int) -> None:
        if self.bus.active:
            self._publish(OrderRested(at_ms, _order(order)))

    def order_filled(self, order: Order, at_ms: int) -> None:
        if self.bus.active:
            self._publish(OrderFilled(at_ms, _order(order)))

    def order_modified(self, order: Order, at_ms: int) -> None:
        if self.bus.active:
            self._publish(OrderModified(at_ms, _order(order)))

    def order_cancelled(self, order: Order, at_ms: int) -> None:
        if self.bus.active:
            self._publish(OrderCancelled(at_ms, _order(order)))

    def order_relocked(self, order: Order, at_ms: int) -> None:
        if self.bus.active:
            self._publish(OrderRelocked(at_ms, _order(order)))

    def fill(self, fill: Fill) -> None:
        if self.bus.active:
            self._publish(FillRecorded(fill.created_ms, fill))

    def position(self, position: Position, at_ms: int, *, closed: bool = False) -> None:
        if self.bus.active:
            self._publish(PositionChanged(at_ms, dataclasses.replace(position), closed))

    def funding(self, position: Position, rate: Decimal, amount: Decimal, at_ms: int) -> None:
        if self.bus.active:
            self._publish(FundingSettled(at_ms, dataclasses.replace(position), rate, amount))

    def strategy(self, strategy: StrategyOrder, at_ms: int) -> None:
        if self.bus.active:
            self._publish(StrategyOrderChanged(at_ms, _strategy(strategy)))

    def transfer(self, transfer: Transfer, lead_balance: Decimal) -> None:
        if self.bus.active:
            self._publish(TransferMade(transfer.created_ms, transfer, lead_balance))

    def countdown(self, countdown: Countdown, at_ms: int) -> None:
        if self.bus.active:
            self._publish(CountdownChanged(at_ms, dataclasses.replace(countdown)))

    def hold_mode(self, hold_mode: str, at_ms: int) -> None:
        if self.bus.active:
            self._publish(HoldModeChanged(at_ms, hold_mode))

    def leverage(self, config: SymbolConfig, at_ms: int) -> None:
        if self.bus.active:
            self._publish(LeverageChanged(at_ms, dataclasses.replace(config)))

    def coin_leverage(self, coin: str, leverage: int, at_ms: int) -> None:
        if self.bus.active:
            self._publish(CoinLeverageChanged(at_ms, coin, leverage))

    def clock(self, from_ms: int, to_ms: int) -> None:
        if self.bus.active:
            self._publish(ClockMoved(to_ms, from_ms))

    def balances(self, at_ms: int) -> None:
        """Announce every coin whose balance differs from what was last announced."""
        if not self.bus.active:
            return
        for coin, balance in self.account.balances.items():
            now = (balance.available, balance.locked, balance.debt)
            if self._marks.get(coin) != now:
                self._marks[coin] = now
                self._publish(BalanceChanged(at_ms, coin, dataclasses.replace(balance)))
