"""What a desk hands to catch-up while it runs, without holding the scheduler.

While :class:`~.scheduler.CatchUp` replays a stretch of time, an action may set off more:
a fill opens a position with an attached TP/SL (a strategy order whose legs may trigger
later in the same stretch), a fired leg rests a limit close order (which the market may
reach later in the same stretch). The desks drop such things on the :class:`Agenda`; the
scheduler takes them after each action. Outside catch-up the agenda is closed and drops
nothing: the next catch-up looks at every resting order and pending leg anyway.

:class:`SecondGrid` is the exchange's clock grid: matching looks at whole seconds counted
from the market's epoch.

>>> grid = SecondGrid(epoch_ms=1_000)
>>> grid.second(3_500), grid.next_second(3_500)
(2, 4000)
"""

from __future__ import annotations

from dataclasses import dataclass

from .instruments import Instrument
from .orders import Order
from .triggers import StrategyOrder

__all__ = ["Agenda", "SecondGrid"]


@dataclass(frozen=True, slots=True)
class SecondGrid:
    """Whole seconds from the market's epoch."""

    epoch_ms: int

    def second(self, t_ms: int) -> int:
        return (t_ms - self.epoch_ms) // 1000

    def start(self, second: int) -> int:
        return self.epoch_ms + second * 1000

    def next_second(self, t_ms: int) -> int:
        """The start (ms) of the second after the one holding ``t_ms``: the first moment a
        thing made at ``t_ms`` can be reached by the market (this second was matched)."""
        return self.start(self.second(t_ms) + 1)


class Agenda:
    """Resting orders and (re)armed strategy orders made during catch-up, in the order they
    were made."""

    def __init__(self) -> None:
        self.open = False
        self._items: list[tuple[Order, Instrument, int] | StrategyOrder] = []

    def rested(self, order: Order, inst: Instrument, from_ms: int) -> None:
        """``order`` rests from ``from_ms`` on: the market may reach it later in the stretch."""
        if self.open:
            self._items.append((order, inst, from_ms))

    def armed(self, strategy: StrategyOrder) -> None:
        """``strategy`` was made or changed: its pending legs may trigger later."""
        if self.open:
            self._items.append(strategy)

    def take(self) -> list[tuple[Order, Instrument, int] | StrategyOrder]:
        items, self._items = self._items, []
        return items
