"""TP/SL strategy orders as values, and the book that keeps them (spec §4.2, §5.4).

A :class:`StrategyOrder` protects one position (symbol + ``posSide``) with up to two legs —
a take-profit and a stop-loss, each a :class:`TriggerLeg` with its trigger price, the price
it watches (``market`` = last, or ``mark``) and the order it sends. The behaviour around them
(placing, triggering, cancelling) is :class:`~.strategies.StrategyDesk`'s; this module is the
state and the pure rules, so the event and command modules can name them without depending
on any desk.

>>> leg = TriggerLeg("stopLoss", Decimal("50000"))
>>> leg.price_type, fires_upward("long", "stopLoss")
('market', False)
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from . import defaults
from .instruments import Instrument
from .orders import IdSequence, LegFields
from .positions import Position
from .rejections import Reason, Rejected, invalid

__all__ = [
    "LEG_FIELDS",
    "LegFields",
    "StrategyBook",
    "StrategyOrder",
    "TriggerLeg",
    "build_legs",
    "check_levels",
    "fires_upward",
]

#: Wire names of each leg: trigger price, price source, order type, limit price (the words
#: of the domain's messages, spec §4.2.1).
LEG_FIELDS: dict[str, tuple[str, str, str, str]] = {
    "takeProfit": ("takeProfit", "tpTriggerBy", "tpOrderType", "tpLimitPrice"),
    "stopLoss": ("stopLoss", "slTriggerBy", "slOrderType", "slLimitPrice"),
}
_LEG_WORDS = {"takeProfit": "take-profit", "stopLoss": "stop-loss"}
TERMINAL = ("success", "failed", "cancelled")


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
        """The market series it watches: ``market`` (last) or ``mark``."""
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

    @property
    def finished(self) -> bool:
        """Every leg done (success, failed or cancelled): the order is history."""
        return all(leg.status in TERMINAL for leg in self.legs.values())

    @property
    def status(self) -> str:
        """The whole order's status, as its one row shows it: ``pending`` while a leg waits;
        then the fired leg's (``submitting`` while its close order is sent, ``success``,
        ``failed``); ``cancelled`` when no leg fired."""
        statuses = {leg.status for leg in self.legs.values()}
        return next(
            (s for s in ("pending", "submitting", "success", "failed") if s in statuses),
            "cancelled",
        )

    @property
    def fired(self) -> TriggerLeg | None:
        """The leg that fired (its close order placed, being sent, or failed), if any."""
        for status in ("success", "submitting", "failed"):
            for leg in self.legs.values():
                if leg.status == status:
                    return leg
        return None

    @property
    def last_change_ms(self) -> int:
        """When the order or one of its legs last changed."""
        return max([self.updated_ms, *(leg.updated_ms for leg in self.legs.values())])

    def protects(self, position: Position) -> bool:
        return (self.category, self.symbol, self.pos_side) == position.key

    def cancel_legs(self, when: int) -> bool:
        """Cancel every pending leg at ``when``; whether any was."""
        done = False
        for leg in self.legs.values():
            if leg.status == "pending":
                leg.status, leg.updated_ms = "cancelled", when
                done = True
        if done:
            self.updated_ms = max(self.updated_ms, when)
        return done


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
    """Long TP above and long SL below the reference price, short mirrored; ``what`` names
    the reference in the message."""
    for trigger_type, leg in legs.items():
        ref = reference(leg)
        upward = fires_upward(pos_side, trigger_type)
        if (upward and leg.price <= ref) or (not upward and leg.price >= ref):
            where = "above" if upward else "below"
            raise Rejected(
                Reason.TPSL_PRICE_RULE,
                f"the {_LEG_WORDS[trigger_type]} of a {pos_side} position must be {where} "
                f"the {what} {inst.price_text(ref)}; got {inst.price_text(leg.price)}",
            )


def _on_tick(inst: Instrument, name: str, price: Decimal) -> None:
    if price % inst.tick:
        raise Rejected(
            Reason.PRICE_OFF_TICK,
            f"{name} {format(price.normalize(), 'f')} is not a multiple of the tick "
            f"{format(inst.tick.normalize(), 'f')} for {inst.symbol}",
        )


def build_legs(
    fields: Mapping[str, LegFields],
    inst: Instrument,
    *,
    order_type_default: str = "market",
    base: Mapping[str, TriggerLeg] | None = None,
) -> dict[str, TriggerLeg]:
    """The legs a command names: a leg per trigger price given, or, with ``base``, a pending
    leg whose other fields the command changes. Prices must sit on the tick; a limit leg
    needs its limit price."""
    legs: dict[str, TriggerLeg] = {}
    for trigger_type, (price_name, _, type_name, limit_name) in LEG_FIELDS.items():
        given = fields.get(trigger_type) or LegFields()
        old = (base or {}).get(trigger_type)
        price = given.price
        if price is None and (old is None or old.status != "pending"):
            continue
        if price is None:
            assert old is not None
            price = old.price
        _on_tick(inst, price_name, price)
        by = given.trigger_by or (old.trigger_by if old else "market")
        kind = given.order_type or (old.order_type if old else order_type_default)
        limit = given.limit_price
        if limit is None and old is not None:
            limit = old.limit_price
        if kind == "limit":
            if limit is None:
                raise invalid(f"{limit_name} is required when {type_name} is limit")
            _on_tick(inst, limit_name, limit)
        else:
            limit = None
        legs[trigger_type] = TriggerLeg(trigger_type, price, by, kind, limit)
    return legs


def preset_legs(presets: Mapping[str, LegFields]) -> dict[str, TriggerLeg]:
    """The attached TP/SL of an order (as submitted) as legs of its strategy order."""
    legs: dict[str, TriggerLeg] = {}
    for trigger_type, fields in presets.items():
        if fields.price is None:
            continue
        kind = fields.order_type or defaults.PRESET_ORDER_TYPE_DEFAULT
        limit = fields.limit_price
        legs[trigger_type] = TriggerLeg(
            trigger_type,
            _plain(fields.price),
            fields.trigger_by or "market",
            kind,
            _plain(limit) if kind == "limit" and limit else None,
        )
    return legs


def _plain(value: Decimal) -> Decimal:
    return Decimal(format(value.normalize(), "f"))


class StrategyBook:
    """The strategy orders of one account: by id (= creation order), by clientOid, the ids
    in a list so a history page starts at its cursor by bisection, and the ones with a
    pending leg apart (an order never becomes pending again once no leg is), so catch-up and
    the per-position caps look at what is live, not at the whole history."""

    def __init__(self, *, seed: int) -> None:
        self._ids = IdSequence(seed=seed, stream="strategy")
        self._orders: dict[str, StrategyOrder] = {}
        self._by_client_oid: dict[str, StrategyOrder] = {}
        self._keys: list[int] = []
        self._list: list[StrategyOrder] = []
        self._live: dict[str, StrategyOrder] = {}

    def next_id(self) -> str:
        return self._ids.next()

    def add(self, order: StrategyOrder) -> None:
        self._orders[order.order_id] = order
        self._by_client_oid[order.client_oid] = order
        self._keys.append(int(order.order_id))
        self._list.append(order)
        self._live[order.order_id] = order

    def live(self) -> list[StrategyOrder]:
        """Strategy orders with a pending leg, oldest first (the others are let go)."""
        for order_id in [i for i, o in self._live.items() if not o.pending]:
            del self._live[order_id]
        return list(self._live.values())

    def get(self, order_id: str) -> StrategyOrder | None:
        return self._orders.get(order_id)

    def by_client_oid(self, client_oid: str) -> StrategyOrder | None:
        return self._by_client_oid.get(client_oid)

    def orders(self) -> list[StrategyOrder]:
        """Every strategy order, oldest first."""
        return list(self._list)

    def newest(self, before: int | None = None) -> Iterator[StrategyOrder]:
        """Strategy orders newest first, below the id ``before`` when given."""
        hi = len(self._keys) if before is None else bisect.bisect_left(self._keys, before)
        for i in range(hi - 1, -1, -1):
            yield self._list[i]

    def pending(self) -> Iterator[tuple[StrategyOrder, TriggerLeg]]:
        """Pending legs, oldest order first."""
        for order in self.live():
            for leg in order.legs.values():
                if leg.status == "pending":
                    yield order, leg

    def count_pending(self, category: str, symbol: str, pos_side: str, mode: str | None) -> int:
        return sum(
            1
            for o in self.live()
            if (o.category, o.symbol, o.pos_side) == (category, symbol, pos_side)
            and (mode is None or o.tpsl_mode == mode)
        )

    def check_room(self, inst: Instrument, pos_side: str, mode: str = "partial") -> None:
        """Refused when the position already has as many pending strategy orders as allowed
        (:data:`defaults.STRATEGY_ORDERS_PER_POSITION_MAX`; one ``full``)."""
        count = self.count_pending(inst.category, inst.symbol, pos_side, None)
        cap = defaults.STRATEGY_ORDERS_PER_POSITION_MAX
        if count >= cap:
            raise Rejected(
                Reason.STRATEGY_ROOM,
                f"the {pos_side} position on {inst.symbol} has {count} pending "
                f"TP/SL orders; at most {cap} may be pending",
            )
        if mode == "full" and self.count_pending(inst.category, inst.symbol, pos_side, "full"):
            raise Rejected(
                Reason.STRATEGY_ROOM,
                f"the {pos_side} position on {inst.symbol} already has a "
                "full-position TP/SL; modify or cancel it",
            )

    def __len__(self) -> int:
        return len(self._list)
