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
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "WallClock", "to_ms"]

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
