"""Request models: ``PlaceOrderRequestV3`` — validated, exact, with the wire's own field names.

A request is checked when it is built, before anything is sent: enums, required fields, exact
decimal strings (spec §4.1.1) and the ``clientOid`` pattern (spec §5.7). A ``clientOid`` is
generated when none is given, so every order can be looked up after a lost answer. The seed
documentation's names (``takeProfitPrice``, ``stopLossTriggerType="mark_price"``…, spec §6)
are accepted and translated once, with a warning naming the real field.

>>> req = PlaceOrderRequestV3(category="SPOT", symbol="BTCUSDT", side="buy",
...                           orderType="limit", qty="0.001", price="60000", clientOid="doc-1")
>>> req.to_payload()  # doctest: +NORMALIZE_WHITESPACE
{'category': 'SPOT', 'symbol': 'BTCUSDT', 'side': 'buy', 'orderType': 'limit',
 'qty': '0.001', 'price': '60000', 'clientOid': 'doc-1'}
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import re
import secrets
import threading
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .errors import BitgetError, UnknownFieldError, ValidationError, without_internal_frames
from .vocab import (
    CATEGORIES,
    CLIENT_OID,
    FUTURES_CATEGORIES,
    MARGIN_MODES,
    ORDER_TYPES,
    POS_SIDES,
    SIDES,
    STP_MODES,
    TIME_IN_FORCE,
    TRIGGER_BY,
    YES_NO,
)

__all__ = [
    "CATEGORIES",
    "FUTURES_CATEGORIES",
    "PlaceOrderRequestV3",
    "SeedAliasWarning",
    "StrategyOrderRequestV3",
    "decimal_text",
    "new_client_oid",
    "seed_field_name",
    "seed_value",
    "time_ms",
]

#: The wire's decimal grammar (the exchange's too): up to 20 digits each side of the point.
_DECIMAL = re.compile(r"^[0-9]{1,20}(\.[0-9]{1,20})?$")


class SeedAliasWarning(UserWarning):
    """A field or value name from the seed documentation was translated to the wire name."""


def new_client_oid(prefix: str = "bgnb") -> str:
    """A fresh ``clientOid`` that matches the exchange's pattern (spec §5.7).

    >>> bool(CLIENT_OID.match(new_client_oid()))
    True
    """
    return f"{prefix}-{secrets.token_hex(10)}"


def decimal_text(value: Any, name: str, *, positive: bool = True) -> str:
    """The exact decimal string for ``value``; never ``str(float)``.

    Accepts ``Decimal``, ``int``, a plain decimal ``str``, or a ``float`` only when it is
    exactly the number it prints as and prints without an exponent.

    >>> decimal_text(Decimal("0.00010"), "qty"), decimal_text(60000, "price")
    ('0.00010', '60000')
    >>> decimal_text(0.5, "qty")
    '0.5'
    >>> decimal_text(0.1, "qty")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bitget_nb.errors.ValidationError: qty: the float 0.1 is not exactly 0.1 in binary; ...
    """
    if isinstance(value, bool):
        raise ValidationError(f"{name}: expected a decimal, got {value!r}", field=name)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "E" in text or value != value or value in (float("inf"), -float("inf")):
            raise ValidationError(
                f"{name}: the float {text} has no plain decimal form; pass a string", field=name
            )
        if Decimal(value) != Decimal(text):
            raise ValidationError(
                f"{name}: the float {text} is not exactly {text} in binary; "
                f"pass the string '{text}' or Decimal('{text}')",
                field=name,
            )
        value = Decimal(text)
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(f"{name}: {value} is not a finite number", field=name)
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValidationError(
            f"{name}: expected a decimal string, Decimal or int, got {type(value).__name__}",
            field=name,
        )
    if not _DECIMAL.match(text):
        raise ValidationError(
            f"{name}: {text!r} is not a plain decimal (up to 20 digits with an optional "
            "fraction of up to 20, no sign, no exponent)",
            field=name,
        )
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes this
        raise ValidationError(f"{name}: {text!r} is not a decimal", field=name) from None
    if positive and number <= 0:
        raise ValidationError(f"{name}: must be greater than 0, got {text}", field=name)
    return text


def _enum(name: str, value: Any, choices: tuple[str, ...], *, upper: bool = False) -> str:
    text = str(value).strip()
    text = text.upper() if upper else text.lower()
    if text not in choices:
        raise ValidationError(f"{name}: {value!r} is not one of {', '.join(choices)}", field=name)
    return text


def _yes_no(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _enum(name, value, YES_NO)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def time_ms(value: Any, name: str) -> int:
    """A time as ms since the epoch, from ms (an ``int`` or its digits), an ISO 8601 string
    (UTC unless it names a zone), a timezone-aware ``datetime`` / ``pandas.Timestamp``, or a
    ``date`` (its midnight, UTC). A naive ``datetime`` is refused: local time or UTC?

    >>> time_ms("2026-11-01", "startTime"), time_ms("2026-11-01T01:00+01:00", "startTime")
    (1793491200000, 1793491200000)
    >>> time_ms(datetime(2026, 11, 1, tzinfo=UTC), "endTime"), time_ms("1793491200000", "endTime")
    (1793491200000, 1793491200000)
    """
    if isinstance(value, bool):
        raise ValidationError(f"{name}: expected a time, got {value!r}", field=name)
    if isinstance(value, numbers.Integral):
        ms = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            ms = int(text)
        else:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                raise ValidationError(
                    f"{name}: {value!r} is not a time; give ms since the epoch, an ISO 8601 "
                    "time such as '2026-11-01' or '2026-11-01T09:30:00Z', or a "
                    "timezone-aware datetime",
                    field=name,
                ) from None
            ms = _datetime_ms(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    elif isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                f"{name}: {value!r} has no time zone (local time or UTC?); give a "
                "timezone-aware time, e.g. datetime(..., tzinfo=UTC) or "
                "pd.Timestamp(..., tz='UTC'), or an ISO string, which is read as UTC",
                field=name,
            )
        ms = _datetime_ms(value)
    elif isinstance(value, date):
        ms = _datetime_ms(datetime.combine(value, time(), tzinfo=UTC))
    else:
        raise ValidationError(
            f"{name}: expected a time (ms, ISO string or datetime), got {type(value).__name__}",
            field=name,
        )
    if ms < 0:
        raise ValidationError(f"{name}: {value!r} is before 1970", field=name)
    return ms


def _datetime_ms(value: datetime) -> int:
    return (value - _EPOCH) // _MS


# seed name → wire name (spec §6)
_FIELD_ALIASES = {
    "takeProfitPrice": "takeProfit",
    "stopLossPrice": "stopLoss",
    "takeProfitTriggerType": "tpTriggerBy",
    "stopLossTriggerType": "slTriggerBy",
}
# seed value → wire value, for the trigger fields (spec §6: "market" is the last price)
_TRIGGER_ALIASES = {"mark_price": "mark", "last_price": "market", "fill_price": "market"}
_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(key: str, message: str, stacklevel: int) -> None:
    """Warn once per ``key``; ``stacklevel`` 1 is the line that called this function."""
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(message, SeedAliasWarning, stacklevel=stacklevel + 1)


def seed_field_name(key: str, fields: Collection[str], *, stacklevel: int = 1) -> str | None:
    """The wire name of ``key`` when it is the seed documentation's name of one of
    ``fields`` (``takeProfitPrice`` → ``takeProfit``), warning once; ``None`` otherwise.
    ``stacklevel`` 1 attributes the warning to the line that called this function."""
    wire = _FIELD_ALIASES.get(key)
    if wire is None or wire not in fields:
        return None
    _warn_once(
        f"field:{key}",
        f"{key!r} is the seed documentation's name; the wire field is {wire!r}",
        stacklevel + 1,
    )
    return wire


def seed_value(name: str, value: Any, *, stacklevel: int = 1) -> Any:
    """The wire value of a trigger field given in the seed documentation's words
    (``mark_price`` → ``mark``, ``last_price`` → ``market``), warning once; ``value`` itself
    for anything else."""
    if name not in {"tpTriggerBy", "slTriggerBy"} or not isinstance(value, str):
        return value
    text = value.strip()
    wire = _TRIGGER_ALIASES.get(text.lower())
    if wire is None:
        return value
    _warn_once(
        f"value:{text}",
        f"{name}={text!r} is the seed documentation's name; the wire value is {wire!r}",
        stacklevel + 1,
    )
    return wire


def _wire_fields(cls: type, data: Mapping[str, Any], *, stacklevel: int = 1) -> dict[str, Any]:
    """``data`` by wire names: the seed documentation's names translated (warning once),
    anything else that is not a field of ``cls`` refused, naming the fields."""
    known = [f.name for f in dataclasses.fields(cls)]
    fields: dict[str, Any] = {}
    for key, value in data.items():
        name = key if key in known else seed_field_name(key, known, stacklevel=stacklevel + 1)
        if name is None:
            raise UnknownFieldError(
                f"{key}: not a field of {cls.__name__} (its fields: {', '.join(known)})",
                field=key,
            )
        if name != key and name in data:
            raise ValidationError(f"{key}: given together with {name}", field=name)
        fields[name] = value
    return fields


R = TypeVar("R", bound=type)


def _seed_names_accepted(cls: R) -> R:
    """Let the constructor take the seed documentation's names too, translated with the
    one-time warning, and refuse other unknown names with the list of fields. Its signature
    stays the dataclass's (``inspect.signature`` follows ``__wrapped__``)."""
    init: Callable[..., None] = cls.__init__  # type: ignore[misc]

    @functools.wraps(init)
    def __init__(self: Any, **fields: Any) -> None:
        try:
            init(self, **_wire_fields(cls, fields, stacklevel=2))
            return
        except BitgetError as error:
            refusal = without_internal_frames(error)
        raise refusal

    setattr(cls, "__init__", __init__)  # noqa: B010 - mypy refuses assigning a method
    return cls


def _choices(*values: str, doc: str = "") -> dict[str, Any]:
    return {"choices": values, "doc": doc}


def _decimal(doc: str) -> dict[str, Any]:
    return {"decimal": True, "doc": doc}


def _doc(doc: str) -> dict[str, Any]:
    return {"doc": doc}


_CLIENT_OID_DOC = (
    "your id for the order, 1–32 letters, digits and . : / _ -; generated if not given"
)
# The attached TP/SL fields, shared by both models (spec §4.1.1, §4.2.1).
_TP_BY_DOC = "price that fires the take-profit: market (the last price, default) or mark"
_SL_BY_DOC = "price that fires the stop-loss: market (the last price, default) or mark"
_TP_TYPE_DOC = "order sent when the take-profit fires (default market)"
_SL_TYPE_DOC = "order sent when the stop-loss fires (default market)"
_TP_LIMIT_DOC = "the take-profit order's price; required when tpOrderType is limit"
_SL_LIMIT_DOC = "the stop-loss order's price; required when slOrderType is limit"


class _WireRequest:
    """Shared behaviour of the request models: normalise and validate every field by its
    metadata, generate a ``clientOid``, build from mappings, and emit the exact payload."""

    __slots__ = ()
    #: Fields :meth:`from_mapping` insists on.
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    if TYPE_CHECKING:  # the fields every model has, for type checkers
        __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
        category: str
        symbol: str
        clientOid: str | None

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        put("category", _enum("category", self.category, CATEGORIES, upper=True))
        symbol = str(self.symbol or "").strip().upper()
        if not symbol:
            raise ValidationError("symbol: required", field="symbol")
        put("symbol", symbol)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None or f.name in {"category", "symbol", "clientOid"}:
                continue
            if f.metadata.get("decimal"):
                put(f.name, decimal_text(value, f.name))
            elif f.name == "reduceOnly":
                put(f.name, _yes_no(f.name, value))
            elif "choices" in f.metadata:
                # stacklevel 4: this line, the dataclass's __init__, ours, its caller
                text = seed_value(f.name, str(value).strip(), stacklevel=4)
                put(f.name, _enum(f.name, text, f.metadata["choices"]))
        self._check_shape()  # type: ignore[attr-defined]
        oid = self.clientOid if self.clientOid is not None else new_client_oid()
        if not isinstance(oid, str) or not CLIENT_OID.match(oid):
            raise ValidationError(
                f"clientOid: {oid!r} must be 1–32 characters of letters, digits and . : / _ -",
                field="clientOid",
            )
        put("clientOid", oid)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Any:
        """Build from wire fields, translating the seed documentation's aliases (spec §6)."""
        fields = _wire_fields(cls, data, stacklevel=2)
        missing = [n for n in cls.REQUIRED if n not in fields]
        if missing:
            raise ValidationError(f"{missing[0]}: required", field=missing[0])
        return cls(**fields)

    @classmethod
    def coerce(cls, value: Any) -> Any:
        """``value`` itself when it is a request of this kind; built with
        :meth:`from_mapping` otherwise."""
        return value if isinstance(value, cls) else cls.from_mapping(value)

    def to_payload(self) -> dict[str, str]:
        """The exact dict sent as the body: set fields only, all strings, wire names."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` applied and validated again (the clientOid is kept)."""
        return dataclasses.replace(self, **_wire_fields(type(self), changes, stacklevel=2))


def _check_legs(req: Any) -> None:
    """TP/SL legs: a limit leg needs its limit price, a limit price needs a limit leg, and a
    leg's order type needs its trigger price."""
    for leg, trigger in (("tp", "takeProfit"), ("sl", "stopLoss")):
        order_type, limit = getattr(req, f"{leg}OrderType"), getattr(req, f"{leg}LimitPrice")
        if order_type == "limit" and limit is None:
            raise ValidationError(
                f"{leg}LimitPrice: required when {leg}OrderType is 'limit'",
                field=f"{leg}LimitPrice",
            )
        if limit is not None and order_type != "limit":
            raise ValidationError(
                f"{leg}LimitPrice: only used when {leg}OrderType='limit'",
                field=f"{leg}LimitPrice",
            )
        if getattr(req, trigger) is None and (order_type or limit):
            raise ValidationError(
                f"{trigger}: set the trigger price when configuring {leg}OrderType",
                field=trigger,
            )


@_seed_names_accepted
@dataclass(frozen=True, kw_only=True, slots=True)
class PlaceOrderRequestV3(_WireRequest):
    """One order for ``POST /api/v3/trade/place-order``, with the wire's field names.

    Keyword-only, so price and quantity can never be swapped by position. Amounts are kept as
    exact decimal strings. Build it from keywords, or from a mapping with
    :meth:`from_mapping`; ``to_payload()`` is exactly the dict that will be sent.
    """

    category: str = field(metadata=_choices(*CATEGORIES, doc="business line"))
    symbol: str = field(metadata=_doc("instrument, e.g. BTCUSDT"))
    side: str = field(metadata=_choices(*SIDES))
    orderType: str = field(metadata=_choices(*ORDER_TYPES))
    qty: Any = field(
        metadata=_decimal("size in the base coin; a spot market buy is sized in the quote coin")
    )
    price: Any = field(
        default=None, metadata=_decimal("limit price: required for limit orders, none for market")
    )
    timeInForce: str | None = field(
        default=None, metadata=_choices(*TIME_IN_FORCE, doc="limit orders; default gtc")
    )
    posSide: str | None = field(
        default=None,
        metadata=_choices(
            *POS_SIDES,
            doc="futures: the position acted on; required in hedge mode, none in one-way",
        ),
    )
    marginMode: str | None = field(
        default=None, metadata=_choices(*MARGIN_MODES, doc="futures; default crossed")
    )
    reduceOnly: Any = field(
        default=None,
        metadata=_choices(*YES_NO, doc="futures, one-way mode: only reduce the position"),
    )
    clientOid: str | None = field(default=None, metadata=_doc(_CLIENT_OID_DOC))
    stpMode: str | None = field(
        default=None, metadata=_choices(*STP_MODES, doc="self-trade prevention; default none")
    )
    tpTriggerBy: str | None = field(default=None, metadata=_choices(*TRIGGER_BY, doc=_TP_BY_DOC))
    slTriggerBy: str | None = field(default=None, metadata=_choices(*TRIGGER_BY, doc=_SL_BY_DOC))
    takeProfit: Any = field(
        default=None, metadata=_decimal("futures: attached take-profit trigger price")
    )
    stopLoss: Any = field(
        default=None, metadata=_decimal("futures: attached stop-loss trigger price")
    )
    tpOrderType: str | None = field(default=None, metadata=_choices(*ORDER_TYPES, doc=_TP_TYPE_DOC))
    slOrderType: str | None = field(default=None, metadata=_choices(*ORDER_TYPES, doc=_SL_TYPE_DOC))
    tpLimitPrice: Any = field(default=None, metadata=_decimal(_TP_LIMIT_DOC))
    slLimitPrice: Any = field(default=None, metadata=_decimal(_SL_LIMIT_DOC))

    FIELD_ALIASES: ClassVar[Mapping[str, str]] = _FIELD_ALIASES
    REQUIRED: ClassVar[tuple[str, ...]] = ("category", "symbol", "side", "orderType", "qty")

    def _check_shape(self) -> None:
        futures = self.category in FUTURES_CATEGORIES
        if self.orderType == "limit" and self.price is None:
            raise ValidationError("price: required for a limit order", field="price")
        if self.orderType == "market":
            if self.price is not None:
                raise ValidationError(
                    "price: a market order takes no price; use orderType='limit' to set one",
                    field="price",
                )
            if self.timeInForce not in (None, "gtc", "ioc", "fok"):
                raise ValidationError(
                    f"timeInForce: {self.timeInForce} applies only to limit orders",
                    field="timeInForce",
                )
        if not futures:
            for name in ("posSide", "marginMode", "reduceOnly"):
                if getattr(self, name) is not None and not (
                    name == "reduceOnly" and getattr(self, name) == "no"
                ):
                    raise ValidationError(
                        f"{name}: only for futures categories, not {self.category}", field=name
                    )
        tp_sl = ("takeProfit", "stopLoss", "tpTriggerBy", "slTriggerBy", "tpOrderType",
                 "slOrderType", "tpLimitPrice", "slLimitPrice")  # fmt: skip
        if not futures:
            for name in tp_sl:
                if getattr(self, name) is not None:
                    raise ValidationError(
                        f"{name}: attached TP/SL is for futures orders, not {self.category}",
                        field=name,
                    )
        _check_legs(self)
        if self.price is not None:
            _check_levels(self.side, Decimal(self.price), self)


def _check_levels(side: str, price: Decimal, req: Any) -> None:
    """An attached take-profit lies beyond the order's price in the order's favour and a
    stop-loss beyond it against the order, as the exchange requires (spec §5.4)."""
    for name, favour in (("takeProfit", True), ("stopLoss", False)):
        value = getattr(req, name)
        if value is None:
            continue
        above = favour == (side == "buy")
        if (Decimal(value) <= price) if above else (Decimal(value) >= price):
            raise ValidationError(
                f"{name}: a {side} order's {name} must be {'above' if above else 'below'} its "
                f"price {req.price}; got {value}",
                field=name,
            )


@_seed_names_accepted
@dataclass(frozen=True, kw_only=True, slots=True)
class StrategyOrderRequestV3(_WireRequest):
    """A TP/SL strategy order for ``POST /api/v3/trade/place-strategy-order`` (spec §4.2.1).

    Futures only; ``posSide`` names the position protected; ``tpslMode="partial"`` protects
    ``qty`` of it, ``"full"`` the whole position. At least one of ``takeProfit`` /
    ``stopLoss``.

    >>> StrategyOrderRequestV3(category="USDT-FUTURES", symbol="BTCUSDT", posSide="long",
    ...     tpslMode="partial", qty="0.01", stopLoss="60000", clientOid="sl-1").to_payload()
    ... # doctest: +NORMALIZE_WHITESPACE
    {'category': 'USDT-FUTURES', 'symbol': 'BTCUSDT', 'clientOid': 'sl-1', 'type': 'tpsl',
     'tpslMode': 'partial', 'qty': '0.01', 'posSide': 'long', 'stopLoss': '60000'}
    """

    category: str = field(metadata=_choices(*FUTURES_CATEGORIES, doc="business line"))
    symbol: str = field(metadata=_doc("instrument, e.g. BTCUSDT"))
    clientOid: str | None = field(default=None, metadata=_doc(_CLIENT_OID_DOC))
    type: str = field(default="tpsl", metadata=_choices("tpsl", doc="a TP/SL order (the default)"))
    tpslMode: str | None = field(
        default=None,
        metadata=_choices(
            "full", "partial", doc="full (default) protects the whole position, partial qty of it"
        ),
    )
    qty: Any = field(default=None, metadata=_decimal("size protected; required when partial"))
    posSide: str | None = field(
        default=None, metadata=_choices(*POS_SIDES, doc="the position this TP/SL protects")
    )
    tpTriggerBy: str | None = field(default=None, metadata=_choices(*TRIGGER_BY, doc=_TP_BY_DOC))
    slTriggerBy: str | None = field(default=None, metadata=_choices(*TRIGGER_BY, doc=_SL_BY_DOC))
    takeProfit: Any = field(default=None, metadata=_decimal("take-profit trigger price"))
    stopLoss: Any = field(default=None, metadata=_decimal("stop-loss trigger price"))
    tpOrderType: str | None = field(default=None, metadata=_choices(*ORDER_TYPES, doc=_TP_TYPE_DOC))
    slOrderType: str | None = field(default=None, metadata=_choices(*ORDER_TYPES, doc=_SL_TYPE_DOC))
    tpLimitPrice: Any = field(default=None, metadata=_decimal(_TP_LIMIT_DOC))
    slLimitPrice: Any = field(default=None, metadata=_decimal(_SL_LIMIT_DOC))

    REQUIRED: ClassVar[tuple[str, ...]] = ("category", "symbol", "posSide")

    def _check_shape(self) -> None:
        if self.category not in FUTURES_CATEGORIES:
            raise ValidationError(
                f"category: strategy orders are for futures, not {self.category}",
                field="category",
            )
        if self.posSide is None:
            raise ValidationError(
                "posSide: required — the side of the position this TP/SL protects",
                field="posSide",
            )
        if self.takeProfit is None and self.stopLoss is None:
            raise ValidationError(
                "takeProfit: give a takeProfit and/or a stopLoss trigger price",
                field="takeProfit",
            )
        if self.tpslMode == "partial" and self.qty is None:
            raise ValidationError("qty: required when tpslMode is 'partial'", field="qty")
        _check_legs(self)
