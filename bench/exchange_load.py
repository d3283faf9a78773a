"""Sustained load on the local exchange, and the client's throughput against it.

    python bench/exchange_load.py [--seconds 10] [--sessions 6] [--threads 4]

The exchange runs in a process of its own (rate limits off, wall clock), so the load
generators do not share its interpreter. Two measurements, one after the other:

1. raw HTTP: ``--sessions`` threads, each with its own keep-alive ``requests.Session``,
   send a mix of public GET (tickers), signed GET (order-info) and signed POST (an IOC
   limit order far from the market: accepted, matched, cancelled — no balance change);
2. the client: one shared ``BitgetClient`` (its limiter off, like the exchange's) used by
   ``--threads`` threads for the same mix, pandas results included.

Prints requests/s, the error count and latency percentiles of each.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import statistics
import threading
import time
from collections.abc import Callable

import requests

import bitget_nb as bg
from bitget_nb.signing import compact_json, sign

MIX = ("public", "signed_get", "place")


def _serve(conn, stop) -> None:  # the exchange's process
    with bg.LocalExchange(seed=7, rate_limits=False) as ex:
        conn.send((ex.base_url, ex.credentials))
        stop.wait()


def _far_ioc(base_url: str, session: requests.Session) -> dict[str, str]:
    ticker = session.get(
        f"{base_url}/api/v3/market/tickers?category=SPOT&symbol=BTCUSDT", timeout=10
    ).json()["data"][0]
    price = format(round(float(ticker["bid1Price"]) * 0.8, 2), ".2f")
    return {
        "category": "SPOT",
        "symbol": "BTCUSDT",
        "side": "buy",
        "orderType": "limit",
        "qty": "0.0002",
        "price": price,
        "timeInForce": "ioc",
    }


def _signed_headers(creds: dict[str, str], method: str, path: str, query: str, body: str):
    ts = str(int(time.time() * 1000))
    return {
        "ACCESS-KEY": creds["api_key"],
        "ACCESS-SIGN": sign(creds["api_secret"], ts, method, path, query, body),
        "ACCESS-TIMESTAMP": ts,
        "ACCESS-PASSPHRASE": creds["api_pass"],
        "Content-Type": "application/json",
    }


def _run(seconds: float, workers: int, make_call: Callable[[int], Callable[[str], bool]]):
    """``workers`` threads calling their call for ``seconds``; (count, errors, latencies)."""
    deadline = time.perf_counter() + seconds
    results: list[tuple[int, int, list[float]]] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        call = make_call(n)
        count = errors = 0
        latencies: list[float] = []
        for kind in itertools.cycle(MIX):
            started = time.perf_counter()
            if started >= deadline:
                break
            ok = call(kind)
            latencies.append(time.perf_counter() - started)
            count += 1
            errors += not ok
        with lock:
            results.append((count, errors, latencies))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r[2])
    return sum(r[0] for r in results), sum(r[1] for r in results), elapsed, latencies


def _print(title: str, count: int, errors: int, elapsed: float, latencies: list[float]):
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [0.0] * 99
    print(
        f"{title}: {count / elapsed:8.0f} requests/s  ({count} in {elapsed:.1f} s, "
        f"{errors} errors; latency p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    here, there = ctx.Pipe()
    stop = ctx.Event()
    server = ctx.Process(target=_serve, args=(there, stop), daemon=True)
    server.start()
    try:
        base_url, creds = here.recv()
        order = _far_ioc(base_url, requests.Session())
        print(f"exchange: {base_url} (own process, rate limits off); mix: {', '.join(MIX)}")

        def raw(n: int) -> Callable[[str], bool]:
            session = requests.Session()
            oids = itertools.count()

            def call(kind: str) -> bool:
                if kind == "public":
                    r = session.get(
                        f"{base_url}/api/v3/market/tickers?category=SPOT&symbol=BTCUSDT", timeout=10
                    )
                elif kind == "signed_get":
                    path, query = "/api/v3/trade/unfilled-orders", "category=SPOT&limit=5"
                    r = session.get(
                        f"{base_url}{path}?{query}",
                        timeout=10,
                        headers=_signed_headers(creds, "GET", path, query, ""),
                    )
                else:
                    path = "/api/v3/trade/place-order"
                    body = compact_json({**order, "clientOid": f"raw-{n}-{next(oids)}"})
                    r = session.post(
                        base_url + path,
                        data=body,
                        timeout=10,
                        headers=_signed_headers(creds, "POST", path, "", body),
                    )
                return r.status_code == 200 and r.json()["code"] == "00000"

            return call

        _print(f"raw HTTP, {args.sessions} sessions", *_run(args.seconds, args.sessions, raw))

        client = bg.BitgetClient(**creds, base_url=base_url, rate_limit=False)
        client.get_instruments(category="SPOT")

        def through_client(n: int) -> Callable[[str], bool]:
            def call(kind: str) -> bool:
                try:
                    if kind == "public":
                        client.get_tickers(category="SPOT", symbol="BTCUSDT")
                    elif kind == "signed_get":
                        client.get_unfilled_orders(
                            category="SPOT", limit=5, progress=False, max_rows=5
                        )
                    else:
                        client.submit_new_order(order)
                except bg.BitgetError:
                    return False
                return True

            return call

        _print(
            f"client, {args.threads} threads, one client",
            *_run(args.seconds, args.threads, through_client),
        )
        client.close()
    finally:
        stop.set()
        server.join(10)


if __name__ == "__main__":
    main()
