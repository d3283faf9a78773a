"""History and fills pages as the account's history grows: 1k, 10k and 100k orders.

    PYTHONPATH=. python bench/history_scale.py [--sizes 1000 10000 100000] [--rounds 15]
                                               [--persisted]

Each size gets its own venue (no HTTP), seeded through the domain core with spot
market orders that fill — a minute apart, so 100k orders span about 70 days — plus ONE
ETHUSDT order early on (the match of the symbol-filtered page). Then, interleaved in one
run (every round asks every size and every page once, so drift hits them all alike), it
times three pages of ``get_history_orders`` and of ``get_trade_fills``:

* ``newest``: the default window (the last 30 days), first page;
* ``old``: the first day of the history (some 70 days back at 100k);
* ``symbol``: ``symbol=ETHUSDT`` over the window holding its one order.

With ``--persisted`` each venue is a paper account file, seeded, closed and reopened: its
closed orders and its fills are then read from the file's indexes (the lazy history of a
reopened account), not from memory.

Printed: the median time of each page (ms) and the ratio of the ``old`` and ``symbol`` pages
to ``newest`` at the same size (goal: ≤ 1.5× at every size: a page costs the same however
much history lies after it).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bitget_nb.exchange.clock import ManualClock
from bitget_nb.exchange.persistence import open_journal
from bitget_nb.exchange.venue import Venue

START_MS = 1_748_736_000_000
MINUTE = 60_000
DAY = 86_400_000
BATCH = 20
PAGES = ("newest", "old", "symbol")
ENDPOINTS = ("get_history_orders", "get_trade_fills")


BALANCES = {"USDT": "100000000", "BTC": "100", "ETH": "10"}


def seed(n: int, file: Path | None = None) -> tuple[Venue, dict[str, dict[str, Any]]]:
    """A venue with ``n`` filled orders a minute apart, and the parameters of each page;
    with a ``file``, a paper account seeded there, closed and reopened."""
    if file is None:
        clock = ManualClock(START_MS)
        venue = Venue(clock=clock, seed=7, balances=BALANCES)
    else:
        journal = open_journal(file, start_ms=START_MS, balances=BALANCES, synchronous="NORMAL")
        venue, clock = journal.venue, journal.live_clock
    trader = venue.trader
    eth_at = 0
    for i in range(0, n, BATCH):
        if i == BATCH * 5:
            eth_at = clock.now_ms()
            venue.call(
                "submit_new_order",
                {"category": "SPOT", "symbol": "ETHUSDT", "side": "sell", "orderType": "market",
                 "qty": "0.01"},
                trader,
            )  # fmt: skip
        items = [
            {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy" if (i + k) % 2 else "sell",
             "orderType": "market", "qty": "20" if (i + k) % 2 else "0.0002"}
            for k in range(min(BATCH, n - i))
        ]  # fmt: skip
        for result in venue.call("place_batch_orders", items, trader):
            assert "code" not in result, result  # a failed item carries its code
        venue.advance(BATCH * MINUTE)
    now = clock.now_ms()
    if file is not None:
        journal.close()
        venue = open_journal(file).venue  # closed orders and fills stay in the file
    # The oldest day of the history (at 100k, some 70 days back).
    old = {"startTime": str(START_MS), "endTime": str(START_MS + DAY)}
    pages = {
        "newest": {"category": "SPOT"},
        "old": {"category": "SPOT", **old},
        "symbol": {
            "category": "SPOT",
            "symbol": "ETHUSDT",
            "startTime": str(max(eth_at - DAY, now - 89 * DAY)),
            "endTime": str(max(eth_at - DAY, now - 89 * DAY) + 29 * DAY),
        },
    }
    return venue, pages


def timed(venue: Venue, endpoint: str, params: dict[str, Any]) -> tuple[float, int]:
    t0 = time.perf_counter()
    data = venue.call(endpoint, {**params, "limit": "100"}, venue.trader)
    return time.perf_counter() - t0, len(data["list"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--persisted", action="store_true", help="paper account files, reopened")
    args = parser.parse_args()
    venues = {}
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        for n in args.sizes:
            t0 = time.perf_counter()
            venues[n] = seed(n, workdir / f"history-{n}.sqlite3" if args.persisted else None)
            fills = venues[n][0].trading.store.fill_count
            print(f"seeded {n:,} orders ({fills:,} fills) in {time.perf_counter() - t0:.1f} s")
        return _report(venues, args.rounds)


def _report(venues: dict[int, tuple[Venue, dict[str, dict[str, Any]]]], rounds: int) -> int:
    samples: dict[tuple[int, str, str], list[float]] = {}
    rows: dict[tuple[int, str, str], int] = {}
    for _ in range(rounds):
        for endpoint in ENDPOINTS:
            for n, (venue, pages) in venues.items():
                for page in PAGES:
                    seconds, count = timed(venue, endpoint, pages[page])
                    samples.setdefault((n, endpoint, page), []).append(seconds)
                    rows[(n, endpoint, page)] = count
    print(f"\nmedian of {rounds} interleaved rounds, ms (rows on the page); ratio to newest")
    worst = 0.0
    for endpoint in ENDPOINTS:
        print(f"\n{endpoint}")
        print(f"{'orders':>9}  {'newest':>14}  {'old window':>22}  {'symbol=ETHUSDT':>22}")
        for n in venues:
            med = {p: statistics.median(samples[(n, endpoint, p)]) * 1000 for p in PAGES}
            cells = [f"{med['newest']:7.3f} ({rows[(n, endpoint, 'newest')]:3d})"]
            for p in ("old", "symbol"):
                ratio = med[p] / med["newest"]
                worst = max(worst, ratio)
                cells.append(f"{med[p]:7.3f} ({rows[(n, endpoint, p)]:3d}) {ratio:5.2f}x")
            print(f"{n:>9,}  {cells[0]:>14}  {cells[1]:>22}  {cells[2]:>22}")
    print(f"\nworst ratio to the newest page: {worst:.2f}x (goal ≤ 1.50x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
