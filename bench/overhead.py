"""Client overhead — typed results against raw envelopes against a bare ``requests.Session`` —
and import cost, measured in one run.

    python bench/overhead.py [--calls 1000]

The local exchange runs in its own process (``python -m bitget_nb exchange``, its rate limits
off), so its work never competes with the client's for this interpreter; the client's own
limiter is off too, so nothing ever waits for a rate window and what is compared is the
per-call cost. Each case calls its contenders in turn, once each per round, the order rotating
from round to round, so machine noise hits them alike; the figures are per-call medians.

Per endpoint: ``typed`` is the pandas result, ``raw`` the same call with ``raw=True`` (the
decoded envelope), ``bare`` a hand-signed ``requests`` call of the same request. Targets
(issue 12): Series results ≤ 1.3× raw; small frames (tickers, balances) ≤ 1.25× raw; a
50-order frame ≤ 1.6× raw. Issue 2: ``raw=True`` ≤ 1.10× bare, ``import bitget_nb`` ≤ 1.3×
``import pandas`` (the two are imported alternately, each in a fresh interpreter).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import requests
from _exchange import exchange_process as _launch

import bitget_nb as bg
from bitget_nb.signing import compact_json, encode_query, sign
from bitget_nb.transport import RateLimiter

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"api_key": "bench-key", "api_secret": "bench-secret", "api_pass": "bench-pass"}
#: Open orders seeded for get_order_info and the 50-order frame (far below the market).
OPEN_ORDERS = 50


def exchange_process() -> contextlib.AbstractContextManager[str]:
    """``python -m bitget_nb exchange`` in its own session, without rate limits."""
    return _launch(
        "--seed", "7", "--no-rate-limits", "--api-key", KEYS["api_key"],
        "--api-secret", KEYS["api_secret"], "--api-pass", KEYS["api_pass"],
    )  # fmt: skip


class Bare:
    """The same requests, hand-signed on a plain ``requests.Session``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def _headers(self, method: str, path: str, query: str = "", body: str = "") -> dict:
        ts = str(int(time.time() * 1000))
        return {
            "ACCESS-KEY": KEYS["api_key"],
            "ACCESS-SIGN": sign(KEYS["api_secret"], ts, method, path, query, body),
            "ACCESS-TIMESTAMP": ts,
            "ACCESS-PASSPHRASE": KEYS["api_pass"],
            "Content-Type": "application/json",
            "locale": "en-US",
        }

    def get(self, path: str, params: dict | None = None, *, signed: bool = True) -> dict:
        query = encode_query(params) if params else ""
        headers = (
            self._headers("GET", path, query)
            if signed
            else {"Content-Type": "application/json", "locale": "en-US"}
        )
        url = self.base_url + path + ("?" + query if query else "")
        body = self.session.get(url, headers=headers, timeout=(3.05, 10)).json()
        assert body["code"] == "00000", body
        return body

    def post(self, path: str, payload: dict) -> dict:
        text = compact_json(payload)
        response = self.session.post(
            self.base_url + path,
            data=text.encode(),
            headers=self._headers("POST", path, body=text),
            timeout=(3.05, 10),
        )
        body = response.json()
        assert body["code"] == "00000", body
        return body


def interleaved(calls: int, contenders: list[Callable[[], Any]]) -> list[float]:
    """Median seconds per call of each contender, called in turn, the order rotating."""
    for _ in range(30):  # warm-up: connections, caches
        for fn in contenders:
            fn()
    samples: list[list[float]] = [[] for _ in contenders]
    n = len(contenders)
    for i in range(calls):
        for k in range(n):
            j = (i + k) % n
            t0 = time.perf_counter()
            contenders[j]()
            samples[j].append(time.perf_counter() - t0)
    return [statistics.median(s) for s in samples]


def import_times(runs: int = 9) -> tuple[float, float]:
    """Median cumulative import time (s) of bitget_nb and of pandas, in fresh interpreters
    (-X importtime), the two alternating."""

    def once(module: str) -> float:
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stderr
        for line in out.splitlines():
            m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)$", line)
            if m and m.group(2) == module:
                return int(m.group(1)) / 1e6
        raise RuntimeError(f"no import time for {module}")

    ours, theirs = [], []
    for i in range(runs):
        pair = [("bitget_nb", ours), ("pandas", theirs)]
        for module, into in pair if i % 2 else pair[::-1]:
            into.append(once(module))
    return statistics.median(ours), statistics.median(theirs)


def limiter_cost(n: int = 100_000) -> float:
    limiter = RateLimiter()
    t0 = time.perf_counter()
    for _ in range(n):
        limiter.acquire("k", 1e9)
        limiter.release("k")
    return (time.perf_counter() - t0) / n


def proxy_lookup_cost(base_url: str, n: int = 5_000) -> float:
    """What requests spends per call looking the environment up for proxies."""
    session = requests.Session()
    t0 = time.perf_counter()
    for _ in range(n):
        session.merge_environment_settings(base_url + "/api/v3/trade/order-info", {}, None,
                                           None, None)  # fmt: skip
    return (time.perf_counter() - t0) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()

    with exchange_process() as url:
        client = bg.BitgetClient(**KEYS, base_url=url, rate_limit=False)
        bare = Bare(url)
        for i in range(OPEN_ORDERS):
            client.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy",
                                    orderType="limit", qty="0.001", price=str(30000 + i),
                                    clientOid=f"bench-open-{i}")  # fmt: skip
        order_id = client.get_order_info(clientOid="bench-open-0")["orderId"]
        ioc = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
               "qty": "0.001", "price": "20000", "timeInForce": "ioc"}  # fmt: skip
        spot = {"category": "SPOT"}
        ticker = {"category": "SPOT", "symbol": "BTCUSDT"}
        fee = {"category": "SPOT", "symbol": "BTCUSDT"}
        order_q = {"orderId": order_id}

        def bare_order() -> dict:
            payload = {**ioc, "clientOid": f"b{time.time_ns()}"}
            return bare.post("/api/v3/trade/place-order", payload)

        # (label, target, typed, raw, bare)
        cases: list[tuple[str, float | None, Callable, Callable, Callable]] = [
            ("get_order_info → Series", 1.3,
             lambda: client.get_order_info(order_q),
             lambda: client.get_order_info(order_q, raw=True),
             lambda: bare.get("/api/v3/trade/order-info", order_q)),
            ("submit_new_order (ioc) → ack Series", 1.3,
             lambda: client.submit_new_order(ioc),
             lambda: client.submit_new_order(ioc, raw=True),
             bare_order),
            ("get_fee_rate → Series", 1.3,
             lambda: client.get_fee_rate(fee),
             lambda: client.get_fee_rate(fee, raw=True),
             lambda: bare.get("/api/v3/account/fee-rate", fee)),
            ("get_account_info → Series", 1.3,
             lambda: client.get_account_info(),
             lambda: client.get_account_info(raw=True),
             lambda: bare.get("/api/v3/account/info")),
            ("get_server_time → Series (public)", 1.3,
             lambda: client.get_server_time(),
             lambda: client.get_server_time(raw=True),
             lambda: bare.get("/api/v2/public/time", signed=False)),
            ("get_tickers (4 rows) → DataFrame", 1.25,
             lambda: client.get_tickers(spot),
             lambda: client.get_tickers(spot, raw=True),
             lambda: bare.get("/api/v3/market/tickers", spot, signed=False)),
            ("get_tickers (1 row) → DataFrame", 1.25,
             lambda: client.get_tickers(ticker),
             lambda: client.get_tickers(ticker, raw=True),
             lambda: bare.get("/api/v3/market/tickers", ticker, signed=False)),
            ("get_balances → DataFrame + totals", 1.25,
             lambda: client.get_balances(),
             lambda: client.get_balances(raw=True),
             lambda: bare.get("/api/v3/account/assets")),
            (f"get_unfilled_orders ({OPEN_ORDERS}) → DataFrame", 1.6,
             lambda: client.get_unfilled_orders(spot),
             lambda: client.get_unfilled_orders(spot, raw=True),
             lambda: bare.get("/api/v3/trade/unfilled-orders", spot)),
            (f"  reference: raw + untyped from_records ({OPEN_ORDERS})", None,
             lambda: pd.DataFrame.from_records(
                 client.get_unfilled_orders(spot, raw=True)["data"]["list"]),
             lambda: client.get_unfilled_orders(spot, raw=True),
             lambda: bare.get("/api/v3/trade/unfilled-orders", spot)),
        ]  # fmt: skip
        rows = []
        for label, target, typed, raw, plain in cases:
            rows.append((label, target, *interleaved(args.calls, [typed, raw, plain])))
        raw_get = statistics.median(r[3] for r in rows[:5])
        proxies = proxy_lookup_cost(url)
        client.close()

    print(f"per-call medians over {args.calls} interleaved rounds (ms); exchange in its own "
          "process")  # fmt: skip
    head = f"{'case':47} {'typed':>7} {'raw':>7} {'bare':>7} {'typed/raw':>9} {'goal':>5}"
    print(head + f" {'raw/bare':>8}")
    for label, target, typed_s, raw_s, bare_s in rows:
        goal = f"{target:.2f}" if target else ""
        ok = "" if target is None else (" ok" if typed_s / raw_s <= target else " MISS")
        print(
            f"{label:47} {typed_s * 1e3:7.3f} {raw_s * 1e3:7.3f} {bare_s * 1e3:7.3f} "
            f"{typed_s / raw_s:9.3f} {goal:>5} {raw_s / bare_s:8.3f}{ok}"
        )
    print(f"client-side rate limiter, acquire+release: {limiter_cost() * 1e6:.2f} µs")
    print(
        f"requests' per-call proxy lookup (merge_environment_settings): {proxies * 1e6:.0f} µs, "
        f"{proxies / raw_get:.0%} of a median raw Series call"
    )
    ours_import, pandas_import = import_times()
    print(
        f"import bitget_nb {ours_import * 1e3:.0f} ms vs import pandas {pandas_import * 1e3:.0f}"
        f" ms (alternating, fresh interpreters): ratio {ours_import / pandas_import:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
