"""Records → typed DataFrame for 100,000 order records the exchange produced, against plain
``pd.DataFrame`` and ``pd.DataFrame.from_records`` — interleaved, in one run.

    python bench/frames.py [--rows 100000] [--repeat 7] [--seed-orders 4000]

The records are the local exchange's own wire records (its API layer, no HTTP): a venue is
seeded with spot and futures orders of every kind — filled market buys sized in quote,
market sells, cancelled limits, futures opens and closes, limit orders with attached
TP/SL — and its order history is read back page by page; those records are repeated up to
``--rows``. The plain frames leave every field a string (or a list); ours declares dtypes
(floats, nullable integers, UTC times, booleans), reads the zeros that mean "none" as
missing and flattens the fees. Each repeat runs the three in turn, the order rotating, so
machine noise hits them alike. Reported: median seconds and rows/s of each, the ratios,
the typed frame's dtypes and memory.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from bitget_nb import frames
from bitget_nb.exchange.clock import ManualClock
from bitget_nb.exchange.venue import Venue

START_MS = 1_767_225_600_000
BALANCES = {"USDT": "100000000", "BTC": "1000", "ETH": "10000"}


def _orders(i: int) -> list[dict[str, str]]:
    """Six orders of different kinds."""
    spot = {"category": "SPOT", "symbol": "BTCUSDT" if i % 2 else "ETHUSDT"}
    fut = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
    return [
        {**spot, "side": "buy", "orderType": "market", "qty": "50"},  # sized in quote
        {**spot, "side": "sell", "orderType": "market", "qty": "0.001"},
        {**spot, "side": "buy", "orderType": "limit", "qty": "0.001", "price": "1000"},
        {**fut, "side": "buy", "orderType": "market", "qty": "0.01"},
        {**fut, "side": "sell", "orderType": "market", "qty": "0.01", "reduceOnly": "yes"},
        {**fut, "side": "buy", "orderType": "limit", "qty": "0.01", "price": "20000",
         "takeProfit": "90000", "stopLoss": "10000"},
    ]  # fmt: skip


def exchange_records(orders: int) -> list[dict[str, Any]]:
    """The wire records of ``orders`` orders of a seeded venue's history."""
    clock = ManualClock(START_MS)
    venue = Venue(clock=clock, seed=7, balances=BALANCES)
    trader = venue.trader
    for i in range(0, orders, 6):
        for order in _orders(i):
            venue.call("submit_new_order", order, trader)
        for category in ("SPOT", "USDT-FUTURES"):
            venue.call("cancel_all_orders", {"category": category}, trader)
        venue.advance(60_000)
    records: list[dict[str, Any]] = []
    for category in ("SPOT", "USDT-FUTURES"):
        cursor = None
        while True:
            query = {"category": category, "limit": "100"}
            if cursor:
                query["cursor"] = cursor
            page = venue.call("get_history_orders", query, trader)
            records += page["list"] or []
            cursor = page["cursor"]
            if not cursor:
                break
    return records


def interleaved(repeat: int, contenders: list[Callable[[], Any]]) -> list[float]:
    """Median seconds of each contender, run in turn, the order rotating."""
    samples: list[list[float]] = [[] for _ in contenders]
    for i in range(repeat):
        for k in range(len(contenders)):
            j = (i + k) % len(contenders)
            t0 = time.perf_counter()
            contenders[j]()
            samples[j].append(time.perf_counter() - t0)
    return [statistics.median(s) for s in samples]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed-orders", type=int, default=4_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    produced = exchange_records(args.seed_orders)
    seeded = time.perf_counter() - t0
    records = list(itertools.islice(itertools.cycle(produced), args.rows))
    typed_s, plain_s, from_records_s = interleaved(
        args.repeat,
        [
            lambda: frames.to_frame(records, "order"),
            lambda: pd.DataFrame(records),
            lambda: pd.DataFrame.from_records(records),
        ],
    )
    typed = frames.to_frame(records, "order")
    kinds = {str(k): v for k, v in typed.dtypes.astype(str).value_counts().items()}
    print(f"{len(produced):,} distinct order records from the exchange's history "
          f"({seeded:.1f} s to seed and read), repeated to {args.rows:,} rows; "
          f"median of {args.repeat} interleaved runs")  # fmt: skip
    for label, seconds in (
        ("typed frame (bitget_nb.frames.to_frame)", typed_s),
        ("plain pd.DataFrame(records)", plain_s),
        ("plain pd.DataFrame.from_records(records)", from_records_s),
    ):
        print(f"  {label:42} {args.rows / seconds:12,.0f} rows/s  ({seconds:.3f} s)")
    print(f"  ratio typed/plain {typed_s / plain_s:.2f}x, typed/from_records "
          f"{typed_s / from_records_s:.2f}x")  # fmt: skip
    print(f"  typed dtypes: {kinds}")
    memory = typed.memory_usage(deep=True).sum() / 1e6
    print(f"  typed frame {memory:.0f} MB in memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
