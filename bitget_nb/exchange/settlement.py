"""What fills do to the account, per category: spot now, futures (positions, margin, PnL)
in the next issue.

A :class:`Settlement` decides what an open order must hold locked, moves the coins of each
fill, charges the fee, and releases what a closed order no longer needs. The matching engine
knows nothing of balances; the trading desk asks the settlement of the order's category.

:func:`settlement_for` is the one place that says which categories are served.

>>> from bitget_nb.exchange.accounts import Account
>>> from bitget_nb.exchange.instruments import Catalogue
>>> account = Account.open(catalogue=Catalogue.bundled(), registered_ms=0, keys=[])
>>> type(settlement_for("SPOT", account)).__name__
'SpotSettlement'
>>> try:
...     settlement_for("USDT-FUTURES", account)
... except ExchangeError as exc:
...     print(exc.code)
25200
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from . import defaults
from .accounts import Account
from .instruments import Instrument
from .orders import Order
from .params import ExchangeError

__all__ = ["Settlement", "SpotSettlement", "fee_of", "settlement_for"]

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

    def check(self, coin: str, extra: Decimal) -> None:
        """Raise 25202 unless ``extra`` more of ``coin`` can be locked."""
        ...

    def sync(self, order: Order, inst: Instrument) -> None:
        """Lock or release so that the order holds exactly its requirement (0 when closed)."""
        ...

    def fill(
        self, order: Order, inst: Instrument, price: Decimal, qty: Decimal, rate: Decimal
    ) -> tuple[str, Decimal]:
        """Settle one execution; return (fee coin, fee)."""
        ...


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

    def check(self, coin: str, extra: Decimal) -> None:
        if extra <= 0:
            return
        available = self.account.balance(coin).available
        if extra > available:
            raise ExchangeError(
                "25202",
                detail=f"the order needs {_text(extra)} {coin}, {_text(available)} is available",
            )

    def sync(self, order: Order, inst: Instrument) -> None:
        coin, need = self.requirement(order, inst) if order.is_open else (order.reserve_coin, _ZERO)
        if not order.reserve_coin:
            order.reserve_coin = coin
        delta = need - order.reserved
        if delta == 0:
            return
        self.check(coin, delta)
        balance = self.account.balance(coin)
        balance.available -= delta
        balance.locked += delta
        order.reserved += delta
        assert balance.locked >= 0 and balance.available >= 0 and order.reserved >= 0

    def fill(
        self, order: Order, inst: Instrument, price: Decimal, qty: Decimal, rate: Decimal
    ) -> tuple[str, Decimal]:
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
        return fee_coin, fee


def settlement_for(category: str, account: Account) -> Settlement:
    """The settlement of ``category``; categories not served yet are refused with 25200.

    This is the one place that refuses futures and MARGIN orders: the futures settlement of
    the next issue is added here.
    """
    if category == "SPOT":
        return SpotSettlement(account)
    raise ExchangeError(
        defaults.BAD_PARAMETER_CODE, detail=defaults.UNSERVED_ORDER_DETAIL.format(category=category)
    )


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
