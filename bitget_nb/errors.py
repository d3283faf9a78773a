"""One exception tree, and the table that maps Bitget error codes onto it (spec §2.4).

::

    BitgetError
    ├── ValidationError(ValueError)      refused locally, before anything was sent
    │   └── UnknownFieldError(TypeError) a keyword or mapping key that is not a field of the
    │                                    call: names the fields it has
    ├── ConfigurationError(ValueError)   missing credentials, unknown environment
    ├── PaperAccountError(RuntimeError)  (bitget_nb.exchange.persistence) a paper account
    │                                    file that cannot be used: damaged, in use, other
    ├── CandleStoreError(RuntimeError)   (bitget_nb.store) a candle store file that cannot
    │                                    be read: names the file and what to do
    ├── TransportError                   no usable answer: connection, timeout, a body cut
    │   │                                short or undecodable, a non-JSON body
    │   ├── RedirectError                an HTTP 3xx: never followed (signed headers would go
    │   │                                to its target); names the target
    │   └── StreamError                  (bitget_nb.stream) the WebSocket stream is closed or
    │       │                            did not answer in time
    │       └── StreamSubscriptionError(ValueError)  a topic refused, locally or by the
    │                                    exchange (30001, 30016 …)
    └── BitgetAPIError                   the exchange answered with an error envelope
        ├── AuthenticationError          400xx key / passphrase / timestamp / signature
        │   ├── TimestampExpiredError    40008: the clock is off; the client resyncs once
        │   └── StreamLoginError         the WebSocket login was refused (300xx, WS §2.4)
        ├── PermissionDeniedError        40014, 25620: the key may not do this; 40085: a
        │                                classic (V2) endpoint asked of a unified account
        ├── RateLimitError               HTTP 429, 25004
        ├── InvalidParameterError(ValueError)  25200, 40034, tick / step / minimum rules …
        ├── InsufficientBalanceError     25202, 25203, 25228, 25231
        ├── OrderNotFoundError           25204, 22001, 24056
        ├── DuplicateClientOidError      25212
        ├── PositionError                22002, 25227, 25236, 25601 …
        ├── ServerError                  HTTP 5xx, 25000, 25003: retry later
        └── OutcomeUnknownError          40010, 40725, 45001, 25001, or a write whose answer
                                         was lost and stayed unsettled: names every clientOid

Every code the client or the local exchange knows is one row of :data:`CODES`: its class,
whether a read may be retried, whether a write's outcome is unknown, and the message the
local exchange answers with. Messages never contain credentials or signatures.

A refusal reaches the caller raised from the client's public method, with the frames below
it (transport, retries, look-ups) cut off — :func:`without_internal_frames` — since the
message says what happened and what to do; a bug (any other exception) keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CODES",
    "OUTCOME_UNKNOWN_CODES",
    "AuthenticationError",
    "BitgetAPIError",
    "BitgetError",
    "CodeSpec",
    "ConfigurationError",
    "DuplicateClientOidError",
    "InsufficientBalanceError",
    "InvalidParameterError",
    "OrderNotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PositionError",
    "RateLimitError",
    "RedirectError",
    "ServerError",
    "StreamError",
    "StreamLoginError",
    "StreamSubscriptionError",
    "TimestampExpiredError",
    "TransportError",
    "UnknownFieldError",
    "ValidationError",
    "error_from_envelope",
    "spec_for",
    "without_internal_frames",
]


class BitgetError(Exception):
    """Root of every error raised by bitget_nb."""


class ValidationError(BitgetError, ValueError):
    """A request was refused locally, before anything was sent.

    ``field`` names the offending wire field (or ``None`` for a whole-request rule).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownFieldError(ValidationError, TypeError):
    """A keyword argument (or a key of a mapping of wire fields) that the call does not take.

    Also a ``TypeError``, as Python's own "unexpected keyword argument" is; the message names
    the fields the call has, and the likely one when the name is close
    (``start_time`` → ``startTime``).
    """


def without_internal_frames(exc: BitgetError) -> BitgetError:
    """``exc`` with no traceback below the frame that raises it next — and the same for each
    :class:`BitgetError` of its ``__cause__`` / ``__context__`` chain, so that a printed
    traceback is the caller's line, the public method's, and the messages.

    >>> try:
    ...     raise ValidationError("qty: required") from TransportError("lost")
    ... except BitgetError as exc:
    ...     short = without_internal_frames(exc)
    >>> short.__traceback__ is None, short.__cause__.__traceback__ is None
    (True, True)
    """
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen and isinstance(link, BitgetError):
        seen.add(id(link))
        link.__traceback__ = None
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    return exc


class ConfigurationError(BitgetError, ValueError):
    """Missing credentials, an unknown environment or another set-up mistake."""


class TransportError(BitgetError):
    """No usable answer came back: connection refused or dropped, timeout, non-JSON body.

    ``maybe_sent`` is true when the request may have reached the exchange (a read timeout, a
    connection dropped after sending), so a write's outcome is unknown.
    """

    def __init__(self, message: str, *, endpoint: str | None = None, maybe_sent: bool = True):
        super().__init__(message)
        self.endpoint = endpoint
        self.maybe_sent = maybe_sent


class RedirectError(TransportError):
    """The server answered with a redirect (HTTP 3xx), which the client never follows.

    Following it would send the signed headers and the passphrase — and, for 307/308, the
    order itself — to wherever ``Location`` points. ``location`` names that target; the
    request was answered without being processed, and sending it again gets the same answer,
    so a write is neither re-sent nor looked up.
    """

    def __init__(self, message: str, *, location: str, http_status: int, endpoint: str | None):
        super().__init__(message, endpoint=endpoint, maybe_sent=False)
        self.location = location
        self.http_status = http_status


class StreamError(TransportError):
    """The WebSocket stream (:mod:`bitget_nb.stream`) is closed, or the exchange did not
    answer a subscription in time."""

    def __init__(self, message: str) -> None:
        super().__init__(message, endpoint="websocket", maybe_sent=True)


class StreamSubscriptionError(StreamError, ValueError):
    """A topic that cannot be followed: refused locally (unknown topic, a missing argument)
    or by the exchange (``code``: 30001 no such channel, 30016 a bad argument …)."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class BitgetAPIError(BitgetError):
    """The exchange answered with an error: HTTP status ≠ 2xx or ``code`` ≠ ``"00000"``."""

    def __init__(
        self,
        code: str | None,
        msg: str,
        *,
        http_status: int | None = None,
        request_time: int | None = None,
        endpoint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.request_time = request_time
        self.endpoint = endpoint
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" on {self.endpoint}" if self.endpoint else ""
        status = f", HTTP {self.http_status}" if self.http_status is not None else ""
        code = self.code if self.code is not None else "-"
        hint = spec_for(self.code).hint if self.code is not None else ""
        return f"[{code}] {self.msg}{where}{status}" + (f" — {hint}" if hint else "")

    @property
    def retryable(self) -> bool:
        """Whether a read that failed this way may be sent again (after a pause)."""
        if self.code is not None and self.code in CODES:
            return CODES[self.code].retryable
        return isinstance(self, ServerError | RateLimitError)


class AuthenticationError(BitgetAPIError):
    """The key, passphrase, timestamp or signature was refused (spec §1.7)."""


class StreamLoginError(AuthenticationError):
    """The exchange refused the WebSocket login (WS §2.4: 30011 unknown key, 30012
    passphrase, 30013/30014 timestamp, 30015 signature, 30005 otherwise)."""

    def __init__(self, code: str | None, msg: str) -> None:
        super().__init__(code, msg, endpoint="websocket login")


class TimestampExpiredError(AuthenticationError):
    """40008: ``ACCESS-TIMESTAMP`` is outside the exchange's window (spec §1.5)."""


class PermissionDeniedError(BitgetAPIError):
    """The API key lacks the permission this endpoint needs (40014)."""


class RateLimitError(BitgetAPIError):
    """Too many requests (HTTP 429 / code ``429``, or the UTA throttle ``25004``)."""


class InvalidParameterError(BitgetAPIError, ValueError):
    """The exchange rejected a parameter."""


class InsufficientBalanceError(BitgetAPIError):
    """Not enough balance or margin for the order."""


class OrderNotFoundError(BitgetAPIError):
    """No such order (or it is no longer open)."""


class DuplicateClientOidError(BitgetAPIError):
    """An open order already uses this ``clientOid`` (25212)."""


class PositionError(BitgetAPIError):
    """The position does not allow this (none to close, wrong hold-mode shape, …)."""


class ServerError(BitgetAPIError):
    """The exchange failed on its side (HTTP 5xx, 25000, 25003); safe to retry reads later."""


class OutcomeUnknownError(BitgetAPIError):
    """A write may or may not have taken effect.

    Raised for the exchange's "state unknown" codes (40010, 40725, 45001, 25001), and by the
    client when the answer to a write was lost and looking it up for the whole settle window
    did not settle it. ``client_oids`` names every order whose outcome is unknown (a batch
    may leave several), ``client_oid`` the first of them. ``results`` holds, for a batch, the
    per-item rows of the whole batch (settled items included), in input order.
    """

    def __init__(
        self,
        code: str | None,
        msg: str,
        *,
        client_oid: str | None = None,
        client_oids: Sequence[str] = (),
        results: Any = None,
        **kw: Any,
    ):
        oids = tuple(client_oids) or ((client_oid,) if client_oid else ())
        self.client_oids: tuple[str, ...] = oids
        self.client_oid = oids[0] if oids else None
        self.results = results
        super().__init__(code, msg, **kw)

    def _describe(self) -> str:
        base = super()._describe()
        if len(self.client_oids) > 1:
            return base + f" (clientOids {', '.join(map(repr, self.client_oids))})"
        return base + (f" (clientOid {self.client_oid!r})" if self.client_oid else "")


@dataclass(frozen=True, slots=True)
class CodeSpec:
    """One row of the code table."""

    code: str
    cls: type[BitgetAPIError]
    message: str
    retryable: bool = False
    outcome_unknown: bool = False
    hint: str = ""


def _rows(*rows: CodeSpec) -> dict[str, CodeSpec]:
    return {row.code: row for row in rows}


_AUTH = AuthenticationError
_PARAM = InvalidParameterError

#: code → meaning. Messages follow Bitget's wording where known (spec §2.4, §1.7); the local
#: exchange answers with exactly these texts.
CODES: dict[str, CodeSpec] = _rows(
    CodeSpec("00000", BitgetAPIError, "success"),
    # 2.4.1 authentication, request format, rate limit
    CodeSpec("40001", _AUTH, "ACCESS_KEY cannot be empty", hint="set BITGET_API_KEY"),
    CodeSpec("40002", _AUTH, "SECRET_KEY cannot be empty"),
    CodeSpec("40003", _AUTH, "Signature cannot be empty"),
    CodeSpec("40005", _AUTH, "Invalid ACCESS_TIMESTAMP"),
    CodeSpec("40006", _AUTH, "Invalid ACCESS_KEY", hint="check BITGET_API_KEY"),
    CodeSpec(
        "40008",
        TimestampExpiredError,
        "Request timestamp expired",
        hint="the local clock is off; the client resyncs with server time",
    ),
    CodeSpec("40009", _AUTH, "sign signature error", hint="check BITGET_API_SECRET"),
    CodeSpec("40011", _AUTH, "ACCESS_PASSPHRASE cannot be empty", hint="set BITGET_API_PASS"),
    CodeSpec("40012", _AUTH, "apikey/password is incorrect", hint="check BITGET_API_PASS"),
    CodeSpec("40014", PermissionDeniedError, "Incorrect permissions", hint="use a read-write key"),
    CodeSpec("40017", _PARAM, "Parameter verification failed"),
    CodeSpec("40018", _AUTH, "Invalid IP"),
    CodeSpec("40034", _PARAM, "Parameter does not exist"),
    CodeSpec("40036", _AUTH, "Passphrase is error"),
    CodeSpec("40037", _AUTH, "Apikey does not exist"),
    CodeSpec("40079", _AUTH, "Receive window must be less than 60s"),
    # ccxt's error table quotes live's answer to a classic (V2) call from a UTA account.
    CodeSpec(
        "40085",
        PermissionDeniedError,
        "You are in Unified Account mode, and the Classic Account API is not supported at "
        "this time",
        hint="use the V3 endpoint (/api/v3/...) of the same call",
    ),
    # Not in any source (spec §2.2 leaves the body of an unknown path open): Bitget's classic
    # gateway answers unknown paths with this code; we use it for 404 and 405 alike.
    CodeSpec("40404", _PARAM, "Request URL NOT FOUND"),
    CodeSpec("429", RateLimitError, "Too Many Requests", retryable=True),
    CodeSpec("25004", RateLimitError, "Operations are too frequent", retryable=True),
    CodeSpec("25003", ServerError, "Concurrent operation, please retry", retryable=True),
    # 2.4.2 timeouts / unknown outcome
    CodeSpec(
        "40010",
        OutcomeUnknownError,
        "Request timed out",
        retryable=True,
        outcome_unknown=True,
        hint="look the order up by clientOid before sending it again",
    ),
    CodeSpec(
        "40725",
        OutcomeUnknownError,
        "service return an error",
        retryable=True,
        outcome_unknown=True,
        hint="look the order up by clientOid before sending it again",
    ),
    CodeSpec(
        "45001",
        OutcomeUnknownError,
        "Unknown error",
        retryable=True,
        outcome_unknown=True,
        hint="look the order up by clientOid before sending it again",
    ),
    CodeSpec("25000", ServerError, "System error", retryable=True),
    CodeSpec(
        "25001",
        OutcomeUnknownError,
        "Operation timed out",
        retryable=True,
        outcome_unknown=True,
        hint="look the order up by clientOid before sending it again",
    ),
    # 2.4.3 parameters, symbols, account mode
    CodeSpec("25200", _PARAM, "Parameter verification failed"),
    CodeSpec("25100", _PARAM, "Symbol does not exist"),
    CodeSpec("25101", _PARAM, "Symbol is offline"),
    CodeSpec("25013", _PARAM, "Symbol is not open for API trading"),
    CodeSpec("25205", _PARAM, "Order price is higher than the maximum allowed"),
    CodeSpec("25206", _PARAM, "Order price is lower than the minimum allowed"),
    CodeSpec("25207", _PARAM, "Order quantity is below the minimum"),
    CodeSpec("25208", _PARAM, "Order quantity is above the maximum"),
    CodeSpec("25244", _PARAM, "Price is not a multiple of the tick size"),
    CodeSpec("25610", _PARAM, "Quantity is not a multiple of the quantity step"),
    CodeSpec("25611", _PARAM, "Quantity is below the minimum"),
    CodeSpec("25245", _PARAM, "Account is not in unified mode"),
    CodeSpec("25009", PositionError, "Account mode switch is not supported now"),
    CodeSpec(
        "25010",
        PositionError,
        "Position mode cannot be switched while positions or open orders exist",
        hint="close positions and cancel open orders first",
    ),
    CodeSpec(
        "25236",
        PositionError,
        "Incorrect position open type",
        hint="hedge mode needs posSide; one-way mode takes reduceOnly instead",
    ),
    CodeSpec("25620", PermissionDeniedError, "No permission for this operation"),
    CodeSpec("25110", _PARAM, "Coin cannot be transferred into the unified account"),
    # 2.4.4 balances, orders, positions
    CodeSpec("25202", InsufficientBalanceError, "Insufficient balance"),
    CodeSpec("25203", InsufficientBalanceError, "Insufficient margin"),
    CodeSpec("25228", InsufficientBalanceError, "Insufficient balance"),
    CodeSpec("25231", InsufficientBalanceError, "Insufficient balance"),
    CodeSpec("25230", _PARAM, "Quantity exceeds the maximum openable"),
    CodeSpec("25201", _PARAM, "Asset does not exist"),
    CodeSpec("25204", OrderNotFoundError, "Order does not exist"),
    CodeSpec("22001", OrderNotFoundError, "No order to cancel"),
    CodeSpec("24056", OrderNotFoundError, "notExisted"),
    CodeSpec("25212", DuplicateClientOidError, "Duplicate clientOid"),
    CodeSpec("25571", _PARAM, "The modified price and quantity are the same as the original"),
    CodeSpec("40761", _PARAM, "The total number of unfilled orders is too high"),
    CodeSpec("25227", PositionError, "No position available to close"),
    CodeSpec("22002", PositionError, "No position to close"),
    CodeSpec("25601", PositionError, "Position does not exist"),
    CodeSpec("25599", _PARAM, "Maximum number of TP/SL orders reached"),
)

_HTTP_FALLBACK: dict[int, type[BitgetAPIError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: InvalidParameterError,
    405: InvalidParameterError,
    413: InvalidParameterError,
    429: RateLimitError,
}


#: Codes after which a write's outcome is unknown — it may have been processed: the table's
#: outcome-unknown codes (spec §2.4.2) and the server errors (spec §10.5: 5xx is ambiguous).
#: The client looks the order up and never re-sends after one of them.
OUTCOME_UNKNOWN_CODES: frozenset[str] = frozenset(
    c for c, s in CODES.items() if s.outcome_unknown or s.cls is ServerError
)


def spec_for(code: str | None) -> CodeSpec:
    """The table row for ``code``; unknown codes map to a plain, non-retryable API error."""
    if code is not None and code in CODES:
        return CODES[code]
    return CodeSpec(str(code), BitgetAPIError, "Unknown error code")


def error_from_envelope(
    body: Any,
    *,
    http_status: int,
    endpoint: str | None = None,
    retry_after: float | None = None,
) -> BitgetAPIError:
    """Build the right exception for an error answer (spec §2.2).

    ``body`` is the decoded JSON envelope (or ``None`` when the body was not an envelope).
    """
    envelope = body if isinstance(body, dict) else {}
    code = envelope.get("code")
    code = str(code) if code is not None else None
    msg = str(envelope.get("msg") or (spec_for(code).message if code else f"HTTP {http_status}"))
    request_time = envelope.get("requestTime")
    try:
        request_time = int(request_time) if request_time is not None else None
    except (TypeError, ValueError):
        request_time = None
    if code is not None and code in CODES:
        cls = CODES[code].cls
    elif http_status >= 500:
        cls = ServerError
    else:
        cls = _HTTP_FALLBACK.get(http_status, BitgetAPIError)
    if http_status == 429:
        cls = RateLimitError
    return cls(
        code if code is not None else (str(http_status) if http_status == 429 else None),
        msg,
        http_status=http_status,
        request_time=request_time,
        endpoint=endpoint,
        retry_after=retry_after,
    )
