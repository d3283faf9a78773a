"""Property-based fuzzing of the exchange's HTTP front, over every route.

``tests/exchange/test_junk.py`` fuzzes public query strings and the body of one signed POST;
this goes wider: any method on any path (known, mangled or made up), any mix of auth headers
(often signed correctly with ``bitget_nb.signing``, so requests reach the handlers; sometimes
with the read-only key), query strings with the endpoint's own parameter names and junk
values, JSON bodies of the wrong shape and type for each endpoint, and bodies over the size
limit. Every answer must be a Bitget envelope — 2xx with ``00000`` for the rare valid
request, otherwise 4xx with another code and no data — never a 5xx, a traceback or a
handler bug in the log; and a refused request changes nothing (a digest of the whole domain
state is the same before and after).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bitget_nb as bg
from bitget_nb.endpoints import ENDPOINTS
from bitget_nb.signing import compact_json, sign

from . import ledger
from .conftest import START

#: Small, so that "over the limit" bodies stay cheap to send.
MAX_BODY = 4096
SCALE = float(os.environ.get("BITGET_NB_FUZZ_SCALE", "1"))
#: What the fuzz saw, for ``bench/fuzz_counts.py``.
SEEN: Counter[str] = Counter()

PATHS = sorted({e.path for e in ENDPOINTS.values()})
FIELDS = [
    "category",
    "symbol",
    "side",
    "orderType",
    "qty",
    "price",
    "orderId",
    "clientOid",
    "timeInForce",
    "posSide",
    "marginMode",
    "reduceOnly",
    "stpMode",
    "takeProfit",
    "stopLoss",
    "tpTriggerBy",
    "tpOrderType",
    "tpLimitPrice",
    "leverage",
    "longLeverage",
    "holdMode",
    "countdown",
    "coin",
    "amount",
    "type",
    "tpslMode",
    "limit",
    "cursor",
    "startTime",
    "endTime",
    "interval",
    "orderFilter",
]
WORDS = [
    "SPOT",
    "usdt-futures",
    "COIN-FUTURES",
    "MARGIN",
    "BTCUSDT",
    "BTCUSD",
    "ETHPERP",
    "buy",
    "sell",
    "limit",
    "market",
    "gtc",
    "post_only",
    "long",
    "short",
    "crossed",
    "yes",
    "no",
    "hedge_mode",
    "one_way_mode",
    "tpsl",
    "partial",
    "full",
    "in",
    "out",
    "USDT",
    "BTC",
    "1m",
    "mark",
    "0",
    "5",
    "10",
    "0.001",
    "60000",
    "60000.1",
    "-1",
    "1e5",
    "NaN",
    "",
]

SCALARS = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-(10**25), 10**25),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=10),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
#: Well-formed bodies of the write endpoints: the fuzz breaks one or two fields of them, so
#: requests get past the first check and into the deeper ones.
TEMPLATES: dict[str, dict[str, Any]] = {
    "/api/v3/trade/place-order": {
        "category": "USDT-FUTURES",
        "symbol": "BTCUSDT",
        "side": "buy",
        "orderType": "limit",
        "qty": "0.001",
        "price": "60000.0",
        "takeProfit": "70000.0",
        "stopLoss": "50000.0",
        "timeInForce": "gtc",
    },
    "/api/v3/trade/modify-order": {
        "orderId": "1",
        "category": "SPOT",
        "symbol": "BTCUSDT",
        "price": "60000.01",
        "qty": "0.002",
    },
    "/api/v3/trade/cancel-order": {"category": "SPOT", "symbol": "BTCUSDT", "clientOid": "x"},
    "/api/v3/account/set-leverage": {
        "category": "USDT-FUTURES",
        "symbol": "BTCUSDT",
        "leverage": "10",
        "marginMode": "crossed",
    },
    "/api/v3/trade/place-strategy-order": {
        "category": "USDT-FUTURES",
        "symbol": "BTCUSDT",
        "posSide": "long",
        "tpslMode": "partial",
        "qty": "0.001",
        "takeProfit": "70000.0",
    },
    "/api/v3/trade/countdown-cancel-all": {"countdown": "10"},
    "/api/v3/copy/futures/transfer": {"type": "in", "coin": "USDT", "amount": "10"},
    "/api/v3/trade/close-positions": {"category": "USDT-FUTURES", "symbol": "BTCUSDT"},
    "/api/v3/trade/cancel-symbol-order": {"category": "SPOT", "symbol": "BTCUSDT"},
    "/api/v3/account/set-hold-mode": {"holdMode": "hedge_mode"},
}
BATCH_PATHS = {e.path for e in ENDPOINTS.values() if e.batch_body}


@st.composite
def mutated(draw, path: str) -> str:
    """The template of ``path`` (or a place-order one for batches), one or two fields
    replaced by junk or removed, or an unknown field added."""
    base = dict(TEMPLATES.get(path) or TEMPLATES["/api/v3/trade/place-order"])
    for _ in range(draw(st.integers(1, 2))):
        name = draw(st.sampled_from([*sorted(base), "extra"]))
        action = draw(st.sampled_from(["junk", "junk", "drop"]))
        if action == "drop":
            base.pop(name, None)
        else:
            base[name] = draw(st.one_of(SCALARS, JSON_VALUES))
    if path in BATCH_PATHS:
        return compact_json([base] * draw(st.integers(1, 3)))
    return compact_json(base)


RECORDS = st.dictionaries(st.sampled_from(FIELDS), st.one_of(SCALARS, JSON_VALUES), max_size=7)
BODIES = st.one_of(
    RECORDS.map(compact_json),
    st.lists(RECORDS, max_size=4).map(compact_json),
    JSON_VALUES.map(json.dumps),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.just(""),
    st.integers(MAX_BODY + 1, MAX_BODY * 3).map(lambda n: '{"symbol":"' + "x" * n + '"}'),
)
QUERIES = st.one_of(
    st.dictionaries(
        st.sampled_from(FIELDS), st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=5
    ).map(lambda d: "&".join(f"{quote(k)}={quote(str(v), safe='')}" for k, v in d.items())),
    st.text("abcXYZ=&%0123456789-_.~", max_size=30),
)
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


@st.composite
def targets(draw) -> str:
    """A path: a route as it is, mangled, or made up."""
    path = draw(st.sampled_from(PATHS))
    mangle = draw(
        st.sampled_from(
            ["as is"] * 18 + ["slash", "case", "double", "encoded", "suffix", "made up"]
        )
    )
    if mangle == "slash":
        return path + "/"
    if mangle == "case":
        return path.upper()
    if mangle == "double":
        return path.replace("/api/", "//api/")
    if mangle == "encoded":
        return path.replace("v3", "v%33")
    if mangle == "suffix":
        return path + draw(st.sampled_from([";x", "%00", "/..", ".json"]))
    if mangle == "made up":
        return "/" + quote(draw(st.text(max_size=15)), safe="/")
    return path


@st.composite
def requests_(draw, ex: bg.LocalExchange) -> dict[str, Any]:
    path = draw(targets())
    route = next((e for e in ENDPOINTS.values() if e.path == path), None)
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
    method = draw(st.sampled_from(([route.method] * 20 if route else []) + methods))
    query = draw(QUERIES) if method != "POST" or draw(st.booleans()) else ""
    if method in ("GET", "HEAD") and draw(st.integers(0, 9)):
        body = ""
    elif method == "POST" and draw(st.booleans()):
        body = draw(mutated(path))
    else:
        body = draw(BODIES)
    headers: dict[str, str] = {}
    auth = draw(st.sampled_from(["signed", "signed", "signed", "read-only", "partial", "none"]))
    if auth in ("signed", "read-only"):
        creds = ex.read_only_credentials if auth == "read-only" else ex.credentials
        timestamp = ex.now_ms() + draw(st.sampled_from([0] * 8 + [-31_000, 31_000]))
        headers = {
            "ACCESS-KEY": creds["api_key"],
            "ACCESS-SIGN": sign(creds["api_secret"], str(timestamp), method, path, query, body),
            "ACCESS-TIMESTAMP": str(timestamp),
            "ACCESS-PASSPHRASE": creds["api_pass"],
        }
    elif auth == "partial":
        for name in draw(
            st.sets(
                st.sampled_from(
                    ["ACCESS-KEY", "ACCESS-SIGN", "ACCESS-TIMESTAMP", "ACCESS-PASSPHRASE"]
                )
            )
        ):
            headers[name] = draw(HEADER_TEXT)
    headers["Content-Type"] = draw(
        st.sampled_from(["application/json", "text/plain", "", "application/json; charset=utf-8"])
    )
    headers["locale"] = draw(st.sampled_from(["en-US", "zh-CN", "", "xx"]))
    extra = draw(
        st.dictionaries(
            st.sampled_from(["X-Junk", "paptrading", "Accept"]), HEADER_TEXT, max_size=2
        )
    )
    headers.update(extra)
    target = path + (f"?{query}" if query else "")
    return {"method": method, "target": target, "body": body, "headers": headers, "auth": auth}


@pytest.fixture(scope="module")
def exchange() -> Iterator[bg.LocalExchange]:
    with bg.LocalExchange(
        seed=7, start_time=START, rate_limits=False, max_body_bytes=MAX_BODY
    ) as ex:
        yield ex


@pytest.fixture(autouse=True)
def no_handler_bugs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A handler bug answers 500 and logs at ERROR: none may happen."""
    with caplog.at_level(logging.DEBUG, logger="bitget_nb.exchange"):
        yield
    bugs = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bugs, [r.getMessage() for r in bugs]


def _send(ex: bg.LocalExchange, request: dict[str, Any]) -> tuple[int, bytes]:
    host, port = ex.base_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        data = request["body"].encode("utf-8", "surrogatepass")
        connection.request(
            request["method"], request["target"], body=data or None, headers=request["headers"]
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@settings(
    max_examples=max(1, round(400 * SCALE)),
    deadline=None,
    derandomize=SCALE == 1,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_request_gets_an_envelope_never_a_5xx_and_a_refusal_changes_nothing(exchange, data):
    request = data.draw(requests_(exchange))
    before = ledger.state_digest(exchange)
    status, raw = _send(exchange, request)
    assert status < 500, (status, raw[:300], request)
    if request["method"] == "HEAD":
        SEEN[f"HEAD {status}"] += 1
        assert ledger.state_digest(exchange) == before
        return
    body = json.loads(raw)
    assert set(body) == {"code", "msg", "requestTime", "data"}, body
    assert "Traceback" not in body["msg"]
    if 200 <= status < 300:
        assert body["code"] == "00000", body
        SEEN[f"accepted {status}"] += 1
    else:
        assert 400 <= status < 500 and body["code"] != "00000" and body["data"] is None, body
        assert ledger.state_digest(exchange) == before, (
            "a refused request changed state",
            request,
            body,
        )
        SEEN[f"refused {status} {body['code']}"] += 1
