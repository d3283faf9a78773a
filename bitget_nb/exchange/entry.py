"""Order entry: validate, accept, match and settle orders; modify and cancel them
(spec §4.1.1–§4.1.8, §5.2).

:class:`OrderEntry` takes typed commands (:mod:`.commands`) and changes the account: it
checks a new order against the instrument's rules, the hold mode and the positions
(:class:`~.futures.PositionRules`), the open-order caps, the attached TP/SL and the free
balance; then accepts it, matches it on its instrument's engine (:mod:`.matching`) and
settles every execution through the category's settlement (:mod:`.settlement`) at the fee
model's rate. A refusal is :class:`~.rejections.Rejected`, raised before any state changes.

After a futures fill it tells its :class:`FillListener` (the futures desk: PnL, lead flags,
TP/SL), cancels close orders that no longer fit their position, and re-locks what the open
orders of the symbol need. Orders it sends itself — close-positions' market closes, a fired
TP/SL leg's close — are commands too (:func:`~.commands.close_order`).

Every change is announced (:mod:`.events`): an accepted order with what it locked, then per
execution the order, its fills, the positions and the balances.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Protocol

from .. import vocab
from . import defaults
from .accounts import Account
from .agenda import Agenda, SecondGrid
from .checks import check_notional, check_price, check_qty, num
from .clock import Clock
from .commands import ClosePositions, PlaceOrder, close_order
from .events import Notifier
from .fees import FeeModel, Liquidity
from .futures import PositionRules
from .instruments import Catalogue, Instrument
from .ledger import Ledger
from .marketdata import MarketData
from .matching import Books, MatchingEngine, Plan
from .orders import Fill, IdSequence, Order, OrderStore
from .positions import PositionBook
from .rejections import Reason, Rejected, invalid
from .settlement import Leg, Settlements
from .triggers import StrategyBook, build_legs, check_levels

__all__ = [
    "FUTURES_OPEN_CAP",
    "SPOT_MARGIN_OPEN_CAP",
    "CloseResult",
    "FillListener",
    "OrderEntry",
]

#: spec §4.1.1 rule 1 / §5.7: 400 open orders across spot and margin together.
SPOT_MARGIN_OPEN_CAP = 400
#: spec §4.1.1 rule 1: 400 open orders across the three futures lines together.
FUTURES_OPEN_CAP = 400
_SPOT_LINES = ("SPOT", "MARGIN")
_ZERO = Decimal(0)
_TOUCH = Decimal(defaults.TOUCH_FILL_FRACTION)

#: One close order of close-positions: the order, or the refusal that stopped the closing.
CloseResult = Order | Rejected


class FillListener(Protocol):
    """Who books what a futures fill did to the positions (the futures desk)."""

    def after_fill(self, order: Order, inst: Instrument, legs: list[Leg], when: int) -> None: ...


class OrderEntry:
    """New orders, modifications, cancellations and their fills, for one account."""

    def __init__(
        self,
        *,
        account: Account,
        catalogue: Catalogue,
        market: MarketData,
        fees: FeeModel,
        clock: Clock,
        store: OrderStore,
        positions: PositionBook,
        books: Books,
        settlements: Settlements,
        rules: PositionRules,
        strategy_book: StrategyBook,
        listener: FillListener,
        agenda: Agenda,
        grid: SecondGrid,
        notifier: Notifier,
        seed: int,
        ledger: Ledger,
    ) -> None:
        self.account = account
        self.ledger = ledger
        self.catalogue = catalogue
        self.market = market
        self.fees = fees
        self.clock = clock
        self.store = store
        self.positions = positions
        self.books = books
        self.settlements = settlements
        self.rules = rules
        self.strategy_book = strategy_book
        self.listener = listener
        self.agenda = agenda
        self.grid = grid
        self.notifier = notifier
        self._order_ids = IdSequence(seed=seed, stream="order")
        self._exec_ids = IdSequence(seed=seed, stream="exec")
        self._trade_ids = IdSequence(seed=seed, stream="trade")
        self._seq = 0
        #: Fees paid since the start, per coin (positive = paid): with the balances (and for
        #: futures the realised PnL and funding of the futures desk) this makes every coin
        #: add up (balances + fees = what the account started with + what it traded).
        self.fees_paid: dict[str, Decimal] = {}

    def _inst_of(self, order: Order) -> Instrument:
        inst = self.catalogue.get(order.category, order.symbol)
        assert inst is not None
        return inst

    # -- placing ------------------------------------------------------------------------------

    def place(self, cmd: PlaceOrder, *, now: int | None = None) -> Order:
        """Validate, accept and match one order; return it (spec §4.1.1). ``now`` places it
        at an earlier moment of a catch-up (a TP/SL leg that fired then)."""
        now = self.clock.now_ms() if now is None else now
        order, inst, replaced = self._draft(cmd, now)
        order.order_id = self._order_ids.next()
        if not order.client_oid:
            order.client_oid = defaults.AUTO_CLIENT_OID_PREFIX + order.order_id
        self.store.add(order)
        for older in replaced:  # the one-way reduce-only replacement rule (rule 4)
            self._cancel(older, defaults.CANCEL_REASON_REDUCE_ONLY, now)
        self.settlements.of(order.category).sync(order, inst)
        self.notifier.order_accepted(order, now)
        self.notifier.balances(now)
        self._execute(order, inst, now)
        if order.is_open and order.price is not None:
            self.agenda.rested(order, inst, self.grid.next_second(now))
        return order

    def _draft(self, cmd: PlaceOrder, now: int) -> tuple[Order, Instrument, tuple[Order, ...]]:
        """Check a new order (spec §4.1.1) and build it without an id; nothing changes. Also
        returns the older reduce-only orders its acceptance replaces (futures)."""
        inst = cmd.inst
        category = inst.category
        settlement = self.settlements.of(category)
        qty, price, amount = cmd.qty, cmd.price, _ZERO
        if cmd.order_type == "limit":
            assert price is not None, "the API layer requires a price for limit orders"
            check_price(inst, price)
            check_qty(inst, qty)
            check_notional(inst, price * qty, "order value price × qty")
        elif cmd.side == "buy" and category in _SPOT_LINES:
            # A spot market buy is sized in quote (spec §4.1.1).
            if -qty.normalize().as_tuple().exponent > inst.quote_decimals:  # type: ignore[operator]
                raise Rejected(
                    Reason.QTY_OFF_STEP,
                    f"qty of a {category} market buy is the {inst.quote_coin} amount to "
                    f"spend, with at most {inst.quote_decimals} decimals; got {num(qty)}",
                )
            check_notional(inst, qty, "market buy amount")
            amount, qty = qty, _ZERO
        else:
            check_qty(inst, qty, market=True)
            last = self.market.price(inst, now)
            check_notional(inst, qty * last, "order value qty × last price")
        if cmd.client_oid is not None:
            earlier = self.store.by_client_oid(cmd.client_oid)
            if earlier is not None and earlier.is_open:
                raise Rejected(
                    Reason.DUPLICATE_CLIENT_OID,
                    f"order {earlier.order_id} with clientOid {cmd.client_oid} is open",
                )
        reduce_only = cmd.reduce_only
        intent = None
        if inst.is_futures:
            intent = self.rules.intent(
                inst,
                cmd.side,
                pos_side=cmd.pos_side,
                margin_mode=cmd.margin_mode,
                reduce_only=reduce_only,
                qty=qty,
            )
            reduce_only = intent.reduce_only
            self.rules.check_opening(inst, intent, cmd.side, qty)
        can_rest = cmd.order_type == "limit" and cmd.time_in_force in ("gtc", "post_only")
        if can_rest or not defaults.CAP_ONLY_RESTING_ORDERS:
            self._check_caps(inst)
        order = Order(
            order_id="",
            client_oid=cmd.client_oid or "",
            category=category,
            symbol=inst.symbol,
            side=cmd.side,
            order_type=cmd.order_type,
            time_in_force=cmd.time_in_force,
            price=price,
            qty=qty,
            amount=amount,
            stp_mode=cmd.stp_mode or self.account.stp_mode or "none",
            reduce_only=reduce_only,
            created_ms=now,
            updated_ms=now,
            presets=dict(cmd.presets),
        )
        if intent is not None:
            order.pos_side, order.trade_side = intent.pos_side, intent.trade_side
            order.hold_mode = self.account.hold_mode
            order.margin_mode = self.account.symbol_configs[(category, inst.symbol)].margin_mode
            self._check_presets(order, inst, now)
        coin, need = settlement.requirement(order, inst)
        settlement.check(coin, need + settlement.fee_buffer(order, inst))
        return order, inst, intent.replaced if intent is not None else ()

    def _check_presets(self, order: Order, inst: Instrument, now: int) -> None:
        """Attached TP/SL (spec §4.1.1, §5.4): on opening orders only, prices on the tick,
        a limit price for a limit leg, long TP above / SL below the order's price (last for a
        market order), and room for one more strategy order on the position."""
        legs = build_legs(
            order.presets, inst, order_type_default=defaults.PRESET_ORDER_TYPE_DEFAULT
        )
        if not legs:
            return
        if order.reduce_only and defaults.PRESETS_ON_OPENING_ORDERS_ONLY:
            raise invalid(
                "takeProfit/stopLoss attach to orders that open a position, not to closing or "
                "reduce-only orders; use place-strategy-order to protect a position"
            )
        side = "long" if order.side == "buy" else "short"
        reference = order.price if order.price is not None else self.market.price(inst, now)
        what = "order price" if order.price is not None else "last price"
        check_levels(side, legs, lambda leg: reference, inst, what)
        if defaults.PRESET_TPSL_TO_STRATEGY:
            self.strategy_book.check_room(inst, side)

    def _check_caps(self, inst: Instrument) -> None:
        if inst.is_futures:
            count = self.store.open_count(vocab.FUTURES_CATEGORIES)
            if count >= FUTURES_OPEN_CAP:
                raise Rejected(
                    Reason.OPEN_ORDER_CAP,
                    f"{count} futures orders are open; at most {FUTURES_OPEN_CAP} may be",
                )
        if inst.category in _SPOT_LINES:
            count = self.store.open_count(_SPOT_LINES)
            if count >= SPOT_MARGIN_OPEN_CAP:
                raise Rejected(
                    Reason.OPEN_ORDER_CAP,
                    f"{count} spot and margin orders are open; at most "
                    f"{SPOT_MARGIN_OPEN_CAP} may be",
                )
        cap = inst.max_open_orders
        if cap is not None:
            count = self.store.open_count((inst.category,), inst.symbol)
            if count >= cap:
                raise Rejected(
                    Reason.OPEN_ORDER_CAP,
                    f"{count} orders are open on {inst.symbol}; at most {cap} may be",
                )

    # -- modifying ----------------------------------------------------------------------------

    def modify(
        self,
        order: Order,
        *,
        qty: Decimal | None,
        price: Decimal | None,
        auto_cancel: bool = False,
    ) -> Order:
        """Change an open order's price and/or qty, keeping its orderId (spec §4.1.3, §9 #10).

        A new price or a larger qty loses time priority; the modified order matches again as a
        taker if its new price crosses. A refused modification with ``auto_cancel`` cancels
        the order (:data:`defaults.AUTO_CANCEL_ON_FAILED_MODIFY`) and is still refused.
        """
        try:
            if qty is None and price is None:
                raise invalid("qty or price is required")
            self._modify(order, qty, price)
        except Rejected:
            self.modify_failed(order, auto_cancel=auto_cancel)
            raise
        return order

    def modify_failed(self, order: Order, *, auto_cancel: bool) -> None:
        """A modification of ``order`` was refused: with ``auto_cancel``, cancel it."""
        if auto_cancel and defaults.AUTO_CANCEL_ON_FAILED_MODIFY and order.is_open:
            self._cancel(order, defaults.CANCEL_REASON_MODIFY, self.clock.now_ms())

    def _modify(self, order: Order, new_qty: Decimal | None, new_price: Decimal | None) -> None:
        now = self.clock.now_ms()
        inst = self._inst_of(order)
        assert order.price is not None, "only limit orders stay open"
        price = order.price if new_price is None else new_price
        qty = order.qty if new_qty is None else new_qty
        if price == order.price and qty == order.qty:
            raise Rejected(Reason.UNCHANGED, f"price {num(price)} and qty {num(qty)}")
        check_price(inst, price)
        check_qty(inst, qty)
        check_notional(inst, price * qty, "order value price × qty")
        if qty < order.cum_exec_qty:
            raise Rejected(
                Reason.QTY_BELOW_FILLED,
                f"qty {num(qty)} is below the filled quantity "
                f"{num(order.cum_exec_qty)} of order {order.order_id}",
            )
        if inst.is_futures:
            self.rules.check_modified_close(order, inst, qty - order.cum_exec_qty)
        settlement = self.settlements.of(order.category)
        coin, need = settlement.requirement(order, inst, price=price, qty=qty)
        settlement.check(coin, need - order.reserved)
        # Accepted: nothing above changed any state.
        loses_priority = price != order.price or qty > order.qty
        self.books.of(inst).remove(order)
        order.price, order.qty = price, qty
        order.updated_ms = now
        if qty == order.cum_exec_qty:
            self._finish(order, "filled", "", now)
            self.notifier.order_modified(order, now)
            self.notifier.balances(now)
            return
        settlement.sync(order, inst)
        self.notifier.order_modified(order, now)
        self.notifier.balances(now)
        self._execute(order, inst, now, new_seq=loses_priority)

    # -- cancelling ---------------------------------------------------------------------------

    def cancel(self, order: Order, reason: str = defaults.CANCEL_REASON_USER) -> Order:
        """Cancel one open order now; refused when it is already closed (spec §4.1.5)."""
        if not order.is_open:
            raise Rejected(Reason.UNKNOWN_ORDER, f"order {order.order_id} is {order.status}")
        self._cancel(order, reason, self.clock.now_ms())
        return order

    def cancel_open(self, category: str | None, symbol: str | None, reason: str) -> list[Order]:
        """Cancel every open order (of a category, and a symbol); the cancelled, oldest first
        (spec §4.1.7)."""
        now = self.clock.now_ms()
        done = []
        for order in self.store.open_orders(category, symbol):
            self._cancel(order, reason, now)
            done.append(order)
        return done

    def cancel_at(self, order: Order, reason: str, when: int) -> None:
        """Cancel an open order for ``reason`` at ``when`` (catch-up, the countdown)."""
        if order.is_open:
            self._cancel(order, reason, when)

    # -- close-positions (spec §4.1.8, §5.5) ----------------------------------------------------

    def close_positions(self, cmd: ClosePositions) -> list[CloseResult]:
        """Market-close every selected position: first cancel its open close orders, then
        send close orders of at most ``maxMarketOrderQty`` each until it is flat, the book
        runs out or an order is refused (that refusal ends its list)."""
        chosen = self.positions.open_positions(cmd.category, cmd.symbol, cmd.pos_side)
        if not chosen:
            where = " ".join(x for x in (cmd.category, cmd.symbol, cmd.pos_side) if x)
            raise Rejected(Reason.NO_POSITION, f"no open position in {where}")
        now = self.clock.now_ms()
        hedge = self.account.hold_mode == "hedge_mode"
        results: list[CloseResult] = []
        for position in chosen:
            inst = self.catalogue.get(position.category, position.symbol)
            assert inst is not None
            for order in self.rules.closing_orders(position):
                self.cancel_at(order, defaults.CANCEL_REASON_CLOSE_POSITIONS, now)
            cap = inst.max_market_qty
            while position.size > 0:
                qty = position.size if cap is None else min(position.size, cap)
                try:
                    order = self.place(close_order(position, inst, qty, hedge=hedge), now=now)
                except Rejected as exc:
                    results.append(exc)
                    break
                results.append(order)
                if order.cum_exec_qty < qty:
                    break  # the book ran out: what is left stays open
        return results

    # -- resting orders (catch-up) ----------------------------------------------------------------

    def fill_resting(self, order: Order, through: bool, when: int) -> None:
        """The market reached a resting order at ``when``: it fills as maker at its limit —
        all of it when the price went through, :data:`defaults.TOUCH_FILL_FRACTION` of it on
        a mere touch."""
        if not order.is_open:
            return
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
        scope: Liquidity,
        link_id: str,
        when: int,
    ) -> None:
        """Settle one execution of ``order`` and record its fill (one fill record per leg:
        a one-way execution that flips a position records its close and its open part)."""
        rate = self.fees.rate(inst, scope)
        settlement = self.settlements.of(order.category)
        legs = settlement.fill(order, inst, price, qty, rate, when)
        order.cum_exec_qty += qty
        order.cum_exec_value += price * qty
        fills = []
        for leg in legs:
            order.fees[leg.fee_coin] = order.fees.get(leg.fee_coin, _ZERO) + leg.fee
            self.fees_paid[leg.fee_coin] = self.fees_paid.get(leg.fee_coin, _ZERO) + leg.fee
            fill = Fill(
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
            self.store.add_fill(fill)
            fills.append(fill)
            if leg.position is not None:
                self.ledger.futures_fill(fill, order, leg.position)
            else:
                self.ledger.spot_fill(fill, inst)
        order.updated_ms = max(order.updated_ms, when)
        if not order.quote_sized and order.cum_exec_qty == order.qty:
            self._finish(order, "filled", "", when)
        else:
            order.status = "partially_filled"
            # A taker buy that filled below its limit frees the difference.
            settlement.sync(order, inst)
        self.notifier.order_filled(order, when)
        for fill in fills:
            self.notifier.fill(fill)
        if inst.is_futures:
            self.listener.after_fill(order, inst, legs, when)
            self._trim(inst, when)
            self._resync(inst, when)
        self.notifier.balances(when)

    def _trim(self, inst: Instrument, when: int) -> None:
        """Cancel the oldest close orders of each side until the rest fits its position (a
        position that shrank, flipped or closed; spec §4.1.1 rule 4)."""
        for pos_side in ("long", "short"):
            orders = [
                o
                for o in self.store.open_orders(inst.category, inst.symbol)
                if o.reduce_only and o.pos_side == pos_side
            ]
            if not orders:
                continue
            position = self.positions.get(inst.category, inst.symbol, pos_side)
            size = position.size if position is not None else _ZERO
            total = sum((o.remaining for o in orders), _ZERO)
            for order in orders:
                if total <= size:
                    break
                total -= order.remaining
                self.cancel_at(order, defaults.CANCEL_REASON_REDUCE_ONLY, when)

    def _resync(self, inst: Instrument, when: int) -> None:
        """Re-lock every open order of ``inst`` to what it needs now (one-way: the opening part
        of an order depends on the position)."""
        settlement = self.settlements.futures(inst.category)
        for order in self.store.open_orders(inst.category, inst.symbol):
            if settlement.sync(order, inst):
                self.notifier.order_relocked(order, when)

    def _finish(self, order: Order, status: str, reason: str, when: int) -> None:
        """Move an order to a terminal status and release what it held."""
        order.status = status
        order.cancel_reason = reason
        order.updated_ms = max(order.updated_ms, when)
        inst = self._inst_of(order)
        self.books.of(inst).remove(order)
        self.store.closed(order)
        self.settlements.of(order.category).sync(order, inst)

    def _cancel(self, order: Order, reason: str, when: int) -> None:
        self._finish(order, "cancelled", reason, when)
        self.notifier.order_cancelled(order, when)
        self.notifier.balances(when)

    def _apply(self, taker: Order, inst: Instrument, plan: Plan, now: int) -> None:
        book_side = "a" if taker.side == "buy" else "b"
        engine = self.books.of(inst)
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
        engine = self.books.of(inst)
        tif = order.time_in_force
        limit = order.order_type == "limit"
        if limit and tif == "post_only":
            if engine.would_take(order, now):
                # Accepted, then cancelled: no error code (spec §2.4.5, §9 #4).
                self._cancel(order, defaults.CANCEL_REASON_POST_ONLY, now)
            else:
                self._rest(order, engine, new_seq, now)
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
                self._finish(order, "filled", "", now)
                self.notifier.order_filled(order, now)
                self.notifier.balances(now)
            else:
                self._cancel(order, defaults.CANCEL_REASON_MARKET, now)
        elif tif == "ioc":
            self._cancel(order, defaults.CANCEL_REASON_IOC, now)
        else:
            self._rest(order, engine, new_seq, now)

    def _rest(self, order: Order, engine: MatchingEngine, new_seq: bool, when: int) -> None:
        if new_seq or not order.seq:
            order.seq = self._next_seq()
        engine.rest(order)
        self.notifier.order_rested(order, when)
