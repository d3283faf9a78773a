"""Per-endpoint request limits over a sliding one-second window (spec §3).

Private endpoints are keyed by (uid, endpoint) — every key of an account shares the budget —
and public ones by (client IP, endpoint). Refused requests do not use up the budget, so a
client that backs off recovers after a second.

>>> now = [0.0]
>>> limiter = SlidingWindowLimiter(clock=lambda: now[0])
>>> [limiter.allow(("uid", "get_fee_rate"), 3) for _ in range(4)]
[True, True, True, False]
>>> now[0] = 1.001
>>> limiter.allow(("uid", "get_fee_rate"), 3)
True
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """At most ``limit`` requests per key in any ``window`` seconds.

    ``clock`` is a monotonic clock in seconds (real time: rate limits are about how fast a
    client sends, not about the exchange's simulated time).
    """

    def __init__(self, *, window: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self._clock = clock
        self._hits: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def allow(self, key: Hashable, limit: float) -> bool:
        """Record a request for ``key`` and say whether it is within ``limit`` per window."""
        capacity = max(1, math.floor(limit))
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            allowed = len(hits) < capacity
            if allowed:
                hits.append(now)
            self._calls += 1
            if self._calls % 1024 == 0:
                self._forget_idle(now)
            return allowed

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]
        for key in idle:
            del self._hits[key]
