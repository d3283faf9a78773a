"""Whole-range candles and the candle store, measured in one run.

    python bench/candles.py [--rounds 3]

The local exchange runs in its own process (``python -m bitget_nb exchange``, a manual clock,
its rate limits ON), the client in this one with its own rate limiter, as a user's would be.
Responses are counted by a hook on the client's ``requests.Session`` (every request that
reached the exchange and came back, 429s included).

1. **30 days of 1-minute candles** (43,201 bars, the last one still open) downloaded whole,
   ``--rounds`` times. The bound is what the rate limit allows for the pages needed:
   ``pages / 20`` seconds at the documented 20 requests a second (spec §3). Goal ≤ 1.1×,
   zero 429s.
2. **The store** (``bg.CandleStore``): the month stored once (``update``), then an ``update``
   with an ``end`` the store already covers — goal: zero requests — and one with ``end``
   left to the exchange's now (one server-time request, no candles: nothing new has closed).
3. **Reading one month of 1m** from the store, against downloading it again (median of
   ``--rounds`` reads, interleaved with the downloads of part 1).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from typing import Any

import pandas as pd
import requests
from _exchange import exchange_process

import bitget_nb as bg

START = "2026-01-05T00:00:00Z"
NOW = pd.Timestamp(START)
#: The bar opening at NOW is still open (an inclusive end wants it, so the store would ask
#: again for it): a notebook's fixed end is the last closed bar.
LAST_CLOSED = NOW - pd.Timedelta(minutes=1)
KEYS = {"api_key": "bench-key", "api_secret": "bench-secret", "api_pass": "bench-pass"}
BTC = {"category": "SPOT", "symbol": "BTCUSDT", "interval": "1m"}
RATE = 20.0  # get_candles, requests a second per IP (spec §3)


class Counted(requests.Session):
    """A session that counts the responses it receives, by path and status."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter[tuple[str, int]] = Counter()
        self.hooks["response"].append(self._count)

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        path = requests.utils.urlparse(response.url).path
        self.seen[(path, response.status_code)] += 1

    def total(self, path: str | None = None) -> int:
        return sum(n for (p, _), n in self.seen.items() if path is None or p == path)

    def statuses(self) -> set[int]:
        return {status for _, status in self.seen}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    launch = ("--seed", "7", "--start", START, "--api-key", KEYS["api_key"],
              "--api-secret", KEYS["api_secret"], "--api-pass", KEYS["api_pass"])  # fmt: skip
    with exchange_process(*launch) as url, tempfile.TemporaryDirectory() as root:
        session = Counted()
        client = bg.BitgetClient(**KEYS, base_url=url, session=session)
        month = {"startTime": NOW - pd.Timedelta(days=30), "endTime": NOW}
        store = bg.CandleStore(root)

        print("30 days of 1m candles, whole (rate limit on, 20/s):")
        downloads, reads = [], []
        for round_ in range(args.rounds):
            time.sleep(1.1)  # every bucket full again: each round starts alike
            before = session.total("/api/v3/market/candles")
            started = time.perf_counter()
            df = client.get_candles(**BTC, **month, progress=False)
            elapsed = time.perf_counter() - started
            pages = session.total("/api/v3/market/candles") - before
            downloads.append((elapsed, pages, len(df)))
            if round_ == 0:
                time.sleep(1.1)
                store.update(client, **_series(), start=month["startTime"], end=NOW, progress=False)
            started = time.perf_counter()
            stored = store.read(**_series(), start=month["startTime"], end=NOW)
            reads.append(time.perf_counter() - started)
        for elapsed, pages, rows in downloads:
            bound = pages / RATE
            print(
                f"  {rows} bars in {pages} pages: {elapsed:.2f} s; bound {bound:.2f} s "
                f"(pages / 20 per s) → {elapsed / bound:.2f}×"
            )
        print(f"  HTTP statuses seen: {sorted(session.statuses())} (goal: no 429)")

        closed = int((stored.index < NOW).sum())
        print("\nthe store:")
        print(f"  one month stored: {len(stored)} closed bars ({closed} before now)")
        before = session.total()
        store.update(client, **_series(), start=month["startTime"], end=LAST_CLOSED)
        print(f"  update with a covered end: {session.total() - before} requests (goal: 0)")
        before = session.total()
        store.update(client, **_series(), start=month["startTime"])
        made = session.total() - before
        print(f"  update to the exchange's now: {made} request(s) (its time; no new bar)")

        download = statistics.median(d[0] for d in downloads)
        read = statistics.median(reads)
        print("\nreading one month of 1m:")
        print(
            f"  store.read {read * 1000:.0f} ms (median of {len(reads)}), download "
            f"{download * 1000:.0f} ms → the store is {download / read:.0f}× faster"
        )
        client.close()
    return 0


def _series() -> dict[str, str]:
    return {"category": "SPOT", "symbol": "BTCUSDT", "interval": "1m"}


if __name__ == "__main__":
    sys.exit(main())
