"""Request signing for Bitget's V3 REST API (spec §1.3).

The signature is ``base64(HMAC-SHA256(secret, prehash))`` where::

    prehash = timestamp + METHOD + requestPath + ("?" + queryString if queryString) + body

Everything here is a pure function over the exact text that travels on the wire: the client
signs what it sends, and the local exchange verifies what it received, with the same code.
For a GET, "what it sends" is the query percent-decoded (:func:`decode_query`, spec §10.1):
that is what live Bitget checks, and :func:`encode_query` leaves every character unencoded
that may be, so the two forms differ only where a character had to be escaped.

>>> sign("bitget-sim-secret-0001", "1700000004000", "GET", "/api/v3/account/assets")
'f78WXJfVmBB2IvYyZv+ML7T66CB9+zb3qUk1qbuCnb8='
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote_plus

__all__ = [
    "QUERY_SAFE",
    "compact_json",
    "decode_query",
    "encode_query",
    "prehash",
    "sign",
    "signatures_equal",
]

#: Characters a query value carries as they are: the RFC 3986 unreserved set and the rest of
#: ``pchar`` (with "/" and "?", legal anywhere in a query), less what a query parser reads as
#: structure — "&" and "=" separate, "+" is a space, "#" ends the query, "%" escapes — and
#: ";", which older parsers split on. So a ``clientOid`` such as ``ccxt:1/a.b`` (its pattern
#: allows ``. : / _ -``, spec §5.7) is sent unencoded, and the sent query is the decoded one:
#: a signature over it verifies whether the server checks the query as received or
#: percent-decoded (spec §10.1).
QUERY_SAFE = "-._~:@/?!$'()*,"


def _as_bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def prehash(
    timestamp: str, method: str, request_path: str, query: str = "", body: str | bytes = ""
) -> bytes:
    """The exact bytes that are signed (spec §1.3).

    ``query`` is the query string as sent, *without* its leading ``?``, which is re-added here
    only when the query is not empty. ``body`` is the HTTP body as sent (empty for GET).
    """
    head = timestamp + method.upper() + request_path + (("?" + query) if query else "")
    return _as_bytes(head) + _as_bytes(body)


def sign(
    secret: str,
    timestamp: str,
    method: str,
    request_path: str,
    query: str = "",
    body: str | bytes = "",
) -> str:
    """Base64 HMAC-SHA256 of :func:`prehash`, keyed with the API secret (UTF-8)."""
    digest = hmac.new(
        _as_bytes(secret), prehash(timestamp, method, request_path, query, body), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def signatures_equal(expected: str, received: str) -> bool:
    """Constant-time comparison of two signatures."""
    return hmac.compare_digest(_as_bytes(expected), _as_bytes(received))


def _wire_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_query(params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> str:
    """Encode GET parameters the way they are sent and signed.

    Keys are sorted (as the Node SDK and go-bitget do, spec §1.3) so that one set of parameters
    always produces one string; ``None`` values are dropped; values are percent-encoded (UTF-8)
    except for :data:`QUERY_SAFE`. The signature is made over :func:`decode_query` of this
    text (spec §10.1).

    >>> encode_query({"symbol": "BTCUSDT", "category": "USDT-FUTURES", "limit": 20})
    'category=USDT-FUTURES&limit=20&symbol=BTCUSDT'
    >>> encode_query({"clientOid": "ccxt:1/a.b", "symbol": "币USDT"})
    'clientOid=ccxt:1/a.b&symbol=%E5%B8%81USDT'
    """
    if not params:
        return ""
    items = params.items() if isinstance(params, Mapping) else params
    pairs = sorted((str(k), _wire_value(v)) for k, v in items if v is not None)
    return "&".join(f"{quote(k, safe=QUERY_SAFE)}={quote(v, safe=QUERY_SAFE)}" for k, v in pairs)


def decode_query(query: str) -> str:
    """The percent-decoded form of a query string: ``%XX`` escapes as UTF-8, ``+`` as a space.

    Live Bitget verifies a GET's signature over this form (spec §10.1: ccxt #28888/#28890,
    JKorf/Bitget.Net #48), so the client signs it; the local exchange accepts a signature over
    it or over the query exactly as received.

    >>> decode_query("clientOid=ccxt%3A1%2Fa.b&symbol=%E5%B8%81USDT")
    'clientOid=ccxt:1/a.b&symbol=币USDT'
    """
    return unquote_plus(query, encoding="utf-8", errors="replace")


def compact_json(payload: Any) -> str:
    """The JSON text of a POST body: compact separators, ASCII only (spec §1.3)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True)


#: How many levels per side an order book's checksum covers (WS spec §4.3.2).
BOOK_CHECKSUM_DEPTH = 25


def book_checksum(
    bids: Sequence[Sequence[str]], asks: Sequence[Sequence[str]], depth: int = BOOK_CHECKSUM_DEPTH
) -> int:
    """The signed CRC32 of an order book's top ``depth`` levels, interleaved bid, ask, bid,
    ask …, each level ``price:size`` from the strings as sent, a short side skipped (WS spec
    §4.3.2) — what the exchange's WebSocket sends and what the client's stream checks.

    >>> book_checksum([["43231.1", "4"], ["43231", "6"]], [["43232.8", "9"], ["43232.9", "8"]])
    -1504501796
    """
    parts: list[str] = []
    for i in range(depth):
        if i < len(bids):
            parts += bids[i][:2]
        if i < len(asks):
            parts += asks[i][:2]
    value = zlib.crc32(":".join(parts).encode()) & 0xFFFFFFFF
    return value - (1 << 32) if value >= (1 << 31) else value
