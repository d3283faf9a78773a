"""SIGKILL the standalone exchange at random moments; nothing acknowledged may be lost.

Runs the loop of ``bench/crash_rounds.py`` (which prints the same figures for the issue note:
``python bench/crash_rounds.py``): ``python -m bitget_nb exchange --data FILE`` as a separate
process, a client driving spot and futures orders, cancels and market orders at it, a kill
at a random moment, a restart on the same file — ten times, with a seeded RNG. After every
kill the file is read back and checked exhaustively (acknowledged orders and seen fills there,
``cumExecQty`` = sum of fills, locked = what open orders and positions need, every coin's
balance = initial ± fill flows − fees); after every restart the exchange is asked over HTTP.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _crash_rounds() -> ModuleType:
    # as when it runs as a script, its directory is on the path (it shares bench/_exchange.py)
    if str(ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location(
        "crash_rounds", ROOT / "bench" / "crash_rounds.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("crash_rounds", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_acknowledged_order(tmp_path: Path) -> None:
    crash_rounds = _crash_rounds()
    report = crash_rounds.run_rounds(tmp_path, rounds=10, seed=20240601)
    print("\n" + report.summary())  # visible with -s: the figures of the issue note
    assert report.rounds == 10
    # Real work in every round: each lives 0.1-1 s of wall time, so how many orders it gets
    # acknowledged depends on the machine's load (91-215 seen on 2 cores); 5 a round is the
    # floor of a working exchange, not a figure (bench/crash_rounds.py prints those).
    assert report.acknowledged > 5 * report.rounds and report.fills_seen > 0
    assert (report.orders_lost, report.fills_lost) == (0, 0)
    assert report.problems == []
