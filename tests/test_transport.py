"""Transport pieces: the client-side rate limiter (no server needed), and the proxies of the
environment, read once per client — through a recording proxy on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pandas as pd
import pytest
import requests

import bitget_nb as bg
from bitget_nb.transport import RateLimiter, environment_settings


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_limiter_lets_a_full_window_through_without_waiting():
    t = FakeTime()
    limiter = RateLimiter(clock=t.clock, sleep=t.sleep)
    for _ in range(20):
        limiter.acquire("ip:get_tickers", 20)
        limiter.release("ip:get_tickers")
    assert t.sleeps == []


def test_limiter_waits_one_window_after_the_oldest_answer_once_the_budget_is_used():
    t = FakeTime()
    limiter = RateLimiter(clock=t.clock, sleep=t.sleep)
    for _ in range(5):
        limiter.acquire("uid:get_account_info", 5)
        t.now += 0.01  # the answer takes 10 ms
        limiter.release("uid:get_account_info")
    started = t.now
    limiter.acquire("uid:get_account_info", 5)
    # the first answer arrived at 1000.01; its window ends at 1001.01
    assert abs(t.now - 1001.01) < 1e-9 and t.now > started


def test_limiter_keeps_keys_independent():
    t = FakeTime()
    limiter = RateLimiter(clock=t.clock, sleep=t.sleep)
    limiter.acquire("a", 1)
    limiter.release("a")
    limiter.acquire("b", 1)
    assert t.sleeps == []


def test_in_flight_requests_hold_their_slot():
    t = FakeTime()
    limiter = RateLimiter(clock=t.clock, sleep=t.sleep)
    limiter.acquire("k", 1)  # not released: still in flight
    done = threading.Event()

    def second() -> None:
        limiter.acquire("k", 1)
        done.set()

    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(timeout=0.05)
    assert not done.is_set()  # blocked while the first is in flight
    limiter.release("k")
    t.now += 1.0
    waiter.join(timeout=5)
    assert done.is_set()


def test_sustained_rate_never_exceeds_the_budget_in_any_window():
    t = FakeTime()
    limiter = RateLimiter(clock=t.clock, sleep=t.sleep)
    sent = []
    for _ in range(100):
        limiter.acquire("k", 20)
        sent.append(t.now)
        t.now += 0.002
        limiter.release("k")
    for i, start in enumerate(sent):
        assert sum(1 for s in sent[i:] if s < start + 1.0) <= 20
    # and it is not needlessly slow: 100 calls at 20/s take about 4 windows
    assert sent[-1] - sent[0] < 4.2


# -- proxies from the environment, read once ----------------------------------------------------
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE",
                    "CURL_CA_BUNDLE")  # fmt: skip
#: A host that exists nowhere (RFC 2606): only a proxy can answer for it.
REMOTE = "http://api.bitget.invalid"


class RecordingProxy(http.server.ThreadingHTTPServer):
    """A forward proxy that forwards nothing: it records each request line's target and
    answers with a server-time envelope, as Bitget would."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: RecordingProxy

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        body = json.dumps({"code": "00000", "msg": "success", "requestTime": 1,
                           "data": {"serverTime": "1767571200000"}}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    server = RecordingProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_an_environment_proxy_carries_a_remote_base_urls_requests(clean_environment, proxy):
    clean_environment.setenv("HTTP_PROXY", proxy.url)
    with bg.BitgetClient(base_url=REMOTE) as client:
        assert client.get_server_time()["serverTime"] == pd.Timestamp("2026-01-05", tz="UTC")
    assert proxy.seen == [f"{REMOTE}/api/v2/public/time"]


def test_the_environment_is_read_when_the_client_is_made_not_on_every_call(
    clean_environment, proxy
):
    calls: list[str] = []
    real = requests.utils.get_environ_proxies

    def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
        calls.append(url)
        return real(url, no_proxy=no_proxy)

    # requests' own function, in both places requests reaches it from
    clean_environment.setattr(requests.utils, "get_environ_proxies", counted)
    clean_environment.setattr(requests.sessions, "get_environ_proxies", counted)
    clean_environment.setenv("HTTP_PROXY", proxy.url)
    with bg.BitgetClient(base_url=REMOTE) as client:
        clean_environment.delenv("HTTP_PROXY")  # later changes are not seen by this client
        for _ in range(3):
            client.get_server_time(raw=True)
    assert calls == [REMOTE] and len(proxy.seen) == 3


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_never_proxied_even_with_every_proxy_variable_set(
    clean_environment, proxy, exchange, host
):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        clean_environment.setenv(name, proxy.url)
    url = exchange.base_url.replace("127.0.0.1", host)
    with bg.BitgetClient(**exchange.credentials, base_url=url) as client:
        assert client.get_account_info()["userId"]
    assert proxy.seen == []


def test_no_proxy_keeps_a_remote_host_direct_and_the_ca_bundle_is_kept(clean_environment):
    clean_environment.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert environment_settings("https://api.bitget.com") == (
        {"https": "http://proxy.example:3128"},
        None,
    )
    clean_environment.setenv("NO_PROXY", "api.bitget.com")
    clean_environment.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    assert environment_settings("https://api.bitget.com") == ({}, "/etc/ssl/corporate.pem")
