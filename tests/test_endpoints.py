"""The endpoint table is consistent: one row per endpoint, every row complete."""

from __future__ import annotations

import dataclasses

import pytest

from bitget_nb import frames
from bitget_nb.endpoints import BY_ROUTE, ENDPOINTS, Kind, Shape
from bitget_nb.exchange import LocalExchange, defaults
from bitget_nb.exchange.market import INTERVALS
from bitget_nb.exchange.params import ExchangeError
from bitget_nb.models import PlaceOrderRequestV3, StrategyOrderRequestV3
from bitget_nb.vocab import CANDLE_INTERVALS


def test_names_and_routes_are_unique():
    assert len(ENDPOINTS) == len(BY_ROUTE)
    assert len({e.path for e in ENDPOINTS.values()}) == len(ENDPOINTS)


#: The classic V2 rows: public, and called by clients of a UTA account (spec §4.5.1, §10.3).
CLASSIC_PUBLIC = {"/api/v2/public/time", "/api/v2/spot/public/coins"}


def test_every_row_has_a_shape_a_positive_rate_and_a_v3_path_but_two_classic_public_ones():
    for ep in ENDPOINTS.values():
        assert isinstance(ep.shape, Shape)
        assert ep.rate_limit > 0
        assert ep.method in {"GET", "POST"}
        assert ep.path.startswith("/api/v3/") or ep.path in CLASSIC_PUBLIC
        assert ep.summary
    assert all(not ENDPOINTS[n].private for n in ENDPOINTS if ENDPOINTS[n].path in CLASSIC_PUBLIC)


def test_writes_are_signed_posts_and_reads_are_gets():
    for ep in ENDPOINTS.values():
        assert ep.write == (ep.method == "POST")
        if ep.write:
            assert ep.private and ep.trade_permission


def test_public_endpoints_are_exactly_the_market_data_and_time():
    public = {e.path for e in ENDPOINTS.values() if not e.private}
    assert all(
        p.startswith(("/api/v3/market/", "/api/v3/public/")) for p in public - CLASSIC_PUBLIC
    )


def test_record_shapes_name_a_declared_schema():
    for ep in ENDPOINTS.values():
        if ep.shape in {Shape.LIST, Shape.PAGE, Shape.ITEMS, Shape.OBJECT}:
            assert ep.schema in frames.SCHEMAS, ep.name


def test_batch_bodies_are_the_three_batch_endpoints():
    batch = {e.name for e in ENDPOINTS.values() if e.batch_body}
    assert batch == {"place_batch_orders", "batch_modify_orders", "cancel_batch_orders"}


def test_rate_limits_follow_spec_section_3():
    assert ENDPOINTS["submit_new_order"].rate_limit == 10
    assert ENDPOINTS["countdown_cancel_all"].rate_limit == 1
    assert ENDPOINTS["get_account_info"].rate_limit == 5
    assert ENDPOINTS["get_fee_rate"].rate_limit == 3
    assert ENDPOINTS["get_tickers"].scope == "ip"
    assert ENDPOINTS["get_balances"].scope == "uid"


# -- the parameters of each row ------------------------------------------------------------------
def test_every_row_declares_its_parameters_with_their_kinds():
    for ep in ENDPOINTS.values():
        assert ep.params is not None, ep.name
        names = [p.name for p in ep.params]
        assert len(names) == len(set(names)), ep.name
        assert set(ep.one_of) <= set(names), ep.name
        for param in ep.params:
            assert (param.kind is Kind.ENUM) == bool(param.choices), (ep.name, param.name)
            if param.name in {"startTime", "endTime"}:
                assert param.kind is Kind.TIME
            if param.name in {"qty", "price", "amount", "takeProfit", "stopLoss"}:
                assert param.kind is Kind.DECIMAL
            if param.minimum is not None and param.maximum is not None:
                assert param.minimum <= param.maximum


def test_the_order_rows_take_the_request_models_fields():
    for name, model in (("submit_new_order", PlaceOrderRequestV3),
                        ("submit_strategy_order", StrategyOrderRequestV3)):  # fmt: skip
        params = ENDPOINTS[name].params or ()
        assert [p.name for p in params] == [f.name for f in dataclasses.fields(model)]
        assert {p.name for p in params if p.required} == set(model.REQUIRED)
    # a batch item is an order without attached TP/SL or reduce-only
    batch = [p.name for p in ENDPOINTS["place_batch_orders"].params or ()]
    left_out = {"takeProfit", "stopLoss", "tpTriggerBy", "slTriggerBy", "tpOrderType",
                "slOrderType", "tpLimitPrice", "slLimitPrice", "reduceOnly"}  # fmt: skip
    assert batch == [f.name for f in dataclasses.fields(PlaceOrderRequestV3)
                     if f.name not in left_out]  # fmt: skip


def _limit(name: str) -> tuple[str | None, int | None]:
    param = next(p for p in ENDPOINTS[name].params or () if p.name == "limit")
    return param.default, param.maximum


def test_the_documented_limits_and_candle_values_are_the_local_exchanges():
    assert tuple(INTERVALS) == CANDLE_INTERVALS
    expected = {
        "get_candles": (defaults.CANDLES_LIMIT_DEFAULT, defaults.CANDLES_LIMIT_MAX),
        "get_orderbook": (defaults.ORDERBOOK_LIMIT_DEFAULT, defaults.ORDERBOOK_LIMIT_MAX),
        "get_fills": (defaults.FILLS_LIMIT_DEFAULT, defaults.FILLS_LIMIT_MAX),
        "get_history_orders": (defaults.LIST_LIMIT_DEFAULT, defaults.LIST_LIMIT_MAX),
        "get_copy_futures_transfer_records": (
            defaults.TRANSFER_LIMIT_DEFAULT,
            defaults.TRANSFER_LIMIT_MAX,
        ),
        "get_copy_futures_current_followers": (
            defaults.COPY_PAGE_LIMIT_DEFAULT,
            defaults.COPY_PAGE_LIMIT_MAX,
        ),
    }
    for name, (default, maximum) in expected.items():
        assert _limit(name) == (str(default), maximum), name


#: A valid value of each required parameter, to leave one out at a time.
SAMPLES = {
    "symbol": "BTCUSDT", "interval": "1m", "holdMode": "one_way_mode", "countdown": "0",
    "coin": "USDT", "type": "in", "amount": "1", "side": "buy", "orderType": "limit",
    "qty": "0.001", "posSide": "long",
}  # fmt: skip


def _category(param) -> str:
    return "USDT-FUTURES" if "USDT-FUTURES" in param.choices else param.choices[0]


@pytest.mark.parametrize(
    "ep",
    [e for e in ENDPOINTS.values() if not e.batch_body and any(p.required for p in e.params or ())],
    ids=lambda e: e.name,
)
def test_the_local_exchange_refuses_a_call_without_a_parameter_the_table_requires(ep):
    required = [p for p in ep.params or () if p.required]
    with LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
        for left_out in required:
            params = {
                p.name: _category(p) if p.name == "category" else SAMPLES[p.name]
                for p in required
                if p is not left_out
            }
            with pytest.raises(ExchangeError) as info:
                ex.venue.call(ep.name, params, ex.trader)
            assert info.value.code == "25200" and left_out.name in info.value.msg, left_out.name
