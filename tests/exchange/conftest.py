"""Fixtures for the local exchange tests: running exchanges and a signing HTTP helper."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bitget_nb.exchange import LocalExchange

from .wire import START, Wire


@pytest.fixture(scope="session")
def shared_exchange() -> Iterator[LocalExchange]:
    """One exchange for read-only tests (manual clock at START, rate limits off)."""
    with LocalExchange(seed=7, start_time=START, rate_limits=False) as ex:
        yield ex


@pytest.fixture(scope="session")
def wire(shared_exchange: LocalExchange) -> Wire:
    return Wire(shared_exchange)


@pytest.fixture
def fresh_exchange() -> Iterator[LocalExchange]:
    """An exchange of its own (rate limits on) for tests that change state or time."""
    with LocalExchange(seed=7, start_time=START) as ex:
        yield ex


@pytest.fixture
def fresh_wire(fresh_exchange: LocalExchange) -> Wire:
    return Wire(fresh_exchange)


@pytest.fixture
def trading_exchange() -> Iterator[LocalExchange]:
    """An exchange of its own with rate limits off, for tests that place many orders."""
    with LocalExchange(seed=7, start_time=START, rate_limits=False) as ex:
        yield ex


@pytest.fixture
def trading_wire(trading_exchange: LocalExchange) -> Wire:
    return Wire(trading_exchange)
