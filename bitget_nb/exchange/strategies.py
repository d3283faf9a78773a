"""The strategy (TP/SL) desk: position take-profit / stop-loss orders (spec §4.2, §5.4).

Strategy orders (:mod:`.triggers`) come from place-strategy-order, or from an opening
order's attached TP/SL once it fills (:data:`defaults.PRESET_TPSL_TO_STRATEGY`). Both list
endpoints show one row per strategy order, with both legs' fields (the evidence is at
:func:`.records.strategy_record`): place-strategy-order answers one ``orderId``, and
cancel/modify act on the whole order. An order is in the open list while a leg waits, and in
the history once every leg is done.

During catch-up the scheduler asks :meth:`StrategyDesk.trigger_time` when a leg's price is
reached; at that moment :meth:`StrategyDesk.trigger` gives the close order to send, and
:meth:`StrategyDesk.triggered` books whether it was accepted. The desk never places orders
itself: order entry does, so the trigger path is scheduler → strategies → order entry, each
step over a narrow interface.

>>> from bitget_nb.exchange.clock import ManualClock
>>> from bitget_nb.exchange.venue import Venue
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> ack = venue.call("submit_new_order", {"category": "USDT-FUTURES", "symbol": "BTCUSDT",
...     "side": "buy", "orderType": "market", "qty": "0.01", "stopLoss": "50000"}, venue.trader)
>>> row, = venue.call("get_unfilled_strategy_orders", {"category": "USDT-FUTURES"}, venue.trader)
>>> row["tpslMode"], row["qty"], row["stopLoss"], row["takeProfit"], row["status"]
('partial', '0.0100', '50000.0', '', 'pending')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from . import defaults
from .accounts import Account
from .agenda import Agenda, SecondGrid
from .checks import check_qty
from .clock import Clock
from .commands import ModifyStrategy, PlaceOrder, PlaceStrategy, close_order
from .events import Notifier
from .futures import PositionRules
from .instruments import Catalogue, Instrument
from .marketdata import MarketData
from .orders import Order, Page
from .positions import Position, PositionBook
from .rejections import Reason, Rejected, invalid
from .settlement import Leg
from .triggers import (
    StrategyBook,
    StrategyOrder,
    TriggerLeg,
    build_legs,
    check_levels,
    fires_upward,
    preset_legs,
)

__all__ = ["StrategyDesk"]

_ZERO = Decimal(0)


class StrategyDesk:
    """The strategy orders of one account: placing, modifying, cancelling, triggering."""

    def __init__(
        self,
        *,
        account: Account,
        book: StrategyBook,
        positions: PositionBook,
        rules: PositionRules,
        market: MarketData,
        catalogue: Catalogue,
        clock: Clock,
        grid: SecondGrid,
        agenda: Agenda,
        notifier: Notifier,
    ) -> None:
        self.account = account
        self.book = book
        self.positions = positions
        self.rules = rules
        self.market = market
        self.catalogue = catalogue
        self.clock = clock
        self.grid = grid
        self.agenda = agenda
        self.notifier = notifier

    # -- lookups ------------------------------------------------------------------------------

    def orders(self) -> list[StrategyOrder]:
        """Every strategy order, oldest first."""
        return self.book.orders()

    def _inst(self, order: StrategyOrder) -> Instrument:
        inst = self.catalogue.get(order.category, order.symbol)
        assert inst is not None
        return inst

    def find(self, *, order_id: str | None, client_oid: str | None) -> StrategyOrder:
        """The pending strategy order named by ``order_id`` (which wins) or ``client_oid``."""
        if order_id is not None:
            found, named = self.book.get(order_id.strip()), f"orderId {order_id}"
        else:
            assert client_oid is not None
            found, named = self.book.by_client_oid(client_oid), f"clientOid {client_oid}"
        if found is None:
            raise Rejected(Reason.UNKNOWN_ORDER, f"no strategy order with {named}")
        if not found.pending:
            states = "/".join(sorted({leg.status for leg in found.legs.values()}))
            raise Rejected(
                Reason.UNKNOWN_ORDER, f"strategy order {found.order_id} is {states}, not pending"
            )
        return found

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
        order_id = self.book.next_id()
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
            active_ms=self.grid.next_second(when),
            legs=legs,
            origin_order_id=origin,
        )
        self.book.add(order)
        self.agenda.armed(order)
        self.notifier.strategy(order, when)
        return order

    # -- from attached TP/SL ------------------------------------------------------------------

    def from_preset(self, order: Order, inst: Instrument, leg: Leg, when: int) -> None:
        """An opening fill of an order with attached TP/SL: grow its strategy order, or make
        one (spec §5.4 recommendation)."""
        legs = preset_legs(order.presets)
        if not legs:
            return
        current = self.book.get(order.preset_strategy_id)
        if current is not None and current.untouched and current.pos_side == leg.pos_side:
            current.qty += leg.qty
            current.updated_ms = when
            self.notifier.strategy(current, when)
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
        for order in self.book.live():
            if order.protects(position) and order.cancel_legs(when):
                self.notifier.strategy(order, when)

    # -- triggering ---------------------------------------------------------------------------

    def pending(self) -> list[tuple[StrategyOrder, TriggerLeg]]:
        """Pending legs, oldest order first."""
        return list(self.book.pending())

    def trigger_time(
        self, order: StrategyOrder, leg: TriggerLeg, start: int, end: int
    ) -> int | None:
        """The first moment in ``[max(start, active), end]`` the leg's price is reached."""
        begin = max(start, order.active_ms)
        if begin > end:
            return None
        inst = self._inst(order)
        upward = fires_upward(order.pos_side, leg.trigger_type)
        return self.market.first_reach(
            inst,
            begin,
            end,
            int(leg.price / inst.tick),
            direction="up" if upward else "down",
            strict=False,
            price_type=leg.price_type,  # type: ignore[arg-type]
        )

    def trigger(self, order: StrategyOrder, leg: TriggerLeg, when: int) -> PlaceOrder | None:
        """A leg's price was reached at ``when``: the close order it sends, or ``None`` (the
        leg was no longer pending, or failed: nothing is left to close).

        A leg fires at the first second whose price (``tpTriggerBy``/``slTriggerBy``:
        ``market`` = last, ``mark``) reaches its level — long TP ≥, long SL ≤, short mirrored
        — from the second after it was placed or modified. It then sends a close order (its
        ``tpOrderType``: market, or limit at ``tpLimitPrice``) for its ``qty`` (``full``:
        the whole position), clipped to what is left to close; the leg → ``success`` when
        that order is accepted, ``failed`` when nothing is left to close or the order is
        refused (:meth:`triggered`). A fired leg cancels its sibling (the slice both
        protected is being closed); a position that closes cancels every pending leg
        protecting it. [unverified] spec §4.2.6 gives the status names only.
        """
        if leg.status != "pending":
            return None
        inst = self._inst(order)
        position = self.positions.get(order.category, order.symbol, order.pos_side)
        closable = _ZERO if position is None else position.size - self.rules.frozen(position)
        qty = closable if order.tpsl_mode == "full" else min(order.qty, closable)
        leg.updated_ms = when
        order.updated_ms = max(order.updated_ms, when)
        if position is None or qty <= 0:
            leg.status = "failed"
            self.notifier.strategy(order, when)
            return None
        leg.status = "submitting"  # not "pending": a close it causes does not cancel it
        hedge = self.account.hold_mode == "hedge_mode"
        return close_order(
            position, inst, qty, hedge=hedge, order_type=leg.order_type, price=leg.limit_price
        )

    def triggered(
        self, order: StrategyOrder, leg: TriggerLeg, when: int, *, accepted: bool
    ) -> None:
        """Book the outcome of a fired leg's close order."""
        if not accepted:
            leg.status = "failed"
        else:
            leg.status = "success"
            # The sibling protected the same quantity, which is being closed now.
            order.cancel_legs(when)
        self.notifier.strategy(order, when)

    # -- commands -----------------------------------------------------------------------------

    def _client_oid(self, client_oid: str | None, now: int) -> str | None:
        if client_oid is None:
            return None
        earlier = self.book.by_client_oid(client_oid)
        if (
            earlier is not None
            and now - earlier.created_ms < defaults.STRATEGY_CLIENT_OID_WINDOW_MS
        ):
            raise Rejected(
                Reason.DUPLICATE_CLIENT_OID,
                f"strategy order {earlier.order_id} used clientOid {client_oid} within "
                "the last 6 hours",
            )
        return client_oid

    @staticmethod
    def _qty(qty: Decimal | None, inst: Instrument, position: Position) -> Decimal:
        if qty is None:
            raise invalid("qty is required for tpslMode=partial")
        check_qty(inst, qty)
        if qty > position.size:
            raise invalid(
                f"qty {format(qty.normalize(), 'f')} is more than the {position.pos_side} "
                f"position of {inst.qty_text(position.size)} on {inst.symbol}"
            )
        return qty

    def _reference(self, inst: Instrument, now: int) -> Callable[[TriggerLeg], Decimal]:
        market = self.market
        return lambda leg: market.price(inst, now, leg.price_type)  # type: ignore[arg-type]

    def place(self, cmd: PlaceStrategy) -> StrategyOrder:
        """A position TP/SL (spec §4.2.1)."""
        now = self.clock.now_ms()
        inst = cmd.inst
        client_oid = self._client_oid(cmd.client_oid, now)
        legs = build_legs(cmd.legs, inst)
        if not legs:
            raise invalid("takeProfit or stopLoss is required")
        position = self.positions.get(inst.category, inst.symbol, cmd.pos_side)
        if position is None:
            raise Rejected(
                Reason.NO_POSITION_FOR_TPSL,
                f"no {cmd.pos_side} position on {inst.symbol} to protect",
            )
        qty = self._qty(cmd.qty, inst, position) if cmd.tpsl_mode == "partial" else _ZERO
        check_levels(cmd.pos_side, legs, self._reference(inst, now), inst, "current trigger price")
        self.book.check_room(inst, cmd.pos_side, cmd.tpsl_mode)
        return self._new(
            inst,
            pos_side=cmd.pos_side,
            mode=cmd.tpsl_mode,
            qty=qty,
            legs=legs,
            client_oid=client_oid,
            when=now,
        )

    def modify(self, cmd: ModifyStrategy) -> StrategyOrder:
        """New qty (required, spec §4.2.2) and TP/SL fields of a pending strategy order; a
        price given for a missing leg adds that leg."""
        now = self.clock.now_ms()
        order = self.find(order_id=cmd.order_id, client_oid=None)
        inst = self._inst(order)
        position = self.positions.get(order.category, order.symbol, order.pos_side)
        if position is None:
            raise Rejected(Reason.NO_POSITION_FOR_TPSL, f"no {order.pos_side} position")
        qty = self._qty(cmd.qty, inst, position)
        legs = build_legs(cmd.legs, inst, base=order.legs)
        check_levels(
            order.pos_side, legs, self._reference(inst, now), inst, "current trigger price"
        )
        if order.tpsl_mode == "partial":
            order.qty = qty
        for trigger_type, leg in legs.items():
            leg.updated_ms = now
            order.legs[trigger_type] = leg
        order.updated_ms = now
        order.active_ms = self.grid.next_second(now)
        self.agenda.armed(order)
        self.notifier.strategy(order, now)
        return order

    def cancel(self, order: StrategyOrder) -> StrategyOrder:
        """Cancel the pending legs of ``order``."""
        now = self.clock.now_ms()
        if order.cancel_legs(now):
            self.notifier.strategy(order, now)
        return order

    # -- lists --------------------------------------------------------------------------------

    @staticmethod
    def _chosen(
        category: str, kind: str | None, symbol: str | None
    ) -> Callable[[StrategyOrder], bool]:
        return lambda o: (
            o.category == category
            and (kind is None or o.type == kind)
            and (symbol is None or o.symbol == symbol)
        )

    def unfilled(self, category: str, kind: str | None, symbol: str | None) -> list[StrategyOrder]:
        """Strategy orders with a pending leg, newest first (spec §4.2.4): one row each."""
        chosen = self._chosen(category, kind, symbol)
        return [order for order in reversed(self.book.live()) if chosen(order)]

    def history(
        self,
        category: str,
        kind: str | None,
        symbol: str | None,
        *,
        start: int,
        end: int,
        limit: int,
        before: int | None,
    ) -> Page[StrategyOrder]:
        """Finished strategy orders (every leg done) newest first, windows on
        ``createdTime`` (spec §4.2.5): one row each."""
        chosen = self._chosen(category, kind, symbol)

        def finished() -> Iterator[StrategyOrder]:
            for order in self.book.newest(before):
                if order.created_ms < start:
                    return  # ids grow with time: everything further is older
                if chosen(order) and order.created_ms <= end and order.finished:
                    yield order

        return Page.take(finished(), limit)
