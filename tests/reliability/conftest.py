"""Fixtures for the reliability tests: exchanges with a manual clock, with and without the
exchange's own rate limits."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator

import pytest

import bitget_nb as bg

#: The market time the manual clocks start at.
START = "2026-01-05T00:00:00Z"


@pytest.fixture
def open_exchange() -> Iterator[bg.LocalExchange]:
    """A fresh exchange with its rate limits off (fuzzing and load, not throttling)."""
    with bg.LocalExchange(seed=7, start_time=START, rate_limits=False) as ex:
        yield ex


@pytest.fixture
def limited_exchange() -> Iterator[bg.LocalExchange]:
    """A fresh exchange with Bitget's rate limits on."""
    with bg.LocalExchange(seed=7, start_time=START) as ex:
        yield ex


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ``BITGET_NB_FUZZ_COUNTS=<file>``, write how many fuzz cases ran and how each
    ended (``bench/fuzz_counts.py`` prints them)."""
    target = os.environ.get("BITGET_NB_FUZZ_COUNTS")
    if not target:
        return
    counts = {}
    for name, module in list(sys.modules.items()):
        if name.endswith(("test_http_fuzz", "test_model_fuzz")) and hasattr(module, "SEEN"):
            counts[name.rsplit(".", 1)[-1]] = dict(module.SEEN)
    with open(target, "w") as f:
        json.dump(counts, f)
