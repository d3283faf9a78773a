"""Authentication of private requests, exactly as spec §1.7 lists the failures.

Checks run in this order, each failure with its own code (HTTP 400):

1. ``ACCESS-KEY`` missing → 40001
2. ``ACCESS-SIGN`` missing → 40003
3. ``ACCESS-TIMESTAMP`` missing or not an integer → 40005
4. ``ACCESS-PASSPHRASE`` missing → 40011
5. key unknown → 40006
6. passphrase wrong → 40012
7. timestamp outside the window around the exchange clock → 40008
8. signature wrong → 40009: the prehash is over the raw body received and over the query
   either exactly as received or percent-decoded (spec §10.1, :func:`signed_queries`)

and then, per endpoint, a read-only key on a write endpoint → 40014 (:func:`authorize`).
Headers are matched case-insensitively by the caller passing a lower-cased mapping.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..endpoints import Endpoint
from ..signing import decode_query, sign, signatures_equal
from . import defaults
from .params import ExchangeError
from .venue import Caller

__all__ = ["SignedRequest", "authenticate", "authorize", "signed_queries"]

_TIMESTAMP = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a private request brings for authentication, exactly as received.

    ``headers`` has lower-cased names; ``query`` is the raw query string without ``?``.
    """

    method: str
    path: str
    query: str
    body: bytes
    headers: Mapping[str, str]


def signed_queries(query: str) -> tuple[str, ...]:
    """The forms of a received query a GET signature may be made over: as received, and
    percent-decoded when that differs.

    [conflict, resolved by accepting both] spec §1.3 / §10.1: the Node SDK and go-bitget sign
    the query they send (percent-encoded), while live ``api.bitget.com`` verifies over the
    DECODED query — it answered 40009 to ccxt for an encoded non-ASCII symbol (ccxt issue
    #28888, PR #28890, 2026-06; the earlier ``%24`` → ``$`` workaround, ccxt #21169), and
    JKorf/Bitget.Net #48 and Bitget's own signature sample sign a query with nothing encoded.
    ccxt therefore sends ``clientOid=ccxt%3A1%2Fa.b`` and signs ``clientOid=ccxt:1/a.b``.

    >>> signed_queries("clientOid=ccxt%3A1%2Fa.b")
    ('clientOid=ccxt%3A1%2Fa.b', 'clientOid=ccxt:1/a.b')
    >>> signed_queries("symbol=BTCUSDT")
    ('symbol=BTCUSDT',)
    """
    decoded = decode_query(query)
    return (query,) if decoded == query else (query, decoded)


def _fail(code: str) -> ExchangeError:
    return ExchangeError(code, http_status=defaults.AUTH_HTTP_STATUS)


def authenticate(
    request: SignedRequest,
    *,
    find_key: Callable[[str], Caller | None],
    now_ms: int,
    window_ms: int = defaults.TIMESTAMP_WINDOW_MS,
) -> Caller:
    """The caller behind a correctly signed request, or :class:`ExchangeError`."""
    headers = request.headers
    api_key = headers.get("access-key", "")
    signature = headers.get("access-sign", "")
    timestamp = headers.get("access-timestamp", "")
    passphrase = headers.get("access-passphrase", "")
    if not api_key:
        raise _fail("40001")
    if not signature:
        raise _fail(defaults.MISSING_SIGN_CODE)
    if not _TIMESTAMP.fullmatch(timestamp):
        raise _fail("40005")
    if not passphrase:
        raise _fail("40011")
    caller = find_key(api_key)
    if caller is None:
        raise _fail(defaults.UNKNOWN_KEY_CODE)
    if not hmac.compare_digest(caller.key.passphrase.encode(), passphrase.encode()):
        raise _fail(defaults.WRONG_PASSPHRASE_CODE)
    if abs(int(timestamp) - now_ms) > window_ms:
        raise _fail("40008")
    matches = [
        signatures_equal(
            sign(caller.key.secret, timestamp, request.method, request.path, query, request.body),
            signature,
        )
        for query in signed_queries(request.query)
    ]
    if not any(matches):
        raise _fail("40009")
    return caller


def authorize(endpoint: Endpoint, caller: Caller) -> None:
    """Refuse a key that lacks what ``endpoint`` needs (spec §1.6): 40014."""
    key = caller.key
    if endpoint.write and key.read_only:
        raise _fail("40014")
    if endpoint.trade_permission and "uta_trade" not in key.permissions:
        raise _fail("40014")
