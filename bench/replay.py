"""Backtest speed: a month of 1-minute bars replayed through the local exchange.

    python bench/replay.py [--days 30] [--http-days 1]

A month of 1m spot BTCUSDT bars is taken from the seeded synthetic market (43,200 bars) and
replayed with ``bg.LocalExchange(market=bg.Replay(...))``. ``bg.run`` calls a strategy at
every bar close: it reads the last 30 candles (``get_candles``) and, when a 5/20 moving
average cross flips, places one market order (a buy for 1000 USDT, then a sell of what it
bought, read back with ``get_order_info``) — at most one order per bar. Printed:
simulated days per wall-clock second in-process (the default of ``bg.run``) and over HTTP
(``in_process=False``, the exchange in this process on 127.0.0.1), and the month's wall time
in-process (goal ≤ 60 s). Over HTTP only ``--http-days`` are run (the rate is per day).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import pandas as pd

import bitget_nb as bg
from bitget_nb.exchange.instruments import Catalogue
from bitget_nb.exchange.market import MarketProcess

START_MS = 1_748_736_000_000 + 86_400_000  # 2025-06-02, a day into the synthetic market
SPOT = {"category": "SPOT", "symbol": "BTCUSDT"}


def recording(days: int) -> pd.DataFrame:
    catalogue = Catalogue.bundled()
    market = MarketProcess(seed=7, catalogue=catalogue)
    inst = catalogue.get("SPOT", "BTCUSDT")
    assert inst is not None
    bars = market.candles(
        inst, "1m", now_ms=START_MS + days * 86_400_000, start_ms=START_MS,
        end_ms=START_MS + days * 86_400_000 - 60_000, limit=days * 1440,
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "open": [float(b.open * inst.tick) for b in bars],
            "high": [float(b.high * inst.tick) for b in bars],
            "low": [float(b.low * inst.tick) for b in bars],
            "close": [float(b.close * inst.tick) for b in bars],
            "volume": [float(b.volume * inst.step) for b in bars],
            "turnover": [b.turnover / 10_000 for b in bars],
        },
        index=pd.DatetimeIndex(
            pd.to_datetime([b.ts for b in bars], unit="ms", utc=True), name="ts"
        ),
    )
    frame.attrs["interval"] = "1m"
    return frame


def strategy() -> bg.backtest.Strategy:
    state: dict[str, Any] = {"long": False, "orders": 0, "held": "0"}

    def step(client: bg.BitgetClient, now: pd.Timestamp) -> None:
        closes = client.get_candles(**SPOT, interval="1m", limit=30)["close"]
        if len(closes) < 20:
            return
        fast, slow = closes.iloc[-5:].mean(), closes.iloc[-20:].mean()
        if fast > slow and not state["long"]:
            ack = client.submit_new_order(**SPOT, side="buy", orderType="market", qty="1000")
            bought = client.get_order_info(orderId=ack["orderId"])["cumExecQty"]
            state["held"] = f"{bought:.6f}"
            state["long"], state["orders"] = True, state["orders"] + 1
        elif fast < slow and state["long"]:
            client.submit_new_order(**SPOT, side="sell", orderType="market", qty=state["held"])
            state["long"], state["orders"] = False, state["orders"] + 1

    step.state = state  # type: ignore[attr-defined]
    return step


def measure(frame: pd.DataFrame, *, in_process: bool) -> tuple[bg.RunResult, int]:
    with bg.LocalExchange(market=bg.Replay(frame, **SPOT), rate_limits=False) as ex:
        fn = strategy()
        result = bg.run(fn, ex, every="1m", in_process=in_process)
        return result, fn.state["orders"]  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--http-days", type=int, default=1)
    args = parser.parse_args()
    began = time.perf_counter()
    month = recording(args.days)
    print(f"recording: {len(month)} bars of 1m in {time.perf_counter() - began:.1f} s")
    result, orders = measure(month, in_process=True)
    print(
        f"in-process: {args.days} days, {result.steps} steps, {orders} orders in "
        f"{result.wall_seconds:.1f} s = {result.simulated_days_per_second:.2f} simulated days/s"
        f"; 30 days at this rate: {30 / result.simulated_days_per_second:.0f} s (goal <= 60 s)"
    )
    day = month.iloc[: args.http_days * 1440]
    inproc_day, _ = measure(day, in_process=True)
    http_day, orders = measure(day, in_process=False)
    print(
        f"{args.http_days} day(s): in-process {inproc_day.simulated_days_per_second:.2f} days/s,"
        f" HTTP {http_day.simulated_days_per_second:.2f} days/s ({orders} orders); "
        f"in-process is {http_day.wall_seconds / inproc_day.wall_seconds:.1f}x faster"
    )


if __name__ == "__main__":
    main()
