"""The V3 endpoint table: one row per endpoint, shared by the client and the local exchange.

Each row says how to call an endpoint (method, path, whether it is signed), how fast
(rate limit per second and its scope, spec §3), whether it changes state (writes are never
retried blindly), what shape its ``data`` has, which decides the pandas object the client
returns, and which request parameters it takes (:class:`Param`: wire name, kind, required,
allowed values, limits). Client methods — their signatures, docstrings and the checks of
what they are given — are derived from these rows (``client.py``, ``_signatures.py``) and the
local exchange routes and rate-limits by them (``exchange/http.py``). The order endpoints take
the fields of their request models (:mod:`bitget_nb.models`), read from the models
themselves.

>>> ENDPOINTS["get_tickers"].path
'/api/v3/market/tickers'
>>> ENDPOINTS["submit_new_order"].rate_limit
10.0
>>> [p.name for p in ENDPOINTS["get_fee_rate"].params]
['category', 'symbol']
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .intervals import CANDLES_PAGE_MAX
from .models import PlaceOrderRequestV3, StrategyOrderRequestV3
from .vocab import (
    CANDLE_INTERVALS,
    CANDLE_PRICE_TYPES,
    CATEGORIES,
    FUTURES_CATEGORIES,
    HOLD_MODES,
    MARGIN_MODES,
    POS_SIDES,
)

__all__ = ["BY_ROUTE", "ENDPOINTS", "Endpoint", "Kind", "Param", "Shape"]


class Shape(StrEnum):
    """What ``data`` holds, and so what the client hands back."""

    OBJECT = "object"  # one record → pd.Series
    LIST = "list"  # bare array of records → pd.DataFrame
    PAGE = "page"  # {"list": [...], "cursor": "..."} → pd.DataFrame, pages followed
    ITEMS = "items"  # {"list": [...]} without a cursor → pd.DataFrame
    BATCH = "batch"  # per-item {orderId, clientOid, code, msg} → pd.DataFrame with `ok`
    STRING = "string"  # the literal "success" → str
    CANDLES = "candles"  # array of [ts, o, h, l, c, vol, turnover] → time-indexed frame
    # {"resultList": [...]} in pages numbered by ``cursor`` from 1 → pd.DataFrame, followed
    NUMBERED_PAGES = "numbered_pages"
    ORDERBOOK = "orderbook"  # {"a": [[p, s]...], "b": [...], "ts"} → long frame
    ASSETS = "assets"  # account totals + per-coin list → frame, totals in attrs
    SERVER_TIME = "server_time"  # {"serverTime": ms} → pd.Series


class Kind(StrEnum):
    """What a parameter's value is, which decides how the client puts it on the wire."""

    TEXT = "text"  # sent as given
    ENUM = "enum"  # one of ``choices``; the client's handlers fold the case where the API does
    DECIMAL = "decimal"  # an exact decimal string (never ``str(float)``)
    INT = "int"  # whole number, sent as its digits
    TIME = "time"  # ms since the epoch; the client also takes datetimes and ISO strings
    YES_NO = "yes_no"  # ``yes`` / ``no``; the client also takes a bool


@dataclass(frozen=True, slots=True)
class Param:
    """One request parameter, by its wire name.

    ``required`` parameters must be given (a group of which one is needed, such as ``orderId``
    / ``clientOid``, is :attr:`Endpoint.one_of`); ``choices`` are the allowed values of an
    enum, ``minimum``..``maximum`` the range of a number, ``default`` what the exchange
    assumes when it is left out; ``doc`` says what it means, for the method's docstring.
    """

    name: str
    kind: Kind = Kind.TEXT
    doc: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One V3 REST endpoint.

    ``name`` is the client method (snake_case of the Node SDK's RestClientV3 name);
    ``rate_limit`` is requests per second for ``scope`` (``"uid"`` for signed calls, shared by
    all keys of an account; ``"ip"`` for public ones); ``schema`` names the frame schema in
    :mod:`bitget_nb.frames`; ``write`` marks calls that change state; ``cursor_key`` is the
    field of a page that holds the next page's ``cursor`` (most say ``cursor``). ``params``
    are the request parameters — of each item, for the batch endpoints — in the order a
    signature lists them (``None``: not declared, sent unchecked); ``one_of`` names a group of
    which at least one must be given; ``notes`` are rules worth a line of the docstring;
    ``windowed`` marks the history reads whose ``startTime``..``endTime`` may span 30 days at
    most, inside a 90-day look-back (spec §4.0).
    """

    name: str
    method: str
    path: str
    shape: Shape
    rate_limit: float
    private: bool = True
    write: bool = False
    schema: str | None = None
    trade_permission: bool = False
    summary: str = ""
    aliases: tuple[str, ...] = field(default=())
    cursor_key: str = "cursor"
    params: tuple[Param, ...] | None = None
    one_of: tuple[str, ...] = ()
    notes: str = ""
    windowed: bool = False

    @property
    def scope(self) -> str:
        return "uid" if self.private else "ip"

    @property
    def batch_body(self) -> bool:
        """Batch endpoints take a bare JSON array as the body (spec §1.3)."""
        return self.path.endswith(("place-batch", "batch-modify-order", "cancel-batch"))


def _get(name: str, path: str, shape: Shape, rate: float, **kw: Any) -> Endpoint:
    kw.setdefault("params", ())
    return Endpoint(name, "GET", path, shape, float(rate), **kw)


def _post(name: str, path: str, shape: Shape, rate: float, **kw: Any) -> Endpoint:
    kw.setdefault("write", True)
    kw.setdefault("trade_permission", True)
    kw.setdefault("params", ())
    return Endpoint(name, "POST", path, shape, float(rate), **kw)


def _required(param: Param, doc: str | None = None) -> Param:
    return dataclasses.replace(param, required=True, doc=param.doc if doc is None else doc)


def _model_params(model: type, *, leave_out: tuple[str, ...] = ()) -> tuple[Param, ...]:
    """The parameters of an endpoint that takes a request model: the model's fields, with
    the kind, allowed values and meaning its field metadata declares."""
    out = []
    for f in dataclasses.fields(model):
        if f.name in leave_out:
            continue
        meta = f.metadata
        kind = (
            Kind.DECIMAL
            if meta.get("decimal")
            else Kind.YES_NO
            if f.name == "reduceOnly"
            else Kind.ENUM
            if "choices" in meta
            else Kind.TEXT
        )
        choices = tuple(meta.get("choices", ())) if kind is Kind.ENUM else ()
        out.append(
            Param(f.name, kind, meta.get("doc", ""), f.name in model.REQUIRED, choices)  # type: ignore[attr-defined]
        )
    return tuple(out)


# The parameters several endpoints share (spec §4.0).
_CATEGORY = Param("category", Kind.ENUM, "business line", choices=CATEGORIES)
_FUTURES = Param("category", Kind.ENUM, "a futures line", choices=FUTURES_CATEGORIES)
_MARKETS = Param(
    "category", Kind.ENUM, "SPOT or a futures line", choices=("SPOT", *FUTURES_CATEGORIES)
)
_SYMBOL = Param("symbol", doc="instrument, e.g. BTCUSDT")
_ORDER_ID = Param("orderId", doc="the exchange's id of the order")
_CLIENT_OID = Param("clientOid", doc="your id of the order")
_POS_SIDE = Param("posSide", Kind.ENUM, "one side of a hedge-mode position", choices=POS_SIDES)
_START = Param("startTime", Kind.TIME, "from this time (inclusive)")
_END = Param("endTime", Kind.TIME, "up to this time (inclusive)")
_CURSOR = Param("cursor", doc="the cursor of a page to start from (pages are followed for you)")
_HISTORY_LIMIT = Param("limit", Kind.INT, "rows per page", minimum=1, maximum=100, default="100")
_COPY_LIMIT = Param("limit", Kind.INT, "rows per page", minimum=1, maximum=100, default="20")
#: The TP/SL fields: attached to an order, or a strategy order's (spec §4.1.1, §4.2.2).
_TPSL_FIELDS = ("tpTriggerBy", "slTriggerBy", "takeProfit", "stopLoss", "tpOrderType",
                "slOrderType", "tpLimitPrice", "slLimitPrice")  # fmt: skip
_ORDER = _model_params(PlaceOrderRequestV3)
#: What a batch item may say: an order without attached TP/SL or reduce-only (spec §4.1.2).
_BATCH_ORDER = _model_params(PlaceOrderRequestV3, leave_out=(*_TPSL_FIELDS, "reduceOnly"))
_STRATEGY = _model_params(StrategyOrderRequestV3)
_TPSL_EDIT = tuple(p for p in _STRATEGY if p.name in _TPSL_FIELDS)
_NEW_QTY = Param("qty", Kind.DECIMAL, "the new quantity")
_NEW_PRICE = Param("price", Kind.DECIMAL, "the new limit price")
_AUTO_CANCEL = Param(
    "autoCancel", Kind.YES_NO, "cancel the order if the change is refused", default="no"
)
_CANDLES = (
    _required(_MARKETS),
    _required(_SYMBOL),
    Param("interval", Kind.ENUM, "candle length", required=True, choices=CANDLE_INTERVALS),
    _START,
    _END,
    Param("type", Kind.ENUM, "price series", choices=CANDLE_PRICE_TYPES, default="market"),
    Param(
        "limit", Kind.INT, "candles per request", minimum=1, maximum=CANDLES_PAGE_MAX, default="100"
    ),
)
_IDS = ("orderId", "clientOid")


# fmt: off
_TABLE: tuple[Endpoint, ...] = (
    # --- public market data (spec §4.5), limits per IP -------------------------------------
    # No UTA page documents server time; /api/v2/public/time is the path known to be live
    # (JK, GO), /api/v3/public/time is what the Node SDK calls (spec §4.5.1, §9 #12).
    _get("get_server_time", "/api/v2/public/time", Shape.SERVER_TIME, 20, private=False,
         summary="Server time"),
    _get("get_server_time_v3", "/api/v3/public/time", Shape.SERVER_TIME, 20, private=False,
         summary="Server time (the Node SDK's path)"),
    # typed-bitget (citing DOCS uta/public/ServerTime) and the V3 clients of a fork of Bitget's
    # official SDK call this one (spec §10.3).
    _get("get_market_time", "/api/v3/market/time", Shape.SERVER_TIME, 20, private=False,
         summary="Server time (the V3 market path)"),
    _get("get_instruments", "/api/v3/market/instruments", Shape.LIST, 20, private=False,
         schema="instrument", summary="Instruments of a category",
         params=(_required(_CATEGORY), _SYMBOL)),
    _get("get_tickers", "/api/v3/market/tickers", Shape.LIST, 20, private=False,
         schema="ticker", summary="24 h tickers", params=(_required(_MARKETS), _SYMBOL)),
    _get("get_orderbook", "/api/v3/market/orderbook", Shape.ORDERBOOK, 20, private=False,
         summary="Order book depth", aliases=("get_order_book",),
         params=(_required(_MARKETS), _required(_SYMBOL),
                 Param("limit", Kind.INT, "levels per side; 'max' for the most", minimum=1,
                       maximum=200, default="5"))),
    _get("get_candles", "/api/v3/market/candles", Shape.CANDLES, 20, private=False,
         summary="Candles (klines)", params=_CANDLES),
    _get("get_history_candles", "/api/v3/market/history-candles", Shape.CANDLES, 20,
         private=False, summary="Older candles (the last 90 days)", params=_CANDLES),
    _get("get_fills", "/api/v3/market/fills", Shape.LIST, 20, private=False,
         schema="public_fill", summary="Recent public trades",
         params=(_required(_MARKETS), _required(_SYMBOL), _HISTORY_LIMIT)),
    # Classic V2, public: ccxt's load_markets() asks it for the coins even in UTA mode, and
    # live serves it to a UTA account (spec §10.3). The name is the Node SDK's RestClientV2 one.
    _get("get_spot_coin_info", "/api/v2/spot/public/coins", Shape.LIST, 3, private=False,
         schema="spot_coin", summary="Coins and their chains (classic V2)",
         params=(Param("coin", doc="one coin, e.g. BTC"),)),
    # Funding, open interest, position tiers (spec §10.3). DOCS uta/public/Get-Current-
    # Funding-Rate (20/s/IP, symbol), NODE GetCurrentFundingRateRequestV3 (category too, both
    # optional), JK ExchangeData/GetFundingRate.txt.
    _get("get_current_funding_rate", "/api/v3/market/current-fund-rate", Shape.LIST, 20,
         private=False, schema="funding_rate",
         summary="Current funding rate and next funding time of perpetuals",
         params=(Param("category", Kind.ENUM, "a futures line (all when left out)",
                       choices=FUTURES_CATEGORIES),
                 Param("symbol", doc="instrument, e.g. BTCUSDT (all perpetuals when left out)"))),
    # NODE GetHistoryFundingRateRequestV3 {category, symbol, cursor, limit}; the answer is
    # {resultList: [...]} (JK ExchangeData/GetFundingRateHistory.txt, ccxt, typed-bitget) and
    # cursor a 1-based page number (typed-bitget, JK); limit 20/100 and 20/s are the V2 page's
    # (exchange/defaults.py FUNDING_HISTORY_*) [unverified]. startTime / endTime are the
    # client's: the endpoint has no time filter, so they are not sent.
    _get("get_history_funding_rate", "/api/v3/market/history-fund-rate", Shape.NUMBERED_PAGES,
         20, private=False, schema="funding_rate_history",
         summary="Settled funding rates of a perpetual, newest first",
         params=(_required(_FUTURES), _required(_SYMBOL),
                 Param("limit", Kind.INT, "rows per page (the client asks 100 unless told)",
                       minimum=1, maximum=100, default="20"),
                 Param("cursor", Kind.INT, "the page to start from, 1 = the newest (pages are "
                       "followed for you)", minimum=1),
                 Param("startTime", Kind.TIME, "client-side: stop at funding times older than "
                       "this (not sent)"),
                 Param("endTime", Kind.TIME, "client-side: leave out funding times newer than "
                       "this (not sent)"))),
    # DOCS uta/public/Get-Open-Interest: 20/s/IP; {list: [{symbol, openInterest}], ts}.
    _get("get_open_interest", "/api/v3/market/open-interest", Shape.ITEMS, 20, private=False,
         schema="open_interest", summary="Open interest of futures, in base coin",
         params=(_required(_FUTURES), _SYMBOL)),
    # DOCS uta/public/Get-Position-Tier-Data: 20/s/IP; MARGIN takes coin, futures symbol.
    _get("get_position_tier", "/api/v3/market/position-tier", Shape.LIST, 20, private=False,
         schema="position_tier", summary="Position tiers: leverage and maintenance rate by size",
         params=(_required(Param("category", Kind.ENUM, "MARGIN or a futures line",
                                 choices=("MARGIN", *FUTURES_CATEGORIES))),
                 Param("symbol", doc="futures: the instrument, e.g. BTCUSDT"),
                 Param("coin", doc="MARGIN: the coin, e.g. BTC"))),
    # --- account (spec §4.4) ----------------------------------------------------------------
    _get("get_balances", "/api/v3/account/assets", Shape.ASSETS, 20, schema="asset",
         summary="Account equity and per-coin balances", aliases=("get_account_assets",)),
    _get("get_account_settings", "/api/v3/account/settings", Shape.OBJECT, 20,
         schema="account_settings", summary="Account mode, hold mode, per-symbol leverage"),
    # 5/s per DOCS vs 20/s per JK: the lower one (spec §7 #5).
    _get("get_account_info", "/api/v3/account/info", Shape.OBJECT, 5, schema="account_info",
         summary="Account id, key permissions"),
    _get("get_fee_rate", "/api/v3/account/fee-rate", Shape.OBJECT, 3, schema="fee_rate",
         summary="Maker / taker fee rates", params=(_required(_CATEGORY), _required(_SYMBOL))),
    # ccxt's fetch_trading_fees in UTA mode (spec §10.3). No DOCS page found; NODE
    # GetAllFeeRatesRequestV3 and typed-bitget's all_fee_rates both take {category (required),
    # symbol?} and answer a bare array of {symbol, makerFeeRate, takerFeeRate} [solid: NODE,
    # typed-bitget, ccxt's inline sample]. 3/s/UID: ccxt's cost 6.6667 "3 times/1s (UID)"
    # [single]; NODE states none.
    _get("get_all_fee_rates", "/api/v3/account/all-fee-rate", Shape.LIST, 3,
         schema="symbol_fee_rate",
         summary="Maker / taker fee rates of every symbol of a category, one row each",
         params=(_required(_CATEGORY),
                 Param("symbol", doc="only this instrument, e.g. BTCUSDT"))),
    # The unified account's own (not copy/futures/max-transferable): DOCS change log
    # 2025-10-29 adds the route; NODE (3 req/sec/UID, UTA mgt. read), JK (3/s sliding) and
    # ccxt (cost 6.6667) agree on 3/s [solid]; {coin} in, {coin, maxTransfer,
    # borrowMaxTransfer} out (NODE MaxTransferableV3, typed-bitget, JK) [solid].
    _get("get_max_transferable", "/api/v3/account/max-transferable", Shape.OBJECT, 3,
         schema="max_transferable",
         summary="What of a coin may leave the unified account now",
         params=(Param("coin", doc="e.g. USDT", required=True),)),
    # The ledger (spec §10.3): DOCS uta/account/Get-Financial-Records — 20/s/UID, 90-day
    # look-back, ≤ 30-day windows, limit ≤ 100, cursor; type values on the DOCS uta
    # Enumeration page (TRANSFER_IN, ORDER_DEALT_IN, CONTRACT_MAIN_SETTLE_FEE_USER_OUT …);
    # NODE GetFinancialRecordsRequestV3 / FinancialRecordV3; JK Account/GetFinancialRecords.txt.
    _get("get_financial_records", "/api/v3/account/financial-records", Shape.PAGE, 20,
         schema="financial_record", windowed=True,
         summary="The account ledger: fees, funding, realised PnL, transfers, one row each",
         params=(_required(_CATEGORY), Param("coin", doc="only this coin, e.g. USDT"),
                 Param("type", doc="only this type, e.g. TRANSFER_IN, ORDER_DEALT_IN, "
                       "CONTRACT_MAIN_SETTLE_FEE_USER_OUT (the DOCS Enumeration page)"),
                 _START, _END, _HISTORY_LIMIT, _CURSOR)),
    _post("set_leverage", "/api/v3/account/set-leverage", Shape.STRING, 10,
          summary="Set leverage",
          params=(
              _required(Param("category", Kind.ENUM, "MARGIN or a futures line",
                              choices=("MARGIN", *FUTURES_CATEGORIES))),
              Param("symbol", doc="instrument; required for futures"),
              Param("leverage", Kind.INT, "the new leverage; required unless longLeverage / "
                    "shortLeverage are given"),
              Param("coin", doc="MARGIN: the coin whose borrowing leverage is set"),
              _POS_SIDE,
              Param("marginMode", Kind.ENUM, "default crossed", choices=MARGIN_MODES),
              Param("longLeverage", Kind.INT, "isolated hedge mode: the long side's"),
              Param("shortLeverage", Kind.INT, "isolated hedge mode: the short side's"),
          )),
    _post("set_hold_mode", "/api/v3/account/set-hold-mode", Shape.STRING, 10,
          summary="Switch one-way / hedge mode",
          params=(Param("holdMode", Kind.ENUM, "", required=True, choices=HOLD_MODES),),
          notes="Refused while positions or open orders exist."),
    # --- trading (spec §4.1) ----------------------------------------------------------------
    _post("submit_new_order", "/api/v3/trade/place-order", Shape.OBJECT, 10,
          schema="order_ack", summary="Place an order", aliases=("place_order",),
          params=_ORDER),
    # Not documented; 5/s is the spec's placeholder (spec §3, §9 #2).
    _post("place_batch_orders", "/api/v3/trade/place-batch", Shape.BATCH, 5,
          schema="batch_result", summary="Place up to 20 orders", params=_BATCH_ORDER,
          notes="Batch orders take no attached TP/SL and cannot be reduce-only."),
    # The attached TP/SL fields NODE also lists for modify-order (spec §4.1.3) are left out:
    # no other source has them, and the local exchange would not apply them.
    _post("modify_order", "/api/v3/trade/modify-order", Shape.OBJECT, 10, schema="order_ack",
          summary="Modify an open order",
          params=(_ORDER_ID, _CLIENT_OID, _NEW_QTY, _NEW_PRICE, _AUTO_CANCEL, _SYMBOL,
                  _CATEGORY),
          one_of=_IDS, notes="Give a new price and/or qty; orderId wins over clientOid."),
    _post("batch_modify_orders", "/api/v3/trade/batch-modify-order", Shape.BATCH, 10,
          schema="batch_result", summary="Modify up to 20 orders",
          params=(_ORDER_ID, _CLIENT_OID, _NEW_QTY, _NEW_PRICE, _AUTO_CANCEL, _SYMBOL,
                  _CATEGORY),
          one_of=_IDS),
    _post("cancel_order", "/api/v3/trade/cancel-order", Shape.OBJECT, 10, schema="order_ack",
          summary="Cancel an order", params=(_ORDER_ID, _CLIENT_OID, _CATEGORY, _SYMBOL),
          one_of=_IDS),
    _post("cancel_batch_orders", "/api/v3/trade/cancel-batch", Shape.BATCH, 5,
          schema="batch_result", summary="Cancel up to 20 orders",
          params=(_ORDER_ID, _CLIENT_OID, _required(_CATEGORY), _required(_SYMBOL)),
          one_of=_IDS),
    _post("cancel_all_orders", "/api/v3/trade/cancel-symbol-order", Shape.BATCH, 5,
          schema="batch_result", summary="Cancel every open order of a category / symbol",
          params=(_required(_CATEGORY), Param("symbol", doc="only this instrument"))),
    _post("close_all_positions", "/api/v3/trade/close-positions", Shape.BATCH, 5,
          schema="batch_result", summary="Close positions with market orders",
          params=(_required(_FUTURES), Param("symbol", doc="only this instrument"),
                  Param("posSide", Kind.ENUM, "only this side", choices=POS_SIDES))),
    _post("countdown_cancel_all", "/api/v3/trade/countdown-cancel-all", Shape.STRING, 1,
          summary="Dead man's switch: cancel all orders unless re-armed",
          params=(Param("countdown", Kind.INT, "whole seconds from 5 to 60, or 0 to disarm",
                        required=True),)),
    _get("get_order_info", "/api/v3/trade/order-info", Shape.OBJECT, 20, schema="order",
         summary="One order", params=(_ORDER_ID, _CLIENT_OID), one_of=_IDS),
    _get("get_unfilled_orders", "/api/v3/trade/unfilled-orders", Shape.PAGE, 20,
         schema="order", summary="Open orders",
         params=(_CATEGORY, _SYMBOL, _START, _END, _HISTORY_LIMIT, _CURSOR)),
    # JK filters history by orderId (spec §4.1.12); the local exchange serves both filters.
    _get("get_history_orders", "/api/v3/trade/history-orders", Shape.PAGE, 20,
         schema="order", summary="Closed orders (90-day look-back, 30-day windows)",
         windowed=True,
         params=(_required(_CATEGORY), _SYMBOL, _ORDER_ID, _START, _END, _HISTORY_LIMIT,
                 _CURSOR)),
    _get("get_trade_fills", "/api/v3/trade/fills", Shape.PAGE, 20, schema="fill",
         summary="Own fills (90-day look-back, 30-day windows)",
         windowed=True,
         params=(_CATEGORY, Param("orderId", doc="fills of this order only"), _START, _END,
                 _HISTORY_LIMIT, _CURSOR)),
    # --- strategy orders (spec §4.2) --------------------------------------------------------
    _post("submit_strategy_order", "/api/v3/trade/place-strategy-order", Shape.OBJECT, 10,
          schema="order_ack", summary="Place a TP/SL strategy order", params=_STRATEGY),
    _post("modify_strategy_order", "/api/v3/trade/modify-strategy-order", Shape.OBJECT, 10,
          schema="order_ack", summary="Modify a strategy order",
          params=(_ORDER_ID, _CLIENT_OID, Param("qty", Kind.DECIMAL, "the size protected"),
                  *_TPSL_EDIT),
          one_of=_IDS),
    _post("cancel_strategy_order", "/api/v3/trade/cancel-strategy-order", Shape.OBJECT, 10,
          schema="order_ack", summary="Cancel a strategy order",
          params=(_ORDER_ID, _CLIENT_OID), one_of=_IDS),
    _get("get_unfilled_strategy_orders", "/api/v3/trade/unfilled-strategy-orders", Shape.LIST,
         20, schema="strategy_order", summary="Open TP/SL strategy orders, one row per order",
         params=(_required(_FUTURES),
                 Param("type", Kind.ENUM, "kind of strategy order", choices=("tpsl", "trigger")))),
    _get("get_history_strategy_orders", "/api/v3/trade/history-strategy-orders", Shape.PAGE,
         20, schema="strategy_order", summary="Finished TP/SL strategy orders, one row per order",
         windowed=True,
         params=(_required(_FUTURES),
                 Param("type", Kind.ENUM, "kind of strategy order", choices=("tpsl", "trigger")),
                 _START, _END, _HISTORY_LIMIT, _CURSOR)),
    # --- positions (spec §4.3) --------------------------------------------------------------
    _get("get_current_position", "/api/v3/position/current-position", Shape.ITEMS, 20,
         schema="position", summary="Open positions",
         params=(_required(_FUTURES), _SYMBOL,
                 Param("posSide", Kind.ENUM, "only this side", choices=POS_SIDES))),
    _get("get_position_history", "/api/v3/position/history-position", Shape.PAGE, 20,
         schema="position_history", summary="Closed positions",
         windowed=True,
         params=(_required(_FUTURES), _SYMBOL, _START, _END, _HISTORY_LIMIT, _CURSOR)),
    # --- copy trading, lead trader (spec §4.6) ----------------------------------------------
    _get("get_copy_futures_trading_pairs", "/api/v3/copy/futures/trading-pairs", Shape.LIST, 5,
         schema="copy_trading_pair", summary="Symbols the lead trader may trade"),
    _get("get_copy_futures_position_summary", "/api/v3/copy/futures/position-summary",
         Shape.LIST, 5, schema="copy_position", summary="Lead trader's positions"),
    _get("get_copy_futures_max_transferable", "/api/v3/copy/futures/max-transferable",
         Shape.OBJECT, 1, schema="copy_max_transferable", summary="Max transferable amount",
         params=(Param("coin", doc="e.g. USDT", required=True),)),
    _post("copy_futures_transfer", "/api/v3/copy/futures/transfer", Shape.OBJECT, 1,
          schema="copy_transfer", summary="Transfer into / out of the lead account",
          params=(Param("type", Kind.ENUM, "in: into the lead account, out: out of it",
                        required=True, choices=("in", "out")),
                  Param("coin", doc="e.g. USDT", required=True),
                  Param("amount", Kind.DECIMAL, "how much", required=True))),
    _get("get_copy_futures_transfer_records", "/api/v3/copy/futures/transfer-record",
         Shape.PAGE, 1, schema="copy_transfer_record", summary="Lead account transfers",
         params=(_START, _END, _COPY_LIMIT, _CURSOR)),
    # Followers and profit share (spec §10.3): NODE states no limit; 1/s is ccxt's cost 20,
    # the cost it gives transfer-record (1/s in NODE and DOCS). Follower pages pass on the
    # cursor as ``endId`` (typed-bitget, GO), profit-detail pages as ``nextCursor`` (NODE, GO).
    _get("get_copy_futures_current_followers", "/api/v3/copy/futures/current-follower",
         Shape.PAGE, 1, schema="copy_current_follower", cursor_key="endId",
         summary="Followers copying the lead trader now", params=(_COPY_LIMIT, _CURSOR)),
    _get("get_copy_futures_history_followers", "/api/v3/copy/futures/history-follower",
         Shape.PAGE, 1, schema="copy_history_follower", cursor_key="endId",
         summary="Followers who stopped copying the lead trader", params=(_COPY_LIMIT, _CURSOR)),
    _get("get_copy_futures_profit_summary", "/api/v3/copy/futures/profit-summary",
         Shape.OBJECT, 1, schema="copy_profit_summary",
         summary="The lead trader's profit share: total, settled, pending"),
    _get("get_copy_futures_profit_details", "/api/v3/copy/futures/profit-details",
         Shape.PAGE, 1, schema="copy_profit_detail", cursor_key="nextCursor",
         summary="Profit-share settlements, one row per follower settlement",
         params=(_START, _END, _COPY_LIMIT, _CURSOR)),
)
# fmt: on

#: name → endpoint.
ENDPOINTS: MappingProxyType[str, Endpoint] = MappingProxyType({e.name: e for e in _TABLE})

#: (method, path) → endpoint, for the exchange's router.
BY_ROUTE: MappingProxyType[tuple[str, str], Endpoint] = MappingProxyType(
    {(e.method, e.path): e for e in _TABLE}
)
