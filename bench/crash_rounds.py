"""Crash rounds: SIGKILL the standalone exchange at random moments, restart it on the same
file, and check that nothing the client saw acknowledged was lost or half-applied.

    python bench/crash_rounds.py [--rounds 12] [--seed 1] [--keep DIR]
    python bench/crash_rounds.py --cost [--writes 2000]

Each round starts ``python -m bitget_nb exchange --data FILE`` (wall clock, rate limits off,
fixed keys), drives spot and futures orders, cancels and market orders at it from one
writer thread while a reader thread polls (whose catch-ups fill resting orders), and kills
the process with SIGKILL after a random delay (seeded RNG). Then:

* offline, the file is read without writing (``export_file``, what ``python -m bitget_nb
  export`` writes) and checked exhaustively: every acknowledged order is there with a status
  at least as far along as the client saw and with every fill the client saw; every order's
  ``cumExecQty`` is the sum of its fills and its fees the sum of their fees; locked funds are
  exactly what the open orders and positions hold; and for every coin, initial balance +
  fill flows − fees + realised PnL + funding == balance, in exact Decimals;
* the exchange is restarted on the file and asked over HTTP for every order and fill the
  client saw acknowledged.

``--cost`` measures what commit-before-answer costs: ms per write (place + cancel) on the
domain core in memory, with a file at synchronous=FULL and at NORMAL, and signed HTTP
writes per second in memory and with a file.

The summary line is what the issue note quotes; ``tests/exchange/test_crash_recovery.py``
runs :func:`run_rounds` with fewer rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from _exchange import launched

import bitget_nb as bg
from bitget_nb.exchange.accounts import DEFAULT_BALANCES
from bitget_nb.exchange.instruments import Catalogue
from bitget_nb.exchange.persistence import export_file
from bitget_nb.exchange.positions import margin_coin

ROOT = Path(__file__).resolve().parents[1]
KEYS = {
    "api_key": "bg_crashrounds0000000000000000000",
    "api_secret": "c" * 64,
    "api_pass": "crashRoundsPass1",
}
CATALOGUE = Catalogue.bundled()
_RANK = {"live": 0, "partially_filled": 1, "filled": 2, "cancelled": 2}
_CATEGORIES = ("SPOT", "USDT-FUTURES")


@dataclass
class Seen:
    """What the client saw of one acknowledged order."""

    order_id: str
    category: str
    status: str = "live"
    cum_exec_qty: Decimal = Decimal(0)
    fills: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # execId → qty, px


@dataclass
class Report:
    """What the rounds found."""

    rounds: int = 0
    acknowledged: int = 0
    cancels_acknowledged: int = 0
    fills_seen: int = 0
    unanswered: int = 0
    refused: int = 0
    orders_lost: int = 0
    fills_lost: int = 0
    commands: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"crash rounds: {self.rounds} SIGKILL rounds survived, {self.acknowledged} orders "
            f"acknowledged ({self.cancels_acknowledged} cancels, {self.fills_seen} fills seen), "
            f"{self.unanswered} writes cut off unanswered, orders lost {self.orders_lost}, "
            f"fills lost {self.fills_lost}, other problems {len(self.problems)}, "
            f"{self.commands} rows in the activity log, {self.seconds:.1f} s"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def exchange_process(data: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    """``python -m bitget_nb exchange --data`` in its own session, up and listening; killed
    with SIGKILL on the way out."""
    args = ("--data", str(data), "--port", str(port), "--api-key", KEYS["api_key"],
            "--api-secret", KEYS["api_secret"], "--api-pass", KEYS["api_pass"],
            "--no-rate-limits")  # fmt: skip
    with launched(*args, stop=signal.SIGKILL) as (_, process):
        yield process


def _client(port: int) -> bg.BitgetClient:
    # No retries: a write cut off by the kill is "unanswered", never re-sent behind our back.
    # A short settle window: the exchange it would look the write up on is dead until this
    # harness restarts it, so waiting the default 30 s only idles (the check after the
    # restart finds what was acknowledged, and an unanswered write is never counted as such).
    return bg.BitgetClient(
        **KEYS,
        base_url=f"http://127.0.0.1:{port}",
        max_retries=0,
        timeout=(1.0, 3.0),
        rate_limit=False,
        settle_window=2.0,
    )


# -- driving -----------------------------------------------------------------------------------


class Driver:
    """Random spot and futures orders, cancels and market orders; records what was acked."""

    def __init__(self, rng: random.Random, seen: dict[str, Seen], report: Report) -> None:
        self.rng = rng
        self.seen = seen
        self.report = report
        self.counter = 0

    def _oid(self) -> str:
        self.counter += 1
        return f"cr{self.rng.getrandbits(40):x}{self.counter}"

    def step(self, client: bg.BitgetClient) -> None:
        """One random action; raises when the exchange is gone (a refusal is not that)."""
        try:
            self._step(client)
        except (bg.OutcomeUnknownError, bg.ServerError):
            raise
        except bg.BitgetAPIError:
            # Refused (a cancel that came after the fill, an order the account cannot
            # afford …): the exchange is alive and nothing changed.
            self.report.refused += 1

    def _step(self, client: bg.BitgetClient) -> None:
        rng = self.rng
        roll = rng.random()
        open_ids = [s.order_id for s in self.seen.values() if _RANK[s.status] < 2]
        if roll < 0.2 and open_ids:
            order_id = rng.choice(open_ids)
            seen = self.seen[order_id]
            body = client.cancel_order(
                {"category": seen.category, "symbol": "BTCUSDT", "orderId": order_id}, raw=True
            )
            seen.status = "cancelled"  # the client raises unless the code was 00000
            self.report.cancels_acknowledged += 1
            assert body["code"] == "00000"
            return
        category = "SPOT" if roll < 0.65 else "USDT-FUTURES"
        side = rng.choice(("buy", "sell"))
        ticker = client.get_tickers(category=category, symbol="BTCUSDT", raw=True)["data"][0]
        last = Decimal(ticker["lastPrice"])
        tick = Decimal("0.01") if category == "SPOT" else Decimal("0.1")
        if rng.random() < 0.4:
            if category == "SPOT" and side == "buy":
                fields = {"orderType": "market", "qty": str(rng.choice((20, 35, 50)))}
            else:
                fields = {"orderType": "market", "qty": rng.choice(("0.001", "0.002"))}
        else:
            offset = tick * rng.randint(0, 400)
            price = last - offset if side == "buy" else last + offset
            fields = {"orderType": "limit", "qty": "0.001", "price": str(price)}
        params = {"category": category, "symbol": "BTCUSDT", "side": side, **fields}
        params["clientOid"] = self._oid()
        try:
            body = client.submit_new_order(params, raw=True)
        except (bg.TransportError, bg.OutcomeUnknownError, bg.ServerError):
            self.report.unanswered += 1
            raise
        order_id = body["data"]["orderId"]
        self.seen[order_id] = Seen(order_id, category)
        self.report.acknowledged += 1
        if fields["orderType"] == "market":
            info = client.get_order_info(orderId=order_id, raw=True)["data"]
            fills = client.get_trade_fills(orderId=order_id, raw=True)["data"]["list"]
            seen = self.seen[order_id]
            seen.status = info["orderStatus"]
            seen.cum_exec_qty = Decimal(info["cumExecQty"])
            for fill in fills:
                seen.fills[fill["execId"]] = (Decimal(fill["execQty"]), Decimal(fill["execPrice"]))
            self.report.fills_seen += len(fills)


def _poll(port: int, stop: threading.Event) -> None:
    """A second client that keeps reading (its catch-ups fill resting orders)."""
    client = _client(port)
    try:
        while not stop.is_set():
            client.get_unfilled_orders(raw=True)
            client.get_balances(raw=True)
            stop.wait(0.02)
    except Exception:
        return  # the exchange is gone
    finally:
        client.close()


# -- checking ----------------------------------------------------------------------------------


def check_file(data: Path, seen: dict[str, Seen], report: Report) -> None:
    """Read the file without writing and check it exhaustively (see the module docstring)."""
    summary, tables = export_file(data)
    report.commands = int(summary["commands"])
    problems = report.problems
    orders = {o["orderId"]: o for o in tables["orders"]}
    fills_by_order: dict[str, list[dict[str, str]]] = defaultdict(list)
    for fill in tables["fills"]:
        fills_by_order[fill["orderId"]].append(fill)
    fills = {f["execId"]: f for f in tables["fills"]}
    for order_id, what in seen.items():
        order = orders.get(order_id)
        if order is None:
            report.orders_lost += 1
            problems.append(f"acknowledged order {order_id} is missing")
            continue
        status = order["orderStatus"]
        if _RANK[status] < _RANK[what.status] or (
            _RANK[what.status] == 2 and status != what.status
        ):
            problems.append(f"order {order_id} is {status}, the client saw {what.status}")
        if Decimal(order["cumExecQty"]) < what.cum_exec_qty:
            problems.append(f"order {order_id} filled {order['cumExecQty']} < {what.cum_exec_qty}")
        for exec_id, (qty, price) in what.fills.items():
            fill = fills.get(exec_id)
            if fill is None or (Decimal(fill["execQty"]), Decimal(fill["execPrice"])) != (
                qty,
                price,
            ):
                report.fills_lost += 1
                problems.append(f"fill {exec_id} of order {order_id} is missing or changed")
    # Nothing half-applied: fills add up per order, locks match needs, coins add up.
    locked_need: dict[str, Decimal] = defaultdict(Decimal)
    for order in tables["orders"]:
        own = fills_by_order.get(order["orderId"], [])
        total = sum((Decimal(f["execQty"]) for f in own), Decimal(0))
        if total != Decimal(order["cumExecQty"]):
            problems.append(
                f"order {order['orderId']}: cumExecQty {order['cumExecQty']} != {total}"
            )
        fees: dict[str, Decimal] = defaultdict(Decimal)
        for f in own:
            fees[f["feeCoin"]] += Decimal(f["fee"])
        detail = {c: Decimal(v) for c, v in json.loads(order["feeDetail"]).items()}
        if detail != dict(fees):
            problems.append(f"order {order['orderId']}: fees {detail} != fills' {dict(fees)}")
        if order["orderStatus"] in ("live", "partially_filled"):
            locked_need[order["reserveCoin"]] += Decimal(order["reserved"])
        elif Decimal(order["reserved"]) != 0:
            problems.append(f"closed order {order['orderId']} still holds {order['reserved']}")
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for coin, value in DEFAULT_BALANCES.items():
        expected[coin] += Decimal(value)
    for f in tables["fills"]:
        inst = CATALOGUE.get(f["category"], f["symbol"])
        assert inst is not None
        qty, value = Decimal(f["execQty"]), Decimal(f["execValue"])
        if f["category"] == "SPOT":
            sign = 1 if f["side"] == "buy" else -1
            expected[inst.base_coin] += sign * qty
            expected[inst.quote_coin] -= sign * value
        else:
            expected[margin_coin(inst)] += Decimal(f["execPnl"])
        expected[f["feeCoin"]] -= Decimal(f["fee"])
    for position in tables["positions"]:
        expected[position["marginCoin"]] += Decimal(position["funding"])
        if position["status"] == "open":
            locked_need[position["marginCoin"]] += Decimal(position["margin"])
    for t in tables["transfers"]:
        expected[t["coin"]] += Decimal(t["amount"]) * (1 if t["toType"] == "uta" else -1)
    balances = {b["coin"]: b for b in tables["balances"] if b["account"] == "unified"}
    for coin in sorted(set(expected) | set(balances)):
        have = Decimal(balances[coin]["balance"]) if coin in balances else Decimal(0)
        if have != expected[coin]:
            problems.append(f"{coin}: balance {have} != initial ± fills − fees {expected[coin]}")
        locked = Decimal(balances[coin]["locked"]) if coin in balances else Decimal(0)
        if locked != locked_need.get(coin, Decimal(0)):
            problems.append(f"{coin}: locked {locked} != what open orders and positions hold")


def _all_pages(call: Any, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = call(limit="100", raw=True, **params, **({"cursor": cursor} if cursor else {}))
        data = page["data"]
        listed = data.get("list") or []  # null on an empty page (spec §10.2)
        rows.extend(listed)
        cursor = data.get("cursor") or ""
        if not cursor or not listed:
            return rows


def check_server(port: int, seen: dict[str, Seen], report: Report) -> None:
    """Every acknowledged order and every fill seen, asked over HTTP after the restart."""
    with _client(port) as client:
        found = {o["orderId"]: o for o in _all_pages(client.get_unfilled_orders)}
        for category in _CATEGORIES:
            for o in _all_pages(client.get_history_orders, category=category):
                found[o["orderId"]] = o
        fills = {f["execId"]: f for f in _all_pages(client.get_trade_fills)}
    for order_id, what in seen.items():
        order = found.get(order_id)
        if order is None:
            report.problems.append(f"restarted exchange: acknowledged order {order_id} is missing")
            continue
        if _RANK[order["orderStatus"]] < _RANK[what.status]:
            report.problems.append(f"restarted exchange: order {order_id} went back to live")
        for exec_id in what.fills:
            if exec_id not in fills:
                report.problems.append(f"restarted exchange: fill {exec_id} is missing")


# -- the rounds ----------------------------------------------------------------------------------


def run_rounds(
    workdir: Path,
    *,
    rounds: int = 12,
    seed: int = 1,
    kill_after: tuple[float, float] = (0.1, 1.0),
    log: Any = None,
) -> Report:
    """Kill and restart the exchange ``rounds`` times on one file; check after each kill."""
    rng = random.Random(seed)
    data = workdir / "paper.sqlite3"
    seen: dict[str, Seen] = {}
    report = Report()
    driver = Driver(rng, seen, report)
    started = time.monotonic()
    for number in range(1, rounds + 1):
        port = free_port()
        with exchange_process(data, port) as process:
            if number > 1:
                check_server(port, seen, report)
            delay = rng.uniform(*kill_after)
            killer = threading.Timer(delay, os.killpg, (process.pid, signal.SIGKILL))
            stop = threading.Event()
            poller = threading.Thread(target=_poll, args=(port, stop), daemon=True)
            killer.start()
            poller.start()
            client = _client(port)
            try:
                while True:
                    driver.step(client)
            except Exception:
                pass  # the kill: this write (if any) is unanswered
            finally:
                killer.join()
                stop.set()
                poller.join(5)
                client.close()
            process.wait()
        check_file(data, seen, report)
        report.rounds = number
        if log is not None:
            log(f"round {number}: killed after {delay:.2f} s; {report.summary()}")
    port = free_port()
    with exchange_process(data, port):  # the last kill's restart
        check_server(port, seen, report)
    report.seconds = time.monotonic() - started
    return report


# -- cost of commit-before-answer ------------------------------------------------------------


def _venue_writes(venue: Any, trader: Any, writes: int) -> float:
    """ms per write: place a resting order, then cancel it (two logged calls per pair)."""
    start = time.perf_counter()
    for i in range(writes // 2):
        ack = venue.call(
            "submit_new_order",
            {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
             "qty": "0.001", "price": "50000", "clientOid": f"w{i}"},
            trader,
        )  # fmt: skip
        venue.call("cancel_order", {"orderId": ack["orderId"]}, trader)
    return (time.perf_counter() - start) * 1000 / (writes // 2 * 2)


def _http_writes(ex: bg.LocalExchange, writes: int) -> float:
    """Signed HTTP writes per second (place + cancel pairs, client limiter and retries off)."""
    with bg.BitgetClient(**ex.credentials, base_url=ex.base_url, rate_limit=False) as client:
        start = time.perf_counter()
        for _ in range(writes // 2):
            ack = client.submit_new_order(
                category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit",
                qty="0.001", price="50000", raw=True,
            )  # fmt: skip
            client.cancel_order(orderId=ack["data"]["orderId"], raw=True)
        return (writes // 2 * 2) / (time.perf_counter() - start)


def measure_cost(writes: int) -> None:
    from bitget_nb.exchange.clock import ManualClock
    from bitget_nb.exchange.persistence import open_journal
    from bitget_nb.exchange.venue import Venue

    start_ms = 1_748_736_000_000
    with tempfile.TemporaryDirectory() as tmp:
        memory = Venue(clock=ManualClock(start_ms), seed=7)
        results = {"in memory": _venue_writes(memory, memory.trader, writes)}
        for mode in ("FULL", "NORMAL"):
            journal = open_journal(
                Path(tmp) / f"{mode}.sqlite3", start_ms=start_ms, synchronous=mode
            )
            results[f"file, synchronous={mode}"] = _venue_writes(
                journal.venue, journal.venue.trader, writes
            )
            journal.close()
        print(f"domain core, {writes} writes (place/cancel):")
        for name, ms in results.items():
            print(f"  {name:28s} {ms:7.3f} ms per write")
        with bg.LocalExchange(start_time=start_ms, rate_limits=False) as ex:
            in_memory = _http_writes(ex, writes)
        with bg.LocalExchange(
            start_time=start_ms, rate_limits=False, path=Path(tmp) / "http.sqlite3"
        ) as ex:
            on_file = _http_writes(ex, writes)
        print(f"HTTP, {writes} signed writes through BitgetClient:")
        print(f"  in memory                    {in_memory:7.0f} writes/s")
        print(
            f"  file, synchronous=FULL       {on_file:7.0f} writes/s ({in_memory / on_file:.2f}x)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep the paper account file here")
    parser.add_argument("--cost", action="store_true", help="measure commit-before-answer")
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()
    if args.cost:
        measure_cost(args.writes)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        report = run_rounds(workdir, rounds=args.rounds, seed=args.seed, log=print)
    for problem in report.problems[:20]:
        print("  problem:", problem)
    print(report.summary())
    return 0 if not report.problems and not report.orders_lost else 1


if __name__ == "__main__":
    sys.exit(main())
