"""The trading desk: order validation, matching, settlement and the trade endpoints (spec §4.1).

:class:`Trading` owns the account's orders and fills (:class:`~.orders.OrderStore`), one
:class:`~.matching.MatchingEngine` per instrument and one settlement per category
(:func:`~.settlement.settlement_for`). Its ``*_op`` methods are the venue's operations: a
plain mapping of wire parameters in (a list for batch bodies), the envelope's ``data`` out,
:class:`~.params.ExchangeError` for a refusal — raised before any state changes.

Time: :meth:`Trading.catch_up` fills resting limit orders the market traded through since
the last call (the venue calls it before every request and on ``advance``).

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

from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

from .. import vocab
from . import defaults
from . import params as p
from .accounts import Account
from .clock import Clock
from .instruments import Catalogue, Instrument
from .market import MarketProcess
from .matching import MatchingEngine, Plan
from .orders import Fill, IdSequence, Order, OrderStore
from .params import ExchangeError
from .records import cursor, fill_record, history_window, order_record, page
from .settlement import Settlement, settlement_for

__all__ = ["BATCH_MAX", "SPOT_MARGIN_OPEN_CAP", "Trading"]

#: spec §4.1.2 / §4.1.4 / §4.1.6: at most 20 items per batch.
BATCH_MAX = 20
#: spec §4.1.1 rule 1 / §5.7: 400 open orders across spot and margin together.
SPOT_MARGIN_OPEN_CAP = 400
_SPOT_LINES = ("SPOT", "MARGIN")
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
        #: Fees paid since the start, per coin (positive = paid): with the balances this
        #: makes every coin add up (balances + fees = what the account started with).
        self.fees_paid: dict[str, Decimal] = {}

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
        """The settlement of ``category``; 25200 for categories not served yet."""
        found = self._settlements.get(category)
        if found is None:
            found = self._settlements[category] = settlement_for(category, self.account)
        return found

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
        """What the open orders hold locked, per coin (equals each balance's ``locked``)."""
        out: dict[str, Decimal] = {}
        for order in self.store.open_orders():
            out[order.reserve_coin] = out.get(order.reserve_coin, _ZERO) + order.reserved
        return out

    # -- time ---------------------------------------------------------------------------------

    def catch_up(self, now: int) -> None:
        """Fill resting limit orders that the market reached since the last call.

        A buy fills when a 1-second price went below its limit, a sell when one went above —
        the whole open quantity, as maker, at the limit price, dated at the first such
        second. A mere touch fills :data:`defaults.TOUCH_FILL_FRACTION` of it.
        """
        second = self._second(now)
        if second <= self._processed_second:
            return
        start = self.market.epoch_ms + (self._processed_second + 1) * 1000
        self._processed_second = second
        events: list[tuple[int, int, Order, bool]] = []
        for engine in self._engines.values():
            if not engine.bids and not engine.asks:
                continue
            inst = engine.inst
            high, low = self.market.extremes(inst, start, now)
            for order in engine.resting:
                assert order.price is not None
                ticks = int(order.price / inst.tick)
                direction: Literal["down", "up"]
                if order.side == "buy" and low <= ticks:
                    through, direction = low < ticks, "down"
                elif order.side == "sell" and high >= ticks:
                    through, direction = high > ticks, "up"
                else:
                    continue
                when = self.market.first_reach(
                    inst, start, now, ticks, direction=direction, strict=through
                )
                events.append((now if when is None else when, order.seq, order, through))
        events.sort(key=lambda e: (e[0], e[1]))
        for when, _, order, through in events:
            if not order.is_open:
                continue
            inst = self._inst_of(order)
            qty = order.remaining if through else self._touch_qty(order, inst)
            assert order.price is not None
            self._fill(order, inst, order.price, qty, "maker", self._trade_ids.next(), when)

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
        """Settle one execution of ``order`` and record its fill."""
        rate = inst.maker_fee if scope == "maker" else inst.taker_fee
        settlement = self.settlement(order.category)
        fee_coin, fee = settlement.fill(order, inst, price, qty, rate)
        value = price * qty
        order.cum_exec_qty += qty
        order.cum_exec_value += value
        order.fees[fee_coin] = order.fees.get(fee_coin, _ZERO) + fee
        self.fees_paid[fee_coin] = self.fees_paid.get(fee_coin, _ZERO) + fee
        order.updated_ms = max(order.updated_ms, when)
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
                exec_qty=qty,
                exec_value=value,
                trade_scope=scope,
                fee_coin=fee_coin,
                fee=fee,
                created_ms=when,
            )
        )
        if not order.quote_sized and order.cum_exec_qty == order.qty:
            self._close(order, "filled", "", when)
        else:
            order.status = "partially_filled"
            # A taker buy that filled below its limit frees the difference.
            settlement.sync(order, inst)

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

    def _apply(self, taker: Order, inst: Instrument, plan: Plan, now: int) -> None:
        book_side = "a" if taker.side == "buy" else "b"
        engine = self.engine(inst)
        for step in plan.steps:
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

    def _check_notional(self, inst: Instrument, value: Decimal, what: str) -> None:
        if value < inst.min_amount:
            raise ExchangeError(
                defaults.NOTIONAL_TOO_SMALL_CODE,
                detail=f"{what} {_num(value)} {inst.quote_coin} is below the minimum order "
                f"amount {_num(inst.min_amount)} {inst.quote_coin} for {inst.symbol}",
            )

    def _draft(self, params: Mapping[str, Any], now: int) -> tuple[Order, Instrument]:
        """Validate a new order (spec §4.1.1) and build it without an id; nothing changes."""
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
        coin, need = settlement.requirement(order, inst)
        settlement.check(coin, need)
        return order, inst

    def _check_caps(self, inst: Instrument) -> None:
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

    def place(self, params: Mapping[str, Any]) -> Order:
        """Validate, accept and match one order; return it (spec §4.1.1)."""
        now = self.clock.now_ms()
        order, inst = self._draft(params, now)
        order.order_id = self._order_ids.next()
        if not order.client_oid:
            order.client_oid = defaults.AUTO_CLIENT_OID_PREFIX + order.order_id
        self.store.add(order)
        self.settlement(order.category).sync(order, inst)
        self._execute(order, inst, now)
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
        """``place-batch``: each item placed on its own, results in input order (spec §2.3)."""
        return self._each(self._batch(items), self.place)

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

        def rows() -> Iterator[Order]:
            for order in self.store.newest_orders(before):
                if order.created_ms < start:
                    return  # ids grow with time: everything further is older
                if (
                    not order.is_open
                    and order.created_ms <= end
                    and order.category == category
                    and (symbol is None or order.symbol == symbol.strip())
                    and (order_id is None or order.order_id == order_id.strip())
                ):
                    yield order

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

        def rows() -> Iterator[Fill]:
            for fill in self.store.newest_fills(before):
                if fill.created_ms < start:
                    return
                if (
                    fill.created_ms <= end
                    and (category is None or fill.category == category)
                    and (symbol is None or fill.symbol == symbol.strip())
                    and (order_id is None or fill.order_id == order_id.strip())
                ):
                    yield fill

        def record(fill: Fill) -> dict[str, Any]:
            inst = self.catalogue.get(fill.category, fill.symbol)
            assert inst is not None
            return fill_record(fill, inst)

        return page(rows(), limit=limit, key=lambda f: f.exec_id, record=record)
