"""What ``bg.CandleStore`` costs: requests and seconds per update, seconds per read.

    python bench/store.py [--days 30]

Against an in-process local exchange with a manual clock (rate limits on, as a user has
them), one 1-minute series: the first update of ``--days`` days, a re-run with the same
``end`` (the last closed bar: no request expected), an update to now after an hour, and
reads of one hour, one day and everything — beside ``pandas.read_parquet`` of the whole
directory. Requests are counted by a response hook of the client's real session.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import requests

import bitget_nb as bg

SERIES = {"category": "SPOT", "symbol": "BTCUSDT", "interval": "1m"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    now = pd.Timestamp("2026-12-01T00:00:00Z")
    start = now - pd.Timedelta(days=args.days)
    end = now - pd.Timedelta(minutes=1)  # the last closed bar: a notebook's fixed end
    sent: list[str] = []
    session = requests.Session()
    session.trust_env = False
    session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request.path_url))
    with (
        tempfile.TemporaryDirectory() as root,
        bg.LocalExchange(seed=7, start_time=now.isoformat()) as ex,
        bg.BitgetClient(**ex.credentials, base_url=ex.base_url, session=session) as client,
    ):
        store = bg.CandleStore(root)

        def timed(label: str, call):  # type: ignore[no-untyped-def]
            sent.clear()
            began = time.perf_counter()
            out = call()
            took = time.perf_counter() - began
            print(f"{label:<44} {took:8.3f} s  {len(sent):4d} requests")
            return out

        first = timed(
            f"first update, {args.days} days of 1m",
            lambda: store.update(client, **SERIES, start=start, end=end, progress=False),
        )
        timed("re-run, same end", lambda: store.update(client, **SERIES, start=start, end=end))
        ex.advance(hours=1)
        later = timed("update to now, an hour later", lambda: store.update(client, **SERIES))
        timed("update to now, nothing closed since", lambda: store.update(client, **SERIES))
        mid = start + pd.Timedelta(days=args.days // 2)
        hour = timed(
            "read one hour",
            lambda: store.read(**SERIES, start=mid, end=mid + pd.Timedelta(minutes=59)),
        )
        day = timed(
            "read one day",
            lambda: store.read(**SERIES, start=mid, end=mid + pd.Timedelta(hours=23, minutes=59)),
        )
        everything = timed("read everything", lambda: store.read(**SERIES))
        timed("pandas.read_parquet(root), everything", lambda: pd.read_parquet(root))
        size = sum(p.stat().st_size for p in Path(root).rglob("*.parquet"))
        print(
            f"bars: first update {int(first['new_bars'])}, an hour later {int(later['new_bars'])};"
            f" read {len(hour)} / {len(day)} / {len(everything)}"
        )
        print(f"on disk: {size / 1e6:.2f} MB, {size / len(everything):.1f} bytes a bar")


if __name__ == "__main__":
    main()
