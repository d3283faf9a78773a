"""The round-trip math on Decimals, hand-worked (no HTTP)."""

from __future__ import annotations

from decimal import Decimal as D

from bitget_nb.report._lots import Fill, Funding, SpotBook, futures_pnl, replay, spot_round_trips


def _same(amount: D, source: str, target: str, at_ms: int) -> D:
    return amount


def spot(i: int, side: str, price: str, qty: str, fee: str = "0", coin: str = "USDT") -> Fill:
    return Fill(str(i), "SPOT", "BTCUSDT", side, D(price), D(qty), D(fee), coin, i, "BTC", "USDT",
                client_oid=f"c{i}")  # fmt: skip


def fut(
    i: int,
    side: str,
    price: str,
    qty: str,
    *,
    pos: str = "",
    trade: str = "",
    fee: str = "0",
    category: str = "USDT-FUTURES",
    pnl: str | None = None,
) -> Fill:
    symbol, base, quote = (
        ("BTCUSD", "BTC", "USD") if category == "COIN-FUTURES" else ("BTCUSDT", "BTC", "USDT")
    )
    coin = base if category == "COIN-FUTURES" else quote
    return Fill(str(i), category, symbol, side, D(price), D(qty), D(fee), coin, i, base, quote,
                client_oid=f"c{i}", pos_side=pos, trade_side=trade,
                exec_pnl=None if pnl is None else D(pnl))  # fmt: skip


def test_fifo_sell_closes_the_oldest_lot_first_and_part_of_the_next():
    book = spot_round_trips(
        [spot(1, "buy", "100", "1"), spot(2, "buy", "110", "1"), spot(3, "sell", "120", "1.5")],
        convert=_same,
        inventory={},
    )
    assert [(t.qty, t.entry_value, t.gross, t.open_oid, t.close_oid) for t in book.trips] == [
        (D("1"), D("100"), D("20"), "c1", "c3"),
        (D("0.5"), D("55.0"), D("5.0"), "c2", "c3"),
    ]
    [left] = book.lots["BTC"]
    assert (left.qty, left.price) == (D("0.5"), D("110"))


def test_fractional_quantities_stay_exact():
    book = spot_round_trips(
        [
            spot(1, "buy", "0.1", "0.3"),
            spot(2, "sell", "0.2", "0.1"),
            spot(3, "sell", "0.2", "0.2"),
        ],
        convert=_same,
        inventory={},
    )
    assert sum((t.qty for t in book.trips), D(0)) == D("0.3")
    assert sum((t.gross for t in book.trips), D(0)) == D("0.03")
    assert book.lots["BTC"] == []


def test_btc_fee_on_a_spot_buy_is_converted_at_that_fills_price_and_shrinks_the_lot():
    book = spot_round_trips(
        [spot(1, "buy", "100", "1", "0.001", "BTC"), spot(2, "sell", "110", "0.999", "0.0999")],
        convert=_same,
        inventory={},
    )
    [trip] = book.trips
    assert trip.qty == D("0.999")
    assert trip.gross == D("9.990")  # 0.999 × (110 − 100)
    assert trip.fees == D("0.1999")  # 0.001 BTC × 100 + 0.0999 USDT
    assert trip.net == D("9.7901")
    total = book.totals[("SPOT", "BTCUSDT")]
    assert (total.realised, total.fees) == (D("9.990"), D("0.1999"))


def test_a_sell_beyond_the_bought_lots_draws_on_the_inventory_at_its_price():
    book = spot_round_trips(
        [spot(1, "sell", "120", "0.5")], convert=_same, inventory={"BTC": (D("1"), D("100"))}
    )
    [trip] = book.trips
    assert trip.inventory and trip.gross == D("10.0") and trip.open_oid == ""


def test_a_sell_beyond_every_lot_is_uncovered_and_realises_nothing():
    book = SpotBook(convert=_same)
    book.apply(spot(1, "sell", "120", "0.5"))
    assert book.trips == [] and book.uncovered == {"BTC": D("0.5")}


def test_one_way_flip_without_trade_side_closes_the_long_and_opens_a_short():
    book = replay(
        [fut(1, "buy", "100", "2", fee="0.2"), fut(2, "sell", "90", "3", fee="0.3"),
         fut(3, "buy", "80", "1", fee="0.1")],
        [],
    )  # fmt: skip
    long, short = book.trips
    assert (long.pos_side, long.qty, long.gross, long.fees) == (
        "long",
        D("2"),
        D("-20.00000000"),
        D("0.4"),
    )
    assert (short.pos_side, short.qty, short.entry_price) == ("short", D("1"), D("90"))
    assert short.gross == D("10.00000000") and short.fees == D("0.2")
    assert book.totals[("USDT-FUTURES", "BTCUSDT")].realised == D("-10")
    assert not book.positions


def test_flip_as_the_wire_sends_it_two_fills_close_then_open():
    book = replay(
        [fut(1, "buy", "100", "2", pos="long", trade="open"),
         fut(2, "sell", "90", "2", pos="long", trade="close", pnl="-20"),
         fut(3, "sell", "90", "1", pos="short", trade="open")],
        [],
    )  # fmt: skip
    [long] = book.trips
    assert long.gross == D("-20") and long.close_oid == "c2"
    [(key, position)] = book.positions.items()
    assert key == ("USDT-FUTURES", "BTCUSDT", "short") and position.size == D("1")


def test_partial_closes_keep_one_round_trip_until_flat():
    book = replay(
        [fut(1, "buy", "100", "3", pos="long", trade="open"),
         fut(2, "sell", "110", "1", pos="long", trade="close"),
         fut(3, "sell", "120", "2", pos="long", trade="close")],
        [],
    )  # fmt: skip
    [trip] = book.trips
    assert trip.gross == D("10.00000000") + D("40.00000000")
    assert trip.exit_avg == (D("110") + D("240")) / 3 and trip.fills == 3


def test_hedge_mode_both_sides_are_separate_trips_and_funding_goes_by_size_then_age():
    book = replay(
        [fut(1, "buy", "100", "1", pos="long", trade="open"),
         fut(2, "sell", "100", "2", pos="short", trade="open"),
         fut(20, "sell", "110", "1", pos="long", trade="close"),
         fut(21, "buy", "110", "2", pos="short", trade="close")],
        [Funding("USDT-FUTURES", "BTCUSDT", "USDT", D("0.4"), 10, D("2"), 1),
         Funding("USDT-FUTURES", "BTCUSDT", "USDT", D("-0.1"), 10, D("1"), 2)],
    )  # fmt: skip
    long, short = book.trips
    assert (long.pos_side, long.gross, long.funding) == ("long", D("10.00000000"), D("-0.1"))
    assert (short.pos_side, short.gross, short.funding) == ("short", D("-20.00000000"), D("0.4"))
    assert book.totals[("USDT-FUTURES", "BTCUSDT")].funding == D("0.3")


def test_hedge_funding_of_equal_sizes_goes_in_the_order_the_positions_opened():
    book = replay(
        [fut(1, "buy", "100", "1", pos="long", trade="open"),
         fut(2, "sell", "100", "1", pos="short", trade="open")],
        [Funding("USDT-FUTURES", "BTCUSDT", "USDT", D("-0.1"), 10, D("1"), 1),
         Funding("USDT-FUTURES", "BTCUSDT", "USDT", D("0.1"), 10, D("1"), 2)],
    )  # fmt: skip
    funding = {k[2]: p.trip.funding for k, p in book.positions.items()}
    assert funding == {"long": D("-0.1"), "short": D("0.1")}


def test_inverse_pnl_is_in_the_coin_the_usd_gain_over_the_exit_price():
    assert futures_pnl(True, "short", D("0.5"), D("15000"), D("25000")) == D("0.10000000")
    book = replay(
        [fut(1, "sell", "30000", "0.5", pos="short", trade="open", category="COIN-FUTURES"),
         fut(2, "buy", "25000", "0.5", pos="short", trade="close", category="COIN-FUTURES")],
        [],
    )  # fmt: skip
    [trip] = book.trips
    assert (trip.coin, trip.gross) == ("BTC", D("0.10000000"))
    total = book.totals[("COIN-FUTURES", "BTCUSD")]
    assert total.realised_usdt == D("0.1") * D("25000")  # at the closing fill's price


def test_partial_close_takes_cost_pro_rata_to_twelve_decimals():
    book = replay(
        [fut(1, "buy", "100.1", "1", pos="long", trade="open"),
         fut(2, "buy", "100.2", "2", pos="long", trade="open"),
         fut(3, "sell", "101", "1", pos="long", trade="close")],
        [],
    )  # fmt: skip
    [position] = book.positions.values()
    assert position.cost == D("300.5") - D("100.166666666667")
    assert position.trip.gross == D("0.83333333")


def test_funding_before_the_fills_of_its_millisecond():
    book = replay(
        [fut(10, "buy", "100", "1", pos="long", trade="open")],
        [Funding("USDT-FUTURES", "BTCUSDT", "USDT", D("-0.1"), 10, D("1"), 1)],
    )
    [position] = book.positions.values()
    assert position.trip.funding == 0  # the position did not exist when funding was paid
    assert book.totals[("USDT-FUTURES", "BTCUSDT")].funding == D("-0.1")
