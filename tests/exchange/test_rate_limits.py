"""Per-endpoint rate limits (spec §3): 429 over the limit, recovery after a second."""

from __future__ import annotations

import time

from bitget_nb.endpoints import ENDPOINTS
from bitget_nb.exchange import LocalExchange
from bitget_nb.exchange.ratelimit import SlidingWindowLimiter

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
    statuses = _burst(fresh_wire, limit + 5)
    assert time.monotonic() - started < 1.0, "the burst must fit in one window"
    assert statuses[:limit] == [200] * limit
    assert statuses[limit:] == [429] * 5
    response = fresh_wire.get(TICKERS, {"category": "SPOT"})
    assert error_code(response, 429) == "429"
    assert response.json()["msg"] == "Too Many Requests"
    time.sleep(1.05)
    ok_data(fresh_wire.get(TICKERS, {"category": "SPOT"}))


def test_other_public_endpoints_have_their_own_budget(fresh_wire: Wire) -> None:
    _burst(fresh_wire, int(ENDPOINTS["get_tickers"].rate_limit) + 1)
    ok_data(fresh_wire.get("/api/v2/public/time"))


def test_private_limit_is_per_uid_and_shared_by_every_key(fresh_wire: Wire) -> None:
    path = "/api/v3/account/fee-rate"
    params = {"category": "SPOT", "symbol": "BTCUSDT"}
    assert ENDPOINTS["get_fee_rate"].rate_limit == 3
    ok_data(fresh_wire.get(path, params, signed=True, key="rw"))
    ok_data(fresh_wire.get(path, params, signed=True, key="ro"))
    ok_data(fresh_wire.get(path, params, signed=True, key="rw"))
    assert error_code(fresh_wire.get(path, params, signed=True, key="ro"), 429) == "429"


def test_requests_that_fail_authentication_do_not_use_the_budget(fresh_wire: Wire) -> None:
    path = "/api/v3/account/fee-rate"
    params = {"category": "SPOT", "symbol": "BTCUSDT"}
    for _ in range(5):
        assert envelope(fresh_wire.get(path, params)).get("code") == "40001"
    ok_data(fresh_wire.get(path, params, signed=True))


def test_no_429_when_rate_limits_are_off() -> None:
    with LocalExchange(start_time=START, rate_limits=False) as ex:
        assert set(_burst(Wire(ex), 60)) == {200}


def test_sliding_window_forgets_hits_older_than_the_window() -> None:
    now = [100.0]
    limiter = SlidingWindowLimiter(clock=lambda: now[0])
    assert [limiter.allow("k", 2) for _ in range(3)] == [True, True, False]
    now[0] += 0.5
    assert not limiter.allow("k", 2)
    assert limiter.allow("other", 2)
    now[0] += 0.51
    assert limiter.allow("k", 2)
