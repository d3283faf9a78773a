"""The persistence adapter: the ONE module that knows the domain's state objects.

:mod:`.persistence` stores a paper account as rows of plain JSON documents and never looks
inside a domain object; everything that does — which objects make up the state, how each
kind becomes a document and back, what changed in a command, and how a loaded state is
reinstalled into a :class:`~.venue.Venue` with its derived structures — is here, behind this
small interface, so that a reshaped domain core is rewired in this file only:

* :data:`TABLES` — the record tables and the columns each indexes besides its id (the
  persistence layer derives its SQL schema from it);
* :class:`Record` — one row to write: table, id, indexed column values, document (JSON text);
* :func:`everything` — every row of a venue's state (a new, reset or converted account);
* :class:`Tracker` — remembers what was last written, and :meth:`Tracker.changes` returns
  the rows that differ now;
* :func:`load` — reinstall the working set read from a file (:class:`Rows`) into a venue
  with the file's closed orders and fills behind an :class:`~.orders.Archive` and its ledger
  entries behind a :class:`~.ledger.LedgerArchive`; returns its :class:`Tracker`.

**Documents.** Each domain dataclass is encoded field by field (:class:`_Codec`, derived
from the dataclass's own fields, so a field the domain adds is stored without a change
here): ``Decimal`` as its exact string (``format(value, "f")``, every digit it has), dicts of
Decimals likewise, nested dataclasses as documents; anything else must already be a JSON
value, or encoding raises (no pickles, no private objects). Decoding takes the fields the
document has and leaves the rest at their defaults, so a document written before a field
existed still loads.

**Change capture** costs what the command touched plus the open working set, never the
history. History is append-only and found by position: orders, fills and transfers the
command appended are the tail of their lists; positions and strategy orders it made have
ids above the last id written (ids grow by one). The mutable working set — open orders,
open positions, pending strategy orders — is compared with what was last written by a
*signature*: the tuple of the object's field values with its containers flattened. Domain
values are immutable (Decimal, str, int), so an unchanged field holds the very same object:
when every element of the signature is identical (``is``) the object is unchanged, and
anything else is written again — a change cannot slip through. An object leaving the working
set (an order that closed, a position that closed, a strategy order that finished) is
written a last time. The small account-wide documents (balances, settings, countdown, lead
balances, id sequences, totals, the clock) are re-encoded and compared as text. The
catch-up horizon and the simulated liquidity taken this second change on every read, so
they are *passive*: written only with some other change (looking again finds the same).

**The domain's invariants this relies on** (the merge with a reshaped core must keep them or
change this module): an order that closed, a position that closed and a strategy order with
no pending leg never change again; fills and transfers are never changed; ids come from
:class:`~.orders.IdSequence` (+1 each, 19 digits, so ids compare as text in SQL); ids and
creation times grow together; orders, fills and transfers are kept in id order.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from .accounts import Account, Balance, Countdown, SymbolConfig, Transfer
from .canonical import clock_state
from .core import Core
from .ledger import LedgerEntry
from .market import BOOK_LEVELS
from .orders import OPEN_STATUSES, Fill, LegFields, Order
from .positions import Position
from .triggers import StrategyOrder, TriggerLeg

if TYPE_CHECKING:
    from .venue import Venue

__all__ = ["ARCHIVED", "STATE_TABLE", "TABLES", "Record", "Rows", "Tracker", "everything", "load"]

#: Record tables → the columns each indexes besides its ``id`` (all hold a ``doc``).
TABLES: dict[str, tuple[str, ...]] = {
    "orders": ("created_ms", "category", "symbol", "status", "client_oid"),
    "fills": ("created_ms", "category", "symbol", "order_id"),
    "positions": ("created_ms", "category", "symbol", "status"),
    "strategy_orders": ("created_ms", "category", "symbol", "status"),
    "transfers": ("created_ms", "coin"),
    "ledger": ("created_ms", "category", "coin", "type"),
}
#: The tables a reopened account leaves in its file but for its working set (the open
#: orders): its closed orders and its fills are read from there when a query reaches them.
ARCHIVED = ("orders", "fills")
#: The table of the account-wide documents (``id`` = the document's name).
STATE_TABLE = "state"
#: State documents written only along with another change (see the module docstring).
_PASSIVE = frozenset({"market"})


@dataclass(frozen=True, slots=True)
class Record:
    """One row: ``table``, its ``id``, the values of ``TABLES[table]`` and the document."""

    table: str
    id: str
    columns: tuple[Any, ...]
    doc: str


# -- documents --------------------------------------------------------------------------------


def _text(value: Decimal) -> str:
    return format(value, "f")


def _dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class _Codec:
    """Encode one dataclass type field by field, decode it back, and make its signature.

    How each field is stored follows its annotation: ``Decimal`` (or ``Decimal | None``) as
    an exact string, ``dict[str, Decimal]`` as a mapping of them, ``dict[str, X]`` of a
    nested dataclass ``X`` as a list of its documents, anything else as it is.
    """

    def __init__(
        self,
        cls: type,
        nested: Mapping[str, _Codec] | None = None,
        keyed: Mapping[str, _Codec] | None = None,
    ) -> None:
        self.cls = cls
        #: Fields that map a name to a nested dataclass (``Order.presets``: leg name → its
        #: fields), stored as a mapping of documents.
        self.keyed = dict(keyed or {})
        self.names = tuple(f.name for f in dataclasses.fields(cls))
        annotations = {f.name: str(f.type) for f in dataclasses.fields(cls)}
        self.decimals = frozenset(n for n, t in annotations.items() if t.startswith("Decimal"))
        self.decimal_maps = frozenset(
            n for n, t in annotations.items() if t == "dict[str, Decimal]"
        )
        self.nested = dict(nested or {})
        self.maps = frozenset(
            n for n, t in annotations.items() if t.startswith(("dict[", "Mapping["))
        )
        self._get = operator.attrgetter(*self.names)

    def encode(self, obj: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for name, value in zip(self.names, self._get(obj), strict=True):
            if name in self.keyed:
                codec = self.keyed[name]
                doc[name] = {k: codec.encode(v) for k, v in value.items()}
            elif name in self.nested:
                codec = self.nested[name]
                doc[name] = [codec.encode(v) for v in value.values()]
            elif name in self.decimal_maps:
                doc[name] = {k: _text(v) for k, v in value.items()}
            elif isinstance(value, Decimal):
                doc[name] = _text(value)
            elif name in self.maps:
                doc[name] = dict(value)
            elif value is None or isinstance(value, str | int | bool):
                doc[name] = value
            else:
                raise TypeError(
                    f"{self.cls.__name__}.{name} is a {type(value).__name__}: teach "
                    "state_adapter to store it"
                )
        return doc

    def decode(self, doc: Mapping[str, Any]) -> Any:
        values: dict[str, Any] = {}
        for name in self.names:
            if name not in doc:
                continue  # written before the field existed: its default
            value = doc[name]
            if name in self.keyed:
                codec = self.keyed[name]
                value = {k: codec.decode(v) for k, v in value.items()}
            elif name in self.nested:
                codec = self.nested[name]
                items = [codec.decode(v) for v in value]
                value = {codec.key(item): item for item in items}
            elif name in self.decimal_maps:
                value = {k: Decimal(v) for k, v in value.items()}
            elif name in self.decimals and value is not None:
                value = Decimal(value)
            elif name in self.maps:
                value = dict(value)
            values[name] = value
        return self.cls(**values)

    def key(self, obj: Any) -> str:
        """The key a nested object has in its parent's dict (its first field)."""
        return str(getattr(obj, self.names[0]))

    def signature(self, obj: Any) -> tuple[Any, ...]:
        """Every field value, containers flattened (see the module docstring)."""
        values = self._get(obj)
        flat = list(values)
        for name, value in zip(self.names, values, strict=True):
            if name in self.keyed:
                codec = self.keyed[name]
                for key, item in value.items():
                    flat.append(key)
                    flat.extend(codec.signature(item))
            elif name in self.nested:
                codec = self.nested[name]
                for item in value.values():
                    flat.extend(codec.signature(item))
            elif name in self.maps:
                flat.extend(value.keys())
                flat.extend(value.values())
        return tuple(flat)


_ORDER = _Codec(Order, keyed={"presets": _Codec(LegFields)})
_FILL = _Codec(Fill)
_POSITION = _Codec(Position)
_STRATEGY = _Codec(StrategyOrder, nested={"legs": _Codec(TriggerLeg)})
_TRANSFER = _Codec(Transfer)
_LEDGER = _Codec(LedgerEntry)
_BALANCE = _Codec(Balance)
_SYMBOL_CONFIG = _Codec(SymbolConfig)
_COUNTDOWN = _Codec(Countdown)
#: Account fields kept elsewhere: keys in their own table, balances in their own document.
_ACCOUNT_SETTINGS = tuple(
    f.name for f in dataclasses.fields(Account) if f.name not in ("keys", "balances")
)
#: Account settings stored as lists or mappings of their own.
_CONTAINERS = frozenset({"symbol_configs", "coin_leverage"})


def _same(signature: tuple[Any, ...], written: tuple[Any, ...]) -> bool:
    return len(signature) == len(written) and all(map(operator.is_, signature, written))


def _order_record(order: Order) -> Record:
    columns = (order.created_ms, order.category, order.symbol, order.status, order.client_oid)
    return Record("orders", order.order_id, columns, _dumps(_ORDER.encode(order)))


def _fill_record(fill: Fill) -> Record:
    columns = (fill.created_ms, fill.category, fill.symbol, fill.order_id)
    return Record("fills", fill.exec_id, columns, _dumps(_FILL.encode(fill)))


def _position_record(position: Position, status: str) -> Record:
    columns = (position.created_ms, position.category, position.symbol, status)
    return Record("positions", position.position_id, columns, _dumps(_POSITION.encode(position)))


def _strategy_record(order: StrategyOrder) -> Record:
    status = "pending" if order.pending else "done"
    columns = (order.created_ms, order.category, order.symbol, status)
    return Record("strategy_orders", order.order_id, columns, _dumps(_STRATEGY.encode(order)))


def _transfer_record(transfer: Transfer) -> Record:
    columns = (transfer.created_ms, transfer.coin)
    return Record("transfers", transfer.transfer_id, columns, _dumps(_TRANSFER.encode(transfer)))


def _ledger_record(entry: LedgerEntry) -> Record:
    columns = (entry.created_ms, entry.category, entry.coin, entry.type)
    return Record("ledger", entry.entry_id, columns, _dumps(_LEDGER.encode(entry)))


def _state_documents(venue: Venue) -> dict[str, str]:
    """The account-wide documents of ``venue``, as JSON text by name."""
    account, trading, lead = venue.account, venue.trading, venue.lead
    futures = trading.futures
    settings: dict[str, Any] = {
        name: getattr(account, name) for name in _ACCOUNT_SETTINGS if name not in _CONTAINERS
    }
    settings["symbol_configs"] = [_SYMBOL_CONFIG.encode(c) for c in account.symbol_configs.values()]
    settings["coin_leverage"] = dict(account.coin_leverage)
    books = {
        key: {
            "second": engine._second,
            "consumed": [[side, ticks, _text(q)] for (side, ticks), q in engine._consumed.items()],
        }
        for key, engine in trading.books.engines().items()
        if engine._second is not None
    }
    docs = {
        "account": settings,
        "balances": {coin: _BALANCE.encode(b) for coin, b in account.balances.items()},
        "lead": {"balances": {coin: _text(v) for coin, v in lead.balances.items()}},
        "countdown": _COUNTDOWN.encode(trading.countdown),
        "sequences": {
            "order": trading.entry._order_ids.last,
            "exec": trading.entry._exec_ids.last,
            "trade": trading.entry._trade_ids.last,
            "strategy": trading.strategy_book._ids.last,
            "position": futures.positions._ids.last,
            "transfer": lead._ids.last,
            "book_priority": trading.entry._seq,
        },
        "totals": {
            "fees_paid": {c: _text(v) for c, v in trading.fees_paid.items()},
            "realised": {c: _text(v) for c, v in futures.realised_by_coin.items()},
            "funding": {c: _text(v) for c, v in futures.funding_by_coin.items()},
        },
        "ledger": {
            "balances": {c: _text(v) for c, v in trading.ledger.balances.items()},
            "last_id": trading.ledger.last_id,
        },
        "clock": clock_state(venue.clock),
        "market": {"processed_second": trading.scheduler._processed_second, "books": books},
    }
    return {name: _dumps(doc) for name, doc in docs.items()}


def _state_record(name: str, text: str) -> Record:
    return Record(STATE_TABLE, name, (), text)


# -- writing ----------------------------------------------------------------------------------


def everything(venue: Venue) -> list[Record]:
    """Every row of ``venue``'s state, history included (a new, reset or converted file)."""
    trading = venue.trading
    store, book = trading.store, trading.futures.positions
    rows = [_order_record(o) for o in reversed(list(store.newest_orders()))]
    rows += [_fill_record(f) for f in reversed(list(store.newest_fills()))]
    rows += [_position_record(p, "open") for p in book.open_positions()]
    rows += [_position_record(p, "closed") for p in reversed(list(book.newest_closed()))]
    rows += [_strategy_record(s) for s in trading.strategy_book.orders()]
    rows += [_transfer_record(t) for t in venue.lead.transfers]
    rows += [_ledger_record(e) for e in trading.ledger.all_entries()]
    rows += [_state_record(name, text) for name, text in _state_documents(venue).items()]
    return rows


class Tracker:
    """What was last written of one venue's state, and what differs from it now.

    Made by :func:`load` (or :meth:`for_written`) when the file and the venue agree; then
    every :meth:`changes` returns the rows to write and takes them as written (a failed
    commit stops the exchange, so there is nothing to roll back).
    """

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self._docs: dict[str, str] = {}
        self._orders: dict[str, tuple[Order, tuple[Any, ...]]] = {}
        self._positions: dict[str, tuple[Position, tuple[Any, ...]]] = {}
        self._strategies: dict[str, tuple[StrategyOrder, tuple[Any, ...]]] = {}
        self._order_count = self._fill_count = self._transfer_count = self._ledger_count = 0
        self._last_position = self._last_strategy = 0

    @classmethod
    def for_written(cls, venue: Venue) -> Tracker:
        """A tracker that takes everything ``venue`` holds now as written."""
        tracker = cls(venue)
        trading = venue.trading
        store, book, desk = trading.store, trading.futures.positions, trading.strategy_book
        tracker._docs = _state_documents(venue)
        tracker._orders = {o.order_id: (o, _ORDER.signature(o)) for o in store.open_orders()}
        tracker._positions = {
            p.position_id: (p, _POSITION.signature(p)) for p in book.open_positions()
        }
        tracker._strategies = {
            s.order_id: (s, _STRATEGY.signature(s)) for s in desk.orders() if s.pending
        }
        tracker._order_count = len(store)
        tracker._fill_count = store.fill_count
        tracker._transfer_count = len(venue.lead.transfers)
        tracker._ledger_count = len(trading.ledger)
        tracker._last_position = int(book._ids.last)
        tracker._last_strategy = int(desk._ids.last)
        return tracker

    def changes(self, *, passive: bool = False) -> list[Record]:
        """The rows that differ from what was last written (empty: nothing changed). The
        passive documents come along only with another change, or when ``passive``."""
        rows: list[Record] = []
        self._orders_changed(rows)
        self._positions_changed(rows)
        self._strategies_changed(rows)
        trading, lead = self.venue.trading, self.venue.lead
        store = trading.store
        fills = store.fill_count
        if fills != self._fill_count:
            rows += [_fill_record(f) for f in store.fills_since(self._fill_count)]
            self._fill_count = fills
        if len(lead.transfers) != self._transfer_count:
            rows += [_transfer_record(t) for t in lead.transfers[self._transfer_count :]]
            self._transfer_count = len(lead.transfers)
        ledger = trading.ledger
        if len(ledger) != self._ledger_count:
            rows += [_ledger_record(e) for e in ledger.since(self._ledger_count)]
            self._ledger_count = len(ledger)
        docs = _state_documents(self.venue)
        held = []
        for name, text in docs.items():
            if self._docs.get(name) != text:
                if name in _PASSIVE:
                    held.append(name)
                else:
                    rows.append(_state_record(name, text))
                    self._docs[name] = text
        if held and (rows or passive):
            for name in held:
                rows.append(_state_record(name, docs[name]))
                self._docs[name] = docs[name]
        return rows

    def _orders_changed(self, rows: list[Record]) -> None:
        store = self.venue.trading.store
        tracked = self._orders
        appended = store.orders_since(self._order_count)
        self._order_count = len(store)
        for order in appended:
            rows.append(_order_record(order))
            if order.is_open:
                tracked[order.order_id] = (order, _ORDER.signature(order))
        fresh = {order.order_id for order in appended}
        for order in store.open_orders():
            if order.order_id in fresh:
                continue
            signature = _ORDER.signature(order)
            written = tracked.get(order.order_id)
            if written is None or not _same(signature, written[1]):
                rows.append(_order_record(order))
                tracked[order.order_id] = (order, signature)
        for order_id, (order, _) in list(tracked.items()):
            if not order.is_open:
                rows.append(_order_record(order))  # closed: its last write
                del tracked[order_id]

    def _positions_changed(self, rows: list[Record]) -> None:
        book = self.venue.trading.futures.positions
        tracked = self._positions
        last = int(book._ids.last)
        if last != self._last_position:
            # Made by this command and already closed: the tail of the history (sorted by id).
            i = len(book._history_ids)
            while i and book._history_ids[i - 1] > self._last_position:
                i -= 1
            rows += [_position_record(p, "closed") for p in book._history[i:]]
            self._last_position = last
        open_now = {p.position_id: p for p in book.open_positions()}
        for position_id, position in open_now.items():
            signature = _POSITION.signature(position)
            written = tracked.get(position_id)
            if written is None or not _same(signature, written[1]):
                rows.append(_position_record(position, "open"))
                tracked[position_id] = (position, signature)
        for position_id, (position, _) in list(tracked.items()):
            if position_id not in open_now:
                rows.append(_position_record(position, "closed"))
                del tracked[position_id]

    def _strategies_changed(self, rows: list[Record]) -> None:
        desk = self.venue.trading.strategy_book
        tracked = self._strategies
        last = int(desk._ids.last)
        if last != self._last_strategy:
            made = []
            for order in desk.newest():
                if int(order.order_id) <= self._last_strategy:
                    break
                made.append(order)
            for order in reversed(made):
                rows.append(_strategy_record(order))
                if order.pending:
                    tracked[order.order_id] = (order, _STRATEGY.signature(order))
            self._last_strategy = last
        for order_id, (order, written) in list(tracked.items()):
            if not order.pending:
                rows.append(_strategy_record(order))  # finished: its last write
                del tracked[order_id]
                continue
            signature = _STRATEGY.signature(order)
            if not _same(signature, written):
                rows.append(_strategy_record(order))
                tracked[order_id] = (order, signature)


# -- loading ----------------------------------------------------------------------------------


class Rows(Protocol):
    """What :func:`load` and a reopened account's archive read of the file (the
    persistence layer's store; ids are compared as text: they all have 19 digits)."""

    def records(
        self, table: str, *, where: Mapping[str, tuple[str, ...]] | None = None
    ) -> list[Record]: ...

    def size(self, table: str) -> tuple[int, str | None]: ...

    def doc(self, table: str, row_id: str) -> str | None: ...

    def newest(
        self, table: str, *, low: str, high: str, where: Mapping[str, str], limit: int
    ) -> list[tuple[str, str]]: ...

    def id_by_time(self, table: str, ms: int, *, last: bool) -> str | None: ...

    def having(
        self, table: str, column: str, value: str, *, high: str, newest: bool, limit: int
    ) -> list[tuple[str, str]]: ...

    def damaged(self, exc: Exception) -> Exception:
        """The error to raise for a row SQLite read but that does not parse."""
        ...


#: What decoding a row that SQLite returned intact but that does not parse raises.
UNPARSABLE = (KeyError, ValueError, TypeError, ArithmeticError, AttributeError, IndexError)
#: Every id has 19 digits (:class:`~.orders.IdSequence`), so an id as 19-digit text
#: compares as the number does.
_ID_MAX = 10**19 - 1
#: Rows read per query of a page, growing while the page asks for more.
_CHUNKS = (32, 256, 1024)


def _id_text(value: int) -> str:
    return f"{min(max(value, 0), _ID_MAX):019d}"


class _FileArchive:
    """A reopened account's closed orders and its fills, read from its file when a query
    reaches them (an :class:`~.orders.Archive`).

    It holds what the file held when it was reopened, less the orders that were open then
    (those live in memory and are written again as they change): ids up to the last ones
    written by then, never an order of ``held``. Those rows never change again, so the
    archive needs no cache to stay right.
    """

    def __init__(self, rows: Rows, held: frozenset[str]) -> None:
        self._rows = rows
        self._held = held
        count, last = rows.size("orders")
        self._order_count = count - len(held)
        self._last_order = last or _id_text(0)
        count, last = rows.size("fills")
        self._fill_count = count
        self._last_fill = last or _id_text(0)

    @property
    def order_count(self) -> int:
        return self._order_count

    @property
    def fill_count(self) -> int:
        return self._fill_count

    def order(self, order_id: str) -> Order | None:
        if order_id in self._held or not order_id.isdigit() or order_id > self._last_order:
            return None
        doc = self._rows.doc("orders", order_id)
        return None if doc is None else self._decode(_ORDER, doc)

    def order_by_client_oid(self, client_oid: str) -> Order | None:
        found = self._rows.having(
            "orders", "client_oid", client_oid, high=self._last_order, newest=True, limit=1
        )
        # One held in memory is newer than every other here: the store finds it itself.
        if not found or found[0][0] in self._held:
            return None
        return self._decode(_ORDER, found[0][1])

    def fills_of(self, order_id: str) -> list[Fill]:
        found = self._rows.having(
            "fills", "order_id", order_id, high=self._last_fill, newest=False, limit=-1
        )
        return [self._decode(_FILL, doc) for _, doc in found]

    def newest_orders(
        self,
        before: int | None,
        *,
        category: str | None,
        symbol: str | None,
        start: int | None,
        end: int | None,
    ) -> Iterator[Order]:
        where = {"category": category, "symbol": symbol}
        return _newest(self._rows, "orders", _ORDER, self._last_order, self._held, before,
                       where, start, end)  # fmt: skip

    def newest_fills(
        self,
        before: int | None,
        *,
        category: str | None,
        symbol: str | None,
        start: int | None,
        end: int | None,
    ) -> Iterator[Fill]:
        where = {"category": category, "symbol": symbol}
        return _newest(self._rows, "fills", _FILL, self._last_fill, frozenset(), before,
                       where, start, end)  # fmt: skip

    def _decode(self, codec: _Codec, doc: str) -> Any:
        return _decode(self._rows, codec, doc)


class _FileLedger:
    """A reopened account's ledger entries, read from its file when a page reaches them (a
    :class:`~.ledger.LedgerArchive`): the rows written by then, which never change."""

    def __init__(self, rows: Rows) -> None:
        self._rows = rows
        count, last = rows.size("ledger")
        self._count = count
        self._last = last or _id_text(0)

    @property
    def count(self) -> int:
        return self._count

    def newest(
        self,
        before: int | None,
        *,
        start: int | None,
        end: int | None,
        category: str | None,
        coin: str | None,
        type: str | None,
    ) -> Iterator[LedgerEntry]:
        where = {"category": category, "coin": coin, "type": type}
        return _newest(self._rows, "ledger", _LEDGER, self._last, frozenset(), before, where,
                       start, end)  # fmt: skip


def _decode(rows: Rows, codec: _Codec, doc: str) -> Any:
    try:
        return codec.decode(json.loads(doc))
    except UNPARSABLE as exc:
        raise rows.damaged(exc) from exc


def _newest(
    rows: Rows,
    table: str,
    codec: _Codec,
    last: str,
    held: frozenset[str],
    before: int | None,
    where: Mapping[str, str | None],
    start: int | None,
    end: int | None,
) -> Iterator[Any]:
    """Records of ``table`` newest first, but for those ``held`` in memory, whose columns
    equal ``where``'s values (``None``: any): the window becomes a range of ids (ids and
    times grow together), read in chunks that grow while the caller reads on."""
    high = int(last)
    if before is not None:
        high = min(high, before - 1)
    if end is not None:
        at_end = rows.id_by_time(table, end, last=True)
        high = -1 if at_end is None else min(high, int(at_end))
    low = 0
    if start is not None:
        at_start = rows.id_by_time(table, start, last=False)
        low = _ID_MAX + 1 if at_start is None else int(at_start)
    equal = {column: value for column, value in where.items() if value is not None}
    for chunk in itertools.chain(_CHUNKS, itertools.repeat(_CHUNKS[-1])):
        if high < low:
            return
        found = rows.newest(table, low=_id_text(low), high=_id_text(high), where=equal,
                            limit=chunk)  # fmt: skip
        for row_id, doc in found:
            if row_id not in held:
                yield _decode(rows, codec, doc)
        if len(found) < chunk:
            return
        high = int(found[-1][0]) - 1


def load(venue: Venue, rows: Rows) -> Tracker:
    """Install the state read from a file into ``venue`` (which was built from the file's
    seed, keys, uid and initial balances) and return the tracker that knows it as written.

    Only the working set is read into memory: the open orders, the positions, the strategy
    orders, the transfers and the account-wide documents. The closed orders, every fill and
    the ledger stay in the file, behind the order store's archive (:class:`_FileArchive`)
    and the ledger's (:class:`_FileLedger`): reopening costs what is open, not what
    happened. Derived structures are rebuilt: the order store's
    indexes, the matching books with every open order at its price-time priority, the
    position history's indexes and the id sequences. What the catalogue no longer has is
    kept as history but not put on a book.
    """
    docs = {row.id: json.loads(row.doc) for row in rows.records(STATE_TABLE)}
    working = rows.records("orders", where={"status": OPEN_STATUSES})
    archive = _FileArchive(rows, frozenset(row.id for row in working))
    state = venue.new_state(keys=list(venue.account.keys), uid=venue.account.uid, archive=archive)
    account, trading, lead = state.account, state.trading, state.lead
    catalogue = venue.catalogue
    _install_account(account, docs, catalogue.coins())
    store = trading.store
    for row in working:
        store.add(_ORDER.decode(json.loads(row.doc)))
    for order in store.open_orders():
        inst = catalogue.get(order.category, order.symbol)
        if inst is not None and order.price is not None:
            trading.books.of(inst).rest(order)
    book = trading.futures.positions
    for row in rows.records("positions"):
        position = _POSITION.decode(json.loads(row.doc))
        if row.columns[-1] == "open":
            book._open[position.key] = position
        else:
            book.add_closed(position)
    desk = trading.strategy_book
    for row in rows.records("strategy_orders"):
        desk.add(_STRATEGY.decode(json.loads(row.doc)))
    for row in rows.records("transfers"):
        lead.transfers.append(_TRANSFER.decode(json.loads(row.doc)))
    # Filled in place: the desks hold these very objects.
    if "lead" in docs:
        _refill(lead.balances, {c: Decimal(v) for c, v in docs["lead"]["balances"].items()})
    if "countdown" in docs:
        saved = _COUNTDOWN.decode(docs["countdown"])
        for field in dataclasses.fields(Countdown):
            setattr(trading.countdown, field.name, getattr(saved, field.name))
    if "totals" in docs:
        totals = docs["totals"]
        _refill(trading.entry.fees_paid, {c: Decimal(v) for c, v in totals["fees_paid"].items()})
        futures = trading.futures
        _refill(futures.realised_by_coin, {c: Decimal(v) for c, v in totals["realised"].items()})
        _refill(futures.funding_by_coin, {c: Decimal(v) for c, v in totals["funding"].items()})
    if "sequences" in docs:
        sequences = docs["sequences"]
        for sequence, name in (
            (trading.entry._order_ids, "order"),
            (trading.entry._exec_ids, "exec"),
            (trading.entry._trade_ids, "trade"),
            (desk._ids, "strategy"),
            (book._ids, "position"),
            (lead._ids, "transfer"),
        ):
            sequence._last = int(sequences[name])
        trading.entry._seq = int(sequences["book_priority"])
    if "ledger" in docs:
        saved = docs["ledger"]
        trading.ledger.restore(
            _FileLedger(rows),
            {c: Decimal(v) for c, v in saved["balances"].items()},
            int(saved["last_id"]),
        )
    else:  # written before the ledger existed (schema 3): it starts now, from the balances
        trading.ledger.start_from({c: b.total for c, b in account.balances.items()})
    if "market" in docs:
        _install_market(venue, trading, docs["market"])
    venue.install(state)
    return Tracker.for_written(venue)


def _install_account(account: Account, docs: Mapping[str, Any], coins: list[str]) -> None:
    settings = docs.get("account")
    if settings is not None:
        for name in _ACCOUNT_SETTINGS:
            if name in settings and name not in _CONTAINERS:
                setattr(account, name, settings[name])
        for doc in settings.get("symbol_configs", ()):
            config = _SYMBOL_CONFIG.decode(doc)
            key = (config.category, config.symbol)
            if key in account.symbol_configs:  # an instrument the catalogue still has
                account.symbol_configs[key] = config
        for coin, leverage in settings.get("coin_leverage", {}).items():
            if coin in account.coin_leverage:
                account.coin_leverage[coin] = int(leverage)
    if "balances" in docs:
        _refill(account.balances, {c: _BALANCE.decode(b) for c, b in docs["balances"].items()})


def _refill(target: dict[Any, Any], values: Mapping[Any, Any]) -> None:
    target.clear()
    target.update(values)


def _install_market(venue: Venue, trading: Core, doc: Mapping[str, Any]) -> None:
    """The catch-up horizon, and the simulated liquidity already taken in its second (the
    book of that second is drawn again: it depends on the second only)."""
    trading.scheduler._processed_second = int(doc["processed_second"])
    by_key = {inst.key: inst for inst in venue.catalogue}
    for key, saved in doc.get("books", {}).items():
        inst = by_key.get(key)
        if inst is None or saved["second"] is None:
            continue
        engine = trading.books.of(inst)
        second = int(saved["second"])
        engine._second = second
        engine._book = venue.market.book(inst, venue.market.epoch_ms + second * 1000, BOOK_LEVELS)
        engine._consumed = {(side, int(ticks)): Decimal(q) for side, ticks, q in saved["consumed"]}
