"""Persistence at scale: place-order latency, reopen time and memory at 1k / 10k / 100k orders.

    PYTHONPATH=. python bench/persistence_scale.py [--sizes 1000,10000,100000] [--timed 1000]

One paper account file grows through the sizes. For each size:

1. a *seeding* process opens the file and places orders through the domain core until the
   account holds that many (``synchronous=NORMAL`` while seeding, to get there quickly):
   spot market buys and sells that fill, limit orders away from the market that are then
   cancelled, and a standing set of 100 resting limit orders (the working set every call
   compares);
2. a fresh *exchange* process opens the file as ``LocalExchange(path=...)`` (the default
   ``synchronous=FULL``) and reports how long opening took and its RSS; it then places
   ``--timed`` orders straight on the venue (domain + change capture + the SQLite commit,
   no HTTP) and serves HTTP;
3. this process, the client, places ``--timed`` orders through ``BitgetClient`` and times
   each ``submit_new_order`` round trip (signing, HTTP, the exchange's work and its fsync).

Printed per size: p50 / p99 / max place-order latency on the venue and over HTTP, the reopen
time, the exchange's RSS after reopening and after the timed orders, and the file's size.
Figures, not assertions (design: benchmarks print, tests do not time).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

START = "2025-06-01T00:00:00Z"
KEYS = {
    "api_key": "bg_" + "5" * 32,
    "api_secret": "e" * 64,
    "api_pass": "scalePass0000001",
}
RESTING = 100


def _rss_mb() -> float:
    """The process's resident set size now (Linux), else its peak."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _orders(i: int, last: str) -> list[tuple[str, dict[str, str]]]:
    """The i-th step of the workload: (endpoint, params) calls."""
    base = {"category": "SPOT", "symbol": "BTCUSDT"}
    roll = i % 10
    if roll == 9:  # a limit order away from the market, cancelled at once
        far = f"{float(last) * 0.7:.2f}"
        oid = f"c{i}"
        return [
            ("submit_new_order", {**base, "side": "buy", "orderType": "limit", "qty": "0.001",
                                  "price": far, "clientOid": oid}),
            ("cancel_order", {**base, "clientOid": oid}),
        ]  # fmt: skip
    if roll % 2:
        return [("submit_new_order", {**base, "side": "buy", "orderType": "market", "qty": "20"})]
    return [("submit_new_order", {**base, "side": "sell", "orderType": "market", "qty": "0.0003"})]


def seed(file: Path, target: int) -> None:
    """Place orders on the venue until the account holds ``target`` of them."""
    from bitget_nb.exchange.clock import to_ms
    from bitget_nb.exchange.persistence import open_journal

    journal = open_journal(
        file,
        start_ms=None if file.exists() else to_ms(START),
        trading_key=_key(),
        # Enough of both coins that the buys and sells never run dry.
        balances=None if file.exists() else {"USDT": "100000000", "BTC": "1000", "ETH": "10"},
        synchronous="NORMAL",
    )
    venue, trader = journal.venue, journal.venue.trader
    store = venue.trading.store
    inst = venue.catalogue.get("SPOT", "BTCUSDT")
    assert inst is not None
    started = time.perf_counter()
    if not store.open_orders():
        for n in range(RESTING):
            price = inst.price_text(
                venue.market.price(inst, venue.now_ms()) * 6 / 10 - n * inst.tick
            )
            venue.call(
                "submit_new_order",
                {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
                 "qty": "0.0001", "price": price, "clientOid": f"rest{n}"},
                trader,
            )  # fmt: skip
    i = len(store)
    while len(store) < target:
        journal.live_clock.advance(200)
        last = inst.price_text(venue.market.price(inst, venue.now_ms()))
        for endpoint, params in _orders(i, last):
            venue.call(endpoint, params, trader)
        i += 1
    journal.close()
    print(
        json.dumps(
            {
                "orders": len(store),
                "fills": store.fill_count,
                "seconds": time.perf_counter() - started,
            }
        )
    )


def _key() -> Any:
    from bitget_nb.exchange.accounts import ApiKey

    return ApiKey(api_key=KEYS["api_key"], secret=KEYS["api_secret"], passphrase=KEYS["api_pass"])


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": at(0.50), "p99": at(0.99), "max": ordered[-1]}


def serve(file: Path, timed: int) -> None:
    """Reopen ``file`` as a LocalExchange, time the venue, then serve until stdin closes."""
    import bitget_nb as bg

    rss_before = _rss_mb()
    started = time.perf_counter()
    ex = bg.LocalExchange(path=file, rate_limits=False, **KEYS)
    reopen = time.perf_counter() - started
    rss_open = _rss_mb()
    venue, trader = ex.venue, ex.trader
    inst = venue.catalogue.get("SPOT", "BTCUSDT")
    assert inst is not None
    orders = len(venue.trading.store)
    samples = []
    for i in range(timed):
        ex.clock.advance(200)
        last = inst.price_text(venue.market.price(inst, venue.now_ms()))
        endpoint, params = _orders(i, last)[0]
        began = time.perf_counter()
        venue.call(endpoint, params, trader)
        samples.append((time.perf_counter() - began) * 1000)
        for endpoint, params in _orders(i, last)[1:]:
            venue.call(endpoint, params, trader)
    ex.start()
    report = {
        "url": ex.base_url,
        "orders": orders,
        "reopen_s": reopen,
        "rss_start_mb": rss_before,
        "rss_open_mb": rss_open,
        "venue_ms": _percentiles(samples),
    }
    print(json.dumps(report), flush=True)
    sys.stdin.readline()  # the client is done
    print(json.dumps({"rss_end_mb": _rss_mb()}), flush=True)
    ex.close()


def _client_round_trips(url: str, timed: int) -> dict[str, float]:
    import bitget_nb as bg

    samples = []
    with bg.BitgetClient(**KEYS, base_url=url, rate_limit=False) as client:
        for i in range(timed):
            ticker = client.get_tickers(category="SPOT", symbol="BTCUSDT", raw=True)["data"][0]
            calls = _orders(i, ticker["lastPrice"])
            endpoint, params = calls[0]
            began = time.perf_counter()
            client.submit_new_order(params, raw=True)
            samples.append((time.perf_counter() - began) * 1000)
            for endpoint, params in calls[1:]:
                getattr(client, endpoint)(params, raw=True)
    return _percentiles(samples)


def _child(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def _child_env() -> dict[str, str]:
    """The environment of a child: it imports the same bitget_nb as this process (a script's
    own directory, not the working directory, starts ``sys.path``)."""
    import bitget_nb

    root = str(Path(bitget_nb.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}


def measure(file: Path, size: int, timed: int) -> dict[str, Any]:
    seeded = json.loads(
        subprocess.run(
            _child("--seed-to", str(size), "--file", str(file)),
            check=True,
            capture_output=True,
            text=True,
            env=_child_env(),
        ).stdout.splitlines()[-1]
    )
    process = subprocess.Popen(
        _child("--serve", "--file", str(file), "--timed", str(timed)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    assert process.stdin is not None and process.stdout is not None
    opened = json.loads(process.stdout.readline())
    http = _client_round_trips(opened["url"], timed)
    process.stdin.write("done\n")
    process.stdin.flush()
    ended = json.loads(process.stdout.readline())
    process.wait(60)
    return {**seeded, **opened, **ended, "http_ms": http, "file_mb": file.stat().st_size / 2**20}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--timed", type=int, default=1000)
    parser.add_argument("--keep", metavar="DIR", help="keep the paper account file here")
    parser.add_argument("--seed-to", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_to is not None:
        seed(args.file, args.seed_to)
        return 0
    if args.serve:
        serve(args.file, args.timed)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        file = workdir / "scale.sqlite3"
        print(
            f"{'orders':>8} {'fills':>8} | place-order ms, venue p50/p99/max | "
            f"over HTTP p50/p99/max | reopen s | RSS MB open/end | file MB"
        )
        for size in (int(s) for s in args.sizes.split(",")):
            r = measure(file, size, args.timed)
            v, h = r["venue_ms"], r["http_ms"]
            print(
                f"{r['orders']:>8} {r['fills']:>8} | {v['p50']:6.2f} {v['p99']:6.2f} "
                f"{v['max']:7.2f} | {h['p50']:6.2f} {h['p99']:6.2f} {h['max']:7.2f} | "
                f"{r['reopen_s']:7.2f} | {r['rss_open_mb']:6.0f} {r['rss_end_mb']:6.0f} | "
                f"{r['file_mb']:7.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
