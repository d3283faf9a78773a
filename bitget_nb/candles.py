"""Whole ranges of candles: which endpoint serves which part, pages, gaps.

``client.get_candles(..., startTime=..., endTime=...)`` (and ``get_history_candles``, which
is the same call) returns every bar opening in the range, not one page of it. This module
decides how (:func:`plan` is the one place that does):

* the part of the range that ``candles`` still serves for the interval comes from there, at
  1,000 bars a request; anything older, back to 90 days, from ``history-candles`` at 100
  (reaches and page sizes: :mod:`bitget_nb.intervals`, spec §4.5.5);
* a start older than either reaches is refused before any request, naming the earliest
  start that can be served — never a shorter frame in silence;
* each leg is paged from its newest bar backwards (the exchange answers the newest ``limit``
  bars of a window), the next window ending just before the oldest bar received; the walk
  does not depend on that order: a page that covered the bottom of its window instead moves
  the window up;
* the pages are parsed as they arrive, then joined, sorted ascending and de-duplicated by
  open time (a bar sent twice is kept as last received);
* bars missing between the first and the last one received — bars the exchange should have
  had — are listed in ``.attrs["gaps"]`` and warned about once (:class:`CandleGapWarning`).

The download asks the exchange for its time first (one ``get_server_time`` request), since
reaches are counted back from the exchange's now — the local exchange's clock is whatever a
notebook set it to. Requests go through the client's rate limiter, so a long download paces
itself under the endpoints' 20/s and never meets a 429.

>>> import bitget_nb as bg
>>> with bg.LocalExchange(seed=7, start_time="2025-06-01T00:00:00Z") as ex:
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     df = client.get_candles(category="SPOT", symbol="BTCUSDT", interval="1m",
...                             startTime="2025-05-31T00:00:00Z", endTime="2025-05-31T23:59:00Z")
...     client.close()
>>> len(df), df.index.is_monotonic_increasing, df.attrs["gaps"]
(1440, True, [])
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import ValidationError
from .intervals import (
    CANDLES_PAGE_MAX,
    HISTORY_CANDLES_PAGE_MAX,
    Interval,
    interval,
    reach_ms,
)
from .paging import iso_ms

__all__ = [
    "CandleGapWarning",
    "Leg",
    "download",
    "gaps",
    "missing",
    "missing_runs",
    "pages_needed",
    "plan",
]


class CandleGapWarning(UserWarning):
    """Bars were missing inside a downloaded range (see ``.attrs["gaps"]``)."""


@dataclass(frozen=True, slots=True)
class Leg:
    """One part of a range and the endpoint that serves it: bars opening in
    ``[start, end]`` from ``endpoint`` (``get_candles`` or ``get_history_candles``), at most
    ``page`` a request."""

    endpoint: str
    start: int
    end: int
    page: int


def plan(
    name: str, start_ms: int, end_ms: int, *, now_ms: int, page: int | None = None
) -> list[Leg]:
    """The legs that download bars of interval ``name`` opening in ``[start_ms, end_ms]``
    (``end_ms`` capped at ``now_ms``), newest first; ``page`` caps the rows per request.

    >>> DAY = 86_400_000
    >>> now = 1_748_736_000_000
    >>> [(leg.endpoint, leg.page, round((now - leg.start) / DAY)) for leg in
    ...  plan("1m", now - 40 * DAY, now, now_ms=now)]
    [('get_candles', 1000, 30), ('get_history_candles', 100, 40)]
    >>> plan("1m", now - 91 * DAY, now, now_ms=now)
    Traceback (most recent call last):
    ...
    bitget_nb.errors.ValidationError: startTime 2025-03-02T00:00:00+00:00 is older than the \
API serves 1m candles (candles: the last 30 days, history-candles: the last 90 days); the \
earliest start is 2025-03-03T00:00:00+00:00
    """
    iv = interval(name)
    end = min(end_ms, now_ms)
    if start_ms > end_ms:
        raise ValidationError(
            f"startTime {iso_ms(start_ms)} is after endTime {iso_ms(end_ms)}", field="startTime"
        )
    first = iv.ceil(start_ms)
    if first > end:
        return []
    candles_reach = reach_ms(name, "candles")
    history_reach = reach_ms(name, "history")
    assert history_reach is not None
    if candles_reach is None:
        return [Leg("get_candles", first, end, _page(page, CANDLES_PAGE_MAX))]
    candles_from = iv.ceil(now_ms - candles_reach)
    history_from = iv.ceil(now_ms - history_reach)
    earliest = min(candles_from, history_from)
    if first < earliest:
        raise ValidationError(
            f"startTime {iso_ms(start_ms)} is older than the API serves {name} candles "
            f"(candles: the last {candles_reach // 86_400_000} days, history-candles: the last "
            f"{history_reach // 86_400_000} days); the earliest start is {iso_ms(earliest)}",
            field="startTime",
        )
    legs = []
    if end >= candles_from:
        legs.append(
            Leg("get_candles", max(first, candles_from), end, _page(page, CANDLES_PAGE_MAX))
        )
    if first < candles_from:
        legs.append(
            Leg(
                "get_history_candles",
                first,
                min(end, iv.previous(candles_from)),
                _page(page, HISTORY_CANDLES_PAGE_MAX),
            )
        )
    return legs


def pages_needed(legs: list[Leg], iv: Interval) -> int:
    """Requests the legs take at the least: their bar slots over the page size, per leg.

    >>> pages_needed([Leg("get_candles", 0, 43_200 * 60_000, 1000)], interval("1m"))
    44
    """
    total = 0
    for leg in legs:
        slots = (
            len(iv.starts(leg.start, leg.end)) if iv.ms == 0 else (leg.end - leg.start) // iv.ms + 1
        )
        total += -(-slots // leg.page)
    return total


def _page(asked: int | None, maximum: int) -> int:
    return maximum if asked is None else max(1, min(int(asked), maximum))


def _rows(data: Any) -> np.ndarray:
    """One page's ``[ts, o, h, l, c, vol, turnover]`` rows as a float array (n, 7)."""
    return np.asarray([list(r)[:7] for r in data or []], dtype="float64").reshape(-1, 7)


#: fetch(endpoint name, wire fields) → the page's envelope
Fetch = Callable[[str, dict[str, Any]], Mapping[str, Any]]


def download(
    fetch: Fetch,
    legs: list[Leg],
    query: Mapping[str, Any],
    *,
    iv: Interval,
    on_page: Callable[[], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Every bar of ``legs`` as a sorted, de-duplicated array (n, 7), and the number of
    requests made. ``query`` holds the fields every request repeats (category, symbol,
    interval, type)."""
    pages: list[np.ndarray] = []
    requests = 0
    for leg in legs:
        # Windows still to fetch; each request either shows its window holds nothing more
        # (an empty page, or one that reached both ends) or narrows it to what is left.
        windows = [(leg.start, leg.end)]
        # a bound: a server that keeps answering bars already received must not keep us here
        allowed = 3 * (pages_needed([leg], iv) + 1)
        made = 0
        while windows:
            lo, hi = windows.pop()
            if made >= allowed:
                raise RuntimeError(
                    f"{leg.endpoint}: the exchange kept answering bars already received; "
                    f"stopped after {made} requests"
                )
            made += 1
            envelope = fetch(
                leg.endpoint,
                {**query, "startTime": str(lo), "endTime": str(hi), "limit": str(leg.page)},
            )
            requests += 1
            if on_page is not None:
                on_page()
            rows = _rows(envelope.get("data"))
            # a bar outside the window asked for is not this window's to count
            ts = rows[:, 0].astype("int64") if len(rows) else np.empty(0, "int64")
            rows = rows[(ts >= lo) & (ts <= hi)]
            if not len(rows):
                # Nothing in the newest `page` slots of the window — a server may count its
                # limit in time, not in bars: what lies below them is still to be asked.
                below = _slot_back(iv, hi, leg.page)
                if below > iv.ceil(lo):
                    windows.append((lo, below - 1))
                continue
            pages.append(rows)
            oldest, newest = int(rows[:, 0].min()), int(rows[:, 0].max())
            # below the oldest bar received there may be more (a page is the newest `limit`
            # bars of its window; a short page may also be short for a gap the server
            # counted in its limit); above the newest, only when a full page stopped short
            # of the top (a server that answers the oldest bars of a window first)
            if oldest > iv.ceil(lo):
                windows.append((lo, oldest - 1))
            if len(rows) >= leg.page and newest < iv.floor(hi):
                windows.append((newest + 1, hi))
    if not pages:
        return np.empty((0, 7)), requests
    joined = np.concatenate(pages)
    # keep the last received of each open time: stable sort, then the last of each run
    order = np.argsort(joined[:, 0], kind="stable")
    joined = joined[order]
    ts = joined[:, 0]
    last_of_run = np.append(ts[1:] != ts[:-1], True)
    return joined[last_of_run], requests


def _slot_back(iv: Interval, hi: int, count: int) -> int:
    """The open time of the ``count``-th newest bar slot opening at or before ``hi``."""
    if iv.ms:
        return iv.floor(hi) - (count - 1) * iv.ms
    t = iv.floor(hi)
    for _ in range(count - 1):
        t = iv.previous(t)
    return t


def missing_runs(
    iv: Interval, present: np.ndarray, first: int, last: int
) -> list[tuple[int, int, int]]:
    """Runs of bar open times in ``[first, last]`` that ``present`` (ascending, unique ms)
    does not hold: (open time of the run's first bar, of its last, bars).

    >>> missing_runs(interval("1m"), np.array([0, 60_000, 240_000]), 0, 360_000)
    [(120000, 180000, 2), (300000, 360000, 2)]
    """
    if last < first:
        return []
    if iv.ms:
        expected = np.arange(iv.ceil(first), last + 1, iv.ms, dtype="int64")
    else:
        expected = np.asarray(iv.starts(first, last), dtype="int64")
    absent = np.setdiff1d(expected, present.astype("int64"), assume_unique=True)
    if not len(absent):
        return []
    positions = np.searchsorted(expected, absent)
    breaks = np.flatnonzero(np.diff(positions) != 1)
    return [(int(r[0]), int(r[-1]), len(r)) for r in np.split(absent, breaks + 1)]


def missing(ts_ms: np.ndarray, iv: Interval) -> list[dict[str, Any]]:
    """Runs of bars missing between the first and the last of ``ts_ms`` (sorted, unique):
    ``{"start", "end"}`` (ISO open times of the run's first and last bar) and ``bars``."""
    if len(ts_ms) < 2:
        return []
    runs = missing_runs(iv, ts_ms, int(ts_ms[0]), int(ts_ms[-1]))
    return [{"start": iso_ms(a), "end": iso_ms(b), "bars": n} for a, b, n in runs]


def gaps(candles: pd.DataFrame) -> pd.DataFrame:
    """The gaps a whole-range download found, as a frame: ``start``, ``end`` (open times of
    the first and last missing bar of each run) and ``bars``. ``.attrs["gaps"]`` holds the
    same as JSON values, so the candles still save to Parquet with their attributes.

    >>> df = pd.DataFrame()
    >>> df.attrs["gaps"] = [
    ...     {"start": "2025-05-31T00:03:00+00:00", "end": "2025-05-31T00:04:00+00:00", "bars": 2}
    ... ]
    >>> gaps(df)
                          start                       end  bars
    0 2025-05-31 00:03:00+00:00 2025-05-31 00:04:00+00:00     2
    """
    rows = candles.attrs.get("gaps") or []
    return pd.DataFrame(
        {
            "start": pd.to_datetime([r["start"] for r in rows], utc=True).as_unit("ms"),
            "end": pd.to_datetime([r["end"] for r in rows], utc=True).as_unit("ms"),
            "bars": pd.array([r["bars"] for r in rows], dtype="Int64"),
        }
    )


def _caller_stacklevel() -> int:
    """The stack level of the first frame outside this package — the user's line that
    asked, whether through ``client.get_candles`` or a store's ``update``."""
    package = os.path.dirname(__file__) + os.sep
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn_gaps(found: list[dict[str, Any]], label: str) -> None:
    """One warning for every gap of a download (not one per gap), pointing at the caller's
    line."""
    if not found:
        return
    bars = sum(g["bars"] for g in found)
    first = found[0]
    warnings.warn(
        f"{label}: {bars} bar{'s' * (bars != 1)} missing in {len(found)} "
        f"gap{'s' * (len(found) != 1)}, the first from {first['start']} to {first['end']}; "
        "the exchange had no candles there (bitget_nb.candles.gaps(df) lists them)",
        CandleGapWarning,
        stacklevel=_caller_stacklevel(),
    )
