"""The fee seam: :class:`FeeModel` is the one place the exchange reads fee rates.

Fills charge ``maker``/``taker`` rates, futures placement keeps the taker fee of the opening
part free, ``breakEvenPrice`` prices a taker close and ``fee-rate`` / ``all-fee-rate`` report
both — all through the venue's fee model. The default, :class:`CatalogueFees`, is today's
behaviour: the rates of the bundled instrument catalogue. A fee experiment injects another one
(``LocalExchange(fees=...)``):

>>> from bitget_nb.exchange.instruments import Catalogue
>>> btc = Catalogue.bundled().get("SPOT", "BTCUSDT")
>>> CatalogueFees().rates(btc)
FeeRates(maker=Decimal('0.001'), taker=Decimal('0.001'))
>>> FlatFees(maker=Decimal("-0.0001"), taker=Decimal("0.0005")).rate(btc, "maker")
Decimal('-0.0001')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from .instruments import Instrument

__all__ = ["CatalogueFees", "FeeModel", "FeeRates", "FlatFees", "Liquidity"]

#: Which side of a trade an execution was: resting (maker) or incoming (taker).
Liquidity = Literal["maker", "taker"]


@dataclass(frozen=True, slots=True)
class FeeRates:
    """Maker and taker rates of one instrument (a fraction of the fee base; negative is a
    rebate)."""

    maker: Decimal
    taker: Decimal


@runtime_checkable
class FeeModel(Protocol):
    """What the exchange asks about fees: the rates of an instrument for this account."""

    def rates(self, inst: Instrument) -> FeeRates:
        """The maker and taker rates that apply to ``inst`` now."""
        ...

    def rate(self, inst: Instrument, liquidity: Liquidity) -> Decimal:
        """The rate of one side (``maker`` or ``taker``)."""
        ...


class CatalogueFees:
    """The default fee model: each instrument's rates from the catalogue (spot symbols take
    the data file's spot rates)."""

    def rates(self, inst: Instrument) -> FeeRates:
        return FeeRates(maker=inst.maker_fee, taker=inst.taker_fee)

    def rate(self, inst: Instrument, liquidity: Liquidity) -> Decimal:
        return inst.maker_fee if liquidity == "maker" else inst.taker_fee

    def __repr__(self) -> str:
        return "CatalogueFees()"


@dataclass(frozen=True, slots=True)
class FlatFees:
    """One maker and one taker rate for every instrument (a fee experiment in one line)."""

    maker: Decimal
    taker: Decimal

    def rates(self, inst: Instrument) -> FeeRates:
        return FeeRates(maker=self.maker, taker=self.taker)

    def rate(self, inst: Instrument, liquidity: Liquidity) -> Decimal:
        return self.maker if liquidity == "maker" else self.taker
