"""Instrument rules: tick, lot step, minimums, with messages that say what to do."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bitget_nb.errors import ValidationError
from bitget_nb.rules import InstrumentRules

FUTURES = InstrumentRules.from_record(
    {"symbol": "BTCUSDT", "category": "USDT-FUTURES", "priceMultiplier": "0.1",
     "quantityMultiplier": "0.001", "minOrderQty": "0.001", "minOrderAmount": "5",
     "maxOrderQty": "100", "maxMarketOrderQty": "50"}
)  # fmt: skip
SPOT = InstrumentRules.from_record(
    {"symbol": "BTCUSDT", "category": "SPOT", "pricePrecision": "2", "quantityPrecision": "6",
     "quotePrecision": "8", "minOrderQty": "0.00001", "minOrderAmount": "1"}
)  # fmt: skip


def messages(rules, **order):
    return [(v.field, v.code, v.message) for v in rules.violations(**order)]


def test_futures_tick_and_step_come_from_the_multipliers():
    assert (FUTURES.tick, FUTURES.step) == (Decimal("0.1"), Decimal("0.001"))


def test_spot_tick_and_step_come_from_the_precisions():
    assert (SPOT.tick, SPOT.step, SPOT.quote_step) == (
        Decimal("0.01"), Decimal("0.000001"), Decimal("0.00000001")
    )  # fmt: skip


def test_off_tick_price_names_the_two_nearest_valid_prices():
    [(field, code, text)] = messages(FUTURES, side="buy", orderType="limit", qty="0.01",
                                     price="60000.05")  # fmt: skip
    assert (field, code) == ("price", "25244")
    assert text == (
        "price 60000.05 is not a multiple of the tick size 0.1 for BTCUSDT; try 60000 or 60000.1"
    )


def test_off_step_qty_names_the_two_nearest_valid_quantities():
    [(field, code, text)] = messages(FUTURES, side="buy", orderType="limit", qty="0.0015",
                                     price="60000")  # fmt: skip
    assert (field, code) == ("qty", "25610")
    assert text.endswith("try 0.001 or 0.002")


def test_minimum_quantity_and_minimum_notional():
    found = messages(FUTURES, side="buy", orderType="limit", qty="0.0001", price="1000")
    codes = [c for _, c, _ in found]
    assert "25611" in codes and "25207" in codes
    notional = next(t for _, c, t in found if c == "25207")
    assert "needs qty ≥ 0.005" in notional


def test_notional_of_a_market_order_uses_a_reference_price_when_given():
    assert messages(SPOT, side="sell", orderType="market", qty="0.00001") == []
    found = messages(SPOT, side="sell", orderType="market", qty="0.00001", reference_price="60000")
    assert [c for _, c, _ in found] == ["25207"]


def test_spot_market_buy_is_sized_in_quote_coin():
    assert SPOT.quote_sized(side="buy", orderType="market")
    assert messages(SPOT, side="buy", orderType="market", qty="100") == []
    [(field, code, text)] = messages(SPOT, side="buy", orderType="market", qty="0.5")
    assert (field, code) == ("qty", "25207") and "quote coin" in text


def test_maximum_quantity_differs_for_market_orders():
    assert [c for _, c, _ in messages(FUTURES, side="buy", orderType="market", qty="60")] == [
        "25208"
    ]
    assert messages(FUTURES, side="buy", orderType="limit", qty="60", price="60000") == []


def test_check_raises_the_first_violation_as_a_validation_error():
    with pytest.raises(ValidationError) as info:
        FUTURES.check(side="buy", orderType="limit", qty="0.0015", price="60000.05")
    assert info.value.field == "price"


@pytest.mark.parametrize(
    ("mode", "expected"), [("nearest", "60000.4"), ("down", "60000.3"), ("up", "60000.4")]
)
def test_round_price_to_the_tick(mode, expected):
    assert FUTURES.round_price("60000.37", mode) == Decimal(expected)


def test_round_qty_defaults_to_down_so_an_order_never_grows():
    assert FUTURES.round_qty("0.0019") == Decimal("0.001")
    assert SPOT.round_qty("123.456789123", quote=True) == Decimal("123.45678912")
