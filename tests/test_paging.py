"""Time windows inside the look-back, and cursors followed to the end."""

from __future__ import annotations

import itertools

import pytest

from bitget_nb.errors import ValidationError
from bitget_nb.paging import DAY_MS, follow_cursor, next_cursor, page_rows, time_windows


def test_windows_cover_the_range_newest_first_without_overlap():
    windows = time_windows(0, 70 * DAY_MS, now_ms=80 * DAY_MS)
    assert windows[0][1] == 70 * DAY_MS and windows[-1][0] == 0
    for (start, end), (_, next_end) in itertools.pairwise(windows):
        assert end - start <= 30 * DAY_MS and next_end == start - 1
    assert sum(end - start + 1 for start, end in windows) == 70 * DAY_MS + 1


def test_a_short_range_is_one_window():
    assert time_windows(5, 10, now_ms=20) == [(5, 10)]


def test_start_before_the_lookback_is_explained():
    with pytest.raises(ValidationError, match="90-day look-back") as info:
        time_windows(0, 10 * DAY_MS, now_ms=100 * DAY_MS)
    assert info.value.field == "startTime"


def test_start_after_end_is_refused():
    with pytest.raises(ValidationError, match="is after endTime"):
        time_windows(10, 5, now_ms=20)


def pages_of(rows, size, cursor_key="cursor", last=""):
    """A server stand-in: pages of ``size`` rows; ``cursor_key`` names the last id returned
    (``last`` on the final page)."""

    def fetch(params):
        start = int(params["cursor"]) + 1 if params.get("cursor") else 0
        chunk = rows[start : start + size]
        cursor = str(start + len(chunk) - 1) if start + len(chunk) < len(rows) else last
        return {"code": "00000", "data": {"list": chunk, cursor_key: cursor}}

    return fetch


def test_cursor_is_followed_until_it_is_empty():
    rows = [{"id": i} for i in range(250)]
    pages = list(follow_cursor(pages_of(rows, 100), {"limit": 100}))
    assert [len(p["data"]["list"]) for p in pages] == [100, 100, 50]


@pytest.mark.parametrize("cursor_key", ["endId", "nextCursor"])
def test_a_page_naming_its_cursor_otherwise_is_followed_by_that_name(cursor_key):
    rows = [{"id": i} for i in range(250)]
    fetch = pages_of(rows, 100, cursor_key=cursor_key, last=None)
    pages = list(follow_cursor(fetch, {}, cursor_key=cursor_key))
    assert [len(p["data"]["list"]) for p in pages] == [100, 100, 50]
    # read by the default name, the same pages end after the first one
    assert len(list(follow_cursor(fetch, {}))) == 1


@pytest.mark.parametrize(
    "end", [{"cursor": None}, {"cursor": ""}, {}], ids=["null", "empty", "absent"]
)
def test_a_null_empty_or_missing_cursor_ends_the_list(end):
    # live Bitget ends a list with "cursor": null (spec §10.2); "" and no key end it too
    answers = iter(
        [
            {"data": {"list": [{"id": 0}], "cursor": "0"}},
            {"data": {"list": [{"id": 1}], **end}},
            {"data": {"list": [{"id": 2}], "cursor": None}},
        ]
    )
    pages = list(follow_cursor(lambda params: next(answers), {}))
    assert [page_rows(p["data"]) for p in pages] == [[{"id": 0}], [{"id": 1}]]


@pytest.mark.parametrize(
    "data",
    [{"list": None, "cursor": None}, {"list": [], "cursor": ""}, {"cursor": None}, {}, None],
    ids=["null", "empty", "absent", "no-keys", "null-data"],
)
def test_a_null_empty_or_missing_list_has_no_rows_and_ends_the_list(data):
    assert page_rows(data) == [] and next_cursor(data) == ""
    pages = list(follow_cursor(lambda params: {"data": data}, {}))
    assert len(pages) == 1


def test_max_rows_stops_early():
    rows = [{"id": i} for i in range(250)]
    pages = list(follow_cursor(pages_of(rows, 100), {}, max_rows=150))
    assert len(pages) == 2


def test_a_repeating_cursor_cannot_loop_forever():
    calls = []

    def stuck(params):
        calls.append(params)
        return {"data": {"list": [{"id": 1}], "cursor": "same"}}

    assert len(list(follow_cursor(stuck, {}))) == 2 and len(calls) == 2
