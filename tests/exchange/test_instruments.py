"""The bundled instrument catalogue (sample values in the wire shape of spec §4.5.2)."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bitget_nb.exchange.instruments import Catalogue, _fixed, _fixed_steps

CATALOGUE = Catalogue.bundled()


def test_data_file_says_its_values_are_samples() -> None:
    text = resources.files("bitget_nb.exchange").joinpath("data/instruments.json").read_text()
    note = json.loads(text)["note"]
    assert "SAMPLE" in note and "NOT live" in note


def test_catalogue_covers_spot_and_all_three_futures_lines() -> None:
    symbols = {(i.category, i.symbol) for i in CATALOGUE}
    assert {("SPOT", "BTCUSDT"), ("SPOT", "ETHUSDT"), ("SPOT", "SOLUSDT")} <= symbols
    assert {("USDT-FUTURES", s) for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT")} <= symbols
    assert ("USDC-FUTURES", "BTCPERP") in symbols
    assert {("COIN-FUTURES", "BTCUSD"), ("COIN-FUTURES", "ETHUSD")} <= symbols


def test_every_wire_value_is_a_string() -> None:
    for inst in CATALOGUE:
        assert all(isinstance(v, str) for v in inst.wire.values()), inst.key


def test_spec_sample_values_are_used_for_btcusdt() -> None:
    spot = CATALOGUE.get("SPOT", "BTCUSDT")
    perp = CATALOGUE.get("USDT-FUTURES", "BTCUSDT")
    assert spot is not None and perp is not None
    assert (spot.wire["minOrderQty"], spot.wire["pricePrecision"]) == ("0.00001", "2")
    assert (spot.wire["quantityPrecision"], spot.wire["minOrderAmount"]) == ("6", "1")
    assert (perp.wire["priceMultiplier"], perp.wire["quantityMultiplier"]) == ("0.1", "0.0001")
    assert (perp.wire["maxLeverage"], perp.wire["fundInterval"]) == ("125", "8")


def test_ticks_and_steps_agree_with_the_precisions() -> None:
    for inst in CATALOGUE:
        assert inst.tick >= Decimal(1).scaleb(-inst.price_decimals), inst.key
        assert inst.step >= Decimal(1).scaleb(-inst.qty_decimals), inst.key
        assert inst.min_qty % inst.step == 0, inst.key
        if inst.is_futures:
            assert inst.min_leverage == 1 and inst.max_leverage and inst.max_leverage >= 20


def test_prices_format_with_the_instruments_precision() -> None:
    perp = CATALOGUE.get("USDT-FUTURES", "SOLUSDT")
    assert perp is not None
    assert perp.format_price(150_123) == "150.123"
    assert perp.format_qty(15) == "1.5"


def _document() -> dict:
    return json.loads(
        resources.files("bitget_nb.exchange").joinpath("data/instruments.json").read_text()
    )


def test_the_coin_list_has_each_spot_coin_once_and_says_it_is_sample_data() -> None:
    spot = {c for i in CATALOGUE.in_category("SPOT") for c in (i.base_coin, i.quote_coin)}
    assert [r["coin"] for r in CATALOGUE.spot_coins] == ["BTC", "USDT", "ETH", "SOL", "USDC"]
    assert set(r["coin"] for r in CATALOGUE.spot_coins) == spot
    assert "SAMPLE" in _document()["coins"]["note"]
    assert CATALOGUE.spot_coin("ETH") is not None and CATALOGUE.spot_coin("USD") is None


@pytest.mark.parametrize("change", ["drop", "duplicate", "extra"])
def test_a_coin_list_that_does_not_match_the_spot_coins_is_refused(change: str) -> None:
    document = _document()
    coins = document["coins"]["list"]
    if change == "drop":
        coins.pop()
    elif change == "duplicate":
        coins.append(coins[0])
    else:
        coins.append({**coins[0], "coin": "DOGE"})
    with pytest.raises(ValueError, match="each coin of a spot instrument once"):
        Catalogue(document)


@given(
    count=st.integers(-(10**12), 10**12),
    step=st.sampled_from(["1", "0.5", "0.25", "0.1", "0.01", "0.0001", "0.000001", "5"]),
    decimals=st.integers(0, 8),
)
def test_whole_steps_format_as_the_decimal_rounding_would(count, step, decimals):
    # the integer fast path of prices and sizes on the wire is the Decimal one, digit for digit
    exact = _fixed(Decimal(count) * Decimal(step), decimals)
    assert _fixed_steps(count, Decimal(step), decimals) == exact
