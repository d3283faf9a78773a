"""The report's figures (matplotlib, imported here only): equity with drawdown, net PnL by
symbol, and each traded symbol's candles with its fills marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from . import TradeReport

__all__ = ["plot"]


def plot(report: TradeReport) -> list[Figure]:
    """Three figures (see :meth:`TradeReport.plot`)."""
    import pandas as pd
    from matplotlib.figure import Figure

    figures: list[Figure] = []

    equity = report.equity
    fig = Figure(figsize=(9, 5))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot(equity.index, equity["equity"].astype("float64"), color="tab:blue", lw=1.2)
    top.set_ylabel("equity (USDT)")
    top.set_title("Equity")
    top.grid(alpha=0.3)
    bottom.fill_between(
        equity.index, equity["drawdown"].astype("float64") * 100, 0, color="tab:red", alpha=0.4
    )
    bottom.set_ylabel("drawdown (%)")
    bottom.grid(alpha=0.3)
    fig.autofmt_xdate()
    figures.append(fig)

    by = report.by_symbol
    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    labels = [f"{c} {s}" for c, s in zip(by["category"], by["symbol"], strict=True)]
    values = by["netPnlUsdt"].astype("float64").fillna(0.0)
    ax.barh(labels, values, color=["tab:green" if v >= 0 else "tab:red" for v in values])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("net realised PnL (USDT, after fees and funding)")
    ax.set_title("PnL by symbol")
    fig.tight_layout()
    figures.append(fig)

    traded = [
        (c, s)
        for c, s in zip(by["category"], by["symbol"], strict=True)
        if (c, s) in report.candles
    ]
    fig = Figure(figsize=(9, 2.8 * max(len(traded), 1)))
    axes = fig.subplots(max(len(traded), 1), 1, squeeze=False)[:, 0]
    first = int(report.start.value // 1_000_000)
    for ax, (category, symbol) in zip(axes, traded, strict=False):
        bars = report.candles[(category, symbol)]
        bars = bars[(bars.index >= report.start) & (bars.index <= report.end)]
        _candles(ax, bars)
        mine = [
            f
            for f in report._fills
            if (f.category, f.symbol) == (category, symbol) and f.time_ms >= first
        ]
        for side, marker, color in (("buy", "^", "tab:green"), ("sell", "v", "tab:red")):
            these = [f for f in mine if f.side == side]
            ax.scatter(
                pd.to_datetime([f.time_ms for f in these], unit="ms", utc=True),
                [float(f.price) for f in these],
                marker=marker,
                color=color,
                s=40,
                zorder=3,
                label=side,
            )
        ax.set_title(f"{category} {symbol}: fills on the candles")
        ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    figures.append(fig)
    return figures


def _candles(ax: object, bars: object) -> None:
    """A plain candlestick chart: wicks as lines, bodies as bars."""
    import pandas as pd

    assert isinstance(bars, pd.DataFrame)
    if bars.empty:
        return
    width = (bars.index[1] - bars.index[0]) * 0.7 if len(bars) > 1 else pd.Timedelta(minutes=1)
    up = bars["close"] >= bars["open"]
    colors = ["tab:green" if u else "tab:red" for u in up]
    ax.vlines(bars.index, bars["low"], bars["high"], color=colors, lw=0.6)  # type: ignore[attr-defined]
    ax.bar(  # type: ignore[attr-defined]
        bars.index,
        (bars["close"] - bars["open"]).abs().clip(lower=1e-9),
        bottom=bars[["open", "close"]].min(axis=1),
        width=width,
        color=colors,
    )
