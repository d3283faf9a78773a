"""Per-endpoint request limits: a token bucket per key (spec §3, §10.4).

Private endpoints are keyed by (uid, endpoint) — every key of an account shares the budget —
and public ones by (client IP, endpoint). Each key has a bucket of ``limit`` tokens, refilled
at ``limit`` per second; a request takes one. Refused requests take nothing, so a client that
backs off recovers at once.

Why a bucket and not a window of arrivals (spec §10.4, [unverified] how live Bitget counts):
a client that spaces its calls exactly ``1/limit`` apart, start to start — as ccxt does —
sees its requests ARRIVE closer than that whenever the network is a little faster for one of
them than for the one before; a strict sliding window refused 1 to 3 calls in 10 of ccxt's on
the 1/s endpoints (countdown-cancel-all, max-transferable). A bucket lets such a client
borrow from the next interval: a request is admitted while the bucket holds at least
``1 - tolerance`` tokens (:data:`~.defaults.RATE_LIMIT_TOLERANCE`), so arrivals may jitter by
up to ``tolerance / limit`` seconds, and the sustained rate is still ``limit`` per second.
Real bursts are refused: at most ``limit`` requests at one instant, and a client sending
faster than ``limit`` per second runs dry within about a second.

>>> now = [0.0]
>>> limiter = TokenBucketLimiter(clock=lambda: now[0])
>>> [limiter.allow(("uid", "get_fee_rate"), 3) for _ in range(4)]
[True, True, True, False]
>>> now[0] = 1.001
>>> limiter.allow(("uid", "get_fee_rate"), 3)
True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from . import defaults

__all__ = ["TokenBucketLimiter"]


class TokenBucketLimiter:
    """Per key, a bucket of ``limit`` tokens refilled at ``limit`` per ``window`` seconds.

    ``tolerance`` is the fraction of a token a request may borrow (see the module docstring).
    ``clock`` is a monotonic clock in seconds (real time: rate limits are about how fast a
    client sends, not about the exchange's simulated time).
    """

    def __init__(
        self,
        *,
        window: float = 1.0,
        tolerance: float = defaults.RATE_LIMIT_TOLERANCE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= tolerance < 1:
            raise ValueError(f"tolerance must be at least 0 and below 1, got {tolerance}")
        self.window = window
        self.tolerance = tolerance
        self._clock = clock
        #: key → (tokens, when they were counted)
        self._buckets: dict[Hashable, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def allow(self, key: Hashable, limit: float) -> bool:
        """Take a token for ``key`` if its bucket of ``limit`` per window has one to give."""
        capacity = max(1.0, float(limit))
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - then) * capacity / self.window)
            allowed = tokens >= 1 - self.tolerance
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            self._calls += 1
            if self._calls % 1024 == 0:
                self._forget_full(now)
            return allowed

    def _forget_full(self, now: float) -> None:
        # A bucket untouched for two windows is full again (it never holds less than
        # -tolerance tokens): forgetting it changes nothing.
        idle = [k for k, (_, then) in self._buckets.items() if now - then >= 2 * self.window]
        for key in idle:
            del self._buckets[key]
