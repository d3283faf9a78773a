"""Futures positions: their state, the contract arithmetic, and their wire records (spec §4.3).

Two kinds of contract share one set of formulas, written in the MARGIN COIN of the
instrument (:func:`margin_coin`):

* linear (USDT-/USDC-FUTURES): ``qty`` in base coin, margin, fees and PnL in the quote coin;
* inverse (COIN-FUTURES): ``qty`` in base coin too,
  margin, fees and PnL in the base coin — the USD PnL paid in the coin at the exit price.

A position keeps its size, the entry value of that size (``cost``, in quote/USD, so that
``avgPrice = cost / size``), the margin it holds locked, and the running totals the wire
reports. Every money amount is rounded half-up to :data:`defaults.FEE_DECIMALS` decimals.

The decisions these formulas implement (the spec leaves them open):

COIN-FUTURES ``qty`` is in BASE coin, like the other futures lines, and the contract is inverse:
margin, fees and PnL are in the base coin. A position of ``Q`` base opened at ``E`` has a face
value of ``Q × E`` USD; closing ``q`` of it at ``P`` realises ``q × (P − E) / P`` base coin for
a long (``q × (E − P) / P`` short) — the USD PnL of a linear contract paid in the coin at the
exit price. Initial margin is ``q / leverage`` base coin, a fee is ``q × rate`` base coin.
[conflict resolved] spec §7 #17 (older DOCS and the WS page say base coin; newer snapshots say
quote units): base coin keeps one ``qty`` meaning across every futures line.

Initial margin is fixed at entry: ``entry value / leverage`` (linear ``q × price / leverage``,
inverse ``q / leverage`` base coin), locked in the margin coin (``locked`` of the balance holds
open orders' margin and positions' margin). A set-leverage re-sizes the margin of the symbol's
positions and open orders. [choice]

Position fees (``openFeeTotal``/``closeFeeTotal``) are positive when paid, like ``feeDetail``
(spec §4.1.13, DOCS-CL). ``curRealisedPnl`` and ``execPnl`` are price PnL only, gross of fees
and funding, which are reported on their own. [unverified]

Liquidation is NOT simulated: positions are never force-closed and a balance may go below zero
after extreme losses. ``liquidationPrice`` is an estimate: the mark price at which the
position's backing equity equals its maintenance margin. Backing equity ``M`` = the position's
margin (isolated), or (crossed) the margin coin's wallet balance minus what open orders lock,
minus isolated margins, plus the unrealised PnL and minus the maintenance margin of the coin's
OTHER crossed positions. Linear: long ``(E − M/Q) / (1 − mmr)``, short ``(E + M/Q) / (1 +
mmr)``; inverse: long ``Q·E·(1 + mmr) / (M + Q)``, short ``Q·E·(1 − mmr) / (Q − M)``; rounded to
the tick. [choice]

``breakEvenPrice``: the close price at which the position's net result — ``curRealisedPnl`` +
``totalFunding`` − ``openFeeTotal`` − ``closeFeeTotal`` + the PnL of closing the rest − a taker
fee on that close — is zero; rounded to the tick. ``profitRate`` = unrealised PnL /
``positionBalance``. [unverified] spec §4.3.1 names the fields only.

>>> from bitget_nb.exchange.instruments import Catalogue
>>> cat = Catalogue.bundled()
>>> linear, inverse = cat.get("USDT-FUTURES", "BTCUSDT"), cat.get("COIN-FUTURES", "BTCUSD")
>>> pnl(linear, "long", Decimal("0.5"), Decimal("30000"), Decimal("61000"))
Decimal('500.00000000')
>>> pnl(inverse, "long", Decimal("0.5"), Decimal("30000"), Decimal("62500"))
Decimal('0.02000000')
>>> margin_coin(linear), margin_coin(inverse)
('USDT', 'BTC')
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from . import defaults
from .instruments import Instrument
from .orders import IdSequence

__all__ = [
    "Position",
    "PositionBook",
    "break_even_price",
    "fee_base",
    "initial_margin",
    "is_inverse",
    "liquidation_price",
    "maintenance_rate",
    "margin_coin",
    "money",
    "pnl",
    "position_value",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_MONEY = Decimal(1).scaleb(-defaults.FEE_DECIMALS)
#: ``cost`` keeps more decimals than money so that partial closes of a position opened at
#: several prices do not drift.
_COST = Decimal(1).scaleb(-12)
_RATE = Decimal("0.0001")


def money(value: Decimal) -> Decimal:
    """An amount of money: half-up to :data:`defaults.FEE_DECIMALS` decimals.

    >>> money(Decimal("1") / Decimal("3"))
    Decimal('0.33333333')
    """
    return value.quantize(_MONEY, rounding=ROUND_HALF_UP)


def is_inverse(inst: Instrument) -> bool:
    """COIN-FUTURES contracts are inverse (margined and settled in the base coin)."""
    return inst.category == "COIN-FUTURES"


def margin_coin(inst: Instrument) -> str:
    """The coin that margins, pays fees and settles PnL of ``inst``."""
    return inst.base_coin if is_inverse(inst) else inst.quote_coin


def fee_base(inst: Instrument, qty: Decimal, price: Decimal) -> Decimal:
    """The value a fee rate applies to, in the margin coin: ``qty × price`` (linear), ``qty``
    (inverse: a face value of ``qty × price`` USD is ``qty`` base coin at that price)."""
    return qty if is_inverse(inst) else qty * price


def initial_margin(inst: Instrument, qty: Decimal, price: Decimal, leverage: int) -> Decimal:
    """Margin for opening ``qty`` at ``price``: entry value / leverage, in the margin coin.

    >>> from bitget_nb.exchange.instruments import Catalogue
    >>> inst = Catalogue.bundled().get("USDT-FUTURES", "BTCUSDT")
    >>> initial_margin(inst, Decimal("0.1"), Decimal("60000"), 10)
    Decimal('600.00000000')
    """
    return money(fee_base(inst, qty, price) / leverage)


def pnl(inst: Instrument, side: str, qty: Decimal, cost: Decimal, price: Decimal) -> Decimal:
    """PnL of ``qty`` entered for ``cost`` (quote value), valued at ``price``, in the margin
    coin: linear long ``qty × price − cost``, short the opposite; inverse the same divided by
    ``price``."""
    gain = qty * price - cost if side == "long" else cost - qty * price
    return money(gain / price if is_inverse(inst) else gain)


def position_value(inst: Instrument, size: Decimal, cost: Decimal, price: Decimal) -> Decimal:
    """Position value at ``price`` in the margin coin: ``size × price`` (linear), the face
    value ``cost`` over ``price`` (inverse)."""
    return cost / price if is_inverse(inst) else size * price


def maintenance_rate(inst: Instrument) -> Decimal:
    """The maintenance-margin rate (:data:`defaults.MMR_SHARE_OF_MAX_LEVERAGE_IMR`).

    >>> from bitget_nb.exchange.instruments import Catalogue
    >>> maintenance_rate(Catalogue.bundled().get("USDT-FUTURES", "BTCUSDT"))
    Decimal('0.0040')
    """
    share = Decimal(defaults.MMR_SHARE_OF_MAX_LEVERAGE_IMR)
    return (share / (inst.max_leverage or 1)).quantize(_RATE, rounding=ROUND_HALF_UP)


def _to_tick(inst: Instrument, price: Decimal) -> Decimal:
    return (price / inst.tick).quantize(_ONE, rounding=ROUND_HALF_UP) * inst.tick


def liquidation_price(
    inst: Instrument, side: str, size: Decimal, cost: Decimal, backing: Decimal
) -> Decimal | None:
    """The estimated mark price at which ``backing`` equity meets the maintenance margin
    (formulas in the module docstring), on the tick; ``None`` when no
    positive price does.

    >>> from bitget_nb.exchange.instruments import Catalogue
    >>> inst = Catalogue.bundled().get("USDT-FUTURES", "BTCUSDT")
    >>> liquidation_price(inst, "long", Decimal("1"), Decimal("60000"), Decimal("6000"))
    Decimal('54216.9')
    """
    mmr = maintenance_rate(inst)
    entry = cost / size
    if is_inverse(inst):
        if side == "long":
            price = size * entry * (1 + mmr) / (backing + size)
        elif size > backing:
            price = size * entry * (1 - mmr) / (size - backing)
        else:
            return None
    elif side == "long":
        price = (entry - backing / size) / (1 - mmr)
    else:
        price = (entry + backing / size) / (1 + mmr)
    price = _to_tick(inst, price)
    return price if price > 0 else None


def break_even_price(
    inst: Instrument, side: str, size: Decimal, cost: Decimal, net: Decimal, rate: Decimal
) -> Decimal | None:
    """The close price at which ``net`` (realised PnL + funding − fees so far) plus the PnL of
    closing ``size`` minus a taker fee (``rate``) on it is zero, on the tick.

    >>> from bitget_nb.exchange.instruments import Catalogue
    >>> inst = Catalogue.bundled().get("USDT-FUTURES", "BTCUSDT")
    >>> break_even_price(inst, "long", Decimal("1"), Decimal("60000"), Decimal("-36"),
    ...                  Decimal("0.0006"))
    Decimal('60072.0')
    """
    entry = cost / size
    if is_inverse(inst):
        denominator = size + size * rate - net if side == "short" else net + size - size * rate
        if denominator <= 0:
            return None
        price = cost / denominator
    elif side == "long":
        price = (entry - net / size) / (1 - rate)
    else:
        price = (entry + net / size) / (1 + rate)
    price = _to_tick(inst, price)
    return price if price > 0 else None


@dataclass(slots=True)
class Position:
    """One open (or, in the history, closed) position of one side of one symbol.

    ``cost`` is the entry value of the open ``size`` in quote/USD; ``margin`` what it holds
    locked in ``margin_coin``; ``realised`` the gross price PnL of its closes;
    ``open_fee``/``close_fee`` fees paid (positive); ``funding`` funding received (negative
    when paid). ``opened_*``/``closed_*`` sum every open and close execution (history).
    """

    position_id: str
    category: str
    symbol: str
    pos_side: str
    margin_coin: str
    margin_mode: str
    hold_mode: str
    created_ms: int
    updated_ms: int
    size: Decimal = _ZERO
    cost: Decimal = _ZERO
    margin: Decimal = _ZERO
    realised: Decimal = _ZERO
    open_fee: Decimal = _ZERO
    close_fee: Decimal = _ZERO
    funding: Decimal = _ZERO
    opened_qty: Decimal = _ZERO
    opened_value: Decimal = _ZERO
    closed_qty: Decimal = _ZERO
    closed_value: Decimal = _ZERO
    #: A lead-trader position (spec §4.6, :data:`defaults.LEAD_CATEGORY`).
    lead: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.category, self.symbol, self.pos_side)

    @property
    def avg_price(self) -> Decimal:
        return self.cost / self.size if self.size else _ZERO

    @property
    def net(self) -> Decimal:
        """Realised PnL + funding − fees so far (``netProfit`` once closed)."""
        return self.realised + self.funding - self.open_fee - self.close_fee

    def open_part(self, qty: Decimal, price: Decimal, margin: Decimal, fee: Decimal) -> None:
        """Add ``qty`` entered at ``price`` holding ``margin``, having paid ``fee``."""
        self.size += qty
        self.cost += qty * price
        self.margin += margin
        self.open_fee += fee
        self.opened_qty += qty
        self.opened_value += qty * price

    def close_part(
        self, inst: Instrument, qty: Decimal, price: Decimal, fee: Decimal
    ) -> tuple[Decimal, Decimal]:
        """Take ``qty`` off at ``price``: return (realised PnL, margin released)."""
        if qty == self.size:
            cost, released = self.cost, self.margin
        else:
            cost = (self.cost * qty / self.size).quantize(_COST, rounding=ROUND_HALF_UP)
            released = money(self.margin * qty / self.size)
        gain = pnl(inst, self.pos_side, qty, cost, price)
        self.size -= qty
        self.cost -= cost
        self.margin -= released
        self.realised += gain
        self.close_fee += fee
        self.closed_qty += qty
        self.closed_value += qty * price
        return gain, released

    def unrealised(self, inst: Instrument, mark: Decimal) -> Decimal:
        return pnl(inst, self.pos_side, self.size, self.cost, mark) if self.size else _ZERO


class PositionBook:
    """The open positions of an account by (category, symbol, posSide), and the closed ones
    by ``positionId`` (ids grow with time) and, per category and per (category, symbol), by
    the time they closed — the history's windows are on the close time (spec §4.3.2)."""

    def __init__(self, *, seed: int) -> None:
        self._ids = IdSequence(seed=seed, stream="position")
        self._open: dict[tuple[str, str, str], Position] = {}
        self._history: list[Position] = []
        self._history_ids: list[int] = []
        #: (category, symbol or None) → (close times, positions) in close-time order.
        self._closes: dict[tuple[str, str | None], tuple[list[int], list[Position]]] = {}

    def get(self, category: str, symbol: str, pos_side: str) -> Position | None:
        return self._open.get((category, symbol, pos_side))

    def open_positions(
        self, category: str | None = None, symbol: str | None = None, pos_side: str | None = None
    ) -> list[Position]:
        """Open positions in the order they opened, optionally filtered."""
        return [
            p
            for p in self._open.values()
            if (category is None or p.category == category)
            and (symbol is None or p.symbol == symbol)
            and (pos_side is None or p.pos_side == pos_side)
        ]

    def net(self, category: str, symbol: str) -> Position | None:
        """The one position of a symbol in one-way mode (or the first, in hedge mode)."""
        for side in ("long", "short"):
            found = self._open.get((category, symbol, side))
            if found is not None:
                return found
        return None

    def open(
        self,
        inst: Instrument,
        pos_side: str,
        *,
        margin_mode: str,
        hold_mode: str,
        when: int,
    ) -> Position:
        """A new, empty position (filled by :meth:`Position.open_part`)."""
        key = (inst.category, inst.symbol, pos_side)
        assert key not in self._open, f"position {key} is already open"
        position = Position(
            position_id=self._ids.next(),
            category=inst.category,
            symbol=inst.symbol,
            pos_side=pos_side,
            margin_coin=margin_coin(inst),
            margin_mode=margin_mode,
            hold_mode=hold_mode,
            created_ms=when,
            updated_ms=when,
        )
        self._open[key] = position
        return position

    def close(self, position: Position) -> None:
        """Move a position whose size reached zero into the history."""
        assert position.size == 0
        del self._open[position.key]
        self.add_closed(position)

    def add_closed(self, position: Position) -> None:
        """Put a closed position into the history (closing it, or reopening an account)."""
        key = int(position.position_id)
        at = bisect.bisect_left(self._history_ids, key)
        self._history_ids.insert(at, key)
        self._history.insert(at, position)
        for index in ((position.category, None), (position.category, position.symbol)):
            times, line = self._closes.setdefault(index, ([], []))
            at = bisect.bisect_right(times, position.updated_ms)
            times.insert(at, position.updated_ms)
            line.insert(at, position)

    def newest_closed(
        self,
        before: int | None = None,
        *,
        category: str | None = None,
        symbol: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Iterator[Position]:
        """Closed positions newest first by ``positionId`` (ids grow with opening time, spec
        §9 #6), below the id ``before``; with a ``category`` (and ``symbol``), only those
        that closed in ``[start, end]``.

        A window is found by bisection on the close times, so a page costs what the
        positions closed inside the window cost, whatever the history holds outside it.
        """
        if category is None:
            hi = len(self._history_ids)
            if before is not None:
                hi = bisect.bisect_left(self._history_ids, before)
            for i in range(hi - 1, -1, -1):
                position = self._history[i]
                if (symbol is None or position.symbol == symbol) and (
                    (start is None or position.updated_ms >= start)
                    and (end is None or position.updated_ms <= end)
                ):
                    yield position
            return
        times, line = self._closes.get((category, symbol), ([], []))
        lo = 0 if start is None else bisect.bisect_left(times, start)
        hi = len(times) if end is None else bisect.bisect_right(times, end)
        window = [p for p in line[lo:hi] if before is None or int(p.position_id) < before]
        window.sort(key=lambda p: int(p.position_id), reverse=True)
        yield from window

    def __len__(self) -> int:
        return len(self._open)
