"""The canonical dump of a venue's state, and the export tables of a paper account.

:func:`canonical_state` turns everything that decides what the exchange answers from now on
into plain JSON values in a fixed order — amounts as exact decimal strings, ids as strings —
so that two venues are in the same state exactly when their dumps are equal. It is how the
persistence tests prove that a restart rebuilt the same account.

What it leaves out, on purpose: indexes derived from the orders (open orders, clientOid
lookups), caches (the market's paths, lazily made engines and settlements with nothing in
them), the secrets of the keys (only their SHA-256), and how far catch-up has looked at the
market — a catch-up that found nothing due leaves nothing to compare (see
:meth:`~.scheduler.CatchUp.catch_up`).

:func:`export_tables` is what ``python -m bitget_nb export`` writes: orders, fills, balances,
positions, strategy orders and transfers, one flat row of strings per record, with the wire's
field names.

>>> from bitget_nb.exchange.clock import ManualClock
>>> from bitget_nb.exchange.venue import Venue
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> state = canonical_state(venue)
>>> state["balances"]["USDT"], state["clock"]
({'available': '100000', 'locked': '0', 'debt': '0'}, {'kind': 'manual', 'now_ms': 1748736000000})
>>> tables = export_tables(venue)
>>> sorted(tables), tables["balances"][0]["coin"]
(['balances', 'fills', 'orders', 'positions', 'strategy_orders', 'transfers'], 'BTC')
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .clock import Clock, ManualClock, PinnedClock, WallClock
from .orders import Fill, Order
from .positions import Position

if TYPE_CHECKING:
    from .venue import Venue

__all__ = ["canonical_state", "clock_state", "exact", "export_tables"]


def exact(value: Decimal) -> str:
    """A Decimal as an exact plain string: every digit it has, never an exponent.

    >>> exact(Decimal("500.00")), exact(Decimal("1E-8")), exact(Decimal("-0"))
    ('500.00', '0.00000001', '0')
    """
    text = format(value, "f")
    return "0" if text == "-0" else text


def _plain(value: Any) -> Any:
    """Dataclasses, mappings and sequences as JSON values; Decimals as exact strings."""
    if isinstance(value, Decimal):
        return exact(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _key(key: Any) -> str:
    return ":".join(map(str, key)) if isinstance(key, tuple) else str(key)


def clock_state(clock: Clock) -> dict[str, Any]:
    """Where a clock stands: a manual clock's time, or a wall clock's offset."""
    inner = clock.inner if isinstance(clock, PinnedClock) else clock
    if isinstance(inner, ManualClock):
        return {"kind": "manual", "now_ms": inner.now_ms()}
    if isinstance(inner, WallClock):
        return {"kind": "wall", "offset_ms": inner.offset_ms}
    return {"kind": type(inner).__name__}


def canonical_state(venue: Venue) -> dict[str, Any]:
    """Every piece of state of ``venue`` that decides its answers from now on, as JSON values
    in a fixed order (see the module docstring for what is left out)."""
    with venue.lock:
        account, trading, lead = venue.account, venue.trading, venue.lead
        store, futures = trading.store, trading.futures
        books = {}
        for key, engine in sorted(trading.books.engines().items()):
            consumed = {
                f"{side}:{ticks}": exact(qty) for (side, ticks), qty in engine._consumed.items()
            }
            if engine.bids or engine.asks or consumed:
                books[key] = {
                    "bids": [o.order_id for o in engine.bids],
                    "asks": [o.order_id for o in engine.asks],
                    "second": engine._second,
                    "consumed": dict(sorted(consumed.items())),
                }
        return {
            "seed": venue.seed,
            "clock": clock_state(venue.clock),
            "account": {
                "uid": account.uid,
                "registered_ms": account.registered_ms,
                "account_mode": account.account_mode,
                "asset_mode": account.asset_mode,
                "account_level": account.account_level,
                "hold_mode": account.hold_mode,
                "stp_mode": account.stp_mode,
                "symbol_configs": [_plain(c) for c in account.symbol_configs.values()],
                "coin_leverage": dict(sorted(account.coin_leverage.items())),
                "keys": [
                    {
                        "api_key": k.api_key,
                        "read_only": k.read_only,
                        "permissions": list(k.permissions),
                        "secrets_sha256": hashlib.sha256(
                            f"{k.secret}\n{k.passphrase}".encode()
                        ).hexdigest(),
                    }
                    for k in account.keys
                ],
            },
            "balances": {
                coin: _plain(balance) for coin, balance in sorted(account.balances.items())
            },
            "orders": [_plain(o) for o in reversed(list(store.newest_orders()))],
            "fills": [_plain(f) for f in reversed(list(store.newest_fills()))],
            "books": books,
            "positions": {
                "open": [_plain(pos) for pos in trading.positions.open_positions()],
                "closed": [
                    _plain(pos) for pos in reversed(list(trading.positions.newest_closed()))
                ],
            },
            "strategy_orders": [_plain(s) for s in trading.strategies.orders()],
            "countdown": _plain(trading.countdown),
            "lead": {
                "balances": {coin: exact(v) for coin, v in sorted(lead.balances.items())},
                "transfers": [_plain(t) for t in lead.transfers],
            },
            "ledger": {
                "entries": [_plain(e) for e in trading.ledger.all_entries()],
                "balances": {c: exact(v) for c, v in sorted(trading.ledger.balances.items())},
                "last_id": trading.ledger.last_id,
            },
            "totals": {
                "fees_paid": {c: exact(v) for c, v in sorted(trading.fees_paid.items())},
                "realised": {c: exact(v) for c, v in sorted(futures.realised_by_coin.items())},
                "funding": {c: exact(v) for c, v in sorted(futures.funding_by_coin.items())},
            },
            "sequences": {
                "order": trading.entry._order_ids.last,
                "exec": trading.entry._exec_ids.last,
                "trade": trading.entry._trade_ids.last,
                "strategy": trading.strategy_book._ids.last,
                "position": trading.positions._ids.last,
                "transfer": lead._ids.last,
                "book_priority": trading.entry._seq,
            },
        }


# -- export ------------------------------------------------------------------------------------


def _order_row(order: Order) -> dict[str, str]:
    return {
        "orderId": order.order_id,
        "clientOid": order.client_oid,
        "category": order.category,
        "symbol": order.symbol,
        "side": order.side,
        "orderType": order.order_type,
        "timeInForce": order.time_in_force,
        "price": "" if order.price is None else exact(order.price),
        "qty": exact(order.qty),
        "amount": exact(order.amount),
        "orderStatus": order.status,
        "cumExecQty": exact(order.cum_exec_qty),
        "cumExecValue": exact(order.cum_exec_value),
        "feeDetail": json.dumps({coin: exact(fee) for coin, fee in order.fees.items()}),
        "reduceOnly": "YES" if order.reduce_only else "NO",
        "posSide": order.pos_side,
        "tradeSide": order.trade_side,
        "holdMode": order.hold_mode,
        "marginMode": order.margin_mode,
        "stpMode": order.stp_mode,
        "cancelReason": order.cancel_reason,
        "reserveCoin": order.reserve_coin,
        "reserved": exact(order.reserved),
        "createdTime": str(order.created_ms),
        "updatedTime": str(order.updated_ms),
    }


def _fill_row(fill: Fill) -> dict[str, str]:
    return {
        "execId": fill.exec_id,
        "execLinkId": fill.exec_link_id,
        "orderId": fill.order_id,
        "clientOid": fill.client_oid,
        "category": fill.category,
        "symbol": fill.symbol,
        "orderType": fill.order_type,
        "side": fill.side,
        "posSide": fill.pos_side,
        "tradeSide": fill.trade_side,
        "execPrice": exact(fill.exec_price),
        "execQty": exact(fill.exec_qty),
        "execValue": exact(fill.exec_value),
        "tradeScope": fill.trade_scope,
        "feeCoin": fill.fee_coin,
        "fee": exact(fill.fee),
        "execPnl": exact(fill.exec_pnl),
        "createdTime": str(fill.created_ms),
    }


def _position_row(position: Position, status: str) -> dict[str, str]:
    return {
        "positionId": position.position_id,
        "status": status,
        "category": position.category,
        "symbol": position.symbol,
        "posSide": position.pos_side,
        "marginCoin": position.margin_coin,
        "marginMode": position.margin_mode,
        "holdMode": position.hold_mode,
        "size": exact(position.size),
        "cost": exact(position.cost),
        "margin": exact(position.margin),
        "realisedPnl": exact(position.realised),
        "openFee": exact(position.open_fee),
        "closeFee": exact(position.close_fee),
        "funding": exact(position.funding),
        "openedQty": exact(position.opened_qty),
        "openedValue": exact(position.opened_value),
        "closedQty": exact(position.closed_qty),
        "closedValue": exact(position.closed_value),
        "lead": "YES" if position.lead else "NO",
        "createdTime": str(position.created_ms),
        "updatedTime": str(position.updated_ms),
    }


def export_tables(venue: Venue) -> dict[str, list[dict[str, str]]]:
    """The paper account as flat tables of strings: ``orders``, ``fills``, ``balances``
    (the unified account's coins, then the lead account's), ``positions`` (open, then closed),
    ``strategy_orders`` (one row per leg) and ``transfers`` — oldest first."""
    with venue.lock:
        trading, store = venue.trading, venue.trading.store
        book = trading.positions
        balances = [
            {
                "account": "unified",
                "coin": coin,
                "balance": exact(bal.total),
                "available": exact(bal.available),
                "locked": exact(bal.locked),
                "debt": exact(bal.debt),
            }
            for coin, bal in sorted(venue.account.balances.items())
        ]
        balances += [
            {
                "account": "lead",
                "coin": coin,
                "balance": exact(value),
                "available": exact(value),
                "locked": "0",
                "debt": "0",
            }
            for coin, value in sorted(venue.lead.balances.items())
        ]
        strategy_rows = [
            {
                "orderId": s.order_id,
                "clientOid": s.client_oid,
                "category": s.category,
                "symbol": s.symbol,
                "posSide": s.pos_side,
                "tpslMode": s.tpsl_mode,
                "qty": exact(s.qty),
                "triggerType": leg.trigger_type,
                "triggerPrice": exact(leg.price),
                "triggerBy": leg.trigger_by,
                "orderType": leg.order_type,
                "limitPrice": "" if leg.limit_price is None else exact(leg.limit_price),
                "status": leg.status,
                "originOrderId": s.origin_order_id,
                "createdTime": str(s.created_ms),
                "updatedTime": str(max(s.updated_ms, leg.updated_ms)),
            }
            for s in trading.strategies.orders()
            for leg in s.legs.values()
        ]
        return {
            "orders": [_order_row(o) for o in reversed(list(store.newest_orders()))],
            "fills": [_fill_row(f) for f in reversed(list(store.newest_fills()))],
            "balances": balances,
            "positions": [_position_row(pos, "open") for pos in book.open_positions()]
            + [_position_row(pos, "closed") for pos in reversed(list(book.newest_closed()))],
            "strategy_orders": strategy_rows,
            "transfers": [
                {
                    "transferId": t.transfer_id,
                    "fromType": t.from_type,
                    "toType": t.to_type,
                    "coin": t.coin,
                    "amount": exact(t.amount),
                    "createdTime": str(t.created_ms),
                }
                for t in venue.lead.transfers
            ],
        }
