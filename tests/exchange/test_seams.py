"""The exchange's seams: another market (MarketData) and another fee model (FeeModel) plug in
without touching the core, and drive fills, tickers and fees."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from bitget_nb.exchange import LocalExchange
from bitget_nb.exchange.clock import ManualClock
from bitget_nb.exchange.fees import CatalogueFees, FeeModel, FlatFees
from bitget_nb.exchange.instruments import Catalogue, Instrument
from bitget_nb.exchange.marketdata import Book, Candle, MarketData, PublicTrade, TickerStats
from bitget_nb.exchange.venue import Venue

from .wire import START_MS, Wire

CATALOGUE = Catalogue.bundled()
BTC = CATALOGUE.get("SPOT", "BTCUSDT")
PERP = CATALOGUE.get("USDT-FUTURES", "BTCUSDT")
assert BTC is not None and PERP is not None
PRICES = {"BTC": Decimal("50000"), "ETH": Decimal("2500"), "SOL": Decimal("150")}


class ConstantMarket:
    """Every instrument trades at one fixed price, forever: a one-tick spread around it with
    deep levels, no public trades, flat candles, zero funding."""

    def __init__(self, prices: dict[str, Decimal], *, epoch_ms: int = START_MS) -> None:
        self.prices = prices
        self.epoch_ms = epoch_ms

    def ticks(self, inst: Instrument) -> int:
        return int(self.prices[inst.base_coin] / inst.tick)

    def price(self, inst: Instrument, t_ms: int, price_type: str = "market") -> Decimal:
        return self.ticks(inst) * inst.tick

    def book(self, inst: Instrument, t_ms: int, depth: int) -> Book:
        mid, size = self.ticks(inst), int(Decimal(1000) / inst.step)
        asks = [(mid + 1 + i, size) for i in range(depth)]
        bids = [(mid - 1 - i, size) for i in range(depth)]
        return Book(ts=t_ms, asks=asks, bids=bids)

    def trades(self, inst: Instrument, now_ms: int, limit: int) -> list[PublicTrade]:
        return []

    def candles(
        self,
        inst: Instrument,
        interval: str,
        *,
        now_ms: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int,
        price_type: str = "market",
    ) -> list[Candle]:
        p = self.ticks(inst)
        return [Candle(ts=now_ms // 60_000 * 60_000, open=p, high=p, low=p, close=p, volume=0,
                       turnover=0)]  # fmt: skip

    def ticker_stats(self, inst: Instrument, now_ms: int) -> TickerStats:
        p = self.ticks(inst)
        return TickerStats(last=p, open_24h=p, high_24h=p, low_24h=p, volume_24h=0,
                           turnover_24h=0, index=p, mark=p, funding_rate=Decimal(0),
                           open_interest=0)  # fmt: skip

    def funding_rate(self, inst: Instrument, t_ms: int) -> Decimal:
        return Decimal(0)

    def extremes(
        self, inst: Instrument, start_ms: int, end_ms: int, price_type: str = "market"
    ) -> tuple[int, int]:
        return self.ticks(inst), self.ticks(inst)

    def first_reach(
        self,
        inst: Instrument,
        start_ms: int,
        end_ms: int,
        ticks: int,
        *,
        direction: Literal["down", "up"],
        strict: bool,
        price_type: str = "market",
    ) -> int | None:
        p = self.ticks(inst)
        beyond = p < ticks if direction == "down" else p > ticks
        reached = beyond or (not strict and p == ticks)
        return start_ms // 1000 * 1000 if reached and start_ms <= end_ms else None


def _venue(*, market: MarketData | None = None, fees: FeeModel | None = None) -> Venue:
    return Venue(clock=ManualClock(START_MS), seed=7, market=market, fees=fees)


def _order(venue: Venue, **fields: str) -> dict[str, str]:
    ack = venue.call("submit_new_order", fields, venue.trader)
    return venue.call("get_order_info", {"orderId": ack["orderId"]}, venue.trader)


def test_the_constant_market_is_a_market_and_the_default_fees_are_a_fee_model() -> None:
    assert isinstance(ConstantMarket(PRICES), MarketData)
    assert isinstance(CatalogueFees(), FeeModel) and isinstance(
        FlatFees(Decimal(0), Decimal(0)), FeeModel
    )


def test_a_constant_market_drives_tickers_books_and_market_fills() -> None:
    venue = _venue(market=ConstantMarket(PRICES))
    ticker = venue.call("get_tickers", {"category": "SPOT", "symbol": "BTCUSDT"})[0]
    assert (ticker["lastPrice"], ticker["ask1Price"], ticker["bid1Price"]) == (
        "50000.00",
        "50000.01",
        "49999.99",
    )
    bought = _order(venue, category="SPOT", symbol="BTCUSDT", side="buy", orderType="market",
                    qty="500")  # fmt: skip
    assert bought["orderStatus"] == "filled" and bought["avgPrice"] == "50000.01"
    sold = _order(venue, category="SPOT", symbol="BTCUSDT", side="sell", orderType="market",
                  qty="0.01")  # fmt: skip
    assert sold["avgPrice"] == "49999.99" and sold["cumExecQty"] == "0.010000"
    perp = venue.call("get_tickers", {"category": "USDT-FUTURES", "symbol": "BTCUSDT"})[0]
    assert perp["markPrice"] == perp["indexPrice"] == perp["lastPrice"] == "50000.0"


def test_a_constant_market_fills_a_resting_order_at_its_price_as_the_clock_moves() -> None:
    venue = _venue(market=ConstantMarket(PRICES))
    below = _order(venue, category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit",
                   qty="0.01", price="49000")  # fmt: skip
    at = _order(venue, category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit",
                qty="0.01", price="50000")  # fmt: skip
    assert below["orderStatus"] == at["orderStatus"] == "live"  # neither crosses the ask
    venue.advance(5_000)
    info = {o["orderId"]: o for o in (below, at)}
    now = {oid: venue.call("get_order_info", {"orderId": oid}, venue.trader) for oid in info}
    assert now[below["orderId"]]["orderStatus"] == "live"  # the price never went below 50000
    touched = now[at["orderId"]]
    assert touched["orderStatus"] == "partially_filled"  # a touch fills part (defaults)
    assert touched["cumExecQty"] == "0.005000"
    fill = venue.call("get_trade_fills", {"orderId": at["orderId"]}, venue.trader)["list"][0]
    assert fill["tradeScope"] == "maker" and fill["execPrice"] == "50000.00"


def test_the_local_exchange_serves_the_market_it_is_given_over_http() -> None:
    with LocalExchange(start_time=START_MS, market=ConstantMarket(PRICES), rate_limits=False) as ex:
        assert ex.venue.market.prices is PRICES  # type: ignore[attr-defined]
        response = Wire(ex).get("/api/v3/market/tickers", {"category": "SPOT", "symbol": "ETHUSDT"})
        assert response.json()["data"][0]["lastPrice"] == "2500.00"


def test_a_persistent_exchange_takes_a_fee_model_and_keeps_what_happened(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The account is stored as what happened: reopening it with another fee model keeps its
    fills as they were, and only new fills follow the new model."""
    path = tmp_path / "a.sqlite3"
    sell = {"category": "SPOT", "symbol": "BTCUSDT", "side": "sell", "orderType": "market",
            "qty": "0.01"}  # fmt: skip
    with LocalExchange(path=path, start_time=START_MS) as ex:
        first = ex.venue.call("submit_new_order", sell, ex.venue.trader)
        before = ex.venue.call("get_trade_fills", {"orderId": first["orderId"]}, ex.venue.trader)
    free = FlatFees(maker=Decimal(0), taker=Decimal(0))
    with LocalExchange(path=path, fees=free) as ex:
        again = ex.venue.call("get_trade_fills", {"orderId": first["orderId"]}, ex.venue.trader)
        assert (
            again["list"] == before["list"]
            and Decimal(again["list"][0]["feeDetail"][0]["fee"]) != 0
        )
        second = ex.venue.call("submit_new_order", sell, ex.venue.trader)
        fills = ex.venue.call("get_trade_fills", {"orderId": second["orderId"]}, ex.venue.trader)
        assert {Decimal(f["feeDetail"][0]["fee"]) for f in fills["list"]} == {Decimal(0)}


def test_a_custom_fee_model_changes_what_fills_charge_and_what_fee_rate_reports() -> None:
    flat = FlatFees(maker=Decimal("0.0002"), taker=Decimal("0.002"))
    venue = _venue(fees=flat)
    rates = venue.call("get_fee_rate", {"category": "SPOT", "symbol": "BTCUSDT"}, venue.trader)
    assert rates == {"makerFeeRate": "0.0002", "takerFeeRate": "0.002"}
    order = _order(venue, category="SPOT", symbol="BTCUSDT", side="sell", orderType="market",
                   qty="0.01")  # fmt: skip
    fills = venue.call("get_trade_fills", {"orderId": order["orderId"]}, venue.trader)["list"]
    for fill in fills:
        expected = (Decimal(fill["execValue"]) * flat.taker).quantize(Decimal("0.00000001"))
        assert Decimal(fill["feeDetail"][0]["fee"]) == expected
    assert venue.trading.fees_paid["USDT"] == sum(Decimal(f["feeDetail"][0]["fee"]) for f in fills)


def test_the_fee_model_prices_futures_fills_and_the_break_even() -> None:
    default, free = _venue(), _venue(fees=FlatFees(maker=Decimal(0), taker=Decimal(0)))
    rows = []
    for venue in (default, free):
        venue.call("submit_new_order", {"category": "USDT-FUTURES", "symbol": "BTCUSDT",
                   "side": "buy", "orderType": "market", "qty": "0.01"}, venue.trader)  # fmt: skip
        rows.append(venue.call("get_current_position", {"category": "USDT-FUTURES"},
                               venue.trader)["list"][0])  # fmt: skip
    charged, untaxed = rows
    assert Decimal(charged["openFeeTotal"]) > 0 and Decimal(untaxed["openFeeTotal"]) == 0
    # Without fees the break-even is the entry price; with them it sits above it.
    assert Decimal(untaxed["breakEvenPrice"]) == Decimal(untaxed["avgPrice"]).quantize(
        Decimal("0.1")
    )
    assert Decimal(charged["breakEvenPrice"]) > Decimal(charged["avgPrice"])
