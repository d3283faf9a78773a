"""Request parameter checks for the local exchange, and the error they raise.

Handlers receive plain mappings (a GET query or a decoded JSON body) and read them through
these helpers, which raise :class:`ExchangeError` with a code from :data:`bitget_nb.errors.CODES`
when a value is missing or malformed. The HTTP front turns the error into an envelope.

>>> limit({"limit": "20"}, default=100, maximum=1000)
20
>>> try:
...     limit({"limit": "0"}, default=100, maximum=1000)
... except ExchangeError as exc:
...     print(exc.code, exc.msg)
25200 Parameter verification failed: limit must be an integer from 1 to 1000
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..errors import CODES
from ..vocab import CATEGORIES, FUTURES_CATEGORIES
from . import defaults

__all__ = [
    "CATEGORIES",
    "FUTURES_CATEGORIES",
    "ExchangeError",
    "bad",
    "category",
    "choice",
    "decimal",
    "integer",
    "limit",
    "nests_deeper_than",
    "optional_text",
    "required_text",
    "timestamp_ms",
    "yes_no",
]


_INT = re.compile(r"[+-]?[0-9]{1,18}")
#: A JSON string (unrolled so that it cannot backtrack), and whatever is not a bracket.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
#: Plain decimal notation only: no sign, no exponent (``1e-5`` is how floats leak in).
_DECIMAL = re.compile(r"(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})")


class ExchangeError(Exception):
    """A refusal the exchange answers with a Bitget error envelope.

    ``code`` is a row of :data:`bitget_nb.errors.CODES`; ``msg`` defaults to that row's
    message; ``detail`` is appended to it to say which parameter broke which rule.
    """

    def __init__(
        self,
        code: str,
        msg: str | None = None,
        http_status: int = 400,
        *,
        detail: str | None = None,
    ) -> None:
        if code not in CODES:
            raise KeyError(f"error code {code!r} is not in bitget_nb.errors.CODES")
        text = msg if msg is not None else CODES[code].message
        if detail:
            text = f"{text}{defaults.DETAIL_SEPARATOR}{detail}"
        self.code = code
        self.msg = text
        self.http_status = http_status
        super().__init__(f"[{code}] {text}")


def nests_deeper_than(text: str, depth: int) -> bool:
    """Whether the arrays and objects of the JSON ``text`` nest deeper than ``depth`` levels
    (the outermost is level 1), found without recursion or decoding: brackets inside
    strings do not count. Linear in the length of ``text``.

    >>> nests_deeper_than('[{"a": "[[["}]', 2), nests_deeper_than('[{"a": [1]}]', 2)
    (False, True)
    """
    level = 0
    for bracket in _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text)):
        level += 1 if bracket in "[{" else -1
        if level > depth:
            return True
    return False


def bad(detail: str) -> ExchangeError:
    """A malformed-parameter error (spec §2.4.5: 25200)."""
    return ExchangeError(defaults.BAD_PARAMETER_CODE, detail=detail)


def _scalar(params: Mapping[str, Any], name: str) -> str | None:
    """The value of ``name`` as text; numbers are accepted in JSON bodies, other JSON types
    are refused (spec §4.0: values are strings on the wire)."""
    if name not in params:
        return None
    value = params[name]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise bad(f"{name} must be a string")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise bad(f"{name} must be a finite number")
        return format(Decimal(repr(value)), "f")
    return str(value)


def required_text(params: Mapping[str, Any], name: str) -> str:
    """A required, non-empty parameter."""
    value = _scalar(params, name)
    if value is None or value.strip() == "":
        raise bad(f"{name} is required")
    return value


def optional_text(params: Mapping[str, Any], name: str) -> str | None:
    """An optional parameter; empty counts as absent."""
    value = _scalar(params, name)
    if value is None or value.strip() == "":
        return None
    return value


def category(
    params: Mapping[str, Any], allowed: Iterable[str] = CATEGORIES, *, required: bool = True
) -> str | None:
    """``category``, case-insensitive on input, returned uppercase (spec §4.0, §7 #2).

    >>> category({"category": "usdt-futures"})
    'USDT-FUTURES'
    """
    raw = required_text(params, "category") if required else optional_text(params, "category")
    if raw is None:
        return None
    value = raw.strip().upper()
    allowed = tuple(allowed)
    if value not in allowed:
        raise bad(f"category must be one of {', '.join(allowed)}")
    return value


def choice(
    params: Mapping[str, Any],
    name: str,
    options: Iterable[str],
    *,
    default: str | None = None,
    fold_case: bool = False,
) -> str | None:
    """An enumerated value; ``fold_case`` accepts any casing and returns the option's own."""
    raw = optional_text(params, name)
    if raw is None:
        return default
    options = tuple(options)
    if fold_case:
        by_fold = {o.lower(): o for o in options}
        if raw.lower() in by_fold:
            return by_fold[raw.lower()]
    elif raw in options:
        return raw
    raise bad(f"{name} must be one of {', '.join(options)}")


def integer(
    params: Mapping[str, Any],
    name: str,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    code: str = defaults.BAD_PARAMETER_CODE,
) -> int | None:
    """An integer parameter within [minimum, maximum]; ``code`` is the error code of a value
    that is not one (25200 unless a rule says otherwise)."""
    raw = optional_text(params, name)
    if raw is None:
        return default
    text = raw.strip()
    if not _INT.fullmatch(text):
        raise ExchangeError(code, detail=_range_text(name, minimum, maximum))
    value = int(text)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ExchangeError(code, detail=_range_text(name, minimum, maximum))
    return value


def _range_text(name: str, minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{name} must be an integer from {minimum} to {maximum}"
    if minimum is not None:
        return f"{name} must be an integer ≥ {minimum}"
    return f"{name} must be an integer"


def limit(
    params: Mapping[str, Any],
    *,
    default: int,
    maximum: int,
    keyword_max: str | None = None,
) -> int:
    """``limit`` in [1, maximum]; ``keyword_max`` (e.g. ``"max"``) also means ``maximum``."""
    if keyword_max is not None:
        raw = optional_text(params, "limit")
        if raw is not None and raw.strip().lower() == keyword_max:
            return maximum
    value = integer(params, "limit", default=default, minimum=1, maximum=maximum)
    assert value is not None
    return value


def timestamp_ms(params: Mapping[str, Any], name: str) -> int | None:
    """An optional ms timestamp (non-negative integer)."""
    return integer(params, name, minimum=0, maximum=10**15)


def decimal(params: Mapping[str, Any], name: str, *, required: bool = False) -> Decimal | None:
    """A positive amount in plain decimal notation (spec §4.0: amounts travel as strings).

    >>> decimal({"qty": "0.0010"}, "qty")
    Decimal('0.0010')
    >>> try:
    ...     decimal({"qty": "1e-3"}, "qty")
    ... except ExchangeError as exc:
    ...     print(exc.code, exc.msg.split(": ")[1])
    25200 qty must be a positive decimal number such as 0.001, got '1e-3'
    """
    raw = required_text(params, name) if required else optional_text(params, name)
    if raw is None:
        return None
    text = raw.strip()
    if not _DECIMAL.fullmatch(text) or Decimal(text) <= 0:
        raise bad(f"{name} must be a positive decimal number such as 0.001, got {raw!r}")
    return Decimal(text)


def yes_no(params: Mapping[str, Any], name: str, *, default: bool = False) -> bool:
    """A ``yes``/``no`` flag, any casing (requests send lowercase, replies ``YES``/``NO``,
    spec §7 #1).

    >>> yes_no({"reduceOnly": "YES"}, "reduceOnly"), yes_no({}, "reduceOnly")
    (True, False)
    """
    value = choice(params, name, ("yes", "no"), fold_case=True)
    return default if value is None else value == "yes"
