"""Wire records of orders and fills, list pages, and the history windows (spec §4.0, §4.1).

Every number goes out as a string (spec §4.0); ``reduceOnly`` as ``YES``/``NO`` (spec §7 #1);
categories uppercase.

>>> amount(Decimal("100000.000")), amount(Decimal("0.1234567891")), amount(Decimal(0))
('100000', '0.12345679', '0')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from . import defaults
from . import params as p
from .instruments import Instrument
from .orders import Fill, Order

__all__ = [
    "LOOKBACK_MS",
    "MAX_SPAN_MS",
    "amount",
    "cursor",
    "fill_record",
    "history_window",
    "order_record",
    "page",
]

_PLACES = Decimal("0.00000001")
_DAY_MS = 86_400_000
#: spec §4.0 [solid]: history reaches back 90 days; one query spans at most 30 days.
LOOKBACK_MS = 90 * _DAY_MS
MAX_SPAN_MS = 30 * _DAY_MS
#: A client that asks for exactly "now − 90 days" computed on its own clock is a little older
#: than the exchange's look-back by the time the request arrives: one minute of grace.
_LOOKBACK_GRACE_MS = 60_000

T = TypeVar("T")


def amount(value: Decimal) -> str:
    """A money amount for the wire: at most 8 decimals, no exponent, no trailing zeros."""
    text = format(value.quantize(_PLACES).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _fee_detail(fees: Mapping[str, Decimal]) -> list[dict[str, str]]:
    return [{"feeCoin": coin, "fee": amount(fee)} for coin, fee in fees.items()]


def order_record(order: Order, inst: Instrument, *, closed_fields: bool = True) -> dict[str, Any]:
    """Every field of spec §4.1.10. ``closed_fields=False`` drops ``cancelReason`` and
    ``execType``, which the open-orders list does not carry (spec §4.1.11)."""
    na = defaults.NOT_APPLICABLE
    avg = order.avg_price
    record: dict[str, Any] = {
        "orderId": order.order_id,
        "clientOid": order.client_oid,
        "category": order.category,
        "symbol": order.symbol,
        "orderType": order.order_type,
        "side": order.side,
        "price": (
            defaults.MARKET_ORDER_PRICE if order.price is None else inst.price_text(order.price)
        ),
        "qty": defaults.QUOTE_SIZED_QTY if order.quote_sized else inst.qty_text(order.qty),
        "amount": amount(order.amount) if order.quote_sized else defaults.BASE_SIZED_AMOUNT,
        "cumExecQty": inst.qty_text(order.cum_exec_qty),
        "cumExecValue": amount(order.cum_exec_value),
        "avgPrice": defaults.NO_FILL_AVG_PRICE if avg is None else amount(avg),
        "timeInForce": order.time_in_force,
        "orderStatus": order.status,
        # Futures: the position side and open/close as judged at placement, the hold and
        # margin mode it was placed under (spec §4.1.10, §5.3); empty on spot.
        "posSide": order.pos_side or na,
        "holdMode": order.hold_mode or na,
        "tradeSide": order.trade_side or na,
        "reduceOnly": "YES" if order.reduce_only else "NO",
        "marginMode": order.margin_mode or na,
        "stpMode": order.stp_mode,
    }
    for name in (
        "takeProfit",
        "stopLoss",
        "tpTriggerBy",
        "slTriggerBy",
        "tpOrderType",
        "slOrderType",
        "tpLimitPrice",
        "slLimitPrice",
    ):
        record[name] = order.extras.get(name, na)
    record["feeDetail"] = _fee_detail(order.fees)
    record["delegateType"] = defaults.DELEGATE_TYPE
    if closed_fields:
        record["cancelReason"] = order.cancel_reason
        record["execType"] = defaults.EXEC_TYPE
    record["createdTime"] = str(order.created_ms)
    record["updatedTime"] = str(order.updated_ms)
    return record


def fill_record(fill: Fill, inst: Instrument) -> dict[str, Any]:
    """Every field of spec §4.1.13 (fee positive = paid)."""
    na = defaults.NOT_APPLICABLE
    return {
        "execId": fill.exec_id,
        "execLinkId": fill.exec_link_id,
        "orderId": fill.order_id,
        "clientOid": fill.client_oid,
        "category": fill.category,
        "symbol": fill.symbol,
        "orderType": fill.order_type,
        "side": fill.side,
        "posSide": fill.pos_side or na,
        "execPrice": inst.price_text(fill.exec_price),
        "execQty": inst.qty_text(fill.exec_qty),
        "execValue": amount(fill.exec_value),
        "tradeScope": fill.trade_scope,
        "tradeSide": fill.trade_side or na,
        "feeDetail": [{"feeCoin": fill.fee_coin, "fee": amount(fill.fee)}],
        "execPnl": amount(fill.exec_pnl),
        "isRPI": defaults.IS_RPI,
        "createdTime": str(fill.created_ms),
        "updatedTime": str(fill.created_ms),
    }


def cursor(params: Mapping[str, Any]) -> int | None:
    """The ``cursor`` of a list request: the id of the last row of the previous page."""
    raw = p.optional_text(params, "cursor")
    if raw is None:
        return None
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise p.bad(f"cursor must be the cursor of a previous page (an id), got {raw!r}")
    return int(text)


def page(
    rows: Iterable[T], *, limit: int, key: Callable[[T], str], record: Callable[[T], Any]
) -> dict[str, Any]:
    """``{"list": [...], "cursor": "..."}``: up to ``limit`` rows; the cursor is the id of the
    last row returned while more rows follow, else "" (spec §9 #6).

    >>> page(iter("abc"), limit=2, key=str.upper, record=str)
    {'list': ['a', 'b'], 'cursor': 'B'}
    >>> page(iter("ab"), limit=2, key=str.upper, record=str)
    {'list': ['a', 'b'], 'cursor': ''}
    """
    chosen: list[T] = []
    more = False
    for row in rows:
        if len(chosen) == limit:
            more = True
            break
        chosen.append(row)
    return {
        "list": [record(row) for row in chosen],
        "cursor": key(chosen[-1]) if more and chosen else "",
    }


def history_window(params: Mapping[str, Any], now: int) -> tuple[int, int]:
    """``(startTime, endTime)`` of a history query (spec §4.0), defaults filled in as
    :data:`defaults.HISTORY_DEFAULT_SPAN_MS` says; a window that breaks a rule → 25200 with a
    detail naming the rule.

    >>> now = 100 * 86_400_000
    >>> history_window({}, now) == (now - 30 * 86_400_000, now)
    True
    >>> try:
    ...     history_window({"startTime": "0"}, now)
    ... except p.ExchangeError as exc:
    ...     print(exc.code, "90 days" in exc.msg)
    25200 True
    """
    start = p.timestamp_ms(params, "startTime")
    end = p.timestamp_ms(params, "endTime")
    oldest = now - LOOKBACK_MS
    span = defaults.HISTORY_DEFAULT_SPAN_MS
    if start is not None and end is not None and end < start:
        raise p.bad(f"endTime ({end}) must not be before startTime ({start})")
    if end is not None and end < oldest - _LOOKBACK_GRACE_MS:
        raise p.bad(
            f"endTime ({end}) is more than 90 days ago: history can be queried for the last "
            "90 days only"
        )
    if start is None:
        end = now if end is None else end
        start = max(oldest, end - span)
    elif end is None:
        end = start + span
    if start < oldest - _LOOKBACK_GRACE_MS:
        raise p.bad(
            f"startTime ({start}) is more than 90 days ago: history can be queried for the last "
            f"90 days only (from {oldest} on)"
        )
    if end - start > MAX_SPAN_MS:
        days = (end - start) / _DAY_MS
        raise p.bad(f"startTime..endTime spans {days:.1f} days; one query may span at most 30 days")
    return start, end
