"""The exchange's API layer: one handler per endpoint of the shared table, wire in and out.

A handler reads the request's parameters (:mod:`.params`), builds a typed command
(:mod:`.commands`), asks the domain core (:class:`~.core.Core`) and turns what comes back
into wire records (:mod:`.records`). Handlers are registered under the endpoint's own name in
:data:`bitget_nb.endpoints.ENDPOINTS` (:func:`serves`), so the table, the client and the
exchange share one vocabulary; :data:`UNSERVED` lists the rows the exchange deliberately does
not serve yet, with the reason (none today).

The domain refuses with :class:`~.rejections.Rejected` and a :class:`~.rejections.Reason`;
:data:`CODES` is the one table that says which Bitget code answers which reason
(:func:`refusal`). Parameter errors raise :class:`~.params.ExchangeError` directly.

>>> from bitget_nb.exchange.rejections import Reason, Rejected
>>> refusal(Rejected(Reason.UNKNOWN_ORDER, "no order with orderId 7")).msg
'Order does not exist: no order with orderId 7'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypeVar

from .. import vocab
from ..endpoints import ENDPOINTS
from ..intervals import INTERVALS, reach_ms
from . import defaults
from . import params as p
from .accounts import Account, ApiKey
from .commands import (
    ClosePositions,
    HistoryQuery,
    ModifyStrategy,
    OpenOrdersQuery,
    OrderRef,
    PlaceOrder,
    PlaceStrategy,
    SetLeverage,
)
from .core import Core
from .instruments import Instrument
from .ledger import LedgerEntry
from .marketdata import Candle, TickerStats
from .orders import Fill, LegFields, Order
from .params import ExchangeError
from .positions import Position, maintenance_rate, money
from .records import (
    amount,
    candle_record,
    cursor,
    fill_record,
    history_window,
    listing,
    max_transferable_record,
    order_record,
    page,
    position_history_record,
    position_record,
    premium_record,
    public_trade_record,
    rows_of,
    strategy_record,
    symbol_fee_rate_record,
    transfer_record,
    turnover,
)
from .rejections import Reason, Rejected
from .triggers import LEG_FIELDS, TriggerLeg

__all__ = ["CODES", "HANDLERS", "UNSERVED", "Caller", "Handler", "operations", "refusal", "serves"]


@dataclass(frozen=True, slots=True)
class Caller:
    """The account and key a private request was signed with."""

    account: Account
    key: ApiKey


#: A handler: the core, the request's parameters (a mapping; a list for batch endpoints) and
#: the authenticated caller (``None`` for public endpoints) → the envelope's ``data``.
Handler = Callable[[Core, Any, Caller | None], Any]
#: An operation as the venue runs it: parameters and caller → ``data``.
Operation = Callable[[Any, Caller | None], Any]

#: Endpoint name → handler (filled by :func:`serves`).
HANDLERS: dict[str, Handler] = {}
#: Endpoint rows the exchange deliberately does not serve yet → why. Every other row of the
#: table has a handler (a test checks both, and that the client exposes every row).
UNSERVED: Mapping[str, str] = {}

#: The Bitget code that answers each reason the domain gives for a refusal.
CODES: Mapping[Reason, str] = {
    Reason.INVALID: defaults.BAD_PARAMETER_CODE,
    Reason.UNSERVED_CATEGORY: defaults.BAD_PARAMETER_CODE,
    Reason.UNKNOWN_INSTRUMENT: "25100",
    Reason.UNKNOWN_COIN: "25201",
    Reason.UNKNOWN_ORDER: "25204",
    Reason.PRICE_OFF_TICK: "25244",
    Reason.QTY_OFF_STEP: "25610",
    Reason.QTY_TOO_SMALL: defaults.QTY_TOO_SMALL_CODE,
    Reason.QTY_TOO_LARGE: "25208",
    Reason.NOTIONAL_TOO_SMALL: defaults.NOTIONAL_TOO_SMALL_CODE,
    Reason.QTY_BELOW_FILLED: defaults.QTY_BELOW_FILLED_CODE,
    Reason.UNCHANGED: "25571",
    Reason.DUPLICATE_CLIENT_OID: "25212",
    Reason.OPEN_ORDER_CAP: "40761",
    Reason.INSUFFICIENT_BALANCE: "25202",
    Reason.INSUFFICIENT_MARGIN: defaults.INSUFFICIENT_MARGIN_CODE,
    Reason.WRONG_POSITION_TYPE: defaults.WRONG_POSITION_TYPE_CODE,
    Reason.NO_POSITION: defaults.NO_POSITION_CODE,
    Reason.CLOSE_EXCEEDS_POSITION: defaults.CLOSE_EXCEEDS_POSITION_CODE,
    Reason.MAX_POSITION: defaults.MAX_POSITION_CODE,
    Reason.MARGIN_MODE_SWITCH: defaults.MARGIN_MODE_SWITCH_CODE,
    Reason.EXPOSURE_BLOCKS_HOLD_MODE: "25010",
    Reason.TPSL_PRICE_RULE: defaults.TPSL_PRICE_RULE_CODE,
    Reason.NO_POSITION_FOR_TPSL: defaults.NO_POSITION_FOR_TPSL_CODE,
    Reason.STRATEGY_ROOM: "25599",
}

_PCT_PLACES = Decimal("0.000001")
#: spec §4.1.2 / §4.1.4 / §4.1.6: at most 20 items per batch.
BATCH_MAX = 20
#: Transfer amounts: positive, at most 8 decimals (money precision, spec §4.0 strings).
_TRANSFER_PLACES = 8
_ZERO = Decimal(0)
_TPSL_WORDS = (
    ("tpTriggerBy", vocab.TRIGGER_BY),
    ("slTriggerBy", vocab.TRIGGER_BY),
    ("tpOrderType", vocab.ORDER_TYPES),
    ("slOrderType", vocab.ORDER_TYPES),
)
_TPSL_PRICES = ("takeProfit", "stopLoss", "tpLimitPrice", "slLimitPrice")

H = TypeVar("H", bound=Handler)


def serves(*names: str) -> Callable[[H], H]:
    """Register a handler for the endpoints ``names`` of the shared table."""

    def register(handler: H) -> H:
        for name in names:
            if name not in ENDPOINTS:
                raise RuntimeError(f"{name} is not an endpoint of bitget_nb.endpoints")
            if name in HANDLERS:
                raise RuntimeError(f"{name} has two handlers")
            HANDLERS[name] = handler
        return handler

    return register


def refusal(exc: Rejected) -> ExchangeError:
    """The error envelope that answers a refusal of the domain."""
    return ExchangeError(CODES[exc.reason], detail=exc.detail)


def operations(core: Core) -> dict[str, Operation]:
    """Every handler bound to ``core``, by endpoint name: private endpoints need a caller
    and (except batch endpoints, which check their list) a JSON object; a refusal of the
    domain comes out as its error envelope."""
    return {name: _operation(core, name, handler) for name, handler in HANDLERS.items()}


def _operation(core: Core, name: str, handler: Handler) -> Operation:
    endpoint = ENDPOINTS[name]

    def run(params: Any, caller: Caller | None = None) -> Any:
        if endpoint.private:
            if caller is None:
                raise RuntimeError("a private operation was called without an authenticated caller")
            if not endpoint.batch_body and not isinstance(params, Mapping):
                raise ExchangeError(defaults.BAD_BODY_CODE, detail="expected a JSON object")
        try:
            return handler(core, params, caller)
        except Rejected as exc:
            raise refusal(exc) from None
        finally:
            # Every step announces its balances; this catches anything a step left over.
            core.notifier.balances(core.clock.now_ms())

    run.__name__ = name
    run.__doc__ = handler.__doc__
    return run


# -- shared readers -------------------------------------------------------------------------


def _instrument(core: Core, category: str, symbol: str) -> Instrument:
    inst = core.catalogue.get(category, symbol)
    if inst is None:
        raise ExchangeError("25100", detail=f"{symbol} in {category}")
    return inst


def _market_instrument(core: Core, params: Mapping[str, Any]) -> Instrument:
    category = p.category(params, defaults.MARKET_DATA_CATEGORIES)
    assert category is not None
    return _instrument(core, category, p.required_text(params, "symbol").strip())


def _symbol(core: Core, params: Mapping[str, Any], category: str) -> str | None:
    """An optional ``symbol`` that must be an instrument of ``category``."""
    symbol = p.optional_text(params, "symbol")
    if symbol is None:
        return None
    return _instrument(core, category, symbol.strip()).symbol


def _stripped(params: Mapping[str, Any], name: str) -> str | None:
    value = p.optional_text(params, name)
    return value.strip() if value is not None else None


def _client_oid(params: Mapping[str, Any]) -> str | None:
    client_oid = p.optional_text(params, "clientOid")
    if client_oid is not None and not vocab.CLIENT_OID.fullmatch(client_oid):
        raise p.bad(
            f"clientOid must be 1 to 32 characters of letters, digits and . : / _ -, "
            f"got {client_oid!r}"
        )
    return client_oid


def _ref(params: Mapping[str, Any]) -> OrderRef:
    order_id = p.optional_text(params, "orderId")
    client_oid = p.optional_text(params, "clientOid")
    if order_id is None and client_oid is None:
        raise p.bad("orderId or clientOid is required")
    return OrderRef(
        order_id=order_id,
        client_oid=client_oid,
        category=p.category(params, required=False),
        symbol=_stripped(params, "symbol"),
    )


def _list_params(params: Mapping[str, Any]) -> tuple[int, int | None]:
    limit = p.limit(params, default=defaults.LIST_LIMIT_DEFAULT, maximum=defaults.LIST_LIMIT_MAX)
    return limit, cursor(params)


def _inst_of(core: Core, category: str, symbol: str) -> Instrument:
    inst = core.catalogue.get(category, symbol)
    assert inst is not None
    return inst


def _ack(order: Order) -> dict[str, str]:
    return {"orderId": order.order_id, "clientOid": order.client_oid}


def _item_ok(order: Order) -> dict[str, str]:
    """A successful per-item result (batch endpoints, cancel-symbol-order, close-positions):
    ``orderId`` and ``clientOid`` only — ``code``/``msg`` appear on failed items alone.
    [solid] spec §2.3, §10.2: DOCS trade/Place-Batch ("set only on failed items"), NODE's and
    GO's result types, and ccxt's captured live responses, whose successful items carry no
    code or msg."""
    return _ack(order)


def _item_error(item: Any, exc: ExchangeError) -> dict[str, str]:
    """A failed batch item: the ids it named (if any) and the error (spec §2.3)."""
    ids = {"orderId": "", "clientOid": ""}
    if isinstance(item, Mapping):
        for name in ids:
            value = item.get(name)
            if isinstance(value, str | int) and not isinstance(value, bool):
                ids[name] = str(value)
    return {**ids, "code": exc.code, "msg": exc.msg}


def _batch(items: Any) -> list[Any]:
    """A batch body: a non-empty list of at most 20 items of one category (spec §4.1.2,
    §4.1.4, §4.1.6); otherwise the whole call fails with 25200."""
    if not isinstance(items, list):
        raise ExchangeError(defaults.BAD_BODY_CODE, detail="the body must be a JSON array")
    if not items:
        raise p.bad("the batch is empty: send 1 to 20 items")
    if len(items) > BATCH_MAX:
        raise p.bad(f"a batch holds at most {BATCH_MAX} items, got {len(items)}")
    seen = sorted(
        {
            str(item["category"]).strip().upper()
            for item in items
            if isinstance(item, Mapping) and item.get("category") not in (None, "")
        }
    )
    if len(seen) > 1:
        raise p.bad(f"all items of a batch must share one category, got {', '.join(seen)}")
    return items


def _each(items: list[Any], action: Callable[[Mapping[str, Any]], Order]) -> list[dict[str, str]]:
    results = []
    for item in items:
        try:
            if not isinstance(item, Mapping):
                raise p.bad("each item must be a JSON object")
            results.append(_item_ok(action(item)))
        except ExchangeError as exc:
            results.append(_item_error(item, exc))
        except Rejected as exc:
            results.append(_item_error(item, refusal(exc)))
    return results


# -- public market data (spec §4.5) -----------------------------------------------------------


@serves("get_server_time", "get_server_time_v3", "get_market_time")
def server_time(core: Core, params: Any, caller: Caller | None) -> dict:
    """``{"serverTime": "<ms>"}`` on all three paths (spec §4.5.1, §10.3)."""
    return {"serverTime": str(core.clock.now_ms())}


@serves("get_spot_coin_info")
def spot_coins(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """Classic V2 ``GET /api/v2/spot/public/coins`` (DOCS spot/market/Get-Coin-List: public,
    3/s per IP; spec §10.3): a bare array of ``{coinId, coin, transfer, chains: [{chain,
    needTag, withdrawable, rechargeable, withdrawFee, extraWithdrawFee, depositConfirm,
    withdrawConfirm, minDepositAmount, minWithdrawAmount, browserUrl, contractAddress,
    withdrawStep, withdrawMinScale, congestion}], areaCoin}`` — ``areaCoin`` from ccxt's
    captured answer — for the coins of the catalogue's spot instruments (the data file's
    sample records). ``coin`` picks one, in any case; a coin the exchange does not list gives
    an empty array [unverified]. ccxt's plain ``load_markets()`` calls it (fetchCurrencies)
    even for a UTA account, and live serves it to one."""
    coin = _stripped(params, "coin")
    chosen = [
        record
        for record in core.catalogue.spot_coins
        if coin is None or record["coin"] == coin.upper()
    ]
    return [{**record, "chains": [dict(c) for c in record["chains"]]} for record in chosen]


@serves("get_instruments")
def instruments(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """Instruments of a category, optionally one symbol (spec §4.5.2)."""
    category = p.category(params)
    assert category is not None
    symbol = p.optional_text(params, "symbol")
    if symbol is not None:
        return [_instrument_record(core, _instrument(core, category, symbol.strip()))]
    return [_instrument_record(core, i) for i in core.catalogue.in_category(category)]


def _instrument_record(core: Core, inst: Instrument) -> dict[str, str]:
    """The catalogue's record of ``inst``, with the fee model's rates where it has any."""
    record = dict(inst.wire)
    rates = core.fees.rates(inst)
    for name, rate in (("makerFeeRate", rates.maker), ("takerFeeRate", rates.taker)):
        if name in record and Decimal(record[name]) != rate:
            record[name] = format(rate, "f")
    return record


@serves("get_tickers")
def tickers(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """24 h tickers (spec §4.5.3)."""
    category = p.category(params, defaults.MARKET_DATA_CATEGORIES)
    assert category is not None
    symbol = p.optional_text(params, "symbol")
    if symbol is not None:
        chosen = [_instrument(core, category, symbol.strip())]
    else:
        chosen = core.catalogue.in_category(category)
    now = core.clock.now_ms()
    return [_ticker(core, inst, now) for inst in chosen]


def _ticker(core: Core, inst: Instrument, now: int) -> dict[str, str]:
    stats = core.market.ticker_stats(inst, now)
    book = core.market.book(inst, now, 1)
    change = (Decimal(stats.last - stats.open_24h) / Decimal(stats.open_24h)).quantize(_PCT_PLACES)
    row = {
        "category": inst.category,
        "symbol": inst.symbol,
        "lastPrice": inst.format_price(stats.last),
        "openPrice24h": inst.format_price(stats.open_24h),
        "highPrice24h": inst.format_price(stats.high_24h),
        "lowPrice24h": inst.format_price(stats.low_24h),
        "ask1Price": inst.format_price(book.asks[0][0]),
        "ask1Size": inst.format_qty(book.asks[0][1]),
        "bid1Price": inst.format_price(book.bids[0][0]),
        "bid1Size": inst.format_qty(book.bids[0][1]),
        "price24hPcnt": format(change, "f"),
        "volume24h": inst.format_qty(stats.volume_24h),
        "turnover24h": turnover(stats.turnover_24h),
        "ts": str(now),
    }
    if inst.is_futures:
        row["indexPrice"] = inst.format_price(stats.index)
        row["markPrice"] = inst.format_price(stats.mark)
        row["fundingRate"] = format(stats.funding_rate, "f")
        row["openInterest"] = inst.qty_text(_open_interest(core, inst, now, stats))
    return row


@serves("get_orderbook")
def orderbook(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """Book depth (spec §4.5.4): asks ascending, bids descending, as strings."""
    inst = _market_instrument(core, params)
    depth = p.limit(
        params,
        default=defaults.ORDERBOOK_LIMIT_DEFAULT,
        maximum=defaults.ORDERBOOK_LIMIT_MAX,
        keyword_max=defaults.ORDERBOOK_LIMIT_KEYWORD_MAX,
    )
    book = core.market.book(inst, core.clock.now_ms(), depth)
    return {
        "a": [[inst.format_price(px), inst.format_qty(sz)] for px, sz in book.asks],
        "b": [[inst.format_price(px), inst.format_qty(sz)] for px, sz in book.bids],
        "ts": str(book.ts),
    }


@serves("get_candles")
def candles(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """Candles ``[ts, open, high, low, close, volume, turnover]`` (spec §4.5.5), as far back
    as ``candles`` reaches for the interval (:func:`bitget_nb.intervals.reach_ms`)."""
    return _candles(core, params, "candles", defaults.CANDLES_LIMIT_MAX)


@serves("get_history_candles")
def history_candles(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """The same rows from ``history-candles``: the last 90 days, at most 100 a request."""
    return _candles(core, params, "history", defaults.HISTORY_CANDLES_LIMIT_MAX)


def _candles(
    core: Core, params: Mapping[str, Any], endpoint: Literal["candles", "history"], maximum: int
) -> list:
    inst = _market_instrument(core, params)
    name = p.required_text(params, "interval").strip()
    if name not in INTERVALS:
        raise p.bad(f"interval must be one of {', '.join(INTERVALS)}")
    price_type = p.choice(
        params, "type", ("market", "mark", "index", "premium"), default="market", fold_case=True
    )
    start = p.timestamp_ms(params, "startTime")
    end = p.timestamp_ms(params, "endTime")
    if start is not None and end is not None and end < start:
        raise p.bad("endTime must not be before startTime")
    limit = p.limit(params, default=defaults.CANDLES_LIMIT_DEFAULT, maximum=maximum)
    now = core.clock.now_ms()
    reach = reach_ms(name, endpoint)
    if reach is not None:
        # Older candles are not served: an empty answer, as V2 gives for "no data" [unverified]
        start = max(start or 0, INTERVALS[name].ceil(now - reach))

    def series(kind: str) -> list[Candle]:
        return core.market.candles(
            inst,
            name,
            now_ms=now,
            start_ms=start,
            end_ms=end,
            limit=limit,
            price_type=kind,  # type: ignore[arg-type]
        )

    if price_type == "premium":
        out = [premium_record(m, i) for m, i in zip(series("market"), series("index"), strict=True)]
    else:
        out = _candle_records(series(str(price_type)), inst)
    return out if defaults.CANDLES_ASCENDING else out[::-1]


#: Wire rows of candles already formatted, by (instrument key, candle): a closed candle's row
#: never changes, and a strategy reading the last bars at every step asks for the same rows
#: again and again. Each entry keeps its instrument, so a row is reused only for that very
#: instrument (an id is never reused while the entry holds it). Cleared when full.
_CANDLE_ROWS: dict[tuple[str, Candle], tuple[Instrument, list[str]]] = {}
_CANDLE_ROWS_MAX = 20_000


def _candle_records(candles: list[Candle], inst: Instrument) -> list[list[str]]:
    rows = []
    for candle in candles:
        key = (inst.key, candle)
        hit = _CANDLE_ROWS.get(key)
        if hit is None or hit[0] is not inst:
            if len(_CANDLE_ROWS) >= _CANDLE_ROWS_MAX:
                _CANDLE_ROWS.clear()
            hit = _CANDLE_ROWS[key] = (inst, candle_record(candle, inst))
        rows.append(hit[1])
    return rows


@serves("get_fills")
def public_fills(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """Recent public trades, newest first (spec §4.5.6)."""
    inst = _market_instrument(core, params)
    limit = p.limit(params, default=defaults.FILLS_LIMIT_DEFAULT, maximum=defaults.FILLS_LIMIT_MAX)
    return [
        public_trade_record(t, inst) for t in core.market.trades(inst, core.clock.now_ms(), limit)
    ]


# -- account (spec §4.4) ------------------------------------------------------------------------


def _coin_usd_price(core: Core, coin: str, now: int) -> Decimal:
    """The USD value of one ``coin``: 1 for stable coins, else its index price."""
    price = _usd_price_or_none(core, coin, now)
    if price is None:
        raise ExchangeError("25201", detail=f"no spot market prices {coin}")
    return price


def _usd_price_or_none(core: Core, coin: str, now: int) -> Decimal | None:
    if coin in vocab.STABLE_COINS:
        return Decimal(1)
    inst = core.catalogue.usd_index_symbol(coin)
    return None if inst is None else core.market.price(inst, now, "index")


@serves("get_balances")
def assets(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """Account equity and per-coin balances, valued at current prices, following the
    futures positions (spec §4.4.1): a coin's equity adds the unrealised PnL of the positions
    margined in it; its ``available`` loses the unrealised losses of its crossed positions.

    account/assets: ``imr`` = the initial margin of all positions, ``mmr`` = their
    maintenance margin, both in USD; ``mgnRatio`` = mmr / accountEquity;
    ``positionMgnRatio`` = imr / accountEquity (0 without positions). A coin's ``equity`` =
    balance + the unrealised PnL of the positions margined in it. [unverified] spec §4.4.1
    gives names only.

    ``positionValue``, ``leverage`` (top level) and ``bonus`` (per coin) are in the newer
    DOCS sample (2026-08, quoted by two third-party test suites; typed-bitget: "total position
    value across the account, in USD", "overall account leverage"). [single] spec §10.2.
    ``positionValue`` = the value at the mark price of every open position, in USD;
    ``leverage`` = (the balances at market value + positionValue) / accountEquity — what the
    account holds and is exposed to, per unit of equity: "1" for an account of coins it owns
    outright with no positions, as in that sample (no positions, no debt, "1"); borrowing or
    futures exposure raise it. ``bonus``: :data:`defaults.NO_BONUS`.
    """
    assert caller is not None
    account = caller.account
    now = core.clock.now_ms()
    totals = core.futures.totals(now)
    zero = Decimal(0)
    coins = []
    total = unrealised = imr = mmr = held = exposure = zero
    for coin, bal in account.balances.items():
        futures = totals.get(coin, {})
        if bal.total == 0 and bal.debt == 0 and not futures:
            continue
        price = _coin_usd_price(core, coin, now)
        upnl = futures.get("upnl", zero)
        equity = bal.total - bal.debt + upnl
        available = bal.available
        if defaults.CROSS_LOSSES_REDUCE_AVAILABLE:
            available += min(zero, futures.get("cross_upnl", zero))
        usd = equity * price
        total += usd
        unrealised += upnl * price
        imr += futures.get("im", zero) * price
        mmr += futures.get("mm", zero) * price
        held += bal.total * price
        exposure += futures.get("value", zero) * price
        coins.append(
            {
                "coin": coin,
                "equity": amount(equity),
                "usdValue": amount(usd),
                "balance": amount(bal.total),
                "available": amount(max(zero, available)),
                "debt": amount(bal.debt),
                "locked": amount(bal.locked),
                "bonus": defaults.NO_BONUS,
            }
        )
    # A replay that records no BTC market cannot value the account in BTC: those two
    # figures are then empty (live Bitget always knows BTC's price).
    btc = _usd_price_or_none(core, "BTC", now)
    usdt = _coin_usd_price(core, "USDT", now)
    return {
        "accountEquity": amount(total),
        "usdtEquity": amount(total / usdt),
        "btcEquity": amount(total / btc) if btc else "",
        "unrealisedPnl": amount(unrealised),
        "usdtUnrealisedPnl": amount(unrealised / usdt),
        # Spelled with a z on the wire (spec §4.4.1).
        "btcUnrealizedPnl": amount(unrealised / btc) if btc else "",
        "effEquity": amount(total * defaults.COLLATERAL_RATIO),
        "mmr": amount(mmr),
        "imr": amount(imr),
        "mgnRatio": amount(mmr / total) if total > 0 else "0",
        "positionMgnRatio": amount(imr / total) if total > 0 else "0",
        "positionValue": amount(exposure),
        "leverage": amount((held + exposure) / total) if total > 0 else "0",
        "assets": coins,
    }


@serves("get_account_settings")
def settings(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """Account mode, hold mode and per-symbol / per-coin leverage (spec §4.4.2)."""
    assert caller is not None
    account = caller.account
    return {
        "uid": account.uid,
        "accountMode": account.account_mode,
        "assetMode": account.asset_mode,
        "accountLevel": account.account_level,
        "holdMode": account.hold_mode,
        "stpMode": account.stp_mode,
        "symbolConfigList": [
            {
                "category": c.category,
                "symbol": c.symbol,
                "marginMode": c.margin_mode,
                "leverage": str(c.leverage),
            }
            for c in account.symbol_configs.values()
        ],
        "coinConfigList": [
            {"coin": coin, "leverage": str(lev)} for coin, lev in account.coin_leverage.items()
        ],
    }


@serves("get_account_info")
def info(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """Account id and the calling key's permissions (spec §4.4.3).

    Both ``userId`` and ``uid`` are emitted (spec §7 #4).
    """
    assert caller is not None
    empty = defaults.EMPTY_INFO_FIELD
    return {
        "userId": caller.account.uid,
        "uid": caller.account.uid,
        "inviterId": empty,
        "parentId": empty,
        "channelCode": empty,
        "channel": empty,
        "ips": empty,
        "permType": caller.key.perm_type,
        "permissions": list(caller.key.permissions),
        "regisTime": str(caller.account.registered_ms),
    }


@serves("get_fee_rate")
def fee_rate(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """Maker / taker fee rates of a symbol, from the fee model (spec §4.4.6). MARGIN trades on
    the spot book."""
    category = p.category(params)
    assert category is not None
    symbol = p.required_text(params, "symbol").strip()
    inst = _instrument(core, "SPOT" if category == "MARGIN" else category, symbol)
    rates = core.fees.rates(inst)
    return {"makerFeeRate": format(rates.maker, "f"), "takerFeeRate": format(rates.taker, "f")}


@serves("get_all_fee_rates")
def all_fee_rates(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """Maker / taker fee rates of every symbol of a category (or of ``symbol``), from the fee
    model, as ``fee-rate`` reports them one at a time. MARGIN lists the spot book's symbols
    (as ``fee-rate`` prices MARGIN); a category without instruments gives ``[]``; an unknown
    ``symbol`` is refused with ``fee-rate``'s code. [unverified] what live does for the last
    two."""
    category = p.category(params)
    assert category is not None
    book = "SPOT" if category == "MARGIN" else category
    symbol = p.optional_text(params, "symbol")
    if symbol is not None:
        chosen = [_instrument(core, book, symbol.strip())]
    else:
        chosen = core.catalogue.in_category(book)
    return [symbol_fee_rate_record(inst, core.fees.rates(inst)) for inst in chosen]


@serves("get_max_transferable")
def account_max_transferable(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """What of ``coin`` may leave the unified account now: its free amount, the one a transfer
    into the lead account checks (``available`` less the unrealised losses of crossed
    positions). A coin the catalogue does not list is refused (25201), as copy trading's
    max-transferable refuses it."""
    coin = p.required_text(params, "coin").strip().upper()
    if coin not in core.catalogue.coins():
        raise Rejected(Reason.UNKNOWN_COIN, coin)
    return max_transferable_record(coin, core.free(coin))


@serves("set_leverage")
def set_leverage(core: Core, params: Mapping[str, Any], caller: Caller | None) -> str:
    """Set futures leverage per symbol, or margin borrowing leverage per coin (spec §4.4.4)."""
    category = p.category(params, ("MARGIN", *p.FUTURES_CATEGORIES))
    if category == "MARGIN":
        coin = p.required_text(params, "coin").strip().upper()
        if coin not in core.account.coin_leverage:
            raise ExchangeError("25201", detail=coin)
        leverage = p.integer(
            params,
            "leverage",
            minimum=defaults.MARGIN_MIN_LEVERAGE,
            maximum=defaults.MARGIN_MAX_LEVERAGE,
        )
        if leverage is None:
            raise p.bad("leverage is required")
        core.futures.set_coin_leverage(coin, leverage)
        return "success"
    assert category is not None
    inst = _instrument(core, category, p.required_text(params, "symbol").strip())
    low, high = inst.min_leverage or 1, inst.max_leverage or 1
    # Out of the instrument's bounds → the code of defaults.LEVERAGE_OUT_OF_BOUNDS_CODE,
    # naming them.
    bounds = {"minimum": low, "maximum": high, "code": defaults.LEVERAGE_OUT_OF_BOUNDS_CODE}
    leverage = p.integer(params, "leverage", **bounds)  # type: ignore[arg-type]
    long_lev = p.integer(params, "longLeverage", **bounds)  # type: ignore[arg-type]
    short_lev = p.integer(params, "shortLeverage", **bounds)  # type: ignore[arg-type]
    margin_mode = p.choice(params, "marginMode", ("crossed", "isolated"))
    pos_side = p.choice(params, "posSide", ("long", "short"))
    if leverage is None and long_lev is None and short_lev is None:
        raise p.bad("leverage is required")
    core.futures.set_leverage(
        SetLeverage(
            inst=inst,
            leverage=leverage,
            long_leverage=long_lev,
            short_leverage=short_lev,
            pos_side=pos_side,
            margin_mode=margin_mode,
        )
    )
    return "success"


@serves("set_hold_mode")
def set_hold_mode(core: Core, params: Mapping[str, Any], caller: Caller | None) -> str:
    """Switch between one-way and hedge mode, account-wide (spec §4.4.5): refused with 25010
    while any futures position or open futures order exists (spec §9 #11)."""
    mode = p.choice(params, "holdMode", ("one_way_mode", "hedge_mode"))
    if mode is None:
        raise p.bad("holdMode is required")
    core.futures.set_hold_mode(mode)
    return "success"


# -- trading (spec §4.1) ----------------------------------------------------------------------


def place_command(core: Core, params: Mapping[str, Any]) -> PlaceOrder:
    """A place-order request as a command (spec §4.1.1): every field read and checked for
    shape; the rules that need the instrument, the account or the market are the domain's."""
    category = p.category(params)
    assert category is not None
    core.settlement(category)  # MARGIN and other unserved lines are refused first
    inst = _instrument(core, category, p.required_text(params, "symbol").strip())
    side = p.choice(params, "side", vocab.SIDES)
    if side is None:
        raise p.bad("side is required")
    order_type = p.choice(params, "orderType", vocab.ORDER_TYPES)
    if order_type is None:
        raise p.bad("orderType is required")
    tif = p.choice(params, "timeInForce", vocab.TIME_IN_FORCE, default="gtc")
    stp = p.choice(params, "stpMode", vocab.STP_MODES)
    reduce_only = p.yes_no(params, "reduceOnly")
    pos_side = p.choice(params, "posSide", vocab.POS_SIDES)
    margin_mode = p.choice(params, "marginMode", vocab.MARGIN_MODES)
    words = {name: p.choice(params, name, options) for name, options in _TPSL_WORDS}
    prices = {name: p.decimal(params, name) for name in _TPSL_PRICES}
    if not inst.is_futures:
        # Positions, reduce-only and attached TP/SL are futures concepts (spec §4.1.1,
        # §5.3, §5.4); marginMode is harmless on spot and ignored.
        given = {"posSide": pos_side, **words, **prices}
        named = sorted(n for n, v in given.items() if v is not None)
        named += ["reduceOnly"] if reduce_only else []
        if named:
            raise p.bad(f"{', '.join(named)} apply to futures orders only, not {category}")
        margin_mode = None
    client_oid = _client_oid(params)
    qty = p.decimal(params, "qty", required=True)
    assert qty is not None
    price: Decimal | None = None
    if order_type == "limit":
        price = p.decimal(params, "price")
        if price is None:
            raise p.bad("price is required for limit orders")
    presets = {}
    for trigger_type, (price_name, by_name, type_name, limit_name) in LEG_FIELDS.items():
        fields = LegFields(prices[price_name], words[by_name], words[type_name], prices[limit_name])
        if fields != LegFields():
            presets[trigger_type] = fields
    return PlaceOrder(
        inst=inst,
        side=side,
        order_type=order_type,
        qty=qty,
        price=price,
        time_in_force=tif or "gtc",
        stp_mode=stp,
        reduce_only=reduce_only,
        pos_side=pos_side,
        margin_mode=margin_mode,
        client_oid=client_oid,
        presets=presets,
    )


@serves("submit_new_order")
def place_order(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``place-order``: ``{orderId, clientOid}``."""
    return _ack(core.entry.place(place_command(core, params)))


@serves("place_batch_orders")
def place_batch(core: Core, items: Any, caller: Caller | None) -> list:
    """``place-batch``: each item placed on its own, results in input order (spec §2.3).
    Attached TP/SL are refused per item: batch placement does not support them (spec §5.4,
    DOCS-CL)."""

    def place_item(item: Mapping[str, Any]) -> Order:
        named = [n for n in ("takeProfit", "stopLoss") if item.get(n) not in (None, "")]
        if named:
            raise p.bad(
                f"{'/'.join(named)}: batch orders cannot carry an attached TP/SL; place the "
                "order alone or use place-strategy-order"
            )
        return core.entry.place(place_command(core, item))

    return _each(_batch(items), place_item)


def _modify(core: Core, params: Mapping[str, Any]) -> Order:
    """Change an open order's price and/or qty (spec §4.1.3, §9 #10); ``autoCancel=yes``
    cancels it when the change is refused, for whatever reason."""
    order = core.queries.find_open(_ref(params))
    auto_cancel = p.yes_no(params, "autoCancel")
    try:
        qty = p.decimal(params, "qty")
        price = p.decimal(params, "price")
    except ExchangeError:
        core.entry.modify_failed(order, auto_cancel=auto_cancel)
        raise
    return core.entry.modify(order, qty=qty, price=price, auto_cancel=auto_cancel)


@serves("modify_order")
def modify_order(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``modify-order``: ``{orderId, clientOid}``."""
    return _ack(_modify(core, params))


@serves("batch_modify_orders")
def batch_modify(core: Core, items: Any, caller: Caller | None) -> list:
    """``batch-modify-order``: per-item results; an order may appear once (spec §4.1.4)."""
    seen: set[str] = set()

    def modify_once(item: Mapping[str, Any]) -> Order:
        order = core.queries.find(_ref(item))
        if order.order_id in seen:
            raise p.bad(f"order {order.order_id} appears more than once in the batch")
        seen.add(order.order_id)
        return _modify(core, item)

    return _each(_batch(items), modify_once)


@serves("cancel_order")
def cancel_order(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``cancel-order``: ``{orderId, clientOid}``; 25204 when unknown or closed (§4.1.5)."""
    return _ack(core.entry.cancel(core.queries.find_open(_ref(params))))


@serves("cancel_batch_orders")
def cancel_batch(core: Core, items: Any, caller: Caller | None) -> list:
    """``cancel-batch``: category and symbol required per item; partial success
    (spec §4.1.6)."""

    def cancel_item(item: Mapping[str, Any]) -> Order:
        p.category(item)
        p.required_text(item, "symbol")
        return core.entry.cancel(core.queries.find_open(_ref(item)))

    return _each(_batch(items), cancel_item)


@serves("cancel_all_orders")
def cancel_all(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``cancel-symbol-order``: every open order of a category, optionally one symbol
    (spec §4.1.7); ``{"list": [{orderId, clientOid, code, msg}]}``."""
    category = p.category(params)
    assert category is not None
    symbol = _symbol(core, params, category)
    done = core.entry.cancel_open(category, symbol, defaults.CANCEL_REASON_CANCEL_ALL)
    return {"list": [_item_ok(order) for order in done]}


@serves("close_all_positions")
def close_positions(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``close-positions``: market-close every selected position; one result row per close
    order (spec §4.1.8, :data:`defaults.CANCEL_REASON_CLOSE_POSITIONS`)."""
    category = p.category(params, vocab.FUTURES_CATEGORIES)
    assert category is not None
    symbol = _symbol(core, params, category)
    pos_side = p.choice(params, "posSide", vocab.POS_SIDES)
    results = core.entry.close_positions(
        ClosePositions(category=category, symbol=symbol, pos_side=pos_side)
    )
    rows = []
    for result in results:
        if isinstance(result, Rejected):
            error = refusal(result)
            rows.append({"orderId": "", "clientOid": "", "code": error.code, "msg": error.msg})
        else:
            rows.append(_item_ok(result))
    return {"list": rows}


@serves("countdown_cancel_all")
def countdown(core: Core, params: Mapping[str, Any], caller: Caller | None) -> str:
    """``countdown-cancel-all``: ``countdown`` "5".."60" arms or re-arms the switch, "0"
    disarms it; ``"success"``. At the deadline every open order is cancelled
    (:data:`defaults.CANCEL_REASON_COUNTDOWN`) and the switch disarms."""
    low, high = defaults.COUNTDOWN_MIN_SECONDS, defaults.COUNTDOWN_MAX_SECONDS
    rule = f"countdown must be 0 (off) or whole seconds from {low} to {high}"
    try:
        seconds = p.integer(params, "countdown", minimum=0, maximum=high)
    except ExchangeError:
        raise p.bad(rule) from None
    if seconds is None:
        raise p.bad(f"countdown is required; {rule}")
    if 0 < seconds < low:
        raise p.bad(rule)
    core.countdown_desk.arm(seconds, core.clock.now_ms())
    return "success"


@serves("get_order_info")
def order_info(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``order-info``: one order, open or closed, every field of spec §4.1.10."""
    order = core.queries.find(_ref(params))
    return order_record(order, _inst_of(core, order.category, order.symbol))


@serves("get_unfilled_orders")
def unfilled(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``unfilled-orders``: open orders newest first (spec §4.1.11)."""
    category = p.category(params, required=False)
    symbol = _stripped(params, "symbol")
    start = p.timestamp_ms(params, "startTime")
    end = p.timestamp_ms(params, "endTime")
    limit, before = _list_params(params)
    found = core.queries.open_orders(
        OpenOrdersQuery(
            category=category, symbol=symbol, start=start, end=end, before=before, limit=limit
        )
    )
    return listing(
        found,
        key=lambda o: o.order_id,
        record=lambda o: order_record(o, _inst_of(core, o.category, o.symbol), closed_fields=False),
    )


def _history_query(
    core: Core, params: Mapping[str, Any], *, category_required: bool
) -> HistoryQuery:
    category = p.category(params, required=category_required)
    symbol = _stripped(params, "symbol")
    order_id = _stripped(params, "orderId")
    start, end = history_window(params, core.clock.now_ms())
    limit, before = _list_params(params)
    return HistoryQuery(
        start=start,
        end=end,
        category=category,
        symbol=symbol,
        order_id=order_id,
        before=before,
        limit=limit,
    )


@serves("get_history_orders")
def history(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``history-orders``: terminal orders newest first, 90-day look-back, ≤ 30-day
    windows; filters ``symbol`` and ``orderId`` (spec §4.1.12, §7 #7)."""
    found = core.queries.history(_history_query(core, params, category_required=True))
    return listing(
        found,
        key=lambda o: o.order_id,
        record=lambda o: order_record(o, _inst_of(core, o.category, o.symbol)),
    )


@serves("get_trade_fills")
def fills(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``fills``: own executions newest first, 90-day look-back, ≤ 30-day windows
    (spec §4.1.13)."""
    found = core.queries.fills(_history_query(core, params, category_required=False))

    def record(fill: Fill) -> dict[str, Any]:
        return fill_record(fill, _inst_of(core, fill.category, fill.symbol))

    return listing(
        found,
        key=lambda f: f.exec_id,
        record=record,
        null_when_empty="get_trade_fills" in defaults.NULL_WHEN_EMPTY,
    )


# -- strategy (TP/SL) orders (spec §4.2) -------------------------------------------------------


def _leg_fields(
    params: Mapping[str, Any], base: Mapping[str, TriggerLeg] | None = None
) -> dict[str, LegFields]:
    """The leg fields a request gives: for each leg with a trigger price (or, with ``base``,
    a pending leg it may change), its price source, order type and limit price."""
    fields: dict[str, LegFields] = {}
    for trigger_type, (price_name, by_name, type_name, limit_name) in LEG_FIELDS.items():
        old = (base or {}).get(trigger_type)
        price = p.decimal(params, price_name)
        if price is None and (old is None or old.status != "pending"):
            continue
        fields[trigger_type] = LegFields(
            price,
            p.choice(params, by_name, vocab.TRIGGER_BY),
            p.choice(params, type_name, vocab.ORDER_TYPES),
            p.decimal(params, limit_name),
        )
    return fields


def _strategy_type(params: Mapping[str, Any]) -> str:
    kind = p.choice(params, "type", ("tpsl", "trigger"), default="tpsl")
    assert kind is not None
    if kind not in defaults.STRATEGY_TYPES_SERVED:
        raise p.bad(f"type={kind} strategy orders are not served by the local exchange")
    return kind


@serves("submit_strategy_order")
def place_strategy(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``place-strategy-order``: a position TP/SL (spec §4.2.1); ``{orderId, clientOid}``."""
    category = p.category(params, vocab.FUTURES_CATEGORIES)
    assert category is not None
    inst = _instrument(core, category, p.required_text(params, "symbol").strip())
    _strategy_type(params)
    mode = p.choice(params, "tpslMode", ("full", "partial"), default="full")
    assert mode is not None
    pos_side = p.choice(params, "posSide", vocab.POS_SIDES)
    if pos_side is None:
        raise p.bad("posSide is required: the side of the position this TP/SL protects")
    client_oid = _client_oid(params)
    legs = _leg_fields(params)
    qty = p.decimal(params, "qty")
    order = core.strategies.place(
        PlaceStrategy(
            inst=inst,
            pos_side=pos_side,
            tpsl_mode=mode,
            legs=legs,
            qty=qty,
            client_oid=client_oid,
        )
    )
    return {"orderId": order.order_id, "clientOid": order.client_oid}


def _find_strategy(core: Core, params: Mapping[str, Any]) -> Any:
    order_id = p.optional_text(params, "orderId")
    client_oid = p.optional_text(params, "clientOid")
    if order_id is None and client_oid is None:
        raise p.bad("orderId or clientOid is required")
    return core.strategies.find(order_id=order_id, client_oid=client_oid)


@serves("modify_strategy_order")
def modify_strategy(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``modify-strategy-order``: new qty (required, spec §4.2.2) and TP/SL fields of a
    pending strategy order; a price given for a missing leg adds that leg."""
    order = _find_strategy(core, params)
    legs = _leg_fields(params, base=order.legs)
    qty = p.decimal(params, "qty")
    order = core.strategies.modify(ModifyStrategy(order_id=order.order_id, qty=qty, legs=legs))
    return {"orderId": order.order_id, "clientOid": order.client_oid}


@serves("cancel_strategy_order")
def cancel_strategy(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``cancel-strategy-order``: cancel its pending legs; ``{orderId, clientOid}`` (the DOCS
    shape, spec §4.2.3)."""
    order = core.strategies.cancel(_find_strategy(core, params))
    return {"orderId": order.order_id, "clientOid": order.client_oid}


def _strategy_filters(params: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """``category`` (required), ``type`` and ``symbol``."""
    category = p.category(params, vocab.FUTURES_CATEGORIES)
    assert category is not None
    kind = p.choice(params, "type", ("tpsl", "trigger"))
    return category, kind, _stripped(params, "symbol")


@serves("get_unfilled_strategy_orders")
def unfilled_strategies(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """``unfilled-strategy-orders``: a BARE ARRAY, one row per strategy order with a pending
    leg, newest first (spec §4.2.4; the row: :func:`.records.strategy_record`)."""
    category, kind, symbol = _strategy_filters(params)
    return [
        strategy_record(order, _inst_of(core, order.category, order.symbol))
        for order in core.strategies.unfilled(category, kind, symbol)
    ]


@serves("get_history_strategy_orders")
def history_strategies(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``history-strategy-orders``: finished strategy orders newest first, one row each,
    ``{list, cursor}``, windows on ``createdTime`` like order history (spec §4.2.5); the
    cursor is the ``orderId`` of the last row."""
    category, kind, symbol = _strategy_filters(params)
    start, end = history_window(params, core.clock.now_ms())
    limit, before = _list_params(params)
    found = core.strategies.history(
        category, kind, symbol, start=start, end=end, limit=limit, before=before
    )
    return listing(
        found,
        key=lambda o: o.order_id,
        record=lambda o: strategy_record(o, _inst_of(core, o.category, o.symbol)),
    )


# -- positions (spec §4.3) --------------------------------------------------------------------


def _position_row(core: Core, position: Position, now: int) -> dict[str, Any]:
    """The current-position record of ``position`` (spec §4.3.1)."""
    futures = core.futures
    inst = futures.inst(position)
    return position_record(
        position,
        inst,
        mark=futures.mark(inst, now),
        leverage=futures.leverage(position),
        frozen=core.rules.frozen(position),
        backing=futures.backing(position, now),
        taker_rate=core.fees.rate(inst, "taker"),
    )


@serves("get_current_position")
def current_position(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``current-position``: ``{"list": [...]}`` of open positions (spec §4.3.1)."""
    category = p.category(params, vocab.FUTURES_CATEGORIES)
    assert category is not None
    symbol = _symbol(core, params, category)
    pos_side = p.choice(params, "posSide", vocab.POS_SIDES)
    now = core.clock.now_ms()
    rows = [
        _position_row(core, position, now)
        for position in core.positions.open_positions(category, symbol, pos_side)
    ]
    return {
        "list": rows_of(rows, null_when_empty="get_current_position" in defaults.NULL_WHEN_EMPTY)
    }


@serves("get_position_history")
def position_history(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``history-position``: closed positions newest first, 90-day look-back, ≤ 30-day
    windows on the close time (spec §4.3.2).

    Position history rows are kept when a position closes (a one-way flip closes one and
    opens another); windows apply to the close time (``updatedTime``). ``netProfit`` =
    cumRealisedPnl + totalFunding − openFeeTotal − closeFeeTotal. [unverified]
    """
    category = p.category(params, vocab.FUTURES_CATEGORIES)
    assert category is not None
    symbol = _symbol(core, params, category)
    start, end = history_window(params, core.clock.now_ms())
    limit = p.limit(params, default=defaults.LIST_LIMIT_DEFAULT, maximum=defaults.LIST_LIMIT_MAX)
    before = cursor(params)
    rows = core.positions.newest_closed(
        before, category=category, symbol=symbol, start=start, end=end
    )
    return page(
        rows,
        limit=limit,
        key=lambda pos: pos.position_id,
        record=position_history_record,
        null_when_empty="get_position_history" in defaults.NULL_WHEN_EMPTY,
    )


# -- copy trading, lead trader (spec §4.6) ------------------------------------------------------


@serves("get_copy_futures_trading_pairs")
def trading_pairs(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """``trading-pairs``: a bare array, one entry per lead symbol (spec §4.6)."""
    cap = defaults.LEAD_MAX_POSITIONS_PER_SIDE
    open_lead = core.lead.positions()
    out = []
    for inst in core.catalogue.in_category(defaults.LEAD_CATEGORY):
        config = core.account.symbol_configs[(inst.category, inst.symbol)]
        used = {
            side: sum(1 for pos in open_lead if (pos.symbol, pos.pos_side) == (inst.symbol, side))
            for side in ("long", "short")
        }
        out.append(
            {
                "symbol": inst.symbol,
                "leverage": str(config.leverage),
                "marginDetails": [
                    {
                        "marginCoin": inst.quote_coin,
                        "maxLongCount": str(cap),
                        "remainingLongCount": str(max(0, cap - used["long"])),
                        "maxShortCount": str(cap),
                        "remainingShortCount": str(max(0, cap - used["short"])),
                    }
                ],
            }
        )
    return out


@serves("get_copy_futures_position_summary")
def position_summary(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """``position-summary``: a bare array of the open lead positions (spec §4.6; ``holdSide``
    and ``cross``/``isolated``)."""
    now = core.clock.now_ms()
    out = []
    for pos in core.lead.positions():
        row = _position_row(core, pos, now)
        margin = pos.margin
        inst = _inst_of(core, pos.category, pos.symbol)
        value = pos.size * Decimal(row["markPrice"])
        unrealised = Decimal(row["unrealisedPnl"])
        out.append(
            {
                "symbol": pos.symbol,
                "holdSide": pos.pos_side,
                "holdSize": inst.qty_text(pos.size),
                "avgPrice": row["avgPrice"],
                "markPrice": row["markPrice"],
                "liqPrice": row["liquidationPrice"],
                "leverage": row["leverage"],
                "marginMode": defaults.COPY_MARGIN_MODES[pos.margin_mode],
                "margin": amount(margin),
                "positionValue": amount(value),
                "unrealizedPnl": amount(unrealised),
                "realizedPnl": amount(pos.realised),
                "roi": amount(money(unrealised / margin) if margin else _ZERO),
            }
        )
    return out


@serves("get_copy_futures_max_transferable")
def max_transferable(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``max-transferable``: ``{maxTransferable, available}`` of the lead account."""
    coin = core.lead.coin(p.required_text(params, "coin"))
    return {
        "maxTransferable": amount(core.lead.max_transferable(coin)),
        "available": amount(core.lead.balance(coin)),
    }


@serves("copy_futures_transfer")
def transfer(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``transfer``: move ``amount`` of ``coin`` ``in`` to or ``out`` of the lead account;
    ``{transferId}``."""
    kind = p.choice(params, "type", ("in", "out"))
    if kind is None:
        raise p.bad("type is required: in (into the lead account) or out")
    coin = core.lead.coin(p.required_text(params, "coin"))
    value = p.decimal(params, "amount", required=True)
    assert value is not None
    if -value.normalize().as_tuple().exponent > _TRANSFER_PLACES:  # type: ignore[operator]
        raise p.bad(f"amount may have at most {_TRANSFER_PLACES} decimals")
    made = core.lead.transfer(kind, coin, value)
    return {"transferId": made.transfer_id}


@serves("get_copy_futures_transfer_records")
def transfer_records(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``transfer-record``: newest first, ``{list, cursor}`` (spec §4.6,
    :data:`defaults.TRANSFER_LIMIT_DEFAULT`)."""
    start = p.timestamp_ms(params, "startTime")
    end = p.timestamp_ms(params, "endTime")
    if start is not None and end is not None and end < start:
        raise p.bad("endTime must not be before startTime")
    limit = p.limit(
        params, default=defaults.TRANSFER_LIMIT_DEFAULT, maximum=defaults.TRANSFER_LIMIT_MAX
    )
    before = cursor(params)
    found = core.lead.records(start=start, end=end, before=before, limit=limit)
    return listing(
        found,
        key=lambda t: t.transfer_id,
        record=transfer_record,
        last=defaults.TRANSFER_LAST_CURSOR,
    )


# Followers and profit share of the lead account (spec §10.3).
#
# GET current-follower   limit (default 20, max 100), cursor (the endId of the last page)
#   → {list: [{followerName, estimateAssets, totalProfit, totalShareProfit, totalInvestment,
#              canRemove yes/no, followDays, totalAssets, startTime}]}
# GET history-follower   as current-follower
#   → {list: [{followerName, totalProfit, totalShareProfit, totalInvestment, startTime,
#              endTime}]}
# GET profit-summary     no parameters
#   → {totalProfit, totalAllocatedProfit, totalPendingProfit}: the profit SHARE the lead
#     earns from followers; allocated = settled, pending = awaiting settlement
# GET profit-details     startTime, endTime, limit (default 20, max 100), cursor (= nextCursor)
#   → {list: [{followerName, profit, allocatedPnl, pendingPnl, shareRatio, shareProfit,
#              reason period/unfollow, settleTime}], nextCursor}
#
# Sources: NODE 3.2.3 getCopyFuturesCurrentFollowers / …HistoryFollowers / …ProfitSummary /
# …ProfitDetails with GetCopyFuturesFollowersRequestV3, GetCopyFuturesProfitDetailsRequestV3
# and CopyFutures*V3 (types/{request,response}/v3/copytrading.d.ts) [solid fields];
# typed-bitget 0.6.0 typed_bitget/uta/copytrading/{current_followers,history_followers,
# profit_summary,profit_details}.py, which cite DOCS
# bitget.com/docs/catalog/copy-trading-public-private#get-current-followers (…#get-history-
# followers, #get-profit-summary, #get-profit-details) and give the limits, the meanings and
# ``endId`` ("not shown in the documented response example … unconfirmed live"); GO
# UnipayFI/go-bitget uta/copy.go ("the elite (lead) account's cumulative profit-sharing
# totals"; allocated = "profit share already settled", pending = "awaiting settlement").
# The DOCS pages themselves were not among the stored copies searched (2026-12).
#
# The paper lead account: nobody else trades on the local exchange, so nobody can follow it.
# Both follower lists are therefore empty at every cursor (no ``endId``: there is no next
# page), there are no settlements (``nextCursor`` null, as live ends other pages, §10.2), and
# every profit-share figure is 0 — totalProfit = totalAllocatedProfit + totalPendingProfit =
# 0 + 0. The lead's own trading PnL is not profit share: it is in position-summary and
# history-position. Parameters are still checked, as live would check them.


def _copy_page_params(params: Mapping[str, Any]) -> None:
    p.limit(params, default=defaults.COPY_PAGE_LIMIT_DEFAULT, maximum=defaults.COPY_PAGE_LIMIT_MAX)
    cursor(params)


@serves("get_copy_futures_current_followers", "get_copy_futures_history_followers")
def followers(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``current-follower`` / ``history-follower``: ``{"list": [...]}`` — empty for the paper
    lead account, which nobody can follow (see the note above)."""
    _copy_page_params(params)
    return {"list": []}


@serves("get_copy_futures_profit_summary")
def profit_summary(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``profit-summary``: the lead's profit share from followers — without followers every
    figure is 0 (see the note above)."""
    zero = amount(_ZERO)
    return {"totalProfit": zero, "totalAllocatedProfit": zero, "totalPendingProfit": zero}


@serves("get_copy_futures_profit_details")
def profit_details(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``profit-details``: profit-share settlements, ``{"list": [...], "nextCursor": ...}`` —
    none for the paper lead account."""
    start = p.timestamp_ms(params, "startTime")
    end = p.timestamp_ms(params, "endTime")
    if start is not None and end is not None and end < start:
        raise p.bad("endTime must not be before startTime")
    _copy_page_params(params)
    return {"list": [], "nextCursor": None}


# -- market and account data for research (spec §10.3) ------------------------------------------
#
# Sources, per endpoint (DOCS pages read through their mirror copies, e.g.
# https://www.bitgetpro.site/api-doc/uta/public/Get-Current-Funding-Rate for
# https://www.bitget.com/api-doc/uta/public/Get-Current-Funding-Rate):
#   current-fund-rate  DOCS uta/public/Get-Current-Funding-Rate (20/s/IP; symbol; rows
#                      {symbol, fundingRate, fundingRateInterval, nextUpdate, minFundingRate,
#                      maxFundingRate}); NODE GetCurrentFundingRateRequestV3 (category and
#                      symbol both optional); JK ExchangeData/GetFundingRate.txt; ccxt.
#   history-fund-rate  NODE GetHistoryFundingRateRequestV3 {category, symbol, cursor, limit};
#                      JK ExchangeData/GetFundingRateHistory.txt and ccxt's captured answer
#                      {resultList: [{symbol, fundingRate, fundingRateTimestamp}]}; typed-bitget
#                      uta/market/funding_rate/history.py (cursor = 1-based page).
#   open-interest      DOCS uta/public/Get-Open-Interest (20/s/IP; category required, symbol
#                      optional; {list: [{symbol, openInterest}], ts}); JK GetOpenInterest.txt.
#   position-tier      DOCS uta/public/Get-Position-Tier-Data (20/s/IP; category MARGIN or
#                      futures, symbol / coin; [{tier, minTierValue, maxTierValue, leverage,
#                      mmr}]); JK GetPositionTiers.txt; ccxt's captured answer.
#   financial-records  DOCS uta/account/Get-Financial-Records (20/s/UID; category required,
#                      coin, type, startTime, endTime, limit ≤ 100, cursor; 90-day look-back,
#                      ≤ 30-day windows; {list: [{category, id, symbol, coin, type, amount,
#                      fee, balance, ts}], cursor}); NODE FinancialRecordV3 (+ positionType,
#                      positionAmount, positionBalance); JK Account/GetFinancialRecords.txt.


def _perpetuals(core: Core, category: str | None, symbol: str | None) -> list[Instrument]:
    """The perpetuals of ``category`` (every futures line when ``None``), or the one named
    ``symbol`` (25100 when no futures line lists it)."""
    lines = (category,) if category is not None else vocab.FUTURES_CATEGORIES
    chosen = [
        inst
        for line in lines
        for inst in core.catalogue.in_category(line)
        if inst.wire.get("type", "perpetual") == "perpetual"
        and (symbol is None or inst.symbol == symbol.upper())
    ]
    if symbol is not None and not chosen:
        where = category or "the futures categories"
        raise ExchangeError("25100", detail=f"{symbol} in {where}")
    return chosen


def _next_funding(inst: Instrument, now: int) -> int:
    """The first funding time after ``now`` (funding is at multiples of the interval since
    00:00 UTC, :meth:`.futures.FuturesDesk.funding_times`)."""
    interval = inst.fund_interval_ms
    return (now // interval + 1) * interval


@serves("get_current_funding_rate")
def current_funding_rate(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """``current-fund-rate``: the rate the next funding time will settle, per perpetual —
    the synthetic market's rate, which :meth:`.futures.FuturesDesk.settle_funding` pays.
    ``symbol`` (DOCS: required; NODE: optional) and ``category`` (NODE only) narrow it; with
    neither, every perpetual. Bounds: :data:`defaults.FUNDING_RATE_MIN` / ``_MAX``."""
    category = p.category(params, vocab.FUTURES_CATEGORIES, required=False)
    now = core.clock.now_ms()
    return [
        {
            "symbol": inst.symbol,
            "fundingRate": format(core.market.funding_rate(inst, now), "f"),
            "fundingRateInterval": str(inst.fund_interval_ms // 3_600_000),
            "nextUpdate": str(_next_funding(inst, now)),
            "minFundingRate": defaults.FUNDING_RATE_MIN,
            "maxFundingRate": defaults.FUNDING_RATE_MAX,
        }
        for inst in _perpetuals(core, category, _stripped(params, "symbol"))
    ]


@serves("get_history_funding_rate")
def history_funding_rate(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``history-fund-rate``: the funding times already settled — every multiple of the
    instrument's ``fundInterval`` since 00:00 UTC, from the market's first one up to now —
    with the rate the market had for each (what a position open then was paid or charged),
    newest first, in pages numbered by ``cursor`` from 1 (:data:`defaults.FUNDING_HISTORY_KEY`
    says why ``{resultList}`` and page numbers)."""
    category = p.category(params, vocab.FUTURES_CATEGORIES)
    symbol = p.required_text(params, "symbol").strip()
    inst = _perpetuals(core, category, symbol)[0]
    limit = p.limit(
        params,
        default=defaults.FUNDING_HISTORY_LIMIT_DEFAULT,
        maximum=defaults.FUNDING_HISTORY_LIMIT_MAX,
    )
    number = p.integer(params, "cursor", default=1, minimum=1, maximum=10**9)
    assert number is not None
    interval = inst.fund_interval_ms
    newest = core.clock.now_ms() // interval * interval
    oldest = -(-core.market.epoch_ms // interval) * interval
    first = newest - (number - 1) * limit * interval
    rows = []
    for k in range(limit):
        at = first - k * interval
        if at < oldest:
            break
        rows.append(
            {
                "symbol": inst.symbol,
                "fundingRate": format(core.market.funding_rate(inst, at), "f"),
                "fundingRateTimestamp": str(at),
            }
        )
    return {defaults.FUNDING_HISTORY_KEY: rows}


def _open_interest(
    core: Core, inst: Instrument, now: int, stats: TickerStats | None = None
) -> Decimal:
    """The market's open interest plus the account's own open positions on ``inst``
    (:data:`defaults.OPEN_INTEREST_COUNTS_OWN_POSITIONS`), in base coin — the same figure in
    open-interest and in the tickers."""
    stats = stats if stats is not None else core.market.ticker_stats(inst, now)
    synthetic = Decimal(stats.open_interest) * inst.step
    if not defaults.OPEN_INTEREST_COUNTS_OWN_POSITIONS:
        return synthetic
    own = sum(
        (pos.size for pos in core.positions.open_positions(inst.category, inst.symbol)), _ZERO
    )
    return synthetic + own


@serves("get_open_interest")
def open_interest(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``open-interest``: ``{list: [{symbol, openInterest}], ts}`` for the futures of
    ``category`` (or the one ``symbol``), in base coin — see :func:`_open_interest`."""
    category = p.category(params, vocab.FUTURES_CATEGORIES)
    assert category is not None
    symbol = _symbol(core, params, category)
    now = core.clock.now_ms()
    chosen = [i for i in core.catalogue.in_category(category) if symbol in (None, i.symbol)]
    return {
        "list": [
            {"symbol": inst.symbol, "openInterest": inst.qty_text(_open_interest(core, inst, now))}
            for inst in chosen
        ],
        "ts": str(now),
    }


@serves("get_position_tier")
def position_tier(core: Core, params: Mapping[str, Any], caller: Caller | None) -> list:
    """``position-tier``: the one tier the exchange's margin model has
    (:data:`defaults.POSITION_TIER_ONLY`): up to ``maxPositionNum`` at the mark price, at
    ``maxLeverage``, with the maintenance rate positions use. MARGIN: [] (not served)."""
    category = p.category(params, ("MARGIN", *vocab.FUTURES_CATEGORIES))
    if category == "MARGIN":
        return []
    assert category is not None
    symbol = p.optional_text(params, "symbol")
    if symbol is None:
        raise p.bad(f"symbol is required for {category} (the tiers are per symbol)")
    inst = _instrument(core, category, symbol.strip())
    mark = core.market.price(inst, core.clock.now_ms(), "mark")
    cap = Decimal(inst.wire.get("maxPositionNum") or 0) * mark
    return [
        {
            "tier": defaults.POSITION_TIER_ONLY,
            "minTierValue": "0",
            "maxTierValue": format(cap.to_integral_value(), "f"),
            "leverage": str(inst.max_leverage or defaults.FUTURES_LEVERAGE),
            "mmr": format(maintenance_rate(inst).normalize(), "f"),
        }
    ]


def _ledger_record(entry: LedgerEntry) -> dict[str, Any]:
    record: dict[str, Any] = {
        "category": entry.category,
        "id": entry.entry_id,
        "symbol": entry.symbol,
        "coin": entry.coin,
        "type": entry.type,
        "amount": amount(entry.amount),
        "fee": amount(entry.fee),
        "balance": amount(entry.balance),
        "ts": str(entry.created_ms),
    }
    if entry.position_type:
        record["positionType"] = entry.position_type
        record["positionAmount"] = amount(entry.position_amount or _ZERO)
        record["positionBalance"] = amount(entry.position_balance or _ZERO)
    return record


@serves("get_financial_records")
def financial_records(core: Core, params: Mapping[str, Any], caller: Caller | None) -> dict:
    """``financial-records``: the account ledger (:mod:`.ledger`) newest first — one row per
    change of a coin's balance, ``amount + fee`` being the change and ``balance`` the coin's
    balance after it — in 90-day look-back, ≤ 30-day windows (:func:`.records.history_window`),
    ``cursor`` = the id of the last row (:data:`defaults.LEDGER_LAST_CURSOR` at the end).
    Filters: ``category`` (required; ``OTHER`` has no rows here), ``coin``, ``type`` and —
    as ccxt sends it — ``symbol``."""
    category = p.category(params, (*vocab.CATEGORIES, defaults.LEDGER_OTHER_CATEGORY))
    start, end = history_window(params, core.clock.now_ms())
    limit = p.limit(
        params, default=defaults.LEDGER_LIMIT_DEFAULT, maximum=defaults.LEDGER_LIMIT_MAX
    )
    coin = _stripped(params, "coin")
    kind = _stripped(params, "type")
    symbol = _stripped(params, "symbol")
    found = core.ledger.page(
        limit,
        before=cursor(params),
        start=start,
        end=end,
        category=category,
        coin=coin.upper() if coin else None,
        type=kind.upper() if kind else None,
        symbol=symbol.upper() if symbol else None,
    )
    empty = not found.rows and "get_financial_records" in defaults.NULL_WHEN_EMPTY
    return {
        "list": rows_of([_ledger_record(e) for e in found.rows], null_when_empty=empty),
        "cursor": (
            found.rows[-1].entry_id
            if found.more and found.rows
            else defaults.LAST_PAGE_CURSOR
            if empty
            else defaults.LEDGER_LAST_CURSOR
        ),
    }
