"""The client's public methods, made from the endpoint table: signatures, docstrings, checks.

Every endpoint method of :class:`~bitget_nb.BitgetClient` is described by a
:class:`MethodSpec` built from its row of :data:`~bitget_nb.endpoints.ENDPOINTS` (for the
order endpoints, the row's parameters are the request model's fields). From that one
description come

* the method itself (:func:`make_method`): its ``__signature__`` lists the wire fields as
  keyword parameters — required ones default to :data:`REQUIRED` — so ``help()``, IPython's
  Shift-Tab and keyword completion show them; its ``__doc__`` says what each means, its
  allowed values and limits; a call with a keyword that is not a field raises
  :class:`~bitget_nb.errors.UnknownFieldError` naming the valid ones (a seed documentation
  name such as ``takeProfitPrice`` is translated, with the one-time warning); and a refusal
  is raised from the method's own frame, without the transport's frames below it;
* the stub ``bitget_nb/_api.pyi`` (:func:`render_stub`) that gives static tools — mypy,
  pyright, editors — the same signatures, with overloads for ``raw=True``, which returns the
  envelope instead of a frame. ``tests/test_signatures.py`` checks that the stub is the
  rendering of the current table; after changing the table, write it again with
  ``make stubs`` (:func:`write_stub`).

>>> from bitget_nb.endpoints import ENDPOINTS
>>> sig = endpoint_spec(ENDPOINTS["get_fee_rate"]).signature()
>>> list(sig.parameters), sig.parameters["symbol"].default
(['self', 'params', 'category', 'symbol', 'raw'], <required>)
"""

from __future__ import annotations

import difflib
import functools
import inspect
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import pandas as pd

from .endpoints import ENDPOINTS, Endpoint, Kind, Param, Shape
from .errors import BitgetError, UnknownFieldError, without_internal_frames
from .models import (
    PlaceOrderRequestV3,
    StrategyOrderRequestV3,
    seed_field_name,
    seed_value,
)
from .vocab import (
    CANDLE_INTERVALS,
    CANDLE_PRICE_TYPES,
    CATEGORIES,
    FUTURES_CATEGORIES,
    HOLD_MODES,
    MARGIN_MODES,
    ORDER_TYPES,
    POS_SIDES,
    SIDES,
    STP_MODES,
    TIME_IN_FORCE,
    TRIGGER_BY,
)

__all__ = [
    "REQUIRED",
    "MethodSpec",
    "Option",
    "check_fields",
    "endpoint_spec",
    "make_method",
    "refusals_raised_here",
    "render_stub",
    "write_stub",
]

STUB = Path(__file__).with_name("_api.pyi")


class _Required:
    """The default of a required parameter: shows as ``<required>`` in a signature."""

    _instance: _Required | None = None

    def __new__(cls) -> _Required:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<required>"

    def __reduce__(self) -> str:
        return "REQUIRED"


#: The default of every required parameter (it is never sent).
REQUIRED: Any = _Required()

# -- types: one text for the stub and one object for the run-time signature per kind ----------

#: Names for the enums the stub spells out once (a ``Literal`` of the wire values).
_ENUM_NAMES: dict[tuple[str, ...], str] = {
    CATEGORIES: "Category",
    FUTURES_CATEGORIES: "FuturesCategory",
    ("SPOT", *FUTURES_CATEGORIES): "MarketCategory",
    SIDES: "Side",
    ORDER_TYPES: "OrderType",
    TIME_IN_FORCE: "TimeInForce",
    POS_SIDES: "PosSide",
    MARGIN_MODES: "MarginMode",
    STP_MODES: "StpMode",
    TRIGGER_BY: "TriggerBy",
    HOLD_MODES: "HoldMode",
    CANDLE_INTERVALS: "CandleInterval",
    CANDLE_PRICE_TYPES: "CandlePriceType",
}
#: The other kinds: (the stub's alias, its definition, the run-time type).
_KIND_TYPES: dict[Kind, tuple[str, str, Any]] = {
    Kind.TEXT: ("str", "", str),
    Kind.DECIMAL: ("Amount", "Decimal | str | int", Decimal | str | int),
    Kind.INT: ("Whole", "int | str", int | str),
    Kind.TIME: ("Time", "int | str | datetime | date", int | str | datetime | date),
    Kind.YES_NO: ("YesNo", 'bool | Literal["yes", "no"]', bool | Literal["yes", "no"]),
}
_KIND_WORDS = {
    Kind.TEXT: "str",
    Kind.ENUM: "str",
    Kind.DECIMAL: "decimal",
    Kind.INT: "int",
    Kind.TIME: "time",
    Kind.YES_NO: "yes/no",
}
#: What a time may be given as, for the docstrings.
TIME_FORMS = (
    "ms since the epoch, an ISO 8601 string (UTC unless it names a zone: '2026-11-01', "
    "'2026-11-01T09:30+01:00') or a timezone-aware datetime / pandas.Timestamp"
)


def _literal(choices: tuple[str, ...]) -> str:
    return "Literal[" + ", ".join(f'"{c}"' for c in choices) + "]"


def _stub_type(param: Param) -> str:
    if param.kind is Kind.ENUM:
        name = _ENUM_NAMES.get(param.choices) or _literal(param.choices)
        # any str: the client folds the case where the API does ("spot" is SPOT), and the
        # literal values are there for completion and for the reader
        return f"{name} | str"
    return _KIND_TYPES[param.kind][0]


def _runtime_type(param: Param) -> Any:
    if param.kind is Kind.ENUM:
        return Literal[param.choices] | str
    return _KIND_TYPES[param.kind][2]


@dataclass(frozen=True, slots=True)
class Option:
    """A keyword option of a method that is not a wire field (``raw``, ``progress`` …)."""

    name: str
    stub: str
    runtime: Any
    default: Any
    doc: str


RAW = Option("raw", "bool", bool, False, "return the decoded envelope instead")
_PAGE_OPTIONS = (
    Option(
        "progress",
        "bool | None",
        bool | None,
        None,
        "a progress bar: always with True, never with False, by default once a download "
        "takes more than two seconds",
    ),
    Option("max_rows", "int | None", int | None, None, "stop after this many rows"),
)
_ROUNDING = 'Literal["nearest", "down", "up"]'


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """One public method: what it is called, what it takes, what it returns and says.

    ``target`` is the endpoint (or helper) it runs — an alias shares its target's. ``first``
    names the positional-only argument (a mapping of wire fields, a request model, or the
    list of a batch), ``first_stub`` its type; a batch takes its fields per item, so
    ``keywords`` is false and ``params`` only documents the items. ``returns`` and
    ``raw_returns`` are the stub's result types without and with ``raw=True`` (``None``: the
    method has no ``raw``).
    """

    name: str
    target: str
    summary: str
    params: tuple[Param, ...]
    first: str = "params"
    first_stub: str = "Mapping[str, Any] | None"
    first_runtime: Any = Mapping[str, Any] | None
    first_required: bool = False
    keywords: bool = True
    options: tuple[Option, ...] = (RAW,)
    returns: str = "pd.DataFrame"
    returns_runtime: Any = pd.DataFrame
    raw_returns: str | None = "dict[str, Any]"
    one_of: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def fields(self) -> frozenset[str]:
        """The wire fields it takes as keywords."""
        return frozenset(p.name for p in self.params) if self.keywords else frozenset()

    def signature(self) -> inspect.Signature:
        """The run-time signature: ``self``, the positional argument, the wire fields as
        keywords (in the row's order), then the options."""
        P = inspect.Parameter
        parameters = [P("self", P.POSITIONAL_ONLY)]
        parameters.append(
            P(self.first, P.POSITIONAL_ONLY, annotation=self.first_runtime)
            if self.first_required
            else P(self.first, P.POSITIONAL_ONLY, default=None, annotation=self.first_runtime)
        )
        if self.keywords:
            for param in self.params:
                kind = _runtime_type(param)
                parameters.append(
                    P(param.name, P.KEYWORD_ONLY, default=REQUIRED, annotation=kind)
                    if param.required
                    else P(param.name, P.KEYWORD_ONLY, default=None, annotation=kind | None)
                )
        for option in self.options:
            parameters.append(
                P(option.name, P.KEYWORD_ONLY, default=option.default, annotation=option.runtime)
            )
        return inspect.Signature(parameters, return_annotation=self.returns_runtime)

    def doc(self) -> str:
        """The docstring: what it does, each parameter with its kind, allowed values,
        limits and meaning, and what comes back."""
        lines = [self.summary, ""]
        notes = (*self.notes, *((f"Give {' or '.join(self.one_of)}.",) if self.one_of else ()))
        for note in notes:
            lines += [*textwrap.wrap(note, 88), ""]
        lines += ["Parameters", "----------"]
        if self.first_required:
            lines += [
                f"{self.first} : sequence",
                "    one request or mapping of wire fields per item",
            ]
        else:
            what = "mapping" if self.first == "params" else "request or mapping"
            lines += [
                f"{self.first} : {what}, optional",
                "    the same fields in one "
                + ("mapping" if self.first == "params" else "request model or mapping")
                + (" (keywords win)" if self.keywords else ""),
            ]
        if not self.keywords and self.params:
            lines += ["", "Fields of each item:", ""]
        for param in self.params:
            lines += _param_doc(param)
        for option in self.options:
            lines.append(f"{option.name} : {option.stub}")
            lines += textwrap.wrap(option.doc, 88, initial_indent="    ", subsequent_indent="    ")
        lines += ["", "Returns", "-------", *textwrap.wrap(_returns_words(self), 88)]
        return "\n".join(lines)


def _param_doc(param: Param) -> list[str]:
    words = _KIND_WORDS[param.kind] + (", required" if param.required else ", optional")
    detail = param.doc
    if param.choices:
        detail = (detail + " — " if detail else "") + "one of " + ", ".join(param.choices)
    if param.minimum is not None and param.maximum is not None:
        detail += f", {param.minimum}–{param.maximum}"
    if param.default is not None:
        detail += f" (default {param.default})"
    if param.kind is Kind.TIME:
        detail += "; " + TIME_FORMS
    out = [f"{param.name} : {words}"]
    if detail:
        out += textwrap.wrap(detail, 88, initial_indent="    ", subsequent_indent="    ")
    return out


_SHAPE_RETURNS = {
    Shape.LIST: "pandas.DataFrame",
    Shape.PAGE: "pandas.DataFrame of every page, de-duplicated, newest first",
    Shape.NUMBERED_PAGES: "pandas.DataFrame of every page, newest first",
    Shape.ITEMS: "pandas.DataFrame",
    Shape.BATCH: "pandas.DataFrame, one row per item with orderId, clientOid, code, msg and a "
    "boolean ok",
    Shape.OBJECT: "pandas.Series",
    Shape.SERVER_TIME: "pandas.Series with serverTime",
    Shape.CANDLES: "pandas.DataFrame indexed by ts with float open, high, low, close, volume, "
    "turnover",
    Shape.ORDERBOOK: "pandas.DataFrame with side, level, price, size (asks, then bids)",
    Shape.ASSETS: "pandas.DataFrame, one row per coin; the account's totals in .attrs['account']",
    Shape.STRING: 'str: "success"',
}
_STUB_RETURNS = {
    Shape.OBJECT: ("pd.Series", pd.Series),
    Shape.SERVER_TIME: ("pd.Series", pd.Series),
    Shape.STRING: ("str", str),
}


def _returns_words(spec: MethodSpec) -> str:
    ep = ENDPOINTS.get(spec.target)
    text = _SHAPE_RETURNS[ep.shape] if ep is not None else spec.returns
    if spec.raw_returns is not None:
        text += "; with raw=True the decoded envelope"
        if spec.raw_returns.startswith("list"):
            text = text.replace("the decoded envelope", "the list of per-item results")
    return text


def endpoint_spec(
    ep: Endpoint, *, name: str | None = None, notes: Sequence[str] = ()
) -> MethodSpec:
    """The method of one endpoint row (``name`` for one of its aliases); ``notes`` are the
    client's paragraphs on what it does beyond the call (safety, paging…)."""
    assert ep.params is not None, f"{ep.name}: the row declares no parameters"
    auth = "signed" if ep.private else "public"
    scope = "IP" if ep.scope == "ip" else "account (uid)"
    route = f"``{ep.method} {ep.path}`` — {auth}, {ep.rate_limit:g}/s per {scope}."
    returns, returns_runtime = _STUB_RETURNS.get(ep.shape, ("pd.DataFrame", pd.DataFrame))
    kw: dict[str, Any] = {}
    if ep.batch_body:
        kw.update(
            first="orders" if ep.name == "place_batch_orders" else "items",
            first_stub="Sequence[Mapping[str, Any]]",
            first_runtime=Sequence[Mapping[str, Any]],
            first_required=True,
            keywords=False,
            raw_returns="list[dict[str, Any]]",
        )
        if ep.name == "place_batch_orders":
            kw.update(
                first_stub="Sequence[PlaceOrderRequestV3 | Mapping[str, Any]]",
                first_runtime=Sequence[PlaceOrderRequestV3 | Mapping[str, Any]],
            )
    elif ep.name in _MODEL_OF:
        model = _MODEL_OF[ep.name]
        kw.update(
            first="request",
            first_stub=f"{model.__name__} | Mapping[str, Any] | None",
            first_runtime=model | Mapping[str, Any] | None,
        )
    paging: tuple[str, ...] = ()
    if ep.shape is Shape.PAGE:
        kw["options"] = (RAW, *_PAGE_OPTIONS)
    elif ep.shape is Shape.CANDLES:
        kw["options"] = (RAW, _PAGE_OPTIONS[0])
        paging = (_PAGING,) + ((_WINDOWS,) if ep.windowed else ())
    elif ep.shape is Shape.NUMBERED_PAGES:
        kw["options"] = (RAW, *_PAGE_OPTIONS)
        paging = (_NUMBERED_PAGING,)
    all_notes = (route, *notes, *((ep.notes,) if ep.notes else ()), *paging)
    return MethodSpec(
        name=name or ep.name,
        target=ep.name,
        summary=f"{ep.summary}.",
        params=ep.params,
        returns=returns,
        returns_runtime=returns_runtime,
        one_of=ep.one_of,
        notes=all_notes,
        **kw,
    )


_PAGING = (
    "Pages are followed to the end (limit is the page size) and one de-duplicated frame comes "
    "back; max_rows caps the total. raw=True sends one request and returns its envelope."
)
_NUMBERED_PAGING = (
    "Pages (cursor 1, 2 …, newest first) are followed until one is short, or reaches "
    "startTime; max_rows caps the total. raw=True sends one request and returns its envelope."
)
_WINDOWS = (
    "A startTime..endTime range longer than 30 days is split into the windows of at most 30 "
    "days the API allows, inside its 90-day look-back."
)

_MODEL_OF: dict[str, type] = {
    "submit_new_order": PlaceOrderRequestV3,
    "submit_strategy_order": StrategyOrderRequestV3,
}


def round_order_spec(notes: Sequence[str]) -> MethodSpec:
    """``round_order``: the fields of an order in, the same order on the grid out."""
    return MethodSpec(
        name="round_order",
        target="round_order",
        summary="The order with its price on the tick grid and its qty on the lot-step grid.",
        params=ENDPOINTS["submit_new_order"].params or (),
        first="request",
        first_stub="PlaceOrderRequestV3 | Mapping[str, Any] | None",
        first_runtime=PlaceOrderRequestV3 | Mapping[str, Any] | None,
        options=(
            Option(
                "price_rounding",
                _ROUNDING,
                Literal["nearest", "down", "up"],
                "nearest",
                "how the price goes onto the tick grid",
            ),
            Option(
                "qty_rounding",
                _ROUNDING,
                Literal["nearest", "down", "up"],
                "down",
                "how the qty goes onto the lot-step grid (down: an order never grows)",
            ),
        ),
        returns="PlaceOrderRequestV3",
        returns_runtime=PlaceOrderRequestV3,
        raw_returns=None,
        notes=tuple(notes),
    )


# -- checks of what a call is given -------------------------------------------------------------


def check_fields(
    method: str,
    params: Sequence[Param],
    given: Mapping[str, Any],
    *,
    also: Sequence[str] = (),
    stacklevel: int = 1,
) -> dict[str, Any]:
    """``given`` with the seed documentation's names translated (warning once) and every key
    a field of ``params``; otherwise :class:`UnknownFieldError` naming the valid ones (and
    ``also``, the method's other keywords). ``stacklevel`` is the warning's: 1 is the line
    that called this function, 2 its caller's…

    >>> from bitget_nb.endpoints import ENDPOINTS
    >>> check_fields("get_candles", ENDPOINTS["get_candles"].params, {"start_time": 1})
    Traceback (most recent call last):
    ...
    bitget_nb.errors.UnknownFieldError: get_candles() has no field 'start_time' — did you mean \
'startTime'? Its fields: category, symbol, interval, startTime, endTime, type, limit
    """
    names = [p.name for p in params]
    known = set(names)
    out: dict[str, Any] = {}
    for key, value in given.items():
        name = key if key in known else seed_field_name(key, known, stacklevel=stacklevel + 1)
        if name is None:
            raise UnknownFieldError(_unknown_message(method, key, names, also), field=key)
        if name != key and name in given:
            raise UnknownFieldError(
                f"{key}: given together with {name}, its wire name; give {name} only", field=key
            )
        out[name] = value
    return out


def _unknown_message(method: str, key: str, names: Sequence[str], also: Sequence[str]) -> str:
    folded = {n.lower().replace("_", ""): n for n in names}
    guess = folded.get(key.lower().replace("_", "")) or next(
        iter(difflib.get_close_matches(key, names, n=1)), None
    )
    text = f"{method}() has no field {key!r}"
    text += f" — did you mean {guess!r}?" if guess else "."
    text += f" Its fields: {', '.join(names) if names else 'none'}"
    if also:
        text += f"; other keywords: {', '.join(also)}"
    return text


# -- the run-time method -----------------------------------------------------------------------


def make_method(spec: MethodSpec) -> Callable[..., Any]:
    """The method ``spec`` describes. It checks the keywords, then hands the call to the
    client's ``_call(target, first, fields, **options)``; a :class:`BitgetError` leaves it
    raised from this frame (the frames below — transport, retries, look-ups — are not the
    caller's business, and the message says what happened)."""
    fields = spec.fields
    defaults = {o.name: o.default for o in spec.options}
    target = spec.target
    name = spec.name
    first_required = spec.first_required
    also = list(defaults)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            if len(args) > 1 or (first_required and not args):
                raise TypeError(
                    f"{name}() takes {'one' if first_required else 'at most one'} positional "
                    f"argument ({spec.first}); give the fields as keywords"
                )
            given: dict[str, Any] = {}
            options = dict(defaults)
            wire: dict[str, Any] = {}
            for key, value in kwargs.items():
                if key in defaults:
                    options[key] = value
                else:
                    wire[key] = value
            if wire:
                if spec.first in wire:
                    raise TypeError(
                        f"{name}(): {spec.first} is positional — {name}({{...}}), or give its "
                        "fields as keywords"
                    )
                if not spec.keywords:
                    raise UnknownFieldError(
                        f"{name}() takes the fields of each item in its {spec.first}, not as "
                        f"keywords ({', '.join(wire)}); its keywords: {', '.join(defaults)}",
                        field=next(iter(wire)),
                    )
                if not wire.keys() <= fields:
                    wire = check_fields(name, spec.params, wire, also=also, stacklevel=2)
                for key, value in wire.items():  # a loop, not a comprehension: stacklevel
                    if value is not None and value is not REQUIRED:
                        # seed words of the trigger fields (mark_price…), warned at the caller
                        given[key] = seed_value(key, value, stacklevel=2)
            return self._call(target, args[0] if args else None, given, **options)
        except BitgetError as error:
            # A refusal, local or the exchange's: its message says what to do. Raised from
            # here, so the traceback is the caller's line and this one.
            refusal = without_internal_frames(error)
        raise refusal

    method.__code__ = method.__code__.replace(co_name=name, co_qualname=f"BitgetClient.{name}")
    method.__name__ = name
    method.__qualname__ = f"BitgetClient.{name}"
    method.__module__ = "bitget_nb.client"
    method.__doc__ = spec.doc()
    method.__signature__ = spec.signature()  # type: ignore[attr-defined]
    return method


F = TypeVar("F", bound=Callable[..., Any])


def refusals_raised_here(function: F) -> F:
    """``function`` raising each :class:`BitgetError` from its own frame, as the endpoint
    methods do (for the client's hand-written public methods)."""

    def method(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except BitgetError as error:
            refusal = without_internal_frames(error)
        raise refusal

    # the traceback's line for this frame names the method, not "method"
    method.__code__ = method.__code__.replace(
        co_name=function.__name__, co_qualname=function.__qualname__
    )
    return cast(F, functools.wraps(function)(method))


# -- the stub for static tools --------------------------------------------------------------------

_STUB_HEAD = '''\
# Generated by `make stubs` (bitget_nb._signatures.write_stub) from the endpoint table; do not
# edit.
# tests/test_signatures.py checks that this file is the rendering of the current table.
"""Static signatures of BitgetClient's endpoint methods (see bitget_nb/_signatures.py)."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TypeAlias, overload

import pandas as pd

from ._signatures import MethodSpec
from .models import PlaceOrderRequestV3, StrategyOrderRequestV3

__all__ = ["METHODS", "EndpointMethods"]

#: The default of a required field: it must be given, as a keyword or in the mapping.
REQUIRED: Any
#: Every endpoint method, in the table's order, each alias after its endpoint.
METHODS: tuple[MethodSpec, ...]
'''


def render_stub(specs: Sequence[MethodSpec]) -> str:
    """The text of ``_api.pyi`` for ``specs`` (aliases — same target, another name — become
    assignments), formatted by ruff as ``make lint`` would (ruff comes with the test extra)."""
    return _ruff_format(_stub_text(specs))


def _ruff_format(text: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(STUB), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _stub_text(specs: Sequence[MethodSpec]) -> str:
    out = [_STUB_HEAD]
    for alias, definition, _ in _KIND_TYPES.values():
        if definition:
            out.append(f"{alias}: TypeAlias = {definition}")
    for choices, alias in _ENUM_NAMES.items():
        out.append(f"{alias}: TypeAlias = {_literal(choices)}")
    out += ["", "", "class EndpointMethods:"]
    out.append(
        '    """The endpoint methods of BitgetClient; each is described in its docstring."""'
    )
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.target in seen and spec.target != spec.name:
            out += ["", f"    {spec.name} = {seen[spec.target]}"]
            continue
        seen[spec.target] = spec.name
        out.append("")
        if spec.raw_returns is None:
            out += _stub_def(spec, None, doc=True)
        else:
            out += ["    @overload", *_stub_def(spec, False, doc=True)]
            out += ["    @overload", *_stub_def(spec, True, doc=False)]
    return "\n".join(out) + "\n"


def _stub_def(spec: MethodSpec, raw: bool | None, *, doc: bool) -> list[str]:
    args = ["self"]
    first_default = "" if spec.first_required else " = None"
    args.append(f"{spec.first}: {spec.first_stub}{first_default}")
    args.append("/")
    args.append("*")
    if spec.keywords:
        for param in spec.params:
            kind = _stub_type(param)
            args.append(
                f"{param.name}: {kind} = REQUIRED"
                if param.required
                else f"{param.name}: {kind} | None = None"
            )
    for option in spec.options:
        if option.name == "raw" and raw is not None:
            args.append("raw: Literal[True]" if raw else "raw: Literal[False] = False")
        else:
            args.append(f"{option.name}: {option.stub} = {option.default!r}".replace("'", '"'))
    returns = spec.raw_returns if raw else spec.returns
    lines = [f"    def {spec.name}(", *(f"        {a}," for a in args), f"    ) -> {returns}:"]
    if doc:
        body = spec.doc().replace("\\", "\\\\")
        text = "\n".join(("        " + line) if line else "" for line in body.splitlines())
        lines += [f'        """{text.lstrip()}', '        """']
    else:
        lines[-1] += " ..."
    return lines


def write_stub() -> Path:
    """Write ``_api.pyi`` for the current table (``make stubs``); returns its path."""
    from ._api import METHODS

    STUB.write_text(render_stub(METHODS), encoding="utf-8")
    return STUB
