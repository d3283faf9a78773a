"""Typed commands: what the domain is asked to do, already read off the wire.

The API layer (:mod:`.api`) turns request parameters into these — Decimal amounts, the
instrument itself, vocabulary words checked — and the desks act on them. Orders the
exchange sends itself (close-positions, a TP/SL leg that fired) are built here as commands
too, never as wire strings to be parsed again (:func:`close_order`).

>>> from bitget_nb.exchange.instruments import Catalogue
>>> perp = Catalogue.bundled().get("USDT-FUTURES", "BTCUSDT")
>>> cmd = PlaceOrder(inst=perp, side="buy", order_type="market", qty=Decimal("0.01"))
>>> cmd.time_in_force, cmd.reduce_only, cmd.price
('gtc', False, None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .instruments import Instrument
from .orders import LegFields
from .positions import Position

__all__ = [
    "ClosePositions",
    "HistoryQuery",
    "ModifyStrategy",
    "OpenOrdersQuery",
    "OrderRef",
    "PlaceOrder",
    "PlaceStrategy",
    "SetLeverage",
    "close_order",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceOrder:
    """A new order (spec §4.1.1). ``qty`` is base quantity, except for a spot market buy,
    where it is the quote amount to spend. ``stp_mode`` ``None`` takes the account's;
    ``pos_side``/``margin_mode`` are what the request said (futures); ``presets`` the
    attached TP/SL fields as submitted, by trigger type."""

    inst: Instrument
    side: str
    order_type: str
    qty: Decimal
    price: Decimal | None = None
    time_in_force: str = "gtc"
    stp_mode: str | None = None
    reduce_only: bool = False
    pos_side: str | None = None
    margin_mode: str | None = None
    client_oid: str | None = None
    presets: Mapping[str, LegFields] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRef:
    """An order named by ``order_id`` (which wins) or ``client_oid``, as the request spelled
    them; ``category`` and ``symbol``, when given, must match it."""

    order_id: str | None = None
    client_oid: str | None = None
    category: str | None = None
    symbol: str | None = None

    @property
    def named(self) -> str:
        if self.order_id is not None:
            return f"orderId {self.order_id}"
        return f"clientOid {self.client_oid}"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenOrdersQuery:
    """Open orders newest first, optionally of one category / symbol, created in a window,
    below a cursor id."""

    category: str | None = None
    symbol: str | None = None
    start: int | None = None
    end: int | None = None
    before: int | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryQuery:
    """A page of history newest first: a window ``[start, end]`` (both known), filters,
    a cursor id and a page size."""

    start: int
    end: int
    category: str | None = None
    symbol: str | None = None
    order_id: str | None = None
    before: int | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosePositions:
    """Market-close every open position of a category, optionally one symbol / side."""

    category: str
    symbol: str | None = None
    pos_side: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetLeverage:
    """A futures symbol's leverage (both sides, one side, or per side) and margin mode."""

    inst: Instrument
    leverage: int | None = None
    long_leverage: int | None = None
    short_leverage: int | None = None
    pos_side: str | None = None
    margin_mode: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceStrategy:
    """A position TP/SL (spec §4.2.1): ``qty`` only for ``partial``."""

    inst: Instrument
    pos_side: str
    tpsl_mode: str
    legs: Mapping[str, LegFields]
    qty: Decimal | None = None
    client_oid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModifyStrategy:
    """New qty and leg fields of a pending strategy order (spec §4.2.2)."""

    order_id: str
    qty: Decimal | None
    legs: Mapping[str, LegFields]


def close_order(
    position: Position,
    inst: Instrument,
    qty: Decimal,
    *,
    hedge: bool,
    order_type: str = "market",
    price: Decimal | None = None,
) -> PlaceOrder:
    """The order that closes ``qty`` of ``position`` in the account's hold mode (spec §5.3):
    the opposite side, with ``posSide`` in hedge mode and reduce-only in one-way mode. Amounts
    are held at the instrument's precision, as an order typed in would be."""
    return PlaceOrder(
        inst=inst,
        side="sell" if position.pos_side == "long" else "buy",
        order_type=order_type,
        qty=Decimal(inst.qty_text(qty)),
        price=None if price is None else Decimal(inst.price_text(price)),
        pos_side=position.pos_side if hedge else None,
        reduce_only=not hedge,
    )
