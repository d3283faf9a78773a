"""Fault injection over real HTTP: before-faults change nothing, after-faults commit and then
lose the answer, and a dropped connection is really dropped."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time

import pytest
import requests

from bitget_nb.exchange import LocalExchange, defaults
from bitget_nb.exchange.faults import Faults
from bitget_nb.signing import compact_json

from .wire import START, Wire, envelope, error_code, ok_data

PLACE = "/api/v3/trade/place-order"
INFO = "/api/v3/trade/order-info"
INSTRUMENTS = "/api/v3/market/instruments?category=SPOT"


def _order(client_oid: str) -> dict[str, str]:
    return {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
            "qty": "0.01", "price": "50000", "clientOid": client_oid}  # fmt: skip


def _status(wire: Wire, client_oid: str) -> str | None:
    """The order's status, or None when the exchange never heard of it."""
    response = wire.get(INFO, {"clientOid": client_oid}, signed=True)
    if response.status_code == 400:
        assert error_code(response) == "25204"
        return None
    return ok_data(response)["orderStatus"]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("http_503", 503, defaults.FAULT_503_CODE), ("code_45001", 400, "45001")],
)
def test_before_faults_answer_an_error_and_change_nothing(
    trading_wire: Wire, kind: str, status: int, code: str
) -> None:
    ex = trading_wire.exchange
    ex.faults.fail_next("submit_new_order", when="before", kind=kind)
    locked = ex.venue.account.balance("USDT").locked
    response = trading_wire.post(PLACE, _order("f-1"))
    assert error_code(response, status) == code
    assert _status(trading_wire, "f-1") is None
    assert ex.venue.account.balance("USDT").locked == locked
    ok_data(trading_wire.post(PLACE, _order("f-1")))  # one fault only: the next one goes in
    assert ex.faults.injected == {("submit_new_order", "before", kind): 1}


def test_before_timeout_holds_then_closes_without_placing(trading_wire: Wire) -> None:
    ex = trading_wire.exchange
    ex.faults.fail_next("submit_new_order", when="before", kind="timeout", hold_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        trading_wire.post(PLACE, _order("f-2"))
    assert 0.25 < time.monotonic() - started < 5
    assert _status(trading_wire, "f-2") is None


def test_a_client_timeout_shorter_than_the_hold_sees_read_timeout(trading_wire: Wire) -> None:
    ex = trading_wire.exchange
    ex.faults.fail_next("get_order_info", kind="timeout", hold_seconds=2.0)
    headers = trading_wire.auth_headers("GET", INFO, "clientOid=x")
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{trading_wire.url}{INFO}?clientOid=x", headers=headers, timeout=0.2)


@pytest.mark.parametrize("kind", ["drop", "timeout"])
def test_after_faults_that_close_the_connection_still_commit(trading_wire: Wire, kind: str) -> None:
    ex = trading_wire.exchange
    ex.faults.fail_next("submit_new_order", when="after", kind=kind, hold_seconds=0.1)
    with pytest.raises(requests.ConnectionError):
        trading_wire.post(PLACE, _order("f-3"))
    assert _status(trading_wire, "f-3") == "live"
    assert ex.faults.injected == {("submit_new_order", "after", kind): 1}


@pytest.mark.parametrize("code", ["40010", "45001"])
def test_after_faults_with_an_outcome_unknown_code_still_commit(
    trading_wire: Wire, code: str
) -> None:
    ex = trading_wire.exchange
    ok_data(trading_wire.post(PLACE, _order("f-4")))
    ex.faults.fail_next("cancel_order", when="after", kind=f"code_{code}")
    response = trading_wire.post("/api/v3/trade/cancel-order", {"clientOid": "f-4"})
    assert error_code(response) == code
    assert _status(trading_wire, "f-4") == "cancelled"


def test_a_dropped_connection_is_really_closed_without_a_byte(trading_wire: Wire) -> None:
    ex = trading_wire.exchange
    ex.faults.fail_next("submit_new_order", when="after", kind="drop")
    host, port = trading_wire.url.removeprefix("http://").rsplit(":", 1)
    body = compact_json(_order("f-5")).encode()
    headers = trading_wire.auth_headers("POST", PLACE, "", body)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = f"POST {PLACE} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{head}\r\n"
        sock.sendall(request.encode() + body)
        assert sock.recv(1024) == b""  # closed by the server, nothing written
    assert _status(trading_wire, "f-5") == "live"
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    ex.faults.fail_next("get_server_time", when="after", kind="drop")
    connection.request("GET", "/api/v2/public/time")
    with pytest.raises(http.client.RemoteDisconnected):
        connection.getresponse()
    connection.close()


def test_a_held_request_does_not_outlive_the_exchange() -> None:
    ex = LocalExchange(start_time=START, rate_limits=False).start()
    port = str(ex.base_url.rsplit(":", 1)[1])
    ex.faults.fail_next("get_server_time", kind="timeout", hold_seconds=20)
    url = ex.base_url + "/api/v2/public/time"
    with pytest.raises(requests.ReadTimeout):
        requests.get(url, timeout=0.3)
    started = time.monotonic()
    ex.close()  # wakes the held handler instead of waiting 20 s
    assert time.monotonic() - started < 3
    # only this exchange's threads are counted: other tests' daemons may come and go
    assert not [t for t in threading.enumerate() if t.name.endswith(f"-{port}")]


def test_held_requests_do_not_keep_other_clients_waiting() -> None:
    """Requests held by a ``timeout`` fault or by latency each hold one connection thread;
    other clients, on new or keep-alive connections and in parallel, are answered meanwhile."""
    held_count = 6
    with LocalExchange(start_time=START, rate_limits=False) as ex:
        url = ex.base_url + "/api/v2/public/time"
        ex.faults.set_latency("get_server_time", 20)
        ex.faults.fail_next("get_tickers", held_count, kind="timeout", hold_seconds=20)
        finished = threading.Event()  # set as soon as any held request ends

        def held(target: str) -> None:
            with contextlib.suppress(requests.RequestException):
                requests.get(target, timeout=30)
            finished.set()

        targets = [url] * held_count + [ex.base_url + "/api/v3/market/tickers?category=SPOT"] * 6
        holders = [threading.Thread(target=held, args=(t,)) for t in targets]
        for thread in holders:
            thread.start()
        deadline = time.monotonic() + 10
        while sum(ex.faults.injected.values()) < held_count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sum(ex.faults.injected.values()) == held_count  # every timeout is being held

        answers: list[int] = []

        def other_client() -> None:
            with requests.Session() as session:  # keep-alive: several requests on one
                for _ in range(5):
                    answers.append(session.get(ex.base_url + INSTRUMENTS, timeout=10).status_code)

        others = [threading.Thread(target=other_client) for _ in range(8)]
        for thread in others:
            thread.start()
        for thread in others:
            thread.join(15)
        assert answers == [200] * 40 and not finished.is_set()
    for thread in holders:  # closing the exchange ended the holds
        thread.join(10)
        assert not thread.is_alive()


def test_random_faults_repeat_with_the_same_seed(trading_wire: Wire) -> None:
    ex = trading_wire.exchange
    kinds = [("before", "http_503"), ("before", "code_45001")]

    def run() -> list[int]:
        ex.faults.fail_randomly("get_server_time", 0.5, kinds=kinds, seed=11)
        codes = [trading_wire.get("/api/v2/public/time").status_code for _ in range(30)]
        ex.faults.clear()
        return codes

    first, second = run(), run()
    assert first == second
    assert {200, 400, 503} <= set(first)
    injected = ex.faults.injected
    assert sum(injected.values()) == 2 * sum(code != 200 for code in first)
    assert set(injected) <= {("get_server_time", w, k) for w, k in kinds}


def test_latency_delays_every_request_of_the_endpoint(trading_wire: Wire) -> None:
    ex = trading_wire.exchange
    ex.faults.set_latency("get_server_time", 0.2)
    started = time.monotonic()
    ok_data(trading_wire.get("/api/v2/public/time"))
    assert time.monotonic() - started >= 0.2
    ex.faults.clear()
    started = time.monotonic()
    ok_data(trading_wire.get("/api/v2/public/time"))
    assert time.monotonic() - started < 0.2


def test_faults_reach_requests_that_pass_auth_only(trading_wire: Wire) -> None:
    ex = trading_wire.exchange
    ex.faults.fail_next("submit_new_order", kind="http_503")
    response = trading_wire.session.post(trading_wire.url + PLACE, data=b"{}")
    assert error_code(response) == "40001"  # no key: refused before any fault
    assert ex.faults.pending == 1 and ex.faults.injected == {}


def test_venue_calls_never_see_faults() -> None:
    with LocalExchange(start_time=START) as ex:
        ex.faults.fail_next("submit_new_order", kind="http_503")
        ack = ex.venue.call("submit_new_order", _order("v-1"), ex.trader)
        assert ack["clientOid"] == "v-1" and ex.faults.pending == 1


def test_fault_plans_are_checked() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="unknown endpoint"):
        faults.fail_next("place_everything")
    with pytest.raises(ValueError, match="kind"):
        faults.fail_next("submit_new_order", when="before", kind="drop")
    with pytest.raises(ValueError, match="when"):
        faults.fail_next("submit_new_order", when="during")
    with pytest.raises(ValueError, match="hold_seconds"):
        faults.fail_next("submit_new_order", kind="timeout", hold_seconds=3600)
    with pytest.raises(ValueError, match="probability"):
        faults.fail_randomly("submit_new_order", 1.5)
    faults.fail_next("place_order", 2)  # the endpoint table's alias works too
    assert faults.draw("submit_new_order") == faults.draw("submit_new_order") is not None
    assert faults.draw("submit_new_order") is None


def test_an_after_fault_on_a_refused_request_still_hides_the_answer(trading_wire: Wire) -> None:
    ex = trading_wire.exchange
    ex.faults.fail_next("submit_new_order", when="after", kind="code_45001")
    bad = {**_order("f-6"), "price": "50000.001"}
    assert envelope(trading_wire.post(PLACE, bad))["code"] == "45001"
    assert _status(trading_wire, "f-6") is None
