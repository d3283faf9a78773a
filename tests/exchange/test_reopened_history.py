"""A reopened paper account leaves its closed orders, its fills and its ledger in the file:
every query answers as if it held them all in memory.

Two twin accounts take the same calls from the same seed and start — one in memory, one in
a file that is closed and reopened halfway (and again near the end) — and then every history,
fills, look-up, position and financial-records query is asked of both, each page followed to
its end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bitget_nb.exchange import LocalExchange, PaperAccountError, state_adapter
from bitget_nb.exchange.orders import OPEN_STATUSES

from .test_persistence import _call, _near, _place, _sql, build_rich_account
from .wire import START, START_MS

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
SPOT_SYMBOLS = ("BTCUSDT", "ETHUSDT")


def _more_activity(ex: LocalExchange, round_: int) -> None:
    """Orders that fill, rest and are cancelled on two spot symbols and a perpetual, a
    clientOid used again once its first order closed, positions opened and closed."""
    _call(ex, "countdown_cancel_all", {"countdown": "0"})  # resting orders stay
    for i in range(12):
        symbol = SPOT_SYMBOLS[i % 2]
        oid = f"r{round_}-{i}"
        if i % 3 == 0:
            _place(ex, "SPOT", symbol, side="buy", orderType="market", qty="30", clientOid=oid)
        elif i % 3 == 1:
            _place(ex, "SPOT", symbol, side="sell", orderType="market",
                   qty="0.001" if symbol == "BTCUSDT" else "0.01", clientOid=oid)  # fmt: skip
        else:
            price = _near(ex, "SPOT", symbol, -500)
            _place(ex, "SPOT", symbol, side="buy", orderType="limit", qty="0.01", price=price,
                   clientOid=oid)  # fmt: skip
            if i % 4 == 2:
                _call(ex, "cancel_order", {"clientOid": oid})
        ex.advance(minutes=7)
    # The clientOid of an order closed before the reopen, used again.
    _place(ex, "SPOT", "BTCUSDT", side="buy", orderType="market", qty="25", clientOid="buy0")
    perp = ("USDT-FUTURES", "ETHUSDT")
    _place(ex, *perp, side="buy", orderType="market", qty="0.2")
    ex.advance(hours=2)
    _call(ex, "close_all_positions", {"category": perp[0]})
    ex.advance(hours=1)


def _pages(ex: LocalExchange, endpoint: str, params: dict[str, Any]) -> list[Any]:
    """Every page of a paged query, following its cursor to the end."""
    pages, cursor = [], None
    for _ in range(200):  # bounded: 200 pages of 3 rows is more than either account holds
        page = _call(ex, endpoint, {**params, **({"cursor": cursor} if cursor else {})})
        pages.append(page)
        if not isinstance(page, dict) or not page.get("list") or not page.get("cursor"):
            return pages
        cursor = page["cursor"]
    raise AssertionError(f"{endpoint} {params}: the cursor never ran out")


def _answers(ex: LocalExchange) -> dict[str, Any]:
    """Every question the twins are asked, by a name that says what it was."""
    now = ex.now_ms()
    windows = {
        "default": {},
        "first-hours": {"startTime": str(START_MS), "endTime": str(START_MS + 3 * HOUR)},
        "middle": {"startTime": str(START_MS + 2 * HOUR), "endTime": str(now - 2 * HOUR)},
        "empty-old": {"startTime": str(START_MS - 5 * DAY), "endTime": str(START_MS - DAY)},
        "last-minutes": {"startTime": str(now - 40 * MINUTE), "endTime": str(now)},
    }
    answers: dict[str, Any] = {}
    for wname, window in windows.items():
        for category, symbol in [
            ("SPOT", None),
            ("SPOT", "BTCUSDT"),
            ("SPOT", "ETHUSDT"),
            ("USDT-FUTURES", None),
            ("USDT-FUTURES", "ETHUSDT"),
        ]:
            filters = {"category": category, **({"symbol": symbol} if symbol else {}), **window}
            label = f"{wname}:{category}:{symbol}"
            for limit in ("3", "100"):
                answers[f"history {label} {limit}"] = _pages(
                    ex, "get_history_orders", {**filters, "limit": limit}
                )
                answers[f"fills {label} {limit}"] = _pages(
                    ex, "get_trade_fills", {**filters, "limit": limit}
                )
            if category == "USDT-FUTURES":
                answers[f"positions {label}"] = _pages(
                    ex, "get_position_history", {**filters, "limit": "2"}
                )
        answers[f"fills {wname} all"] = _pages(ex, "get_trade_fills", {**window, "limit": "7"})
        for category, extra in [
            ("SPOT", {}),
            ("SPOT", {"coin": "USDT"}),
            ("SPOT", {"coin": "BTC", "symbol": "BTCUSDT"}),
            ("SPOT", {"type": "ORDER_DEALT_IN"}),
            ("USDT-FUTURES", {}),
            ("USDT-FUTURES", {"coin": "USDT", "symbol": "ETHUSDT"}),
        ]:
            for limit in ("3", "100"):
                answers[f"ledger {wname}:{category}:{extra} {limit}"] = _pages(
                    ex,
                    "get_financial_records",
                    {"category": category, **extra, **window, "limit": limit},
                )
    history = [
        row
        for category in ("SPOT", "USDT-FUTURES")
        for page in _pages(ex, "get_history_orders", {"category": category, "limit": "100"})
        for row in page["list"]
    ]
    unfilled = _call(ex, "get_unfilled_orders", {"limit": "100"})
    answers["unfilled"] = unfilled
    for row in history + unfilled["list"]:
        oid, coid = row["orderId"], row["clientOid"]
        answers[f"info {oid}"] = _call(ex, "get_order_info", {"orderId": oid})
        answers[f"info coid {coid}"] = _call(ex, "get_order_info", {"clientOid": coid})
        answers[f"fills of {oid}"] = _pages(ex, "get_trade_fills", {"orderId": oid, "limit": "2"})
    answers["unknown id"] = _call(ex, "get_order_info", {"orderId": "1" * 19})
    return answers


def _twins(tmp_path: Path) -> tuple[LocalExchange, LocalExchange, Path]:
    path = tmp_path / "paper.sqlite3"
    return LocalExchange(start_time=START), LocalExchange(path=path, start_time=START), path


@pytest.mark.parametrize("chunks", [state_adapter._CHUNKS, (1, 2, 3)], ids=["chunks", "tiny"])
def test_a_reopened_account_answers_every_query_as_the_account_that_made_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks: tuple[int, ...]
) -> None:
    """(Tiny chunks: every page of the file crosses the ends of the reads behind it.)"""
    monkeypatch.setattr(state_adapter, "_CHUNKS", chunks)
    memory, saved, path = _twins(tmp_path)
    for ex in (memory, saved):
        build_rich_account(ex)
        _more_activity(ex, 1)
    saved.close()
    saved = LocalExchange(path=path)
    store = saved.venue.trading.store
    # Only what is open was read back; the rest is asked of the file.
    assert store._archive is not None and store._archive.order_count > 20
    assert all(o.status in OPEN_STATUSES for o in store._orders.values())
    assert len(store._orders) == len(memory.venue.trading.store.open_orders())
    assert store.fill_count == memory.venue.trading.store.fill_count > 20
    ledger = saved.venue.trading.ledger
    assert ledger.entries == [] and len(ledger) == len(memory.venue.trading.ledger) > 40
    assert _answers(saved) == _answers(memory)

    # Trading goes on: an order open when the file was reopened closes, new orders come,
    # a clientOid of the archive is used again — and the file is reopened once more.
    for ex in (memory, saved):
        resting = [o for o in ex.venue.trading.store.open_orders() if o.category == "SPOT"]
        _call(ex, "cancel_order", {"orderId": resting[0].order_id})
        _more_activity(ex, 2)
    assert _answers(saved) == _answers(memory)
    saved.close()
    with LocalExchange(path=path) as again:
        assert _answers(again) == _answers(memory)
    memory.close()


def test_a_closed_order_is_read_from_the_file_not_kept_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        placed = _place(ex, "SPOT", "BTCUSDT", side="buy", orderType="market", qty="30",
                        clientOid="gone-1")  # fmt: skip
    with LocalExchange(path=path) as again:
        assert placed["orderId"] not in again.venue.trading.store._orders
        info = _call(again, "get_order_info", {"clientOid": "gone-1"})
        assert info["orderId"] == placed["orderId"] and info["orderStatus"] == "filled"


def test_a_damaged_row_met_by_a_later_query_is_a_paper_account_error(tmp_path: Path) -> None:
    """Rows left in the file are parsed when a query reaches them: one that does not parse
    is reported as damage of the file, naming it, not as an error of the exchange."""
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        placed = _place(ex, "SPOT", "BTCUSDT", side="buy", orderType="market", qty="30")
    doc = json.loads(_sql(path, "SELECT doc FROM orders WHERE id = ?", placed["orderId"])[0][0])
    doc["cum_exec_qty"] = "lots"
    _sql(path, "UPDATE orders SET doc = ? WHERE id = ?", json.dumps(doc), placed["orderId"])
    again = LocalExchange(path=path)  # opening reads only what is open: it opens
    try:
        with pytest.raises(PaperAccountError, match=f"{path}.*account record is damaged"):
            again.venue.call("get_order_info", {"orderId": placed["orderId"]}, again.trader)
    finally:
        again.close()
