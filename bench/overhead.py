"""Client overhead against a bare ``requests.Session``, and import cost — measured in one run.

    python bench/overhead.py [--calls 1500]

Both sides talk to the same running LocalExchange (rate limits off on the exchange, and the
client's own limiter off, so neither side ever waits for a rate window: what is compared is
the per-call cost). Calls are interleaved, one of each per round, so machine noise hits both.
Targets (issue #2): signed GET and public GET with ``raw=True`` ≤ 1.10× the bare call;
``import bitget_nb`` ≤ 1.3× ``import pandas``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time

import requests

import bitget_nb as bg
from bitget_nb.signing import encode_query, sign
from bitget_nb.transport import RateLimiter


def bare_signed_get(session: requests.Session, ex: bg.LocalExchange, path: str) -> dict:
    creds = ex.credentials
    ts = str(int(time.time() * 1000))
    headers = {
        "ACCESS-KEY": creds["api_key"],
        "ACCESS-SIGN": sign(creds["api_secret"], ts, "GET", path),
        "ACCESS-TIMESTAMP": ts,
        "ACCESS-PASSPHRASE": creds["api_pass"],
        "Content-Type": "application/json",
        "locale": "en-US",
    }
    response = session.get(ex.base_url + path, headers=headers, timeout=(3.05, 10))
    body = response.json()
    assert body["code"] == "00000", body
    return body


def bare_public_get(session: requests.Session, ex: bg.LocalExchange, path: str, params) -> dict:
    query = encode_query(params)
    response = session.get(
        f"{ex.base_url}{path}?{query}",
        headers={"Content-Type": "application/json", "locale": "en-US"},
        timeout=(3.05, 10),
    )
    body = response.json()
    assert body["code"] == "00000", body
    return body


def paired(calls: int, ours, theirs) -> tuple[float, float]:
    """Median seconds per call of each, interleaved."""
    for _ in range(50):  # warm-up: connections, caches
        ours()
        theirs()
    a, b = [], []
    for i in range(calls):
        first, second = (ours, theirs) if i % 2 else (theirs, ours)
        t0 = time.perf_counter()
        first()
        t1 = time.perf_counter()
        second()
        t2 = time.perf_counter()
        (a if first is ours else b).append(t1 - t0)
        (b if first is ours else a).append(t2 - t1)
    return statistics.median(a), statistics.median(b)


def import_time(module: str, runs: int = 7) -> float:
    """Median cumulative import time (s) of ``module`` in fresh interpreters (-X importtime)."""
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        for line in out.splitlines():
            m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)$", line)
            if m and m.group(2) == module:
                samples.append(int(m.group(1)) / 1e6)
    return statistics.median(samples)


def limiter_cost(n: int = 100_000) -> float:
    limiter = RateLimiter()
    t0 = time.perf_counter()
    for _ in range(n):
        limiter.acquire("k", 1e9)
        limiter.release("k")
    return (time.perf_counter() - t0) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500)
    args = parser.parse_args()

    rows = []
    with bg.LocalExchange(seed=7, rate_limits=False) as ex, requests.Session() as session:
        client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url, rate_limit=False)
        ticker = {"category": "SPOT", "symbol": "BTCUSDT"}
        cases = [
            (
                "get_balances(raw=True)  signed GET",
                lambda: client.get_balances(raw=True),
                lambda: bare_signed_get(session, ex, "/api/v3/account/assets"),
            ),
            (
                "get_tickers(raw=True)   public GET",
                lambda: client.get_tickers(ticker, raw=True),
                lambda: bare_public_get(session, ex, "/api/v3/market/tickers", ticker),
            ),
            (
                "get_balances() → DataFrame",
                lambda: client.get_balances(),
                lambda: bare_signed_get(session, ex, "/api/v3/account/assets"),
            ),
            (
                "get_tickers() → DataFrame",
                lambda: client.get_tickers(ticker),
                lambda: bare_public_get(session, ex, "/api/v3/market/tickers", ticker),
            ),
        ]
        for label, ours, theirs in cases:
            mine, bare = paired(args.calls, ours, theirs)
            rows.append((label, mine, bare))
        client.close()

    print(f"per-call medians over {args.calls} interleaved calls each (ms)")
    print(f"{'case':38} {'bitget_nb':>10} {'bare':>10} {'ratio':>7}")
    for label, mine, bare in rows:
        print(f"{label:38} {mine * 1e3:10.3f} {bare * 1e3:10.3f} {mine / bare:7.3f}")
    print(f"client-side rate limiter, acquire+release: {limiter_cost() * 1e6:.2f} µs")

    ours_import, pandas_import = import_time("bitget_nb"), import_time("pandas")
    print(
        f"import bitget_nb {ours_import * 1e3:.0f} ms vs import pandas {pandas_import * 1e3:.0f}"
        f" ms: ratio {ours_import / pandas_import:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
