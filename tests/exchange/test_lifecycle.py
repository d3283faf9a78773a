"""Starting, serving and stopping the exchange: threads, sockets, keep-alive, no output."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from datetime import UTC, datetime

import pytest
import requests

from bitget_nb.exchange import LocalExchange, ManualClock
from bitget_nb.exchange.http import LINGER_SECONDS, MAX_WORKERS

from .wire import START, START_MS, Wire, ok_data

TIME_REQUEST = b"GET /api/v2/public/time HTTP/1.1\r\nHost: x\r\n\r\n"


def _address(exchange: LocalExchange) -> tuple[str, int]:
    host, port = exchange.base_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _exchange_threads(port: int) -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("bitget_nb-exchange") and t.name.endswith(f"-{port}")
    ]


def test_close_joins_every_thread_and_the_port_refuses_connections() -> None:
    before = set(threading.enumerate())
    exchange = LocalExchange(start_time=START).start()
    address = _address(exchange)
    port = address[1]
    sessions = [requests.Session() for _ in range(3)]
    for session in sessions:  # three keep-alive connections left open
        ok_data(session.get(exchange.base_url + "/api/v2/public/time", timeout=5))
    idle = socket.create_connection(address)  # a connection that never sends a request
    # the accept loop hands the idle socket to its thread; on a loaded machine that once took
    # more than 2 s (the wait ends as soon as it has)
    deadline = time.monotonic() + 10
    while len(_exchange_threads(port)) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(_exchange_threads(port)) == 5  # the serving thread and four connections
    started = time.monotonic()
    exchange.close()
    assert time.monotonic() - started < 3
    assert _exchange_threads(port) == []
    assert set(threading.enumerate()) <= before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=2)
    idle.close()
    for session in sessions:
        session.close()


def test_start_and_close_are_idempotent() -> None:
    exchange = LocalExchange(start_time=START)
    assert not exchange.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = exchange.base_url
    exchange.start()
    url = exchange.base_url
    exchange.start()
    assert exchange.base_url == url
    exchange.close()
    exchange.close()
    assert not exchange.running


def test_keep_alive_serves_many_requests_on_one_connection(wire: Wire) -> None:
    connection = http.client.HTTPConnection(*_address(wire.exchange), timeout=5)
    try:
        for _ in range(5):
            connection.request("GET", "/api/v3/market/tickers?category=SPOT")
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200 and response.getheader("Connection") != "close"
            assert int(response.getheader("Content-Length")) == len(body)
        # An error answer that read the whole request keeps the connection too.
        connection.request("GET", "/api/v3/market/tickers?category=BOGUS")
        response = connection.getresponse()
        response.read()
        assert response.status == 400 and response.getheader("Connection") != "close"
        connection.request("GET", "/api/v2/public/time")
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def _read_answer(sock: socket.socket, buffered: bytearray) -> int:
    """Read one answer (headers + Content-Length body) off ``sock``; its status. Bytes past
    it stay in ``buffered`` for the next call."""
    while b"\r\n\r\n" not in buffered:
        chunk = sock.recv(65_536)
        assert chunk, "the exchange closed the connection"
        buffered += chunk
    head, _, _ = bytes(buffered).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(v) for k, _, v in (h.partition(b":") for h in lines[1:])
                  if k.lower() == b"content-length")  # fmt: skip
    end = len(head) + 4 + length
    while len(buffered) < end:
        chunk = sock.recv(65_536)
        assert chunk, "the exchange closed the connection"
        buffered += chunk
    del buffered[:end]
    return int(lines[0].split()[1])


def test_pipelined_requests_sent_in_one_write_are_all_answered_in_order(wire: Wire) -> None:
    pipelined = (
        TIME_REQUEST
        + b"GET /api/v3/market/tickers?category=BOGUS HTTP/1.1\r\nHost: x\r\n\r\n"
        + b"POST /api/v3/account/set-hold-mode HTTP/1.1\r\nHost: x\r\nContent-Length: 2"
        + b"\r\n\r\n{}"
        + TIME_REQUEST
    )
    with socket.create_connection(_address(wire.exchange), timeout=5) as sock:
        sock.sendall(pipelined)
        buffered = bytearray()
        assert [_read_answer(sock, buffered) for _ in range(4)] == [200, 400, 400, 200]
        sock.sendall(TIME_REQUEST)  # and the connection lives on
        assert _read_answer(sock, buffered) == 200


def test_a_keep_alive_connection_idle_past_the_linger_serves_its_next_request(
    wire: Wire,
) -> None:
    connection = http.client.HTTPConnection(*_address(wire.exchange), timeout=5)
    try:
        connection.request("GET", "/api/v2/public/time")
        connection.getresponse().read()
        sock = connection.sock
        time.sleep(LINGER_SECONDS + 0.3)  # its worker has let go: the selector watches it
        connection.request("GET", "/api/v2/public/time")
        response = connection.getresponse()
        response.read()
        assert response.status == 200 and connection.sock is sock
    finally:
        connection.close()


def test_idle_keep_alive_connections_hold_no_thread_and_closing_them_stalls_nobody() -> None:
    """The cause of a stall: a thread per idle connection (bench/idle_connections.py). When
    thousands of such connections closed at once, their threads all woke and fought for the
    GIL, and a new client waited seconds."""
    idle = 300
    with LocalExchange(start_time=START, rate_limits=False) as exchange:
        address = _address(exchange)
        port = address[1]
        connections: list[socket.socket] = []
        try:
            for _ in range(idle):
                sock = socket.create_connection(address, timeout=10)
                connections.append(sock)
                sock.sendall(TIME_REQUEST)
                assert _read_answer(sock, bytearray()) == 200
            assert len(_exchange_threads(port)) <= 1 + MAX_WORKERS < idle
            for sock in connections[::25]:  # idle, not forgotten: keep-alive still works
                sock.sendall(TIME_REQUEST)
                assert _read_answer(sock, bytearray()) == 200
        finally:
            for sock in connections:
                sock.close()
        assert len(_exchange_threads(port)) <= 1 + MAX_WORKERS
        fresh = requests.get(exchange.base_url + "/api/v2/public/time", timeout=10)
        assert fresh.status_code == 200


def test_keep_alive_survives_a_post_with_a_body(wire: Wire) -> None:
    connection = http.client.HTTPConnection(*_address(wire.exchange), timeout=5)
    try:
        for _ in range(2):
            connection.request("POST", "/api/v3/account/set-hold-mode", body=b'{"holdMode":"x"}')
            response = connection.getresponse()
            response.read()
            assert response.status == 400  # no key: 40001, but the connection lives on
        connection.request("GET", "/api/v2/public/time")
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def test_the_library_prints_nothing_and_keeps_werkzeug_quiet(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with LocalExchange(start_time=START) as ex:
        wire = Wire(ex)
        ok_data(wire.get("/api/v2/public/time"))
        wire.get("/nope")
        wire.post("/api/v3/account/set-leverage", raw=b"{")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert logging.getLogger("werkzeug").handlers == []


def test_requests_are_logged_at_debug_on_the_exchange_logger(
    wire: Wire, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bitget_nb.exchange"):
        ok_data(wire.get("/api/v2/public/time"))
        deadline = time.monotonic() + 2
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.01)
    assert any("/api/v2/public/time" in r.getMessage() for r in caplog.records)
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


def test_repr_shows_url_and_uid_but_never_the_secret_or_passphrase() -> None:
    with LocalExchange(start_time=START) as ex:
        text = repr(ex)
        assert ex.base_url in text and ex.uid in text
        for creds in (ex.credentials, ex.read_only_credentials):
            assert creds["api_secret"] not in text and creds["api_pass"] not in text
            assert creds["api_secret"] not in repr(ex.venue.account)
        assert repr(ex.venue.account.keys[0]).count(ex.credentials["api_key"]) == 1


def test_credentials_are_generated_fresh_and_given_ones_are_used() -> None:
    a, b = LocalExchange(start_time=START), LocalExchange(start_time=START)
    assert a.credentials != b.credentials and a.uid != b.uid
    assert (
        set(a.credentials) == set(a.read_only_credentials) == {"api_key", "api_secret", "api_pass"}
    )
    assert a.credentials["api_key"] != a.read_only_credentials["api_key"]
    given = {"api_key": "bg_mine", "api_secret": "s3cret", "api_pass": "pass-phrase"}
    with LocalExchange(start_time=START, **given) as ex:
        assert ex.credentials == given
        ok_data(Wire(ex).get("/api/v3/account/assets", signed=True))
    with pytest.raises(ValueError, match="together"):
        LocalExchange(api_key="only-a-key")


@pytest.mark.parametrize(
    "start",
    [START_MS, START, "2025-06-01T14:00:00+02:00", datetime(2025, 6, 1, 12, tzinfo=UTC)],
)
def test_start_time_accepts_ms_iso_and_datetime(start: object) -> None:
    assert LocalExchange(start_time=start).now_ms() == START_MS  # type: ignore[arg-type]


def test_advance_moves_server_time_and_returns_it() -> None:
    with LocalExchange(start_time=START) as ex:
        wire = Wire(ex)
        assert ex.advance(seconds=1.5) == START_MS + 1_500
        assert ex.advance(minutes=2, hours=1, days=1) == START_MS + 1_500 + 90_000_000 + 120_000
        time_now = ok_data(wire.get("/api/v3/public/time"))["serverTime"]
        assert int(time_now) == ex.now_ms()
        with pytest.raises(ValueError):
            ex.advance(seconds=-1)


def test_without_start_time_the_exchange_follows_the_wall_clock() -> None:
    ex = LocalExchange()
    assert abs(ex.now_ms() - time.time() * 1000) < 5_000
    before = ex.now_ms()
    assert ex.advance(hours=1) - before >= 3_600_000


def test_an_injected_clock_is_used() -> None:
    clock = ManualClock(START_MS)
    ex = LocalExchange(clock=clock)
    clock.advance(10)
    assert ex.now_ms() == START_MS + 10
    with pytest.raises(ValueError, match="either"):
        LocalExchange(clock=clock, start_time=START)


def test_a_start_before_the_simulated_market_is_refused() -> None:
    with pytest.raises(ValueError, match="before the simulated market"):
        LocalExchange(start_time="2010-01-01T00:00:00Z")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_non_loopback_hosts_are_refused_unless_allowed(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        LocalExchange(host=host)


def test_a_busy_port_raises_oserror_without_printing(capfd: pytest.CaptureFixture[str]) -> None:
    with LocalExchange(start_time=START) as first:
        port = _address(first)[1]
        with pytest.raises(OSError):
            LocalExchange(start_time=START, port=port).start()
    assert capfd.readouterr() == ("", "")
