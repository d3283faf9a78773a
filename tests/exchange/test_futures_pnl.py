"""Futures PnL arithmetic against hand-computed Decimal cases: margin, fees, realised and
unrealised PnL, partial closes, flips, both hold modes, linear and inverse contracts
(spec §4.1.13, §4.3, §5.3; the inverse contract of exchange.positions)."""

from __future__ import annotations

from decimal import Decimal

from .desk import INVERSE, PERP, Q8, USDC_PERP, Desk

TAKER = Decimal("0.0006")
START_USDT = Decimal(100_000)
MINUTE = 60_000


def fee(value: Decimal) -> Decimal:
    return (value * TAKER).quantize(Q8)


def test_long_opened_and_closed_in_two_parts_books_exact_pnl_fees_and_margin() -> None:
    desk = Desk()
    asks, _ = desk.book(PERP)
    ask = asks[0][0]
    assert ask == Decimal("68220.5")  # the seeded market: the same every run
    qty = Decimal("0.5")  # within the best level: one fill at one price
    order = desk.future(side="buy", orderType="market", qty="0.5")
    assert (order["orderStatus"], order["avgPrice"]) == ("filled", "68220.5")
    assert (order["posSide"], order["tradeSide"], order["holdMode"]) == (
        "long",
        "open",
        "one_way_mode",
    )
    open_fee = fee(qty * ask)  # 20.4661500
    margin = qty * ask / 10  # leverage 10 by default
    assert open_fee == Decimal("20.46615") and margin == Decimal("3411.025")
    usdt = desk.venue.account.balance("USDT")
    assert (usdt.available, usdt.locked) == (START_USDT - margin - open_fee, margin)
    row = desk.positions()["long"]
    mark = desk.price(PERP, "mark")
    assert row["total"] == "0.5000" and Decimal(row["avgPrice"]) == ask
    assert Decimal(row["positionBalance"]) == margin and Decimal(row["openFeeTotal"]) == open_fee
    assert Decimal(row["unrealisedPnl"]) == qty * (mark - ask)
    assert Decimal(row["profitRate"]) == (qty * (mark - ask) / margin).quantize(Q8)

    desk.advance(60 * MINUTE)
    _, bids = desk.book(PERP)
    first = bids[0][0]
    part = desk.future(side="sell", orderType="market", qty="0.2", reduceOnly="yes")
    assert (part["reduceOnly"], part["tradeSide"], part["posSide"]) == ("YES", "close", "long")
    (fill,) = desk.fills(part["orderId"])
    pnl_1 = Decimal("0.2") * (first - ask)
    fee_1 = fee(Decimal("0.2") * first)
    assert Decimal(fill["execPnl"]) == pnl_1 and fill["tradeSide"] == "close"
    assert fill["feeDetail"] == [{"feeCoin": "USDT", "fee": format(fee_1.normalize(), "f")}]
    row = desk.positions()["long"]
    assert row["total"] == "0.3000" and Decimal(row["curRealisedPnl"]) == pnl_1
    assert Decimal(row["positionBalance"]) == margin * 3 / 5  # the share still open
    assert Decimal(row["closeFeeTotal"]) == fee_1

    desk.advance(MINUTE)
    rest = desk.future(side="sell", orderType="market", qty="0.3", reduceOnly="yes")
    fills = desk.fills(rest["orderId"])
    assert len(fills) == 2  # the best bid held less than 0.3: slippage to the next level
    value_2 = Decimal(rest["cumExecValue"])
    pnl_2 = value_2 - Decimal("0.3") * ask
    fee_2 = sum(fee(Decimal(f["execValue"])) for f in fills)
    assert sum(Decimal(f["execPnl"]) for f in fills) == pnl_2
    assert desk.positions() == {}
    (closed,) = desk.call("get_position_history", {"category": "USDT-FUTURES"})["list"]
    assert Decimal(closed["openPriceAvg"]) == ask
    assert Decimal(closed["closePriceAvg"]) == (Decimal("0.2") * first + value_2) / Decimal("0.5")
    assert (closed["openTotalPos"], closed["closeTotalPos"]) == ("0.5", "0.5")
    assert Decimal(closed["cumRealisedPnl"]) == pnl_1 + pnl_2
    assert Decimal(closed["closeFeeTotal"]) == fee_1 + fee_2
    assert Decimal(closed["netProfit"]) == pnl_1 + pnl_2 - open_fee - fee_1 - fee_2
    # Every USDT adds up: start + realised PnL − fees, nothing left locked.
    assert usdt.total == START_USDT + pnl_1 + pnl_2 - open_fee - fee_1 - fee_2
    assert usdt.locked == 0


def test_short_in_hedge_mode_gains_when_the_price_falls_and_pays_taker_fees() -> None:
    desk = Desk()
    desk.hedge()
    _, bids = desk.book(PERP)
    entry = bids[0][0]
    order = desk.future(side="sell", orderType="market", qty="0.5", posSide="short")
    assert (order["posSide"], order["tradeSide"], order["holdMode"]) == (
        "short",
        "open",
        "hedge_mode",
    )
    desk.advance(60 * MINUTE)  # the seeded market falls ~230 USDT in this hour
    asks, _ = desk.book(PERP)
    exit_ = asks[0][0]
    assert exit_ < entry
    close = desk.future(side="buy", orderType="market", qty="0.5", posSide="short")
    assert (close["tradeSide"], close["reduceOnly"]) == ("close", "YES")
    (fill,) = desk.fills(close["orderId"])
    assert Decimal(fill["execPnl"]) == Decimal("0.5") * (entry - exit_) > 0
    usdt = desk.venue.account.balance("USDT")
    half = Decimal("0.5")
    assert usdt.total == START_USDT + half * (entry - exit_) - fee(half * entry) - fee(half * exit_)


def test_one_way_order_against_the_position_flips_it_in_two_fills() -> None:
    desk = Desk()
    asks, _ = desk.book(PERP)
    desk.future(side="buy", orderType="market", qty="0.3")
    _, bids = desk.book(PERP)
    flip = desk.future(side="sell", orderType="market", qty="0.5")
    assert (flip["posSide"], flip["tradeSide"], flip["orderStatus"]) == ("long", "close", "filled")
    fills = desk.fills(flip["orderId"])  # newest first: the open part, then the close part
    assert [(f["tradeSide"], f["posSide"], f["execQty"]) for f in fills] == [
        ("open", "short", "0.2000"),
        ("close", "long", "0.3000"),
    ]
    assert fills[0]["execLinkId"] == fills[1]["execLinkId"]  # one execution, two effects
    price = bids[0][0]
    assert Decimal(fills[1]["execPnl"]) == Decimal("0.3") * (price - asks[0][0])
    assert Decimal(fills[0]["execPnl"]) == 0
    rows = desk.positions()
    assert set(rows) == {"short"} and rows["short"]["total"] == "0.2000"
    assert Decimal(rows["short"]["avgPrice"]) == price
    assert Decimal(rows["short"]["positionBalance"]) == Decimal("0.2") * price / 10
    history = desk.call("get_position_history", {"category": "USDT-FUTURES"})["list"]
    assert [h["posSide"] for h in history] == ["long"]


def test_hedge_mode_holds_a_long_and_a_short_of_one_symbol_at_once() -> None:
    desk = Desk()
    desk.hedge()
    desk.future(side="buy", orderType="market", qty="0.3", posSide="long")
    desk.future(side="sell", orderType="market", qty="0.2", posSide="short")
    rows = desk.positions()
    assert {s: r["total"] for s, r in rows.items()} == {"long": "0.3000", "short": "0.2000"}
    locked = desk.venue.account.balance("USDT").locked
    assert locked == desk.position("long").margin + desk.position("short").margin
    desk.future(side="buy", orderType="market", qty="0.2", posSide="short")  # closes the short
    rows = desk.positions()
    assert set(rows) == {"long"} and rows["long"]["total"] == "0.3000"


def test_coin_futures_are_inverse_with_margin_fees_and_pnl_in_the_base_coin() -> None:
    # COIN-FUTURES (see exchange.positions): qty in BTC, PnL = qty × (exit − entry) / exit in BTC.
    desk = Desk()
    asks, _ = desk.book(INVERSE)
    entry = asks[0][0]
    qty = Decimal("0.1")
    desk.future(INVERSE, side="buy", orderType="market", qty="0.1")
    btc = desk.venue.account.balance("BTC")
    assert (btc.available, btc.locked) == (
        1 - Decimal("0.01") - Decimal("0.00006"),
        Decimal("0.01"),
    )
    row = desk.positions(INVERSE)["long"]
    assert row["marginCoin"] == "BTC" and row["openFeeTotal"] == "0.00006"
    mark = desk.price(INVERSE, "mark")
    assert Decimal(row["unrealisedPnl"]) == (qty * (mark - entry) / mark).quantize(Q8)
    desk.advance(60 * MINUTE)
    _, bids = desk.book(INVERSE)
    exit_ = bids[0][0]
    close = desk.future(INVERSE, side="sell", orderType="market", qty="0.1", reduceOnly="yes")
    pnl = (qty * (exit_ - entry) / exit_).quantize(Q8)
    (fill,) = desk.fills(close["orderId"])
    assert Decimal(fill["execPnl"]) == pnl and fill["feeDetail"][0]["feeCoin"] == "BTC"
    assert btc.total == 1 + pnl - 2 * Decimal("0.00006") and btc.locked == 0


def test_usdc_futures_margin_in_usdc_and_are_refused_without_it() -> None:
    desk = Desk()
    error = desk.error(
        "submit_new_order",
        {"category": "USDC-FUTURES", "symbol": "BTCPERP", "side": "buy", "orderType": "market",
         "qty": "0.1"},
    )  # fmt: skip
    assert error.code == "25203" and "USDC" in error.msg
    funded = Desk(balances={"USDT": "1000", "USDC": "10000"})
    asks, _ = funded.book(USDC_PERP)
    funded.future(USDC_PERP, side="buy", orderType="market", qty="0.1")
    usdc = funded.venue.account.balance("USDC")
    margin, paid = Decimal("0.1") * asks[0][0] / 10, fee(Decimal("0.1") * asks[0][0])
    assert (usdc.available, usdc.locked) == (10_000 - margin - paid, margin)
    assert funded.venue.account.balance("USDT").total == 1000


def test_a_resting_opening_limit_locks_its_margin_and_fills_as_maker_at_its_price() -> None:
    desk = Desk()
    now = desk.now()
    _, low = desk.venue.market.extremes(PERP, now + 1000, now + 3_600_000)
    price = (low + 20) * PERP.tick  # the market goes through it within the hour
    order = desk.future(side="buy", orderType="limit", qty="0.4", price=PERP.price_text(price))
    usdt = desk.venue.account.balance("USDT")
    assert order["orderStatus"] == "live" and usdt.locked == Decimal("0.4") * price / 10
    desk.advance(3_600_000)
    info = desk.info(order["orderId"])
    assert info["orderStatus"] == "filled" and Decimal(info["avgPrice"]) == price
    maker_fee = (Decimal("0.4") * price * Decimal("0.0002")).quantize(Q8)
    row = desk.positions()["long"]
    assert Decimal(row["openFeeTotal"]) == maker_fee
    assert usdt.locked == Decimal(row["positionBalance"]) == Decimal("0.4") * price / 10
