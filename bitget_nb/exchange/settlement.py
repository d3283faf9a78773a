"""What fills do to the account, per category: spot swaps coins, futures move positions,
margin and PnL.

A :class:`Settlement` decides what an open order must hold locked, moves the coins of each
fill, charges the fee, and releases what a closed order no longer needs. The matching engine
knows nothing of balances; order entry (:mod:`.entry`) asks the settlement of the order's
category. A fill comes back as :class:`Leg` s: one for spot; for futures one per position effect (a
one-way order that flips a position closes one side and opens the other).

:func:`settlement_for` is the one place that says which categories are served;
:class:`Settlements` makes each category's settlement on first use.

>>> from bitget_nb.exchange.accounts import Account
>>> from bitget_nb.exchange.instruments import Catalogue
>>> account = Account.open(catalogue=Catalogue.bundled(), registered_ms=0, keys=[])
>>> type(settlement_for("SPOT", account)).__name__
'SpotSettlement'
>>> try:
...     settlement_for("MARGIN", account)
... except Rejected as exc:
...     print(exc.reason.value)
unserved_category
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from . import defaults
from .accounts import Account
from .clock import Clock
from .fees import FeeModel
from .instruments import Catalogue, Instrument
from .marketdata import MarketData
from .orders import Order
from .positions import (
    Position,
    PositionBook,
    fee_base,
    initial_margin,
    margin_coin,
)
from .rejections import Reason, Rejected

__all__ = [
    "FuturesSettlement",
    "Leg",
    "Settlement",
    "Settlements",
    "SpotSettlement",
    "fee_of",
    "settlement_for",
]

_ZERO = Decimal(0)
_FEE_QUANTUM = Decimal(1).scaleb(-defaults.FEE_DECIMALS)


def fee_of(base: Decimal, rate: Decimal) -> Decimal:
    """``base × rate`` rounded half-up to :data:`defaults.FEE_DECIMALS` decimals.

    >>> fee_of(Decimal("68012.34"), Decimal("0.001"))
    Decimal('68.01234000')
    >>> fee_of(Decimal("0.000015"), Decimal("0.001"))
    Decimal('2E-8')
    """
    return (base * rate).quantize(_FEE_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Leg:
    """What one execution (or one part of it) did: ``qty`` traded, the fee, and for futures
    the position side it changed, ``open``/``close``, the PnL it realised, the position, and
    whether it opened a new position or closed one to zero."""

    qty: Decimal
    fee_coin: str
    fee: Decimal
    pos_side: str = ""
    trade_side: str = ""
    exec_pnl: Decimal = _ZERO
    position: Position | None = None
    opened: bool = False
    flat: bool = False


class Settlement(Protocol):
    """The account side of trading one category."""

    def requirement(
        self,
        order: Order,
        inst: Instrument,
        *,
        price: Decimal | None = None,
        qty: Decimal | None = None,
    ) -> tuple[str, Decimal]:
        """(coin, amount) the order's open remainder must hold locked; ``price``/``qty``
        ask about a modified order without changing it."""
        ...

    def fee_buffer(self, order: Order, inst: Instrument) -> Decimal:
        """What placement needs free beyond the requirement (futures: the taker fee of the
        opening part)."""
        ...

    def check(self, coin: str, extra: Decimal) -> None:
        """Refuse (insufficient balance / margin) unless ``extra`` more of ``coin`` is free."""
        ...

    def sync(self, order: Order, inst: Instrument) -> bool:
        """Lock or release so that the order holds exactly its requirement (0 when closed);
        whether anything moved."""
        ...

    def fill(
        self,
        order: Order,
        inst: Instrument,
        price: Decimal,
        qty: Decimal,
        rate: Decimal,
        when: int,
    ) -> list[Leg]:
        """Settle one execution at ``when``; return what it did."""
        ...


def _lock_remainder(
    settlement: SpotSettlement | FuturesSettlement,
    order: Order,
    inst: Instrument,
    *,
    check: bool,
) -> bool:
    """Lock exactly what ``order``'s open remainder needs (nothing once it is closed), moving
    the difference between available and locked; ``check`` refuses a lock that does not fit.
    Whether anything moved."""
    coin, need = (
        settlement.requirement(order, inst) if order.is_open else (order.reserve_coin, _ZERO)
    )
    if not order.reserve_coin:
        order.reserve_coin = coin
    delta = need - order.reserved
    if delta == 0:
        return False
    if check:
        settlement.check(coin, delta)
    balance = settlement.account.balance(coin)
    balance.available -= delta
    balance.locked += delta
    order.reserved += delta
    assert balance.locked >= 0 and order.reserved >= 0
    return True


class SpotSettlement:
    """Spot: a buy locks quote (``price × qty``, or a market buy's quote amount), a sell locks
    base; a fill swaps coins out of the lock; the fee is taken from the coin received
    (spec §4.1.13). A buy limit locks ``feeRateUpRatio`` more only when
    :data:`defaults.SPOT_BUY_FEE_BUFFER` says so (off: the fee never comes from the quote)."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def requirement(
        self,
        order: Order,
        inst: Instrument,
        *,
        price: Decimal | None = None,
        qty: Decimal | None = None,
    ) -> tuple[str, Decimal]:
        if order.side == "sell":
            size = order.qty if qty is None else qty
            return inst.base_coin, size - order.cum_exec_qty
        if order.quote_sized:
            return inst.quote_coin, order.remaining_amount
        size = order.qty if qty is None else qty
        limit = order.price if price is None else price
        assert limit is not None, "a base-sized spot buy is a limit order"
        cost = limit * (size - order.cum_exec_qty)
        if defaults.SPOT_BUY_FEE_BUFFER:
            cost += fee_of(cost, inst.fee_rate_up_ratio)
        return inst.quote_coin, cost

    def fee_buffer(self, order: Order, inst: Instrument) -> Decimal:
        return _ZERO

    def check(self, coin: str, extra: Decimal) -> None:
        if extra <= 0:
            return
        available = self.account.balance(coin).available
        if extra > available:
            raise Rejected(
                Reason.INSUFFICIENT_BALANCE,
                f"the order needs {_text(extra)} {coin}, {_text(available)} is available",
            )

    def sync(self, order: Order, inst: Instrument) -> bool:
        return _lock_remainder(self, order, inst, check=True)

    def fill(
        self,
        order: Order,
        inst: Instrument,
        price: Decimal,
        qty: Decimal,
        rate: Decimal,
        when: int,
    ) -> list[Leg]:
        value = price * qty
        base = self.account.balance(inst.base_coin)
        quote = self.account.balance(inst.quote_coin)
        if order.side == "buy":
            order.reserved -= value
            quote.locked -= value
            fee = fee_of(qty, rate)
            base.available += qty - fee
            fee_coin = inst.base_coin
        else:
            order.reserved -= qty
            base.locked -= qty
            fee = fee_of(value, rate)
            quote.available += value - fee
            fee_coin = inst.quote_coin
        assert order.reserved >= 0 and base.locked >= 0 and quote.locked >= 0
        return [Leg(qty, fee_coin, fee)]


class FuturesSettlement:
    """Futures of one category (spec §5.3, :mod:`.positions`): an order that opens exposure
    locks its initial margin while open; a fill closes and/or opens positions, moving margin
    between ``available`` and ``locked`` of the margin coin, booking realised PnL and paying
    the fee in the margin coin.

    Which position a fill touches follows the order's hold mode: hedge — its ``posSide``
    and ``tradeSide``; one-way — netting, so an order against the position reduces it and
    can flip it. Placement checks margin (:meth:`check`, 25203); a fill itself never fails
    (a taker that fills at a worse price than it reserved for may draw ``available`` down).
    """

    def __init__(
        self,
        account: Account,
        positions: PositionBook,
        market: MarketData,
        clock: Clock,
        *,
        catalogue: Catalogue,
        fees: FeeModel,
    ) -> None:
        self.account = account
        self.positions = positions
        self.market = market
        self.clock = clock
        self.catalogue = catalogue
        self.fees = fees

    # -- what an order needs ------------------------------------------------------------------

    def leverage(self, inst: Instrument, pos_side: str) -> int:
        """The leverage of the ``pos_side`` position of ``inst``: the per-side value for
        isolated positions when one was set, else the symbol's (spec §4.4.4)."""
        config = self.account.symbol_configs[(inst.category, inst.symbol)]
        if config.margin_mode == "isolated":
            side = config.long_leverage if pos_side == "long" else config.short_leverage
            if side is not None:
                return side
        return config.leverage

    @staticmethod
    def direction(order: Order) -> str:
        """The position side a buy (long) or sell (short) adds to."""
        return "long" if order.side == "buy" else "short"

    def opening_side(self, order: Order) -> str:
        return order.pos_side if order.hold_mode == "hedge_mode" else self.direction(order)

    def opening_qty(self, order: Order, remaining: Decimal) -> Decimal:
        """The part of ``remaining`` that would open exposure if it filled now."""
        if order.hold_mode == "hedge_mode":
            return remaining if order.trade_side == "open" else _ZERO
        if order.reduce_only:
            return _ZERO
        position = self.positions.net(order.category, order.symbol)
        if position is not None and position.pos_side != self.direction(order):
            return max(_ZERO, remaining - position.size)
        return remaining

    def _margin_price(self, inst: Instrument, price: Decimal | None) -> Decimal:
        if price is not None:
            return price
        last = self.market.price(inst, self.clock.now_ms())
        return last * (1 + inst.open_cost_up_ratio)

    def requirement(
        self,
        order: Order,
        inst: Instrument,
        *,
        price: Decimal | None = None,
        qty: Decimal | None = None,
    ) -> tuple[str, Decimal]:
        size = order.qty if qty is None else qty
        opening = self.opening_qty(order, size - order.cum_exec_qty)
        coin = margin_coin(inst)
        if opening <= 0:
            return coin, _ZERO
        limit = self._margin_price(inst, order.price if price is None else price)
        return coin, initial_margin(
            inst, opening, limit, self.leverage(inst, self.opening_side(order))
        )

    def fee_buffer(self, order: Order, inst: Instrument) -> Decimal:
        opening = self.opening_qty(order, order.remaining)
        if opening <= 0:
            return _ZERO
        return fee_of(
            fee_base(inst, opening, self._margin_price(inst, order.price)),
            self.fees.rate(inst, "taker"),
        )

    def free(self, coin: str) -> Decimal:
        """What is free for new margin: the coin's ``available`` less the unrealised losses
        of its crossed positions (:data:`defaults.CROSS_LOSSES_REDUCE_AVAILABLE`)."""
        available = self.account.balance(coin).available
        if not defaults.CROSS_LOSSES_REDUCE_AVAILABLE:
            return available
        now = self.clock.now_ms()
        loss = _ZERO
        for position in self.positions.open_positions():
            if position.margin_coin != coin or position.margin_mode != "crossed":
                continue
            inst = self.catalogue.get(position.category, position.symbol)
            assert inst is not None
            loss += min(_ZERO, position.unrealised(inst, self.market.price(inst, now, "mark")))
        return available + loss

    def check(self, coin: str, extra: Decimal) -> None:
        if extra <= 0:
            return
        free = self.free(coin)
        if extra > free:
            raise Rejected(
                Reason.INSUFFICIENT_MARGIN,
                f"the order needs {_text(extra)} {coin} of margin and fees, "
                f"{_text(max(free, _ZERO))} is free",
            )

    def sync(self, order: Order, inst: Instrument) -> bool:
        """Lock exactly what the order's open remainder needs (no check: placement checked,
        and a re-sync after a fill or a position change must not fail)."""
        return _lock_remainder(self, order, inst, check=False)

    # -- fills --------------------------------------------------------------------------------

    def fill(
        self,
        order: Order,
        inst: Instrument,
        price: Decimal,
        qty: Decimal,
        rate: Decimal,
        when: int,
    ) -> list[Leg]:
        balance = self.account.balance(margin_coin(inst))
        # The order's lock goes back first; the desk re-syncs what its rest needs afterwards.
        balance.available += order.reserved
        balance.locked -= order.reserved
        order.reserved = _ZERO
        legs: list[Leg] = []
        remaining = qty
        if order.hold_mode == "hedge_mode":
            side = order.pos_side
            if order.trade_side == "close":
                position = self.positions.get(inst.category, inst.symbol, side)
                assert position is not None and position.size >= qty, "close beyond position"
                legs.append(self._close(position, inst, qty, price, rate, when))
                remaining = _ZERO
        else:
            side = self.direction(order)
            position = self.positions.net(inst.category, inst.symbol)
            if position is not None and position.pos_side != side:
                part = min(qty, position.size)
                legs.append(self._close(position, inst, part, price, rate, when))
                remaining -= part
            assert remaining == 0 or not order.reduce_only, "reduce-only beyond position"
        if remaining > 0:
            legs.append(self._open(inst, side, remaining, price, rate, when))
        return legs

    def _close(
        self,
        position: Position,
        inst: Instrument,
        qty: Decimal,
        price: Decimal,
        rate: Decimal,
        when: int,
    ) -> Leg:
        coin = position.margin_coin
        balance = self.account.balance(coin)
        fee = fee_of(fee_base(inst, qty, price), rate)
        gain, released = position.close_part(inst, qty, price, fee)
        balance.locked -= released
        balance.available += released + gain - fee
        position.updated_ms = max(position.updated_ms, when)
        flat = position.size == 0
        if flat:
            self.positions.close(position)
        return Leg(qty, coin, fee, position.pos_side, "close", gain, position, flat=flat)

    def _open(
        self, inst: Instrument, side: str, qty: Decimal, price: Decimal, rate: Decimal, when: int
    ) -> Leg:
        position = self.positions.get(inst.category, inst.symbol, side)
        opened = position is None
        if position is None:
            config = self.account.symbol_configs[(inst.category, inst.symbol)]
            position = self.positions.open(
                inst,
                side,
                margin_mode=config.margin_mode,
                hold_mode=self.account.hold_mode,
                when=when,
            )
        coin = position.margin_coin
        balance = self.account.balance(coin)
        fee = fee_of(fee_base(inst, qty, price), rate)
        margin = initial_margin(inst, qty, price, self.leverage(inst, side))
        balance.available -= margin + fee
        balance.locked += margin
        position.open_part(qty, price, margin, fee)
        position.updated_ms = max(position.updated_ms, when)
        return Leg(qty, coin, fee, side, "open", _ZERO, position, opened=opened)


def settlement_for(
    category: str,
    account: Account,
    *,
    positions: PositionBook | None = None,
    market: MarketData | None = None,
    clock: Clock | None = None,
    catalogue: Catalogue | None = None,
    fees: FeeModel | None = None,
) -> Settlement:
    """The settlement of ``category``; MARGIN (borrowing is not modelled) is refused — this
    is the one place that says so. Futures need the position book, the market (mark
    prices), the clock, the catalogue and the fee model."""
    if category == "SPOT":
        return SpotSettlement(account)
    if category in ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES"):
        if positions is None or market is None or clock is None:
            raise RuntimeError("a futures settlement needs positions, market and clock")
        if catalogue is None or fees is None:
            raise RuntimeError("a futures settlement needs the catalogue and the fee model")
        return FuturesSettlement(account, positions, market, clock, catalogue=catalogue, fees=fees)
    raise Rejected(
        Reason.UNSERVED_CATEGORY, defaults.UNSERVED_ORDER_DETAIL.format(category=category)
    )


class Settlements:
    """The settlement of each category of one account, made on first use."""

    __slots__ = ("_made", "account", "catalogue", "clock", "fees", "market", "positions")

    def __init__(
        self,
        account: Account,
        *,
        positions: PositionBook,
        market: MarketData,
        clock: Clock,
        catalogue: Catalogue,
        fees: FeeModel,
    ) -> None:
        self.account = account
        self.positions = positions
        self.market = market
        self.clock = clock
        self.catalogue = catalogue
        self.fees = fees
        self._made: dict[str, Settlement] = {}

    def of(self, category: str) -> Settlement:
        """The settlement of ``category`` (refused for categories not served)."""
        found = self._made.get(category)
        if found is None:
            found = self._made[category] = settlement_for(
                category,
                self.account,
                positions=self.positions,
                market=self.market,
                clock=self.clock,
                catalogue=self.catalogue,
                fees=self.fees,
            )
        return found

    def futures(self, category: str = "USDT-FUTURES") -> FuturesSettlement:
        """The futures settlement of ``category`` (every futures line shares the rules)."""
        found = self.of(category)
        assert isinstance(found, FuturesSettlement)
        return found

    def free(self, coin: str) -> Decimal:
        """What of ``coin`` is free for new margin or a transfer: ``available`` less the
        unrealised losses of crossed positions (:data:`defaults.CROSS_LOSSES_REDUCE_AVAILABLE`)."""
        return self.futures().free(coin)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
