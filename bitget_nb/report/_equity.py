"""Equity over time from the ledger's running balances and the positions, on Decimals.

:func:`equity_points` walks the ledger rows (each sets its coin's balance), the positions'
changes (:attr:`FuturesBook.history`) and a grid of valuation times, and values the account
at each: ``Σ balance × price(coin) + Σ unrealised PnL × price(margin coin)``, in USDT, with
``price`` and ``mark`` functions the caller gives (candles' closes, tickers' prices). Rows
that bring money in or take it out (initial funds, transfers, deposits, withdrawals) are
*flows*: they change equity without being PnL, and returns leave them out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from ._lots import ZERO, futures_pnl

__all__ = ["FLOW_TYPES", "FUNDING_TYPES", "LedgerRow", "Point", "equity_points"]

#: Ledger types that move money into or out of the account (Bitget's DOCS enumeration of
#: financial-record types; PAPTRADING_USER_IN = demo funds).
FLOW_TYPES = frozenset({"PAPTRADING_USER_IN", "TRANSFER_IN", "TRANSFER_OUT", "DEPOSIT", "WITHDRAW"})
#: Ledger types of funding payments (crossed and isolated positions).
FUNDING_TYPES = frozenset(
    {
        "CONTRACT_MAIN_SETTLE_FEE_USER_IN",
        "CONTRACT_MAIN_SETTLE_FEE_USER_OUT",
        "FIXED_SETTLE_FEE_USER_IN",
        "FIXED_SETTLE_FEE_USER_OUT",
    }
)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One ledger row: ``coin`` changed by ``amount + fee`` to ``balance``."""

    seq: int
    time_ms: int
    category: str
    symbol: str
    coin: str
    type: str
    amount: Decimal
    fee: Decimal
    balance: Decimal
    position_amount: Decimal | None = None

    @property
    def change(self) -> Decimal:
        return self.amount + self.fee

    @property
    def is_flow(self) -> bool:
        return self.type in FLOW_TYPES


@dataclass(frozen=True, slots=True)
class Point:
    """The account at one instant, in USDT: equity, the flows booked at that instant, the
    unrealised PnL inside the equity, and whether a position (or bought spot lot) was open."""

    time_ms: int
    equity: Decimal
    flow: Decimal
    unrealised: Decimal


Price = Callable[[str, int], Decimal]
Mark = Callable[[str, str, int], Decimal]


def equity_points(
    ledger: Iterable[LedgerRow],
    *,
    opening: Mapping[str, Decimal],
    positions: Iterable[tuple[int, tuple[str, str, str], Decimal, Decimal, bool]],
    margin_coin: Mapping[tuple[str, str], str],
    times: Iterable[int],
    price: Price,
    mark: Mark,
) -> list[Point]:
    """The account's equity at every ledger row's time, every position change and every
    time of ``times``, in time order (one point per instant, after what happened then).

    ``opening``: each coin's balance before the first row. ``positions``: (time, (category,
    symbol, posSide), size, cost, inverse) after each change.

    >>> row = LedgerRow(1, 10, "SPOT", "", "USDT", "PAPTRADING_USER_IN", Decimal(100),
    ...                 Decimal(0), Decimal(100))
    >>> pts = equity_points([row], opening={}, positions=[], margin_coin={}, times=[20],
    ...                     price=lambda c, t: Decimal(1), mark=lambda c, s, t: Decimal(1))
    >>> [(p.time_ms, p.equity, p.flow) for p in pts]
    [(10, Decimal('100'), Decimal('100')), (20, Decimal('100'), Decimal('0'))]
    """
    rows = sorted(ledger, key=lambda r: (r.time_ms, r.seq))
    changes = sorted(positions, key=lambda c: c[0])
    instants = sorted({r.time_ms for r in rows} | {c[0] for c in changes} | set(times))
    balances = dict(opening)
    open_positions: dict[tuple[str, str, str], tuple[Decimal, Decimal, bool]] = {}
    points: list[Point] = []
    i = j = 0
    for t in instants:
        flow = ZERO
        while i < len(rows) and rows[i].time_ms <= t:
            row = rows[i]
            balances[row.coin] = row.balance
            if row.is_flow:
                flow += row.change * price(row.coin, row.time_ms)
            i += 1
        while j < len(changes) and changes[j][0] <= t:
            _, key, size, cost, inverse = changes[j]
            if size:
                open_positions[key] = (size, cost, inverse)
            else:
                open_positions.pop(key, None)
            j += 1
        equity = sum((b * price(c, t) for c, b in balances.items() if b), ZERO)
        unrealised = ZERO
        for (category, symbol, side), (size, cost, inverse) in open_positions.items():
            gain = futures_pnl(inverse, side, size, cost, mark(category, symbol, t))
            unrealised += gain * price(margin_coin[(category, symbol)], t)
        points.append(Point(t, equity + unrealised, flow, unrealised))
    return points
