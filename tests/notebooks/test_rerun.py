"""Every tutorial passes a second Run All in the same kernel and a Restart & Run All with the
stored outputs, on a machine whose own paper account is persistent and in use (as ``make
lab`` leaves it) — and leaves that account exactly as it found it.

nbval itself does the running and the comparing: for each tutorial it gets a copy whose
cells come twice (Run All twice in one kernel; the second half is compared with the stored
outputs as well) and then the tutorial once more in a new kernel (the restart), both on the
same ``BITGET_NB_DATA`` file.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import bitget_nb as bg

from ..tutorials import notebook_env

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TUTORIALS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
#: Bound of one tutorial's three runs (the slowest takes about a third of it).
BOUND_S = 150


def run_all_twice(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with its cells, stored outputs included, a second time after the first."""
    twice = copy.deepcopy(nb)
    again = copy.deepcopy(nb.cells)
    for cell in again:
        cell["id"] = f"{cell['id']}-again"
    twice.cells = [*twice.cells, *again]
    return twice


def a_used_account(path: Path) -> None:
    """A user's persistent paper account in the state that broke the tutorials: hedge mode
    on, and an open order holding a clientOid a tutorial uses."""
    with bg.LocalExchange(path=path, seed=7) as ex:
        trader = ex.trader
        ex.venue.call("set_hold_mode", {"holdMode": "hedge_mode"}, trader)
        order = {"category": "USDT-FUTURES", "symbol": "ETHUSDT", "side": "buy",
                 "orderType": "limit", "qty": "0.1", "price": "2000", "posSide": "long",
                 "clientOid": "seed-tpsl-1"}  # fmt: skip
        ex.venue.call("submit_new_order", order, trader)


def digest(folder: Path, prefix: str) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob(f"{prefix}*"))
    }


@pytest.mark.slow
@pytest.mark.timeout(BOUND_S + 30)
@pytest.mark.parametrize("tutorial", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_a_second_run_all_and_a_restart_give_the_stored_outputs_and_spare_your_account(
    tutorial: Path, tmp_path: Path
):
    account = tmp_path / "paper-account.sqlite3"
    a_used_account(account)
    before = digest(tmp_path, account.name)
    runs = tmp_path / "runs"
    runs.mkdir()
    nb = nbformat.read(tutorial, as_version=4)
    # nbval gives each file its own kernel and runs the files in name order
    nbformat.write(run_all_twice(nb), runs / f"1-{tutorial.stem}-run-all-twice.ipynb")
    nbformat.write(nb, runs / f"2-{tutorial.stem}-restart-and-run-all.ipynb")
    (runs / "pytest.ini").write_text("[pytest]\n")  # not the project's options
    env = {**os.environ, **notebook_env(), "BITGET_NB_DATA": str(account)}
    for var in ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASS", "BITGET_NB_LOCAL_URL"):
        env.pop(var, None)
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval",
        "--nbval-current-env", f"--nbval-sanitize-with={NOTEBOOKS / 'sanitize.cfg'}",
        "--nbval-cell-timeout=60", str(runs),
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=runs, env=env, capture_output=True, text=True, timeout=BOUND_S
    )
    took = time.monotonic() - started
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, f"{tutorial.name} after {took:.0f} s:\n{report}"
    code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed and int(passed.group(1)) == 3 * code_cells, report
    assert digest(tmp_path, account.name) == before  # not opened, not changed
