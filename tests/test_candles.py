"""Whole ranges of candles: the client against the real local exchange over HTTP.

Requests are counted where they arrive — the exchange's request log (every request line goes
to the ``bitget_nb.exchange`` logger at DEBUG) — so paging is measured, not assumed.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import bitget_nb as bg
from bitget_nb import candles
from bitget_nb.candles import CandleGapWarning
from bitget_nb.errors import ValidationError
from bitget_nb.exchange.instruments import Catalogue, Instrument
from bitget_nb.exchange.market import MarketProcess
from bitget_nb.exchange.marketdata import Candle
from bitget_nb.intervals import INTERVALS

START = "2026-01-05T00:00:00Z"
NOW = pd.Timestamp(START)
MIN = 60_000
DAY = 86_400_000
NOW_MS = int(NOW.timestamp() * 1000)
BTC = {"category": "SPOT", "symbol": "BTCUSDT"}


class RequestLog(logging.Handler):
    """The request lines the exchange logs, by path."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if '"GET ' in message or '"POST ' in message:
            self.lines.append(message)

    def count(self, path: str) -> int:
        pattern = re.compile(rf'"(GET|POST) {re.escape(path)}[? ]')
        return sum(1 for line in self.lines if pattern.search(line))

    def statuses(self) -> list[str]:
        return [line.rsplit(" ", 1)[-1] for line in self.lines]


@pytest.fixture
def requests_seen() -> Iterator[RequestLog]:
    log = RequestLog()
    logger = logging.getLogger("bitget_nb.exchange")
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(log)
    try:
        yield log
    finally:
        logger.removeHandler(log)
        logger.setLevel(previous)


def test_a_day_of_one_minute_bars_comes_back_whole_sorted_and_typed(client, requests_seen):
    start = NOW - pd.Timedelta(days=2)
    df = client.get_candles(
        **BTC, interval="1m", startTime=start, endTime=start + pd.Timedelta("1439min")
    )
    assert len(df) == 1440 and df.index.is_unique and df.index.is_monotonic_increasing
    assert df.index[0] == start and df.index[-1] == start + pd.Timedelta("1439min")
    assert str(df.index.dtype) == "datetime64[ms, UTC]"
    assert all(str(t) == "float64" for t in df.dtypes)
    # two pages of at most 1,000 (the second one partial), after one look at the time
    assert requests_seen.count("/api/v3/market/candles") == 2
    assert requests_seen.count("/api/v2/public/time") == 1
    assert df.attrs["gaps"] == [] and df.attrs["interval"] == "1m"
    assert df.attrs["server_time"] == NOW_MS and df.attrs["envelope"]["pages"] == 2


def test_whole_range_bars_are_the_exchanges_bars_page_by_page(client):
    start = NOW - pd.Timedelta(hours=3)
    whole = client.get_candles(**BTC, interval="1m", startTime=start, limit=50)
    one_page = client.get_candles(**BTC, interval="1m", limit=181)
    assert whole.attrs["envelope"]["pages"] == 4  # 181 bars, 50 a page
    pd.testing.assert_frame_equal(whole, one_page, check_like=False, check_freq=False)


def test_a_range_reaching_now_ends_with_the_open_bar_and_stops_at_now(client, exchange):
    exchange.advance(seconds=30)
    df = client.get_candles(
        **BTC, interval="5m", startTime=NOW - pd.Timedelta("1h"), endTime=NOW + pd.Timedelta("1D")
    )
    assert df.index[-1] == NOW  # the 5m bar opened at NOW is 30 s old and still open
    assert len(df) == 13
    assert df.attrs["range"][1] == (NOW + pd.Timedelta("30s")).isoformat()


def test_range_boundaries_take_the_bars_that_open_inside_them(client):
    start = NOW - pd.Timedelta("1h") + pd.Timedelta("30s")  # mid-bar: that bar opened before
    end = NOW - pd.Timedelta("30min")  # a bar opens exactly here: it is in
    df = client.get_candles(**BTC, interval="1m", startTime=start, endTime=end)
    assert df.index[0] == NOW - pd.Timedelta("59min") and df.index[-1] == end
    assert len(df) == 30


def test_a_range_of_no_bar_is_an_empty_typed_frame(client):
    start = NOW - pd.Timedelta("1h") + pd.Timedelta("10s")
    df = client.get_candles(
        **BTC, interval="1m", startTime=start, endTime=start + pd.Timedelta("1s")
    )
    assert df.empty and list(df.columns) == ["open", "high", "low", "close", "volume", "turnover"]
    assert str(df.index.dtype) == "datetime64[ms, UTC]" and df.attrs["gaps"] == []


def test_start_after_end_is_refused_before_any_candle_request(client, requests_seen):
    with pytest.raises(ValidationError, match="is after endTime"):
        client.get_candles(**BTC, interval="1m", startTime=NOW, endTime=NOW - pd.Timedelta("1h"))
    assert requests_seen.count("/api/v3/market/candles") == 0


def test_older_one_minute_bars_come_from_history_candles_100_a_page(client, requests_seen):
    start = NOW - pd.Timedelta(days=30) - pd.Timedelta(minutes=250)
    df = client.get_candles(
        **BTC,
        interval="1m",
        startTime=start,
        endTime=NOW - pd.Timedelta(days=30) + pd.Timedelta("9min"),
    )
    assert len(df) == 260 and df.index.is_unique and df.index[0] == start
    # the 250 bars older than candles' 30 days: three pages of history-candles
    assert requests_seen.count("/api/v3/market/history-candles") == 3
    assert requests_seen.count("/api/v3/market/candles") == 1
    assert df.attrs["envelope"]["endpoints"] == ["get_candles", "get_history_candles"]
    assert df.attrs["gaps"] == []


def test_both_methods_are_the_same_whole_range_call(client):
    start = NOW - pd.Timedelta(days=31)
    end = start + pd.Timedelta(days=2)
    a = client.get_candles(**BTC, interval="15m", startTime=start, endTime=end)
    b = client.get_history_candles(**BTC, interval="15m", startTime=start, endTime=end)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 2 * 96 + 1


def test_a_range_beyond_what_the_api_serves_says_so_and_sends_no_candle_request(
    client, requests_seen
):
    with pytest.raises(ValidationError) as caught:
        client.get_candles(**BTC, interval="1m", startTime=NOW - pd.Timedelta(days=95))
    message = str(caught.value)
    assert "older than the API serves 1m candles" in message
    assert (NOW - pd.Timedelta(days=90)).isoformat() in message  # the earliest start
    assert requests_seen.count("/api/v3/market/candles") == 0
    assert requests_seen.count("/api/v3/market/history-candles") == 0


def test_the_exchange_serves_nothing_beyond_each_endpoints_reach(client):
    old = NOW - pd.Timedelta(days=40)
    window = {"startTime": old, "endTime": old + pd.Timedelta("10min")}
    assert client.request("get_candles", **BTC, interval="1m", **window).empty
    assert len(client.request("get_history_candles", **BTC, interval="1m", **window)) == 11
    ancient = {
        "startTime": NOW - pd.Timedelta(days=91),
        "endTime": NOW - pd.Timedelta(days=90, hours=23),
    }
    assert client.request("get_history_candles", **BTC, interval="1m", **ancient).empty
    # daily candles: no reach is documented, the synthetic market goes back to 2018
    daily = client.get_candles(**BTC, interval="1D", startTime="2024-01-01")
    assert daily.index[0] == pd.Timestamp("2024-01-02T00:00:00+08:00")  # 1D opens at 00:00 UTC+8
    assert daily.index.to_series().diff().dropna().eq(pd.Timedelta("1D")).all()


def test_history_candles_accepts_up_to_1000_as_some_sources_say_but_the_client_asks_100(
    client, requests_seen
):
    window = {"startTime": NOW - pd.Timedelta(days=40), "endTime": NOW - pd.Timedelta(days=39)}
    assert (
        len(client.request("get_history_candles", **BTC, interval="1m", **window, limit=1000))
        == 1000
    )
    client.get_history_candles(**BTC, interval="1m", **window)
    asked = [line for line in requests_seen.lines if "history-candles" in line]
    assert "limit=1000" in asked[0] and all("limit=100&" in line for line in asked[1:])


@pytest.mark.parametrize("kind", ["mark", "index", "premium"])
def test_other_price_series_come_back_whole_without_volume(client, kind):
    df = client.get_candles(
        category="USDT-FUTURES", symbol="BTCUSDT", interval="1H",
        startTime=NOW - pd.Timedelta(days=3), type=kind,
    )  # fmt: skip
    assert len(df) == 73 and (df["volume"] == 0).all() and (df["turnover"] == 0).all()
    assert (df["high"] >= df[["open", "close"]].max(axis=1)).all()
    assert (df["low"] <= df[["open", "close"]].min(axis=1)).all()
    if kind == "premium":
        # the perpetual over the index: a few basis points, the same sign throughout
        assert df["close"].abs().max() < 0.01 and (df["close"] > 0).all()


def test_premium_is_last_over_index_minus_one(client):
    common = {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "interval": "1H",
              "startTime": NOW - pd.Timedelta(hours=5)}  # fmt: skip
    last = client.get_candles(**common)
    index = client.get_candles(**common, type="index")
    premium = client.get_candles(**common, type="premium")
    expected = (last["close"] / index["close"] - 1).round(6)
    np.testing.assert_allclose(premium["close"], expected, atol=1e-6)


# -- gaps and duplicates: markets the exchange is made to serve ------------------------------


class Reshaped(MarketProcess):
    """The synthetic market with the candles opening in ``withheld`` ([a, b]) left out and
    those opening at ``twice`` sent twice. ``paging`` says how the server picks a page:
    ``slots`` — the newest ``limit`` bar times of the window, whether it has them or not;
    ``present`` — the newest ``limit`` bars it has; ``oldest`` — the oldest ``limit`` it has."""

    def __init__(
        self,
        withheld: tuple[int, int] = (0, -1),
        twice: set[int] | None = None,
        paging: str = "slots",
    ) -> None:
        super().__init__(seed=7, catalogue=Catalogue.bundled())
        self.withheld = withheld
        self.twice = twice or set()
        self.paging = paging

    def candles(self, inst: Instrument, interval, *, limit: int, **kw) -> list[Candle]:  # type: ignore[override]
        asked = limit if self.paging == "slots" else 100_000
        rows = [
            c for c in super().candles(inst, interval, limit=asked, **kw)
            if not self.withheld[0] <= c.ts <= self.withheld[1]
        ]  # fmt: skip
        if self.paging == "present":
            rows = rows[-limit:]
        elif self.paging == "oldest":
            rows = rows[:limit]
        out: list[Candle] = []
        for c in rows:
            out.append(c)
            if c.ts in self.twice:
                out.append(c)
        return out


def _exchange(market: MarketProcess) -> bg.LocalExchange:
    return bg.LocalExchange(start_time=START, market=market)


def test_a_gap_the_exchange_has_is_listed_and_warned_about_once():
    a, b = NOW_MS - 100 * MIN, NOW_MS - 91 * MIN
    c, d = NOW_MS - 3_000 * MIN, NOW_MS - 2_999 * MIN
    market = Reshaped(withheld=(a, b))
    with _exchange(market) as ex, bg.BitgetClient(**ex.credentials, base_url=ex.base_url) as client:
        with pytest.warns(CandleGapWarning, match="10 bars missing in 1 gap") as caught:
            df = client.get_candles(**BTC, interval="1m", startTime=NOW - pd.Timedelta("3h"))
        assert len(caught) == 1
        assert caught[0].filename == __file__  # it points at the line that asked
        assert df.attrs["gaps"] == [
            {"start": pd.Timestamp(a, unit="ms", tz="UTC").isoformat(),
             "end": pd.Timestamp(b, unit="ms", tz="UTC").isoformat(), "bars": 10}
        ]  # fmt: skip
        assert len(df) == 181 - 10
        gaps = candles.gaps(df)
        assert list(gaps.columns) == ["start", "end", "bars"] and gaps["bars"].tolist() == [10]
        assert str(gaps["start"].dtype) == "datetime64[ms, UTC]"
        # two gaps, one warning for both
        market.withheld = (c, d)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            df = client.get_candles(**BTC, interval="1m", startTime=NOW - pd.Timedelta("3D"))
        assert [type(w.message) for w in seen] == [CandleGapWarning]
        assert len(df.attrs["gaps"]) == 1 and df.attrs["gaps"][0]["bars"] == 2


@pytest.mark.parametrize("paging", ["slots", "present", "oldest"])
def test_a_gap_that_spans_whole_pages_is_crossed_whichever_way_the_server_pages(paging):
    a, b = NOW_MS - 2_500 * MIN, NOW_MS - 1_200 * MIN  # more than a page of nothing
    market = Reshaped(withheld=(a, b), paging=paging)
    with (
        _exchange(market) as ex,
        bg.BitgetClient(**ex.credentials, base_url=ex.base_url) as client,
        pytest.warns(CandleGapWarning, match="1301 bars missing in 1 gap"),
    ):
        df = client.get_candles(**BTC, interval="1m", startTime=NOW - pd.Timedelta("3000min"))
    assert df.index[0] == NOW - pd.Timedelta("3000min") and df.index[-1] == NOW
    assert len(df) == 3001 - 1301 and df.index.is_monotonic_increasing
    assert df.attrs["envelope"]["pages"] <= 6


def test_bars_sent_twice_across_pages_come_back_once():
    start = NOW_MS - 1_999 * MIN
    twice = {start + 999 * MIN, start + 1_000 * MIN, start + 5 * MIN}
    with (
        _exchange(Reshaped(twice=twice)) as ex,
        bg.BitgetClient(**ex.credentials, base_url=ex.base_url) as client,
    ):
        df = client.get_candles(**BTC, interval="1m", startTime=start, endTime=NOW_MS)
    assert len(df) == 2000 and df.index.is_unique and df.attrs["gaps"] == []


def test_a_long_download_stays_inside_the_rate_limit(client, requests_seen):
    df = client.get_candles(**BTC, interval="1m", startTime=NOW - pd.Timedelta(days=25))
    assert len(df) == 25 * 1440 + 1
    assert requests_seen.count("/api/v3/market/candles") == 37
    assert "429" not in requests_seen.statuses()


# -- the plan: one place decides which endpoint serves which part ---------------------------


@pytest.mark.parametrize(
    ("name", "days", "legs"),
    [
        ("1m", 29, ["get_candles"]),
        ("1m", 60, ["get_candles", "get_history_candles"]),
        ("1H", 85, ["get_candles", "get_history_candles"]),
        ("4H", 200, ["get_candles"]),
        ("1D", 2000, ["get_candles"]),
    ],
)
def test_the_plan_picks_the_endpoint_by_how_far_back_the_range_reaches(name, days, legs):
    plan = candles.plan(name, NOW_MS - days * DAY, NOW_MS, now_ms=NOW_MS)
    assert [leg.endpoint for leg in plan] == legs
    iv = INTERVALS[name]
    # the legs tile the range: no bar twice, none left out
    covered = [t for leg in plan for t in iv.starts(leg.start, leg.end)]
    assert sorted(covered) == iv.starts(NOW_MS - days * DAY, NOW_MS)


def test_missing_lists_runs_of_absent_bars():
    ts = np.array([0, 1, 2, 5, 6, 9]) * MIN
    runs = candles.missing(ts, INTERVALS["1m"])
    assert [r["bars"] for r in runs] == [2, 2]
    assert runs[0]["start"] == pd.Timestamp(3 * MIN, unit="ms", tz="UTC").isoformat()


def test_monthly_gaps_follow_the_calendar():
    iv = INTERVALS["1Mutc"]
    months = [int(pd.Timestamp(f"2025-{m:02d}-01", tz="UTC").timestamp() * 1000) for m in (1, 2, 5)]
    runs = candles.missing(np.array(months), iv)
    assert [(r["start"][:7], r["end"][:7], r["bars"]) for r in runs] == [("2025-03", "2025-04", 2)]


def test_candles_with_their_gaps_still_save_to_parquet(client, tmp_path):
    df = client.get_candles(**BTC, interval="1H", startTime=NOW - pd.Timedelta("1D"))
    df.to_parquet(tmp_path / "c.parquet")
    back = pd.read_parquet(tmp_path / "c.parquet")
    pd.testing.assert_frame_equal(back, df)
    assert back.attrs["gaps"] == [] and back.attrs["interval"] == "1H"
