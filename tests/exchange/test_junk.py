"""Junk input always gets a 4xx Bitget envelope, never a 5xx or a traceback."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitget_nb.endpoints import ENDPOINTS
from bitget_nb.exchange import LocalExchange, defaults

from .wire import START, Wire, envelope, error_code

LEVERAGE = "/api/v3/account/set-leverage"
CANDLES = "/api/v3/market/candles"
PLACE = "/api/v3/trade/place-order"
BATCH = "/api/v3/trade/place-batch"
CAP = defaults.MAX_BODY_DEPTH
#: An order the exchange would accept (a limit buy far below the market: it rests).
ORDER = ('"category":"SPOT","symbol":"BTCUSDT","side":"buy","orderType":"limit",'
         '"qty":"0.001","price":"50000"')  # fmt: skip


@pytest.fixture(autouse=True)
def no_handler_bugs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """None of these inputs may reach the last-resort 500 path (it logs at ERROR)."""
    with caplog.at_level(logging.DEBUG, logger="bitget_nb.exchange"):
        yield
    bugs = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bugs, [r.getMessage() for r in bugs]


def _is_client_error(response_status: int, body: dict) -> None:
    assert 400 <= response_status < 500, (response_status, body)
    assert body["data"] is None and body["code"] != "00000"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{", "40017"),
        ("not json", "40017"),
        ('{"category": "USDT-FUTURES",}', "40017"),
        ("[]", "40017"),
        ('[{"category": "SPOT"}]', "40017"),
        ('"a string"', "40017"),
        ("42", "40017"),
        ("null", "40017"),
        ("NaN", "40017"),
        ('{"leverage": Infinity}', "40017"),
        ("[" * 100_000 + "]" * 100_000, "40017"),
        (b"\xff\xfe\x00junk", "40017"),
        ('{"category": {"nested": true}}', "25200"),
        ('{"category": null, "symbol": 7}', "25200"),
        ('{"category": "USDT-FUTURES", "symbol": "BTCUSDT", "leverage": true}', "25200"),
        ('{"category": "USDT-FUTURES", "symbol": "BTCUSDT", "leverage": 1e400}', "25200"),
    ],
)
def test_malformed_or_mistyped_json_bodies_are_400(wire: Wire, raw: str | bytes, code: str) -> None:
    response = wire.post(LEVERAGE, raw=raw)
    body = envelope(response)
    assert response.status_code == 400 and body["code"] == code, body


def nested(levels: int) -> str:
    """A JSON array ``levels`` deep around ``1``."""
    return "[" * levels + "1" + "]" * levels


def order_body(field: str, value: str, *, batch: bool = False) -> str:
    """A valid resting order with ``field`` set to the raw JSON ``value``; for a batch, that
    order alone in a bare array."""
    body = f'{{{ORDER},"{field}":{value}}}'
    return f"[{body}]" if batch else body


@pytest.mark.parametrize("levels", [CAP + 1, 975, 980, 5_000])
@pytest.mark.parametrize(
    ("path", "field"),
    [(PLACE, "note"), (PLACE, "clientOid"), (BATCH, "clientOid")],  # note: an unknown field
)
def test_a_body_nested_deeper_than_the_cap_is_refused_with_40017(
    trading_wire: Wire, path: str, field: str, levels: int
) -> None:
    batch = path == BATCH
    # The order object (and the batch's array) are levels of the body too.
    raw = order_body(field, nested(levels - (2 if batch else 1)), batch=batch)
    response = trading_wire.post(path, raw=raw)
    assert error_code(response) == defaults.BAD_BODY_CODE
    assert f"deeper than {CAP} levels" in envelope(response)["msg"]
    assert len(trading_wire.exchange.venue.trading.store) == 0  # nothing was acknowledged


def test_a_body_nested_exactly_to_the_cap_is_read(trading_wire: Wire) -> None:
    response = trading_wire.post(PLACE, raw=order_body("note", nested(CAP - 1)))
    assert envelope(response)["code"] == "00000"
    response = trading_wire.post(PLACE, raw=order_body("clientOid", nested(CAP - 1)))
    assert error_code(response) == "25200"  # read, then refused: not a string


@pytest.mark.parametrize(
    "raw",
    [
        '{"a":"' + "[" * 50 + '"}',  # brackets inside a string are text
        '{"a":"\\"' + "{" * 50 + '"}',  # ... after an escaped quote too
        '{"a":' + "[]," * 2_000 + "1}",  # wide, not deep
    ],
)
def test_brackets_in_strings_and_wide_bodies_do_not_count_as_nesting(wire: Wire, raw: str) -> None:
    body = envelope(wire.post(LEVERAGE, raw=raw))
    assert "deeper than" not in body["msg"], body


def test_body_larger_than_the_limit_is_413_and_the_client_sees_the_answer(wire: Wire) -> None:
    response = wire.post(LEVERAGE, raw=b"{" + b" " * 1_100_000 + b"}")
    body = envelope(response)
    assert response.status_code == 413 and body["code"] == "40017", body


def test_max_body_bytes_is_configurable() -> None:
    with LocalExchange(start_time=START, max_body_bytes=64) as ex:
        response = Wire(ex).post(LEVERAGE, {"category": "USDT-FUTURES", "symbol": "B" * 80})
        assert response.status_code == 413


@pytest.mark.parametrize(
    "path", ["/", "/api/v3/market/ticker", "/api/v3/market/tickers/", "/api/v9/x", "/%00"]
)
def test_unknown_paths_are_404_envelopes(wire: Wire, path: str) -> None:
    response = wire.get(path)
    body = envelope(response)
    assert response.status_code == 404 and body["code"] == "40404" and body["data"] is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v3/market/tickers"),
        ("PUT", "/api/v3/market/tickers"),
        ("DELETE", "/api/v3/account/assets"),
        ("PATCH", "/api/v2/public/time"),
        ("GET", LEVERAGE),
        ("OPTIONS", "/api/v3/trade/place-order"),
    ],
)
def test_wrong_method_on_a_known_path_is_405_with_allow(wire: Wire, method: str, path: str) -> None:
    response = wire.session.request(method, wire.url + path, timeout=10)
    body = envelope(response)
    assert response.status_code == 405 and body["code"] == "40404"
    assert response.headers["Allow"] in ("GET", "POST")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "category=",
        "category=FOO&symbol=BTCUSDT&interval=1m",
        "category=MARGIN&symbol=BTCUSDT&interval=1m",
        "category=SPOT&symbol=BTCUSDT",
        "category=SPOT&symbol=BTCUSDT&interval=2m",
        "category=SPOT&symbol=BTCUSDT&interval=1h",
        "category=SPOT&symbol=NOPE&interval=1m",
        "category=SPOT&symbol=BTCUSDT&interval=1m&limit=abc",
        "category=SPOT&symbol=BTCUSDT&interval=1m&limit=0",
        "category=SPOT&symbol=BTCUSDT&interval=1m&limit=-5",
        "category=SPOT&symbol=BTCUSDT&interval=1m&limit=1001",
        "category=SPOT&symbol=BTCUSDT&interval=1m&limit=1.5",
        "category=SPOT&symbol=BTCUSDT&interval=1m&limit=" + "9" * 5000,
        "category=SPOT&symbol=BTCUSDT&interval=1m&startTime=yesterday",
        "category=SPOT&symbol=BTCUSDT&interval=1m&startTime=-1",
        "category=SPOT&symbol=BTCUSDT&interval=1m&endTime=99999999999999999999",
        "category=SPOT&symbol=BTCUSDT&interval=1m&startTime=2000&endTime=1000",
        "category=SPOT&symbol=BTCUSDT&interval=1m&type=premiums",
        "category=%FF%FE&symbol=%00&interval=%ZZ",
        "category=SPOT&symbol=BTCUSDT&interval=1m&limit=%F0%9F%92%A5",
        "category=SP%C3%96T&symbol=BTCUSDT&interval=1m",
        "&&&=&=",
    ],
)
def test_garbage_query_parameters_are_4xx(wire: Wire, query: str) -> None:
    response = wire.get(CANDLES, query=query)
    _is_client_error(response.status_code, envelope(response))


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v3/market/orderbook", "category=SPOT&symbol=BTCUSDT&limit=201"),
        ("/api/v3/market/orderbook", "category=SPOT&symbol=BTCUSDT&limit=min"),
        ("/api/v3/market/fills", "category=SPOT&symbol=BTCUSDT&limit=101"),
        ("/api/v3/market/fills", "category=SPOT"),
        ("/api/v3/market/tickers", "category=MARGIN"),
        ("/api/v3/market/tickers", "symbol=BTCUSDT"),
        ("/api/v3/market/instruments", "category=OPTIONS"),
    ],
)
def test_out_of_range_parameters_are_25200(wire: Wire, path: str, query: str) -> None:
    response = wire.get(path, query=query)
    assert response.status_code == 400 and envelope(response)["code"] == "25200"


def test_repeated_parameters_take_the_first_value(wire: Wire) -> None:
    response = wire.get("/api/v3/market/tickers", query="category=SPOT&category=BOGUS")
    assert response.status_code == 200


def _raw_exchange(
    exchange: LocalExchange, request: bytes, *, half_close: bool = False
) -> tuple[int, dict]:
    """Send bytes on a fresh socket (optionally closing our sending side after them) and
    return the status and the decoded envelope."""
    host, port = exchange.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(rest[:length])


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /api/v2/public/time HTTP/2.0\r\n\r\n",
        b"GET /api/v3/market/tickers HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET /api/v3/market/tickers?category=SPOT HTTP/1.1\r\nHost: x\r\n"
        + b"X-Long: "
        + b"a" * 70_000
        + b"\r\n\r\n",
        b"POST /api/v3/account/set-leverage HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        # The client promises 10 bytes, sends 2 and stops: the body is cut short.
        b"POST /api/v3/account/set-leverage HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}",
    ],
    ids=[
        "bad-request-line",
        "http-2.0",
        "bad-content-length",
        "huge-header",
        "bad-chunk",
        "short-body",
    ],
)
def test_malformed_http_gets_a_4xx_envelope(
    shared_exchange: LocalExchange, request_bytes: bytes
) -> None:
    status, body = _raw_exchange(shared_exchange, request_bytes, half_close=True)
    _is_client_error(status, body)


def test_chunked_json_body_is_read_whole(shared_exchange: LocalExchange) -> None:
    body = b'{"holdMode":"one_way_mode"}'
    request = (
        b"POST /api/v3/account/set-hold-mode HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    status, answer = _raw_exchange(shared_exchange, request)
    assert status == 400 and answer["code"] == "40001"  # read fine, then asked for a key


def test_absolute_form_request_target_is_routed(shared_exchange: LocalExchange) -> None:
    request = f"GET {shared_exchange.base_url}/api/v2/public/time HTTP/1.1\r\nHost: x\r\n\r\n"
    status, answer = _raw_exchange(shared_exchange, request.encode())
    assert status == 200 and answer["data"]["serverTime"].isdigit()


def test_a_bug_in_a_handler_is_a_500_envelope_not_a_traceback(
    fresh_exchange: LocalExchange, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(params: object, caller: object) -> object:
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(fresh_exchange.venue._operations, "get_tickers", broken)
    response = Wire(fresh_exchange).get("/api/v3/market/tickers", {"category": "SPOT"})
    body = envelope(response)
    assert response.status_code == 500 and body["code"] == "25000" and body["data"] is None
    assert "Traceback" not in response.text and "boom" not in response.text
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged and logged[0].exc_info is not None
    caplog.clear()  # the autouse fixture checks that *junk* never gets here


_PUBLIC_PATHS = sorted({e.path for e in ENDPOINTS.values() if not e.private})
_PARAM_NAMES = ["category", "symbol", "interval", "limit", "startTime", "endTime", "type", "x"]
_PARAM_VALUES = st.one_of(
    st.sampled_from(["SPOT", "usdt-futures", "BTCUSDT", "1m", "1D", "max", "0", "-1", "mark", ""]),
    st.integers(-(10**20), 10**20).map(str),
    st.text(max_size=12),
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(_PUBLIC_PATHS),
    params=st.dictionaries(st.sampled_from(_PARAM_NAMES), _PARAM_VALUES, max_size=6),
)
def test_any_public_query_gets_an_envelope_and_never_a_5xx(
    wire: Wire, path: str, params: dict[str, str]
) -> None:
    response = wire.get(path, params)
    body = envelope(response)
    assert response.status_code < 500, body
    assert (response.status_code == 200) == (body["code"] == "00000")


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=64),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=8,
        ).map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries(
            {"category": _PARAM_VALUES, "symbol": _PARAM_VALUES, "leverage": _PARAM_VALUES}
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_any_signed_post_body_gets_an_envelope_and_never_a_5xx(wire: Wire, body: bytes) -> None:
    response = wire.post(LEVERAGE, raw=body)
    answer = envelope(response)
    assert response.status_code < 500, answer
