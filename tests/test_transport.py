"""Transport pieces that need no server: the client-side rate limiter."""

from __future__ import annotations

import threading

from bitget_nb.transport import RateLimiter


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
