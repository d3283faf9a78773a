"""Candle intervals and how far back each candle endpoint reaches: wire facts the client and
the local exchange share (spec §4.5.5).

An :class:`Interval` knows where its candles start (:meth:`~Interval.floor`) and where the next
one starts (:meth:`~Interval.next`): fixed lengths aligned on UTC — on UTC+8 for 6H and longer,
whose ``…utc`` variants align on UTC — and calendar months.

How far back the API serves candles (:func:`reach_ms`):

* ``/api/v3/market/candles`` — the UTA page states no reach; Bitget's V2 candle pages do, per
  interval (1m/3m/5m one month, 15m 52 days, 30m 62 days, 1H 83 days, 4H 240 days, 6H 360
  days; nothing for 12H and longer), and they are taken here as V3's. [unverified for V3]
  Source: https://www.bitget.com/api-doc/contract/market/Get-Candle-Data (V2 mix) and
  https://www.bitget.com/api-doc/spot/market/Get-Candle-Data (V2 spot).
* ``/api/v3/market/history-candles`` — "historical Kline/candlestick data within the last 90
  days" [single]; its parameter table says at most 100 rows a request, but the same snapshot's
  candles page says 100 in its table and 1,000 in its text, and typed-bitget pages history
  with up to 1,000 [conflict]: the client asks for 100 (right either way), the local exchange
  accepts up to 1,000 on both. Source: DOCS uta/public/Get-History-Candle-Data
  (https://www.bitget.com/api-doc/uta/public/Get-History-Candle-Data, read through a mirror);
  typed-bitget 0.6.0 ``uta/market/candles/history.py``.
* ``candles`` returns up to 1,000 rows a request ("This endpoint allows retrieving up to 1,000
  candlesticks", DOCS uta/public/Get-Candle-Data; DOCS-CL Nov 2025). [single]

>>> one_minute = INTERVALS["1m"]
>>> one_minute.floor(90_500), one_minute.next(60_000)
(60000, 120000)
>>> reach_ms("1m", "candles") // DAY_MS, reach_ms("1m", "history") // DAY_MS
(30, 90)
>>> reach_ms("1D", "candles") is None
True
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

__all__ = [
    "CANDLES_PAGE_MAX",
    "DAY_MS",
    "HISTORY_CANDLES_PAGE_MAX",
    "HISTORY_CANDLES_REACH_MS",
    "INTERVALS",
    "LONG_INTERVAL_UTC_OFFSET_MS",
    "Interval",
    "interval",
    "reach_ms",
]

MINUTE_MS: Final = 60_000
HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000

#: Intervals of 6H and longer are aligned to UTC+8 (Bitget's V2 convention, where ``6Hutc``,
#: ``1Dutc`` … are the UTC+0 variants); shorter ones to UTC+0. [unverified] spec §4.5.5 (GO
#: lists the ``…utc`` variants; no UTA page says where a 1D candle starts).
LONG_INTERVAL_UTC_OFFSET_MS: Final = 8 * HOUR_MS

#: Rows per request the client asks for: ``candles`` 1,000, ``history-candles`` 100 (see above).
CANDLES_PAGE_MAX: Final = 1000
HISTORY_CANDLES_PAGE_MAX: Final = 100

#: ``history-candles`` serves the last 90 days. [single]
HISTORY_CANDLES_REACH_MS: Final = 90 * DAY_MS

#: ``candles`` serves this far back per interval (V2's rules; ``None``: no limit stated).
#: [unverified for V3] "one month" is read as 30 days.
_CANDLES_REACH_DAYS: Final[dict[str, int | None]] = {
    "1m": 30, "3m": 30, "5m": 30, "15m": 52, "30m": 62, "1H": 83, "4H": 240, "6H": 360,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Interval:
    """A candle interval: fixed length with an alignment offset, or calendar months."""

    name: str
    ms: int  # 0 for calendar months
    offset_ms: int  # added to UTC before flooring: 8 h aligns on UTC+8 midnight
    weekly: bool = False

    def floor(self, t: int) -> int:
        """Start of the candle that contains ``t``."""
        if self.ms == 0:
            local = datetime.fromtimestamp((t + self.offset_ms) / 1000, tz=UTC)
            start = datetime(local.year, local.month, 1, tzinfo=UTC)
            return int(start.timestamp() * 1000) - self.offset_ms
        # Unix day 0 is a Thursday; weeks start on Monday.
        shift = self.offset_ms + (3 * DAY_MS if self.weekly else 0)
        return (t + shift) // self.ms * self.ms - shift

    def next(self, start: int) -> int:
        """Start of the candle after the one starting at ``start``."""
        if self.ms == 0:
            local = datetime.fromtimestamp((start + self.offset_ms) / 1000, tz=UTC)
            year, month = (
                (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
            )
            return calendar.timegm((year, month, 1, 0, 0, 0)) * 1000 - self.offset_ms
        return start + self.ms

    def previous(self, start: int) -> int:
        """Start of the candle before the one starting at ``start``."""
        return self.floor(start - 1)

    def ceil(self, t: int) -> int:
        """Start of the first candle that opens at or after ``t``."""
        start = self.floor(t)
        return start if start == t else self.next(start)

    def starts(self, first: int, last: int) -> list[int]:
        """The open times of every candle opening in ``[first, last]``."""
        out = []
        t = self.ceil(first)
        while t <= last:
            out.append(t)
            t = self.next(t)
        return out


def _intervals() -> dict[str, Interval]:
    # spec §4.5.5: 1m … 1D (all sources) plus GO's 3D 1W 1M and the UTC-anchored variants.
    table: dict[str, Interval] = {}
    for name, minutes in (("1m", 1), ("3m", 3), ("5m", 5), ("15m", 15), ("30m", 30)):
        table[name] = Interval(name, minutes * MINUTE_MS, 0)
    for name, hours in (("1H", 1), ("4H", 4)):
        table[name] = Interval(name, hours * HOUR_MS, 0)
    for name, ms, weekly in (
        ("6H", 6 * HOUR_MS, False),
        ("12H", 12 * HOUR_MS, False),
        ("1D", DAY_MS, False),
        ("3D", 3 * DAY_MS, False),
        ("1W", 7 * DAY_MS, True),
        ("1M", 0, False),
    ):
        table[name] = Interval(name, ms, LONG_INTERVAL_UTC_OFFSET_MS, weekly)
        table[name + "utc"] = Interval(name + "utc", ms, 0, weekly)
    return table


#: Every interval the client and the local exchange know, by its wire name.
INTERVALS: Final[dict[str, Interval]] = _intervals()


def interval(name: str) -> Interval:
    """The interval called ``name`` (``ValueError`` naming the known ones otherwise)."""
    try:
        return INTERVALS[name]
    except KeyError:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, got {name!r}") from None


def reach_ms(name: str, endpoint: Literal["candles", "history"]) -> int | None:
    """How far back (ms before now) ``candles`` or ``history-candles`` serves candles of
    interval ``name``; ``None`` when no limit is known."""
    if endpoint == "history":
        return HISTORY_CANDLES_REACH_MS
    days = _CANDLES_REACH_DAYS.get(name.removesuffix("utc"))
    return None if days is None else days * DAY_MS
