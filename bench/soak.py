"""The fault and load soak of ``tests/reliability/soak.py``, larger than the test runs it.

    python bench/soak.py [--operations 6000] [--threads 4] [--fault-rate 0.04] [--seed 11]

Prints: operations, faults injected by kind, refusals with their reasons, outcome-unknown
count (and what those orders turned out to be), duplicates, lost acknowledged orders,
balance mismatches and state errors — the last four must be 0. Exits 1 if any invariant
broke.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from reliability.soak import SoakConfig, run_soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=6000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--fault-rate", type=float, default=0.04)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    config = SoakConfig(
        operations=args.operations,
        threads=args.threads,
        fault_rate=args.fault_rate,
        seed=args.seed,
    )
    report = run_soak(config, time_limit=3600)
    print(report.summary())
    for problem in report.problems[:50]:
        print("PROBLEM", problem)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
