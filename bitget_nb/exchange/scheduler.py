"""Catch-up: the exchange's time moves only when a request arrives (or ``advance`` is
called), and then everything that happened in between is replayed, in time order.

:meth:`CatchUp.catch_up` looks at the stretch since the last call and queues what falls due
in it:

* funding at every funding time crossed (:meth:`~.futures.FuturesDesk.settle_funding`);
* the countdown's deadline: every open order cancelled (:mod:`.countdown`);
* resting limit orders the market reached: a buy fills when a 1-second price went below its
  limit, a sell when one went above — the whole open quantity, as maker, at the limit price,
  dated at the first such second; a mere touch fills :data:`defaults.TOUCH_FILL_FRACTION` of
  it (:meth:`~.entry.OrderEntry.fill_resting`);
* TP/SL legs whose price was reached: they send their close orders, which fill at that
  moment or rest (and may fill later in the same stretch).

Moments that coincide run in this order: funding settles on the positions held just before
it, the countdown cancels before anything else can fill, resting fills before triggers (a
trigger may depend on what a fill opened). What one action sets off (a fill that opens a
position with an attached TP/SL, a trigger that rests a limit order) comes back through the
:class:`~.agenda.Agenda` and joins the queue at its own time.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from functools import partial
from typing import Literal

from .agenda import Agenda, SecondGrid
from .countdown import CountdownDesk
from .entry import OrderEntry
from .events import Notifier
from .futures import FuturesDesk
from .instruments import Instrument
from .marketdata import MarketData
from .matching import Books
from .orders import Order
from .rejections import Rejected
from .strategies import StrategyDesk
from .triggers import StrategyOrder, TriggerLeg

__all__ = ["CatchUp"]

_FUNDING, _COUNTDOWN, _RESTING, _TRIGGER = range(4)

_Action = Callable[[int], None]


class CatchUp:
    """The time queue of one account."""

    def __init__(
        self,
        *,
        market: MarketData,
        grid: SecondGrid,
        books: Books,
        entry: OrderEntry,
        strategies: StrategyDesk,
        futures: FuturesDesk,
        countdown: CountdownDesk,
        agenda: Agenda,
        notifier: Notifier,
        now_ms: int,
    ) -> None:
        self.market = market
        self.grid = grid
        self.books = books
        self.entry = entry
        self.strategies = strategies
        self.futures = futures
        self.countdown = countdown
        self.agenda = agenda
        self.notifier = notifier
        self._processed_second = grid.second(now_ms)
        self._seen_ms = now_ms
        # The event queue while catch-up runs (None otherwise), and how far it runs.
        self._events: list[tuple[int, int, int, int, _Action]] | None = None
        self._horizon = 0
        self._event_count = 0

    def catch_up(self, now: int) -> bool:
        """Replay, in time order, what happened since the last call (module docstring).

        Returns whether anything was due (an event was queued): a catch-up that found nothing
        changed nothing but how far it looked, and looking again over a longer stretch finds
        the same nothing — so a persistent exchange logs only the catch-ups that return True.
        """
        if now > self._seen_ms:
            self.notifier.clock(self._seen_ms, now)
            self._seen_ms = now
        second = self.grid.second(now)
        if second <= self._processed_second:
            # Only the countdown has ms-precise deadlines inside a processed second.
            deadline = self.countdown.due(now)
            if deadline is not None:
                self.countdown.expire(deadline, deadline)
                return True
            return False
        queued_before = self._event_count
        start = self.grid.start(self._processed_second + 1)
        self._processed_second = second
        self._events, self._horizon = [], now
        self.agenda.open = True
        try:
            for engine in self.books.engines().values():
                if not engine.bids and not engine.asks:
                    continue
                high, low = self.market.extremes(engine.inst, start, now)
                for order in engine.resting:
                    self._schedule_fill(order, engine.inst, start, high, low)
            for strategy, leg in self.strategies.pending():
                self._schedule_leg(strategy, leg, start)
            for when in self.futures.funding_times(start, now):
                self._push(when, _FUNDING, 0, self.futures.settle_funding)
            deadline = self.countdown.due(now)
            if deadline is not None:
                self._push(deadline, _COUNTDOWN, 0, partial(self.countdown.expire, deadline))
            while self._events:
                when, _, _, _, action = heapq.heappop(self._events)
                action(when)
                self._drain()
        finally:
            self._events = None
            self.agenda.open = False
            self.agenda.take()
        return self._event_count != queued_before

    def _push(self, when: int, kind: int, seq: int, action: _Action) -> None:
        assert self._events is not None
        self._event_count += 1
        heapq.heappush(self._events, (when, kind, seq, self._event_count, action))

    def _drain(self) -> None:
        """Queue what the last action set off (a resting order, an armed strategy order)."""
        for item in self.agenda.take():
            if isinstance(item, StrategyOrder):
                for leg in item.legs.values():
                    if leg.status == "pending":
                        self._schedule_leg(item, leg, item.active_ms)
            else:
                order, inst, from_ms = item
                if order.is_open:
                    self._schedule_fill(order, inst, from_ms)

    def _schedule_fill(
        self,
        order: Order,
        inst: Instrument,
        start: int,
        high: int | None = None,
        low: int | None = None,
    ) -> None:
        """Queue the fill of a resting order if the market reaches it in [start, horizon]."""
        end = self._horizon
        if start > end:
            return
        if high is None or low is None:
            high, low = self.market.extremes(inst, start, end)
        assert order.price is not None
        ticks = int(order.price / inst.tick)
        direction: Literal["down", "up"]
        if order.side == "buy" and low <= ticks:
            through, direction = low < ticks, "down"
        elif order.side == "sell" and high >= ticks:
            through, direction = high > ticks, "up"
        else:
            return
        when = self.market.first_reach(inst, start, end, ticks, direction=direction, strict=through)
        self._push(
            end if when is None else when,
            _RESTING,
            order.seq,
            partial(self.entry.fill_resting, order, through),
        )

    def _schedule_leg(self, strategy: StrategyOrder, leg: TriggerLeg, start: int) -> None:
        when = self.strategies.trigger_time(strategy, leg, start, self._horizon)
        if when is not None:
            self._push(
                when,
                _TRIGGER,
                int(strategy.order_id),
                partial(self._fire, strategy, leg),
            )

    def _fire(self, strategy: StrategyOrder, leg: TriggerLeg, when: int) -> None:
        """A leg's price was reached: send its close order through order entry."""
        cmd = self.strategies.trigger(strategy, leg, when)
        if cmd is None:
            return
        try:
            self.entry.place(cmd, now=when)
        except Rejected:
            self.strategies.triggered(strategy, leg, when, accepted=False)
            return
        self.strategies.triggered(strategy, leg, when, accepted=True)
