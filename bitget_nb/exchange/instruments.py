"""The instrument catalogue of the local exchange, read from ``data/instruments.json``.

The data file holds SAMPLE values (it says so at its top): realistic tick sizes, steps and
minimums for a few spot, USDT-, USDC- and COIN-futures symbols, in the wire shape of spec
§4.5.2. :class:`Instrument` keeps the wire record as is and adds the typed values the
exchange computes with.

>>> cat = Catalogue.bundled()
>>> cat.get("USDT-FUTURES", "BTCUSDT").tick
Decimal('0.1')
>>> cat.get("SPOT", "BTCUSDT").tick
Decimal('0.01')
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from types import MappingProxyType
from typing import Any

from ..vocab import STABLE_COINS
from . import defaults

__all__ = ["Catalogue", "Instrument", "MarketSpec", "UnderlyingSpec"]

_FUTURES = ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")
#: Fields every instrument of the data file carries, spot included. spec §10.2 [single]: the
#: DOCS market/Get-Instruments spot sample (BTCUSDT) has ``"maxPositionNum": "200"``,
#: ``"symbolType": "crypto"`` and ``"launchTime": "1532454360000"``, which the spot rows
#: take (the other spot rows launch with the futures lines); spec §4.5.2 had listed them as
#: futures fields. ``maxPositionNum`` caps futures positions only (``max_position``).
_EVERY_INSTRUMENT = ("symbolType", "launchTime", "maxPositionNum", "maintainTime")


@dataclass(frozen=True, slots=True)
class Instrument:
    """One tradable symbol of one category. ``wire`` is the record the API returns."""

    category: str
    symbol: str
    base_coin: str
    quote_coin: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    min_amount: Decimal
    price_decimals: int
    qty_decimals: int
    maker_fee: Decimal
    taker_fee: Decimal
    min_leverage: int | None
    max_leverage: int | None
    wire: Mapping[str, str] = field(repr=False)

    @property
    def is_futures(self) -> bool:
        return self.category in _FUTURES

    @property
    def key(self) -> str:
        """``CATEGORY:SYMBOL``, unique across the catalogue (symbols repeat across lines)."""
        return f"{self.category}:{self.symbol}"

    def format_price(self, ticks: int) -> str:
        """A price given in whole ticks, as the wire string with ``pricePrecision`` decimals.

        >>> Catalogue.bundled().get("USDT-FUTURES", "BTCUSDT").format_price(680123)
        '68012.3'
        """
        return _fixed_steps(ticks, self.tick, self.price_decimals)

    def format_qty(self, steps: int) -> str:
        """A quantity given in whole steps, with ``quantityPrecision`` decimals."""
        return _fixed_steps(steps, self.step, self.qty_decimals)

    def price_text(self, price: Decimal) -> str:
        """A Decimal price as the wire string with ``pricePrecision`` decimals.

        >>> Catalogue.bundled().get("SPOT", "BTCUSDT").price_text(Decimal("60000.5"))
        '60000.50'
        """
        return _fixed(price, self.price_decimals)

    def qty_text(self, qty: Decimal) -> str:
        """A Decimal base quantity as the wire string with ``quantityPrecision`` decimals."""
        return _fixed(qty, self.qty_decimals)

    def _limit(self, name: str) -> Decimal | None:
        value = self.wire.get(name)
        return Decimal(value) if value else None

    @property
    def quote_decimals(self) -> int:
        """``quotePrecision``: decimals of quote amounts (a spot market buy's ``qty``)."""
        return int(self.wire.get("quotePrecision") or self.price_decimals)

    @property
    def max_qty(self) -> Decimal | None:
        """``maxOrderQty``: the largest limit order (base)."""
        return self._limit("maxOrderQty")

    @property
    def max_market_qty(self) -> Decimal | None:
        """``maxMarketOrderQty``: the largest market order (base)."""
        return self._limit("maxMarketOrderQty")

    @property
    def fee_rate_up_ratio(self) -> Decimal:
        """``feeRateUpRatio``: the fee buffer some exchanges lock on top of an order's cost."""
        return self._limit("feeRateUpRatio") or Decimal(0)

    @property
    def max_position(self) -> Decimal | None:
        """``maxPositionNum``: the largest position one side may hold (futures, base)."""
        return self._limit("maxPositionNum")

    @property
    def open_cost_up_ratio(self) -> Decimal:
        """``openCostUpRatio``: how far above last a market order's margin is reserved."""
        return self._limit("openCostUpRatio") or Decimal(0)

    @property
    def fund_interval_ms(self) -> int:
        """``fundInterval`` (hours, 8 when absent) in ms: how often a perpetual funds."""
        return int(self.wire.get("fundInterval") or 8) * 3_600_000

    @property
    def max_open_orders(self) -> int | None:
        """``maxSymbolOrderNum``: open orders allowed on this symbol."""
        value = self.wire.get("maxSymbolOrderNum")
        return int(value) if value else None


def _fixed(value: Decimal, decimals: int) -> str:
    return format(value.quantize(Decimal(1).scaleb(-decimals)), "f")


@functools.lru_cache(maxsize=1024)
def _units_per_step(step: Decimal, decimals: int) -> int | None:
    """``step`` in units of ``10**-decimals`` when that is a whole number, else ``None``."""
    scaled = step.scaleb(decimals)
    return int(scaled) if scaled == scaled.to_integral_value() else None


def _fixed_steps(count: int, step: Decimal, decimals: int) -> str:
    """``count × step`` with ``decimals`` decimals — the string :func:`_fixed` gives, made
    with integers (candles and books format thousands of these a request).

    >>> _fixed_steps(680123, Decimal("0.1"), 1), _fixed_steps(-5, Decimal("0.01"), 4)
    ('68012.3', '-0.0500')
    """
    per = _units_per_step(step, decimals)
    if per is None:
        return _fixed(Decimal(count) * step, decimals)
    units = count * per
    if decimals <= 0:
        return str(units)
    digits = str(abs(units)).rjust(decimals + 1, "0")
    return f"{'-' if units < 0 else ''}{digits[:-decimals]}.{digits[-decimals:]}"


@dataclass(frozen=True, slots=True)
class UnderlyingSpec:
    """Parameters of one base coin's simulated price path (see :mod:`.market`)."""

    coin: str
    reference_price: float
    half_life_hours: float
    stationary_stdev: float
    band: float
    minute_volume: float
    level_size: float


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """The market-process section of the data file."""

    epoch: str
    underlyings: Mapping[str, UnderlyingSpec]
    basis_bps: Mapping[str, float]
    volume_factor: Mapping[str, float]


class Catalogue:
    """Instruments by (category, symbol), the coins of the spot instruments (``spot_coins``,
    records of the classic V2 coin list), and the market parameters of the data file."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        spot_fees = document["spotFeeRates"]
        rows: dict[tuple[str, str], Instrument] = {}
        for wire in document["instruments"]:
            inst = _instrument(wire, spot_fees)
            if (inst.category, inst.symbol) in rows:
                raise ValueError(f"duplicate instrument {inst.key}")
            rows[(inst.category, inst.symbol)] = inst
        self._rows = MappingProxyType(rows)
        market = document["market"]
        self.market = MarketSpec(
            epoch=market["epoch"],
            underlyings=MappingProxyType(
                {
                    coin: UnderlyingSpec(
                        coin=coin,
                        reference_price=float(p["referencePrice"]),
                        half_life_hours=float(p["halfLifeHours"]),
                        stationary_stdev=float(p["stationaryStdev"]),
                        band=float(p["band"]),
                        minute_volume=float(p["minuteVolume"]),
                        level_size=float(p["levelSize"]),
                    )
                    for coin, p in market["underlyings"].items()
                }
            ),
            basis_bps=MappingProxyType(
                {c: float(p["basisBps"]) for c, p in market["categories"].items()}
            ),
            volume_factor=MappingProxyType(
                {c: float(p["volumeFactor"]) for c, p in market["categories"].items()}
            ),
        )
        self.note: str = document["note"]
        self.spot_coins: tuple[Mapping[str, Any], ...] = tuple(
            MappingProxyType(dict(record)) for record in document["coins"]["list"]
        )
        listed = [record["coin"] for record in self.spot_coins]
        traded = {
            c for i in rows.values() if i.category == "SPOT" for c in (i.base_coin, i.quote_coin)
        }
        if len(set(listed)) != len(listed) or set(listed) != traded:
            raise ValueError(
                f"the coin list must hold each coin of a spot instrument once: listed "
                f"{sorted(listed)}, spot coins {sorted(traded)}"
            )
        for inst in rows.values():
            if inst.base_coin not in self.market.underlyings:
                raise ValueError(f"{inst.key}: no market parameters for {inst.base_coin}")
            if inst.category not in self.market.basis_bps:
                raise ValueError(f"{inst.key}: no market parameters for {inst.category}")

    @classmethod
    def bundled(cls) -> Catalogue:
        """The catalogue shipped in ``bitget_nb/exchange/data/instruments.json``."""
        text = resources.files(__package__).joinpath("data/instruments.json").read_text("utf-8")
        return cls(json.loads(text))

    def get(self, category: str, symbol: str) -> Instrument | None:
        """The instrument, or ``None`` when the catalogue has no such symbol."""
        return self._rows.get((category, symbol))

    def in_category(self, category: str) -> list[Instrument]:
        """Instruments of one category, in data-file order."""
        return [i for i in self._rows.values() if i.category == category]

    def spot_usd_symbol(self, coin: str) -> Instrument | None:
        """The spot instrument that prices ``coin`` in a stable coin (for valuations)."""
        for quote in STABLE_COINS:
            inst = self.get("SPOT", f"{coin}{quote}")
            if inst is not None:
                return inst
        return None

    def usd_index_symbol(self, coin: str) -> Instrument | None:
        """The instrument whose index price values ``coin`` in USD: its spot market in a
        stable coin, else a stable-coin-margined perpetual on it (a perpetual's index is the
        coin's spot index) — a replay of futures alone lists no spot market."""
        found = self.spot_usd_symbol(coin)
        if found is not None:
            return found
        for category in ("USDT-FUTURES", "USDC-FUTURES"):
            for inst in self.in_category(category):
                if inst.base_coin == coin:
                    return inst
        return None

    def coins(self) -> list[str]:
        """Every coin that appears as base or quote, in first-seen order."""
        seen: dict[str, None] = {}
        for inst in self._rows.values():
            seen.setdefault(inst.base_coin)
            seen.setdefault(inst.quote_coin)
        return list(seen)

    def spot_coin(self, coin: str) -> Mapping[str, Any] | None:
        """The coin-list record of ``coin`` (classic V2 shape, see the data file), if any."""
        return next((r for r in self.spot_coins if r["coin"] == coin), None)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._rows.values())

    def __len__(self) -> int:
        return len(self._rows)


def _instrument(wire: Mapping[str, Any], spot_fees: Mapping[str, str]) -> Instrument:
    for name, value in wire.items():
        if not isinstance(value, str):
            raise ValueError(f"{wire.get('symbol')}: {name} must be a string on the wire")
    missing = [name for name in _EVERY_INSTRUMENT if name not in wire]
    if missing:
        raise ValueError(f"{wire.get('symbol')}: missing {', '.join(missing)}")
    if not wire["launchTime"].isdigit():
        raise ValueError(f"{wire.get('symbol')}: launchTime must be ms")
    for name, none in (
        ("offTime", defaults.NO_SCHEDULED_TIME),
        ("limitOpenTime", defaults.NO_SCHEDULED_TIME),
        ("maintainTime", defaults.NO_MAINTENANCE_TIME),
    ):
        value = wire.get(name, none)
        if value != none and not value.isdigit():
            raise ValueError(f"{wire.get('symbol')}: {name} must be ms or {none!r}")
    price_decimals = int(wire["pricePrecision"])
    qty_decimals = int(wire["quantityPrecision"])
    # Futures carry the tick and the step explicitly; spot only gives decimals (spec §4.5.2).
    tick = Decimal(wire.get("priceMultiplier") or Decimal(1).scaleb(-price_decimals))
    step = Decimal(wire.get("quantityMultiplier") or Decimal(1).scaleb(-qty_decimals))
    min_lev = wire.get("minLeverage")
    max_lev = wire.get("maxLeverage")
    return Instrument(
        category=wire["category"],
        symbol=wire["symbol"],
        base_coin=wire["baseCoin"],
        quote_coin=wire["quoteCoin"],
        tick=tick,
        step=step,
        min_qty=Decimal(wire["minOrderQty"]),
        min_amount=Decimal(wire["minOrderAmount"]),
        price_decimals=price_decimals,
        qty_decimals=qty_decimals,
        maker_fee=Decimal(wire.get("makerFeeRate") or spot_fees["makerFeeRate"]),
        taker_fee=Decimal(wire.get("takerFeeRate") or spot_fees["takerFeeRate"]),
        min_leverage=int(min_lev) if min_lev else None,
        max_leverage=int(max_lev) if max_lev else None,
        wire=MappingProxyType(dict(wire)),
    )
