"""How many fuzz cases ran, and how each ended — the HTTP front and the request models.

    python bench/fuzz_counts.py [--scale 1]

Runs ``tests/reliability/test_http_fuzz.py`` and ``test_model_fuzz.py`` under pytest (at
``--scale`` times their example counts; scale 1 is the suite's own derandomized run) and
prints the cases per outcome and the failures (pytest's verdict).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ["tests/reliability/test_http_fuzz.py", "tests/reliability/test_model_fuzz.py"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "counts.json"
        env = {
            **os.environ,
            "BITGET_NB_FUZZ_COUNTS": str(out),
            "BITGET_NB_FUZZ_SCALE": str(args.scale),
        }
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-o",
                "addopts=",
                *FILES,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        counts = json.loads(out.read_text()) if out.exists() else {}
    for module, seen in counts.items():
        total = sum(seen.values())
        print(f"{module}: {total} cases")
        for outcome, n in sorted(seen.items()):
            print(f"  {n:6d}  {outcome}")
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
    print(f"pytest: {summary}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
