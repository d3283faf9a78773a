"""Snapshots of a venue's state: :class:`~.venue.VenueState` pickled, without what is given.

A snapshot holds the account, the domain core and the lead desk as one object graph (one
pickle keeps every shared reference — an order in the store, on its book and in a strategy
order is one object again after loading). The parts a venue is BUILT from are not in it:
the clock, the catalogue, its instruments, the market, the fee model and the event bus are
written as references and reattached on load, so a snapshot is small and holds no numpy
caches, locks, clocks or subscribers.

Loading is restricted: only the exchange's own state classes, ``Decimal`` and the plain
containers may be named by a snapshot (:class:`_Unpickler`), so a damaged or foreign file
fails to load instead of running code. A snapshot is also only ever loaded by the code
version that wrote it, and its canonical digest is checked after loading
(:mod:`.persistence`).

>>> from bitget_nb.exchange.clock import ManualClock
>>> from bitget_nb.exchange.venue import Venue
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> ack = venue.call("copy_futures_transfer", {"type": "in", "coin": "USDT", "amount": "5"},
...     venue.trader)
>>> state = load(dump(venue), venue)
>>> state.lead.balances, state.trading.clock is venue.clock
({'USDT': Decimal('5')}, True)
"""

from __future__ import annotations

import io
import pickle
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import (
    accounts,
    agenda,
    copytrading,
    core,
    countdown,
    entry,
    events,
    futures,
    marketdata,
    matching,
    orders,
    positions,
    queries,
    scheduler,
    settlement,
    strategies,
    triggers,
)
from . import venue as venue_module

if TYPE_CHECKING:
    from .venue import Venue, VenueState

__all__ = ["SnapshotError", "dump", "load"]

#: Classes a snapshot may name. Anything else in a pickle is refused on load.
_STATE_CLASSES: tuple[type, ...] = (
    venue_module.VenueState,
    accounts.Account,
    accounts.ApiKey,
    accounts.Balance,
    accounts.SymbolConfig,
    accounts.Countdown,
    accounts.Transfer,
    core.Core,
    agenda.Agenda,
    agenda.SecondGrid,
    events.Notifier,
    orders.OrderStore,
    orders.Timeline,
    orders.IdSequence,
    orders.Order,
    orders.Fill,
    orders.LegFields,
    marketdata.Book,
    matching.MatchingEngine,
    matching.Books,
    settlement.Settlements,
    settlement.SpotSettlement,
    settlement.FuturesSettlement,
    futures.PositionRules,
    futures.FuturesDesk,
    positions.PositionBook,
    positions.Position,
    entry.OrderEntry,
    queries.OrderQueries,
    scheduler.CatchUp,
    countdown.CountdownDesk,
    strategies.StrategyDesk,
    triggers.StrategyBook,
    triggers.StrategyOrder,
    triggers.TriggerLeg,
    copytrading.LeadDesk,
    Decimal,
    set,
    frozenset,
)
_ALLOWED = {(cls.__module__, cls.__qualname__): cls for cls in _STATE_CLASSES}
_PROTOCOL = 5


class SnapshotError(ValueError):
    """A snapshot could not be read back (damaged, foreign, or of another code version)."""


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, venue: Venue) -> None:
        super().__init__(file, protocol=_PROTOCOL)
        self._refs: dict[int, tuple[str, ...]] = {
            id(venue.clock): ("clock",),
            id(venue.catalogue): ("catalogue",),
            id(venue.market): ("market",),
            id(venue.fees): ("fees",),
            id(venue.events): ("events",),
        }
        for inst in venue.catalogue:
            self._refs[id(inst)] = ("instrument", inst.category, inst.symbol)

    def persistent_id(self, obj: Any) -> tuple[str, ...] | None:
        return self._refs.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, venue: Venue) -> None:
        super().__init__(file)
        self._venue = venue

    def persistent_load(self, pid: Any) -> Any:
        venue = self._venue
        match pid:
            case ("clock",):
                return venue.clock
            case ("catalogue",):
                return venue.catalogue
            case ("market",):
                return venue.market
            case ("fees",):
                return venue.fees
            case ("events",):
                return venue.events
            case ("instrument", str(category), str(symbol)):
                inst = venue.catalogue.get(category, symbol)
                if inst is None:
                    raise SnapshotError(f"the snapshot names {category}:{symbol}, unknown here")
                return inst
        raise SnapshotError(f"unknown reference {pid!r} in the snapshot")

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise SnapshotError(f"{module}.{name} is not part of a paper account snapshot")
        return found


def dump(venue: Venue) -> bytes:
    """The venue's state (:attr:`Venue.state`) as bytes; call it under the venue lock."""
    buffer = io.BytesIO()
    _Pickler(buffer, venue).dump(venue.state)
    return buffer.getvalue()


def load(data: bytes, venue: Venue) -> VenueState:
    """A state from :func:`dump`, attached to ``venue``'s clock, catalogue and market (not
    installed: see :meth:`Venue.install`)."""
    try:
        state = _Unpickler(io.BytesIO(data), venue).load()
    except SnapshotError:
        raise
    except Exception as exc:
        raise SnapshotError(f"the snapshot cannot be read: {exc}") from exc
    if not isinstance(state, venue_module.VenueState):
        raise SnapshotError(f"the snapshot holds a {type(state).__name__}, not a venue state")
    return state
