"""The V3 endpoint table: one row per endpoint, shared by the client and the local exchange.

Each row says how to call an endpoint (method, path, whether it is signed), how fast
(rate limit per second and its scope, spec §3), whether it changes state (writes are never
retried blindly), and what shape its ``data`` has, which decides the pandas object the client
returns. Client methods are derived from these rows (``client.py``) and the local exchange
routes and rate-limits by them (``exchange/http.py``).

>>> ENDPOINTS["get_tickers"].path
'/api/v3/market/tickers'
>>> ENDPOINTS["submit_new_order"].rate_limit
10.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = ["BY_ROUTE", "ENDPOINTS", "Endpoint", "Shape"]


class Shape(StrEnum):
    """What ``data`` holds, and so what the client hands back."""

    OBJECT = "object"  # one record → pd.Series
    LIST = "list"  # bare array of records → pd.DataFrame
    PAGE = "page"  # {"list": [...], "cursor": "..."} → pd.DataFrame, pages followed
    ITEMS = "items"  # {"list": [...]} without a cursor → pd.DataFrame
    BATCH = "batch"  # per-item {orderId, clientOid, code, msg} → pd.DataFrame with `ok`
    STRING = "string"  # the literal "success" → str
    CANDLES = "candles"  # array of [ts, o, h, l, c, vol, turnover] → time-indexed frame
    ORDERBOOK = "orderbook"  # {"a": [[p, s]...], "b": [...], "ts"} → long frame
    ASSETS = "assets"  # account totals + per-coin list → frame, totals in attrs
    SERVER_TIME = "server_time"  # {"serverTime": ms} → pd.Series


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One V3 REST endpoint.

    ``name`` is the client method (snake_case of the Node SDK's RestClientV3 name);
    ``rate_limit`` is requests per second for ``scope`` (``"uid"`` for signed calls, shared by
    all keys of an account; ``"ip"`` for public ones); ``schema`` names the frame schema in
    :mod:`bitget_nb.frames`; ``write`` marks calls that change state; ``cursor_key`` is the
    field of a page that holds the next page's ``cursor`` (most say ``cursor``).
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

    @property
    def scope(self) -> str:
        return "uid" if self.private else "ip"

    @property
    def batch_body(self) -> bool:
        """Batch endpoints take a bare JSON array as the body (spec §1.3)."""
        return self.path.endswith(("place-batch", "batch-modify-order", "cancel-batch"))


def _get(name: str, path: str, shape: Shape, rate: float, **kw: object) -> Endpoint:
    return Endpoint(name, "GET", path, shape, float(rate), **kw)  # type: ignore[arg-type]


def _post(name: str, path: str, shape: Shape, rate: float, **kw: object) -> Endpoint:
    kw.setdefault("write", True)
    kw.setdefault("trade_permission", True)
    return Endpoint(name, "POST", path, shape, float(rate), **kw)  # type: ignore[arg-type]


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
         schema="instrument", summary="Instruments of a category"),
    _get("get_tickers", "/api/v3/market/tickers", Shape.LIST, 20, private=False,
         schema="ticker", summary="24 h tickers"),
    _get("get_orderbook", "/api/v3/market/orderbook", Shape.ORDERBOOK, 20, private=False,
         summary="Order book depth", aliases=("get_order_book",)),
    _get("get_candles", "/api/v3/market/candles", Shape.CANDLES, 20, private=False,
         summary="Candles (klines)"),
    _get("get_history_candles", "/api/v3/market/history-candles", Shape.CANDLES, 20,
         private=False, summary="Older candles"),
    _get("get_fills", "/api/v3/market/fills", Shape.LIST, 20, private=False,
         schema="public_fill", summary="Recent public trades"),
    # Classic V2, public: ccxt's load_markets() asks it for the coins even in UTA mode, and
    # live serves it to a UTA account (spec §10.3). The name is the Node SDK's RestClientV2 one.
    _get("get_spot_coin_info", "/api/v2/spot/public/coins", Shape.LIST, 3, private=False,
         schema="spot_coin", summary="Coins and their chains (classic V2)"),
    # --- account (spec §4.4) ----------------------------------------------------------------
    _get("get_balances", "/api/v3/account/assets", Shape.ASSETS, 20, schema="asset",
         summary="Account equity and per-coin balances", aliases=("get_account_assets",)),
    _get("get_account_settings", "/api/v3/account/settings", Shape.OBJECT, 20,
         schema="account_settings", summary="Account mode, hold mode, per-symbol leverage"),
    # 5/s per DOCS vs 20/s per JK: the lower one (spec §7 #5).
    _get("get_account_info", "/api/v3/account/info", Shape.OBJECT, 5, schema="account_info",
         summary="Account id, key permissions"),
    _get("get_fee_rate", "/api/v3/account/fee-rate", Shape.OBJECT, 3, schema="fee_rate",
         summary="Maker / taker fee rates"),
    _post("set_leverage", "/api/v3/account/set-leverage", Shape.STRING, 10,
          summary="Set leverage"),
    _post("set_hold_mode", "/api/v3/account/set-hold-mode", Shape.STRING, 10,
          summary="Switch one-way / hedge mode"),
    # --- trading (spec §4.1) ----------------------------------------------------------------
    _post("submit_new_order", "/api/v3/trade/place-order", Shape.OBJECT, 10,
          schema="order_ack", summary="Place an order", aliases=("place_order",)),
    # Not documented; 5/s is the spec's placeholder (spec §3, §9 #2).
    _post("place_batch_orders", "/api/v3/trade/place-batch", Shape.BATCH, 5,
          schema="batch_result", summary="Place up to 20 orders"),
    _post("modify_order", "/api/v3/trade/modify-order", Shape.OBJECT, 10, schema="order_ack",
          summary="Modify an open order"),
    _post("batch_modify_orders", "/api/v3/trade/batch-modify-order", Shape.BATCH, 10,
          schema="batch_result", summary="Modify up to 20 orders"),
    _post("cancel_order", "/api/v3/trade/cancel-order", Shape.OBJECT, 10, schema="order_ack",
          summary="Cancel an order"),
    _post("cancel_batch_orders", "/api/v3/trade/cancel-batch", Shape.BATCH, 5,
          schema="batch_result", summary="Cancel up to 20 orders"),
    _post("cancel_all_orders", "/api/v3/trade/cancel-symbol-order", Shape.BATCH, 5,
          schema="batch_result", summary="Cancel every open order of a category / symbol"),
    _post("close_all_positions", "/api/v3/trade/close-positions", Shape.BATCH, 5,
          schema="batch_result", summary="Close positions with market orders"),
    _post("countdown_cancel_all", "/api/v3/trade/countdown-cancel-all", Shape.STRING, 1,
          summary="Dead man's switch: cancel all orders unless re-armed"),
    _get("get_order_info", "/api/v3/trade/order-info", Shape.OBJECT, 20, schema="order",
         summary="One order"),
    _get("get_unfilled_orders", "/api/v3/trade/unfilled-orders", Shape.PAGE, 20,
         schema="order", summary="Open orders"),
    _get("get_history_orders", "/api/v3/trade/history-orders", Shape.PAGE, 20,
         schema="order", summary="Closed orders (90-day look-back, 30-day windows)"),
    _get("get_trade_fills", "/api/v3/trade/fills", Shape.PAGE, 20, schema="fill",
         summary="Own fills (90-day look-back, 30-day windows)"),
    # --- strategy orders (spec §4.2) --------------------------------------------------------
    _post("submit_strategy_order", "/api/v3/trade/place-strategy-order", Shape.OBJECT, 10,
          schema="order_ack", summary="Place a TP/SL strategy order"),
    _post("modify_strategy_order", "/api/v3/trade/modify-strategy-order", Shape.OBJECT, 10,
          schema="order_ack", summary="Modify a strategy order"),
    _post("cancel_strategy_order", "/api/v3/trade/cancel-strategy-order", Shape.OBJECT, 10,
          schema="order_ack", summary="Cancel a strategy order"),
    _get("get_unfilled_strategy_orders", "/api/v3/trade/unfilled-strategy-orders", Shape.LIST,
         20, schema="strategy_order", summary="Open TP/SL strategy orders, one row per order"),
    _get("get_history_strategy_orders", "/api/v3/trade/history-strategy-orders", Shape.PAGE,
         20, schema="strategy_order", summary="Finished TP/SL strategy orders, one row per order"),
    # --- positions (spec §4.3) --------------------------------------------------------------
    _get("get_current_position", "/api/v3/position/current-position", Shape.ITEMS, 20,
         schema="position", summary="Open positions"),
    _get("get_position_history", "/api/v3/position/history-position", Shape.PAGE, 20,
         schema="position_history", summary="Closed positions"),
    # --- copy trading, lead trader (spec §4.6) ----------------------------------------------
    _get("get_copy_futures_trading_pairs", "/api/v3/copy/futures/trading-pairs", Shape.LIST, 5,
         schema="copy_trading_pair", summary="Symbols the lead trader may trade"),
    _get("get_copy_futures_position_summary", "/api/v3/copy/futures/position-summary",
         Shape.LIST, 5, schema="copy_position", summary="Lead trader's positions"),
    _get("get_copy_futures_max_transferable", "/api/v3/copy/futures/max-transferable",
         Shape.OBJECT, 1, schema="copy_max_transferable", summary="Max transferable amount"),
    _post("copy_futures_transfer", "/api/v3/copy/futures/transfer", Shape.OBJECT, 1,
          schema="copy_transfer", summary="Transfer into / out of the lead account"),
    _get("get_copy_futures_transfer_records", "/api/v3/copy/futures/transfer-record",
         Shape.PAGE, 1, schema="copy_transfer_record", summary="Lead account transfers"),
    # Followers and profit share (spec §10.3): NODE states no limit; 1/s is ccxt's cost 20,
    # the cost it gives transfer-record (1/s in NODE and DOCS). Follower pages pass on the
    # cursor as ``endId`` (typed-bitget, GO), profit-detail pages as ``nextCursor`` (NODE, GO).
    _get("get_copy_futures_current_followers", "/api/v3/copy/futures/current-follower",
         Shape.PAGE, 1, schema="copy_current_follower", cursor_key="endId",
         summary="Followers copying the lead trader now"),
    _get("get_copy_futures_history_followers", "/api/v3/copy/futures/history-follower",
         Shape.PAGE, 1, schema="copy_history_follower", cursor_key="endId",
         summary="Followers who stopped copying the lead trader"),
    _get("get_copy_futures_profit_summary", "/api/v3/copy/futures/profit-summary",
         Shape.OBJECT, 1, schema="copy_profit_summary",
         summary="The lead trader's profit share: total, settled, pending"),
    _get("get_copy_futures_profit_details", "/api/v3/copy/futures/profit-details",
         Shape.PAGE, 1, schema="copy_profit_detail", cursor_key="nextCursor",
         summary="Profit-share settlements, one row per follower settlement"),
)
# fmt: on

#: name → endpoint.
ENDPOINTS: MappingProxyType[str, Endpoint] = MappingProxyType({e.name: e for e in _TABLE})

#: (method, path) → endpoint, for the exchange's router.
BY_ROUTE: MappingProxyType[tuple[str, str], Endpoint] = MappingProxyType(
    {(e.method, e.path): e for e in _TABLE}
)
