"""The trading desk: order validation, matching, settlement and the trade endpoints (spec §4.1).

:class:`Trading` owns the account's orders and fills (:class:`~.orders.OrderStore`), one
:class:`~.matching.MatchingEngine` per instrument and one settlement per category
(:func:`~.settlement.settlement_for`), the futures desk (:class:`~.futures.FuturesDesk`:
positions, hold-mode rules, funding), the strategy orders (:class:`~.strategies.StrategyDesk`)
and the countdown switch (:class:`Countdown`). Its ``*_op`` methods are the venue's
operations: a plain mapping of wire parameters in (a list for batch bodies), the envelope's
``data`` out, :class:`~.params.ExchangeError` for a refusal — raised before any state changes.

Time: :meth:`Trading.catch_up` replays what happened since the last call, in time order:
funding times crossed, the countdown's deadline, resting limit orders the market traded
through, and TP/SL legs whose trigger price was reached (the venue calls it before every
request and on ``advance``).

>>> from bitget_nb.exchange.clock import ManualClock
>>> from bitget_nb.exchange.venue import Venue
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> ack = venue.call("submit_new_order", {"category": "SPOT", "symbol": "BTCUSDT",
...     "side": "buy", "orderType": "limit", "qty": "0.01", "price": "50000",
...     "clientOid": "doc-1"}, venue.trader)
>>> ack["clientOid"]
'doc-1'
>>> info = venue.call("get_order_info", {"clientOid": "doc-1"}, venue.trader)
>>> info["orderStatus"], info["price"], info["reduceOnly"]
('live', '50000.00', 'NO')
>>> venue.account.balances["USDT"].locked
Decimal('500.00')
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

from .. import vocab
from . import defaults
from . import params as p
from .accounts import Account
from .clock import Clock
from .futures import FuturesDesk
from .instruments import Catalogue, Instrument
from .market import MarketProcess
from .matching import MatchingEngine, Plan
from .orders import Fill, IdSequence, Order, OrderStore
from .params import ExchangeError
from .positions import Position, PositionBook
from .records import cursor, fill_record, history_window, order_record, page
from .settlement import FuturesSettlement, Settlement, settlement_for
from .strategies import StrategyDesk, StrategyOrder, TriggerLeg, check_levels, parse_legs

__all__ = ["BATCH_MAX", "FUTURES_OPEN_CAP", "SPOT_MARGIN_OPEN_CAP", "Countdown", "Trading"]

#: spec §4.1.2 / §4.1.4 / §4.1.6: at most 20 items per batch.
BATCH_MAX = 20
#: spec §4.1.1 rule 1 / §5.7: 400 open orders across spot and margin together.
SPOT_MARGIN_OPEN_CAP = 400
#: spec §4.1.1 rule 1: 400 open orders across the three futures lines together.
FUTURES_OPEN_CAP = 400
_SPOT_LINES = ("SPOT", "MARGIN")
#: Order of events that share a moment during catch-up: funding settles on the positions
#: held just before it, the countdown cancels before anything else can fill, resting fills
#: before triggers (a trigger may depend on what a fill opened).
_FUNDING, _COUNTDOWN, _RESTING, _TRIGGER = range(4)
_ZERO = Decimal(0)
_TOUCH = Decimal(defaults.TOUCH_FILL_FRACTION)
_TPSL_PRICES = ("takeProfit", "stopLoss", "tpLimitPrice", "slLimitPrice")
_TPSL_WORDS = (
    ("tpTriggerBy", vocab.TRIGGER_BY),
    ("slTriggerBy", vocab.TRIGGER_BY),
    ("tpOrderType", vocab.ORDER_TYPES),
    ("slOrderType", vocab.ORDER_TYPES),
)


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _neighbours(value: Decimal, unit: Decimal) -> tuple[Decimal, Decimal]:
    below = (value / unit).to_integral_value(ROUND_FLOOR) * unit
    return below, below + unit


def _ack(order: Order) -> dict[str, str]:
    return {"orderId": order.order_id, "clientOid": order.client_oid}


def _item_ok(order: Order) -> dict[str, str]:
    return {**_ack(order), "code": defaults.BATCH_OK_CODE, "msg": defaults.BATCH_OK_MSG}


@dataclass(slots=True)
class Countdown:
    """The dead man's switch (spec §4.1.9, §5.6): armed while ``deadline_ms`` is set."""

    seconds: int = 0
    deadline_ms: int | None = None

    @property
    def armed(self) -> bool:
        return self.deadline_ms is not None


def _item_error(item: Any, exc: ExchangeError) -> dict[str, str]:
    """A failed batch item: the ids it named (if any) and the error (spec §2.3)."""
    ids = {"orderId": "", "clientOid": ""}
    if isinstance(item, Mapping):
        for name in ids:
            value = item.get(name)
            if isinstance(value, str | int) and not isinstance(value, bool):
                ids[name] = str(value)
    return {**ids, "code": exc.code, "msg": exc.msg}


class Trading:
    """Orders, fills, matching and settlement of one account."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        market: MarketProcess,
        account: Account,
        clock: Clock,
        seed: int,
    ) -> None:
        self.catalogue = catalogue
        self.market = market
        self.account = account
        self.clock = clock
        self.store = OrderStore()
        self._order_ids = IdSequence(seed=seed, stream="order")
        self._exec_ids = IdSequence(seed=seed, stream="exec")
        self._trade_ids = IdSequence(seed=seed, stream="trade")
        self._engines: dict[str, MatchingEngine] = {}
        self._settlements: dict[str, Settlement] = {}
        self._seq = 0
        self._processed_second = self._second(clock.now_ms())
        #: Fees paid since the start, per coin (positive = paid): with the balances (and for
        #: futures the realised PnL and funding of :attr:`futures`) this makes every coin add
        #: up (balances + fees = what the account started with + what it traded).
        self.fees_paid: dict[str, Decimal] = {}
        #: Positions, hold-mode rules and funding (spec §4.3, §5.3).
        self.futures = FuturesDesk(self, seed=seed)
        #: TP/SL strategy orders (spec §4.2).
        self.strategies = StrategyDesk(self, seed=seed)
        #: The dead man's switch (spec §4.1.9).
        self.countdown = Countdown()
        #: Whether a position opening now is a lead-trader position (set by the copy-trading
        #: desk, spec §4.6).
        self.lead_check: Callable[[Position], bool] = lambda position: False
        # Catch-up's event queue while it runs (None otherwise), and how far it runs.
        self._events: list[tuple[int, int, int, int, Callable[[int], None]]] | None = None
        self._horizon = 0
        self._event_count = 0

    # -- plumbing -----------------------------------------------------------------------------

    def _second(self, t_ms: int) -> int:
        return (t_ms - self.market.epoch_ms) // 1000

    def engine(self, inst: Instrument) -> MatchingEngine:
        """The matching engine of ``inst`` (made on first use)."""
        engine = self._engines.get(inst.key)
        if engine is None:
            engine = self._engines[inst.key] = MatchingEngine(inst, self.market)
        return engine

    def settlement(self, category: str) -> Settlement:
        """The settlement of ``category``; 25200 for categories not served (MARGIN)."""
        found = self._settlements.get(category)
        if found is None:
            found = self._settlements[category] = settlement_for(
                category,
                self.account,
                positions=self.futures.positions,
                market=self.market,
                clock=self.clock,
            )
        return found

    @property
    def positions(self) -> PositionBook:
        """The open and closed futures positions."""
        return self.futures.positions

    def free(self, coin: str) -> Decimal:
        """What of ``coin`` is free for new margin or a transfer: ``available`` less the
        unrealised losses of crossed positions (:data:`defaults.CROSS_LOSSES_REDUCE_AVAILABLE`)."""
        settlement = self.settlement(vocab.FUTURES_CATEGORIES[0])
        assert isinstance(settlement, FuturesSettlement)
        return settlement.free(coin)

    def instrument(self, category: str, symbol: str) -> Instrument:
        inst = self.catalogue.get(category, symbol)
        if inst is None:
            raise ExchangeError("25100", detail=f"{symbol} in {category}")
        return inst

    def _inst_of(self, order: Order) -> Instrument:
        inst = self.catalogue.get(order.category, order.symbol)
        assert inst is not None
        return inst

    def reserved_by_coin(self) -> dict[str, Decimal]:
        """What the open orders and the positions hold locked, per coin (equals each
        balance's ``locked``)."""
        out: dict[str, Decimal] = {}
        for order in self.store.open_orders():
            out[order.reserve_coin] = out.get(order.reserve_coin, _ZERO) + order.reserved
        for position in self.futures.positions.open_positions():
            coin = position.margin_coin
            out[coin] = out.get(coin, _ZERO) + position.margin
        return out

    # -- time ---------------------------------------------------------------------------------

    def next_second(self, t_ms: int) -> int:
        """The start (ms) of the second after the one holding ``t_ms``: the first moment a
        thing made at ``t_ms`` can be reached by the market (this second was matched)."""
        return self.market.epoch_ms + (self._second(t_ms) + 1) * 1000

    def catch_up(self, now: int) -> bool:
        """Replay, in time order, what happened since the last call.

        * funding at every funding time crossed (:meth:`FuturesDesk.settle_funding`);
        * the countdown's deadline: every open order cancelled (:meth:`countdown_op`);
        * resting limit orders the market reached: a buy fills when a 1-second price went
          below its limit, a sell when one went above — the whole open quantity, as maker, at
          the limit price, dated at the first such second; a mere touch fills
          :data:`defaults.TOUCH_FILL_FRACTION` of it;
        * TP/SL legs whose price was reached: they send their close orders, which fill at
          that moment or rest (and may fill later in the same stretch).

        What one event sets off (a fill that opens a position with an attached TP/SL, a
        trigger that rests a limit order) joins the queue at its own time.

        Returns whether anything was due (an event was queued): a catch-up that found nothing
        changed nothing but how far it looked, and looking again over a longer stretch finds
        the same nothing — so a persistent exchange logs only the catch-ups that return True.
        """
        second = self._second(now)
        if second <= self._processed_second:
            # Only the countdown has ms-precise deadlines inside a processed second.
            deadline = self.countdown.deadline_ms
            if deadline is not None and deadline <= now:
                self._expire_countdown(deadline, deadline)
                return True
            return False
        queued_before = self._event_count
        start = self.market.epoch_ms + (self._processed_second + 1) * 1000
        self._processed_second = second
        self._events, self._horizon = [], now
        try:
            for engine in self._engines.values():
                if not engine.bids and not engine.asks:
                    continue
                high, low = self.market.extremes(engine.inst, start, now)
                for order in engine.resting:
                    self._schedule_fill(order, engine.inst, start, high, low)
            for strategy, leg in self.strategies.pending():
                self._schedule_leg(strategy, leg, start)
            for when in self.futures.funding_times(start, now):
                self._push(when, _FUNDING, 0, self.futures.settle_funding)
            deadline = self.countdown.deadline_ms
            if deadline is not None and deadline <= now:
                self._push(
                    deadline, _COUNTDOWN, 0, lambda w, d=deadline: self._expire_countdown(d, w)
                )
            while self._events:
                when, _, _, _, action = heapq.heappop(self._events)
                action(when)
        finally:
            self._events = None
        return self._event_count != queued_before

    def _push(self, when: int, kind: int, seq: int, action: Callable[[int], None]) -> None:
        assert self._events is not None
        self._event_count += 1
        heapq.heappush(self._events, (when, kind, seq, self._event_count, action))

    def _schedule_fill(
        self,
        order: Order,
        inst: Instrument,
        start: int,
        high: int | None = None,
        low: int | None = None,
    ) -> None:
        """Queue the fill of a resting order if the market reaches it in [start, horizon]."""
        end = self._horizon
        if start > end:
            return
        if high is None or low is None:
            high, low = self.market.extremes(inst, start, end)
        assert order.price is not None
        ticks = int(order.price / inst.tick)
        direction: Literal["down", "up"]
        if order.side == "buy" and low <= ticks:
            through, direction = low < ticks, "down"
        elif order.side == "sell" and high >= ticks:
            through, direction = high > ticks, "up"
        else:
            return
        when = self.market.first_reach(inst, start, end, ticks, direction=direction, strict=through)
        self._push(
            end if when is None else when,
            _RESTING,
            order.seq,
            lambda w, o=order, t=through: self._fill_resting(o, t, w),
        )

    def _fill_resting(self, order: Order, through: bool, when: int) -> None:
        if not order.is_open:
            return
        inst = self._inst_of(order)
        qty = order.remaining if through else self._touch_qty(order, inst)
        assert order.price is not None
        self._fill(order, inst, order.price, qty, "maker", self._trade_ids.next(), when)

    def _schedule_leg(self, strategy: StrategyOrder, leg: TriggerLeg, start: int) -> None:
        when = self.strategies.trigger_time(strategy, leg, start, self._horizon)
        if when is not None:
            self._push(
                when,
                _TRIGGER,
                int(strategy.order_id),
                lambda w, s=strategy, g=leg: self.strategies.fire(s, g, w),
            )

    def schedule_strategy(self, strategy: StrategyOrder) -> None:
        """A strategy order made or changed during catch-up joins the queue (outside
        catch-up the next one finds it)."""
        if self._events is None:
            return
        for leg in strategy.legs.values():
            if leg.status == "pending":
                self._schedule_leg(strategy, leg, strategy.active_ms)

    @staticmethod
    def _touch_qty(order: Order, inst: Instrument) -> Decimal:
        steps = (order.remaining * _TOUCH / inst.step).to_integral_value(ROUND_FLOOR)
        return min(max(steps, Decimal(1)) * inst.step, order.remaining)

    # -- state changes ------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _fill(
        self,
        order: Order,
        inst: Instrument,
        price: Decimal,
        qty: Decimal,
        scope: str,
        link_id: str,
        when: int,
    ) -> None:
        """Settle one execution of ``order`` and record its fill (one fill record per leg:
        a one-way execution that flips a position records its close and its open part)."""
        rate = inst.maker_fee if scope == "maker" else inst.taker_fee
        settlement = self.settlement(order.category)
        legs = settlement.fill(order, inst, price, qty, rate, when)
        order.cum_exec_qty += qty
        order.cum_exec_value += price * qty
        for leg in legs:
            order.fees[leg.fee_coin] = order.fees.get(leg.fee_coin, _ZERO) + leg.fee
            self.fees_paid[leg.fee_coin] = self.fees_paid.get(leg.fee_coin, _ZERO) + leg.fee
            self.store.add_fill(
                Fill(
                    exec_id=self._exec_ids.next(),
                    exec_link_id=link_id,
                    order_id=order.order_id,
                    client_oid=order.client_oid,
                    category=order.category,
                    symbol=order.symbol,
                    order_type=order.order_type,
                    side=order.side,
                    exec_price=price,
                    exec_qty=leg.qty,
                    exec_value=price * leg.qty,
                    trade_scope=scope,
                    fee_coin=leg.fee_coin,
                    fee=leg.fee,
                    created_ms=when,
                    pos_side=leg.pos_side,
                    trade_side=leg.trade_side,
                    exec_pnl=leg.exec_pnl,
                )
            )
        order.updated_ms = max(order.updated_ms, when)
        if not order.quote_sized and order.cum_exec_qty == order.qty:
            self._close(order, "filled", "", when)
        else:
            order.status = "partially_filled"
            # A taker buy that filled below its limit frees the difference.
            settlement.sync(order, inst)
        if inst.is_futures:
            self.futures.after_fill(order, inst, legs, when)

    def _close(self, order: Order, status: str, reason: str, when: int) -> None:
        """Move an order to a terminal status and release what it held."""
        order.status = status
        order.cancel_reason = reason
        order.updated_ms = max(order.updated_ms, when)
        self.engine(self._inst_of(order)).remove(order)
        self.store.closed(order)
        self.settlement(order.category).sync(order, self._inst_of(order))

    def _cancel(self, order: Order, reason: str, when: int) -> None:
        self._close(order, "cancelled", reason, when)

    def cancel_order(self, order: Order, reason: str, when: int) -> None:
        """Cancel an open order for ``reason`` at ``when`` (the futures and strategy desks)."""
        if order.is_open:
            self._cancel(order, reason, when)

    def _apply(self, taker: Order, inst: Instrument, plan: Plan, now: int) -> None:
        book_side = "a" if taker.side == "buy" else "b"
        engine = self.engine(inst)
        for step in plan.steps:
            if not taker.is_open:
                break
            if step.maker is not None and not step.maker.is_open:
                continue  # closed by what an earlier step set off
            if step.cancel_maker:
                assert step.maker is not None
                self._cancel(step.maker, defaults.CANCEL_REASON_STP, now)
                continue
            link = self._trade_ids.next()
            if step.maker is not None:
                self._fill(step.maker, inst, step.price, step.qty, "maker", link, now)
            else:
                assert step.ticks is not None
                engine.consume(book_side, step.ticks, step.qty)
            self._fill(taker, inst, step.price, step.qty, "taker", link, now)

    def _execute(self, order: Order, inst: Instrument, now: int, *, new_seq: bool = True) -> None:
        """Match an incoming (new or re-priced) order and rest, finish or cancel its rest as
        its type and time in force say (spec §5.2)."""
        engine = self.engine(inst)
        tif = order.time_in_force
        limit = order.order_type == "limit"
        if limit and tif == "post_only":
            if engine.would_take(order, now):
                # Accepted, then cancelled: no error code (spec §2.4.5, §9 #4).
                self._cancel(order, defaults.CANCEL_REASON_POST_ONLY, now)
            else:
                self._rest(order, engine, new_seq)
            return
        plan = engine.plan(order, now)
        if limit and tif == "fok" and plan.filled < order.remaining:
            self._cancel(order, defaults.CANCEL_REASON_FOK, now)  # zero fills (spec §2.4.5)
            return
        self._apply(order, inst, plan, now)
        if not order.is_open:
            return
        if plan.stp_taker:
            self._cancel(order, defaults.CANCEL_REASON_STP, now)
        elif not limit:
            # Market orders ignore timeInForce: what the book cannot fill is cancelled. A
            # market buy sized in quote is done when its rest cannot buy one lot step.
            if order.quote_sized and not plan.exhausted and order.cum_exec_qty > 0:
                self._close(order, "filled", "", now)
            else:
                self._cancel(order, defaults.CANCEL_REASON_MARKET, now)
        elif tif == "ioc":
            self._cancel(order, defaults.CANCEL_REASON_IOC, now)
        else:
            self._rest(order, engine, new_seq)

    def _rest(self, order: Order, engine: MatchingEngine, new_seq: bool) -> None:
        if new_seq or not order.seq:
            order.seq = self._next_seq()
        engine.rest(order)

    # -- validation ---------------------------------------------------------------------------

    def _check_price(self, inst: Instrument, price: Decimal) -> None:
        if price % inst.tick:
            low, high = _neighbours(price, inst.tick)
            options = " or ".join(inst.price_text(x) for x in (low, high) if x > 0)
            raise ExchangeError(
                "25244",
                detail=f"price {_num(price)} is not a multiple of the tick {_num(inst.tick)} "
                f"for {inst.symbol}; try {options}",
            )

    def _check_qty(self, inst: Instrument, qty: Decimal, *, market: bool) -> None:
        if qty % inst.step:
            low, high = _neighbours(qty, inst.step)
            options = " or ".join(inst.qty_text(x) for x in (low, high) if x > 0)
            raise ExchangeError(
                "25610",
                detail=f"qty {_num(qty)} is not a multiple of the lot step {_num(inst.step)} "
                f"for {inst.symbol}; try {options}",
            )
        if qty < inst.min_qty:
            raise ExchangeError(
                defaults.QTY_TOO_SMALL_CODE,
                detail=f"qty {_num(qty)} is below the minimum {_num(inst.min_qty)} "
                f"{inst.base_coin} for {inst.symbol}",
            )
        cap = inst.max_market_qty if market else inst.max_qty
        if cap is not None and qty > cap:
            kind = "market" if market else "limit"
            raise ExchangeError(
                "25208",
                detail=f"qty {_num(qty)} is above the maximum {_num(cap)} {inst.base_coin} of "
                f"a {kind} order on {inst.symbol}",
            )

    def check_qty(self, inst: Instrument, qty: Decimal) -> None:
        """Step, minimum and maximum of a (limit-sized) quantity: 25610 / 25611 / 25208."""
        self._check_qty(inst, qty, market=False)

    def _check_notional(self, inst: Instrument, value: Decimal, what: str) -> None:
        if value < inst.min_amount:
            raise ExchangeError(
                defaults.NOTIONAL_TOO_SMALL_CODE,
                detail=f"{what} {_num(value)} {inst.quote_coin} is below the minimum order "
                f"amount {_num(inst.min_amount)} {inst.quote_coin} for {inst.symbol}",
            )

    def _draft(
        self, params: Mapping[str, Any], now: int
    ) -> tuple[Order, Instrument, tuple[Order, ...]]:
        """Validate a new order (spec §4.1.1) and build it without an id; nothing changes.
        Also returns the older reduce-only orders its acceptance replaces (futures)."""
        category = p.category(params)
        assert category is not None
        settlement = self.settlement(category)
        inst = self.instrument(category, p.required_text(params, "symbol").strip())
        side = p.choice(params, "side", vocab.SIDES)
        if side is None:
            raise p.bad("side is required")
        order_type = p.choice(params, "orderType", vocab.ORDER_TYPES)
        if order_type is None:
            raise p.bad("orderType is required")
        tif = p.choice(params, "timeInForce", vocab.TIME_IN_FORCE, default="gtc")
        stp = p.choice(params, "stpMode", vocab.STP_MODES, default=self.account.stp_mode)
        reduce_only = p.yes_no(params, "reduceOnly")
        extras: dict[str, str] = {}
        for name, options in (
            ("posSide", vocab.POS_SIDES),
            ("marginMode", vocab.MARGIN_MODES),
            *_TPSL_WORDS,
        ):
            value = p.choice(params, name, options)
            if value is not None:
                extras[name] = value
        for name in _TPSL_PRICES:
            number = p.decimal(params, name)
            if number is not None:
                extras[name] = _num(number)
        if not inst.is_futures:
            # Positions, reduce-only and attached TP/SL are futures concepts (spec §4.1.1,
            # §5.3, §5.4); marginMode is harmless on spot and ignored.
            extras.pop("marginMode", None)
            named = sorted(extras) + (["reduceOnly"] if reduce_only else [])
            if named:
                raise p.bad(f"{', '.join(named)} apply to futures orders only, not {category}")
        client_oid = p.optional_text(params, "clientOid")
        if client_oid is not None and not vocab.CLIENT_OID.fullmatch(client_oid):
            raise p.bad(
                f"clientOid must be 1 to 32 characters of letters, digits and . : / _ -, "
                f"got {client_oid!r}"
            )
        qty = p.decimal(params, "qty", required=True)
        assert qty is not None
        price: Decimal | None = None
        amount = _ZERO
        if order_type == "limit":
            price = p.decimal(params, "price")
            if price is None:
                raise p.bad("price is required for limit orders")
            self._check_price(inst, price)
            self._check_qty(inst, qty, market=False)
            self._check_notional(inst, price * qty, "order value price × qty")
        elif side == "buy" and category in _SPOT_LINES:
            # A spot market buy is sized in quote (spec §4.1.1).
            if -qty.normalize().as_tuple().exponent > inst.quote_decimals:  # type: ignore[operator]
                raise ExchangeError(
                    "25610",
                    detail=f"qty of a {category} market buy is the {inst.quote_coin} amount to "
                    f"spend, with at most {inst.quote_decimals} decimals; got {_num(qty)}",
                )
            self._check_notional(inst, qty, "market buy amount")
            amount, qty = qty, _ZERO
        else:
            self._check_qty(inst, qty, market=True)
            last = self.market.price(inst, now)
            self._check_notional(inst, qty * last, "order value qty × last price")
        if client_oid is not None:
            earlier = self.store.by_client_oid(client_oid)
            if earlier is not None and earlier.is_open:
                raise ExchangeError(
                    "25212", detail=f"order {earlier.order_id} with clientOid {client_oid} is open"
                )
        intent = None
        if inst.is_futures:
            intent = self.futures.intent(inst, side, extras, reduce_only, qty)
            reduce_only = intent.reduce_only
            self.futures.check_opening(inst, intent, side, qty)
        can_rest = order_type == "limit" and tif in ("gtc", "post_only")
        if can_rest or not defaults.CAP_ONLY_RESTING_ORDERS:
            self._check_caps(inst)
        order = Order(
            order_id="",
            client_oid=client_oid or "",
            category=category,
            symbol=inst.symbol,
            side=side,
            order_type=order_type,
            time_in_force=tif or "gtc",
            price=price,
            qty=qty,
            amount=amount,
            stp_mode=stp or "none",
            reduce_only=reduce_only,
            created_ms=now,
            updated_ms=now,
            extras=extras,
        )
        if intent is not None:
            order.pos_side, order.trade_side = intent.pos_side, intent.trade_side
            order.hold_mode = self.account.hold_mode
            order.margin_mode = self.account.symbol_configs[(category, inst.symbol)].margin_mode
            self._check_presets(order, inst, params, now)
        coin, need = settlement.requirement(order, inst)
        settlement.check(coin, need + settlement.fee_buffer(order, inst))
        return order, inst, intent.replaced if intent is not None else ()

    def _check_presets(
        self, order: Order, inst: Instrument, params: Mapping[str, Any], now: int
    ) -> None:
        """Attached TP/SL (spec §4.1.1, §5.4): on opening orders only, prices on the tick,
        a limit price for a limit leg, long TP above / SL below the order's price (last for a
        market order), and room for one more strategy order on the position."""
        legs = parse_legs(params, inst, order_type_default=defaults.PRESET_ORDER_TYPE_DEFAULT)
        if not legs:
            return
        if order.reduce_only and defaults.PRESETS_ON_OPENING_ORDERS_ONLY:
            raise p.bad(
                "takeProfit/stopLoss attach to orders that open a position, not to closing or "
                "reduce-only orders; use place-strategy-order to protect a position"
            )
        side = "long" if order.side == "buy" else "short"
        reference = order.price if order.price is not None else self.market.price(inst, now)
        what = "order price" if order.price is not None else "last price"
        check_levels(side, legs, lambda leg: reference, inst, what)
        if defaults.PRESET_TPSL_TO_STRATEGY:
            self.strategies.check_room(inst, side)

    def _check_caps(self, inst: Instrument) -> None:
        if inst.is_futures:
            count = self.store.open_count(vocab.FUTURES_CATEGORIES)
            if count >= FUTURES_OPEN_CAP:
                raise ExchangeError(
                    "40761",
                    detail=f"{count} futures orders are open; at most {FUTURES_OPEN_CAP} may be",
                )
        if inst.category in _SPOT_LINES:
            count = self.store.open_count(_SPOT_LINES)
            if count >= SPOT_MARGIN_OPEN_CAP:
                raise ExchangeError(
                    "40761",
                    detail=f"{count} spot and margin orders are open; at most "
                    f"{SPOT_MARGIN_OPEN_CAP} may be",
                )
        cap = inst.max_open_orders
        if cap is not None:
            count = self.store.open_count((inst.category,), inst.symbol)
            if count >= cap:
                raise ExchangeError(
                    "40761",
                    detail=f"{count} orders are open on {inst.symbol}; at most {cap} may be",
                )

    def _find(self, params: Mapping[str, Any]) -> Order:
        """The order named by ``orderId`` (which wins) or ``clientOid``; 25204 when unknown,
        or when a given ``category``/``symbol`` does not match it."""
        order_id = p.optional_text(params, "orderId")
        client_oid = p.optional_text(params, "clientOid")
        if order_id is None and client_oid is None:
            raise p.bad("orderId or clientOid is required")
        if order_id is not None:
            order, named = self.store.get(order_id.strip()), f"orderId {order_id}"
        else:
            assert client_oid is not None
            order, named = self.store.by_client_oid(client_oid), f"clientOid {client_oid}"
        category = p.category(params, required=False)
        symbol = p.optional_text(params, "symbol")
        if (
            order is None
            or (category is not None and category != order.category)
            or (symbol is not None and symbol.strip() != order.symbol)
        ):
            raise ExchangeError("25204", detail=f"no order with {named}")
        return order

    def _find_open(self, params: Mapping[str, Any]) -> Order:
        order = self._find(params)
        if not order.is_open:
            raise ExchangeError("25204", detail=f"order {order.order_id} is {order.status}")
        return order

    # -- placing ------------------------------------------------------------------------------

    def place(self, params: Mapping[str, Any], *, now: int | None = None) -> Order:
        """Validate, accept and match one order; return it (spec §4.1.1). ``now`` places it
        at an earlier moment of a catch-up (a TP/SL leg that fired then)."""
        now = self.clock.now_ms() if now is None else now
        order, inst, replaced = self._draft(params, now)
        order.order_id = self._order_ids.next()
        if not order.client_oid:
            order.client_oid = defaults.AUTO_CLIENT_OID_PREFIX + order.order_id
        self.store.add(order)
        for older in replaced:  # the one-way reduce-only replacement rule (rule 4)
            self._cancel(older, defaults.CANCEL_REASON_REDUCE_ONLY, now)
        self.settlement(order.category).sync(order, inst)
        self._execute(order, inst, now)
        if self._events is not None and order.is_open and order.price is not None:
            self._schedule_fill(order, inst, self.next_second(now))
        return order

    def place_order_op(self, params: Mapping[str, Any]) -> dict[str, str]:
        """``place-order``: ``{orderId, clientOid}``."""
        return _ack(self.place(params))

    @staticmethod
    def _batch(items: Any, *, category_required: bool = False) -> list[Any]:
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

    def _each(
        self, items: list[Any], action: Callable[[Mapping[str, Any]], Order]
    ) -> list[dict[str, str]]:
        results = []
        for item in items:
            try:
                if not isinstance(item, Mapping):
                    raise p.bad("each item must be a JSON object")
                results.append(_item_ok(action(item)))
            except ExchangeError as exc:
                results.append(_item_error(item, exc))
        return results

    def place_batch_op(self, items: Any) -> list[dict[str, str]]:
        """``place-batch``: each item placed on its own, results in input order (spec §2.3).
        Attached TP/SL are refused per item: batch placement does not support them (spec
        §5.4, DOCS-CL)."""

        def place_item(item: Mapping[str, Any]) -> Order:
            named = [n for n in ("takeProfit", "stopLoss") if item.get(n) not in (None, "")]
            if named:
                raise p.bad(
                    f"{'/'.join(named)}: batch orders cannot carry an attached TP/SL; place the "
                    "order alone or use place-strategy-order"
                )
            return self.place(item)

        return self._each(self._batch(items), place_item)

    # -- modifying ----------------------------------------------------------------------------

    def modify(self, params: Mapping[str, Any]) -> Order:
        """Change an open order's price and/or qty, keeping its orderId (spec §4.1.3, §9 #10).

        A new price or a larger qty loses time priority; the modified order matches again as a
        taker if its new price crosses.
        """
        order = self._find_open(params)
        auto_cancel = p.yes_no(params, "autoCancel")
        try:
            self._modify(order, params)
        except ExchangeError:
            if auto_cancel and defaults.AUTO_CANCEL_ON_FAILED_MODIFY and order.is_open:
                self._cancel(order, defaults.CANCEL_REASON_MODIFY, self.clock.now_ms())
            raise
        return order

    def _modify(self, order: Order, params: Mapping[str, Any]) -> None:
        now = self.clock.now_ms()
        inst = self._inst_of(order)
        new_qty = p.decimal(params, "qty")
        new_price = p.decimal(params, "price")
        if new_qty is None and new_price is None:
            raise p.bad("qty or price is required")
        assert order.price is not None, "only limit orders stay open"
        price = order.price if new_price is None else new_price
        qty = order.qty if new_qty is None else new_qty
        if price == order.price and qty == order.qty:
            raise ExchangeError("25571", detail=f"price {_num(price)} and qty {_num(qty)}")
        self._check_price(inst, price)
        self._check_qty(inst, qty, market=False)
        self._check_notional(inst, price * qty, "order value price × qty")
        if qty < order.cum_exec_qty:
            raise ExchangeError(
                defaults.QTY_BELOW_FILLED_CODE,
                detail=f"qty {_num(qty)} is below the filled quantity "
                f"{_num(order.cum_exec_qty)} of order {order.order_id}",
            )
        if inst.is_futures:
            self.futures.check_modified_close(order, inst, qty - order.cum_exec_qty)
        settlement = self.settlement(order.category)
        coin, need = settlement.requirement(order, inst, price=price, qty=qty)
        settlement.check(coin, need - order.reserved)
        # Accepted: nothing above changed any state.
        loses_priority = price != order.price or qty > order.qty
        self.engine(inst).remove(order)
        order.price, order.qty = price, qty
        order.updated_ms = now
        if qty == order.cum_exec_qty:
            self._close(order, "filled", "", now)
            return
        settlement.sync(order, inst)
        self._execute(order, inst, now, new_seq=loses_priority)

    def modify_order_op(self, params: Mapping[str, Any]) -> dict[str, str]:
        """``modify-order``: ``{orderId, clientOid}``."""
        return _ack(self.modify(params))

    def batch_modify_op(self, items: Any) -> list[dict[str, str]]:
        """``batch-modify-order``: per-item results; an order may appear once (spec §4.1.4)."""
        seen: set[str] = set()

        def modify_once(item: Mapping[str, Any]) -> Order:
            order = self._find(item)
            if order.order_id in seen:
                raise p.bad(f"order {order.order_id} appears more than once in the batch")
            seen.add(order.order_id)
            return self.modify(item)

        return self._each(self._batch(items), modify_once)

    # -- cancelling ---------------------------------------------------------------------------

    def cancel(self, params: Mapping[str, Any], reason: str = defaults.CANCEL_REASON_USER) -> Order:
        """Cancel one open order; 25204 when unknown or already closed (spec §4.1.5)."""
        order = self._find_open(params)
        self._cancel(order, reason, self.clock.now_ms())
        return order

    def cancel_order_op(self, params: Mapping[str, Any]) -> dict[str, str]:
        """``cancel-order``: ``{orderId, clientOid}``."""
        return _ack(self.cancel(params))

    def cancel_batch_op(self, items: Any) -> list[dict[str, str]]:
        """``cancel-batch``: category and symbol required per item; partial success
        (spec §4.1.6)."""

        def cancel_item(item: Mapping[str, Any]) -> Order:
            p.category(item)
            p.required_text(item, "symbol")
            return self.cancel(item)

        return self._each(self._batch(items), cancel_item)

    def cancel_all_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``cancel-symbol-order``: every open order of a category, optionally one symbol
        (spec §4.1.7); ``{"list": [{orderId, clientOid, code, msg}]}``."""
        category = p.category(params)
        assert category is not None
        symbol = p.optional_text(params, "symbol")
        if symbol is not None:
            symbol = self.instrument(category, symbol.strip()).symbol
        now = self.clock.now_ms()
        done = []
        for order in self.store.open_orders(category, symbol):
            self._cancel(order, defaults.CANCEL_REASON_CANCEL_ALL, now)
            done.append(_item_ok(order))
        return {"list": done}

    # -- countdown (spec §4.1.9, §5.6) ----------------------------------------------------------

    def countdown_op(self, params: Mapping[str, Any]) -> str:
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
        if seconds == 0:
            self.countdown.seconds, self.countdown.deadline_ms = 0, None
        else:
            self.countdown.seconds = seconds
            self.countdown.deadline_ms = self.clock.now_ms() + seconds * 1000
        return "success"

    def _expire_countdown(self, deadline: int, when: int) -> None:
        if self.countdown.deadline_ms != deadline:
            return  # re-armed or disarmed since this was queued
        self.countdown.seconds, self.countdown.deadline_ms = 0, None
        for order in self.store.open_orders():
            self._cancel(order, defaults.CANCEL_REASON_COUNTDOWN, when)

    # -- queries ------------------------------------------------------------------------------

    def order_info_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``order-info``: one order, open or closed, every field of spec §4.1.10."""
        order = self._find(params)
        return order_record(order, self._inst_of(order))

    def _list_params(self, params: Mapping[str, Any]) -> tuple[int, int | None]:
        limit = p.limit(
            params, default=defaults.LIST_LIMIT_DEFAULT, maximum=defaults.LIST_LIMIT_MAX
        )
        return limit, cursor(params)

    def unfilled_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``unfilled-orders``: open orders newest first (spec §4.1.11)."""
        category = p.category(params, required=False)
        symbol = p.optional_text(params, "symbol")
        start = p.timestamp_ms(params, "startTime")
        end = p.timestamp_ms(params, "endTime")
        limit, before = self._list_params(params)
        rows = [
            o
            for o in self.store.open_orders(category, symbol.strip() if symbol else None)
            if (before is None or int(o.order_id) < before)
            and (start is None or o.created_ms >= start)
            and (end is None or o.created_ms <= end)
        ]
        rows.reverse()
        return page(
            rows,
            limit=limit,
            key=lambda o: o.order_id,
            record=lambda o: order_record(o, self._inst_of(o), closed_fields=False),
        )

    def history_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``history-orders``: terminal orders newest first, 90-day look-back, ≤ 30-day
        windows; filters ``symbol`` and ``orderId`` (spec §4.1.12, §7 #7)."""
        category = p.category(params)
        symbol = p.optional_text(params, "symbol")
        order_id = p.optional_text(params, "orderId")
        start, end = history_window(params, self.clock.now_ms())
        limit, before = self._list_params(params)

        symbol = symbol.strip() if symbol is not None else None
        if order_id is not None:
            # One order at most: look it up rather than page through the window.
            found = self.store.get(order_id.strip())
            candidates: Iterator[Order] = iter(
                [found]
                if found is not None
                and (before is None or int(found.order_id) < before)
                and start <= found.created_ms <= end
                and found.category == category
                and (symbol is None or found.symbol == symbol)
                else []
            )
        else:
            candidates = self.store.newest_orders(
                before, category=category, symbol=symbol, start=start, end=end
            )

        def rows() -> Iterator[Order]:
            # Open orders are skipped: at most the open-order caps of them.
            return (order for order in candidates if not order.is_open)

        return page(
            rows(),
            limit=limit,
            key=lambda o: o.order_id,
            record=lambda o: order_record(o, self._inst_of(o)),
        )

    def fills_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``fills``: own executions newest first, 90-day look-back, ≤ 30-day windows
        (spec §4.1.13)."""
        category = p.category(params, required=False)
        symbol = p.optional_text(params, "symbol")
        order_id = p.optional_text(params, "orderId")
        start, end = history_window(params, self.clock.now_ms())
        limit, before = self._list_params(params)

        symbol = symbol.strip() if symbol is not None else None

        def rows() -> Iterator[Fill]:
            if order_id is None:
                yield from self.store.newest_fills(
                    before, category=category, symbol=symbol, start=start, end=end
                )
                return
            # The fills of one order: few, so they are filtered here.
            for fill in reversed(self.store.fills_of(order_id.strip())):
                if (
                    (before is None or int(fill.exec_id) < before)
                    and start <= fill.created_ms <= end
                    and (category is None or fill.category == category)
                    and (symbol is None or fill.symbol == symbol)
                ):
                    yield fill

        def record(fill: Fill) -> dict[str, Any]:
            inst = self.catalogue.get(fill.category, fill.symbol)
            assert inst is not None
            return fill_record(fill, inst)

        return page(rows(), limit=limit, key=lambda f: f.exec_id, record=record)
