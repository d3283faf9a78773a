"""Junk into every trading operation gets a Bitget error, never a crash (design: "the
exchange answers bad raw input with the right Bitget code, never a 500")."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitget_nb.exchange.params import ExchangeError

from .desk import Desk

OPERATIONS = (
    "submit_new_order",
    "place_batch_orders",
    "modify_order",
    "batch_modify_orders",
    "cancel_order",
    "cancel_batch_orders",
    "cancel_all_orders",
    "get_order_info",
    "get_unfilled_orders",
    "get_history_orders",
    "get_trade_fills",
)
NAMES = ("category", "symbol", "side", "orderType", "qty", "price", "timeInForce", "stpMode",
         "clientOid", "orderId", "reduceOnly", "autoCancel", "startTime", "endTime", "limit",
         "cursor", "takeProfit", "posSide")  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(["SPOT", "spot", "USDT-FUTURES", "BTCUSDT", "buy", "limit", "market", "ioc",
                     "post_only", "0.001", "50000", "1e5", "-1", "0", "yes", "", " ", "9" * 30,
                     "99999999999999999999.99999999999999999999", "cancel_both"]),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip
PARAMS = st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    endpoint=st.sampled_from(OPERATIONS),
    params=st.one_of(PARAMS, st.lists(st.one_of(PARAMS, VALUES), max_size=4)),
)
def test_any_parameters_get_an_exchange_error_or_an_answer(endpoint: str, params: Any) -> None:
    desk = Desk()
    desk.submit(side="buy", orderType="limit", qty="0.01", price="50000", clientOid="j-1")
    try:
        desk.call(endpoint, params)
    except ExchangeError as exc:
        assert exc.code.isdigit()
    # Whatever happened, the books still add up.
    assert desk.venue.account.balance("USDT").locked == desk.trading.reserved_by_coin().get(
        "USDT", 0
    )
