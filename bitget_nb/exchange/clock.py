"""Clocks for the local exchange: the wall clock, or a manual one for repeatable runs.

Everything time-dependent in the exchange (server time, ``requestTime``, the timestamp
window, prices) reads one injected :class:`Clock`. A manual clock moves only when told to:

>>> clock = ManualClock(to_ms("2025-06-01T00:00:00Z"))
>>> clock.now_ms()
1748736000000
>>> clock.advance(1_500)
1748736001500
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "PinnedClock", "WallClock", "to_ms"]

_DIGITS = re.compile(r"-?[0-9]{1,19}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    """Milliseconds since the Unix epoch, and a way to move them forward."""

    def now_ms(self) -> int:
        """The current time in ms."""
        ...

    def advance(self, ms: int) -> int:
        """Move time forward by ``ms`` (≥ 0) and return the new time."""
        ...


class WallClock:
    """The system clock, plus an offset that :meth:`advance` grows.

    >>> abs(WallClock().now_ms() - int(time.time() * 1000)) < 1_000
    True
    """

    def __init__(self, offset_ms: int = 0) -> None:
        self._offset = int(offset_ms)
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self._offset

    @property
    def offset_ms(self) -> int:
        """How far :meth:`advance` has moved this clock ahead of the system clock."""
        return self._offset

    def advance(self, ms: int) -> int:
        _check_step(ms)
        with self._lock:
            self._offset += int(ms)
        return self.now_ms()

    def __repr__(self) -> str:
        return f"WallClock(offset_ms={self._offset})"


class ManualClock:
    """A clock that stands still until :meth:`advance` moves it."""

    def __init__(self, start_ms: int) -> None:
        self._now = int(start_ms)
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> int:
        _check_step(ms)
        with self._lock:
            self._now += int(ms)
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock(now_ms={self._now})"


class PinnedClock:
    """Another clock, read through — or held at one instant while :meth:`pinned` is active.

    A persistent exchange (:mod:`.persistence`) reads its time through one of these: each
    call runs at ONE instant, the one its command-log row records, so that a replay that pins
    the same instants makes the same decisions (a wall clock would otherwise move between
    the catch-up and the operation of one call). Pinning happens under the venue lock.

    >>> clock = PinnedClock(ManualClock(1_000))
    >>> with clock.pinned(5_000):
    ...     clock.now_ms()
    5000
    >>> clock.now_ms()
    1000
    """

    def __init__(self, inner: Clock, *, pinned: int | None = None) -> None:
        #: The clock read when nothing is pinned (swapped in after a replay).
        self.inner = inner
        self._pinned = pinned

    def now_ms(self) -> int:
        pinned = self._pinned
        return pinned if pinned is not None else self.inner.now_ms()

    def advance(self, ms: int) -> int:
        """Move the inner clock (the pinned instant, if any, stays)."""
        return self.inner.advance(ms)

    def pin(self, t_ms: int | None) -> None:
        """Hold the clock at ``t_ms`` (``None``: read the inner clock again)."""
        self._pinned = t_ms

    @contextmanager
    def pinned(self, t_ms: int) -> Iterator[int]:
        """Hold the clock at ``t_ms`` for the ``with`` block."""
        previous, self._pinned = self._pinned, t_ms
        try:
            yield t_ms
        finally:
            self._pinned = previous

    def __repr__(self) -> str:
        return f"PinnedClock({self.inner!r}, pinned={self._pinned!r})"


def _check_step(ms: int) -> None:
    if ms < 0:
        raise ValueError(f"time only moves forward; got a step of {ms} ms")


def to_ms(value: int | str | datetime) -> int:
    """Read a point in time as Unix ms: an int (ms), a string of digits (ms), an ISO 8601
    string, or a datetime. Values without a UTC offset are read as UTC.

    >>> to_ms(1_700_000_000_000), to_ms("1700000000000")
    (1700000000000, 1700000000000)
    >>> to_ms("2023-11-14T22:13:20Z"), to_ms(datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC))
    (1700000000000, 1700000000000)
    """
    if isinstance(value, bool):
        raise TypeError("a time must be ms, an ISO 8601 string or a datetime, not a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if _DIGITS.fullmatch(text):
            return int(text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"cannot read {value!r} as a time; use ms since the epoch or ISO 8601 "
                "such as 2025-06-01T00:00:00Z"
            ) from None
    else:
        raise TypeError(f"a time must be ms, an ISO 8601 string or a datetime, not {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)
