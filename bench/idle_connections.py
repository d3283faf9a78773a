"""Thousands of idle keep-alive connections, closed at once: is a fresh client still answered?

    python bench/idle_connections.py [--connections 2500] [--rounds 1]

The exchange runs in a process of its own (rate limits off), as a notebook kernel's would.
This process opens ``--connections`` keep-alive connections to it, each sends one request
and reads its answer, and then they sit idle. Then it:

1. times a fresh request (a new connection) while they are all idle;
2. closes them all at once (the wall time of the closing loop is printed);
3. at once times a fresh request again, and keeps sending one every 0.1 s for a few
   seconds, printing the slowest: the exchange must answer a new client within a second.

The soft limit on open files is raised (to the hard limit) when it is too low for the
connections; the exchange's process inherits it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import socket
import statistics
import time

#: One small public request (spec §3: server time), HTTP/1.1 keep-alive.
REQUEST = b"GET /api/v2/public/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
#: How long a fresh request may take before it counts as unanswered.
FRESH_TIMEOUT_S = 60.0


def _serve(conn, stop) -> None:  # the exchange's process
    import bitget_nb as bg

    with bg.LocalExchange(seed=7, rate_limits=False) as ex:
        conn.send(ex.base_url)
        stop.wait()


def _raise_open_files(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _read_answer(sock: socket.socket) -> None:
    """Read one HTTP answer with a Content-Length body (the exchange always sends one)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65_536)
        if not chunk:
            raise ConnectionError("closed before the headers")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65_536)
        if not chunk:
            raise ConnectionError("closed before the body")
        body += chunk


def _fresh_request(address: tuple[str, int]) -> float:
    """Seconds from connect to the whole answer on a new connection."""
    started = time.perf_counter()
    with socket.create_connection(address, timeout=FRESH_TIMEOUT_S) as sock:
        sock.sendall(REQUEST)
        _read_answer(sock)
    return time.perf_counter() - started


def _round(address: tuple[str, int], connections: int) -> dict[str, float]:
    idle: list[socket.socket] = []
    started = time.perf_counter()
    for _ in range(connections):
        sock = socket.create_connection(address, timeout=FRESH_TIMEOUT_S)
        sock.sendall(REQUEST)
        _read_answer(sock)
        idle.append(sock)
    opened = time.perf_counter() - started
    time.sleep(0.5)
    before = _fresh_request(address)
    started = time.perf_counter()
    for sock in idle:
        sock.close()
    closing = time.perf_counter() - started
    after = [_fresh_request(address)]
    deadline = time.perf_counter() + 3.0
    while time.perf_counter() < deadline:
        time.sleep(0.1)
        after.append(_fresh_request(address))
    return {
        "open_s": opened,
        "before_ms": before * 1000,
        "close_s": closing,
        "first_after_ms": after[0] * 1000,
        "worst_after_ms": max(after) * 1000,
        "median_after_ms": statistics.median(after) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=2_500)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    limit = _raise_open_files(2 * args.connections + 256)
    print(f"open-file soft limit: {limit}")
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    stop = ctx.Event()
    server = ctx.Process(target=_serve, args=(child, stop), daemon=True)
    server.start()
    try:
        url = parent.recv()
        host, port = url.removeprefix("http://").rsplit(":", 1)
        address = (host, int(port))
        for n in range(1, args.rounds + 1):
            r = _round(address, args.connections)
            print(
                f"round {n}: {args.connections} idle keep-alive connections opened in "
                f"{r['open_s']:.2f} s; fresh request while idle {r['before_ms']:.1f} ms; "
                f"closed all in {r['close_s'] * 1000:.0f} ms; fresh request right after "
                f"{r['first_after_ms']:.1f} ms, worst over the next 3 s "
                f"{r['worst_after_ms']:.1f} ms (median {r['median_after_ms']:.1f} ms)"
            )
    finally:
        stop.set()
        server.join(15)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main()
