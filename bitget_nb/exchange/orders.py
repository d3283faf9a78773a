"""Order and fill records, the order store and its indexes, and seeded id sequences.

Plain domain state, no HTTP and no wire formatting (:mod:`.records` turns these into wire
dicts). Every amount is a :class:`~decimal.Decimal`; ids are numeric strings that grow with
time, so "newest first" is "largest id first" and a page cursor is simply an id (spec §9 #6).

>>> ids = IdSequence(seed=7, stream="order")
>>> first, second = ids.next(), ids.next()
>>> len(first), int(second) - int(first)
(19, 1)
>>> IdSequence(seed=7, stream="order").next() == first
True
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "OPEN_STATUSES",
    "Archive",
    "Fill",
    "IdSequence",
    "LegFields",
    "Order",
    "OrderStore",
    "Page",
    "Timeline",
]

#: spec §5.1: an order is open while ``live`` or ``partially_filled``; ``filled`` and
#: ``cancelled`` are terminal. ``new`` is never used (spec §9 #9).
OPEN_STATUSES = ("live", "partially_filled")
_ZERO = Decimal(0)
T = TypeVar("T")


class IdSequence:
    """Seeded, monotonic 19-digit ids (Bitget's ids are 19-digit numeric strings).

    The start depends on ``(seed, stream)`` only, so a run with the same seed repeats its
    ids, and order ids, fill ids and trade ids look different from each other.
    """

    def __init__(self, *, seed: int, stream: str) -> None:
        digest = hashlib.sha256(f"{seed}:{stream}".encode()).digest()
        # 10^18 + up to 8·10^17, leaving 10^17 ids of room below 10^19 (19 digits).
        self._last = 10**18 + int.from_bytes(digest[:8], "big") % (8 * 10**17)

    def next(self) -> str:
        self._last += 1
        return str(self._last)

    @property
    def last(self) -> str:
        """The id handed out last (or the one before the first)."""
        return str(self._last)


@dataclass(frozen=True, slots=True)
class LegFields:
    """What a request said about one TP/SL leg (its trigger price, the price it watches, the
    order type and limit price of the order it sends); ``None`` where it said nothing."""

    price: Decimal | None = None
    trigger_by: str | None = None
    order_type: str | None = None
    limit_price: Decimal | None = None


@dataclass(eq=False, slots=True)
class Order:
    """One order of the account, open or closed.

    ``qty`` is in base coin; a spot market buy is sized in quote instead (spec §4.1.1): its
    ``qty`` is 0 and ``amount`` holds the quote to spend. ``reserved`` is what the order holds
    locked in ``reserve_coin`` (spot: quote for buys, base for sells) — always exactly what
    its open remainder needs, and 0 once it is closed. ``seq`` is its time priority in the
    book. ``fees`` maps fee coin → total fee paid (positive = paid, spec §4.1.13).
    """

    order_id: str
    client_oid: str
    category: str
    symbol: str
    side: str
    order_type: str
    time_in_force: str
    price: Decimal | None
    qty: Decimal
    amount: Decimal
    stp_mode: str
    reduce_only: bool
    created_ms: int
    updated_ms: int
    seq: int = 0
    status: str = "live"
    cum_exec_qty: Decimal = _ZERO
    cum_exec_value: Decimal = _ZERO
    fees: dict[str, Decimal] = field(default_factory=dict)
    cancel_reason: str = ""
    reserve_coin: str = ""
    reserved: Decimal = _ZERO
    #: The attached TP/SL as submitted, by trigger type (``takeProfit``/``stopLoss``);
    #: futures only (spec §4.1.1, §5.4).
    presets: Mapping[str, LegFields] = field(default_factory=dict)
    #: Futures only (spec §5.3): the position side the order opens or closes, ``open`` /
    #: ``close`` as judged at placement, and the hold and margin mode it was placed under.
    pos_side: str = ""
    trade_side: str = ""
    hold_mode: str = ""
    margin_mode: str = ""
    #: The strategy order its attached TP/SL became (spec §5.4), once it filled.
    preset_strategy_id: str = ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def quote_sized(self) -> bool:
        """A spot market buy: sized by the quote ``amount`` to spend."""
        return self.amount > 0

    @property
    def remaining(self) -> Decimal:
        """Open base quantity (0 for a quote-sized order)."""
        return _ZERO if self.quote_sized else self.qty - self.cum_exec_qty

    @property
    def remaining_amount(self) -> Decimal:
        """Quote left to spend of a quote-sized order (0 otherwise)."""
        return self.amount - self.cum_exec_value if self.quote_sized else _ZERO

    @property
    def avg_price(self) -> Decimal | None:
        return self.cum_exec_value / self.cum_exec_qty if self.cum_exec_qty else None

    def __repr__(self) -> str:
        price = "market" if self.price is None else self.price
        size = f"amount={self.amount}" if self.quote_sized else f"qty={self.qty}"
        return (
            f"Order({self.order_id} {self.category}:{self.symbol} {self.side} {size} @ {price} "
            f"{self.status} filled={self.cum_exec_qty})"
        )


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of one order (spec §4.1.13). ``exec_link_id`` is shared by the two
    fills of a self-trade, and by the close and open parts of a one-way futures execution
    that flips a position; ``fee`` is positive when paid."""

    exec_id: str
    exec_link_id: str
    order_id: str
    client_oid: str
    category: str
    symbol: str
    order_type: str
    side: str
    exec_price: Decimal
    exec_qty: Decimal
    exec_value: Decimal
    trade_scope: str  # "taker" / "maker"
    fee_coin: str
    fee: Decimal
    created_ms: int
    #: Futures only: the position side the fill changed, ``open``/``close``, and the PnL it
    #: realised (closes; gross of fees).
    pos_side: str = ""
    trade_side: str = ""
    exec_pnl: Decimal = _ZERO


class Timeline(Generic[T]):
    """Items in id order with their times, for newest-first pages that start at a cursor and
    stay inside a time window: both ends are found by bisection, so a page costs the same
    whether the account holds a thousand items or a million (ids and times both grow)."""

    __slots__ = ("_ids", "_items", "_times")

    def __init__(self) -> None:
        self._ids: list[int] = []
        self._times: list[int] = []
        self._items: list[T] = []

    def append(self, key: int, at_ms: int, item: T) -> None:
        self._ids.append(key)
        self._times.append(at_ms)
        self._items.append(item)

    def newest(
        self, *, before: int | None = None, start: int | None = None, end: int | None = None
    ) -> Iterator[T]:
        """Items newest first: ids below ``before``, times in ``[start, end]``."""
        hi = len(self._ids)
        if before is not None:
            hi = bisect.bisect_left(self._ids, before, hi=hi)
        if end is not None:
            hi = bisect.bisect_right(self._times, end, hi=hi)
        lo = 0 if start is None else bisect.bisect_left(self._times, start, hi=hi)
        items = self._items
        for i in range(hi - 1, lo - 1, -1):
            yield items[i]

    def __len__(self) -> int:
        return len(self._ids)

    def since(self, position: int) -> list[T]:
        """The items from the ``position``-th on (0 = the first), oldest first."""
        return self._items[position:]


class Archive(Protocol):
    """Closed orders and fills kept outside memory — a reopened paper account's history,
    left in its file (:mod:`.state_adapter` reads it from there).

    What an archive holds never changes: every order in it is closed, and every order and
    fill the store is given later has a larger id than any of its fills, and any of its
    orders (orders that were open when the archive was made are not in it: the store holds
    them). Its pages have the store's own order and filters (newest first, below ``before``,
    created in ``[start, end]``).
    """

    @property
    def order_count(self) -> int: ...

    @property
    def fill_count(self) -> int: ...

    def order(self, order_id: str) -> Order | None: ...

    def order_by_client_oid(self, client_oid: str) -> Order | None:
        """The newest of its orders that used ``client_oid``."""
        ...

    def newest_orders(
        self,
        before: int | None,
        *,
        category: str | None,
        symbol: str | None,
        start: int | None,
        end: int | None,
    ) -> Iterator[Order]: ...

    def fills_of(self, order_id: str) -> list[Fill]: ...

    def newest_fills(
        self,
        before: int | None,
        *,
        category: str | None,
        symbol: str | None,
        start: int | None,
        end: int | None,
    ) -> Iterator[Fill]: ...


def _order_key(order: Order) -> int:
    return int(order.order_id)


class OrderStore:
    """Every order and fill of the account, with the indexes the endpoints look them up by.

    Orders and fills are kept in id order (= creation order, so also time order) in one
    :class:`Timeline` each, and again per category, per symbol and per (category, symbol), so
    a history page filtered by any of them starts where it should instead of scanning every
    newer row. Open orders are also in a dict; each clientOid points at the newest order that
    used it; fills are also kept per order.

    With an ``archive`` (a reopened account), the closed orders and the fills made before
    it was reopened stay there: every look-up and page asks both, memory first, and merges
    them in id order, so what the store answers is what it would answer holding everything.
    """

    def __init__(self, archive: Archive | None = None) -> None:
        self._archive = archive
        self._orders: dict[str, Order] = {}
        self._order_line: Timeline[Order] = Timeline()
        self._order_lines: dict[tuple[str | None, str | None], Timeline[Order]] = {}
        self._by_client_oid: dict[str, Order] = {}
        self._open: dict[str, Order] = {}
        self._fill_line: Timeline[Fill] = Timeline()
        self._fill_lines: dict[tuple[str | None, str | None], Timeline[Fill]] = {}
        self._fills_by_order: dict[str, list[Fill]] = {}
        self._last_order_id = 0
        self._last_exec_id = 0
        self._archived_orders = 0 if archive is None else archive.order_count
        self._archived_fills = 0 if archive is None else archive.fill_count

    @staticmethod
    def _keys(category: str, symbol: str) -> tuple[tuple[str | None, str | None], ...]:
        return ((category, None), (None, symbol), (category, symbol))

    # -- orders -------------------------------------------------------------------------------

    def add(self, order: Order) -> None:
        """Record a new order (ids must grow)."""
        key = int(order.order_id)
        if key <= self._last_order_id:
            raise ValueError(f"order id {order.order_id} does not grow")
        self._last_order_id = key
        self._orders[order.order_id] = order
        self._order_line.append(key, order.created_ms, order)
        for index in self._keys(order.category, order.symbol):
            line = self._order_lines.get(index)
            if line is None:
                line = self._order_lines[index] = Timeline()
            line.append(key, order.created_ms, order)
        self._by_client_oid[order.client_oid] = order
        if order.is_open:
            self._open[order.order_id] = order

    def closed(self, order: Order) -> None:
        """Take an order that reached a terminal status out of the open index."""
        self._open.pop(order.order_id, None)

    def get(self, order_id: str) -> Order | None:
        found = self._orders.get(order_id)
        if found is None and self._archive is not None:
            found = self._archive.order(order_id)
        return found

    def by_client_oid(self, client_oid: str) -> Order | None:
        """The newest order that used ``client_oid``."""
        found = self._by_client_oid.get(client_oid)
        if self._archive is not None:
            archived = self._archive.order_by_client_oid(client_oid)
            if archived is not None and (found is None or _order_key(archived) > _order_key(found)):
                found = archived
        return found

    def open_orders(self, category: str | None = None, symbol: str | None = None) -> list[Order]:
        """Open orders, oldest first, optionally of one category and symbol."""
        return [
            o
            for o in self._open.values()
            if (category is None or o.category == category)
            and (symbol is None or o.symbol == symbol)
        ]

    def open_count(self, categories: tuple[str, ...], symbol: str | None = None) -> int:
        return sum(
            1
            for o in self._open.values()
            if o.category in categories and (symbol is None or o.symbol == symbol)
        )

    def newest_orders(
        self,
        before: int | None = None,
        *,
        category: str | None = None,
        symbol: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Iterator[Order]:
        """Orders newest first, below the id ``before`` when given, of one category and/or
        symbol, created in ``[start, end]``."""
        line = self._line(self._order_line, self._order_lines, category, symbol)
        held = line.newest(before=before, start=start, end=end)
        if self._archive is None:
            return held
        archived = self._archive.newest_orders(
            before, category=category, symbol=symbol, start=start, end=end
        )
        # Open-when-reopened orders (in memory) have ids among the archive's: merge.
        return heapq.merge(held, archived, key=_order_key, reverse=True)

    def __len__(self) -> int:
        return self._archived_orders + len(self._orders)

    def orders_since(self, position: int) -> list[Order]:
        """The orders added from the ``position``-th on, oldest first, counting the archive's
        first (persistence writes what a command appended without looking at the history)."""
        return self._order_line.since(position - self._archived_orders)

    # -- fills --------------------------------------------------------------------------------

    def add_fill(self, fill: Fill) -> None:
        key = int(fill.exec_id)
        if key <= self._last_exec_id:
            raise ValueError(f"exec id {fill.exec_id} does not grow")
        self._last_exec_id = key
        self._fill_line.append(key, fill.created_ms, fill)
        for index in self._keys(fill.category, fill.symbol):
            line = self._fill_lines.get(index)
            if line is None:
                line = self._fill_lines[index] = Timeline()
            line.append(key, fill.created_ms, fill)
        self._fills_by_order.setdefault(fill.order_id, []).append(fill)

    def fills_of(self, order_id: str) -> list[Fill]:
        """The fills of one order, oldest first."""
        held = list(self._fills_by_order.get(order_id, ()))
        if self._archive is None:
            return held
        return self._archive.fills_of(order_id) + held  # every archived fill is older

    def newest_fills(
        self,
        before: int | None = None,
        *,
        category: str | None = None,
        symbol: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Iterator[Fill]:
        """Fills newest first, below the id ``before`` when given, of one category and/or
        symbol, made in ``[start, end]``."""
        line = self._line(self._fill_line, self._fill_lines, category, symbol)
        held = line.newest(before=before, start=start, end=end)
        if self._archive is None:
            return held
        archived = self._archive.newest_fills(
            before, category=category, symbol=symbol, start=start, end=end
        )
        return itertools.chain(held, archived)  # every archived fill is older

    @property
    def fill_count(self) -> int:
        return self._archived_fills + len(self._fill_line)

    def fills_since(self, position: int) -> list[Fill]:
        """The fills added from the ``position``-th on, oldest first, counting the
        archive's first."""
        return self._fill_line.since(position - self._archived_fills)

    @staticmethod
    def _line(
        every: Timeline[T],
        lines: dict[tuple[str | None, str | None], Timeline[T]],
        category: str | None,
        symbol: str | None,
    ) -> Timeline[T]:
        if category is None and symbol is None:
            return every
        return lines.get((category, symbol), _EMPTY)


_EMPTY: Timeline[Any] = Timeline()


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Up to ``limit`` rows of a newest-first list, and whether more rows follow (the API
    layer turns that into a cursor, spec §9 #6)."""

    rows: list[T]
    more: bool

    @classmethod
    def take(cls, rows: Iterable[T], limit: int) -> Page[T]:
        """The first ``limit`` of ``rows`` (read one further to know whether more follow).

        >>> Page.take(iter("abc"), 2)
        Page(rows=['a', 'b'], more=True)
        """
        chosen: list[T] = []
        for row in rows:
            if len(chosen) == limit:
                return cls(chosen, True)
            chosen.append(row)
        return cls(chosen, False)
