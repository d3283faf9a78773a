"""The futures desk: hold-mode rules, positions, funding, leverage and close-positions
(spec §4.1.1, §4.1.8, §4.3, §4.4.4, §5.3, §5.5).

:class:`FuturesDesk` belongs to the trading desk (:class:`~.trading.Trading`), which matches
futures orders on the same engines as spot and settles their fills with
:class:`~.settlement.FuturesSettlement`. This module decides what an order MEANS for the
position book before it is accepted (:meth:`FuturesDesk.intent`), keeps open close orders
within the positions they close after every fill (:meth:`FuturesDesk.after_fill`), settles
funding as the clock crosses funding times, and serves the position endpoints.

>>> from bitget_nb.exchange.clock import ManualClock
>>> from bitget_nb.exchange.venue import Venue
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> ack = venue.call("submit_new_order", {"category": "USDT-FUTURES", "symbol": "BTCUSDT",
...     "side": "buy", "orderType": "market", "qty": "0.01"}, venue.trader)
>>> row = venue.call("get_current_position", {"category": "USDT-FUTURES"}, venue.trader)["list"][0]
>>> row["posSide"], row["total"], row["holdMode"], row["marginMode"]
('long', '0.0100', 'one_way_mode', 'crossed')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import vocab
from . import defaults
from . import params as p
from .accounts import Account
from .instruments import Instrument
from .orders import Order
from .params import ExchangeError
from .positions import (
    Position,
    PositionBook,
    is_inverse,
    maintenance_rate,
    margin_coin,
    money,
    position_history_record,
    position_record,
    position_value,
)
from .records import cursor, history_window, page
from .settlement import FuturesSettlement, Leg

if TYPE_CHECKING:
    from .trading import Trading

__all__ = ["FuturesDesk", "Intent"]

_ZERO = Decimal(0)
_HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Intent:
    """What a new futures order means (spec §5.3): the position side it opens or closes,
    ``open``/``close`` at placement, whether it may only reduce, and the older reduce-only
    orders the one-way replacement rule cancels when it is accepted (spec §4.1.1 rule 4)."""

    pos_side: str
    trade_side: str
    reduce_only: bool
    replaced: tuple[Order, ...] = field(default=())


def _opposite(side: str) -> str:
    return "short" if side == "long" else "long"


def _close_side(pos_side: str) -> str:
    """The order side that closes a ``pos_side`` position."""
    return "sell" if pos_side == "long" else "buy"


class FuturesDesk:
    """Positions of the account and the futures rules around them."""

    def __init__(self, trading: Trading, *, seed: int) -> None:
        self.trading = trading
        self.positions = PositionBook(seed=seed)
        #: Realised PnL and funding booked per margin coin since the start (with the fees,
        #: they make every coin add up).
        self.realised_by_coin: dict[str, Decimal] = {}
        self.funding_by_coin: dict[str, Decimal] = {}
        intervals = {
            int(inst.wire.get("fundInterval") or 8) * _HOUR_MS
            for inst in trading.catalogue
            if inst.is_futures
        }
        self._funding_intervals = sorted(intervals)

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def account(self) -> Account:
        return self.trading.account

    def settlement(self, inst: Instrument) -> FuturesSettlement:
        found = self.trading.settlement(inst.category)
        assert isinstance(found, FuturesSettlement)
        return found

    def _inst(self, position: Position) -> Instrument:
        inst = self.trading.catalogue.get(position.category, position.symbol)
        assert inst is not None
        return inst

    def mark(self, inst: Instrument, when: int | None = None) -> Decimal:
        now = self.trading.clock.now_ms() if when is None else when
        return self.trading.market.price(inst, now, "mark")

    # -- what an order means ------------------------------------------------------------------

    def intent(
        self,
        inst: Instrument,
        side: str,
        extras: Mapping[str, str],
        reduce_only: bool,
        qty: Decimal,
    ) -> Intent:
        """Judge a new order against the hold mode and the positions (spec §5.3); refuse it
        with 25236 / 22002 / 25227 / 25200 before anything changes."""
        config = self.account.symbol_configs[(inst.category, inst.symbol)]
        mode = extras.get("marginMode")
        if mode is not None and mode != config.margin_mode:
            raise p.bad(
                f"{inst.symbol} is in {config.margin_mode} margin mode; switch it with "
                f"set-leverage (marginMode={mode}) before sending marginMode={mode}"
            )
        given = extras.get("posSide")
        direction = "long" if side == "buy" else "short"
        if self.account.hold_mode == "hedge_mode":
            if given is None:
                raise ExchangeError(
                    defaults.WRONG_POSITION_TYPE_CODE,
                    detail="posSide (long or short) is required in hedge mode: buy+long opens a "
                    "long, sell+long closes it, sell+short opens a short, buy+short closes it",
                )
            if given == direction:
                return Intent(given, "open", False)
            position = self.positions.get(inst.category, inst.symbol, given)
            if position is None:
                raise ExchangeError(
                    defaults.NO_POSITION_CODE,
                    detail=f"{side}+{given} closes a {given} position, and there is no {given} "
                    f"position on {inst.symbol}",
                )
            self._check_close_capacity(inst, position, qty)
            return Intent(given, "close", True)
        if given is not None and defaults.POS_SIDE_IN_ONE_WAY_REFUSED:
            raise ExchangeError(
                defaults.WRONG_POSITION_TYPE_CODE,
                detail="posSide applies in hedge mode only; in one-way mode omit it (send "
                "reduceOnly=yes to close)",
            )
        position = self.positions.net(inst.category, inst.symbol)
        if reduce_only:
            if position is None or position.pos_side == direction:
                wanted = _opposite(direction)
                raise ExchangeError(
                    defaults.NO_POSITION_CODE,
                    detail=f"a reduce-only {side} closes a {wanted} position, and there is no "
                    f"{wanted} position on {inst.symbol}",
                )
            if qty > position.size:
                raise ExchangeError(
                    defaults.CLOSE_EXCEEDS_POSITION_CODE,
                    detail=f"reduce-only qty {_num(qty)} is more than the {position.pos_side} "
                    f"position of {inst.qty_text(position.size)} on {inst.symbol}",
                )
            # The replacement rule: the oldest reduce-only orders give way (rule 4).
            older = self.closing_orders(position)
            total = sum((o.remaining for o in older), qty)
            replaced = []
            for order in older:
                if total <= position.size:
                    break
                replaced.append(order)
                total -= order.remaining
            return Intent(position.pos_side, "close", True, tuple(replaced))
        if position is not None and position.pos_side != direction:
            return Intent(position.pos_side, "close", False)
        return Intent(direction, "open", False)

    def _check_close_capacity(self, inst: Instrument, position: Position, qty: Decimal) -> None:
        free = position.size - self.frozen(position)
        if qty > free:
            raise ExchangeError(
                defaults.CLOSE_EXCEEDS_POSITION_CODE,
                detail=f"qty {_num(qty)} is more than the {inst.qty_text(free)} left to close of "
                f"the {position.pos_side} position on {inst.symbol} "
                f"({inst.qty_text(position.size - free)} is held by open close orders)",
            )

    def check_modified_close(self, order: Order, inst: Instrument, new_remaining: Decimal) -> None:
        """A close order's new size must still fit what is left to close (25227)."""
        if not order.reduce_only:
            return
        position = self.positions.get(order.category, order.symbol, order.pos_side)
        size = position.size if position is not None else _ZERO
        others = (self.frozen(position) if position is not None else _ZERO) - order.remaining
        if new_remaining > size - others:
            raise ExchangeError(
                defaults.CLOSE_EXCEEDS_POSITION_CODE,
                detail=f"qty {_num(new_remaining)} left open is more than the "
                f"{inst.qty_text(size - others)} left to close of the {order.pos_side} "
                f"position on {inst.symbol}",
            )

    def check_opening(self, inst: Instrument, intent: Intent, side: str, qty: Decimal) -> None:
        """An order may not take a side beyond ``maxPositionNum`` (25230)."""
        cap = inst.wire.get("maxPositionNum")
        if not cap or intent.reduce_only:
            return
        direction = "long" if side == "buy" else "short"
        opening, existing = qty, _ZERO
        if self.account.hold_mode == "hedge_mode":
            found = self.positions.get(inst.category, inst.symbol, intent.pos_side)
            existing = found.size if found is not None else _ZERO
        else:
            position = self.positions.net(inst.category, inst.symbol)
            if position is not None and position.pos_side != direction:
                opening = max(_ZERO, qty - position.size)
            elif position is not None:
                existing = position.size
        if existing + opening > Decimal(cap):
            raise ExchangeError(
                defaults.MAX_POSITION_CODE,
                detail=f"a {direction} position of {_num(existing + opening)} {inst.base_coin} "
                f"would exceed maxPositionNum {cap} on {inst.symbol}",
            )

    # -- close orders and positions -----------------------------------------------------------

    def closing_orders(self, position: Position) -> list[Order]:
        """Open orders that can only close ``position``, oldest first."""
        return [
            o
            for o in self.trading.store.open_orders(position.category, position.symbol)
            if o.reduce_only and o.pos_side == position.pos_side
        ]

    def frozen(self, position: Position) -> Decimal:
        """Quantity of ``position`` held by open close orders (spec §4.3.1 ``frozen``)."""
        return sum((o.remaining for o in self.closing_orders(position)), _ZERO)

    def after_fill(self, order: Order, inst: Instrument, legs: list[Leg], when: int) -> None:
        """What a futures fill sets off: lead flags, the attached TP/SL becoming strategy
        orders, strategy orders of a closed position cancelled, close orders trimmed to the
        positions, and every open order's margin re-synced with the new positions."""
        strategies = self.trading.strategies
        for leg in legs:
            position = leg.position
            assert position is not None
            coin = position.margin_coin
            self.realised_by_coin[coin] = self.realised_by_coin.get(coin, _ZERO) + leg.exec_pnl
            if leg.opened:
                position.lead = self.trading.lead_check(position)
            if leg.flat:
                strategies.position_closed(position, when)
            elif leg.trade_side == "open" and defaults.PRESET_TPSL_TO_STRATEGY:
                strategies.from_preset(order, inst, leg, when)
        self.trim(inst, when)
        self.resync(inst)

    def trim(self, inst: Instrument, when: int) -> None:
        """Cancel the oldest close orders of each side until the rest fits its position (a
        position that shrank, flipped or closed; spec §4.1.1 rule 4)."""
        for pos_side in ("long", "short"):
            orders = [
                o
                for o in self.trading.store.open_orders(inst.category, inst.symbol)
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
                self.trading.cancel_order(order, defaults.CANCEL_REASON_REDUCE_ONLY, when)

    def resync(self, inst: Instrument) -> None:
        """Re-lock every open order of ``inst`` to what it needs now (one-way: the opening part
        of an order depends on the position)."""
        settlement = self.settlement(inst)
        for order in self.trading.store.open_orders(inst.category, inst.symbol):
            settlement.sync(order, inst)

    def has_exposure(self) -> bool:
        """Any futures position or open futures order (spec §9 #11)."""
        if len(self.positions):
            return True
        return any(self.trading.store.open_orders(c) for c in vocab.FUTURES_CATEGORIES)

    # -- funding ------------------------------------------------------------------------------

    def funding_times(self, start: int, end: int) -> Iterator[int]:
        """Funding moments in ``[start, end]``.

        Funding is settled at every multiple of the instrument's ``fundInterval`` hours
        since 00:00 UTC (00:00, 08:00, 16:00 for 8 h) that the exchange clock crosses
        (during catch-up: before any fill of that same moment), on every position open
        at that moment: ``payment = rate × position value at the mark price`` (linear
        ``size × mark``, inverse ``size × avgPrice / mark`` base coin), paid by longs
        and received by shorts when the rate is positive, rounded half-up to
        :data:`FEE_DECIMALS`, booked to the margin coin's balance and to the position's
        ``totalFunding`` (positive = received). [unverified] spec §4.3.1 names
        ``totalFunding`` only.
        """
        seen: set[int] = set()
        for interval in self._funding_intervals:
            first = -(-start // interval) * interval
            seen.update(range(first, end + 1, interval))
        yield from sorted(seen)

    def settle_funding(self, when: int) -> None:
        """Pay or receive funding on every position open at ``when`` whose instrument funds
        then: ``rate × value at mark``, longs pay a positive rate."""
        for position in self.positions.open_positions():
            inst = self._inst(position)
            interval = int(inst.wire.get("fundInterval") or 8) * _HOUR_MS
            if when % interval:
                continue
            rate = self.trading.market.funding_rate(inst, when)
            value = position_value(inst, position.size, position.cost, self.mark(inst, when))
            payment = money(rate * value)
            received = -payment if position.pos_side == "long" else payment
            coin = position.margin_coin
            self.account.balance(coin).available += received
            position.funding += received
            self.funding_by_coin[coin] = self.funding_by_coin.get(coin, _ZERO) + received

    # -- valuation ----------------------------------------------------------------------------

    def maintenance_margin(self, position: Position, mark: Decimal) -> Decimal:
        inst = self._inst(position)
        return position_value(inst, position.size, position.cost, mark) * maintenance_rate(inst)

    def backing(self, position: Position, now: int) -> Decimal:
        """Equity behind ``position`` for the liquidation estimate
        (liquidation is not simulated: see :mod:`.positions`)."""
        if position.margin_mode == "isolated":
            return position.margin
        coin = position.margin_coin
        balance = self.account.balance(coin)
        equity = balance.total
        for order in self.trading.store.open_orders():
            if order.reserve_coin == coin:
                equity -= order.reserved
        for other in self.positions.open_positions():
            if other is position or other.margin_coin != coin:
                continue
            if other.margin_mode == "isolated":
                equity -= other.margin
            else:
                inst = self._inst(other)
                mark = self.mark(inst, now)
                equity += other.unrealised(inst, mark) - self.maintenance_margin(other, mark)
        return equity

    def row(self, position: Position, now: int) -> dict[str, Any]:
        """The current-position record of ``position`` (spec §4.3.1)."""
        inst = self._inst(position)
        return position_record(
            position,
            inst,
            mark=self.mark(inst, now),
            leverage=self.settlement(inst).leverage(inst, position.pos_side),
            frozen=self.frozen(position),
            backing=self.backing(position, now),
        )

    def totals(self, now: int) -> dict[str, dict[str, Decimal]]:
        """Per margin coin: unrealised PnL (all, and of crossed positions), initial margin and
        maintenance margin of the open positions, in that coin."""
        out: dict[str, dict[str, Decimal]] = {}
        for position in self.positions.open_positions():
            inst = self._inst(position)
            mark = self.mark(inst, now)
            row = out.setdefault(
                position.margin_coin,
                {"upnl": _ZERO, "cross_upnl": _ZERO, "im": _ZERO, "mm": _ZERO},
            )
            gain = position.unrealised(inst, mark)
            row["upnl"] += gain
            if position.margin_mode == "crossed":
                row["cross_upnl"] += gain
            row["im"] += position.margin
            row["mm"] += self.maintenance_margin(position, mark)
        return out

    # -- leverage (spec §4.4.4) -----------------------------------------------------------------

    def set_leverage(
        self,
        inst: Instrument,
        *,
        leverage: int | None,
        long_leverage: int | None,
        short_leverage: int | None,
        pos_side: str | None,
        margin_mode: str | None,
    ) -> None:
        """Change a symbol's margin mode and leverage; re-size the margin its positions and
        open orders hold. Refused (nothing changes) with 25200 for a margin-mode switch while
        the symbol has a position or an open order, 25203 when more margin is needed than is
        free."""
        account = self.account
        config = account.symbol_configs[(inst.category, inst.symbol)]
        positions = self.positions.open_positions(inst.category, inst.symbol)
        orders = self.trading.store.open_orders(inst.category, inst.symbol)
        if margin_mode is not None and margin_mode != config.margin_mode and (positions or orders):
            raise ExchangeError(
                defaults.MARGIN_MODE_SWITCH_CODE,
                detail=f"the margin mode of {inst.symbol} cannot change while it has a position "
                "or an open order",
            )
        before = (config.margin_mode, config.leverage, config.long_leverage, config.short_leverage)
        if margin_mode is not None:
            config.margin_mode = margin_mode
        # ``posSide`` aims ``leverage`` at one side; explicit per-side values win; plain
        # ``leverage`` sets both sides (spec §4.4.4).
        if leverage is not None and pos_side is None:
            config.leverage = leverage
            config.long_leverage = config.short_leverage = None
        elif leverage is not None:
            if pos_side == "long":
                config.long_leverage = leverage
            else:
                config.short_leverage = leverage
        if long_leverage is not None:
            config.long_leverage = long_leverage
        if short_leverage is not None:
            config.short_leverage = short_leverage
        settlement = self.settlement(inst)
        margins = {
            id(pos): money(
                (pos.size if is_inverse(inst) else pos.cost)
                / settlement.leverage(inst, pos.pos_side)
            )
            for pos in positions
        }
        needs = {id(o): settlement.requirement(o, inst)[1] for o in orders}
        extra = sum((margins[id(pos)] - pos.margin for pos in positions), _ZERO)
        extra += sum((needs[id(o)] - o.reserved for o in orders), _ZERO)
        if extra > 0:
            try:
                settlement.check(margin_coin(inst), extra)
            except ExchangeError:
                (config.margin_mode, config.leverage) = before[:2]
                (config.long_leverage, config.short_leverage) = before[2:]
                raise
        for pos in positions:
            delta = margins[id(pos)] - pos.margin
            balance = account.balance(pos.margin_coin)
            balance.available -= delta
            balance.locked += delta
            pos.margin += delta
        for order in orders:
            settlement.sync(order, inst)

    # -- endpoints ----------------------------------------------------------------------------

    def _symbol(self, params: Mapping[str, Any], category: str) -> str | None:
        symbol = p.optional_text(params, "symbol")
        if symbol is None:
            return None
        return self.trading.instrument(category, symbol.strip()).symbol

    def current_position_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``current-position``: ``{"list": [...]}`` of open positions (spec §4.3.1)."""
        category = p.category(params, vocab.FUTURES_CATEGORIES)
        assert category is not None
        symbol = self._symbol(params, category)
        pos_side = p.choice(params, "posSide", vocab.POS_SIDES)
        now = self.trading.clock.now_ms()
        return {
            "list": [
                self.row(position, now)
                for position in self.positions.open_positions(category, symbol, pos_side)
            ]
        }

    def position_history_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``history-position``: closed positions newest first, 90-day look-back, ≤ 30-day
        windows on the close time (spec §4.3.2).

        Position history rows (spec §4.3.2) are kept when a position closes (a one-way
        flip closes one and opens another); windows apply to the close time
        (``updatedTime``). ``netProfit`` = cumRealisedPnl + totalFunding − openFeeTotal
        − closeFeeTotal. [unverified]
        """
        category = p.category(params, vocab.FUTURES_CATEGORIES)
        assert category is not None
        symbol = self._symbol(params, category)
        start, end = history_window(params, self.trading.clock.now_ms())
        limit = p.limit(
            params, default=defaults.LIST_LIMIT_DEFAULT, maximum=defaults.LIST_LIMIT_MAX
        )
        before = cursor(params)
        rows = (
            position
            for position in self.positions.newest_closed(before)
            if position.category == category
            and (symbol is None or position.symbol == symbol)
            and start <= position.updated_ms <= end
        )
        return page(
            rows, limit=limit, key=lambda pos: pos.position_id, record=position_history_record
        )

    def close_positions_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``close-positions``: market-close every selected position; one result row per close
        order (spec §4.1.8, :data:`defaults.CANCEL_REASON_CLOSE_POSITIONS`)."""
        category = p.category(params, vocab.FUTURES_CATEGORIES)
        assert category is not None
        symbol = self._symbol(params, category)
        pos_side = p.choice(params, "posSide", vocab.POS_SIDES)
        chosen = self.positions.open_positions(category, symbol, pos_side)
        if not chosen:
            where = " ".join(x for x in (category, symbol, pos_side) if x)
            raise ExchangeError(defaults.NO_POSITION_CODE, detail=f"no open position in {where}")
        trading = self.trading
        now = trading.clock.now_ms()
        rows: list[dict[str, str]] = []
        for position in chosen:
            inst = self._inst(position)
            for order in self.closing_orders(position):
                trading.cancel_order(order, defaults.CANCEL_REASON_CLOSE_POSITIONS, now)
            cap = inst.max_market_qty
            while position.size > 0:
                qty = position.size if cap is None else min(position.size, cap)
                params_ = self.close_params(position, inst, qty)
                try:
                    order = trading.place(params_, now=now)
                except ExchangeError as exc:
                    rows.append({"orderId": "", "clientOid": "", "code": exc.code, "msg": exc.msg})
                    break
                rows.append(
                    {
                        "orderId": order.order_id,
                        "clientOid": order.client_oid,
                        "code": defaults.BATCH_OK_CODE,
                        "msg": defaults.BATCH_OK_MSG,
                    }
                )
                if order.cum_exec_qty < qty:
                    break  # the book ran out: what is left stays open
        return {"list": rows}

    def close_params(
        self,
        position: Position,
        inst: Instrument,
        qty: Decimal,
        *,
        order_type: str = "market",
        price: Decimal | None = None,
    ) -> dict[str, str]:
        """place-order parameters of an order that closes ``qty`` of ``position`` in the
        account's hold mode (spec §5.3)."""
        params = {
            "category": position.category,
            "symbol": position.symbol,
            "side": _close_side(position.pos_side),
            "orderType": order_type,
            "qty": inst.qty_text(qty),
        }
        if price is not None:
            params["price"] = inst.price_text(price)
        if self.account.hold_mode == "hedge_mode":
            params["posSide"] = position.pos_side
        else:
            params["reduceOnly"] = "yes"
        return params


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
