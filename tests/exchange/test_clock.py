"""Clocks and time parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bitget_nb.exchange.clock import Clock, ManualClock, WallClock, to_ms


@pytest.mark.parametrize(
    "value",
    [
        1_700_000_000_000,
        "1700000000000",
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:13:20.000+00:00",
        "2023-11-15T06:13:20+08:00",
        "2023-11-14T22:13:20",
        datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        datetime(2023, 11, 14, 23, 13, 20, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_to_ms_reads_ms_iso_strings_and_datetimes(value: object) -> None:
    assert to_ms(value) == 1_700_000_000_000  # type: ignore[arg-type]


def test_to_ms_keeps_milliseconds_exactly() -> None:
    assert to_ms("2023-11-14T22:13:20.123Z") == 1_700_000_000_123


@pytest.mark.parametrize("value", ["soon", "2023-13-01", True, 1.5, None])
def test_to_ms_refuses_what_is_not_a_time(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        to_ms(value)  # type: ignore[arg-type]


def test_manual_clock_moves_only_when_advanced() -> None:
    clock = ManualClock(1_000)
    assert isinstance(clock, Clock)
    assert clock.now_ms() == clock.now_ms() == 1_000
    assert clock.advance(250) == 1_250 == clock.now_ms()
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_wall_clock_advance_adds_an_offset() -> None:
    clock = WallClock()
    assert isinstance(clock, Clock)
    before = clock.now_ms()
    after = clock.advance(60_000)
    assert 60_000 <= after - before < 65_000
