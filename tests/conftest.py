"""Shared fixtures: a fresh local exchange with a manual clock, and a client signed for it."""

from __future__ import annotations

import pytest

import bitget_nb as bg

#: The tests' market time: manual clocks start here and move only with ``advance``.
START = "2026-01-05T00:00:00Z"


@pytest.fixture
def exchange():
    with bg.LocalExchange(seed=7, start_time=START) as ex:
        yield ex


@pytest.fixture
def client(exchange):
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url) as c:
        yield c
