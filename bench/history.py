"""Download 5,000 orders into one DataFrame with the exchange's real rate limits on.

    python bench/history.py [--orders 5000]

The local exchange is seeded directly through its domain core (no HTTP), with every order
placed and cancelled so it lands in the order history. Then the client downloads the whole
history with ``get_history_orders`` — pages of 100 at the endpoint's 20 requests/s — with
``max_retries=0``, so a single 429 would abort the run. Reported: wall seconds against the
ceiling the rate limit allows (pages × 1/limit), and their ratio (target ≥ 90 %); also the
tightest bound a sliding window permits, since its first burst beats that ceiling.

Also reported: the tail — the time from the last page's answer to the frame in hand — which
is all the conversion left once each page is converted as it arrives (while the limiter
holds the next request back), and what the frame carries in ``attrs``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping

import requests

import bitget_nb as bg
from bitget_nb.endpoints import ENDPOINTS


def seed(ex: bg.LocalExchange, n: int) -> tuple[int, int]:
    venue, trader = ex.venue, ex.venue.trader
    start = ex.now_ms()
    for i in range(n):
        ack = venue.call(
            "submit_new_order",
            {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
             "qty": "0.001", "price": str(40000 + i % 10000), "clientOid": f"hist-{i}"},
            trader,
        )  # fmt: skip
        venue.call("cancel_order", {"orderId": ack["orderId"], "category": "SPOT"}, trader)
    return start, ex.now_ms()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    args = parser.parse_args()
    with bg.LocalExchange(seed=7) as ex:  # real clock, rate limits on
        t0 = time.perf_counter()
        start, end = seed(ex, args.orders)
        seeded = time.perf_counter() - t0
        answers: list[float] = []  # when each page's answer arrived
        session = requests.Session()
        session.hooks["response"].append(lambda r, *a, **k: answers.append(time.perf_counter()))
        client = bg.BitgetClient(
            **ex.credentials, base_url=ex.base_url, max_retries=0, session=session
        )
        time.sleep(1.1)  # a fresh rate window for the download
        t0 = time.perf_counter()
        df = client.get_history_orders(
            category="SPOT", startTime=start - 1000, endTime=end + 1000, limit=100, progress=False
        )
        done = time.perf_counter()
        elapsed = done - t0
        pages = len(answers)
        client.close()
    rate = ENDPOINTS["get_history_orders"].rate_limit
    ceiling = pages / rate
    print(f"seeded {args.orders:,} orders through the domain core in {seeded:.1f} s")
    print(f"downloaded {len(df):,} orders ({df['orderId'].nunique():,} unique) in {pages} pages")
    print(f"  wall time {elapsed:.2f} s; rate-limit ceiling {ceiling:.2f} s ({pages} pages at "
          f"{rate:g}/s)")  # fmt: skip
    print(f"  efficiency {ceiling / elapsed:.1%} of the ceiling; 429s: 0 (max_retries=0)")
    # A sliding window admits a first burst of `rate` requests, so the last page cannot go
    # out before (pages - 1) // rate whole windows have passed: the tightest possible time.
    bound = (pages - 1) // int(rate) * 1.0
    print(f"  tightest sliding-window bound {bound:.2f} s: {bound / elapsed:.1%} of it reached")
    tail = done - answers[-1]
    print(f"  tail after the last page's answer: {tail * 1e3:.1f} ms ({tail / elapsed:.1%} of the "
          "download)")  # fmt: skip
    memory = df.memory_usage(deep=True).sum() / 1e6
    carried = json.dumps(df.attrs, default=lambda o: dict(o) if isinstance(o, Mapping) else repr(o))
    print(f"  frame {memory:.1f} MB; its attrs {len(carried):,} characters as JSON")
    return 0


if __name__ == "__main__":
    sys.exit(main())
