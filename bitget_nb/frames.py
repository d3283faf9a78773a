"""Records → typed pandas objects, from declared schemas.

Every list the API returns becomes a ``DataFrame`` whose columns have declared dtypes:
numeric strings → ``float64``, counts, precisions and leverage → nullable ``Int64``,
millisecond timestamps → ``datetime64[ms, UTC]``, ``YES``/``NO`` flags → nullable
``boolean``, the rest ``str``. A single record becomes a ``Series``, built directly (not
through a one-row frame). An empty list gives an empty frame with the schema's columns.
The conventions (docs/frames.md):

* **Missing is missing.** A value the wire leaves empty, or sends as a zero that stands for
  "none" (a market order's ``price``, ``avgPrice`` before any fill, a ``liquidationPrice``
  no price reaches: :data:`ZERO_IS_NONE`), reads as ``NaN`` / ``<NA>`` / ``NaT``, never as a
  number. ``raw=True`` still shows exactly what the wire sent.
* **One spelling per concept.** Copy trading says ``unrealizedPnl``, ``liqPrice``,
  ``holdSide`` and ``cross`` where the rest of the API says ``unrealisedPnl``,
  ``liquidationPrice``, ``posSide`` and ``crossed``: frames use the latter everywhere
  (:data:`RENAMES`, :data:`SPELLINGS`), and say the wire name in
  ``.attrs["wire_names"]``.
* **Units are declared** beside the dtypes (:data:`UNITS`; :func:`describe_schema`):
  ``price24hPcnt`` is a fraction (0.01 = 1 %), ``turnover24h`` is in the quote coin…
* **Nested lists are flattened** into columns (``feeDetail`` → ``fee``/``feeCoin``,
  ``marginDetails`` → one row per margin coin with its counts); the list itself stays too.
* **attrs hold metadata only, all JSON**, so every result saves with ``to_parquet`` and
  ``to_csv``: ``.attrs["envelope"]`` is the envelope without its ``data`` (``code``,
  ``msg``, ``requestTime``, and the endpoint, path, pages and cursor the client adds).

Fields the schema does not know are kept as they came, after the schema's columns.

>>> df = to_frame([{"symbol": "BTCUSDT", "lastPrice": "68000.5", "ts": "1700000000000"}], "ticker")
>>> df.dtypes["lastPrice"], str(df.loc[0, "ts"])
(dtype('float64'), '2023-11-14 22:13:20+00:00')
>>> to_series({"orderId": "1", "orderType": "market", "price": "0", "avgPrice": "0"}, "order")
orderId           1
orderType    market
price           NaN
avgPrice        NaN
dtype: object
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .vocab import PERM_TYPE_SPELLINGS

__all__ = [
    "RENAMES",
    "ROW_IDS",
    "SCHEMAS",
    "SPELLINGS",
    "UNITS",
    "ZERO_IS_NONE",
    "PagedFrame",
    "Record",
    "assets_frame",
    "batch_frame",
    "candles_frame",
    "describe_schema",
    "envelope_meta",
    "one_row_per_margin_coin",
    "one_row_per_strategy_order",
    "orderbook_frame",
    "to_frame",
    "to_series",
]

# column kinds, one letter each so the schemas below read as tables
S, F, N, T, B, X = "str", "float", "int", "time", "bool", "object"

_ORDER = {
    "orderId": S, "clientOid": S, "category": S, "symbol": S, "orderType": S, "side": S,
    "price": F, "qty": F, "amount": F, "cumExecQty": F, "cumExecValue": F, "avgPrice": F,
    "timeInForce": S, "orderStatus": S, "posSide": S, "holdMode": S, "tradeSide": S,
    "reduceOnly": B, "marginMode": S, "stpMode": S, "takeProfit": F, "stopLoss": F,
    "tpTriggerBy": S, "slTriggerBy": S, "tpOrderType": S, "slOrderType": S,
    "tpLimitPrice": F, "slLimitPrice": F, "fee": F, "feeCoin": S, "feeDetail": X,
    "delegateType": S, "cancelReason": S, "execType": S, "createdTime": T, "updatedTime": T,
}  # fmt: skip

#: schema name → {column: kind}; column order is the frame's column order. Columns are named
#: as the frame names them (see :data:`RENAMES` for the few wire names that differ).
SCHEMAS: dict[str, dict[str, str]] = {
    "instrument": {
        "symbol": S, "category": S, "baseCoin": S, "quoteCoin": S, "status": S, "type": S,
        "symbolType": S, "minOrderQty": F, "maxOrderQty": F, "maxMarketOrderQty": F,
        "minOrderAmount": F, "priceMultiplier": F, "quantityMultiplier": F,
        "pricePrecision": N, "quantityPrecision": N, "quotePrecision": N,
        "makerFeeRate": F, "takerFeeRate": F, "feeRateUpRatio": F, "openCostUpRatio": F,
        "buyLimitPriceRatio": F, "sellLimitPriceRatio": F, "minLeverage": N,
        "maxLeverage": N, "maxSymbolOrderNum": N, "maxProductOrderNum": N,
        "maxPositionNum": F, "fundInterval": N, "launchTime": T, "offTime": T,
        "limitOpenTime": T, "maintainTime": T, "deliveryTime": T, "deliveryStartTime": T,
    },
    "ticker": {
        "category": S, "symbol": S, "lastPrice": F, "bid1Price": F, "bid1Size": F,
        "ask1Price": F, "ask1Size": F, "openPrice24h": F, "highPrice24h": F,
        "lowPrice24h": F, "price24hPcnt": F, "volume24h": F, "turnover24h": F,
        "markPrice": F, "indexPrice": F, "fundingRate": F, "openInterest": F, "ts": T,
        "deliveryStartTime": T, "deliveryTime": T,
    },
    "public_fill": {
        "execId": S, "execLinkId": S, "price": F, "size": F, "side": S, "ts": T, "isRPI": B,
    },
    "spot_coin": {"coinId": S, "coin": S, "transfer": B, "chains": X, "areaCoin": B},
    # spec §10.3 (sources at bitget_nb.endpoints): funding, open interest, tiers, the ledger
    "funding_rate": {
        "symbol": S, "fundingRate": F, "fundingRateInterval": N, "nextUpdate": T,
        "minFundingRate": F, "maxFundingRate": F,
    },
    "funding_rate_history": {"symbol": S, "fundingRate": F, "fundingRateTimestamp": T},
    # ts: the answer's, on every row (the client copies it), so readings stack into a series
    "open_interest": {"symbol": S, "openInterest": F, "ts": T},
    "position_tier": {
        "tier": N, "minTierValue": F, "maxTierValue": F, "leverage": N, "mmr": F,
    },
    "financial_record": {
        "id": S, "category": S, "symbol": S, "coin": S, "type": S, "amount": F, "fee": F,
        "balance": F, "ts": T, "positionType": S, "positionAmount": F, "positionBalance": F,
    },
    # spec §10.2: the newer DOCS sample adds "bonus" per coin and positionValue / leverage at
    # the top; NODE and GO had typed the last two per coin (spec §4.4.1), read if they come
    "asset": {
        "coin": S, "equity": F, "usdValue": F, "balance": F, "available": F, "locked": F,
        "debt": F, "bonus": F, "positionValue": F, "leverage": F,
    },
    "account_totals": {
        "accountEquity": F, "usdtEquity": F, "btcEquity": F, "unrealisedPnl": F,
        "usdtUnrealisedPnl": F, "btcUnrealisedPnl": F, "effEquity": F, "mmr": F, "imr": F,
        "mgnRatio": F, "positionMgnRatio": F, "positionValue": F, "leverage": F,
    },
    "account_settings": {
        "uid": S, "accountMode": S, "assetMode": S, "accountLevel": S, "holdMode": S,
        "stpMode": S, "symbolConfigList": X, "coinConfigList": X,
    },
    "account_info": {
        "userId": S, "uid": S, "inviterId": S, "parentId": S, "channelCode": S,
        "channel": S, "ips": S, "permType": S, "permissions": X, "regisTime": T,
    },
    "fee_rate": {"makerFeeRate": F, "takerFeeRate": F},
    # all-fee-rate rows and the unified account's max-transferable (sources at
    # bitget_nb.endpoints)
    "symbol_fee_rate": {"symbol": S, "makerFeeRate": F, "takerFeeRate": F},
    "max_transferable": {"coin": S, "maxTransfer": F, "borrowMaxTransfer": F},
    "server_time": {"serverTime": T},
    "order_ack": {"orderId": S, "clientOid": S},
    "batch_result": {"orderId": S, "clientOid": S, "code": S, "msg": S},
    "order": _ORDER,
    "fill": {
        "execId": S, "execLinkId": S, "orderId": S, "clientOid": S, "category": S,
        "symbol": S, "orderType": S, "side": S, "posSide": S, "execPrice": F, "execQty": F,
        "execValue": F, "tradeScope": S, "tradeSide": S, "fee": F, "feeCoin": S,
        "feeDetail": X, "execPnl": F, "isRPI": B, "createdTime": T, "updatedTime": T,
    },
    "strategy_order": {
        "orderId": S, "clientOid": S, "category": S, "symbol": S, "type": S, "tpslMode": S,
        "qty": F, "posSide": S, "status": S, "triggerType": S, "tpTriggerBy": S,
        "slTriggerBy": S, "takeProfit": F, "stopLoss": F, "tpOrderType": S, "slOrderType": S,
        "tpLimitPrice": F, "slLimitPrice": F, "triggerBy": S, "triggerPrice": F,
        "triggerOrderType": S, "triggerOrderPrice": F, "createdTime": T, "updatedTime": T,
    },
    "position": {
        "category": S, "symbol": S, "marginCoin": S, "holdMode": S, "posSide": S,
        "marginMode": S, "positionBalance": F, "available": F, "frozen": F, "total": F,
        "leverage": N, "curRealisedPnl": F, "avgPrice": F, "positionStatus": S,
        "unrealisedPnl": F, "liquidationPrice": F, "mmr": F, "profitRate": F,
        "markPrice": F, "breakEvenPrice": F, "totalFunding": F, "openFeeTotal": F,
        "closeFeeTotal": F, "createdTime": T, "updatedTime": T,
    },
    "position_history": {
        "positionId": S, "category": S, "symbol": S, "marginCoin": S, "holdMode": S,
        "posSide": S, "marginMode": S, "openPriceAvg": F, "closePriceAvg": F,
        "openTotalPos": F, "closeTotalPos": F, "cumRealisedPnl": F, "netProfit": F,
        "totalFunding": F, "openFeeTotal": F, "closeFeeTotal": F, "createdTime": T,
        "updatedTime": T,
    },
    "copy_trading_pair": {
        "symbol": S, "leverage": N, "marginCoin": S, "maxLongCount": N,
        "remainingLongCount": N, "maxShortCount": N, "remainingShortCount": N,
        "marginDetails": X,
    },
    "copy_position": {
        "symbol": S, "posSide": S, "holdSize": F, "avgPrice": F, "markPrice": F,
        "liquidationPrice": F, "leverage": N, "marginMode": S, "margin": F,
        "positionValue": F, "unrealisedPnl": F, "realisedPnl": F, "roi": F,
    },
    "copy_max_transferable": {"maxTransferable": F, "available": F},
    "copy_transfer": {"transferId": S},
    "copy_transfer_record": {
        "transferId": S, "fromType": S, "toType": S, "amount": F, "coin": S, "status": S,
        "createdTime": T,
    },
    "copy_current_follower": {
        "followerName": S, "estimateAssets": F, "totalProfit": F, "totalShareProfit": F,
        "totalInvestment": F, "canRemove": B, "followDays": N, "totalAssets": F,
        "startTime": T,
    },
    "copy_history_follower": {
        "followerName": S, "totalProfit": F, "totalShareProfit": F, "totalInvestment": F,
        "startTime": T, "endTime": T,
    },
    "copy_profit_summary": {
        "totalProfit": F, "totalAllocatedProfit": F, "totalPendingProfit": F,
    },
    "copy_profit_detail": {
        "followerName": S, "profit": F, "allocatedPnl": F, "pendingPnl": F, "shareRatio": F,
        "shareProfit": F, "reason": S, "settleTime": T,
    },
}  # fmt: skip

#: schema → {wire name: column}: fields the wire spells otherwise than the rest of the API,
#: renamed so that one concept has one column name in every frame. Most of the UTA API says
#: ``unrealisedPnl``/``curRealisedPnl``/``cumRealisedPnl``; account/assets has one
#: ``btcUnrealizedPnl`` (spec §4.4.1) and the copy-trading position summary says
#: ``unrealizedPnl``, ``realizedPnl``, ``liqPrice`` and the classic ``holdSide`` (spec §4.6,
#: §6). ``raw=True`` returns the wire names; a frame lists its renames in
#: ``.attrs["wire_names"]`` (column → wire name).
RENAMES: dict[str, dict[str, str]] = {
    "account_totals": {"btcUnrealizedPnl": "btcUnrealisedPnl"},
    "copy_position": {
        "holdSide": "posSide",
        "liqPrice": "liquidationPrice",
        "unrealizedPnl": "unrealisedPnl",
        "realizedPnl": "realisedPnl",
    },
}

#: column → {spelling: word}: response words that Bitget spells two ways, read as one
#: (spec §10.2: ``permType`` is ``read_and_write`` live, ``read-and-write`` in the DOCS
#: prose; the copy-trading summary's ``marginMode`` is ``cross`` where every other UTA
#: answer says ``crossed``, spec §4.6, §6).
SPELLINGS: dict[str, Mapping[str, str]] = {
    "permType": PERM_TYPE_SPELLINGS,
    "marginMode": {"cross": "crossed"},
}

#: schema → columns whose ``0`` on the wire stands for "no such value", read as ``NaN``: a
#: market order's ``price`` (REST sends ``"0"``, the WebSocket ``""``, spec §10.2), the base
#: ``qty`` of a spot market buy sized in quote and the quote ``amount`` of an order sized in
#: base (spec §4.1.10), ``avgPrice`` before the first fill, the ``liquidationPrice`` and
#: ``breakEvenPrice`` of a position no positive price reaches, the ``qty`` of a ``full``
#: TP/SL order (it protects the whole position), and average prices of a side never traded.
#: None of these can be a real zero: no price, size or average is 0.
ZERO_IS_NONE: dict[str, frozenset[str]] = {
    "order": frozenset({"price", "qty", "amount", "avgPrice"}),
    "position": frozenset({"liquidationPrice", "breakEvenPrice"}),
    "copy_position": frozenset({"liquidationPrice"}),
    "strategy_order": frozenset({"qty"}),
    "position_history": frozenset({"openPriceAvg", "closePriceAvg"}),
}

_PRICE = "quote coin per base coin"
_BASE = "base coin"
_QUOTE = "quote coin"
_MARGIN = "margin coin"
_TIMES = "×"
_FEE = "feeCoin; positive = paid, negative = rebate"


def _each(columns: str, unit: str) -> dict[str, str]:
    return dict.fromkeys(columns.split(), unit)


#: column → unit or meaning, wherever the column appears (:data:`SCHEMA_UNITS` overrides it
#: for one schema). Every number of every schema has one; times are UTC.
UNITS: dict[str, str] = {
    **_each(
        "price avgPrice execPrice lastPrice bid1Price ask1Price openPrice24h highPrice24h "
        "lowPrice24h markPrice indexPrice liquidationPrice breakEvenPrice openPriceAvg "
        "closePriceAvg takeProfit stopLoss tpLimitPrice slLimitPrice triggerPrice "
        "triggerOrderPrice open high low close",
        _PRICE,
    ),
    **_each(
        "cumExecQty execQty bid1Size ask1Size volume24h volume available frozen total "
        "openTotalPos closeTotalPos holdSize openInterest minOrderQty",
        _BASE,
    ),
    **_each("cumExecValue execValue turnover24h turnover", _QUOTE),
    # money of futures positions, in their margin coin
    **_each(
        "positionBalance curRealisedPnl unrealisedPnl realisedPnl totalFunding openFeeTotal "
        "closeFeeTotal cumRealisedPnl netProfit execPnl margin positionValue",
        _MARGIN,
    ),
    **_each("makerFeeRate takerFeeRate", "fraction: 0.0002 = 0.02 %"),
    **_each("leverage minLeverage maxLeverage", _TIMES),
    **_each("pricePrecision quantityPrecision quotePrecision", "decimal places"),
    **_each("maxLongCount remainingLongCount maxShortCount remainingShortCount", "lead positions"),
    "qty": f"{_BASE} (NaN: a spot market buy, sized by amount)",
    "amount": f"{_QUOTE} (NaN: an order sized in the base coin)",
    "fee": _FEE,
    "size": f"{_BASE} (COIN-FUTURES: quote coin)",
    "price24hPcnt": "fraction of openPrice24h: 0.01 = +1 %",
    "fundingRate": "fraction of the position value per funding interval",
    "maxOrderQty": f"{_BASE}, per limit order",
    "maxMarketOrderQty": f"{_BASE}, per market order",
    "minOrderAmount": f"{_QUOTE}: the smallest order value",
    "priceMultiplier": f"tick size, {_PRICE}",
    "quantityMultiplier": f"lot step, {_BASE}",
    "feeRateUpRatio": "fraction added to the fee rate when funds are reserved",
    "openCostUpRatio": "fraction added to the cost of opening a position",
    "buyLimitPriceRatio": "fraction: how far above the price a buy limit may be",
    "sellLimitPriceRatio": "fraction: how far below the price a sell limit may be",
    "maxSymbolOrderNum": "open orders on the symbol",
    "maxProductOrderNum": "open orders on the business line",
    "maxPositionNum": f"{_BASE}: the largest position",
    **_each("fundInterval fundingRateInterval", "hours"),
    **_each("minFundingRate maxFundingRate", "fraction per funding interval"),
    **_each("minTierValue maxTierValue", f"{_QUOTE}: position value at the mark price"),
    "tier": "rank: 1 = the smallest positions",
    "mmr": "fraction: maintenance-margin rate",
    "profitRate": "fraction of the position's margin",
    "roi": "fraction of the position's margin",
    "level": "0 at the touch",
}
_COIN = "the row's coin"
_USDT = "USDT"
#: schema → {column: unit} where a column means something else than in :data:`UNITS`.
SCHEMA_UNITS: dict[str, dict[str, str]] = {
    "asset": {
        **_each("equity balance available locked debt bonus", _COIN),
        **_each("usdValue positionValue", "USD"),
        "leverage": _TIMES,
    },
    "account_totals": {
        **_each("accountEquity unrealisedPnl positionValue", "USD"),
        **_each("usdtEquity usdtUnrealisedPnl", "USDT"),
        **_each("btcEquity btcUnrealisedPnl", "BTC"),
        "effEquity": "USD, collateral-weighted",
        "mmr": "USD: maintenance margin",
        "imr": "USD: initial margin",
        "mgnRatio": "fraction: maintenance margin / equity",
        "positionMgnRatio": "fraction",
        "leverage": _TIMES,
    },
    "strategy_order": {"qty": f"{_BASE} (NaN: tpslMode full, the whole position)"},
    "financial_record": {
        "amount": f"{_COIN}: signed change, fee apart (futures: the PnL realised)",
        "fee": f"{_COIN}: negative = paid",
        "balance": f"{_COIN}, after the row",
        "positionAmount": f"{_BASE}: the position's size after the row",
        "positionBalance": f"{_MARGIN}: the position's margin after the row",
    },
    "max_transferable": {
        "maxTransfer": "the coin asked, without borrowing",
        "borrowMaxTransfer": "the coin asked, borrowing allowed",
    },
    "copy_max_transferable": _each("maxTransferable available", "the coin asked"),
    "copy_transfer_record": {"amount": "coin"},
    "copy_current_follower": {
        **_each("estimateAssets totalProfit totalShareProfit totalInvestment totalAssets", _USDT),
        "followDays": "days",
    },
    "copy_history_follower": _each("totalProfit totalShareProfit totalInvestment", _USDT),
    "copy_profit_summary": _each("totalProfit totalAllocatedProfit totalPendingProfit", _USDT),
    "copy_profit_detail": {
        **_each("profit allocatedPnl pendingPnl shareProfit", _USDT),
        "shareRatio": "fraction of the follower's profit",
    },
}


#: The wire fields each leg of a TP/SL strategy order owns (spec §4.2.6).
_LEG_FIELDS = {
    "takeProfit": ("takeProfit", "tpTriggerBy", "tpOrderType", "tpLimitPrice"),
    "stopLoss": ("stopLoss", "slTriggerBy", "slOrderType", "slLimitPrice"),
}
#: A strategy order's status from its legs': the first of these any leg has.
_ORDER_STATUS = ("pending", "submitting", "success", "failed", "cancelled")
#: The statuses of an order one of whose legs fired.
_FIRED = ("success", "submitting", "failed")


def one_row_per_strategy_order(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Strategy-order records as one row per order, whichever shape the wire has.

    Live Bitget sends one row per strategy order with both legs' fields (the evidence is at
    ``bitget_nb.exchange.records.strategy_record``); NODE's and typed-bitget's types also
    allow a ``triggerType`` naming "the leg a row represents", i.e. a row per leg. Rows that
    share an ``orderId`` are merged: each leg's fields come from that leg's row, ``status``
    is the order's (``pending`` while a leg waits, then ``submitting``, ``success``,
    ``failed``, else ``cancelled``), ``updatedTime`` the latest, the rest from the first
    row. ``triggerType`` is then always the leg that FIRED and settled the order (its status
    success, submitting or failed), missing while the order waits or when it was cancelled —
    as the local exchange sends it — so ``orderId`` is unique and every column means one
    thing in either shape.

    >>> rows = one_row_per_strategy_order([
    ...     {"orderId": "7", "triggerType": "takeProfit", "status": "cancelled",
    ...      "takeProfit": "75000", "stopLoss": "", "updatedTime": "2"},
    ...     {"orderId": "7", "triggerType": "stopLoss", "status": "success",
    ...      "takeProfit": "", "stopLoss": "60000", "updatedTime": "3"}])
    >>> [(r["status"], r["triggerType"], r["takeProfit"], r["stopLoss"]) for r in rows]
    [('success', 'stopLoss', '75000', '60000')]
    """
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(record.get("orderId"), []).append(record)
    merged = []
    for rows in groups.values():
        row = dict(rows[0])
        if len(rows) > 1:
            for leg, names in _LEG_FIELDS.items():
                own = next((r for r in rows if r.get("triggerType") == leg), None)
                own = own or next((r for r in rows if r.get(names[0]) not in (None, "")), rows[0])
                row.update({name: own.get(name) for name in names if name in own})
            statuses = {r.get("status") for r in rows}
            row["status"] = next((s for s in _ORDER_STATUS if s in statuses), row.get("status"))
            times = [r["updatedTime"] for r in rows if r.get("updatedTime") not in (None, "")]
            if times:
                row["updatedTime"] = max(times, key=lambda t: int(float(t)))
        status = row.get("status")
        fired = next((r for r in rows if r.get("status") == status), None)
        row["triggerType"] = (
            fired.get("triggerType") if fired is not None and status in _FIRED else None
        )
        merged.append(row)
    return merged


#: The per-margin-coin counts of a copy-trading pair (spec §4.6).
_MARGIN_DETAIL_FIELDS = (
    "marginCoin",
    "maxLongCount",
    "remainingLongCount",
    "maxShortCount",
    "remainingShortCount",
)


def one_row_per_margin_coin(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copy-trading pairs with their ``marginDetails`` list spread into columns: one row per
    symbol and margin coin (how many long/short lead positions it allows and has left),
    the list itself kept in ``marginDetails``. A pair without details is one row with the
    counts missing.

    >>> [(r["symbol"], r["marginCoin"], r["remainingLongCount"]) for r in one_row_per_margin_coin([
    ...     {"symbol": "BTCUSDT", "marginDetails": [
    ...         {"marginCoin": "USDT", "remainingLongCount": "9"},
    ...         {"marginCoin": "USDC", "remainingLongCount": "10"}]}])]
    [('BTCUSDT', 'USDT', '9'), ('BTCUSDT', 'USDC', '10')]
    """
    rows = []
    for record in records:
        details = record.get("marginDetails")
        items = [d for d in details if isinstance(d, Mapping)] if isinstance(details, list) else []
        for item in items or [{}]:
            row = dict(record)
            row.update({name: item.get(name) for name in _MARGIN_DETAIL_FIELDS})
            rows.append(row)
    return rows


#: Schema name → how its records are normalised before the frame is built.
_NORMALISE: dict[str, Callable[[Sequence[Mapping[str, Any]]], list[dict[str, Any]]]] = {
    "strategy_order": one_row_per_strategy_order,
    "copy_trading_pair": one_row_per_margin_coin,
}


def describe_schema(schema: str) -> pd.DataFrame:
    """The columns of a schema's frames: dtype, unit and — where it differs — wire name.

    >>> describe_schema("ticker").loc["price24hPcnt", ["dtype", "unit"]].tolist()
    ['float64', 'fraction of openPrice24h: 0.01 = +1 %']
    """
    wire = {column: name for name, column in RENAMES.get(schema, {}).items()}
    units = SCHEMA_UNITS.get(schema, {})
    rows = []
    for column, kind in SCHEMAS[schema].items():
        unit = units.get(column) or UNITS.get(column, "")
        rows.append(
            {
                "column": column,
                "dtype": str(_empty_dtype(kind)),
                "unit": "UTC" if kind == T else unit if kind in (F, N) else "",
                "wire": wire.get(column, column),
            }
        )
    return pd.DataFrame(rows).set_index("column")


def envelope_meta(envelope: Mapping[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """What a result keeps of its envelope in ``.attrs["envelope"]``: every top-level
    scalar but ``data`` (``code``, ``msg``, ``requestTime``), plus ``extra`` — JSON values
    only, so that the result still saves (``to_parquet`` writes ``attrs`` as JSON).

    >>> envelope_meta({"code": "00000", "msg": "success", "requestTime": 1, "data": [1, 2]},
    ...               endpoint="get_tickers", pages=1)
    {'code': '00000', 'msg': 'success', 'requestTime': 1, 'endpoint': 'get_tickers', 'pages': 1}
    """
    meta = {
        key: value
        for key, value in (envelope or {}).items()
        if key != "data" and (value is None or isinstance(value, str | int | float))
    }
    meta.update(extra)
    return meta


class Record(dict[str, Any]):
    """A record kept in ``attrs`` (the account totals of :func:`assets_frame`): a plain
    ``dict`` of typed JSON values — so the frame still saves to Parquet — that also answers
    a list of names with a ``Series``, as a Series would.

    >>> totals = Record({"accountEquity": 100.0, "imr": 2.5, "mmr": 1.0})
    >>> totals["imr"], totals[["accountEquity", "imr"]].tolist()
    (2.5, [100.0, 2.5])
    """

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, list):
            return pd.Series([dict.__getitem__(self, k) for k in key], index=key)
        return dict.__getitem__(self, key)

    def to_series(self) -> pd.Series:
        """The whole record as a ``Series``."""
        return pd.Series(dict(self))


# -- conversions -------------------------------------------------------------------------------
# Column converters take one column (a list, a tuple or an object ndarray) and return an
# array of the declared dtype; the frame is then built once from all of them. Scalar
# converters do the same for one value of a Series; both read the same words the same way.
_DATETIME = pd.DatetimeTZDtype(unit="ms", tz="UTC")
_INT = pd.Int64Dtype()
_BOOL = pd.BooleanDtype()
_NAN = float("nan")
#: Columns longer than this are converted by whole-array operations rather than value by
#: value (cheaper per value, dearer to set up).
_LONG = 1000


def _str_dtype() -> pd.StringDtype:
    """pandas' ``str`` dtype, resolved once per frame (its storage follows a pandas option)."""
    return pd.StringDtype(na_value=np.nan)


def _empty_dtype(kind: str) -> Any:
    return {F: np.dtype("float64"), T: _DATETIME, N: _INT, B: _BOOL, S: _str_dtype()}.get(
        kind, np.dtype(object)
    )


def _float(value: Any) -> float:
    if value is None or value == "":
        return _NAN
    try:
        return float(value)
    except (TypeError, ValueError):
        return _NAN


def _floats(values: Sequence[Any]) -> np.ndarray:
    try:  # numpy parses numeric strings (and None) in C: the common, fast case
        return np.array(values, dtype="float64")
    except (TypeError, ValueError):
        pass
    array = np.fromiter(values, dtype=object, count=len(values))
    array[array == ""] = None  # "" means no value; None parses as NaN
    try:
        return array.astype("float64")
    except (TypeError, ValueError):  # junk somewhere: element by element
        return np.array([_float(v) for v in values], dtype="float64")


def _zero_is_none(array: np.ndarray, where: Any = True) -> np.ndarray:
    array[(array == 0) & where] = np.nan
    return array


def _to_time(values: Sequence[Any]) -> Any:
    ms = _floats(values)
    valid = ms > 0  # "-1" / "0" mean "no such time" in instrument rows
    stamps = np.where(valid, ms, 0).astype("int64").view("M8[ms]")
    stamps[~valid] = np.datetime64("NaT")
    return pd.array(stamps, dtype=_DATETIME)


def _time(value: Any) -> Any:
    ms = _float(value)
    return pd.Timestamp(int(ms), unit="ms", tz="UTC") if ms > 0 else pd.NaT


def _to_int(values: Sequence[Any]) -> Any:
    numbers = _floats(values)
    missing = np.isnan(numbers)
    whole = np.where(missing, 0, numbers)
    if (whole == np.round(whole)).all():
        return pd.arrays.IntegerArray(whole.astype("int64"), missing)
    return numbers  # a fraction in an integer field is kept, as a float column


def _int(value: Any) -> Any:
    number = _float(value)
    if math.isnan(number):
        return pd.NA
    return int(number) if number.is_integer() else number


_BOOL_WORDS = {"yes": True, "true": True, "no": False, "false": False}


def _bool(value: Any) -> Any:
    # reduceOnly comes back as YES/NO although it is sent as yes/no (spec §7 #1)
    if isinstance(value, bool):
        return value
    found = _BOOL_WORDS.get(str(value).lower())
    return pd.NA if found is None else found


def _to_bool(values: Sequence[Any]) -> Any:
    flags = [_bool(v) for v in values]
    missing = np.array([f is pd.NA for f in flags], dtype=bool)
    truth = np.array([f is True for f in flags], dtype=bool)
    return pd.arrays.BooleanArray(truth, missing)


def _text(value: Any) -> str | None:
    """One value of a ``str`` column: an empty string on the wire means "no value"."""
    if type(value) is str:
        return value or None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _to_str(values: Sequence[Any], dtype: pd.StringDtype) -> Any:
    if dtype.storage != "pyarrow":
        return pd.array(np.array([_text(v) for v in values], dtype=object), dtype=dtype)
    # Straight into the Arrow array pandas' str dtype keeps (large_string): the generic
    # constructor checks every value again, which is most of a small frame's cost. A long
    # column is read by Arrow itself, and its "" blanked out there.
    import pyarrow as pa
    import pyarrow.compute as pc

    array = None
    if len(values) > _LONG:
        try:
            array = pa.array(values, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # not all text: one by one below
            pass
        else:
            blank = pc.equal(array, "")
            if pc.any(blank).as_py():
                array = pc.if_else(blank, pa.scalar(None, pa.large_string()), array)
    if array is None:
        array = pa.array([_text(v) for v in values], type=pa.large_string())
    # pandas-stubs do not know pandas 3's dtype= (which makes it ``str``, not ``string``)
    return pd.arrays.ArrowStringArray(pa.chunked_array([array]), dtype=dtype)  # type: ignore[call-arg]


def _str(value: Any) -> Any:
    text = _text(value)
    return _NAN if text is None else text


def _same(value: Any) -> Any:
    return value


_SCALAR: dict[str, Callable[[Any], Any]] = {F: _float, T: _time, N: _int, B: _bool, S: _str}


def _flatten_fees(details: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """``fee`` and ``feeCoin`` columns from ``feeDetail`` lists (which are kept as they are).

    Fees of one coin add up; fees in several coins cannot, so such a row has ``fee`` NaN and
    the coins in ``feeCoin`` (``"BGB,USDT"``): its ``feeDetail`` says how much of each.
    """
    fees: list[Any] = []
    coins: list[Any] = []
    for detail in details:
        if type(detail) is list and len(detail) == 1 and type(detail[0]) is dict:
            fees.append(_float(detail[0].get("fee") or 0))  # the common case, kept fast
            coins.append(detail[0].get("feeCoin"))
            continue
        items = [d for d in detail if isinstance(d, Mapping)] if isinstance(detail, list) else []
        names = sorted({str(d.get("feeCoin", "")) for d in items})
        if not items:
            fees.append(None)
            coins.append(None)
        elif len(names) == 1:
            fees.append(sum(_float(d.get("fee") or 0) for d in items))
            coins.append(names[0])
        else:
            fees.append(None)
            coins.append(",".join(names))
    return fees, coins


def _columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, Sequence[Any]]:
    """Column name → values, over the union of the rows' keys, first-seen order."""
    names = tuple(rows[0])
    if all(tuple(row) == names for row in rows):  # one server, one field order: transpose in C
        return dict(zip(names, zip(*(row.values() for row in rows), strict=True), strict=True))
    union: dict[str, None] = {}
    for row in rows:
        union.update(dict.fromkeys(row))
    return {name: [row.get(name) for row in rows] for name in union}


@functools.lru_cache(maxsize=256)
def _cached_labels(names: tuple[str, ...]) -> pd.Index:
    return pd.Index(names)


def _labels(names: Sequence[str]) -> pd.Index:
    """The column (or Series) labels: records of one schema repeat their field names, and
    pandas spends more on an Index of strings than on a small frame's data. A shallow copy of
    the cached Index (a view), so that setting a frame's ``columns.name`` touches that frame
    only."""
    return _cached_labels(tuple(names)).view()


def _frame(data: dict[str, Any], rows: int) -> pd.DataFrame:
    """One frame from columns that are already arrays of their final dtype, all ``rows``
    long. ``DataFrame(dict)`` checks and re-wraps each column (≈10 µs apiece, most of the
    cost of a frame of tickers); ``DataFrame._from_arrays`` is the constructor pandas' own
    ``from_records`` uses for such arrays, kept behind the public one in case it goes."""
    columns = _labels(list(data))
    try:
        return pd.DataFrame._from_arrays(  # type: ignore[attr-defined]
            list(data.values()), columns=columns, index=pd.RangeIndex(rows),
            verify_integrity=False,
        )  # fmt: skip
    except (AttributeError, TypeError):  # pragma: no cover - a pandas without it
        return pd.DataFrame(data, columns=columns, copy=False)


def _renamed(columns: dict[str, Any], schema: str | None) -> dict[str, str]:
    """Apply :data:`RENAMES` to ``columns`` in place; returns column → wire name."""
    wire: dict[str, str] = {}
    for name, column in RENAMES.get(schema or "", {}).items():
        if name in columns and column not in columns:
            columns[column] = columns.pop(name)
            wire[column] = name
    return wire


def _prepared(columns: dict[str, Sequence[Any]], schema: str | None) -> dict[str, str]:
    """What :func:`to_frame` and :func:`to_series` both do to a record's fields before
    typing them, in place: the renames, the fees flattened, one spelling per word. Returns
    column → wire name of the renamed columns."""
    wire = _renamed(columns, schema)
    if "fee" in SCHEMAS.get(schema or "", {}) and "feeDetail" in columns:
        columns["fee"], columns["feeCoin"] = _flatten_fees(columns["feeDetail"])
    for name in SPELLINGS.keys() & columns.keys():
        words = SPELLINGS[name]
        columns[name] = [words.get(v, v) if isinstance(v, str) else v for v in columns[name]]
    return wire


def _ordered(columns: Mapping[str, Any], kinds: Mapping[str, str]) -> list[str]:
    """The schema's columns first, in its order, then the fields it does not know."""
    return [c for c in kinds if c in columns] + [c for c in columns if c not in kinds]


def _fields(record: Mapping[str, Any], schema: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """One record's fields as :func:`to_frame` reads them, in column order, not yet typed;
    and column → wire name of the renamed ones."""
    if schema in _NORMALISE:
        (record,) = _NORMALISE[schema]([record])[:1]
    columns: dict[str, Sequence[Any]] = {name: (value,) for name, value in record.items()}
    wire = _prepared(columns, schema)
    names = _ordered(columns, SCHEMAS.get(schema or "", {}))
    return {name: columns[name][0] for name in names}, wire


def _typed(values: Mapping[str, Any], schema: str | None) -> dict[str, Any]:
    """Each of a record's fields typed by its column's kind (a float, an int, a bool, a
    ``Timestamp``, text), missing as NaN, ``<NA>`` or ``NaT``."""
    kinds = SCHEMAS.get(schema or "", {})
    zero_is_none = ZERO_IS_NONE.get(schema or "", frozenset())
    typed = {}
    for name, value in values.items():
        value = _SCALAR.get(kinds.get(name, X), _same)(value)
        typed[name] = _NAN if name in zero_is_none and value == 0 else value
    return typed


def to_frame(
    records: Sequence[Mapping[str, Any]] | None,
    schema: str | None,
    *,
    envelope: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Typed ``DataFrame`` from API records (see the module docstring); ``envelope`` is
    kept as :func:`envelope_meta` in ``.attrs["envelope"]``."""
    kinds = SCHEMAS.get(schema or "", {})
    rows: Sequence[Mapping[str, Any]] = list(records or [])
    if rows and schema in _NORMALISE:
        rows = _NORMALISE[schema](rows)
    wire: dict[str, str] = {}
    if not rows:
        df = pd.DataFrame({c: pd.Series(dtype=_empty_dtype(k)) for c, k in kinds.items()})
    else:
        columns = _columns(rows)
        wire = _prepared(columns, schema)
        zero_is_none = ZERO_IS_NONE.get(schema or "", frozenset())
        str_dtype = _str_dtype()
        data: dict[str, Any] = {}
        for name in _ordered(columns, kinds):
            values = columns[name]
            kind = kinds.get(name, X)
            if kind == F:
                data[name] = _floats(values)
                if name in zero_is_none:
                    data[name] = _zero_is_none(data[name])
            elif kind == S:
                data[name] = _to_str(values, str_dtype)
            elif kind == T:
                data[name] = _to_time(values)
            elif kind == N:
                data[name] = _to_int(values)
            elif kind == B:
                data[name] = _to_bool(values)
            else:
                data[name] = np.fromiter(values, dtype=object, count=len(rows))
        df = _frame(data, len(rows))
    if envelope is not None:
        df.attrs["envelope"] = envelope_meta(envelope)
    if wire:
        df.attrs["wire_names"] = wire
    return df


def to_series(
    record: Mapping[str, Any] | None,
    schema: str | None,
    *,
    envelope: Mapping[str, Any] | None = None,
) -> pd.Series:
    """Typed ``Series`` for one record: the values :func:`to_frame` gives its one row,
    built directly. Its dtype is the columns' one dtype when they share one (``str`` for an
    order acknowledgement, ``float64`` for fee rates), else ``object`` (so that an order's
    ``qty`` stays a float and its ``createdTime`` a ``Timestamp``)."""
    kinds = SCHEMAS.get(schema or "", {})
    wire: dict[str, str] = {}
    if not record:
        series = pd.Series(_NAN, index=list(kinds), dtype="object")
    else:
        values, wire = _fields(record, schema)
        names = list(values)
        used = {kinds.get(name, X) for name in names}
        (kind,) = used if len(used) == 1 else (X,)
        if kind in (F, S, T):  # one dtype for all: a typed Series, built as a column is
            column = list(values.values())
            if kind == F:
                zero_is_none = list(ZERO_IS_NONE.get(schema or "", ()))
                array = _zero_is_none(_floats(column), np.isin(names, zero_is_none))
            else:
                array = _to_str(column, _str_dtype()) if kind == S else _to_time(column)
            series = pd.Series(array, index=_labels(names), copy=False)
        else:
            typed = _typed(values, schema)
            series = pd.Series(list(typed.values()), index=_labels(names), dtype=object)
    if envelope is not None:
        series.attrs["envelope"] = envelope_meta(envelope)
    if wire:
        series.attrs["wire_names"] = wire
    return series


#: The fields that identify a row of each paged schema, for de-duplication across pages and
#: windows. Strategy rows keep their ``triggerType`` in the key, so that a row per leg (a
#: shape NODE's types allow) survives until :func:`one_row_per_strategy_order` merges it.
ROW_IDS: dict[str, tuple[str, ...]] = {
    "order": ("orderId",),
    "fill": ("execId",),
    "strategy_order": ("orderId", "triggerType"),
    "position_history": ("positionId",),
    "copy_transfer_record": ("transferId",),
}


class PagedFrame:
    """One typed frame from a list read page by page.

    Each page is converted when it arrives — while the client waits for its next
    rate-limit slot — so the end of a long download costs one concatenation, not the
    conversion of every row, and the raw pages are not held until then. Rows seen on an
    earlier page (same :data:`ROW_IDS`) are dropped; ``max_rows`` caps the rows kept.
    Strategy orders, whose rows merge across the list (:func:`one_row_per_strategy_order`),
    are converted together at the end.

    >>> frame = PagedFrame("order", max_rows=3)
    >>> frame.add([{"orderId": "3", "price": "10"}, {"orderId": "2", "price": "11"}])
    >>> frame.add([{"orderId": "2", "price": "11"}, {"orderId": "1", "price": "12"}])
    >>> frame.add([{"orderId": "0", "price": "13"}])
    >>> frame.rows, frame.frame()["price"].tolist()
    (3, [10.0, 11.0, 12.0])
    """

    def __init__(self, schema: str | None, *, max_rows: int | None = None) -> None:
        self.schema = schema
        self.max_rows = max_rows
        self.rows = 0
        self._key = ROW_IDS.get(schema or "")
        self._seen: set[tuple[Any, ...]] = set()
        self._parts: list[pd.DataFrame] = []
        self._held: list[Mapping[str, Any]] = []  # rows merged across pages

    def add(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Take one page's records."""
        rows = list(records)
        if self._key is not None:
            fresh = []
            for row in rows:
                ident = tuple(row.get(k) for k in self._key)
                if ident not in self._seen:
                    self._seen.add(ident)
                    fresh.append(row)
            rows = fresh
        if self.max_rows is not None:
            rows = rows[: max(self.max_rows - self.rows, 0)]
        if not rows:
            return
        self.rows += len(rows)
        if self.schema in _NORMALISE:
            self._held += rows
        else:
            self._parts.append(to_frame(rows, self.schema))

    def frame(self) -> pd.DataFrame:
        """The rows taken so far, in order, as one frame of the schema's dtypes."""
        if self._held:
            return to_frame(self._held, self.schema)
        if not self._parts:
            return to_frame([], self.schema)
        if len(self._parts) == 1:
            return self._parts[0]
        wire: dict[str, str] = {}
        for part in self._parts:
            wire.update(part.attrs.pop("wire_names", {}))
        df = pd.concat(self._parts, ignore_index=True)
        kinds = SCHEMAS.get(self.schema or "", {})
        ordered = [c for c in kinds if c in df.columns]
        ordered += [c for c in df.columns if c not in kinds]
        if ordered != list(df.columns):  # a column the first page lacked goes to its place
            df = df[ordered]
        for name, kind in kinds.items():
            # an integer field with a fraction on one page is a float column (to_frame)
            if kind == N and name in df.columns and df[name].dtype != _INT:
                df[name] = df[name].astype("float64")
        if wire:
            df.attrs["wire_names"] = wire
        return df


def batch_frame(
    items: Sequence[Mapping[str, Any]] | None, *, envelope: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Per-item batch results with a boolean ``ok``: an item failed iff it carries a code
    other than ``"00000"`` (spec §2.3, §10.2: successful items carry only ``orderId`` and
    ``clientOid``, so ``code``/``msg`` are missing on them — and absent from every item of a
    batch that fully succeeded; the columns are there all the same)."""
    df = to_frame(items, "batch_result", envelope=envelope)
    for name in ("code", "msg"):
        if name not in df.columns:
            df.insert(len(df.columns), name, pd.Series([None] * len(df), dtype=_str_dtype()))
    codes = df["code"].fillna("")
    df["ok"] = ((codes == "") | (codes == "00000")).astype(bool)
    return df


_CANDLE_COLUMNS = ["open", "high", "low", "close", "volume", "turnover"]
_CANDLE_INDEX = pd.Index(_CANDLE_COLUMNS)


def candles_frame(
    rows: Sequence[Sequence[Any]] | np.ndarray | None,
    *,
    envelope: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """``[ts, open, high, low, close, volume, turnover]`` rows → frame indexed by ``ts``
    (``datetime64[ms, UTC]``, ascending) with float OHLCV columns, ready to plot: prices in
    the quote coin, ``volume`` in the base coin, ``turnover`` in the quote coin. ``rows`` may
    be an array of them already parsed (n, 7)."""
    data: np.ndarray
    if isinstance(rows, np.ndarray):
        data = rows.astype("float64", copy=False).reshape(-1, 7)
    else:
        try:  # the wire's rows: seven strings each
            data = np.array(rows or [], dtype="float64")
        except ValueError:  # ragged
            data = np.empty(0)
        if data.ndim != 2 or data.shape[1] != 7:  # rows with more fields than the seven read
            data = np.asarray([list(r)[:7] for r in rows or []], dtype="float64").reshape(-1, 7)
    ts = data[:, 0].astype("int64")
    # naive ms then localized: the same index as DatetimeIndex(..., dtype=_DATETIME), in
    # half the time (a backtest builds one per step)
    index = pd.DatetimeIndex(ts.view("M8[ms]"), name="ts").tz_localize("UTC")
    df = pd.DataFrame(data[:, 1:], index=index, columns=_CANDLE_INDEX, copy=False)
    if ts.size > 1 and not bool((ts[1:] >= ts[:-1]).all()):
        df = df.sort_index()
    if envelope is not None:
        df.attrs["envelope"] = envelope_meta(envelope)
    return df


def orderbook_frame(
    book: Mapping[str, Any] | None, *, envelope: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """``{"a": [[price, size]...], "b": [...], "ts": ms}`` → long frame ``side, level,
    price, size, ts``: asks ascending then bids descending, level 0 at the touch, ``ts`` the
    book's time on every row, so snapshots concatenate (spec §4.5.4). Prices and sizes may
    arrive as strings or numbers (spec §7 #13)."""
    book = book or {}
    sides, levels = [], []
    for side, key in (("ask", "a"), ("bid", "b")):
        rows = np.asarray(book.get(key) or [], dtype="float64").reshape(-1, 2)
        sides += [side] * len(rows)
        levels.append(rows)
    both = np.concatenate(levels)
    counts = [len(rows) for rows in levels]
    df = pd.DataFrame(
        {
            "side": pd.array(sides, dtype=_str_dtype()),
            "level": np.concatenate([np.arange(n, dtype="int64") for n in counts]),
            "price": both[:, 0],
            "size": both[:, 1],
            "ts": _to_time([book.get("ts")] * len(both)),
        },
        copy=False,
    )
    if envelope is not None:
        df.attrs["envelope"] = envelope_meta(envelope)
    return df


def assets_frame(
    data: Mapping[str, Any] | None, *, envelope: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Account assets (spec §4.4.1): one row per coin; the account totals as a
    :class:`Record` of floats in ``.attrs["account"]`` (``btcUnrealizedPnl`` spelled
    ``btcUnrealisedPnl``, as the other totals are)."""
    data = data or {}
    df = to_frame(data.get("assets") or [], "asset", envelope=envelope)
    totals, _ = _fields({k: v for k, v in data.items() if k != "assets"}, "account_totals")
    typed = _typed(totals, "account_totals")
    df.attrs["account"] = Record({k: None if v is pd.NA else v for k, v in typed.items()})
    return df
