"""Statistics from hand-made equity series: a 365-day year, UTC, flows left out."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from bitget_nb.report import _stats


def equity(values: list[float], flows: list[float] | None = None) -> pd.DataFrame:
    index = pd.date_range("2026-01-01", periods=len(values), freq="1D", tz="UTC")
    return pd.DataFrame({"equity": values, "flow": flows or [0.0] * len(values)}, index=index)


def trips(nets: list[float]) -> pd.DataFrame:
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    return pd.DataFrame(
        {
            "status": ["closed"] * len(nets),
            "netPnlUsdt": nets,
            "openTime": [t0] * len(nets),
            "closeTime": [t0 + pd.Timedelta(days=1)] * len(nets),
            "inventory": [False] * len(nets),
        }
    )


def run(frame: pd.DataFrame, nets: list[float] | None = None, **kw: float) -> pd.Series:
    return _stats.stats(
        frame,
        trips(nets or []),
        start=frame.index[0],
        end=frame.index[-1],
        volume=kw.get("volume", 0.0),
        fees=kw.get("fees", 0.0),
        funding=kw.get("funding", 0.0),
        gross=kw.get("gross", 0.0),
    )


def test_a_flow_is_not_a_return():
    frame = equity([100.0, 110.0, 220.0], flows=[100.0, 0.0, 110.0])
    r = _stats.event_returns(frame)
    assert r.tolist() == pytest.approx([0.0, 0.1, 0.0])


def test_sharpe_and_volatility_use_a_365_day_year():
    values = [100.0, 101.0, 100.5, 102.0, 101.0, 103.0]
    frame = equity(values)
    stats = run(frame)
    # the first day's return is measured from the start (0 here: it holds the start only)
    daily = pd.Series(values).pct_change().fillna(0.0)
    assert stats["volatility"] == pytest.approx(daily.std(ddof=1) * math.sqrt(365))
    assert stats["sharpe"] == pytest.approx(daily.mean() / daily.std(ddof=1) * math.sqrt(365))
    downside = math.sqrt((daily.clip(upper=0) ** 2).mean())
    assert stats["sortino"] == pytest.approx(daily.mean() / downside * math.sqrt(365))
    assert stats["totalReturn"] == pytest.approx(0.03)
    assert stats["annualReturn"] == pytest.approx(1.03 ** (365 / 5) - 1)


def test_daily_returns_are_indexed_by_utc_days():
    frame = equity([100.0, 110.0, 99.0])
    r = _stats.daily_returns(frame)
    assert str(r.index.tz) == "UTC"
    assert r.tolist() == pytest.approx([0.0, 0.1, -0.1])


def test_max_drawdown_depth_and_duration_until_recovery():
    frame = equity([100.0, 120.0, 90.0, 100.0, 121.0, 110.0])
    stats = run(frame)
    assert stats["maxDrawdown"] == pytest.approx(90 / 120 - 1)
    assert stats["maxDrawdownDays"] == pytest.approx(3.0)  # day 1 peak → day 4 new high


def test_win_rate_profit_factor_and_averages_over_closed_trips():
    stats = run(equity([100.0, 100.0]), nets=[10.0, -5.0, 20.0, -5.0])
    assert stats["winRate"] == 0.5
    assert stats["profitFactor"] == pytest.approx(3.0)
    assert stats["averageWin"] == 15.0 and stats["averageLoss"] == -5.0


def test_turnover_and_the_shares_of_fees_and_funding():
    stats = run(equity([100.0, 100.0]), volume=500.0, fees=2.0, funding=-1.0, gross=10.0)
    assert stats["turnover"] == pytest.approx(5.0)
    assert stats["feesShareOfPnl"] == pytest.approx(0.2)
    assert stats["fundingShareOfPnl"] == pytest.approx(-0.1)


def test_exposure_is_the_share_of_time_with_a_round_trip_open():
    frame = equity([100.0, 100.0, 100.0])  # two days; one trip of one day
    assert run(frame, nets=[1.0])["exposure"] == pytest.approx(0.5)


def test_stats_is_a_float64_series():
    assert run(equity([100.0, 101.0])).dtype == "Float64"
