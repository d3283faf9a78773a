"""Instrument rules: tick, lot step, minimums — checked, explained and rounded to.

Built from one row of ``GET /api/v3/market/instruments`` (spec §4.5.2). Futures carry their
tick and step as ``priceMultiplier`` / ``quantityMultiplier``; spot rows carry only
precisions, so the tick is ``10^-pricePrecision`` and the step ``10^-quantityPrecision``
(spec §4.1.1 rules 2–3). A spot market buy is sized in the quote coin (spec §4.1.1), so its
``qty`` is checked as an amount of quote: against ``minOrderAmount`` and ``quotePrecision``.

>>> rules = InstrumentRules.from_record({"symbol": "BTCUSDT", "category": "USDT-FUTURES",
...     "priceMultiplier": "0.1", "quantityMultiplier": "0.001", "minOrderQty": "0.001",
...     "minOrderAmount": "5"})
>>> print(rules.violations(side="buy", orderType="limit", qty="0.0015", price="60000")[0].message)
qty 0.0015 is not a multiple of the lot step 0.001 for BTCUSDT; try 0.001 or 0.002
>>> rules.round_price("60000.37"), rules.round_qty("0.0015")
(Decimal('60000.4'), Decimal('0.001'))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Literal

from .errors import ValidationError
from .vocab import FUTURES_CATEGORIES

__all__ = ["InstrumentRules", "Violation", "check_pos_side"]

Rounding = Literal["nearest", "down", "up"]
_MODES = {"nearest": ROUND_HALF_EVEN, "down": ROUND_FLOOR, "up": ROUND_CEILING}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: the wire field, the exchange's code for it, and what to do."""

    field: str
    code: str
    message: str


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _precision_step(places: Any) -> Decimal | None:
    digits = _dec(places)
    return Decimal(1).scaleb(-int(digits)) if digits is not None else None


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _snap(value: Decimal, unit: Decimal, mode: Rounding) -> Decimal:
    if mode not in _MODES:
        raise ValueError(f"rounding must be one of {', '.join(_MODES)}, not {mode!r}")
    steps = (value / unit).quantize(Decimal(1), rounding=_MODES[mode])
    return (steps * unit).quantize(unit)


@dataclass(frozen=True, slots=True)
class InstrumentRules:
    """The order rules of one instrument."""

    category: str
    symbol: str
    tick: Decimal | None
    step: Decimal | None
    quote_step: Decimal | None
    min_qty: Decimal | None
    min_notional: Decimal | None
    max_qty: Decimal | None = None
    max_market_qty: Decimal | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> InstrumentRules:
        """Rules from one instruments row (strings or numbers)."""
        category = str(record.get("category", "")).upper()
        futures = category in FUTURES_CATEGORIES
        tick = _dec(record.get("priceMultiplier")) if futures else None
        step = _dec(record.get("quantityMultiplier")) if futures else None
        return cls(
            category=category,
            symbol=str(record.get("symbol", "")),
            tick=tick or _precision_step(record.get("pricePrecision")),
            step=step or _precision_step(record.get("quantityPrecision")),
            quote_step=_precision_step(record.get("quotePrecision")),
            min_qty=_dec(record.get("minOrderQty")),
            min_notional=_dec(record.get("minOrderAmount")),
            max_qty=_dec(record.get("maxOrderQty")),
            max_market_qty=_dec(record.get("maxMarketOrderQty")),
        )

    def quote_sized(self, *, side: str, orderType: str) -> bool:
        """Whether ``qty`` is an amount of the quote coin: a spot (or margin) market buy."""
        return self.category in {"SPOT", "MARGIN"} and orderType == "market" and side == "buy"

    def round_price(self, price: Any, mode: Rounding = "nearest") -> Decimal:
        """``price`` on the tick grid (``mode``: nearest, down or up)."""
        value = _dec(price)
        if value is None:
            raise ValidationError(f"price: {price!r} is not a number", field="price")
        return _snap(value, self.tick, mode) if self.tick else value

    def round_qty(self, qty: Any, mode: Rounding = "down", *, quote: bool = False) -> Decimal:
        """``qty`` on the lot-step grid (down by default, so you never buy more than meant)."""
        value = _dec(qty)
        if value is None:
            raise ValidationError(f"qty: {qty!r} is not a number", field="qty")
        unit = self.quote_step if quote else self.step
        return _snap(value, unit, mode) if unit else value

    def violations(
        self,
        *,
        side: str,
        orderType: str,
        qty: Any,
        price: Any = None,
        reference_price: Any = None,
    ) -> list[Violation]:
        """Every rule the order breaks, in the order the exchange checks them.

        ``reference_price`` (e.g. the last price) lets the minimum notional be checked for
        market orders, which carry no price.
        """
        out: list[Violation] = []
        amount, limit = _dec(qty), _dec(price)
        if amount is None:
            return [Violation("qty", "25200", f"qty {qty!r} is not a number")]
        if limit is not None and self.tick and limit % self.tick != 0:
            lo, hi = self.round_price(limit, "down"), self.round_price(limit, "up")
            out.append(
                Violation(
                    "price",
                    "25244",
                    f"price {_fmt(limit)} is not a multiple of the tick size {_fmt(self.tick)} "
                    f"for {self.symbol}; try {_fmt(lo)} or {_fmt(hi)}",
                )
            )
        if self.quote_sized(side=side, orderType=orderType):
            if self.quote_step and amount % self.quote_step != 0:
                lo = self.round_qty(amount, "down", quote=True)
                out.append(
                    Violation(
                        "qty",
                        "25610",
                        f"qty {_fmt(amount)} (a spot market buy is sized in the quote coin) "
                        f"has more decimals than {_fmt(self.quote_step)} allows for "
                        f"{self.symbol}; try {_fmt(lo)}",
                    )
                )
            if self.min_notional is not None and amount < self.min_notional:
                out.append(
                    Violation(
                        "qty",
                        "25207",
                        f"qty {_fmt(amount)} is below the minimum order amount "
                        f"{_fmt(self.min_notional)} for {self.symbol} (a spot market buy is "
                        "sized in the quote coin)",
                    )
                )
            return out
        if self.step and amount % self.step != 0:
            lo, hi = self.round_qty(amount, "down"), self.round_qty(amount, "up")
            choices = f"{_fmt(lo)} or {_fmt(hi)}" if lo > 0 else _fmt(hi)
            out.append(
                Violation(
                    "qty",
                    "25610",
                    f"qty {_fmt(amount)} is not a multiple of the lot step {_fmt(self.step)} "
                    f"for {self.symbol}; try {choices}",
                )
            )
        if self.min_qty is not None and amount < self.min_qty:
            out.append(
                Violation(
                    "qty",
                    "25611",
                    f"qty {_fmt(amount)} is below the minimum {_fmt(self.min_qty)} for "
                    f"{self.symbol}",
                )
            )
        cap = self.max_market_qty if orderType == "market" else self.max_qty
        if cap is not None and amount > cap:
            out.append(
                Violation(
                    "qty", "25208", f"qty {_fmt(amount)} is above the maximum {_fmt(cap)} for "
                    f"{self.symbol} {orderType} orders",
                )
            )  # fmt: skip
        notional_price = limit if limit is not None else _dec(reference_price)
        if self.min_notional is not None and notional_price is not None:
            notional = amount * notional_price
            if notional < self.min_notional:
                need = self.round_qty(self.min_notional / notional_price, "up")
                out.append(
                    Violation(
                        "qty",
                        "25207",
                        f"order value {_fmt(notional)} is below the minimum "
                        f"{_fmt(self.min_notional)} for {self.symbol}; at price "
                        f"{_fmt(notional_price)} that needs qty ≥ {_fmt(need)}",
                    )
                )
        return out

    def check(self, **order: Any) -> None:
        """Raise :class:`ValidationError` for the first broken rule (see :meth:`violations`)."""
        found = self.violations(**order)
        if found:
            raise ValidationError(found[0].message, field=found[0].field)


def check_pos_side(req: Any, mode: str) -> None:
    """Explain a missing or superfluous ``posSide`` before the exchange does (spec §5.3)."""
    if mode == "hedge_mode" and req.posSide is None:
        opening = "long" if req.side == "buy" else "short"
        closing = "short" if req.side == "buy" else "long"
        raise ValidationError(
            f"posSide: the account is in hedge mode, so a futures order says which position "
            f"it acts on — posSide='{opening}' opens/adds to the {opening} position, "
            f"posSide='{closing}' closes the {closing} one",
            field="posSide",
        )
    if mode == "one_way_mode" and req.posSide is not None:
        raise ValidationError(
            "posSide: the account is in one-way mode, where orders net against one position; "
            "leave posSide out (and use reduceOnly='yes' to only close), or switch with "
            "set_hold_mode(holdMode='hedge_mode')",
            field="posSide",
        )
