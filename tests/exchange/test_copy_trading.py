"""Copy trading, lead trader (spec §4.6; defaults.LEAD_CATEGORY): transfers between the
unified account and the lead account, their records, and lead positions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bitget_nb.exchange import defaults

from .desk import Desk

SECOND = 1000


def _transfer(desk: Desk, kind: str, amount: str, coin: str = "USDT") -> str:
    return desk.call("copy_futures_transfer", {"type": kind, "coin": coin, "amount": amount})[
        "transferId"
    ]


def test_transfers_move_balances_both_ways_and_the_records_list_them() -> None:
    desk = Desk()
    usdt = desk.venue.account.balance("USDT")
    first = _transfer(desk, "in", "1500.5")
    assert (usdt.available, desk.venue.lead.balance("USDT")) == (
        Decimal("98499.5"),
        Decimal("1500.5"),
    )
    desk.advance(SECOND)
    second = _transfer(desk, "out", "500")
    desk.advance(SECOND)
    third = _transfer(desk, "in", "0.25", coin="btc")
    assert (usdt.available, desk.venue.lead.balance("USDT")) == (
        Decimal("98999.5"),
        Decimal("1000.5"),
    )
    assert desk.venue.account.balance("BTC").available == Decimal("0.75")
    records = desk.call("get_copy_futures_transfer_records", {})
    assert [r["transferId"] for r in records["list"]] == [third, second, first]
    assert records["cursor"] == ""
    assert [(r["fromType"], r["toType"], r["amount"], r["coin"]) for r in records["list"]] == [
        ("uta", "lead", "0.25", "BTC"),
        ("lead", "uta", "500", "USDT"),
        ("uta", "lead", "1500.5", "USDT"),
    ]
    assert {r["status"] for r in records["list"]} == {defaults.TRANSFER_STATUS}
    # Pages of one, cursor = the transferId of the last row.
    page = desk.call("get_copy_futures_transfer_records", {"limit": "1"})
    assert [r["transferId"] for r in page["list"]] == [third] and page["cursor"] == third
    page = desk.call("get_copy_futures_transfer_records", {"limit": "1", "cursor": page["cursor"]})
    assert [r["transferId"] for r in page["list"]] == [second]
    window = {"startTime": str(desk.now() - SECOND), "endTime": str(desk.now() - SECOND)}
    only = desk.call("get_copy_futures_transfer_records", window)["list"]
    assert [r["transferId"] for r in only] == [second]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "in", "coin": "USDT", "amount": "100000.01"}, "25202"),
        ({"type": "out", "coin": "USDT", "amount": "1"}, "25202"),
        ({"type": "in", "coin": "XYZ", "amount": "1"}, "25201"),
        ({"type": "sideways", "coin": "USDT", "amount": "1"}, "25200"),
        ({"coin": "USDT", "amount": "1"}, "25200"),
        ({"type": "in", "coin": "USDT", "amount": "0.000000001"}, "25200"),
        ({"type": "in", "coin": "USDT", "amount": "-5"}, "25200"),
    ],
)
def test_transfer_refusals_change_nothing(body: dict, code: str) -> None:
    desk = Desk()
    before = desk.snapshot(), dict(desk.venue.lead.balances)
    assert desk.error("copy_futures_transfer", body).code == code
    assert (desk.snapshot(), dict(desk.venue.lead.balances)) == before
    assert desk.call("get_copy_futures_transfer_records", {})["list"] == []


def test_lead_positions_use_up_pair_counts_and_commit_their_margin() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.01")  # before funding: not a lead position
    assert desk.call("get_copy_futures_position_summary", {}) == []
    desk.call("close_all_positions", {"category": "USDT-FUTURES"})
    _transfer(desk, "in", "2000")
    desk.future(side="buy", orderType="market", qty="0.2")
    position = desk.position()
    assert position.lead
    (row,) = desk.call("get_copy_futures_position_summary", {})
    assert (row["symbol"], row["holdSide"], row["holdSize"], row["marginMode"]) == (
        "BTCUSDT",
        "long",
        "0.2000",
        "cross",
    )
    assert Decimal(row["margin"]) == position.margin
    pairs = {p["symbol"]: p for p in desk.call("get_copy_futures_trading_pairs", {})}
    (details,) = pairs["BTCUSDT"]["marginDetails"]
    cap = str(defaults.LEAD_MAX_POSITIONS_PER_SIDE)
    assert (details["maxLongCount"], details["remainingLongCount"]) == (cap, str(int(cap) - 1))
    assert details["remainingShortCount"] == cap
    assert pairs["BTCUSDT"]["leverage"] == "10"
    most = desk.call("get_copy_futures_max_transferable", {"coin": "usdt"})
    assert Decimal(most["maxTransferable"]) == 2000 - position.margin
    assert most["available"] == "2000"
    error = desk.error("copy_futures_transfer", {"type": "out", "coin": "USDT", "amount": "2000"})
    assert error.code == "25202" and "margin of lead positions" in error.msg
    desk.call("close_all_positions", {"category": "USDT-FUTURES"})
    pairs = {p["symbol"]: p for p in desk.call("get_copy_futures_trading_pairs", {})}
    assert pairs["BTCUSDT"]["marginDetails"][0]["remainingLongCount"] == cap
    _transfer(desk, "out", "2000")
    assert desk.venue.lead.balance("USDT") == 0


def test_transfer_in_cannot_use_unrealised_losses() -> None:
    desk = Desk(balances={"USDT": "10000"})
    desk.future(side="buy", orderType="market", qty="1")  # ~6822 margin at 10×
    desk.advance(3_600_000)  # the market fell: an unrealised loss
    free = desk.trading.free("USDT")
    available = desk.venue.account.balance("USDT").available
    assert free < available
    over = format((free + Decimal("0.01")).quantize(Decimal("0.01")), "f")
    assert desk.error("copy_futures_transfer", {"type": "in", "coin": "USDT",
                                                 "amount": over}).code == "25202"  # fmt: skip
