"""Paging: ≤ 30-day windows inside the 90-day look-back, and cursors followed to the end.

History endpoints (orders, fills, positions) answer at most the last 90 days, and one query's
``startTime``..``endTime`` may span at most 30 days (spec §4.0). Lists come back as
``{"list": [...], "cursor": "..."}`` pages, newest first; the cursor of one page fetches the
next, and an empty cursor or an empty list ends it (spec §9 #6). Live Bitget sends ``null``
for an empty ``list`` on some endpoints and for the cursor of a last page (spec §10.2):
:func:`page_rows` and :func:`next_cursor` read ``null``, ``""``/``[]`` and a missing key alike.

>>> DAY = 86_400_000
>>> [(round(s / DAY), round(e / DAY)) for s, e in time_windows(0, 70 * DAY, now_ms=80 * DAY)]
[(40, 70), (10, 40), (0, 10)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd

from .errors import ValidationError

__all__ = [
    "LOOKBACK_MS",
    "WINDOW_MS",
    "follow_cursor",
    "follow_page_numbers",
    "next_cursor",
    "page_rows",
    "result_rows",
    "time_windows",
    "windowed_rows",
]

DAY_MS = 86_400_000
#: spec §4.0: history reaches back 90 days; one query spans at most 30 days.
LOOKBACK_MS = 90 * DAY_MS
WINDOW_MS = 30 * DAY_MS


def iso_ms(ms: int) -> str:
    """A ms timestamp as an ISO 8601 UTC string, for messages and JSON attributes."""
    return pd.Timestamp(ms, unit="ms", tz="UTC").isoformat()


def time_windows(
    start_ms: int,
    end_ms: int,
    *,
    now_ms: int,
    window_ms: int = WINDOW_MS,
    lookback_ms: int = LOOKBACK_MS,
) -> list[tuple[int, int]]:
    """Split ``[start_ms, end_ms]`` into windows of at most ``window_ms``, newest first.

    Windows do not overlap (each ends 1 ms before the next one starts). A start before the
    look-back is refused with an explanation rather than silently cut.
    """
    if start_ms > end_ms:
        raise ValidationError(
            f"startTime {iso_ms(start_ms)} is after endTime {iso_ms(end_ms)}", field="startTime"
        )
    earliest = now_ms - lookback_ms
    if start_ms < earliest:
        raise ValidationError(
            f"startTime {iso_ms(start_ms)} is older than the API's {lookback_ms // DAY_MS}-day "
            f"look-back; the earliest possible is {iso_ms(earliest)}",
            field="startTime",
        )
    windows = []
    end = end_ms
    while end >= start_ms:
        start = max(start_ms, end - window_ms)
        windows.append((start, end))
        end = start - 1
    return windows


def windowed_rows(
    fetch: Callable[[dict[str, Any]], Mapping[str, Any]],
    query: Mapping[str, Any],
    since_ms: int,
    until_ms: int,
    *,
    now_ms: int,
    cursor_key: str = "cursor",
    max_rows: int | None = None,
    open_newest: bool = False,
) -> list[Any]:
    """Every row of a windowed, cursor-paged endpoint over ``[since_ms, until_ms]`` as the
    wire sent it: :func:`time_windows`, pages of 100 followed by :func:`follow_cursor` (at
    most ``max_rows`` a window). ``open_newest`` sends the newest window without its
    ``endTime``, so that rows stamped after this machine's idea of ``now`` still come."""
    out: list[Any] = []
    for i, (start, end) in enumerate(time_windows(since_ms, until_ms, now_ms=now_ms)):
        window = {**query, "startTime": str(start), "endTime": str(end), "limit": "100"}
        if open_newest and i == 0:
            del window["endTime"]
        for envelope in follow_cursor(fetch, window, max_rows=max_rows, cursor_key=cursor_key):
            out.extend(page_rows(envelope.get("data")))
    return out


def page_rows(data: Any) -> list[Any]:
    """The rows of an answer's ``data``: ``{"list": [...]}`` or a bare array. A ``list`` that
    is ``null``, ``[]`` or missing — and a ``null`` ``data`` — are all no rows (spec §10.2).

    >>> page_rows({"list": None}), page_rows({}), page_rows(None), page_rows([{"a": 1}])
    ([], [], [], [{'a': 1}])
    """
    rows = data.get("list") if isinstance(data, Mapping) else data
    return list(rows) if isinstance(rows, list) else []


def next_cursor(data: Any, cursor_key: str = "cursor") -> str:
    """The cursor of the next page (named ``cursor_key``), or ``""`` when there is none: a
    cursor that is ``null``, ``""`` or missing ends the list (spec §10.2).

    >>> next_cursor({"cursor": "42"}), next_cursor({"cursor": None}), next_cursor({})
    ('42', '', '')
    >>> next_cursor({"endId": "9"}, "endId")
    '9'
    """
    cursor = data.get(cursor_key) if isinstance(data, Mapping) else None
    return "" if cursor is None else str(cursor)


def follow_cursor(
    fetch: Callable[[dict[str, Any]], Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    max_rows: int | None = None,
    cursor_key: str = "cursor",
) -> Iterator[Mapping[str, Any]]:
    """Yield each page's envelope, passing the returned cursor back until the list ends.

    A page names the next one in ``cursor_key`` (``cursor`` on most endpoints; copy-trading
    pages say ``endId`` or ``nextCursor``); it goes back as the ``cursor`` parameter.
    Stops on an empty list, an empty cursor, a cursor seen before (a server that repeats
    itself must not loop us forever), or once ``max_rows`` rows were seen.
    """
    seen_cursors: set[str] = set()
    rows = 0
    cursor: str | None = None
    while True:
        page = dict(params)
        if cursor:
            page["cursor"] = cursor
        envelope = fetch(page)
        yield envelope
        data = envelope.get("data")
        items = page_rows(data)
        rows += len(items)
        cursor = next_cursor(data, cursor_key)
        if not items or not cursor or cursor in seen_cursors:
            return
        if max_rows is not None and rows >= max_rows:
            return
        seen_cursors.add(cursor)


def result_rows(data: Any) -> list[Any]:
    """The rows of a page numbered by its ``cursor`` (history-fund-rate): ``{"resultList":
    [...]}`` as the DOCS sample, JKorf/Bitget.Net, ccxt and typed-bitget show it, a bare array
    as NODE types it, or ``{"list": [...]}``; ``null`` and missing are no rows.

    >>> result_rows({"resultList": [1]}), result_rows([2]), result_rows({"resultList": None})
    ([1], [2], [])
    """
    if isinstance(data, Mapping) and "resultList" in data:
        rows = data["resultList"]
        return list(rows) if isinstance(rows, list) else []
    return page_rows(data)


def follow_page_numbers(
    fetch: Callable[[dict[str, Any]], Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    page_size: int,
    first: int = 1,
    done: Callable[[list[Any]], bool] | None = None,
    max_rows: int | None = None,
) -> Iterator[Mapping[str, Any]]:
    """Yield each page's envelope, asking for ``cursor`` = ``first``, ``first + 1`` … until a
    page is shorter than ``page_size``, ``done(rows)`` says enough, ``max_rows`` rows were
    seen, or a page repeats the one before it (a server that ignores the cursor must not loop
    us forever)."""
    rows_seen = 0
    number = first
    previous: list[Any] | None = None
    while True:
        envelope = fetch({**params, "cursor": str(number)})
        rows = result_rows(envelope.get("data"))
        if rows and rows == previous:
            return
        yield envelope
        rows_seen += len(rows)
        if len(rows) < page_size or (done is not None and done(rows)):
            return
        if max_rows is not None and rows_seen >= max_rows:
            return
        previous = rows
        number += 1
