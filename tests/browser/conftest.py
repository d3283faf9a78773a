"""The browser tests' local exchange: started in this process, seeded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import bitget_nb as bg


@pytest.fixture
def exchange() -> Iterator[bg.LocalExchange]:
    with bg.LocalExchange(seed=7) as ex:
        yield ex
