"""Per-endpoint rate limits (spec §3, §10.4): 429 for bursts, never for a client that paces
itself at the limit, whatever the jitter of its arrivals."""

from __future__ import annotations

import random
import time

import pytest

from bitget_nb.endpoints import ENDPOINTS
from bitget_nb.exchange import LocalExchange, defaults
from bitget_nb.exchange.ratelimit import TokenBucketLimiter
from bitget_nb.transport import RateLimiter

from .wire import START, Wire, envelope, error_code, ok_data

TICKERS = "/api/v3/market/tickers"


def _burst(wire: Wire, count: int, **kw: object) -> list[int]:
    return [
        wire.get(TICKERS, {"category": "SPOT", "symbol": "BTCUSDT"}, **kw).status_code
        for _ in range(count)
    ]


def test_public_burst_over_the_limit_gets_429_and_recovers_after_a_second(
    fresh_wire: Wire,
) -> None:
    limit = int(ENDPOINTS["get_tickers"].rate_limit)
    started = time.monotonic()
    responses = [
        fresh_wire.get(TICKERS, {"category": "SPOT", "symbol": "BTCUSDT"}) for _ in range(3 * limit)
    ]
    elapsed = time.monotonic() - started
    statuses = [response.status_code for response in responses]
    assert statuses[:limit] == [200] * limit
    # the bucket refills at the limit while the burst goes on (spec §10.4), no faster
    assert 429 in statuses and statuses.count(200) <= limit + elapsed * limit + 1
    # The refusal is read from inside the burst: a request sent after it may find a token
    # the bucket refilled while the machine was slow, and rightly get a 200.
    refused = responses[statuses.index(429)]
    assert error_code(refused, 429) == "429"
    assert refused.json()["msg"] == "Too Many Requests"
    time.sleep(1.05)
    ok_data(fresh_wire.get(TICKERS, {"category": "SPOT"}))


def test_other_public_endpoints_have_their_own_budget(fresh_wire: Wire) -> None:
    _burst(fresh_wire, int(ENDPOINTS["get_tickers"].rate_limit) + 1)
    ok_data(fresh_wire.get("/api/v2/public/time"))


def test_private_limit_is_per_uid_and_shared_by_every_key(fresh_wire: Wire) -> None:
    path = "/api/v3/account/fee-rate"
    params = {"category": "SPOT", "symbol": "BTCUSDT"}
    assert ENDPOINTS["get_fee_rate"].rate_limit == 3
    started = time.monotonic()
    keys = ["rw", "ro"] * 5
    statuses = [fresh_wire.get(path, params, signed=True, key=k).status_code for k in keys]
    elapsed = time.monotonic() - started
    assert statuses[:3] == [200] * 3  # two keys, one account, one bucket of 3
    refused = [k for k, status in zip(keys, statuses, strict=True) if status == 429]
    assert set(refused) == {"rw", "ro"} and statuses.count(200) <= 3 + elapsed * 3 + 1


def test_requests_that_fail_authentication_do_not_use_the_budget(fresh_wire: Wire) -> None:
    path = "/api/v3/account/fee-rate"
    params = {"category": "SPOT", "symbol": "BTCUSDT"}
    for _ in range(5):
        assert envelope(fresh_wire.get(path, params)).get("code") == "40001"
    ok_data(fresh_wire.get(path, params, signed=True))


def test_no_429_when_rate_limits_are_off() -> None:
    with LocalExchange(start_time=START, rate_limits=False) as ex:
        assert set(_burst(Wire(ex), 60)) == {200}


LIMITS = sorted({ep.rate_limit for ep in ENDPOINTS.values()})


@pytest.mark.parametrize("limit", LIMITS)
def test_calls_spaced_one_interval_apart_are_admitted_whatever_their_jitter(limit: float) -> None:
    # ccxt's pacing (spec §10.4): sends exactly 1/limit apart, start to start; each request
    # then takes its own time to arrive — up to almost half an interval more than another
    interval = 1 / limit
    jitter = 0.98 * defaults.RATE_LIMIT_TOLERANCE * interval  # just under the tolerance
    rng = random.Random(limit)
    arrivals = sorted(k * interval + rng.uniform(0, jitter) for k in range(2000))
    clock = iter(arrivals)
    limiter = TokenBucketLimiter(clock=lambda: next(clock))
    assert all(limiter.allow("uid:countdown", limit) for _ in arrivals)


@pytest.mark.parametrize("limit", LIMITS)
def test_a_burst_gets_the_limit_through_at_once_and_no_more(limit: float) -> None:
    now = [50.0]
    limiter = TokenBucketLimiter(clock=lambda: now[0])
    admitted = [limiter.allow("k", limit) for _ in range(int(limit) + 3)]
    assert admitted == [True] * int(limit) + [False] * 3
    now[0] += 0.49 / limit  # less than half an interval later: still nothing to give
    assert not limiter.allow("k", limit)
    assert limiter.allow("other", limit)  # every key has its own bucket
    now[0] += 0.02 / limit
    assert limiter.allow("k", limit)


def test_two_calls_closer_than_half_a_second_on_a_1_per_second_endpoint_are_a_burst() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(clock=lambda: now[0])
    assert limiter.allow("uid:countdown", 1)
    now[0] = 0.4
    assert not limiter.allow("uid:countdown", 1)
    now[0] = 0.6  # jitter of less than half an interval is tolerated
    assert limiter.allow("uid:countdown", 1)
    now[0] = 1.2  # but the tolerance is borrowed: the next one must wait its turn
    assert not limiter.allow("uid:countdown", 1)
    now[0] = 1.6
    assert limiter.allow("uid:countdown", 1)


@pytest.mark.parametrize("limit", LIMITS)
def test_a_client_faster_than_the_limit_is_held_to_the_limit(limit: float) -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(clock=lambda: now[0])
    admitted = 0
    for k in range(int(30 * limit)):  # 1.5 x the limit for 20 seconds
        now[0] = k / (1.5 * limit)
        admitted += limiter.allow("k", limit)
    assert admitted <= 20 * limit + limit + 1
    assert admitted >= 20 * limit - 1


@pytest.mark.parametrize("limit", LIMITS)
def test_the_clients_own_pacing_is_always_admitted(limit: float) -> None:
    # bitget_nb's client limiter (transport.RateLimiter) against the exchange's bucket, with
    # latencies that vary from call to call: no request would get a 429
    rng = random.Random(int(limit))
    now = [1000.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    client = RateLimiter(clock=lambda: now[0], sleep=sleep)
    arrivals: list[float] = []
    for _ in range(int(10 * limit) + 20):
        client.acquire("k", limit)
        now[0] += rng.uniform(0.0005, 0.3)  # on the way
        arrivals.append(now[0])
        now[0] += rng.uniform(0.0005, 0.05)  # handled and answered
        client.release("k")
    clock = iter(arrivals)
    exchange = TokenBucketLimiter(clock=lambda: next(clock))
    assert all(exchange.allow("k", limit) for _ in arrivals)
