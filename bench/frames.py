"""Records → typed DataFrame for 100,000 order records, against a plain ``pd.DataFrame``.

    python bench/frames.py [--rows 100000] [--repeat 5]

Both sides get the same list of wire records (every field of spec §4.1.10 as strings, a
``feeDetail`` list each). The plain frame leaves everything as strings; ours declares dtypes
(floats, UTC times, booleans) and flattens the fees. Reported: median rows/s of each over
``--repeat`` runs, and their ratio, in one run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

import pandas as pd

from bitget_nb import frames


def order_records(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    start = 1_767_225_600_000
    out = []
    for i in range(n):
        price = 60000 + rng.randint(-5000, 5000) / 10
        qty = rng.randint(1, 5000) / 10000
        filled = qty if rng.random() < 0.6 else 0
        created = start + i * 997
        out.append(
            {
                "orderId": str(1_300_000_000_000_000_000 + i),
                "clientOid": f"bgnb-{i:012x}",
                "category": "SPOT",
                "symbol": "BTCUSDT",
                "orderType": rng.choice(["limit", "market"]),
                "side": rng.choice(["buy", "sell"]),
                "price": f"{price:.1f}",
                "qty": f"{qty:.4f}",
                "amount": "",
                "cumExecQty": f"{filled:.4f}",
                "cumExecValue": f"{filled * price:.6f}",
                "avgPrice": f"{price:.1f}" if filled else "0",
                "timeInForce": "gtc",
                "orderStatus": "filled" if filled else "cancelled",
                "posSide": "",
                "holdMode": "one_way_mode",
                "tradeSide": "",
                "reduceOnly": "NO",
                "marginMode": "",
                "stpMode": "none",
                "feeDetail": [{"feeCoin": "BTC", "fee": f"{filled * 0.001:.8f}"}],
                "cancelReason": "" if filled else "normal_cancel",
                "execType": "normal",
                "createdTime": str(created),
                "updatedTime": str(created + 250),
            }
        )
    return out


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    records = order_records(args.rows)
    ours = timed(lambda: frames.to_frame(records, "order"), args.repeat)
    plain = timed(lambda: pd.DataFrame(records), args.repeat)
    typed = frames.to_frame(records, "order")
    print(f"{args.rows:,} order records, median of {args.repeat} runs")
    print(f"  typed frame (bitget_nb.frames): {args.rows / ours:12,.0f} rows/s  ({ours:.3f} s)")
    print(f"  plain pd.DataFrame(records):    {args.rows / plain:12,.0f} rows/s  ({plain:.3f} s)")
    print(f"  ratio typed/plain time: {ours / plain:.2f}x")
    kinds = typed.dtypes.astype(str).value_counts().to_dict()
    print(f"  typed dtypes: {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
