"""Round trips from fills, on Decimals: FIFO lots for spot, positions for futures.

Pure functions over plain values (no HTTP, no pandas): :func:`spot_round_trips` and
:class:`FuturesBook` take :class:`Fill` s and funding payments and give :class:`Trip` s and
exact per-symbol totals. The I/O layer (:mod:`bitget_nb.report`) builds the inputs from the
API's rows.

Conventions (documented in docs/report.md):

* **Spot** — one lot per buy fill: its quantity is what arrived (``execQty`` less a fee taken
  in the base coin), its cost ``qty × execPrice`` in the quote coin. A fee paid in the base
  coin is converted to the quote coin at that fill's own price (the fill's time); a fee in a
  third coin through the ``convert`` function given. A sell closes lots first in, first out,
  one :class:`Trip` per (lot, sell) pair: gross PnL ``qty × (sell price − lot price)``, fees
  the lot's share of its buy fee and the sell's share of its fee. Coins held before the first
  fill (or arriving by transfer) are *inventory* lots priced at the time they arrived.
* **Futures** — one position per (category, symbol, posSide) in either hold mode; a round
  trip runs from flat to flat. Realised PnL is each closing fill's ``execPnl`` (the exchange's
  own figure) and, where a fill has none, ``qty × (exit − entry)`` linear or the same over the
  exit price for inverse (COIN-FUTURES) contracts, in the margin coin. Entry cost is kept as
  ``Σ qty × price``; a partial close takes ``cost × qty / size`` (to 12 decimals) of it, so
  the unrealised PnL of what is left is the exchange's to the last digit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..vocab import STABLE_COINS

__all__ = [
    "STABLE_COINS",
    "Fill",
    "Funding",
    "FuturesBook",
    "Lot",
    "SpotBook",
    "Totals",
    "Trip",
    "futures_pnl",
    "money",
    "replay",
    "settle_coin",
    "spot_round_trips",
]

ZERO = Decimal(0)
_MONEY = Decimal("1e-8")
_COST = Decimal("1e-12")

#: ``convert(amount, from_coin, to_coin, at_ms)`` → the amount in ``to_coin``.
Convert = Callable[[Decimal, str, str, int], Decimal]


def money(value: Decimal) -> Decimal:
    """Half-up to 8 decimals: how the exchange rounds PnL and fees."""
    return value.quantize(_MONEY, rounding=ROUND_HALF_UP)


def settle_coin(category: str, base: str, quote: str) -> str:
    """The coin a symbol's PnL, fees and funding are in: the base coin of an inverse
    (COIN-FUTURES) contract, the quote coin otherwise."""
    return base if category == "COIN-FUTURES" else quote


def futures_pnl(inverse: bool, side: str, qty: Decimal, cost: Decimal, price: Decimal) -> Decimal:
    """PnL of ``qty`` entered for ``cost`` (quote value), at ``price``, in the margin coin.

    >>> futures_pnl(False, "long", Decimal("0.5"), Decimal("15000"), Decimal("31000"))
    Decimal('500.00000000')
    >>> futures_pnl(True, "short", Decimal("0.5"), Decimal("15000"), Decimal("25000"))
    Decimal('0.10000000')
    """
    gain = qty * price - cost if side == "long" else cost - qty * price
    return money(gain / price if inverse else gain)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution, exactly as the wire said it (``fee`` positive = paid, spec §4.1.13)."""

    exec_id: str
    category: str
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_coin: str
    time_ms: int
    base: str
    quote: str
    client_oid: str = ""
    order_id: str = ""
    pos_side: str = ""
    trade_side: str = ""
    exec_pnl: Decimal | None = None

    @property
    def coin(self) -> str:
        return settle_coin(self.category, self.base, self.quote)

    @property
    def key(self) -> tuple[int, int]:
        return (self.time_ms, int(self.exec_id) if self.exec_id.isdigit() else 0)


@dataclass(frozen=True, slots=True)
class Funding:
    """One funding payment of the ledger (``amount`` > 0 received), with the size of the
    position after it (``positionAmount``), which tells hedge-mode sides apart."""

    category: str
    symbol: str
    coin: str
    amount: Decimal
    time_ms: int
    position_amount: Decimal | None = None
    seq: int = 0


@dataclass(slots=True)
class Trip:
    """One round trip, in ``coin`` (the symbol's settlement coin). ``close_ms`` is ``None``
    while it is open; then ``unrealised`` is its PnL at the valuation price."""

    category: str
    symbol: str
    pos_side: str
    coin: str
    open_ms: int
    qty: Decimal = ZERO
    entry_value: Decimal = ZERO
    exit_qty: Decimal = ZERO
    exit_value: Decimal = ZERO
    gross: Decimal = ZERO
    fees: Decimal = ZERO
    funding: Decimal = ZERO
    close_ms: int | None = None
    open_oid: str = ""
    close_oid: str = ""
    fills: int = 0
    inventory: bool = False
    unrealised: Decimal | None = None
    #: Price of the last closing fill (converts an inverse trip's coin PnL to USDT).
    exit_price: Decimal | None = None

    @property
    def net(self) -> Decimal:
        return self.gross - self.fees + self.funding

    @property
    def entry_price(self) -> Decimal | None:
        return self.entry_value / self.qty if self.qty else None

    @property
    def exit_avg(self) -> Decimal | None:
        return self.exit_value / self.exit_qty if self.exit_qty else None


@dataclass(slots=True)
class Totals:
    """Exact figures of one symbol in its settlement coin: realised PnL (gross of fees and
    funding), fees paid (positive), funding received (negative when paid); spot also the lots
    left open (``open_qty`` base coin, ``open_cost`` quote coin) and the inventory met before
    any buy (``inventory_qty`` / ``inventory_cost``)."""

    category: str
    symbol: str
    coin: str
    realised: Decimal = ZERO
    fees: Decimal = ZERO
    funding: Decimal = ZERO
    volume: Decimal = ZERO
    fills: int = 0
    open_qty: Decimal = ZERO
    open_cost: Decimal = ZERO
    inventory_qty: Decimal = ZERO
    inventory_cost: Decimal = ZERO
    uncovered_qty: Decimal = ZERO
    uncovered_value: Decimal = ZERO
    #: The same figures in USDT: stable coins 1:1, an inverse contract's coin at each fill's
    #: price, funding at the coin's price when paid.
    realised_usdt: Decimal = ZERO
    fees_usdt: Decimal = ZERO
    funding_usdt: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.realised - self.fees + self.funding


# -- spot ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Lot:
    """What is left of one buy (or inventory): ``qty`` base coin at ``price`` quote coin, with
    ``fee`` quote coin of its buy fee not yet charged to a closing piece."""

    qty: Decimal
    price: Decimal
    fee: Decimal
    time_ms: int
    client_oid: str = ""
    inventory: bool = False
    symbol: str = ""
    quote: str = ""


def _share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``total × part / whole`` to 12 decimals; all of it when ``part`` is the whole, so the
    shares of one amount add up to it exactly."""
    if part >= whole:
        return total
    return (total * part / whole).quantize(_COST, rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class SpotBook:
    """FIFO lots per base coin across the spot symbols, and the round trips they made.

    >>> book = SpotBook(convert=lambda a, f, t, ms: a)
    >>> fill = Fill("1", "SPOT", "BTCUSDT", "buy", Decimal("100"), Decimal("1"),
    ...             Decimal("0.001"), "BTC", 0, "BTC", "USDT")
    >>> book.apply(fill)
    >>> book.lots["BTC"][0].qty, book.lots["BTC"][0].fee
    (Decimal('0.999'), Decimal('0.100'))
    """

    convert: Convert
    #: Totals count fills from this time on (earlier ones only build the lots).
    since: int = 0
    lots: dict[str, list[Lot]] = field(default_factory=dict)
    trips: list[Trip] = field(default_factory=list)
    totals: dict[tuple[str, str], Totals] = field(default_factory=dict)
    #: Inventory that arrived: coin → (qty, cost at the price it arrived at).
    arrived: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    #: Base coin sold beyond every lot (its cost taken at the sell price: no PnL).
    uncovered: dict[str, Decimal] = field(default_factory=dict)

    def total(self, fill: Fill) -> Totals:
        key = (fill.category, fill.symbol)
        if key not in self.totals:
            self.totals[key] = Totals(fill.category, fill.symbol, fill.quote)
        return self.totals[key]

    def inventory(self, coin: str, qty: Decimal, price: Decimal, time_ms: int) -> None:
        """Coins held before the first fill (or arriving from outside): a lot at ``price``."""
        if qty > 0:
            self.lots.setdefault(coin, []).append(Lot(qty, price, ZERO, time_ms, inventory=True))
            held, cost = self.arrived.get(coin, (ZERO, ZERO))
            self.arrived[coin] = (held + qty, cost + qty * price)

    def withdraw(self, coin: str, qty: Decimal) -> None:
        """Coins leaving without a trade (a transfer out) take the oldest lots with them."""
        lots = self.lots.get(coin, [])
        while qty > 0 and lots:
            lot = lots[0]
            take = min(qty, lot.qty)
            lot.fee -= _share(lot.fee, take, lot.qty)
            lot.qty -= take
            qty -= take
            if lot.qty == 0:
                lots.pop(0)

    def fee_in_quote(self, fill: Fill) -> Decimal:
        """The fill's fee in its quote coin: a base-coin fee at the fill's own price."""
        if fill.fee_coin in ("", fill.quote) or fill.fee == 0:
            return fill.fee
        if fill.fee_coin == fill.base:
            return fill.fee * fill.price
        return self.convert(fill.fee, fill.fee_coin, fill.quote, fill.time_ms)

    def _usdt(self, amount: Decimal, fill: Fill) -> Decimal:
        if fill.quote in STABLE_COINS:
            return amount
        return self.convert(amount, fill.quote, "USDT", fill.time_ms)

    def apply(self, fill: Fill) -> None:
        counted = fill.time_ms >= self.since
        total = self.total(fill) if counted else Totals(fill.category, fill.symbol, fill.quote)
        fee = self.fee_in_quote(fill)
        total.fees += fee
        total.fees_usdt += self._usdt(fee, fill)
        total.volume += self._usdt(fill.qty * fill.price, fill)
        total.fills += 1
        lots = self.lots.setdefault(fill.base, [])
        if fill.side == "buy":
            got = fill.qty - (fill.fee if fill.fee_coin == fill.base else ZERO)
            lots.append(
                Lot(got, fill.price, fee, fill.time_ms, fill.client_oid, False, fill.symbol,
                    fill.quote)
            )  # fmt: skip
            return
        left = fill.qty
        fee_left = fee
        while left > 0:
            if not lots:
                self.uncovered[fill.base] = self.uncovered.get(fill.base, ZERO) + left
                total.uncovered_qty += left
                total.uncovered_value += left * fill.price
                break
            lot = lots[0]
            take = min(left, lot.qty)
            sell_fee = _share(fee_left, take, left)
            buy_fee = _share(lot.fee, take, lot.qty)
            # lots are per base coin: one bought on BTCUSDC and sold on BTCUSDT changes quote
            # coin, stable coins counting 1:1 (STABLE_COINS)
            cost = take * lot.price
            trip = Trip(
                category=fill.category,
                symbol=fill.symbol,
                pos_side="long",
                coin=fill.quote,
                open_ms=lot.time_ms,
                qty=take,
                entry_value=cost,
                exit_qty=take,
                exit_value=take * fill.price,
                gross=take * fill.price - cost,
                fees=sell_fee + buy_fee,
                close_ms=fill.time_ms,
                open_oid=lot.client_oid,
                close_oid=fill.client_oid,
                fills=(0 if lot.inventory else 1) + 1,
                inventory=lot.inventory,
                exit_price=fill.price,
            )
            self.trips.append(trip)
            total.realised += trip.gross
            total.realised_usdt += self._usdt(trip.gross, fill)
            lot.qty -= take
            lot.fee -= buy_fee
            left -= take
            fee_left -= sell_fee
            if lot.qty == 0:
                lots.pop(0)

    def open_trips(self, price: Callable[[str, int], Decimal], at_ms: int) -> list[Trip]:
        """The bought lots still held, as open round trips valued at ``price(coin, at_ms)``
        (inventory lots are holdings, not trades: they are left out)."""
        out = []
        for coin, lots in self.lots.items():
            for lot in lots:
                if lot.inventory or lot.qty == 0:
                    continue
                mark = price(coin, at_ms)
                out.append(
                    Trip(
                        category="SPOT",
                        symbol=lot.symbol,
                        pos_side="long",
                        coin=lot.quote,
                        open_ms=lot.time_ms,
                        qty=lot.qty,
                        entry_value=lot.qty * lot.price,
                        fees=lot.fee,
                        open_oid=lot.client_oid,
                        fills=1,
                        unrealised=lot.qty * (mark - lot.price),
                        exit_price=mark,
                    )
                )
        return out


def spot_round_trips(
    fills: Iterable[Fill], *, convert: Convert, inventory: Mapping[str, tuple[Decimal, Decimal]]
) -> SpotBook:
    """Replay spot ``fills`` (any order; sorted by time here) over the ``inventory`` held
    before them (coin → (qty, price)).

    >>> f = lambda i, side, px, qty, fee, coin: Fill(str(i), "SPOT", "BTCUSDT", side,
    ...     Decimal(px), Decimal(qty), Decimal(fee), coin, i, "BTC", "USDT")
    >>> book = spot_round_trips([f(1, "buy", "100", "1", "0", "BTC"),
    ...     f(2, "buy", "110", "1", "0", "BTC"), f(3, "sell", "120", "1.5", "0", "USDT")],
    ...     convert=lambda a, f, t, ms: a, inventory={})
    >>> [(t.qty, t.gross) for t in book.trips]
    [(Decimal('1'), Decimal('20')), (Decimal('0.5'), Decimal('5.0'))]
    """
    book = SpotBook(convert=convert)
    for coin, (qty, price) in inventory.items():
        book.inventory(coin, qty, price, 0)
    for fill in sorted(fills, key=lambda f: f.key):
        book.apply(fill)
    return book


# -- futures -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Position:
    key: tuple[str, str, str]
    inverse: bool
    size: Decimal
    cost: Decimal
    trip: Trip
    opened_seq: int


@dataclass(slots=True)
class FuturesBook:
    """Positions per (category, symbol, posSide), round trips flat to flat, funding and the
    exact totals per symbol; ``history`` records every state change (for the equity).

    A fill with ``tradeSide`` open/close and a ``posSide`` says which position it moves (both
    hold modes on the V3 wire); one without them is netted one-way: it closes the opposite
    position first and opens the rest (a flip).
    """

    #: Totals count fills and funding from this time on (earlier ones build positions).
    since: int = 0
    #: A coin's USDT price at a time (funding of inverse contracts); ``None``: 1.
    usdt: Callable[[str, int], Decimal] | None = None
    positions: dict[tuple[str, str, str], _Position] = field(default_factory=dict)
    trips: list[Trip] = field(default_factory=list)
    totals: dict[tuple[str, str], Totals] = field(default_factory=dict)
    #: (time, key, size, cost, inverse) after each change.
    history: list[tuple[int, tuple[str, str, str], Decimal, Decimal, bool]] = field(
        default_factory=list
    )
    _seq: int = 0

    def total(self, category: str, symbol: str, coin: str, at_ms: int | None = None) -> Totals:
        if at_ms is not None and at_ms < self.since:
            return Totals(category, symbol, coin)  # before the report: not counted
        key = (category, symbol)
        if key not in self.totals:
            self.totals[key] = Totals(category, symbol, coin)
        return self.totals[key]

    @staticmethod
    def _rate(fill: Fill) -> Decimal:
        """USDT per unit of the fill's coin: 1 (linear, stable coins), the fill's price
        (inverse: the coin's price in USD)."""
        return fill.price if fill.coin not in STABLE_COINS else Decimal(1)

    def apply(self, fill: Fill) -> None:
        total = self.total(fill.category, fill.symbol, fill.coin, fill.time_ms)
        total.fills += 1
        total.fees += fill.fee
        total.fees_usdt += fill.fee * self._rate(fill)
        total.volume += fill.qty * fill.price
        direction = "long" if fill.side == "buy" else "short"
        if fill.trade_side in ("open", "close") and fill.pos_side in ("long", "short"):
            self._leg(fill, fill.pos_side, fill.trade_side, fill.qty, fill.fee, fill.exec_pnl)
            return
        other = "short" if direction == "long" else "long"
        held = self.positions.get((fill.category, fill.symbol, other))
        qty = fill.qty
        if held is not None:
            part = min(qty, held.size)
            fee = _share(fill.fee, part, qty)
            self._leg(fill, other, "close", part, fee, fill.exec_pnl)
            qty -= part
            if qty > 0:
                self._leg(fill, direction, "open", qty, fill.fee - fee, None)
            return
        self._leg(fill, direction, "open", qty, fill.fee, None)

    def _leg(
        self,
        fill: Fill,
        side: str,
        effect: str,
        qty: Decimal,
        fee: Decimal,
        exec_pnl: Decimal | None,
    ) -> None:
        key = (fill.category, fill.symbol, side)
        inverse = fill.category == "COIN-FUTURES"
        total = self.total(fill.category, fill.symbol, fill.coin, fill.time_ms)
        position = self.positions.get(key)
        if effect == "open":
            if position is None:
                self._seq += 1
                trip = Trip(fill.category, fill.symbol, side, fill.coin, fill.time_ms)
                trip.open_oid = fill.client_oid
                position = self.positions[key] = _Position(
                    key, inverse, ZERO, ZERO, trip, self._seq
                )
            position.size += qty
            position.cost += qty * fill.price
            position.trip.qty += qty
            position.trip.entry_value += qty * fill.price
            position.trip.fees += fee
            position.trip.fills += 1
        else:
            if position is None:
                # a close of a position opened before the history: its PnL is the fill's
                self._seq += 1
                trip = Trip(fill.category, fill.symbol, side, fill.coin, fill.time_ms)
                position = _Position(key, inverse, qty, qty * fill.price, trip, self._seq)
                trip.inventory = True
                self.positions[key] = position
            qty = min(qty, position.size)
            if qty == position.size:
                cost = position.cost
            else:
                cost = (position.cost * qty / position.size).quantize(_COST, ROUND_HALF_UP)
            gain = (
                exec_pnl
                if exec_pnl is not None
                else futures_pnl(inverse, side, qty, cost, fill.price)
            )
            position.size -= qty
            position.cost -= cost
            trip = position.trip
            trip.exit_qty += qty
            trip.exit_value += qty * fill.price
            trip.gross += gain
            trip.fees += fee
            trip.fills += 1
            trip.close_oid = fill.client_oid
            trip.exit_price = fill.price
            total.realised += gain
            total.realised_usdt += gain * self._rate(fill)
            if position.size == 0:
                trip.close_ms = fill.time_ms
                self.trips.append(trip)
                del self.positions[key]
        after = self.positions.get(key)
        self.history.append(
            (
                fill.time_ms,
                key,
                after.size if after else ZERO,
                after.cost if after else ZERO,
                inverse,
            )
        )

    def fund(self, payments: Iterable[Funding]) -> None:
        """Book funding payments made at one instant on one symbol (ledger order): each goes
        to the open position whose size matches ``position_amount``, ties to the one opened
        first (the order the exchange settles them in)."""
        taken: set[tuple[str, str, str]] = set()
        for payment in payments:
            total = self.total(payment.category, payment.symbol, payment.coin, payment.time_ms)
            total.funding += payment.amount
            rate = (
                Decimal(1)
                if payment.coin in STABLE_COINS or self.usdt is None
                else self.usdt(payment.coin, payment.time_ms)
            )
            total.funding_usdt += payment.amount * rate
            candidates = sorted(
                (
                    p
                    for p in self.positions.values()
                    if p.key[:2] == (payment.category, payment.symbol) and p.key not in taken
                ),
                key=lambda p: p.opened_seq,
            )
            chosen = next(
                (p for p in candidates if p.size == payment.position_amount),
                candidates[0] if candidates else None,
            )
            if chosen is not None:
                chosen.trip.funding += payment.amount
                taken.add(chosen.key)

    def open_trips(self, mark: Callable[[str, str, int], Decimal], at_ms: int) -> list[Trip]:
        """The open positions as open round trips, their unrealised PnL at ``mark``."""
        out = []
        for position in self.positions.values():
            category, symbol, side = position.key
            price = mark(category, symbol, at_ms)
            trip = position.trip
            trip.unrealised = futures_pnl(
                position.inverse, side, position.size, position.cost, price
            )
            trip.exit_price = price
            out.append(trip)
        return out

    def unrealised(
        self, mark: Callable[[str, str, int], Decimal], at_ms: int
    ) -> dict[str, Decimal]:
        """Unrealised PnL per margin coin at ``mark`` (each position rounded as the exchange
        rounds it)."""
        out: dict[str, Decimal] = {}
        for position in self.positions.values():
            category, symbol, side = position.key
            gain = futures_pnl(
                position.inverse, side, position.size, position.cost, mark(category, symbol, at_ms)
            )
            out[position.trip.coin] = out.get(position.trip.coin, ZERO) + gain
        return out


def replay(
    fills: Iterable[Fill], funding: Iterable[Funding], book: FuturesBook | None = None
) -> FuturesBook:
    """Replay futures fills and funding payments in time order (funding before the fills
    of the same millisecond: the exchange settles funding first).

    >>> f = lambda i, side, px, qty, ts, ps: Fill(str(i), "USDT-FUTURES", "BTCUSDT", side,
    ...     Decimal(px), Decimal(qty), Decimal("0"), "USDT", i, "BTC", "USDT",
    ...     pos_side=ps, trade_side=ts)
    >>> book = replay([f(1, "buy", "100", "2", "open", "long"),
    ...                f(2, "sell", "110", "2", "close", "long")], [])
    >>> [(t.pos_side, t.gross) for t in book.trips]
    [('long', Decimal('20.00000000'))]
    """
    book = FuturesBook() if book is None else book
    events: list[tuple[int, int, int, object]] = []
    for fill in fills:
        events.append((fill.time_ms, 1, fill.key[1], fill))
    for payment in funding:
        events.append((payment.time_ms, 0, payment.seq, payment))
    events.sort(key=lambda e: e[:3])
    batch: list[Funding] = []
    for _, kind, _, item in events:
        if kind == 0:
            assert isinstance(item, Funding)
            if batch and (batch[0].time_ms, batch[0].symbol) != (item.time_ms, item.symbol):
                book.fund(batch)
                batch = []
            batch.append(item)
            continue
        if batch:
            book.fund(batch)
            batch = []
        assert isinstance(item, Fill)
        book.apply(item)
    if batch:
        book.fund(batch)
    return book
