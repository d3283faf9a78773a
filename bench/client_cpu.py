"""The client's own CPU time per call, with the exchange in another process — and what reading
the environment on every call costs.

    python bench/client_cpu.py [--calls 3000]

The local exchange runs as ``python -m bitget_nb exchange`` in a child process (rate limits
off), so this process's CPU time (``time.process_time``) is the client's alone: building and
signing the request, requests/urllib3, decoding the answer — nothing of the server.

Two clients of the same exchange are compared, in interleaved blocks of calls so that machine
noise hits both: the client as it is (the environment's proxy settings read once, when it is
made) and the same client with its session trusting the environment again (requests then
reads the proxy variables, ``NO_PROXY``, ``~/.netrc`` and the CA bundle variables on every
call: the client before proxies were resolved once). A profiled run of each gives the share
of the client's time spent in requests' ``merge_environment_settings``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import bitget_nb as bg

BLOCK = 100


def start_exchange() -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bitget_nb", "exchange", "--no-rate-limits", "--seed", "7"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Press Ctrl+C"):
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the exchange did not start:\n" + "".join(lines))
        lines.append(line)
    text = "".join(lines)

    def found(pattern: str) -> str:
        match = re.search(pattern, text)
        assert match is not None, pattern
        return match.group(1)

    creds = {
        "api_key": found(r"BITGET_API_KEY=(\S+)"),
        "api_secret": found(r"BITGET_API_SECRET=(\S+)"),
        "api_pass": found(r"BITGET_API_PASS=(\S+)"),
    }
    return proc, found(r"listening on (\S+)"), creds


Case = Callable[[bg.BitgetClient], object]


def cpu_block(case: Case, client: bg.BitgetClient) -> float:
    start = time.process_time()
    for _ in range(BLOCK):
        case(client)
    return (time.process_time() - start) / BLOCK


def environment_share(case: Case, client: bg.BitgetClient, calls: int) -> float:
    """The fraction of the profiled client time spent in requests' environment reads."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(calls):
        case(client)
    profile.disable()
    stats = pstats.Stats(profile)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in entries.values())
    scans = sum(ct for (_, _, name), (_, _, _, ct, _) in entries.items()
                if name == "merge_environment_settings")  # fmt: skip
    return scans / total if total else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    proc, url, creds = start_exchange()
    try:
        once = bg.BitgetClient(**creds, base_url=url, rate_limit=False)
        every = bg.BitgetClient(**creds, base_url=url, rate_limit=False)
        every.transport._session.trust_env = True  # requests' default: read it per call
        ticker = {"category": "SPOT", "symbol": "BTCUSDT"}
        cases: dict[str, Case] = {
            "get_balances(raw=True)  signed GET": lambda c: c.get_balances(raw=True),
            "get_tickers(raw=True)   public GET": lambda c: c.get_tickers(ticker, raw=True),
        }
        print(f"client CPU per call, medians of {args.calls // BLOCK} interleaved blocks of "
              f"{BLOCK} calls; exchange in another process")  # fmt: skip
        print(f"{'case':36} {'env read once':>14} {'env per call':>13} {'ratio':>6}"
              f" {'env share (once / per call)':>28}")  # fmt: skip
        for label, case in cases.items():
            for client in (once, every):  # warm-up: connections, caches
                for _ in range(200):
                    case(client)
            a: list[float] = []
            b: list[float] = []
            for i in range(args.calls // BLOCK):
                first, second = (once, every) if i % 2 else (every, once)
                for client in (first, second):
                    (a if client is once else b).append(cpu_block(case, client))
            share_a = environment_share(case, once, 500)
            share_b = environment_share(case, every, 500)
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"{label:36} {ma * 1e3:11.3f} ms {mb * 1e3:10.3f} ms {ma / mb:6.2f}"
                  f" {share_a:13.1%} / {share_b:.1%}")  # fmt: skip
        once.close()
        every.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
