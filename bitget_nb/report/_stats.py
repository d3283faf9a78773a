"""Performance statistics from an equity frame and round trips (floats: analysis figures).

Definitions (docs/report.md): a **365-day year** (crypto trades every day) on UTC indexes;
returns are time-weighted — a flow (funds in or out) changes equity but is no return:
``r_i = (E_i − flow_i) / E_{i−1} − 1``; daily returns compound those within each UTC day.

* total return ``Π(1 + r) − 1``; annualised ``(1 + total)^(365 / days) − 1`` over the
  report's span in days;
* volatility ``std(daily r, ddof=1) × √365``; Sharpe ``mean(daily r − rf/365) / std × √365``
  (rf = 0 unless given); Sortino the same over the downside deviation
  ``√mean(min(daily r − rf/365, 0)²)``;
* drawdown ``wealth / running max − 1`` on every event; max drawdown its minimum, its
  duration the longest stretch below a previous peak (to the recovery, or to the end);
* win rate, profit factor ``Σ wins / |Σ losses|``, average win / loss: over closed round
  trips by net PnL in USDT; exposure: the share of the span with a position or bought spot
  lot open; turnover: traded notional / average equity; fees and funding as a share of the
  gross realised PnL (``|gross|``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["DAYS_PER_YEAR", "daily_returns", "drawdown", "event_returns", "stats"]

DAYS_PER_YEAR = 365
_DAY = pd.Timedelta(days=1)


def event_returns(equity: pd.DataFrame) -> pd.Series:
    """Time-weighted return of every event (``equity``: columns ``equity`` and ``flow``);
    0 where the previous equity is 0 (before the first funds arrived)."""
    values = equity["equity"].astype("float64")
    flows = equity["flow"].astype("float64")
    before = values.shift(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (values - flows) / before - 1.0
    r[(before.isna()) | (before == 0)] = 0.0
    return r.rename("return")


def wealth(equity: pd.DataFrame) -> pd.Series:
    """Growth of 1 unit invested at the start, flows left out (the wealth index)."""
    return (1.0 + event_returns(equity)).cumprod().rename("wealth")


def drawdown(equity: pd.DataFrame) -> pd.Series:
    """``wealth / running max − 1`` at every event (0 at a new high)."""
    w = wealth(equity)
    return (w / w.cummax() - 1.0).rename("drawdown")


def daily_returns(equity: pd.DataFrame) -> pd.Series:
    """Simple returns per UTC day (index: the day, 00:00 UTC), compounding the day's events:
    what quantstats and empyrical take."""
    w = wealth(equity)
    if w.empty:
        return pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype="float64", name="return")
    by_day = w.resample("1D").last().ffill()
    previous = by_day.shift(1)
    previous.iloc[0] = 1.0
    return (by_day / previous - 1.0).rename("return")


def _duration_days(dd: pd.Series) -> float:
    """The longest time spent below a previous peak, in days."""
    if dd.empty:
        return math.nan
    longest = pd.Timedelta(0)
    start: pd.Timestamp | None = None
    previous = dd.index[0]
    for t, value in dd.items():
        assert isinstance(t, pd.Timestamp)
        if value < 0 and start is None:
            start = previous
        elif value >= 0 and start is not None:
            longest = max(longest, t - start)
            start = None
        previous = t
    if start is not None:
        longest = max(longest, dd.index[-1] - start)
    return longest / _DAY


def stats(
    equity: pd.DataFrame,
    round_trips: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    volume: float,
    fees: float,
    funding: float,
    gross: float,
    risk_free: float = 0.0,
) -> pd.Series:
    """The report's statistics as a ``Float64`` Series (names in docs/report.md)."""
    days = (end - start) / _DAY
    r = event_returns(equity)
    total = float(np.prod(1.0 + r.to_numpy(dtype=float))) - 1.0 if len(r) else math.nan
    annual = (1.0 + total) ** (DAYS_PER_YEAR / days) - 1.0 if days > 0 else math.nan
    daily = daily_returns(equity)
    excess = daily - risk_free / DAYS_PER_YEAR
    sd = float(daily.std(ddof=1)) if len(daily) > 1 else math.nan
    root = math.sqrt(DAYS_PER_YEAR)
    sharpe = float(excess.mean()) / sd * root if sd and not math.isnan(sd) else math.nan
    downside = math.sqrt(float((excess.clip(upper=0.0) ** 2).mean())) if len(daily) > 1 else 0.0
    sortino = float(excess.mean()) / downside * root if downside else math.nan
    dd = drawdown(equity)
    closed = round_trips[round_trips["status"] == "closed"]
    net = closed["netPnlUsdt"].astype("float64")
    wins, losses = net[net > 0], net[net < 0]
    exposure = _exposure(round_trips, start, end)
    average = float(equity["equity"].astype("float64").mean()) if len(equity) else math.nan
    share = abs(gross) if gross else math.nan
    values = {
        "totalReturn": total,
        "annualReturn": annual,
        "volatility": sd * root if not math.isnan(sd) else math.nan,
        "sharpe": sharpe,
        "sortino": sortino,
        "maxDrawdown": float(dd.min()) if len(dd) else math.nan,
        "maxDrawdownDays": _duration_days(dd),
        "roundTrips": float(len(closed)),
        "winRate": len(wins) / len(closed) if len(closed) else math.nan,
        "profitFactor": float(wins.sum() / -losses.sum()) if len(losses) else math.nan,
        "averageWin": float(wins.mean()) if len(wins) else math.nan,
        "averageLoss": float(losses.mean()) if len(losses) else math.nan,
        "exposure": exposure,
        "turnover": volume / average if average else math.nan,
        "feesShareOfPnl": fees / share,
        "fundingShareOfPnl": funding / share,
        "days": days,
    }
    return pd.Series(values, dtype="Float64", name="stats")


def _exposure(round_trips: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Share of ``[start, end]`` covered by at least one round trip (open ones to ``end``)."""
    span = end - start
    if span <= pd.Timedelta(0) or round_trips.empty:
        return 0.0 if span > pd.Timedelta(0) else math.nan
    trips = round_trips[~round_trips["inventory"].astype(bool)]
    intervals = sorted(
        (max(o, start), min(end if pd.isna(c) else c, end))
        for o, c in zip(trips["openTime"], trips["closeTime"], strict=True)
    )
    covered = pd.Timedelta(0)
    current_start: pd.Timestamp | None = None
    current_end: pd.Timestamp | None = None
    for a, b in intervals:
        if b <= a:
            continue
        if current_end is None or a > current_end:
            if current_end is not None and current_start is not None:
                covered += current_end - current_start
            current_start, current_end = a, b
        else:
            current_end = max(current_end, b)
    if current_end is not None and current_start is not None:
        covered += current_end - current_start
    return covered / span
