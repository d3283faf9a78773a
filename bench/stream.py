"""How fast ``client.stream()`` follows the exchange, the exchange in a process of its own.

1. Latency: N limit orders placed over REST on a wall-clock exchange (``python -m bitget_nb
   exchange``); for each, the time from sending the REST request to the moment the order is
   in ``stream.orders`` (measured on the stream's thread, in an ``order`` callback), and the
   same counted from the REST answer. p50 / p99.
2. Book absorption: a child process records the ``books`` frames a manual-clock exchange
   sends while its market moves (real frames, real checksums), then replays them as fast as
   its socket goes to a stream subscribed to that book: updates per second the client
   applies, each checked by sequence and CRC32 (WS §4.3), and its resync count (0 expected).

    PYTHONPATH=. .venv/bin/python bench/stream.py [--orders 200] [--updates 3000]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import textwrap
import threading
import time

from _exchange import ROOT, launched

import bitget_nb as bg

KEY, SECRET, PASS = "bg_bench0123456789abcdef", "bench-secret-0123456789", "bench-pass-0123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(orders: int) -> None:
    ws_port = _free_port()
    args = ("--seed", "7", "--ws-port", str(ws_port), "--no-rate-limits",
            "--api-key", KEY, "--api-secret", SECRET, "--api-pass", PASS)  # fmt: skip
    with launched(*args) as (url, _):
        ws_url = f"ws://127.0.0.1:{ws_port}/v3/ws/private"
        with bg.BitgetClient(KEY, SECRET, PASS, base_url=url, ws_url=ws_url) as client:
            stream = client.stream()
            seen: dict[str, float] = {}
            arrived = threading.Condition()

            def on_order(message: dict) -> None:
                now = time.perf_counter()
                with arrived:
                    for row in message["data"]:
                        seen.setdefault(row["clientOid"], now)
                    arrived.notify_all()

            stream.on("order", on_order)
            stream.subscribe("order")
            price = float(client.get_tickers(category="SPOT", symbol="BTCUSDT")["lastPrice"][0])
            from_send, from_ack, rest = [], [], []
            warm = 10  # the first calls load instrument rules and open connections
            for i in range(-warm, orders):
                oid = f"bench-{i}"
                sent = time.perf_counter()
                client.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy",
                                        orderType="limit", qty="0.001",
                                        price=f"{price * 0.8:.2f}", clientOid=oid)  # fmt: skip
                acked = time.perf_counter()
                with arrived:
                    assert arrived.wait_for(lambda o=oid: o in seen, 10), oid
                if i >= 0:
                    from_send.append(seen[oid] - sent)
                    from_ack.append(seen[oid] - acked)
                    rest.append(acked - sent)
                client.cancel_order(clientOid=oid)
            stream.close()
    ms = 1000.0
    print(f"order placed over REST → seen by the stream, {orders} orders "
          "(exchange in its own process, wall clock):")  # fmt: skip
    print(
        f"  from the REST request: p50 {_pct(from_send, 0.5) * ms:.2f} ms, "
        f"p99 {_pct(from_send, 0.99) * ms:.2f} ms, mean {statistics.mean(from_send) * ms:.2f} ms"
    )
    print(f"  (the REST call itself: p50 {_pct(rest, .5) * ms:.2f} ms, "
          f"p99 {_pct(rest, .99) * ms:.2f} ms)")  # fmt: skip
    print(f"  from the REST answer:  p50 {_pct(from_ack, .5) * ms:.2f} ms, "
          f"p99 {_pct(from_ack, .99) * ms:.2f} ms")  # fmt: skip


#: The child: record `updates` books frames of a manual-clock exchange, then serve them.
_REPLAYER = textwrap.dedent(
    """
    import json, sys, threading
    from websockets.sync.client import connect
    from websockets.sync.server import serve
    from bitget_nb.exchange import LocalExchange

    n = int(sys.argv[1])
    arg = {"instType": "spot", "topic": "books", "symbol": "BTCUSDT"}
    frames = []
    with LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
        with connect(ex.ws_url) as ws:
            ws.send(json.dumps({"op": "subscribe", "args": [arg]}))
            ack = ws.recv(timeout=5)
            frames.append(ws.recv(timeout=5))  # the snapshot
            while len(frames) <= n:
                ex.advance(1)
                frames.append(ws.recv(timeout=5))

    def handler(conn):
        for text in conn:
            if text == "ping":
                conn.send("pong")
            elif '"subscribe"' in text:
                conn.send(ack)
                for frame in frames:
                    conn.send(frame)

    with serve(handler, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(server.socket.getsockname()[1], flush=True)
        sys.stdin.read()  # until the bench is done
    """
)


def _raw_receive(ws_url: str, updates: int) -> float:
    """Frames/s a bare ``websockets`` client receives from the replayer, parsing nothing:
    the ceiling the stream's own work is measured against."""
    from websockets.sync.client import connect

    arg = {"instType": "spot", "topic": "books", "symbol": "BTCUSDT"}
    with connect(ws_url, max_size=None) as ws:
        ws.send(json.dumps({"op": "subscribe", "args": [arg]}))
        ws.recv(timeout=10)
        ws.recv(timeout=10)
        start = time.perf_counter()
        for _ in range(updates):
            ws.recv(timeout=10)
        return updates / (time.perf_counter() - start)


def absorption(updates: int) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _REPLAYER, str(updates)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        port = int(child.stdout.readline())
        ws_url = f"ws://127.0.0.1:{port}/v3/ws/public"
        with bg.BitgetClient(base_url="http://127.0.0.1:9", ws_url=ws_url) as client:
            stream = client.stream()
            marks: list[float] = []
            stream.on("books", lambda m: marks.append(time.perf_counter()))
            stream.subscribe("books", category="SPOT", symbol="BTCUSDT")
            assert stream.wait_until(lambda s: s.stats["book_updates"] >= updates, 120)
            stats = stream.stats
            stream.close()
        seconds = marks[-1] - marks[0]
        ceiling = _raw_receive(ws_url, updates)
        print(f"books updates absorbed (sequence + CRC32 checked), {updates} recorded updates "
              f"replayed from another process:")  # fmt: skip
        print(
            f"  {stats['book_updates'] / seconds:,.0f} updates/s "
            f"({seconds * 1e6 / stats['book_updates']:.0f} µs each), "
            f"checksums verified {stats['checksums_verified']}, resyncs {stats['resyncs']}"
        )
        print(f"  (a bare websockets client that parses nothing: {ceiling:,.0f} frames/s)")
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--updates", type=int, default=3000)
    args = parser.parse_args()
    latency(args.orders)
    absorption(args.updates)


if __name__ == "__main__":
    main()
