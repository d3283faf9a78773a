"""Notebooks run under nbval against a repeatable embedded exchange.

The kernel inherits this process's environment, so fixing the seed and a manual start time
here makes every stored output reproducible. A user's own ``bg.connect()`` (without these
variables) gets a live, moving market instead.
"""

from __future__ import annotations

import os

NOTEBOOK_ENV = {
    "BITGET_NB_ENV": "local",
    "BITGET_NB_SEED": "7",
    "BITGET_NB_START": "2026-01-05T00:00:00Z",
    # In memory (the default under BITGET_NB_START anyway, said here for clarity): stored
    # outputs never depend on an earlier run's paper account, and no run writes the user's.
    "BITGET_NB_DATA": ":memory:",
}


def pytest_configure(config) -> None:
    os.environ.update(NOTEBOOK_ENV)
    for var in ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASS"):
        os.environ.pop(var, None)
