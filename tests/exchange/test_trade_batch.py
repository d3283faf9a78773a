"""Batch place / modify / cancel and cancel-all: per-item results in input order
(spec §2.3, §4.1.2, §4.1.4, §4.1.6, §4.1.7)."""

from __future__ import annotations

import pytest

from bitget_nb.exchange import defaults

from .desk import Desk

#: A successful item carries the ids only; a failed one adds code and msg (spec §2.3, §10.2).
OK_KEYS = {"orderId", "clientOid"}
FAILED_KEYS = {"orderId", "clientOid", "code", "msg"}


def _item(**fields: str) -> dict[str, str]:
    return {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
            "qty": "0.01", "price": "50000", **fields}  # fmt: skip


def test_place_batch_places_each_item_on_its_own_in_input_order() -> None:
    desk = Desk()
    items = [
        _item(clientOid="b-1"),
        _item(clientOid="b-2", price="50000.001"),  # bad tick
        _item(clientOid="b-3", qty="5"),  # 250 000 USDT: more than the balance
        _item(clientOid="b-4", category="spot"),
        _item(clientOid="b-1"),  # b-1 is open now
    ]
    results = desk.call("place_batch_orders", items)
    assert [r["clientOid"] for r in results] == ["b-1", "b-2", "b-3", "b-4", "b-1"]
    assert [r.get("code") for r in results] == [None, "25244", "25202", None, "25212"]
    assert [set(r) for r in results] == [OK_KEYS, FAILED_KEYS, FAILED_KEYS, OK_KEYS, FAILED_KEYS]
    assert results[0]["orderId"]
    assert results[1]["orderId"] == "" and results[1]["msg"].startswith("Price is not a multiple")
    open_ids = {o["orderId"] for o in desk.call("get_unfilled_orders", {})["list"]}
    assert open_ids == {results[0]["orderId"], results[3]["orderId"]}


@pytest.mark.parametrize(
    ("items", "rule"),
    [
        ([_item(clientOid=f"n-{i}") for i in range(21)], "at most 20"),
        ([_item(), _item(category="USDT-FUTURES")], "one category"),
        ([], "empty"),
    ],
)
def test_a_batch_that_breaks_a_whole_call_rule_fails_with_nothing_placed(
    items: list, rule: str
) -> None:
    desk = Desk()
    error = desk.error("place_batch_orders", items)
    assert error.code == "25200" and rule in error.msg
    assert len(desk.trading.store) == 0


def test_twenty_items_are_accepted() -> None:
    desk = Desk()
    results = desk.call("place_batch_orders", [_item(qty="0.001") for _ in range(20)])
    assert all(set(r) == OK_KEYS for r in results)


def test_a_futures_batch_refuses_attached_tp_sl_item_by_item() -> None:
    # spec §5.4: batch placement does not support attached TP/SL.
    desk = Desk()
    plain = _item(category="USDT-FUTURES", clientOid="fb-1")
    with_tp = _item(category="USDT-FUTURES", clientOid="fb-2", takeProfit="90000")
    results = desk.call("place_batch_orders", [plain, with_tp])
    assert [r.get("code") for r in results] == [None, "25200"]
    assert "cannot carry an attached TP/SL" in results[1]["msg"]
    assert desk.info(results[0]["orderId"])["orderStatus"] == "live"


def test_cancel_batch_succeeds_item_by_item() -> None:
    desk = Desk()
    a = desk.submit(clientOid="k-1", side="buy", orderType="limit", qty="0.01", price="50000")
    b = desk.submit(side="buy", orderType="limit", qty="0.01", price="50001")
    items = [
        {"category": "spot", "symbol": "BTCUSDT", "orderId": a["orderId"]},
        {"category": "SPOT", "symbol": "BTCUSDT", "orderId": "42"},
        {"category": "SPOT", "orderId": b["orderId"]},  # symbol is required per item
        {"category": "SPOT", "symbol": "BTCUSDT", "clientOid": "k-1"},  # already cancelled
        {"category": "SPOT", "symbol": "BTCUSDT", "orderId": b["orderId"]},
    ]
    results = desk.call("cancel_batch_orders", items)
    assert [r.get("code") for r in results] == [None, "25204", "25200", "25204", None]
    assert results[0] == {"orderId": a["orderId"], "clientOid": "k-1"}
    assert desk.call("get_unfilled_orders", {})["list"] == []


def test_batch_modify_changes_each_order_once() -> None:
    desk = Desk()
    a = desk.submit(side="buy", orderType="limit", qty="0.01", price="50000")
    b = desk.submit(side="buy", orderType="limit", qty="0.01", price="50000")
    c = desk.submit(side="buy", orderType="limit", qty="0.01", price="50000")
    items = [
        {"orderId": a["orderId"], "price": "50100"},
        {"orderId": b["orderId"], "price": "50000"},  # unchanged
        {"orderId": a["orderId"], "qty": "0.02"},  # a second entry for a
        {"orderId": b["orderId"], "qty": "0.02"},  # b again, although its first entry failed
        {"orderId": c["orderId"], "qty": "0.03", "category": "SPOT"},
    ]
    results = desk.call("batch_modify_orders", items)
    assert [r.get("code") for r in results] == [None, "25571", "25200", "25200", None]
    assert set(results[0]) == OK_KEYS and set(results[1]) == FAILED_KEYS
    assert "more than once" in results[2]["msg"]
    assert desk.info(a["orderId"])["price"] == "50100.00"
    assert desk.info(b["orderId"])["qty"] == "0.010000"
    assert desk.info(c["orderId"])["qty"] == "0.030000"


def test_cancel_all_cancels_one_symbol_or_the_whole_category() -> None:
    desk = Desk()
    btc = [desk.submit(side="buy", orderType="limit", qty="0.01", price="50000") for _ in range(3)]
    eth = desk.submit(symbol="ETHUSDT", side="buy", orderType="limit", qty="0.01", price="2000")
    data = desk.call("cancel_all_orders", {"category": "spot", "symbol": "BTCUSDT"})
    assert sorted(r["orderId"] for r in data["list"]) == sorted(o["orderId"] for o in btc)
    assert all(set(r) == OK_KEYS for r in data["list"])
    info = desk.info(btc[0]["orderId"])
    assert info["orderStatus"] == "cancelled"
    assert info["cancelReason"] == defaults.CANCEL_REASON_CANCEL_ALL
    assert desk.info(eth["orderId"])["orderStatus"] == "live"
    rest = desk.call("cancel_all_orders", {"category": "SPOT"})
    assert [r["orderId"] for r in rest["list"]] == [eth["orderId"]]
    assert desk.call("cancel_all_orders", {"category": "SPOT"}) == {"list": []}
    assert desk.locked("USDT") == 0
    assert desk.error("cancel_all_orders", {}).code == "25200"
