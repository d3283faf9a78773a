"""What the soak and the input fuzzing found in the client, pinned: each of these was sent
and refused by the exchange for a reason the client could have known (or, for batches,
sent in a shape the API refuses)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import bitget_nb as bg
from bitget_nb.errors import ValidationError

FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}


@pytest.fixture
def client(open_exchange):
    with bg.BitgetClient(
        **open_exchange.credentials, base_url=open_exchange.base_url, rate_limit=False
    ) as c:
        for category in ("SPOT", "USDT-FUTURES"):
            c.get_instruments(category=category)
        yield c


def test_cancel_batch_mixing_categories_goes_out_one_category_per_call_in_input_order(client):
    spot = client.submit_new_order(
        category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit", qty="0.001", price="50000"
    )
    fut = client.submit_new_order(
        **FUT, side="buy", orderType="limit", qty="0.001", price="50000.0"
    )
    result = client.cancel_batch_orders(
        [
            {"category": "USDT-FUTURES", "symbol": "BTCUSDT", "orderId": fut["orderId"]},
            {"category": "SPOT", "symbol": "BTCUSDT", "orderId": spot["orderId"]},
        ]
    )
    assert list(result["orderId"]) == [fut["orderId"], spot["orderId"]]
    assert result["ok"].all()


@pytest.mark.parametrize(
    ("side", "field", "value"),
    [
        ("buy", "takeProfit", "59000.0"),
        ("buy", "stopLoss", "61000.0"),
        ("sell", "takeProfit", "61000.0"),
        ("sell", "stopLoss", "60000.0"),
    ],
)
def test_attached_tpsl_on_the_wrong_side_of_the_limit_price_is_refused_locally(side, field, value):
    with pytest.raises(ValidationError, match=r"must be (above|below) its price") as info:
        bg.PlaceOrderRequestV3(
            **FUT, side=side, orderType="limit", qty="0.001", price="60000.0", **{field: value}
        )
    assert info.value.field == field


def test_a_decimal_longer_than_the_wire_allows_is_refused_locally():
    with pytest.raises(ValidationError, match="up to 20 digits") as info:
        bg.PlaceOrderRequestV3(
            **FUT,
            side="buy",
            orderType="limit",
            qty="0.001",
            price=Decimal("60000.7142857142857142857143"),
        )
    assert info.value.field == "price"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"orderId": "1", "category": False}, "category"),
        ({"orderId": "1", "category": "spot-ish"}, "category"),
        ({"orderId": [0]}, "orderId"),
        ({"clientOid": "a", "symbol": {"x": 1}}, "symbol"),
        ({"orderId": float("nan")}, "orderId"),
    ],
)
def test_cancel_and_modify_ids_of_the_wrong_type_are_refused_locally(client, fields, field):
    for call, extra in ((client.cancel_order, {}), (client.modify_order, {"price": "60000"})):
        with pytest.raises(ValidationError) as info:
            call({**fields, **extra})  # a cancel takes no price: that would be refused first
        assert info.value.field == field


def test_a_symbol_missing_from_a_loaded_category_is_refused_locally(client):
    with pytest.raises(ValidationError, match="not an instrument of USDT-FUTURES") as info:
        client.submit_new_order(
            category="USDT-FUTURES", symbol="NOPE", side="buy", orderType="market", qty="0.001"
        )
    assert info.value.field == "symbol"
    with pytest.raises(ValidationError) as info:
        client.submit_strategy_order(
            category="USDT-FUTURES", symbol="BTCUSD", posSide="long", stopLoss="50000"
        )
    assert info.value.field == "symbol"


@pytest.mark.parametrize("field", ["takeProfit", "stopLoss"])
def test_tpsl_prices_off_the_tick_are_refused_locally_for_orders_and_strategy_orders(client, field):
    value = "70000.05" if field == "takeProfit" else "50000.05"
    with pytest.raises(ValidationError, match=r"tick size 0\.1") as info:
        client.submit_new_order(
            **FUT, side="buy", orderType="market", qty="0.001", **{field: value}
        )
    assert info.value.field == field
    with pytest.raises(ValidationError, match=r"tick size 0\.1") as info:
        client.submit_strategy_order(**FUT, posSide="long", **{field: value})
    assert info.value.field == field
