"""Futures: what an order means for the positions, and the positions' own bookkeeping
(spec §4.1.1, §4.3, §4.4.4, §5.3, §5.5).

:class:`PositionRules` judges a new futures order against the hold mode and the positions
before it is accepted (:meth:`PositionRules.intent`) and knows which open orders can only
close a position. :class:`FuturesDesk` books what each futures fill did (realised PnL, lead
flags, the attached TP/SL becoming strategy orders, the strategy orders of a closed position
cancelled), settles funding as the clock crosses funding times, values the positions (mark,
maintenance, the equity behind a liquidation estimate) and changes leverage. Matching and
settling the fill itself is order entry's (:mod:`.entry`) and the settlement's.

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

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from .. import vocab
from . import defaults
from .accounts import Account
from .checks import num
from .clock import Clock
from .commands import SetLeverage
from .events import Notifier
from .instruments import Catalogue, Instrument
from .ledger import Ledger
from .marketdata import MarketData
from .orders import Order, OrderStore
from .positions import (
    Position,
    PositionBook,
    is_inverse,
    maintenance_rate,
    margin_coin,
    money,
    position_value,
)
from .rejections import Reason, Rejected, invalid
from .settlement import FuturesSettlement, Leg, Settlements

__all__ = ["FuturesDesk", "Intent", "LeadPolicy", "PositionRules", "Protection"]

_ZERO = Decimal(0)


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


class PositionRules:
    """The hold-mode rules of new futures orders, over the positions and the open orders."""

    def __init__(self, account: Account, positions: PositionBook, store: OrderStore) -> None:
        self.account = account
        self.positions = positions
        self.store = store

    def intent(
        self,
        inst: Instrument,
        side: str,
        *,
        pos_side: str | None,
        margin_mode: str | None,
        reduce_only: bool,
        qty: Decimal,
    ) -> Intent:
        """Judge a new order against the hold mode and the positions (spec §5.3); refuse it
        before anything changes."""
        config = self.account.symbol_configs[(inst.category, inst.symbol)]
        if margin_mode is not None and margin_mode != config.margin_mode:
            raise invalid(
                f"{inst.symbol} is in {config.margin_mode} margin mode; switch it with "
                f"set-leverage (marginMode={margin_mode}) before sending "
                f"marginMode={margin_mode}"
            )
        direction = "long" if side == "buy" else "short"
        if self.account.hold_mode == "hedge_mode":
            if pos_side is None:
                raise Rejected(
                    Reason.WRONG_POSITION_TYPE,
                    "posSide (long or short) is required in hedge mode: buy+long opens a "
                    "long, sell+long closes it, sell+short opens a short, buy+short closes it",
                )
            if pos_side == direction:
                return Intent(pos_side, "open", False)
            position = self.positions.get(inst.category, inst.symbol, pos_side)
            if position is None:
                raise Rejected(
                    Reason.NO_POSITION,
                    f"{side}+{pos_side} closes a {pos_side} position, and there is no "
                    f"{pos_side} position on {inst.symbol}",
                )
            self._check_close_capacity(inst, position, qty)
            return Intent(pos_side, "close", True)
        if pos_side is not None and defaults.POS_SIDE_IN_ONE_WAY_REFUSED:
            raise Rejected(
                Reason.WRONG_POSITION_TYPE,
                "posSide applies in hedge mode only; in one-way mode omit it (send "
                "reduceOnly=yes to close)",
            )
        position = self.positions.net(inst.category, inst.symbol)
        if reduce_only:
            if position is None or position.pos_side == direction:
                wanted = _opposite(direction)
                raise Rejected(
                    Reason.NO_POSITION,
                    f"a reduce-only {side} closes a {wanted} position, and there is no "
                    f"{wanted} position on {inst.symbol}",
                )
            if qty > position.size:
                raise Rejected(
                    Reason.CLOSE_EXCEEDS_POSITION,
                    f"reduce-only qty {num(qty)} is more than the {position.pos_side} "
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
            raise Rejected(
                Reason.CLOSE_EXCEEDS_POSITION,
                f"qty {num(qty)} is more than the {inst.qty_text(free)} left to close of "
                f"the {position.pos_side} position on {inst.symbol} "
                f"({inst.qty_text(position.size - free)} is held by open close orders)",
            )

    def check_modified_close(self, order: Order, inst: Instrument, new_remaining: Decimal) -> None:
        """A close order's new size must still fit what is left to close."""
        if not order.reduce_only:
            return
        position = self.positions.get(order.category, order.symbol, order.pos_side)
        size = position.size if position is not None else _ZERO
        others = (self.frozen(position) if position is not None else _ZERO) - order.remaining
        if new_remaining > size - others:
            raise Rejected(
                Reason.CLOSE_EXCEEDS_POSITION,
                f"qty {num(new_remaining)} left open is more than the "
                f"{inst.qty_text(size - others)} left to close of the {order.pos_side} "
                f"position on {inst.symbol}",
            )

    def check_opening(self, inst: Instrument, intent: Intent, side: str, qty: Decimal) -> None:
        """An order may not take a side beyond ``maxPositionNum``."""
        cap = inst.max_position
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
        if existing + opening > cap:
            raise Rejected(
                Reason.MAX_POSITION,
                f"a {direction} position of {num(existing + opening)} {inst.base_coin} "
                f"would exceed maxPositionNum {num(cap)} on {inst.symbol}",
            )

    def closing_orders(self, position: Position) -> list[Order]:
        """Open orders that can only close ``position``, oldest first."""
        return [
            o
            for o in self.store.open_orders(position.category, position.symbol)
            if o.reduce_only and o.pos_side == position.pos_side
        ]

    def frozen(self, position: Position) -> Decimal:
        """Quantity of ``position`` held by open close orders (spec §4.3.1 ``frozen``)."""
        return sum((o.remaining for o in self.closing_orders(position)), _ZERO)

    def has_exposure(self) -> bool:
        """Any futures position or open futures order (spec §9 #11)."""
        if len(self.positions):
            return True
        return any(self.store.open_orders(c) for c in vocab.FUTURES_CATEGORIES)


class LeadPolicy(Protocol):
    """Whether a position opening now is a copy-trading lead position (spec §4.6)."""

    def funds(self, position: Position) -> bool: ...


class Protection(Protocol):
    """The TP/SL side of a fill: an opening fill's attached TP/SL becomes (or grows) a
    strategy order; a position that closed takes its strategy orders with it."""

    def from_preset(self, order: Order, inst: Instrument, leg: Leg, when: int) -> None: ...

    def position_closed(self, position: Position, when: int) -> None: ...


class FuturesDesk:
    """The positions' bookkeeping, funding, valuation, leverage and hold mode (and the
    margin coins' borrowing leverage: the account's other leverage setting)."""

    def __init__(
        self,
        *,
        account: Account,
        positions: PositionBook,
        store: OrderStore,
        rules: PositionRules,
        settlements: Settlements,
        market: MarketData,
        catalogue: Catalogue,
        clock: Clock,
        notifier: Notifier,
        lead: LeadPolicy,
        protection: Protection,
        ledger: Ledger,
    ) -> None:
        self.account = account
        self.ledger = ledger
        self.positions = positions
        self.store = store
        self.rules = rules
        self.settlements = settlements
        self.market = market
        self.catalogue = catalogue
        self.clock = clock
        self.notifier = notifier
        self.lead = lead
        self.protection = protection
        #: Realised PnL and funding booked per margin coin since the start (with the fees,
        #: they make every coin add up).
        self.realised_by_coin: dict[str, Decimal] = {}
        self.funding_by_coin: dict[str, Decimal] = {}
        self._funding_intervals = sorted(
            {inst.fund_interval_ms for inst in catalogue if inst.is_futures}
        )

    # -- plumbing -----------------------------------------------------------------------------

    def settlement(self, inst: Instrument) -> FuturesSettlement:
        return self.settlements.futures(inst.category)

    def inst(self, position: Position) -> Instrument:
        inst = self.catalogue.get(position.category, position.symbol)
        assert inst is not None
        return inst

    def mark(self, inst: Instrument, when: int | None = None) -> Decimal:
        now = self.clock.now_ms() if when is None else when
        return self.market.price(inst, now, "mark")

    # -- what a fill did ----------------------------------------------------------------------

    def after_fill(self, order: Order, inst: Instrument, legs: list[Leg], when: int) -> None:
        """Book a futures fill: realised PnL, the lead flag of a position it opened, the
        position's new state (announced), and the TP/SL it sets off — the attached TP/SL of an
        opening fill becomes a strategy order, a position that went flat cancels its own."""
        for leg in legs:
            position = leg.position
            assert position is not None
            coin = position.margin_coin
            self.realised_by_coin[coin] = self.realised_by_coin.get(coin, _ZERO) + leg.exec_pnl
            if leg.opened:
                position.lead = self.lead.funds(position)
            self.notifier.position(position, when, closed=leg.flat)
            if leg.flat:
                self.protection.position_closed(position, when)
            elif leg.trade_side == "open" and defaults.PRESET_TPSL_TO_STRATEGY:
                self.protection.from_preset(order, inst, leg, when)

    # -- funding ------------------------------------------------------------------------------

    def funding_times(self, start: int, end: int) -> Iterator[int]:
        """Funding moments in ``[start, end]``.

        Funding is settled at every multiple of the instrument's ``fundInterval`` hours since
        00:00 UTC (00:00, 08:00, 16:00 for 8 h) that the exchange clock crosses (during
        catch-up: before any fill of that same moment), on every position open at that
        moment: ``payment = rate × position value at the mark price`` (linear ``size ×
        mark``, inverse ``size × avgPrice / mark`` base coin), paid by longs and received by
        shorts when the rate is positive, rounded half-up to :data:`defaults.FEE_DECIMALS`,
        booked to the margin coin's balance and to the position's ``totalFunding`` (positive
        = received). [unverified] spec §4.3.1 names ``totalFunding`` only.
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
            inst = self.inst(position)
            if when % inst.fund_interval_ms:
                continue
            rate = self.market.funding_rate(inst, when)
            value = position_value(inst, position.size, position.cost, self.mark(inst, when))
            payment = money(rate * value)
            received = -payment if position.pos_side == "long" else payment
            coin = position.margin_coin
            self.account.balance(coin).available += received
            position.funding += received
            self.funding_by_coin[coin] = self.funding_by_coin.get(coin, _ZERO) + received
            self.ledger.funding(position, received, when)
            self.notifier.funding(position, rate, received, when)
            self.notifier.position(position, when)
        self.notifier.balances(when)

    # -- valuation ----------------------------------------------------------------------------

    def maintenance_margin(self, position: Position, mark: Decimal) -> Decimal:
        inst = self.inst(position)
        return position_value(inst, position.size, position.cost, mark) * maintenance_rate(inst)

    def backing(self, position: Position, now: int) -> Decimal:
        """Equity behind ``position`` for the liquidation estimate (liquidation itself is not
        simulated: see :mod:`.positions`)."""
        if position.margin_mode == "isolated":
            return position.margin
        coin = position.margin_coin
        balance = self.account.balance(coin)
        equity = balance.total
        for order in self.store.open_orders():
            if order.reserve_coin == coin:
                equity -= order.reserved
        for other in self.positions.open_positions():
            if other is position or other.margin_coin != coin:
                continue
            if other.margin_mode == "isolated":
                equity -= other.margin
            else:
                inst = self.inst(other)
                mark = self.mark(inst, now)
                equity += other.unrealised(inst, mark) - self.maintenance_margin(other, mark)
        return equity

    def frozen(self, position: Position) -> Decimal:
        """Quantity of ``position`` held by open close orders (spec §4.3.1 ``frozen``)."""
        return self.rules.frozen(position)

    def leverage(self, position: Position) -> int:
        inst = self.inst(position)
        return self.settlement(inst).leverage(inst, position.pos_side)

    def totals(self, now: int) -> dict[str, dict[str, Decimal]]:
        """Per margin coin: unrealised PnL (all, and of crossed positions), initial margin,
        maintenance margin and value at the mark price of the open positions, in that coin."""
        out: dict[str, dict[str, Decimal]] = {}
        for position in self.positions.open_positions():
            inst = self.inst(position)
            mark = self.mark(inst, now)
            row = out.setdefault(
                position.margin_coin,
                {"upnl": _ZERO, "cross_upnl": _ZERO, "im": _ZERO, "mm": _ZERO, "value": _ZERO},
            )
            row["value"] += position_value(inst, position.size, position.cost, mark)
            gain = position.unrealised(inst, mark)
            row["upnl"] += gain
            if position.margin_mode == "crossed":
                row["cross_upnl"] += gain
            row["im"] += position.margin
            row["mm"] += self.maintenance_margin(position, mark)
        return out

    # -- leverage (spec §4.4.4) -----------------------------------------------------------------

    def set_leverage(self, cmd: SetLeverage) -> None:
        """Change a symbol's margin mode and leverage; re-size the margin its positions and
        open orders hold. Refused (nothing changes) for a margin-mode switch while the symbol
        has a position or an open order, and when more margin is needed than is free."""
        inst = cmd.inst
        account = self.account
        config = account.symbol_configs[(inst.category, inst.symbol)]
        positions = self.positions.open_positions(inst.category, inst.symbol)
        orders = self.store.open_orders(inst.category, inst.symbol)
        margin_mode = cmd.margin_mode
        if margin_mode is not None and margin_mode != config.margin_mode and (positions or orders):
            raise Rejected(
                Reason.MARGIN_MODE_SWITCH,
                f"the margin mode of {inst.symbol} cannot change while it has a position "
                "or an open order",
            )
        before = (config.margin_mode, config.leverage, config.long_leverage, config.short_leverage)
        if margin_mode is not None:
            config.margin_mode = margin_mode
        # ``posSide`` aims ``leverage`` at one side; explicit per-side values win; plain
        # ``leverage`` sets both sides (spec §4.4.4).
        if cmd.leverage is not None and cmd.pos_side is None:
            config.leverage = cmd.leverage
            config.long_leverage = config.short_leverage = None
        elif cmd.leverage is not None:
            if cmd.pos_side == "long":
                config.long_leverage = cmd.leverage
            else:
                config.short_leverage = cmd.leverage
        if cmd.long_leverage is not None:
            config.long_leverage = cmd.long_leverage
        if cmd.short_leverage is not None:
            config.short_leverage = cmd.short_leverage
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
            except Rejected:
                (config.margin_mode, config.leverage) = before[:2]
                (config.long_leverage, config.short_leverage) = before[2:]
                raise
        now = self.clock.now_ms()
        self.notifier.leverage(config, now)
        for pos in positions:
            delta = margins[id(pos)] - pos.margin
            balance = account.balance(pos.margin_coin)
            balance.available -= delta
            balance.locked += delta
            pos.margin += delta
            if delta:
                self.notifier.position(pos, now)
        for order in orders:
            if settlement.sync(order, inst):
                self.notifier.order_relocked(order, now)
        self.notifier.balances(now)

    # -- account-wide settings (spec §4.4.4, §4.4.5) --------------------------------------------

    def set_hold_mode(self, mode: str) -> None:
        """Switch between one-way and hedge mode, account-wide: refused while any futures
        position or open futures order exists (spec §9 #11)."""
        if mode != self.account.hold_mode and self.rules.has_exposure():
            raise Rejected(
                Reason.EXPOSURE_BLOCKS_HOLD_MODE,
                "close every futures position and cancel every open futures order first",
            )
        if mode != self.account.hold_mode:
            self.account.hold_mode = mode
            self.notifier.hold_mode(mode, self.clock.now_ms())

    def set_coin_leverage(self, coin: str, leverage: int) -> None:
        """The borrowing leverage of a margin coin (``set-leverage`` with MARGIN)."""
        if coin not in self.account.coin_leverage:
            raise Rejected(Reason.UNKNOWN_COIN, coin)
        self.account.coin_leverage[coin] = leverage
        self.notifier.coin_leverage(coin, leverage, self.clock.now_ms())
