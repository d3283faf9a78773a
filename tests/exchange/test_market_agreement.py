"""The exchange's public market data agree with each other over HTTP: candles and
history-candles, tickers and public fills show the same prices at the same instants, at
any point of the clock, and history reaches back as far as each endpoint's reach."""

from __future__ import annotations

import pandas as pd
import pytest

import bitget_nb as bg
from bitget_nb.intervals import DAY_MS, INTERVALS, reach_ms

START = "2026-01-05T00:00:00Z"
NOW = pd.Timestamp(START)
BTC = {"category": "SPOT", "symbol": "BTCUSDT"}


@pytest.fixture(params=[0, 37, 3_601], ids=["at-start", "mid-minute", "an-hour-on"])
def moved(request, exchange, client):
    """The exchange and client with the clock moved on by ``param`` seconds."""
    exchange.advance(seconds=request.param)
    return client, NOW + pd.Timedelta(seconds=request.param)


@pytest.mark.parametrize("interval", ["1m", "5m", "1H", "4H"])
def test_candles_and_history_candles_serve_the_same_bars(client, interval):
    start = NOW - pd.Timedelta(days=2)
    window = {"interval": interval, "startTime": start, "endTime": start + pd.Timedelta("1D")}
    a = client.request("get_candles", **BTC, **window, limit=100)
    b = client.request("get_history_candles", **BTC, **window, limit=100)
    ms = int(start.timestamp() * 1000)
    assert len(a) == min(100, len(INTERVALS[interval].starts(ms, ms + DAY_MS)))
    pd.testing.assert_frame_equal(a, b)


def test_the_ticker_is_the_close_of_the_bar_forming_now(moved):
    client, now = moved
    ticker = client.get_tickers(**BTC).iloc[0]
    bar = client.get_candles(**BTC, interval="1m", limit=1)
    assert bar.index[-1] == now.floor("1min")
    assert ticker["lastPrice"] == bar["close"].iloc[-1]
    # the 24 h high and low lie inside those of the 1m bars covering the 24 h
    day = client.get_candles(**BTC, interval="1m", startTime=now - pd.Timedelta("1D"))
    assert day["low"].min() <= ticker["lowPrice24h"] <= ticker["highPrice24h"]
    assert ticker["highPrice24h"] <= day["high"].max()
    assert ticker["highPrice24h"] >= day["high"].iloc[1:-1].max()


def test_public_fills_trade_inside_the_bars_of_their_minute(moved):
    client, now = moved
    fills = client.get_fills(**BTC, limit=100)
    assert (fills["ts"] <= now).all()
    bars = client.get_candles(**BTC, interval="1m", startTime=fills["ts"].min().floor("1min"))
    minute = fills["ts"].dt.floor("1min")
    low, high = bars["low"].reindex(minute).to_numpy(), bars["high"].reindex(minute).to_numpy()
    assert ((fills["price"].to_numpy() >= low) & (fills["price"].to_numpy() <= high)).all()
    # and the newest public trade is at the price of its second: the ticker's when it is now
    newest = fills.iloc[0]
    if newest["ts"].floor("1s") == now:
        assert newest["price"] == client.get_tickers(**BTC).iloc[0]["lastPrice"]


@pytest.mark.parametrize("interval", ["1m", "15m", "1H", "4H", "6H"])
def test_candles_reach_back_exactly_as_far_as_the_api_serves(client, interval):
    reach = reach_ms(interval, "candles")
    assert reach is not None
    iv = INTERVALS[interval]
    now_ms = int(NOW.timestamp() * 1000)
    oldest = iv.ceil(now_ms - reach)
    window = {"interval": interval, "startTime": oldest - 3 * (iv.ms or DAY_MS), "limit": 5}
    first = client.request("get_candles", **BTC, **window, endTime=oldest + 2 * iv.ms)
    assert first.index[0] == pd.Timestamp(oldest, unit="ms", tz="UTC")
    history = reach_ms(interval, "history")
    assert history is not None
    h_oldest = iv.ceil(now_ms - history)
    older = client.request(
        "get_history_candles",
        **BTC,
        interval=interval,
        startTime=h_oldest - 5 * iv.ms,
        endTime=h_oldest + 2 * iv.ms,
    )
    assert older.index[0] == pd.Timestamp(h_oldest, unit="ms", tz="UTC")


def test_two_exchanges_on_the_same_seed_serve_the_same_month_of_bars():
    bars = []
    for _ in range(2):
        with (
            bg.LocalExchange(seed=7, start_time=START) as ex,
            bg.BitgetClient(**ex.credentials, base_url=ex.base_url) as client,
        ):
            bars.append(
                client.get_candles(**BTC, interval="1H", startTime=NOW - pd.Timedelta("30D"))
            )
    pd.testing.assert_frame_equal(bars[0], bars[1])
    assert len(bars[0]) == 30 * 24 + 1
