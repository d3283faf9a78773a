"""history-position: windows on the close time, symbol filters and cursors (spec §4.3.2).

Positions on two perpetuals in hedge mode open and close at scattered times — one long-lived
position spans most of the others — and every window, filter and page size is checked
against the closed positions filtered by hand.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from .desk import ETH_PERP, PERP, Desk

MINUTE = 60_000


@pytest.fixture(scope="module")
def traded() -> tuple[Desk, list[dict[str, Any]]]:
    """A desk with about 40 closed positions, and every closed row as the history shows it."""
    desk = Desk(balances={"USDT": "1000000"})
    desk.hedge()
    rng = random.Random(11)
    qty = {PERP.symbol: "0.01", ETH_PERP.symbol: "0.1"}
    # Opened first, closed last: its close time is after every other one's.
    desk.future(PERP, side="buy", posSide="long", orderType="market", qty="0.01")
    for _ in range(40):
        inst = rng.choice((PERP, ETH_PERP))
        side = rng.choice(("buy", "sell"))
        pos_side = "long" if side == "buy" else "short"
        if inst is PERP and pos_side == "long":
            pos_side, side = "short", "sell"  # the long-lived position stays as it is
        desk.future(inst, side=side, posSide=pos_side, orderType="market", qty=qty[inst.symbol])
        desk.advance(rng.choice((1, 5, 30, 90)) * MINUTE)
        close = "sell" if side == "buy" else "buy"
        desk.future(inst, side=close, posSide=pos_side, orderType="market",
                    qty=qty[inst.symbol], reduceOnly="yes")  # fmt: skip
        desk.advance(rng.choice((1, 10, 60)) * MINUTE)
    desk.future(PERP, side="sell", posSide="long", orderType="market", qty="0.01",
                reduceOnly="yes")  # fmt: skip
    rows = _all(desk, {"category": "USDT-FUTURES", "limit": "100"})
    assert len(rows) == 41 and not desk.positions(PERP) and not desk.positions(ETH_PERP)
    return desk, rows


def _all(desk: Desk, params: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = desk.call(
            "get_position_history", {**params, **({"cursor": cursor} if cursor else {})}
        )
        rows += page["list"] or []
        cursor = page.get("cursor")
        if not page["list"] or not cursor:
            return rows
    raise AssertionError("the cursor never ran out")


@pytest.mark.parametrize("limit", ["1", "3", "100"])
@pytest.mark.parametrize("symbol", [None, PERP.symbol, ETH_PERP.symbol])
def test_every_window_pages_the_positions_that_closed_in_it_newest_id_first(
    traded: tuple[Desk, list[dict[str, Any]]], symbol: str | None, limit: str
) -> None:
    desk, rows = traded
    closes = sorted(int(r["updatedTime"]) for r in rows)
    opened = min(int(r["createdTime"]) for r in rows)
    rng = random.Random(f"{symbol}{limit}")
    windows = [(closes[0], closes[-1]), (closes[-1], closes[-1]), (opened, closes[3])]
    windows += [tuple(sorted(rng.sample(closes, 2))) for _ in range(12)]
    for start, end in windows:
        params = {"category": "USDT-FUTURES", "startTime": str(start), "endTime": str(end),
                  "limit": limit, **({"symbol": symbol} if symbol else {})}  # fmt: skip
        expected = [
            r["positionId"]
            for r in rows
            if start <= int(r["updatedTime"]) <= end and symbol in (None, r["symbol"])
        ]
        got = [r["positionId"] for r in _all(desk, params)]
        assert got == expected, (start, end)
        assert got == sorted(got, key=int, reverse=True)


def test_the_long_lived_position_is_found_by_its_close_not_its_opening(
    traded: tuple[Desk, list[dict[str, Any]]],
) -> None:
    desk, rows = traded
    longest = max(rows, key=lambda r: int(r["updatedTime"]) - int(r["createdTime"]))
    assert longest["posSide"] == "long" and longest["symbol"] == PERP.symbol
    at = int(longest["updatedTime"])
    page = desk.call("get_position_history", {"category": "USDT-FUTURES", "symbol": PERP.symbol,
                     "startTime": str(at), "endTime": str(at)})  # fmt: skip
    assert [r["positionId"] for r in page["list"]] == [longest["positionId"]]
    # Its id is the oldest: every other position is newer by id, though it closed last.
    assert longest["positionId"] == min((r["positionId"] for r in rows), key=int)
