"""WebSocket wire records: the V3 push and reply shapes, built from the REST records.

Every value the WebSocket sends is first a REST record made by the API layer (``api.py``
through :meth:`~.venue.Venue.call`, or :mod:`.records` for an event's copy of an order or
fill), so a price, a size or a status is formatted in ONE place and a push can never say
what REST does not. This module only renames and re-cases those records into the channel
shapes of ``shared/spec/bitget-v3-ws.md`` (cited as WS), builds the envelopes, and computes
the order-book checksum (WS §4.3.2):

>>> book_checksum([["43231.1", "4"], ["43231", "6"]], [["43232.8", "9"], ["43232.9", "8"]])
-1504501796
>>> book_checksum([["3366.1", "7"]], [["3366.8", "9"], ["3368", "8"], ["3372", "8"]])
831078360

Codes of the connection level (``300xx``, WS §3.3) are wire facts of the WebSocket only;
they live here, in :data:`WS_CODES`. Trade replies carry the REST codes as strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..signing import book_checksum
from . import defaults

__all__ = [
    "PRIVATE_TOPICS",
    "PUBLIC_TOPICS",
    "WS_CODES",
    "account_push",
    "book_checksum",
    "book_diff",
    "candle_push",
    "dumps",
    "fill_push",
    "order_push",
    "position_push",
    "strategy_push",
    "ticker_push",
    "trade_push",
]

#: Connection-level codes and their messages (WS §2.4, §3.3; CCXT's and JK's maps).
WS_CODES: Final[dict[int, str]] = {
    30001: "channel doesn't exist",
    30002: "illegal request",
    30003: "invalid op",
    30004: "login required",
    30005: "login failed",
    30006: "too many requests",
    30007: "request over limit, connection close",
    30011: "invalid ACCESS_KEY",
    30012: "invalid ACCESS_PASSPHRASE",
    30013: "invalid ACCESS_TIMESTAMP",
    30014: "Request timestamp expired",
    30015: "Invalid sign",
    30016: "param error",
}

#: Public channels served (WS §4; ``liquidation`` and ``rpi-books*`` are not simulated).
PUBLIC_TOPICS: Final = ("ticker", "kline", "books", "books1", "books5", "books50", "publicTrade")
#: Private channels served (WS §5; ``adl-notification`` is not: there is no ADL).
PRIVATE_TOPICS: Final = ("account", "position", "order", "fill", "fast-fill", "strategy-order")
#: Levels of the fixed-depth book channels.
BOOK_DEPTHS: Final = {"books1": 1, "books5": 5, "books50": 50}


def dumps(message: Mapping[str, Any]) -> str:
    """Compact JSON text (every frame is a text frame, WS §1.2)."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


# -- order book ------------------------------------------------------------------------------


def book_diff(old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]) -> list[list[str]]:
    """The levels that turn one side ``old`` into ``new``: changed or new levels with their
    size, removed ones with size ``"0"`` (WS §4.3), in the order of ``new`` then removals.

    >>> book_diff([["10", "1"], ["9", "2"]], [["10", "3"], ["8", "1"]])
    [['10', '3'], ['8', '1'], ['9', '0']]
    """
    before = {price: size for price, size in old}
    after = {price: size for price, size in new}
    changed = [[price, size] for price, size in new if before.get(price) != size]
    removed = [[price, "0"] for price, _ in old if price not in after]
    return changed + removed


# -- public records --------------------------------------------------------------------------


def ticker_push(row: Mapping[str, Any], next_funding: str | None) -> dict[str, Any]:
    """A REST ticker row as the ``ticker`` channel's data (WS §4.1): no ``category``,
    ``symbol`` or ``ts`` inside (the symbol is in ``arg``, the time in the envelope); futures
    add ``nextFundingTime`` (perpetuals) and the delivery fields (``""`` on perpetuals)."""
    out = {k: v for k, v in row.items() if k not in ("category", "symbol", "ts")}
    if "markPrice" in row:
        out["nextFundingTime"] = next_funding or ""
        out["deliveryTime"] = out["deliveryStartTime"] = out["deliveryStatus"] = ""
    return out


def candle_push(row: Sequence[str]) -> dict[str, str]:
    """A REST candle row ``[ts, open, high, low, close, volume, turnover]`` (WS §4.2)."""
    return {
        "start": row[0],
        "open": row[1],
        "high": row[2],
        "low": row[3],
        "close": row[4],
        "volume": row[5],
        "turnover": row[6],
    }


def trade_push(row: Mapping[str, str]) -> dict[str, str]:
    """A REST public trade as the ``publicTrade`` channel's one-letter record (WS §4.4)."""
    return {
        "i": row["execId"],
        "L": row["execLinkId"],
        "p": row["price"],
        "v": row["size"],
        "S": row["side"],
        "T": row["ts"],
        "isRPI": str(row["isRPI"]).lower(),  # WS §4.4: yes/no (REST says NO, defaults.IS_RPI)
    }


# -- private records -------------------------------------------------------------------------


def account_push(assets: Mapping[str, Any]) -> dict[str, Any]:
    """REST ``account/assets`` as the ``account`` channel's object (WS §5.1): the WS names
    ``totalEquity``, ``unrealisedPnL`` (capital L), ``coin[]`` with ``debts`` (plural) and
    ``borrow`` (the simulator's debt is what was borrowed)."""
    return {
        "totalEquity": assets["accountEquity"],
        "effEquity": assets["effEquity"],
        "unrealisedPnL": assets["unrealisedPnl"],
        "mmr": assets["mmr"],
        "imr": assets["imr"],
        "mgnRatio": assets["mgnRatio"],
        "positionMgnRatio": assets["positionMgnRatio"],
        "coin": [
            {
                "coin": c["coin"],
                "balance": c["balance"],
                "available": c["available"],
                "locked": c["locked"],
                "equity": c["equity"],
                "usdValue": c["usdValue"],
                "borrow": c["debt"],
                "debts": c["debt"],
                # WS §5.1 [single: GO, TYPED per coin]; typed-bitget 0.6.0 requires it
                "bonus": defaults.WS_COIN_BONUS,
            }
            for c in assets["assets"]
        ],
    }


def position_push(row: Mapping[str, Any]) -> dict[str, Any]:
    """A REST ``current-position`` row as the ``position`` channel's (WS §5.2): ``size``,
    ``marginSize``, ``liqPrice``, ``totalFundingFee``; no ``category``."""
    renamed = {
        "total": "size",
        "positionBalance": "marginSize",
        "liquidationPrice": "liqPrice",
        "totalFunding": "totalFundingFee",
    }
    out = {renamed.get(k, k): v for k, v in row.items() if k != "category"}
    out["positionStatus"] = defaults.WS_POSITION_OPEN
    out.setdefault("marginRate", "")
    out.setdefault("cashDividend", defaults.WS_CASH_DIVIDEND)
    return out


def closed_position_push(row: Mapping[str, Any]) -> dict[str, Any]:
    """A position that just closed (its REST ``history-position`` row) as the ``position``
    channel shows it: ``size`` 0, ``positionStatus`` ``ended`` (WS §5.2 sample), the figures
    a flat position has no more as ``""``."""
    empty = ("leverage", "markPrice", "breakEvenPrice", "liqPrice", "mmr", "marginRate")
    out: dict[str, Any] = {
        "symbol": row["symbol"],
        "marginCoin": row["marginCoin"],
        "marginMode": row["marginMode"],
        "posSide": row["posSide"],
        "holdMode": row["holdMode"],
        "size": "0",
        "available": "0",
        "frozen": "0",
        "avgPrice": row["openPriceAvg"],
        "marginSize": "0",
        "curRealisedPnl": row["cumRealisedPnl"],
        "unrealisedPnl": "0",
        "profitRate": "0",
        "totalFundingFee": row["totalFunding"],
        "openFeeTotal": row["openFeeTotal"],
        "closeFeeTotal": row["closeFeeTotal"],
        "positionStatus": defaults.WS_POSITION_ENDED,
        "cashDividend": defaults.WS_CASH_DIVIDEND,
        "createdTime": row["createdTime"],
        "updatedTime": row["updatedTime"],
    }
    out.update(dict.fromkeys(empty, ""))
    return out


def order_push(record: Mapping[str, Any]) -> dict[str, Any]:
    """A REST order record (:func:`.records.order_record`) as the ``order`` channel's
    (WS §5.3): lowercase ``category`` and ``reduceOnly``, ``holdSide`` for ``posSide``,
    ``new`` for ``live``, lowercase ``takeprofit``/``stoploss``, ``""`` price on a market
    order, and the WS-only ``marginCoin``/``leverage``/``totalProfit`` (``""``: not known
    on the order)."""
    renamed = {"posSide": "holdSide", "takeProfit": "takeprofit", "stopLoss": "stoploss"}
    out = {renamed.get(k, k): v for k, v in record.items() if k != "execType"}
    out["category"] = str(record["category"]).lower()
    out["reduceOnly"] = str(record["reduceOnly"]).lower()
    status = str(record["orderStatus"])
    out["orderStatus"] = defaults.WS_ORDER_STATUS.get(status, status)
    if record.get("orderType") == "market":
        out["price"] = ""
    for name in ("marginCoin", "leverage", "totalProfit"):
        out.setdefault(name, "")
    return out


def fill_push(record: Mapping[str, Any]) -> dict[str, Any]:
    """A REST fill record (:func:`.records.fill_record`) as the ``fill`` channel's
    (WS §5.4): lowercase ``category`` and ``isRPI`` (``yes``/``no`` as the WS samples and
    typed-bitget's WS models have it; REST says ``NO``), ``holdSide``, ``execTime``."""
    renamed = {"posSide": "holdSide", "createdTime": "execTime"}
    out = {renamed.get(k, k): v for k, v in record.items()}
    out["category"] = str(record["category"]).lower()
    if "isRPI" in out:
        out["isRPI"] = str(out["isRPI"]).lower()
    out["updatedTime"] = record["updatedTime"]
    return out


def fast_fill_push(record: Mapping[str, Any]) -> dict[str, Any]:
    """The ``fast-fill`` channel's object: the fill without fees or PnL (WS §5.5)."""
    full = fill_push(record)
    keys = (
        "category",
        "symbol",
        "orderId",
        "clientOid",
        "execId",
        "side",
        "holdSide",
        "execPrice",
        "execQty",
        "tradeScope",
        "execTime",
        "updatedTime",
    )
    return {k: full[k] for k in keys}


def strategy_push(record: Mapping[str, Any]) -> dict[str, Any]:
    """A REST strategy-order row (:func:`.records.strategy_record`) as the
    ``strategy-order`` channel's (WS §5.6): lowercase ``category``, plus ``side`` (the
    side that closes the position) and ``reduceOnly`` ``yes`` (a TP/SL only closes), and
    every field the channel lists [solid] — ``triggerType`` (``""`` until a leg fired; REST
    leaves it out then) and the trigger-order fields (``""``: a TP/SL is no trigger order)."""
    out = dict(record)
    out["category"] = str(record["category"]).lower()
    out["side"] = "sell" if record.get("posSide") == "long" else "buy"
    out["reduceOnly"] = "yes"
    for name in _STRATEGY_PUSH_FIELDS:
        out.setdefault(name, defaults.NOT_APPLICABLE)
    return out


#: Fields of a ``strategy-order`` push (WS §5.6) a REST strategy-order row may lack.
_STRATEGY_PUSH_FIELDS = (
    "triggerType", "triggerBy", "triggerPrice", "triggerOrderType", "triggerOrderPrice",
)  # fmt: skip
