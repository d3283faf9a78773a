"""The instrument rules every order meets: tick, lot step, minimum and maximum size, minimum
value (spec §4.1.1 rule 2). Pure functions of an instrument and a number; a broken rule is
:class:`~.rejections.Rejected` with a detail that suggests the nearest valid values.

>>> from bitget_nb.exchange.instruments import Catalogue
>>> btc = Catalogue.bundled().get("SPOT", "BTCUSDT")
>>> try:
...     check_price(btc, Decimal("60000.005"))
... except Rejected as exc:
...     print(exc.detail)
price 60000.005 is not a multiple of the tick 0.01 for BTCUSDT; try 60000.00 or 60000.01
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from .instruments import Instrument
from .rejections import Reason, Rejected

__all__ = ["check_notional", "check_price", "check_qty", "num"]


def num(value: Decimal) -> str:
    """A Decimal as short plain text for a message (``0.001``, never ``1E-3``)."""
    return format(value.normalize(), "f") if value else "0"


def _neighbours(value: Decimal, unit: Decimal) -> tuple[Decimal, Decimal]:
    below = (value / unit).to_integral_value(ROUND_FLOOR) * unit
    return below, below + unit


def check_price(inst: Instrument, price: Decimal) -> None:
    """A price on the instrument's tick."""
    if price % inst.tick:
        low, high = _neighbours(price, inst.tick)
        options = " or ".join(inst.price_text(x) for x in (low, high) if x > 0)
        raise Rejected(
            Reason.PRICE_OFF_TICK,
            f"price {num(price)} is not a multiple of the tick {num(inst.tick)} "
            f"for {inst.symbol}; try {options}",
        )


def check_qty(inst: Instrument, qty: Decimal, *, market: bool = False) -> None:
    """A base quantity on the lot step, at least the minimum and at most the maximum of a
    limit (or, with ``market``, a market) order."""
    if qty % inst.step:
        low, high = _neighbours(qty, inst.step)
        options = " or ".join(inst.qty_text(x) for x in (low, high) if x > 0)
        raise Rejected(
            Reason.QTY_OFF_STEP,
            f"qty {num(qty)} is not a multiple of the lot step {num(inst.step)} "
            f"for {inst.symbol}; try {options}",
        )
    if qty < inst.min_qty:
        raise Rejected(
            Reason.QTY_TOO_SMALL,
            f"qty {num(qty)} is below the minimum {num(inst.min_qty)} "
            f"{inst.base_coin} for {inst.symbol}",
        )
    cap = inst.max_market_qty if market else inst.max_qty
    if cap is not None and qty > cap:
        kind = "market" if market else "limit"
        raise Rejected(
            Reason.QTY_TOO_LARGE,
            f"qty {num(qty)} is above the maximum {num(cap)} {inst.base_coin} of "
            f"a {kind} order on {inst.symbol}",
        )


def check_notional(inst: Instrument, value: Decimal, what: str) -> None:
    """An order value (``what`` names how it was computed) of at least ``minOrderAmount``."""
    if value < inst.min_amount:
        raise Rejected(
            Reason.NOTIONAL_TOO_SMALL,
            f"{what} {num(value)} {inst.quote_coin} is below the minimum order "
            f"amount {num(inst.min_amount)} {inst.quote_coin} for {inst.symbol}",
        )
