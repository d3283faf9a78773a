"""Leverage, funding, and the account following the positions (spec §4.3.1, §4.4.1,
§4.4.2, §4.4.4; defaults on funding, liquidation and margin ratios)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from bitget_nb.exchange.positions import maintenance_rate

from .desk import ETH_PERP, PERP, Q8, Desk

FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
HOUR = 3_600_000


def _tick(value: Decimal) -> Decimal:
    return (value / PERP.tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * PERP.tick


@pytest.mark.parametrize(
    ("body", "bound"),
    [
        ({**FUT, "leverage": "126"}, "from 1 to 125"),
        ({**FUT, "leverage": "0"}, "from 1 to 125"),
        ({"category": "USDT-FUTURES", "symbol": "ETHUSDT", "leverage": "101"}, "from 1 to 100"),
        ({**FUT, "longLeverage": "200"}, "longLeverage must be an integer from 1 to 125"),
    ],
)
def test_leverage_outside_the_instrument_bounds_is_25200_naming_them(
    body: dict, bound: str
) -> None:
    desk = Desk()
    error = desk.error("set_leverage", body)
    assert error.code == "25200" and bound in error.msg


def test_set_leverage_resizes_the_margin_of_positions_and_open_orders() -> None:
    desk = Desk()
    asks, _ = desk.book(PERP)
    desk.future(side="buy", orderType="market", qty="0.5")
    resting = desk.future(side="buy", orderType="limit", qty="0.1", price="50000.0")
    usdt = desk.venue.account.balance("USDT")
    entry = asks[0][0]
    assert usdt.locked == Decimal("0.5") * entry / 10 + Decimal("5000") / 10
    before = usdt.total
    assert desk.call("set_leverage", {**FUT, "leverage": "20"}) == "success"
    assert usdt.locked == Decimal("0.5") * entry / 20 + Decimal("5000") / 20
    assert usdt.total == before  # margin moves between available and locked only
    row = desk.positions()["long"]
    assert (
        row["leverage"] == "20" and Decimal(row["positionBalance"]) == Decimal("0.5") * entry / 20
    )
    settings = desk.call("get_account_settings", {})
    (config,) = [c for c in settings["symbolConfigList"] if c["category"] == "USDT-FUTURES"
                 and c["symbol"] == "BTCUSDT"]  # fmt: skip
    assert config == {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "marginMode": "crossed",
                      "leverage": "20"}  # fmt: skip
    assert desk.info(resting["orderId"])["orderStatus"] == "live"


def test_lowering_leverage_beyond_the_free_margin_is_25203_and_changes_nothing() -> None:
    desk = Desk(balances={"USDT": "5000"})
    desk.future(side="buy", orderType="market", qty="0.5")  # 3411 margin at 10×
    before = desk.snapshot(), desk.position().margin
    error = desk.error("set_leverage", {**FUT, "leverage": "2"})
    assert error.code == "25203"
    assert (desk.snapshot(), desk.position().margin) == before
    assert desk.positions()["long"]["leverage"] == "10"


def test_isolated_hedge_positions_use_their_own_side_leverage() -> None:
    desk = Desk()
    desk.hedge()
    body = {**FUT, "marginMode": "isolated", "longLeverage": "5", "shortLeverage": "20"}
    assert desk.call("set_leverage", body) == "success"
    desk.future(side="buy", orderType="market", qty="0.1", posSide="long")
    desk.future(side="sell", orderType="market", qty="0.1", posSide="short")
    rows = desk.positions()
    assert (rows["long"]["leverage"], rows["short"]["leverage"]) == ("5", "20")
    assert rows["long"]["marginMode"] == rows["short"]["marginMode"] == "isolated"
    long_, short = desk.position("long"), desk.position("short")
    assert long_.margin == (long_.cost / 5).quantize(Q8)
    assert short.margin == (short.cost / 20).quantize(Q8)
    # posSide aims leverage at one side.
    desk.call("set_leverage", {**FUT, "leverage": "8", "posSide": "short"})
    assert desk.positions()["short"]["leverage"] == "8"
    assert desk.position("short").margin == (short.cost / 8).quantize(Q8)


def test_margin_mode_cannot_switch_while_the_symbol_has_a_position() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="0.01")
    error = desk.error("set_leverage", {**FUT, "leverage": "10", "marginMode": "isolated"})
    assert error.code == "25200" and "cannot change while it has a position" in error.msg
    # Another symbol is free to switch.
    other = {"category": "USDT-FUTURES", "symbol": "ETHUSDT", "leverage": "3",
             "marginMode": "isolated"}  # fmt: skip
    assert desk.call("set_leverage", other) == "success"


def test_funding_is_settled_at_each_funding_time_the_clock_crosses() -> None:
    # START is 12:00 UTC; funding falls at 16:00 (fundInterval 8 h from 00:00 UTC).
    desk = Desk()
    desk.hedge()
    desk.future(side="buy", orderType="market", qty="0.5", posSide="long")
    desk.future(ETH_PERP, side="sell", orderType="market", qty="2", posSide="short")
    usdt = desk.venue.account.balance("USDT")
    before = usdt.total
    desk.advance(4 * HOUR - 1000)  # 15:59:59: nothing yet
    assert usdt.total == before and desk.positions()["long"]["totalFunding"] == "0"
    desk.advance(1000)
    funding_time = desk.now()
    assert funding_time % (8 * HOUR) == 0
    market = desk.venue.market
    rate = market.funding_rate(PERP, funding_time)
    assert rate == Decimal("0.0001")
    paid = (rate * Decimal("0.5") * desk.price(PERP, "mark", funding_time)).quantize(Q8)
    received = (rate * 2 * desk.price(ETH_PERP, "mark", funding_time)).quantize(Q8)
    assert Decimal(desk.positions()["long"]["totalFunding"]) == -paid
    assert Decimal(desk.positions(ETH_PERP)["short"]["totalFunding"]) == received
    assert usdt.total == before - paid + received
    desk.advance(8 * HOUR - 1000)  # to 23:59:59: one funding only so far
    assert Decimal(desk.positions()["long"]["totalFunding"]) == -paid


def test_assets_follow_the_positions_equity_is_balance_plus_unrealised_pnl() -> None:
    desk = Desk()
    desk.future(side="buy", orderType="market", qty="1")
    desk.advance(HOUR)  # the market fell: the long is losing
    assets = desk.call("get_balances", {})
    position = desk.position()
    mark = desk.price(PERP, "mark")
    upnl = position.size * mark - position.cost
    assert upnl < 0
    usdt = desk.venue.account.balance("USDT")
    (row,) = [a for a in assets["assets"] if a["coin"] == "USDT"]
    assert Decimal(row["equity"]) == usdt.total + upnl
    assert Decimal(row["balance"]) == usdt.total and Decimal(row["locked"]) == position.margin
    # Unrealised losses of crossed positions are not free (defaults.CROSS_LOSSES_REDUCE_AVAILABLE).
    assert Decimal(row["available"]) == usdt.available + upnl
    assert Decimal(assets["unrealisedPnl"]) == upnl
    assert Decimal(assets["imr"]) == position.margin
    mmr = (position.size * mark * maintenance_rate(PERP)).quantize(Q8)
    assert Decimal(assets["mmr"]) == mmr
    equity = Decimal(assets["accountEquity"])
    coins = sum(Decimal(a["usdValue"]) for a in assets["assets"])
    assert abs(equity - coins) <= Decimal("0.00000004")
    assert Decimal(assets["mgnRatio"]) == (mmr / equity).quantize(Q8)
    assert Decimal(assets["positionMgnRatio"]) == (position.margin / equity).quantize(Q8)


def test_assets_carry_the_position_value_and_the_leverage_it_makes() -> None:
    # spec §10.2: positionValue (USD, at the mark) and leverage at the top of account/assets
    desk = Desk()
    before = desk.call("get_balances", {})
    assert (before["positionValue"], before["leverage"]) == ("0", "1")
    desk.future(side="buy", orderType="market", qty="1")
    desk.future(inst=ETH_PERP, side="sell", orderType="market", qty="10")
    assets = desk.call("get_balances", {})
    value = sum(
        desk.position(side, inst).size * desk.price(inst, "mark")
        for side, inst in (("long", PERP), ("short", ETH_PERP))
    )
    assert Decimal(assets["positionValue"]) == value.quantize(Q8)
    # what the account holds at market value (usdValue is equity × the coin's USD price)
    held = sum(
        desk.venue.account.balance(a["coin"]).total * Decimal(a["usdValue"]) / Decimal(a["equity"])
        for a in assets["assets"]
    )
    leverage = (held + value) / Decimal(assets["accountEquity"])
    assert abs(Decimal(assets["leverage"]) - leverage) < Decimal("0.000001")
    assert Decimal(assets["leverage"]) > 1


def test_liquidation_and_break_even_estimates_follow_the_documented_formulas() -> None:
    desk = Desk(balances={"USDT": "10000"})
    desk.call("set_leverage", {**FUT, "leverage": "20", "marginMode": "isolated"})
    desk.future(side="buy", orderType="market", qty="1")
    position = desk.position()
    row = desk.positions()["long"]
    entry, margin, mmr = position.avg_price, position.margin, Decimal("0.004")
    assert Decimal(row["mmr"]) == mmr
    # Isolated long: (E − M/Q) / (1 − mmr).
    assert Decimal(row["liquidationPrice"]) == _tick((entry - margin) / (1 - mmr))
    # Break-even: closing at it (taker fee included) nets the open fee back.
    net = -position.open_fee
    assert Decimal(row["breakEvenPrice"]) == _tick((entry - net) / (1 - Decimal("0.0006")))
    # Crossed: the whole free USDT stands behind the position, so liquidation is further away.
    crossed = Desk(balances={"USDT": "10000"})
    crossed.call("set_leverage", {**FUT, "leverage": "20"})
    crossed.future(side="buy", orderType="market", qty="1")
    usdt = crossed.venue.account.balance("USDT")
    backing = usdt.total  # nothing else open
    expected = _tick((crossed.position().avg_price - backing) / (1 - mmr))
    assert Decimal(crossed.positions()["long"]["liquidationPrice"]) == expected
    assert expected < Decimal(row["liquidationPrice"])
