"""The venue: the domain facade the HTTP front calls, one operation per endpoint.

It owns the clock, the instrument catalogue, the market process and the accounts, and turns
their typed results into wire records (every number a string, spec §4.0). It never imports
HTTP: an operation takes a plain mapping of parameters (a GET query or a decoded JSON body)
and the authenticated caller, and returns the ``data`` of the envelope or raises
:class:`~bitget_nb.exchange.params.ExchangeError`.

>>> from bitget_nb.exchange.clock import ManualClock
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> venue.call("get_server_time", {})
{'serverTime': '1748736000000'}
>>> venue.call("get_tickers", {"category": "spot", "symbol": "BTCUSDT"})[0]["category"]
'SPOT'

Private operations take the :class:`Caller` of a key; :attr:`Venue.trader` is the read-write
one, so benches can seed thousands of orders without HTTP:

>>> venue.call("get_unfilled_orders", {}, venue.trader)
{'list': [], 'cursor': ''}

The domain state is plain objects a test may read directly: ``venue.account`` (balances,
settings), ``venue.trading.store`` (orders, fills), ``venue.trading.positions`` (open and
closed futures positions), ``venue.trading.strategies`` (TP/SL orders),
``venue.trading.countdown`` (the dead man's switch) and ``venue.lead`` (the copy-trading
lead account).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..endpoints import ENDPOINTS
from . import defaults
from . import params as p
from .accounts import Account, ApiKey
from .clock import Clock
from .copytrading import LeadDesk
from .instruments import STABLE_COINS, Catalogue, Instrument
from .market import INTERVALS, TURNOVER_DECIMALS, MarketProcess
from .params import ExchangeError
from .records import amount
from .trading import Trading

if TYPE_CHECKING:
    from .persistence import Journal

__all__ = ["Caller", "Venue", "VenueState", "amount"]

_PCT_PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Caller:
    """The account and key a private request was signed with."""

    account: Account
    key: ApiKey


Operation = Callable[[Any, Caller | None], Any]


@dataclass(slots=True)
class VenueState:
    """Everything of a venue that changes: the account (balances, settings, keys), the
    trading desk (orders, fills, books, positions, strategy orders, countdown, id sequences)
    and the copy-trading lead desk. The rest — clock, catalogue, market — is given."""

    account: Account
    trading: Trading
    lead: LeadDesk


class Venue:
    """The paper exchange's state and behaviour behind the wire protocol.

    Thread-safe: :meth:`call` runs every operation under one lock.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int = 7,
        catalogue: Catalogue | None = None,
        keys: list[ApiKey] | None = None,
        balances: Mapping[str, str | Decimal | int] | None = None,
        uid: str | None = None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.catalogue = catalogue or Catalogue.bundled()
        self.market = MarketProcess(seed=seed, catalogue=self.catalogue)
        if clock.now_ms() < self.market.epoch_ms:
            raise ValueError(
                f"the clock ({clock.now_ms()} ms) is before the simulated market's start "
                f"({self.catalogue.market.epoch})"
            )
        keys = keys if keys is not None else [ApiKey.generate(), ApiKey.generate(read_only=True)]
        #: The wallet a new account starts with, and a reset one starts over with (``None``:
        #: :data:`~.accounts.DEFAULT_BALANCES`).
        self.initial_balances = dict(balances) if balances is not None else None
        self.lock = threading.RLock()
        #: The command log of a persistent exchange (:class:`~.persistence.Journal`): when
        #: set, every call and ``advance`` goes through it; ``None`` in memory.
        self.journal: Journal | None = None
        self.install(self.new_state(keys=keys, uid=uid))

    # -- state --------------------------------------------------------------------------------

    def new_state(self, *, keys: list[ApiKey], uid: str | None = None) -> VenueState:
        """A funded account with no orders, registered now, with ``keys`` (and ``uid``)."""
        account = Account.open(
            catalogue=self.catalogue,
            registered_ms=self.clock.now_ms(),
            keys=keys,
            balances=self.initial_balances,
            uid=uid,
        )
        trading = Trading(
            catalogue=self.catalogue,
            market=self.market,
            account=account,
            clock=self.clock,
            seed=self.seed,
        )
        lead = LeadDesk(account=account, trading=trading, clock=self.clock, seed=self.seed)
        return VenueState(account=account, trading=trading, lead=lead)

    @property
    def state(self) -> VenueState:
        """Everything that changes, in one object (what a snapshot saves)."""
        return VenueState(account=self.account, trading=self.trading, lead=self.lead)

    def install(self, state: VenueState) -> None:
        """Make ``state`` the venue's account and desks (a new, reset or restored one)."""
        #: Balances, settings and keys (spec §4.4).
        self.account = state.account
        #: Orders, fills, matching engines and settlements (spec §4.1).
        self.trading = trading = state.trading
        #: The copy-trading lead account and its endpoints (spec §4.6).
        self.lead = lead = state.lead
        self._keys = {k.api_key: Caller(self.account, k) for k in self.account.keys}
        futures, strategies = trading.futures, trading.strategies
        # Endpoint name (bitget_nb.endpoints) → operation. An endpoint of the table that is
        # missing here is "not implemented yet" (the HTTP front answers 404 for it).
        self._operations: dict[str, Operation] = {
            "get_server_time": self.server_time,
            "get_server_time_v3": self.server_time,
            "get_instruments": self.instruments,
            "get_tickers": self.tickers,
            "get_orderbook": self.orderbook,
            "get_candles": self.candles,
            "get_history_candles": self.candles,
            "get_fills": self.public_fills,
            "get_balances": self.assets,
            "get_account_settings": self.settings,
            "get_account_info": self.info,
            "get_fee_rate": self.fee_rate,
            "set_leverage": self.set_leverage,
            "set_hold_mode": self.set_hold_mode,
            # trading (spec §4.1)
            "submit_new_order": self._private(trading.place_order_op),
            "place_batch_orders": self._private(trading.place_batch_op, batch=True),
            "modify_order": self._private(trading.modify_order_op),
            "batch_modify_orders": self._private(trading.batch_modify_op, batch=True),
            "cancel_order": self._private(trading.cancel_order_op),
            "cancel_batch_orders": self._private(trading.cancel_batch_op, batch=True),
            "cancel_all_orders": self._private(trading.cancel_all_op),
            "get_order_info": self._private(trading.order_info_op),
            "get_unfilled_orders": self._private(trading.unfilled_op),
            "get_history_orders": self._private(trading.history_op),
            "get_trade_fills": self._private(trading.fills_op),
            "close_all_positions": self._private(futures.close_positions_op),
            "countdown_cancel_all": self._private(trading.countdown_op),
            # strategy (TP/SL) orders (spec §4.2)
            "submit_strategy_order": self._private(strategies.place_op),
            "modify_strategy_order": self._private(strategies.modify_op),
            "cancel_strategy_order": self._private(strategies.cancel_op),
            "get_unfilled_strategy_orders": self._private(strategies.unfilled_op),
            "get_history_strategy_orders": self._private(strategies.history_op),
            # positions (spec §4.3)
            "get_current_position": self._private(futures.current_position_op),
            "get_position_history": self._private(futures.position_history_op),
            # copy trading, lead trader (spec §4.6)
            "get_copy_futures_trading_pairs": self._private(lead.trading_pairs_op),
            "get_copy_futures_position_summary": self._private(lead.position_summary_op),
            "get_copy_futures_max_transferable": self._private(lead.max_transferable_op),
            "copy_futures_transfer": self._private(lead.transfer_op),
            "get_copy_futures_transfer_records": self._private(lead.transfer_records_op),
        }
        unknown = set(self._operations) - set(ENDPOINTS)
        if unknown:
            raise RuntimeError(f"operations for endpoints not in the table: {sorted(unknown)}")

    def reset(self) -> None:
        """Start the account over: the initial balances, no orders, fills, positions, strategy
        orders or transfers, default settings; the same uid and keys; registered now (time
        never moves back). A persistent exchange wipes its file the same way."""
        with self.lock:
            if self.journal is not None:
                self.journal.reset()
                return
            self.install(self.new_state(keys=list(self.account.keys), uid=self.account.uid))

    # -- plumbing -----------------------------------------------------------------------------

    def implements(self, endpoint: str) -> bool:
        """Whether this version of the exchange serves the endpoint named ``endpoint``."""
        return endpoint in self._operations

    def call(self, endpoint: str, params: Any, caller: Caller | None = None) -> Any:
        """Run the operation of ``endpoint`` and return the envelope's ``data``.

        ``params`` is a mapping of wire fields (a list for batch endpoints). Resting orders
        first catch up with the market up to now (:meth:`Trading.catch_up`). A persistent
        venue logs the call and commits before returning (:meth:`.persistence.Journal.call`).
        """
        if endpoint not in self._operations:
            raise ExchangeError(defaults.NOT_FOUND_CODE, defaults.NOT_IMPLEMENTED_MSG, 404)
        with self.lock:
            # Looked up under the lock: a reset installs new desks and operations.
            operation = self._operations[endpoint]
            if self.journal is not None:
                return self.journal.call(endpoint, operation, params, caller)
            self.trading.catch_up(self.clock.now_ms())
            return operation(params, caller)

    def operation(self, endpoint: str) -> Operation:
        """The operation behind ``endpoint`` (for a replay, which runs it at a logged time)."""
        return self._operations[endpoint]

    def find_key(self, api_key: str) -> Caller | None:
        """The account and key behind ``api_key``, if the exchange issued it."""
        return self._keys.get(api_key)

    @property
    def trader(self) -> Caller:
        """The caller of the account's first read-write key (for direct :meth:`call`)."""
        for caller in self._keys.values():
            if not caller.key.read_only:
                return caller
        raise RuntimeError("the account has no read-write key")

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def advance(self, ms: int) -> int:
        """Move the clock forward by ``ms``, fill what the market reached, return the time."""
        with self.lock:
            if self.journal is not None:
                return self.journal.advance(ms)
            now = self.clock.advance(ms)
            self.trading.catch_up(now)
            return now

    def _instrument(self, category: str, symbol: str) -> Instrument:
        inst = self.catalogue.get(category, symbol)
        if inst is None:
            raise ExchangeError("25100", detail=f"{symbol} in {category}")
        return inst

    def _market_instrument(self, params: Mapping[str, Any]) -> Instrument:
        category = p.category(params, defaults.MARKET_DATA_CATEGORIES)
        assert category is not None
        return self._instrument(category, p.required_text(params, "symbol").strip())

    @staticmethod
    def _caller(caller: Caller | None) -> Caller:
        if caller is None:
            raise RuntimeError("a private operation was called without an authenticated caller")
        return caller

    def _private(self, operation: Callable[[Any], Any], *, batch: bool = False) -> Operation:
        """An operation that needs an authenticated caller but acts on the venue's account.
        Batch operations take a list (checked by the operation), the others a mapping."""

        def run(params: Any, caller: Caller | None = None) -> Any:
            self._caller(caller)
            if not batch and not isinstance(params, Mapping):
                raise ExchangeError(defaults.BAD_BODY_CODE, detail="expected a JSON object")
            return operation(params)

        run.__doc__ = operation.__doc__
        return run

    # -- public market data (spec §4.5) -------------------------------------------------------

    def server_time(self, params: Mapping[str, Any], caller: Caller | None = None) -> dict:
        """``{"serverTime": "<ms>"}`` (spec §4.5.1)."""
        return {"serverTime": str(self.clock.now_ms())}

    def instruments(self, params: Mapping[str, Any], caller: Caller | None = None) -> list:
        """Instruments of a category, optionally one symbol (spec §4.5.2)."""
        category = p.category(params)
        assert category is not None
        symbol = p.optional_text(params, "symbol")
        if symbol is not None:
            return [dict(self._instrument(category, symbol.strip()).wire)]
        return [dict(i.wire) for i in self.catalogue.in_category(category)]

    def tickers(self, params: Mapping[str, Any], caller: Caller | None = None) -> list:
        """24 h tickers (spec §4.5.3)."""
        category = p.category(params, defaults.MARKET_DATA_CATEGORIES)
        assert category is not None
        symbol = p.optional_text(params, "symbol")
        if symbol is not None:
            chosen = [self._instrument(category, symbol.strip())]
        else:
            chosen = self.catalogue.in_category(category)
        now = self.clock.now_ms()
        return [self._ticker(inst, now) for inst in chosen]

    def _ticker(self, inst: Instrument, now: int) -> dict[str, str]:
        stats = self.market.ticker_stats(inst, now)
        book = self.market.book(inst, now, 1)
        change = (Decimal(stats.last - stats.open_24h) / Decimal(stats.open_24h)).quantize(
            _PCT_PLACES
        )
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
            "turnover24h": _turnover(stats.turnover_24h),
            "ts": str(now),
        }
        if inst.is_futures:
            row["indexPrice"] = inst.format_price(stats.index)
            row["markPrice"] = inst.format_price(stats.mark)
            row["fundingRate"] = format(stats.funding_rate, "f")
            row["openInterest"] = inst.format_qty(stats.open_interest)
        return row

    def orderbook(self, params: Mapping[str, Any], caller: Caller | None = None) -> dict:
        """Book depth (spec §4.5.4): asks ascending, bids descending, as strings."""
        inst = self._market_instrument(params)
        depth = p.limit(
            params,
            default=defaults.ORDERBOOK_LIMIT_DEFAULT,
            maximum=defaults.ORDERBOOK_LIMIT_MAX,
            keyword_max=defaults.ORDERBOOK_LIMIT_KEYWORD_MAX,
        )
        now = self.clock.now_ms()
        book = self.market.book(inst, now, depth)
        return {
            "a": [[inst.format_price(px), inst.format_qty(sz)] for px, sz in book.asks],
            "b": [[inst.format_price(px), inst.format_qty(sz)] for px, sz in book.bids],
            "ts": str(book.ts),
        }

    def candles(self, params: Mapping[str, Any], caller: Caller | None = None) -> list:
        """Candles ``[ts, open, high, low, close, volume, turnover]`` (spec §4.5.5)."""
        inst = self._market_instrument(params)
        interval = p.required_text(params, "interval").strip()
        if interval not in INTERVALS:
            raise p.bad(f"interval must be one of {', '.join(INTERVALS)}")
        price_type = p.choice(
            params, "type", ("market", "mark", "index"), default="market", fold_case=True
        )
        start = p.timestamp_ms(params, "startTime")
        end = p.timestamp_ms(params, "endTime")
        if start is not None and end is not None and end < start:
            raise p.bad("endTime must not be before startTime")
        limit = p.limit(
            params, default=defaults.CANDLES_LIMIT_DEFAULT, maximum=defaults.CANDLES_LIMIT_MAX
        )
        rows = self.market.candles(
            inst,
            interval,
            now_ms=self.clock.now_ms(),
            start_ms=start,
            end_ms=end,
            limit=limit,
            price_type=price_type,  # type: ignore[arg-type]
        )
        out = [
            [
                str(c.ts),
                inst.format_price(c.open),
                inst.format_price(c.high),
                inst.format_price(c.low),
                inst.format_price(c.close),
                inst.format_qty(c.volume),
                _turnover(c.turnover),
            ]
            for c in rows
        ]
        return out if defaults.CANDLES_ASCENDING else out[::-1]

    def public_fills(self, params: Mapping[str, Any], caller: Caller | None = None) -> list:
        """Recent public trades, newest first (spec §4.5.6)."""
        inst = self._market_instrument(params)
        limit = p.limit(
            params, default=defaults.FILLS_LIMIT_DEFAULT, maximum=defaults.FILLS_LIMIT_MAX
        )
        trades = self.market.trades(inst, self.clock.now_ms(), limit)
        return [
            {
                "execId": t.exec_id,
                "price": inst.format_price(t.price),
                "size": inst.format_qty(t.size),
                "side": t.side,
                "ts": str(t.ts),
            }
            for t in trades
        ]

    # -- account (spec §4.4) ------------------------------------------------------------------

    def coin_usd_price(self, coin: str, now: int) -> Decimal:
        """The USD value of one ``coin``: 1 for stable coins, else the spot index price."""
        if coin in STABLE_COINS:
            return Decimal(1)
        inst = self.catalogue.spot_usd_symbol(coin)
        if inst is None:
            raise ExchangeError("25201", detail=f"no spot market prices {coin}")
        return self.market.price(inst, now, "index")

    def assets(self, params: Mapping[str, Any], caller: Caller | None = None) -> dict:
        """Account equity and per-coin balances, valued at current prices, following the
        futures positions (spec §4.4.1): a coin's equity adds the unrealised PnL of the positions
        margined in it; its ``available`` loses the unrealised losses of its crossed positions.

        account/assets: ``imr`` = the initial margin of all positions, ``mmr`` = their
        maintenance margin, both in USD; ``mgnRatio`` = mmr / accountEquity;
        ``positionMgnRatio`` = imr / accountEquity (0 without positions). A coin's
        ``equity`` = balance + the unrealised PnL of the positions margined in it.
        [unverified] spec §4.4.1 gives names only.
        """
        account = self._caller(caller).account
        now = self.clock.now_ms()
        totals = self.trading.futures.totals(now)
        zero = Decimal(0)
        coins = []
        total = unrealised = imr = mmr = zero
        for coin, bal in account.balances.items():
            futures = totals.get(coin, {})
            if bal.total == 0 and bal.debt == 0 and not futures:
                continue
            price = self.coin_usd_price(coin, now)
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
            coins.append(
                {
                    "coin": coin,
                    "equity": amount(equity),
                    "usdValue": amount(usd),
                    "balance": amount(bal.total),
                    "available": amount(max(zero, available)),
                    "debt": amount(bal.debt),
                    "locked": amount(bal.locked),
                }
            )
        btc = self.coin_usd_price("BTC", now)
        usdt = self.coin_usd_price("USDT", now)
        return {
            "accountEquity": amount(total),
            "usdtEquity": amount(total / usdt),
            "btcEquity": amount(total / btc),
            "unrealisedPnl": amount(unrealised),
            "usdtUnrealisedPnl": amount(unrealised / usdt),
            # Spelled with a z on the wire (spec §4.4.1).
            "btcUnrealizedPnl": amount(unrealised / btc),
            "effEquity": amount(total * defaults.COLLATERAL_RATIO),
            "mmr": amount(mmr),
            "imr": amount(imr),
            "mgnRatio": amount(mmr / total) if total > 0 else "0",
            "positionMgnRatio": amount(imr / total) if total > 0 else "0",
            "assets": coins,
        }

    def settings(self, params: Mapping[str, Any], caller: Caller | None = None) -> dict:
        """Account mode, hold mode and per-symbol / per-coin leverage (spec §4.4.2)."""
        account = self._caller(caller).account
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

    def info(self, params: Mapping[str, Any], caller: Caller | None = None) -> dict:
        """Account id and the calling key's permissions (spec §4.4.3).

        Both ``userId`` and ``uid`` are emitted (spec §7 #4).
        """
        who = self._caller(caller)
        empty = defaults.EMPTY_INFO_FIELD
        return {
            "userId": who.account.uid,
            "uid": who.account.uid,
            "inviterId": empty,
            "parentId": empty,
            "channelCode": empty,
            "channel": empty,
            "ips": empty,
            "permType": who.key.perm_type,
            "permissions": list(who.key.permissions),
            "regisTime": str(who.account.registered_ms),
        }

    def fee_rate(self, params: Mapping[str, Any], caller: Caller | None = None) -> dict:
        """Maker / taker fee rates of a symbol (spec §4.4.6). MARGIN trades on the spot book."""
        self._caller(caller)
        category = p.category(params)
        assert category is not None
        symbol = p.required_text(params, "symbol").strip()
        book_category = "SPOT" if category == "MARGIN" else category
        inst = self._instrument(book_category, symbol)
        return {
            "makerFeeRate": format(inst.maker_fee, "f"),
            "takerFeeRate": format(inst.taker_fee, "f"),
        }

    def set_leverage(self, params: Mapping[str, Any], caller: Caller | None = None) -> str:
        """Set futures leverage per symbol, or margin borrowing leverage per coin (spec §4.4.4)."""
        account = self._caller(caller).account
        category = p.category(params, ("MARGIN", *p.FUTURES_CATEGORIES))
        if category == "MARGIN":
            coin = p.required_text(params, "coin").strip().upper()
            if coin not in account.coin_leverage:
                raise ExchangeError("25201", detail=coin)
            leverage = p.integer(
                params,
                "leverage",
                minimum=defaults.MARGIN_MIN_LEVERAGE,
                maximum=defaults.MARGIN_MAX_LEVERAGE,
            )
            if leverage is None:
                raise p.bad("leverage is required")
            account.coin_leverage[coin] = leverage
            return "success"
        assert category is not None
        inst = self._instrument(category, p.required_text(params, "symbol").strip())
        low, high = inst.min_leverage or 1, inst.max_leverage or 1
        # Out of the instrument's bounds → the code of defaults.LEVERAGE_OUT_OF_BOUNDS_CODE,
        # naming them.
        bounds = {"minimum": low, "maximum": high, "code": defaults.LEVERAGE_OUT_OF_BOUNDS_CODE}
        leverage = p.integer(params, "leverage", **bounds)
        long_lev = p.integer(params, "longLeverage", **bounds)
        short_lev = p.integer(params, "shortLeverage", **bounds)
        margin_mode = p.choice(params, "marginMode", ("crossed", "isolated"))
        pos_side = p.choice(params, "posSide", ("long", "short"))
        if leverage is None and long_lev is None and short_lev is None:
            raise p.bad("leverage is required")
        self.trading.futures.set_leverage(
            inst,
            leverage=leverage,
            long_leverage=long_lev,
            short_leverage=short_lev,
            pos_side=pos_side,
            margin_mode=margin_mode,
        )
        return "success"

    def set_hold_mode(self, params: Mapping[str, Any], caller: Caller | None = None) -> str:
        """Switch between one-way and hedge mode, account-wide (spec §4.4.5): refused with
        25010 while any futures position or open futures order exists (spec §9 #11)."""
        account = self._caller(caller).account
        mode = p.choice(params, "holdMode", ("one_way_mode", "hedge_mode"))
        if mode is None:
            raise p.bad("holdMode is required")
        if mode != account.hold_mode and self.trading.futures.has_exposure():
            raise ExchangeError(
                "25010",
                detail="close every futures position and cancel every open futures order first",
            )
        account.hold_mode = mode
        return "success"


def _turnover(units: int) -> str:
    return format(Decimal(units).scaleb(-TURNOVER_DECIMALS), "f")
