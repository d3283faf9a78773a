"""The market process (no HTTP): determinism, candle consistency, book and price bounds."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from bitget_nb.exchange.clock import to_ms
from bitget_nb.exchange.instruments import Catalogue
from bitget_nb.exchange.market import INTERVALS, MarketProcess

from .wire import START_MS

CATALOGUE = Catalogue.bundled()
BTC = CATALOGUE.get("SPOT", "BTCUSDT")
ETH = CATALOGUE.get("SPOT", "ETHUSDT")
BTC_PERP = CATALOGUE.get("USDT-FUTURES", "BTCUSDT")
DAY = 86_400_000


@pytest.fixture(scope="module")
def market() -> MarketProcess:
    return MarketProcess(seed=7, catalogue=CATALOGUE)


def test_price_is_a_pure_function_of_seed_symbol_and_time() -> None:
    t = START_MS + 123_456
    first = MarketProcess(seed=7, catalogue=CATALOGUE)
    # Ask about other times and coins first: the answer must not depend on call order.
    second = MarketProcess(seed=7, catalogue=CATALOGUE)
    second.candles(ETH, "1H", now_ms=t + 30 * DAY, limit=200)
    second.price_ticks(BTC, t + 400 * DAY)
    assert first.price_ticks(BTC, t) == second.price_ticks(BTC, t)
    assert first.book(BTC, t) == second.book(BTC, t)
    assert first.trades(BTC, t, 50) == second.trades(BTC, t, 50)
    other_seed = MarketProcess(seed=8, catalogue=CATALOGUE)
    assert other_seed.price_ticks(BTC, t) != first.price_ticks(BTC, t)


def test_spot_and_futures_of_one_coin_share_the_path(market: MarketProcess) -> None:
    spot = market.price(BTC, START_MS)
    perp = market.price(BTC_PERP, START_MS)
    index = market.price(BTC_PERP, START_MS, "index")
    assert abs(perp / spot - 1) < 0.001
    assert abs(index - spot) <= BTC_PERP.tick


def _all_minutes(market: MarketProcess, start: int, now: int) -> list:
    """Every 1m candle from ``start`` to ``now``, paging backwards with ``end_ms``."""
    pages: list = []
    end = now
    while True:
        page = market.candles(BTC, "1m", now_ms=now, start_ms=start, end_ms=end, limit=1000)
        pages = page + pages
        if not page or page[0].ts <= start:
            return pages
        end = page[0].ts - 1


@pytest.mark.parametrize(
    "coarse", ["3m", "5m", "15m", "30m", "1H", "4H", "6H", "12H", "1D", "1Dutc"]
)
def test_coarse_candles_aggregate_their_one_minute_candles(
    market: MarketProcess, coarse: str
) -> None:
    now = START_MS + 17 * 60_000 + 23_456  # mid-minute: the newest candles are partial
    big = market.candles(BTC, coarse, now_ms=now, limit=2)
    minutes = _all_minutes(market, big[0].ts, now)
    assert minutes[0].ts == big[0].ts
    for candle in big:
        inside = [m for m in minutes if candle.ts <= m.ts < INTERVALS[coarse].next(candle.ts)]
        assert inside, coarse
        assert candle.open == inside[0].open
        assert candle.close == inside[-1].close
        assert candle.high == max(m.high for m in inside)
        assert candle.low == min(m.low for m in inside)
        assert candle.volume == sum(m.volume for m in inside)
        assert candle.turnover == sum(m.turnover for m in inside)


def test_candles_of_the_last_90_days_are_available_for_every_interval(
    market: MarketProcess,
) -> None:
    days = market.candles(BTC, "1D", now_ms=START_MS, limit=90)
    assert len(days) == 90
    assert START_MS - days[0].ts <= 90 * DAY
    old = market.candles(BTC, "1m", now_ms=START_MS, end_ms=START_MS - 89 * DAY, limit=5)
    assert len(old) == 5


def test_extremes_match_the_candles_over_the_same_span(market: MarketProcess) -> None:
    start = START_MS - 2 * 3_600_000
    hours = market.candles(BTC, "1H", now_ms=START_MS - 1, start_ms=start, limit=2)
    high, low = market.extremes(BTC, start, START_MS - 1)
    assert high == max(c.high for c in hours) and low == min(c.low for c in hours)


def test_price_band_keeps_btc_above_60000_and_eth_above_3000_by_construction() -> None:
    # The traded price is reference · exp(basis + band · tanh(Y / band)) ≥ reference · e^−band.
    for coin, floor in (("BTC", 60_000), ("ETH", 3_000)):
        spec = CATALOGUE.market.underlyings[coin]
        assert spec.reference_price * math.exp(-spec.band) > floor * 1.02


@pytest.mark.parametrize("seed", [7, 12345])
def test_buy_limits_at_60000_and_3000_stay_below_every_traded_price(seed: int) -> None:
    # The seed examples rest a BTCUSDT buy at 60000 and an ETHUSDT buy at 3000: every
    # 1-second price over 90 days before several sample times must stay above them.
    process = MarketProcess(seed=seed, catalogue=CATALOGUE)
    for when in ("2024-01-15T00:00:00Z", "2025-06-01T12:00:00Z", "2026-03-01T08:00:00Z"):
        now = to_ms(when)
        for inst, floor in ((BTC, 60_000), (ETH, 3_000)):
            _high, low = process.extremes(inst, now - 90 * DAY, now)
            assert low * inst.tick > floor, (seed, when, inst.key)


def test_the_price_moves_like_a_market(market: MarketProcess) -> None:
    hours = market.candles(BTC, "1H", now_ms=START_MS, limit=1000)
    closes = np.array([c.close for c in hours], dtype=float)
    returns = np.diff(np.log(closes))
    hourly_vol = returns.std()
    assert 0.001 < hourly_vol < 0.02  # roughly 10 % … 180 % a year
    assert len(set(closes)) > 900


def test_book_is_sorted_tick_aligned_and_brackets_the_last_price(market: MarketProcess) -> None:
    for offset in range(0, 600_000, 37_000):
        t = START_MS + offset
        book = market.book(BTC_PERP, t)
        last = market.price_ticks(BTC_PERP, t)
        asks = [p for p, _ in book.asks]
        bids = [p for p, _ in book.bids]
        assert asks == sorted(asks) and bids == sorted(bids, reverse=True)
        assert len(set(asks)) == len(asks) == 200 and len(set(bids)) == len(bids) == 200
        assert bids[0] <= last <= asks[0]
        assert asks[0] - bids[0] in (1, 2)
        assert all(size >= 1 for _, size in book.asks + book.bids)


def test_book_is_the_same_within_a_second_and_changes_between_seconds(
    market: MarketProcess,
) -> None:
    assert market.book(ETH, START_MS).asks == market.book(ETH, START_MS + 999).asks
    assert market.book(ETH, START_MS, 5).bids == market.book(ETH, START_MS, 200).bids[:5]
    assert market.book(ETH, START_MS).asks != market.book(ETH, START_MS + 1_000).asks


def test_public_trades_are_priced_on_the_path_and_newest_first(market: MarketProcess) -> None:
    trades = market.trades(BTC, START_MS, 100)
    assert len(trades) == 100
    assert [t.ts for t in trades] == sorted((t.ts for t in trades), reverse=True)
    assert trades[0].ts <= START_MS
    for trade in trades:
        assert trade.price == market.price_ticks(BTC, trade.ts)
        assert trade.size >= 1


def test_ticker_figures_agree_with_the_candles(market: MarketProcess) -> None:
    stats = market.ticker_stats(BTC, START_MS)
    high, low = market.extremes(BTC, START_MS - DAY, START_MS)
    assert (stats.high_24h, stats.low_24h) == (high, low)
    assert stats.last == market.price_ticks(BTC, START_MS)
    assert stats.open_24h == market.price_ticks(BTC, START_MS - DAY)
    assert low <= stats.last <= high


@pytest.mark.parametrize(
    ("interval", "expected_start"),
    [
        ("1H", "2025-06-01T12:00:00+00:00"),
        ("4H", "2025-06-01T12:00:00+00:00"),
        ("1Dutc", "2025-06-01T00:00:00+00:00"),
        ("1D", "2025-05-31T16:00:00+00:00"),  # midnight UTC+8
        ("1Wutc", "2025-05-26T00:00:00+00:00"),  # a Monday
        ("1Mutc", "2025-06-01T00:00:00+00:00"),
        ("1M", "2025-05-31T16:00:00+00:00"),
    ],
)
def test_candles_are_aligned_to_their_interval(interval: str, expected_start: str) -> None:
    start = INTERVALS[interval].floor(START_MS + 30 * 60_000)
    assert datetime.fromtimestamp(start / 1000, tz=UTC).isoformat() == expected_start


def test_monthly_candles_follow_the_calendar(market: MarketProcess) -> None:
    months = market.candles(BTC, "1Mutc", now_ms=START_MS, limit=3)
    starts = [datetime.fromtimestamp(c.ts / 1000, tz=UTC).date().isoformat() for c in months]
    assert starts == ["2025-04-01", "2025-05-01", "2025-06-01"]


def test_nothing_exists_before_the_market_epoch(market: MarketProcess) -> None:
    epoch = market.epoch_ms
    assert market.candles(BTC, "1H", now_ms=START_MS, end_ms=epoch - 1) == []
    with pytest.raises(ValueError, match="starts at"):
        market.price_ticks(BTC, epoch - 1)
