"""The exchange's books, checked from its own domain state: balances explained by fills, fees
and funding; orders explained by their fills; locks explained by open orders and positions;
and a digest of everything a request could change.

These read the domain core directly (``ex.venue``), never the HTTP answers, so a bug in the
wire layer cannot hide a bug in the books.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import bitget_nb as bg

_ZERO = Decimal(0)


def wallet_totals(ex: bg.LocalExchange) -> dict[str, Decimal]:
    """Each coin's wallet balance (available + locked), zero rows left out."""
    balances = ex.venue.account.balances
    return {coin: row.total for coin, row in balances.items() if row.total or row.debt}


def expected_totals(ex: bg.LocalExchange, initial: dict[str, Decimal]) -> dict[str, Decimal]:
    """Each coin's balance rebuilt from the initial funding and the exchange's own records:

    * a spot fill moves ``execQty`` of the base coin and ``execValue`` of the quote coin;
    * a futures fill books its realised PnL (``execPnl``) in the margin coin (its fee coin);
    * every fill's fee leaves its fee coin;
    * funding paid or received moves the margin coin.
    """
    expected: defaultdict[str, Decimal] = defaultdict(Decimal, initial)
    catalogue = ex.venue.catalogue
    for fill in ex.venue.trading.store.newest_fills():
        if fill.category == "SPOT":
            inst = catalogue.get(fill.category, fill.symbol)
            assert inst is not None
            sign = 1 if fill.side == "buy" else -1
            expected[inst.base_coin] += sign * fill.exec_qty
            expected[inst.quote_coin] -= sign * fill.exec_value
        else:
            expected[fill.fee_coin] += fill.exec_pnl
        expected[fill.fee_coin] -= fill.fee
    for coin, received in ex.venue.trading.futures.funding_by_coin.items():
        expected[coin] += received
    return {coin: value for coin, value in expected.items() if value}


def conservation_errors(ex: bg.LocalExchange, initial: dict[str, Decimal]) -> list[str]:
    """Every coin whose balance the fills, fees and funding do not explain exactly, and any
    disagreement between the fills and the exchange's running fee / PnL totals."""
    errors = []
    actual, expected = wallet_totals(ex), expected_totals(ex, initial)
    for coin in sorted(set(actual) | set(expected)):
        if actual.get(coin, _ZERO) != expected.get(coin, _ZERO):
            errors.append(
                f"{coin}: balance {actual.get(coin, _ZERO)} but fills, fees and funding "
                f"explain {expected.get(coin, _ZERO)}"
            )
    fees: Counter[str] = Counter()
    pnl: Counter[str] = Counter()
    for fill in ex.venue.trading.store.newest_fills():
        fees[fill.fee_coin] += fill.fee
        if fill.category != "SPOT":
            pnl[fill.fee_coin] += fill.exec_pnl
    trading = ex.venue.trading
    if _nonzero(fees) != _nonzero(trading.fees_paid):
        errors.append(f"fees of the fills {dict(fees)} != fees_paid {trading.fees_paid}")
    if _nonzero(pnl) != _nonzero(trading.futures.realised_by_coin):
        errors.append(
            f"PnL of the fills {dict(pnl)} != realised_by_coin {trading.futures.realised_by_coin}"
        )
    return errors


def _nonzero(values: Any) -> dict[str, Decimal]:
    return {k: v for k, v in dict(values).items() if v}


def consistency_errors(ex: bg.LocalExchange) -> list[str]:
    """Orders agree with their fills (no double fill, nothing filled beyond its size, a
    status that matches), and every coin's ``locked`` is exactly what its open orders reserve
    plus the margin of its open positions (no lost update)."""
    errors = []
    store = ex.venue.trading.store
    exec_ids: Counter[str] = Counter()
    locked: defaultdict[str, Decimal] = defaultdict(Decimal)
    for order in store.newest_orders():
        fills = store.fills_of(order.order_id)
        exec_ids.update(f.exec_id for f in fills)
        qty = sum((f.exec_qty for f in fills), _ZERO)
        value = sum((f.exec_value for f in fills), _ZERO)
        name = f"order {order.order_id} ({order.client_oid}, {order.status})"
        if (qty, value) != (order.cum_exec_qty, order.cum_exec_value):
            errors.append(
                f"{name}: fills add up to {qty} / {value}, the order says "
                f"{order.cum_exec_qty} / {order.cum_exec_value}"
            )
        if order.quote_sized:
            if order.cum_exec_value > order.amount:
                errors.append(f"{name}: spent {order.cum_exec_value} of {order.amount}")
        else:
            if order.cum_exec_qty > order.qty:
                errors.append(f"{name}: filled {order.cum_exec_qty} of {order.qty}")
            if order.status == "filled" and order.cum_exec_qty != order.qty:
                errors.append(f"{name}: filled with {order.cum_exec_qty} of {order.qty}")
            if order.is_open and order.cum_exec_qty >= order.qty:
                errors.append(f"{name}: open with nothing left")
        if order.is_open:
            locked[order.reserve_coin] += order.reserved
        elif order.reserved:
            errors.append(f"{name}: closed but still reserves {order.reserved}")
    for position in ex.venue.trading.positions.open_positions():
        locked[position.margin_coin] += position.margin
    duplicates = [e for e, n in exec_ids.items() if n > 1]
    if duplicates:
        errors.append(f"fills recorded twice: {duplicates[:5]}")
    if len(exec_ids) != store.fill_count:
        errors.append(f"{store.fill_count} fills stored, {len(exec_ids)} belong to orders")
    for coin, row in ex.venue.account.balances.items():
        if row.locked != locked.get(coin, _ZERO):
            errors.append(
                f"{coin}: locked {row.locked}, open orders and positions hold "
                f"{locked.get(coin, _ZERO)}"
            )
    return errors


def _canon(value: Any, depth: int = 0) -> Any:
    """A plain, comparable form of domain state (dataclasses by field, dicts sorted)."""
    if depth > 8:
        return "…"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (f.name, _canon(getattr(value, f.name), depth + 1))
                for f in dataclasses.fields(value)
            ),
        )
    if isinstance(value, dict):
        items = [(_canon(k, depth + 1), _canon(v, depth + 1)) for k, v in value.items()]
        return ("dict", tuple(sorted(items, key=repr)))
    if isinstance(value, list | tuple | set | frozenset):
        return (type(value).__name__, tuple(_canon(v, depth + 1) for v in value))
    if isinstance(value, str | int | float | bool | Decimal | type(None)):
        return value
    if hasattr(value, "__dict__"):
        return (type(value).__name__, _canon(vars(value), depth + 1))
    return repr(value)


def state_digest(ex: bg.LocalExchange) -> str:
    """A hash of everything a request may change: balances (zero rows left out), account
    settings, orders, fills, fees, positions (open and closed), PnL and funding totals,
    strategy orders, the countdown and the copy-trading lead account."""
    venue, trading = ex.venue, ex.venue.trading
    account = venue.account
    positions = trading.positions
    lead = {k: v for k, v in vars(venue.lead).items() if k not in ("account", "trading", "clock")}
    state = (
        sorted(
            (coin, _canon(row)) for coin, row in account.balances.items() if row.total or row.debt
        ),
        account.hold_mode,
        account.stp_mode,
        account.account_mode,
        _canon(account.symbol_configs),
        _canon(account.coin_leverage),
        [_canon(o) for o in trading.store.newest_orders()],
        [_canon(f) for f in trading.store.newest_fills()],
        _nonzero(trading.fees_paid),
        [_canon(p) for p in positions.open_positions()],
        [_canon(p) for p in positions.newest_closed()],
        _nonzero(trading.futures.realised_by_coin),
        _nonzero(trading.futures.funding_by_coin),
        [_canon(s) for s in trading.strategies.orders()],
        _canon(trading.countdown),
        _canon(lead),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()
