"""PlaceOrderRequestV3: validated, exact, with the wire's names (spec §4.1.1, §6)."""

from __future__ import annotations

import dataclasses
import inspect
import traceback
import warnings
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bitget_nb import models
from bitget_nb.errors import ValidationError
from bitget_nb.models import PlaceOrderRequestV3, SeedAliasWarning, decimal_text
from bitget_nb.vocab import CLIENT_OID

SPOT = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit"}


def order(**fields):
    return PlaceOrderRequestV3(**{**SPOT, "qty": "0.001", "price": "60000", **fields})


def test_payload_is_exactly_the_set_fields_as_strings():
    req = order(clientOid="abc-1", timeInForce="post_only")
    assert req.to_payload() == {
        "category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
        "qty": "0.001", "price": "60000", "timeInForce": "post_only", "clientOid": "abc-1",
    }  # fmt: skip


def test_a_client_oid_is_generated_when_none_is_given():
    a, b = order(), order()
    assert CLIENT_OID.match(a.clientOid) and a.clientOid != b.clientOid


@pytest.mark.parametrize("oid", ["", "has space", "x" * 33, "semi;colon"])
def test_client_oid_must_match_the_exchange_pattern(oid):
    with pytest.raises(ValidationError) as info:
        order(clientOid=oid)
    assert info.value.field == "clientOid"


@pytest.mark.parametrize(
    ("field", "value"),
    [("side", "long"), ("orderType", "stop"), ("timeInForce", "day"), ("category", "FX"),
     ("stpMode", "cancel_all")],
)  # fmt: skip
def test_enums_are_checked_and_the_error_names_the_field(field, value):
    with pytest.raises(ValidationError) as info:
        order(**{field: value})
    assert info.value.field == field and repr(value) in str(info.value)


def test_enum_values_and_category_are_normalised():
    req = order(category="usdt-futures", symbol="btcusdt", side="BUY", posSide="LONG")
    assert (req.category, req.symbol, req.side, req.posSide) == (
        "USDT-FUTURES", "BTCUSDT", "buy", "long"
    )  # fmt: skip


def test_limit_orders_need_a_price_and_market_orders_take_none():
    with pytest.raises(ValidationError, match="price: required for a limit order"):
        PlaceOrderRequestV3(**SPOT, qty="1")
    with pytest.raises(ValidationError, match="market order takes no price"):
        PlaceOrderRequestV3(**{**SPOT, "orderType": "market"}, qty="100", price="1")


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("0.00010"), "0.00010"), ("0.001", "0.001"), (60000, "60000"), (0.5, "0.5"),
     (60000.0, "60000.0"), (Decimal("1E-5"), "0.00001")],
)  # fmt: skip
def test_decimals_go_out_exactly(value, text):
    assert decimal_text(value, "qty") == text


@pytest.mark.parametrize("value", [0.1, 1e-05, 0.30000000000000004, float("nan"), "1e-5",
                                   "-1", "0", "", "abc", True, [1]])  # fmt: skip
def test_inexact_or_malformed_amounts_are_refused(value):
    with pytest.raises(ValidationError) as info:
        decimal_text(value, "qty")
    assert info.value.field == "qty"


def test_float_error_tells_what_to_pass_instead():
    with pytest.raises(ValidationError, match=r"pass the string '0\.1'"):
        order(qty=0.1)


@pytest.mark.parametrize("field", ["posSide", "marginMode", "takeProfit"])
def test_futures_only_fields_are_refused_on_spot(field):
    value = {"posSide": "long", "marginMode": "crossed", "takeProfit": "70000"}[field]
    with pytest.raises(ValidationError) as info:
        order(**{field: value})
    assert info.value.field == field


def test_tp_sl_limit_order_type_needs_its_limit_price():
    fut = {**SPOT, "category": "USDT-FUTURES", "qty": "0.01", "price": "60000"}
    with pytest.raises(ValidationError, match="tpLimitPrice: required"):
        PlaceOrderRequestV3(**fut, takeProfit="70000", tpOrderType="limit")
    ok = PlaceOrderRequestV3(**fut, takeProfit="70000", tpOrderType="limit", tpLimitPrice="69900")
    assert ok.to_payload()["tpLimitPrice"] == "69900"


def test_seed_aliases_are_translated_with_one_warning_each(monkeypatch):
    monkeypatch.setattr(models, "_warned", set())
    seed_style = {
        **SPOT, "category": "USDT-FUTURES", "qty": "0.01", "price": "60000",
        "takeProfitPrice": "70000", "stopLossPrice": "55000",
        "takeProfitTriggerType": "mark_price", "stopLossTriggerType": "last_price",
    }  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = PlaceOrderRequestV3.from_mapping(seed_style)
        PlaceOrderRequestV3.from_mapping(seed_style)  # the same aliases again: no new warning
    payload = req.to_payload()
    assert payload["takeProfit"] == "70000" and payload["stopLoss"] == "55000"
    assert payload["tpTriggerBy"] == "mark" and payload["slTriggerBy"] == "market"
    assert "takeProfitPrice" not in payload
    messages = [str(w.message) for w in caught if issubclass(w.category, SeedAliasWarning)]
    assert len(messages) == 6  # four field names and two values, each once
    assert any("'takeProfit'" in m for m in messages)


def test_unknown_fields_are_refused_with_the_list_of_real_ones():
    with pytest.raises(ValidationError, match="not a field of PlaceOrderRequestV3") as info:
        PlaceOrderRequestV3.from_mapping({**SPOT, "qty": "1", "price": "1", "size": "1"})
    assert info.value.field == "size"


def test_amounts_are_keyword_only():
    with pytest.raises(TypeError):
        PlaceOrderRequestV3("SPOT", "BTCUSDT", "buy", "limit", "0.001")  # type: ignore[misc]


def test_replace_revalidates_and_keeps_the_client_oid():
    req = order()
    moved = req.replace(price="61000")
    assert moved.price == "61000" and moved.clientOid == req.clientOid
    with pytest.raises(ValidationError):
        req.replace(price="-1")


def test_seed_trigger_values_are_translated_in_any_case(monkeypatch):
    monkeypatch.setattr(models, "_warned", set())
    with pytest.warns(SeedAliasWarning, match="'mark'"):
        req = PlaceOrderRequestV3.from_mapping(
            {**SPOT, "category": "USDT-FUTURES", "qty": "0.01", "price": "60000",
             "takeProfit": "70000", "tpTriggerBy": "MARK_PRICE"}
        )  # fmt: skip
    assert req.tpTriggerBy == "mark"


# -- the seed documentation's names wherever a request is built -------------------------------
def test_the_constructor_takes_the_seed_names_and_translates_them_warning_once(monkeypatch):
    monkeypatch.setattr(models, "_warned", set())
    fut = {**SPOT, "category": "USDT-FUTURES", "qty": "0.01", "price": "3000", "symbol": "ETHUSDT"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = PlaceOrderRequestV3(**fut, takeProfitPrice="3300", stopLossTriggerType="mark_price",
                                  stopLossPrice="2700")  # fmt: skip
        PlaceOrderRequestV3(**fut, takeProfitPrice="3300")  # already warned: no new warning
    assert (req.takeProfit, req.stopLoss, req.slTriggerBy) == ("3300", "2700", "mark")
    seed = [w for w in caught if issubclass(w.category, SeedAliasWarning)]
    assert len(seed) == 4  # takeProfitPrice, stopLossPrice, stopLossTriggerType, mark_price
    assert {w.filename for w in seed} == {__file__}  # pointed at the line that built it
    assert "'takeProfitPrice' is the seed documentation's name; the wire field is 'takeProfit'" in {
        str(w.message) for w in seed
    }


def test_replace_takes_the_seed_names_too(monkeypatch):
    monkeypatch.setattr(models, "_warned", set())
    fut = order(category="USDT-FUTURES", qty="0.01")
    with pytest.warns(SeedAliasWarning):
        moved = fut.replace(stopLossPrice="59000")
    assert moved.stopLoss == "59000" and moved.clientOid == fut.clientOid


def test_the_constructor_refuses_an_unknown_name_listing_the_fields():
    with pytest.raises(TypeError, match="size: not a field of PlaceOrderRequestV3") as info:
        order(size="1")
    assert isinstance(info.value, ValidationError) and info.value.field == "size"
    assert "its fields: category, symbol, side, orderType, qty, price" in str(info.value)


def test_the_models_signature_is_still_its_fields():
    params = inspect.signature(PlaceOrderRequestV3).parameters
    assert list(params) == [f.name for f in dataclasses.fields(PlaceOrderRequestV3)]
    assert params["qty"].default is inspect.Parameter.empty  # required
    assert params["price"].default is None


def test_a_refused_request_is_raised_from_the_constructors_frame():
    try:
        order(price="-1")
    except ValidationError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
    assert [f.name for f in frames] == [
        "test_a_refused_request_is_raised_from_the_constructors_frame",
        "order",
        "__init__",
    ]


# -- times --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "ms"),
    [
        (1_767_571_200_000, 1_767_571_200_000),
        ("1767571200000", 1_767_571_200_000),
        ("2026-01-05", 1_767_571_200_000),
        ("2026-01-05T00:00:00Z", 1_767_571_200_000),
        ("2026-01-05T01:00:00+01:00", 1_767_571_200_000),
        ("2026-01-05 00:00:00.250", 1_767_571_200_250),
        (datetime(2026, 1, 5, tzinfo=UTC), 1_767_571_200_000),
        (date(2026, 1, 5), 1_767_571_200_000),
    ],
)
def test_times_become_ms_since_the_epoch(value, ms):
    assert models.time_ms(value, "startTime") == ms


@pytest.mark.parametrize("value", ["yesterday", True, 1.5e12, -1, datetime(2026, 1, 5)])
def test_what_is_not_a_time_is_refused_naming_the_field(value):
    with pytest.raises(ValidationError) as info:
        models.time_ms(value, "endTime")
    assert info.value.field == "endTime" and str(info.value).startswith("endTime: ")
