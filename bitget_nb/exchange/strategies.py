"""Strategy (TP/SL) orders: the position take-profit / stop-loss book (spec §4.2, §5.4).

A :class:`StrategyOrder` protects one position (symbol + ``posSide``) with up to two legs —
a take-profit and a stop-loss, each a :class:`TriggerLeg` with its trigger price, the price
it watches (``market`` = last, or ``mark``) and the order it sends. Both list endpoints show
one row per leg (``triggerType``, with the leg's ``status``); the legs share the strategy
order's ``orderId`` (place-strategy-order answers one ``orderId``, and cancel/modify act on
the whole order), so a row is identified by ``(orderId, triggerType)``.

They come from place-strategy-order, or from an opening order's attached TP/SL once it fills
(:data:`defaults.PRESET_TPSL_TO_STRATEGY`). The trading desk asks :meth:`StrategyDesk.trigger_time`
during catch-up when a leg's price is reached and then calls :meth:`StrategyDesk.fire`.

>>> from bitget_nb.exchange.clock import ManualClock
>>> from bitget_nb.exchange.venue import Venue
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> ack = venue.call("submit_new_order", {"category": "USDT-FUTURES", "symbol": "BTCUSDT",
...     "side": "buy", "orderType": "market", "qty": "0.01", "stopLoss": "50000"}, venue.trader)
>>> row, = venue.call("get_unfilled_strategy_orders", {"category": "USDT-FUTURES"}, venue.trader)
>>> row["triggerType"], row["tpslMode"], row["qty"], row["stopLoss"], row["status"]
('stopLoss', 'partial', '0.0100', '50000.0', 'pending')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import vocab
from . import defaults
from . import params as p
from .instruments import Instrument
from .orders import IdSequence, Order
from .params import ExchangeError
from .positions import Position
from .records import cursor, history_window
from .settlement import Leg

if TYPE_CHECKING:
    from .trading import Trading

__all__ = ["StrategyDesk", "StrategyOrder", "TriggerLeg", "check_levels", "parse_legs"]

_ZERO = Decimal(0)
#: Wire names of each leg: trigger price, price source, order type, limit price.
LEG_FIELDS: dict[str, tuple[str, str, str, str]] = {
    "takeProfit": ("takeProfit", "tpTriggerBy", "tpOrderType", "tpLimitPrice"),
    "stopLoss": ("stopLoss", "slTriggerBy", "slOrderType", "slLimitPrice"),
}
_LEG_WORDS = {"takeProfit": "take-profit", "stopLoss": "stop-loss"}
_TERMINAL = ("success", "failed", "cancelled")


@dataclass(slots=True)
class TriggerLeg:
    """One leg of a strategy order. ``status``: ``pending`` → ``submitting`` (its close order
    is being sent) → ``success`` / ``failed``; or ``cancelled`` (spec §4.2.6)."""

    trigger_type: str
    price: Decimal
    trigger_by: str = "market"
    order_type: str = "market"
    limit_price: Decimal | None = None
    status: str = "pending"
    updated_ms: int = 0

    @property
    def price_type(self) -> str:
        """The market-process series it watches: ``market`` (last) or ``mark``."""
        return "mark" if self.trigger_by == "mark" else "market"


@dataclass(slots=True)
class StrategyOrder:
    """A TP/SL order protecting ``qty`` (``full``: the whole position) of one position.
    Triggers may fire from ``active_ms`` (the second after it was placed or modified)."""

    order_id: str
    client_oid: str
    category: str
    symbol: str
    pos_side: str
    tpsl_mode: str
    qty: Decimal
    created_ms: int
    updated_ms: int
    active_ms: int
    legs: dict[str, TriggerLeg] = field(default_factory=dict)
    #: The order whose attached TP/SL this is (spec §5.4), if any.
    origin_order_id: str = ""
    type: str = "tpsl"

    @property
    def pending(self) -> bool:
        return any(leg.status == "pending" for leg in self.legs.values())

    @property
    def untouched(self) -> bool:
        """Every leg still pending (a preset may still grow with its order's fills)."""
        return all(leg.status == "pending" for leg in self.legs.values())

    def protects(self, position: Position) -> bool:
        return (self.category, self.symbol, self.pos_side) == position.key


def fires_upward(pos_side: str, trigger_type: str) -> bool:
    """Long TP and short SL fire when the price rises to them; long SL and short TP when it
    falls to them."""
    return (pos_side == "long") == (trigger_type == "takeProfit")


def check_levels(
    pos_side: str,
    legs: Mapping[str, TriggerLeg],
    reference: Callable[[TriggerLeg], Decimal],
    inst: Instrument,
    what: str,
) -> None:
    """Long TP above and long SL below the reference price, short mirrored
    (:data:`defaults.TPSL_PRICE_RULE_CODE`); ``what`` names the reference in the message."""
    for trigger_type, leg in legs.items():
        ref = reference(leg)
        upward = fires_upward(pos_side, trigger_type)
        if (upward and leg.price <= ref) or (not upward and leg.price >= ref):
            where = "above" if upward else "below"
            raise ExchangeError(
                defaults.TPSL_PRICE_RULE_CODE,
                detail=f"the {_LEG_WORDS[trigger_type]} of a {pos_side} position must be {where} "
                f"the {what} {inst.price_text(ref)}; got {inst.price_text(leg.price)}",
            )


def _on_tick(inst: Instrument, name: str, price: Decimal) -> None:
    if price % inst.tick:
        raise ExchangeError(
            "25244",
            detail=f"{name} {format(price.normalize(), 'f')} is not a multiple of the tick "
            f"{format(inst.tick.normalize(), 'f')} for {inst.symbol}",
        )


def parse_legs(
    params: Mapping[str, Any],
    inst: Instrument,
    *,
    order_type_default: str = "market",
    base: Mapping[str, TriggerLeg] | None = None,
) -> dict[str, TriggerLeg]:
    """The legs a request names: a leg per ``takeProfit``/``stopLoss`` price given, or, with
    ``base``, an existing leg whose other fields the request changes."""
    legs: dict[str, TriggerLeg] = {}
    for trigger_type, (price_name, by_name, type_name, limit_name) in LEG_FIELDS.items():
        old = (base or {}).get(trigger_type)
        price = p.decimal(params, price_name)
        if price is None and (old is None or old.status != "pending"):
            continue
        if price is None:
            assert old is not None
            price = old.price
        _on_tick(inst, price_name, price)
        by = p.choice(
            params, by_name, vocab.TRIGGER_BY, default=old.trigger_by if old else "market"
        )
        kind = p.choice(
            params,
            type_name,
            vocab.ORDER_TYPES,
            default=old.order_type if old else order_type_default,
        )
        limit = p.decimal(params, limit_name)
        if limit is None and old is not None:
            limit = old.limit_price
        if kind == "limit":
            if limit is None:
                raise p.bad(f"{limit_name} is required when {type_name} is limit")
            _on_tick(inst, limit_name, limit)
        else:
            limit = None
        assert by is not None and kind is not None
        legs[trigger_type] = TriggerLeg(trigger_type, price, by, kind, limit)
    return legs


def preset_legs(order: Order) -> dict[str, TriggerLeg]:
    """The attached TP/SL of ``order`` (its submitted fields) as legs."""
    legs: dict[str, TriggerLeg] = {}
    for trigger_type, (price_name, by_name, type_name, limit_name) in LEG_FIELDS.items():
        price = order.extras.get(price_name)
        if not price:
            continue
        kind = order.extras.get(type_name) or defaults.PRESET_ORDER_TYPE_DEFAULT
        limit = order.extras.get(limit_name)
        legs[trigger_type] = TriggerLeg(
            trigger_type,
            Decimal(price),
            order.extras.get(by_name) or "market",
            kind,
            Decimal(limit) if kind == "limit" and limit else None,
        )
    return legs


class StrategyDesk:
    """The strategy orders of one account and their endpoints (spec §4.2)."""

    def __init__(self, trading: Trading, *, seed: int) -> None:
        self.trading = trading
        self._ids = IdSequence(seed=seed, stream="strategy")
        self._orders: dict[str, StrategyOrder] = {}  # id order = creation order
        self._by_client_oid: dict[str, StrategyOrder] = {}

    # -- lookups ------------------------------------------------------------------------------

    def get(self, order_id: str) -> StrategyOrder | None:
        return self._orders.get(order_id)

    def orders(self) -> list[StrategyOrder]:
        """Every strategy order, oldest first."""
        return list(self._orders.values())

    def pending(self) -> Iterator[tuple[StrategyOrder, TriggerLeg]]:
        """Pending legs, oldest order first."""
        for order in list(self._orders.values()):
            for leg in order.legs.values():
                if leg.status == "pending":
                    yield order, leg

    def _count_pending(self, category: str, symbol: str, pos_side: str, mode: str | None) -> int:
        return sum(
            1
            for o in self._orders.values()
            if o.pending
            and (o.category, o.symbol, o.pos_side) == (category, symbol, pos_side)
            and (mode is None or o.tpsl_mode == mode)
        )

    def check_room(self, inst: Instrument, pos_side: str, mode: str = "partial") -> None:
        """25599 when the position already has as many strategy orders as allowed
        (:data:`defaults.STRATEGY_ORDERS_PER_POSITION_MAX`; one ``full``)."""
        count = self._count_pending(inst.category, inst.symbol, pos_side, None)
        cap = defaults.STRATEGY_ORDERS_PER_POSITION_MAX
        if count >= cap:
            raise ExchangeError(
                "25599",
                detail=f"the {pos_side} position on {inst.symbol} has {count} pending "
                f"TP/SL orders; at most {cap} may be pending",
            )
        if mode == "full" and self._count_pending(inst.category, inst.symbol, pos_side, "full"):
            raise ExchangeError(
                "25599",
                detail=f"the {pos_side} position on {inst.symbol} already has a "
                "full-position TP/SL; modify or cancel it",
            )

    def _new(
        self,
        inst: Instrument,
        *,
        pos_side: str,
        mode: str,
        qty: Decimal,
        legs: dict[str, TriggerLeg],
        client_oid: str | None,
        when: int,
        origin: str = "",
    ) -> StrategyOrder:
        order_id = self._ids.next()
        for leg in legs.values():
            leg.updated_ms = when
        order = StrategyOrder(
            order_id=order_id,
            client_oid=client_oid or defaults.AUTO_CLIENT_OID_PREFIX + order_id,
            category=inst.category,
            symbol=inst.symbol,
            pos_side=pos_side,
            tpsl_mode=mode,
            qty=qty,
            created_ms=when,
            updated_ms=when,
            active_ms=self.trading.next_second(when),
            legs=legs,
            origin_order_id=origin,
        )
        self._orders[order_id] = order
        self._by_client_oid[order.client_oid] = order
        self.trading.schedule_strategy(order)
        return order

    def _find(self, params: Mapping[str, Any]) -> StrategyOrder:
        order_id = p.optional_text(params, "orderId")
        client_oid = p.optional_text(params, "clientOid")
        if order_id is None and client_oid is None:
            raise p.bad("orderId or clientOid is required")
        if order_id is not None:
            found, named = self._orders.get(order_id.strip()), f"orderId {order_id}"
        else:
            assert client_oid is not None
            found, named = self._by_client_oid.get(client_oid), f"clientOid {client_oid}"
        if found is None:
            raise ExchangeError("25204", detail=f"no strategy order with {named}")
        if not found.pending:
            states = "/".join(sorted({leg.status for leg in found.legs.values()}))
            raise ExchangeError(
                "25204", detail=f"strategy order {found.order_id} is {states}, not pending"
            )
        return found

    # -- from attached TP/SL ------------------------------------------------------------------

    def from_preset(self, order: Order, inst: Instrument, leg: Leg, when: int) -> None:
        """An opening fill of an order with attached TP/SL: grow its strategy order, or make
        one (spec §5.4 recommendation)."""
        legs = preset_legs(order)
        if not legs:
            return
        current = self._orders.get(order.preset_strategy_id)
        if current is not None and current.untouched and current.pos_side == leg.pos_side:
            current.qty += leg.qty
            current.updated_ms = when
            return
        made = self._new(
            inst,
            pos_side=leg.pos_side,
            mode="partial",
            qty=leg.qty,
            legs=legs,
            client_oid=None,
            when=when,
            origin=order.order_id,
        )
        order.preset_strategy_id = made.order_id

    def position_closed(self, position: Position, when: int) -> None:
        """A position went to zero: every pending leg protecting it is cancelled."""
        for order in self._orders.values():
            if order.protects(position):
                self._cancel_legs(order, when)

    @staticmethod
    def _cancel_legs(order: StrategyOrder, when: int) -> bool:
        done = False
        for leg in order.legs.values():
            if leg.status == "pending":
                leg.status, leg.updated_ms = "cancelled", when
                done = True
        if done:
            order.updated_ms = max(order.updated_ms, when)
        return done

    # -- triggering ---------------------------------------------------------------------------

    def trigger_time(
        self, order: StrategyOrder, leg: TriggerLeg, start: int, end: int
    ) -> int | None:
        """The first moment in ``[max(start, active), end]`` the leg's price is reached."""
        begin = max(start, order.active_ms)
        if begin > end:
            return None
        inst = self.trading.instrument(order.category, order.symbol)
        upward = fires_upward(order.pos_side, leg.trigger_type)
        return self.trading.market.first_reach(
            inst,
            begin,
            end,
            int(leg.price / inst.tick),
            direction="up" if upward else "down",
            strict=False,
            price_type=leg.price_type,  # type: ignore[arg-type]
        )

    def fire(self, order: StrategyOrder, leg: TriggerLeg, when: int) -> None:
        """A leg's price was reached at ``when``: send its close order (spec §4.2).

        A leg fires at the first second whose price (``tpTriggerBy``/``slTriggerBy``:
        ``market`` = last, ``mark``) reaches its level — long TP ≥, long SL ≤, short
        mirrored — from the second after it was placed or modified. It then sends a
        close order (its ``tpOrderType``: market, or limit at ``tpLimitPrice``) for its
        ``qty`` (``full``: the whole position), clipped to what is left to close; the
        leg → ``success`` when that order is accepted, ``failed`` when nothing is left
        to close or the order is refused. A fired leg cancels its sibling (the slice
        both protected is being closed); a position that closes cancels every pending
        leg protecting it. [unverified] spec §4.2.6 gives the status names only.
        """
        if leg.status != "pending":
            return
        trading = self.trading
        futures = trading.futures
        inst = trading.instrument(order.category, order.symbol)
        position = futures.positions.get(order.category, order.symbol, order.pos_side)
        closable = _ZERO if position is None else position.size - futures.frozen(position)
        qty = closable if order.tpsl_mode == "full" else min(order.qty, closable)
        leg.updated_ms = when
        order.updated_ms = max(order.updated_ms, when)
        if position is None or qty <= 0:
            leg.status = "failed"
            return
        params = futures.close_params(
            position, inst, qty, order_type=leg.order_type, price=leg.limit_price
        )
        leg.status = "submitting"  # not "pending": a close it causes does not cancel it
        try:
            trading.place(params, now=when)
        except ExchangeError:
            leg.status = "failed"
            return
        leg.status = "success"
        # The sibling protected the same quantity, which is being closed now.
        self._cancel_legs(order, when)

    # -- endpoints ----------------------------------------------------------------------------

    def _client_oid(self, params: Mapping[str, Any], now: int) -> str | None:
        client_oid = p.optional_text(params, "clientOid")
        if client_oid is None:
            return None
        if not vocab.CLIENT_OID.fullmatch(client_oid):
            raise p.bad(
                f"clientOid must be 1 to 32 characters of letters, digits and . : / _ -, "
                f"got {client_oid!r}"
            )
        earlier = self._by_client_oid.get(client_oid)
        if (
            earlier is not None
            and now - earlier.created_ms < defaults.STRATEGY_CLIENT_OID_WINDOW_MS
        ):
            raise ExchangeError(
                "25212",
                detail=f"strategy order {earlier.order_id} used clientOid {client_oid} within "
                "the last 6 hours",
            )
        return client_oid

    def _type(self, params: Mapping[str, Any]) -> str:
        kind = p.choice(params, "type", ("tpsl", "trigger"), default="tpsl")
        assert kind is not None
        if kind not in defaults.STRATEGY_TYPES_SERVED:
            raise p.bad(f"type={kind} strategy orders are not served by the local exchange")
        return kind

    def _qty(self, params: Mapping[str, Any], inst: Instrument, position: Position) -> Decimal:
        qty = p.decimal(params, "qty")
        if qty is None:
            raise p.bad("qty is required for tpslMode=partial")
        self.trading.check_qty(inst, qty)
        if qty > position.size:
            raise p.bad(
                f"qty {format(qty.normalize(), 'f')} is more than the {position.pos_side} "
                f"position of {inst.qty_text(position.size)} on {inst.symbol}"
            )
        return qty

    def _reference(self, inst: Instrument, now: int) -> Callable[[TriggerLeg], Decimal]:
        market = self.trading.market
        return lambda leg: market.price(inst, now, leg.price_type)  # type: ignore[arg-type]

    def place_op(self, params: Mapping[str, Any]) -> dict[str, str]:
        """``place-strategy-order``: a position TP/SL (spec §4.2.1); ``{orderId, clientOid}``."""
        now = self.trading.clock.now_ms()
        category = p.category(params, vocab.FUTURES_CATEGORIES)
        assert category is not None
        inst = self.trading.instrument(category, p.required_text(params, "symbol").strip())
        self._type(params)
        mode = p.choice(params, "tpslMode", ("full", "partial"), default="full")
        assert mode is not None
        pos_side = p.choice(params, "posSide", vocab.POS_SIDES)
        if pos_side is None:
            raise p.bad("posSide is required: the side of the position this TP/SL protects")
        client_oid = self._client_oid(params, now)
        legs = parse_legs(params, inst)
        if not legs:
            raise p.bad("takeProfit or stopLoss is required")
        position = self.trading.futures.positions.get(category, inst.symbol, pos_side)
        if position is None:
            raise ExchangeError(
                defaults.NO_POSITION_FOR_TPSL_CODE,
                detail=f"no {pos_side} position on {inst.symbol} to protect",
            )
        qty = self._qty(params, inst, position) if mode == "partial" else _ZERO
        check_levels(pos_side, legs, self._reference(inst, now), inst, "current trigger price")
        self.check_room(inst, pos_side, mode)
        order = self._new(
            inst, pos_side=pos_side, mode=mode, qty=qty, legs=legs, client_oid=client_oid, when=now
        )
        return {"orderId": order.order_id, "clientOid": order.client_oid}

    def modify_op(self, params: Mapping[str, Any]) -> dict[str, str]:
        """``modify-strategy-order``: new qty (required, spec §4.2.2) and TP/SL fields of a
        pending strategy order; a price given for a missing leg adds that leg."""
        now = self.trading.clock.now_ms()
        order = self._find(params)
        inst = self.trading.instrument(order.category, order.symbol)
        position = self.trading.futures.positions.get(order.category, order.symbol, order.pos_side)
        if position is None:
            raise ExchangeError(
                defaults.NO_POSITION_FOR_TPSL_CODE, detail=f"no {order.pos_side} position"
            )
        qty = self._qty(params, inst, position)
        legs = parse_legs(params, inst, base=order.legs)
        check_levels(
            order.pos_side, legs, self._reference(inst, now), inst, "current trigger price"
        )
        if order.tpsl_mode == "partial":
            order.qty = qty
        for trigger_type, leg in legs.items():
            leg.updated_ms = now
            order.legs[trigger_type] = leg
        order.updated_ms = now
        order.active_ms = self.trading.next_second(now)
        self.trading.schedule_strategy(order)
        return {"orderId": order.order_id, "clientOid": order.client_oid}

    def cancel_op(self, params: Mapping[str, Any]) -> dict[str, str]:
        """``cancel-strategy-order``: cancel its pending legs; ``{orderId, clientOid}``
        (the DOCS shape, spec §4.2.3)."""
        order = self._find(params)
        self._cancel_legs(order, self.trading.clock.now_ms())
        return {"orderId": order.order_id, "clientOid": order.client_oid}

    def _filters(self, params: Mapping[str, Any]) -> Callable[[StrategyOrder], bool]:
        """``category`` (required), ``type`` and ``symbol`` as a predicate."""
        category = p.category(params, vocab.FUTURES_CATEGORIES)
        kind = p.choice(params, "type", ("tpsl", "trigger"))
        raw = p.optional_text(params, "symbol")
        symbol = raw.strip() if raw else None
        return lambda o: (
            o.category == category
            and (kind is None or o.type == kind)
            and (symbol is None or o.symbol == symbol)
        )

    def unfilled_op(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``unfilled-strategy-orders``: a BARE ARRAY of pending legs, newest first
        (spec §4.2.4)."""
        chosen = self._filters(params)
        rows = []
        for order in reversed(self._orders.values()):
            if not chosen(order):
                continue
            inst = self.trading.instrument(order.category, order.symbol)
            rows.extend(
                strategy_record(order, leg, inst)
                for leg in order.legs.values()
                if leg.status == "pending"
            )
        return rows

    def history_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``history-strategy-orders``: finished legs newest first, ``{list, cursor}``, windows
        on ``createdTime`` like order history (spec §4.2.5). A page never splits the legs of
        one strategy order (it may end one row short of ``limit``, or hold two rows at
        ``limit=1``); the cursor is the ``orderId`` of its last row."""
        chosen = self._filters(params)
        start, end = history_window(params, self.trading.clock.now_ms())
        limit = p.limit(
            params, default=defaults.LIST_LIMIT_DEFAULT, maximum=defaults.LIST_LIMIT_MAX
        )
        before = cursor(params)
        rows: list[dict[str, Any]] = []
        last = ""
        more = False
        for order in reversed(self._orders.values()):
            if before is not None and int(order.order_id) >= before:
                continue
            if order.created_ms < start:
                break  # ids grow with time: everything further is older
            if not chosen(order) or order.created_ms > end:
                continue
            done = [leg for leg in order.legs.values() if leg.status in _TERMINAL]
            if not done:
                continue
            if rows and len(rows) + len(done) > limit:
                more = True
                break
            inst = self.trading.instrument(order.category, order.symbol)
            rows.extend(strategy_record(order, leg, inst) for leg in done)
            last = order.order_id
            if len(rows) >= limit:
                more = self._more(order, chosen, start, end)
                break
        return {"list": rows, "cursor": last if more else ""}

    def _more(
        self, after: StrategyOrder, chosen: Callable[[StrategyOrder], bool], start: int, end: int
    ) -> bool:
        for order in reversed(self._orders.values()):
            if int(order.order_id) >= int(after.order_id):
                continue
            if order.created_ms < start:
                return False
            if (
                chosen(order)
                and order.created_ms <= end
                and any(leg.status in _TERMINAL for leg in order.legs.values())
            ):
                return True
        return False


def strategy_record(order: StrategyOrder, leg: TriggerLeg, inst: Instrument) -> dict[str, Any]:
    """One row of a strategy list: one leg of ``order`` (spec §4.2.6) — ``triggerType`` and
    ``status`` are the leg's; the TP/SL fields are the whole order's (NODE's
    ``StrategyOrderV3`` carries both legs' prices on a row), empty for a leg it does not have;
    the generic trigger-order fields are empty."""
    na = defaults.NOT_APPLICABLE
    record: dict[str, Any] = {
        "orderId": order.order_id,
        "clientOid": order.client_oid,
        "category": order.category,
        "symbol": order.symbol,
        "type": order.type,
        "tpslMode": order.tpsl_mode,
        "qty": defaults.FULL_MODE_QTY if order.tpsl_mode == "full" else inst.qty_text(order.qty),
        "posSide": order.pos_side,
        "status": leg.status,
        "triggerType": leg.trigger_type,
    }
    fields: dict[str, str] = {}
    for trigger_type, (price_name, by_name, type_name, limit_name) in LEG_FIELDS.items():
        own = order.legs.get(trigger_type)
        fields[by_name] = own.trigger_by if own else na
        fields[price_name] = inst.price_text(own.price) if own else na
        fields[type_name] = own.order_type if own else na
        limit = own.limit_price if own else None
        fields[limit_name] = inst.price_text(limit) if limit is not None else na
    # Column order of spec §4.2.6: both price sources, both prices, both types, both limits.
    for name in (
        "tpTriggerBy",
        "slTriggerBy",
        "takeProfit",
        "stopLoss",
        "tpOrderType",
        "slOrderType",
        "tpLimitPrice",
        "slLimitPrice",
    ):
        record[name] = fields[name]
    for name in ("triggerBy", "triggerPrice", "triggerOrderType", "triggerOrderPrice"):
        record[name] = na
    record["createdTime"] = str(order.created_ms)
    record["updatedTime"] = str(max(order.updated_ms, leg.updated_ms))
    return record
