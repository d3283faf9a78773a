"""The injected ``http_429`` fault: the gateway's rate-limit answer, before any processing."""

from __future__ import annotations

import pytest
import requests

import bitget_nb as bg
from bitget_nb.exchange.faults import Faults
from bitget_nb.signing import compact_json, sign

PLACE = "/api/v3/trade/place-order"


def _order(client_oid: str) -> dict[str, str]:
    return {
        "category": "SPOT",
        "symbol": "BTCUSDT",
        "side": "buy",
        "orderType": "limit",
        "qty": "0.001",
        "price": "50000",
        "clientOid": client_oid,
    }


def _signed_post(ex: bg.LocalExchange, path: str, body: dict) -> requests.Response:
    creds, data = ex.credentials, compact_json(body)
    ts = str(ex.now_ms())
    headers = {
        "ACCESS-KEY": creds["api_key"],
        "ACCESS-SIGN": sign(creds["api_secret"], ts, "POST", path, "", data),
        "ACCESS-TIMESTAMP": ts,
        "ACCESS-PASSPHRASE": creds["api_pass"],
        "Content-Type": "application/json",
    }
    return requests.post(ex.base_url + path, data=data, headers=headers, timeout=10)


def test_injected_429_answers_code_429_with_retry_after_and_places_nothing(open_exchange):
    ex = open_exchange
    ex.faults.fail_next("submit_new_order", kind="http_429", retry_after=2)
    response = _signed_post(ex, PLACE, _order("r429-1"))
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    body = response.json()
    assert body["code"] == "429" and body["data"] is None and body["msg"] == "Too Many Requests"
    assert ex.venue.trading.store.by_client_oid("r429-1") is None
    assert ex.faults.injected == {("submit_new_order", "before", "http_429"): 1}
    assert _signed_post(ex, PLACE, _order("r429-1")).status_code == 200


def test_client_waits_the_retry_after_of_a_429_and_places_the_order_once(open_exchange):
    ex = open_exchange
    slept: list[float] = []
    with bg.BitgetClient(**ex.credentials, base_url=ex.base_url, sleep=slept.append) as client:
        ex.faults.fail_next("submit_new_order", 2, kind="http_429", retry_after=3)
        ack = client.submit_new_order(_order("r429-2"))
        ex.faults.fail_next("get_tickers", kind="http_429", retry_after=4)
        tickers = client.get_tickers(category="SPOT")
    assert ack["clientOid"] == "r429-2" and not tickers.empty
    assert slept.count(3.0) == 2 and 4.0 in slept  # the write and the read both honour it
    orders = [o for o in ex.venue.trading.store.newest_orders() if o.client_oid == "r429-2"]
    assert len(orders) == 1


def test_a_429_that_persists_is_raised_as_a_rate_limit_error_and_nothing_is_placed(
    open_exchange,
):
    ex = open_exchange
    with bg.BitgetClient(**ex.credentials, base_url=ex.base_url, sleep=lambda s: None) as client:
        ex.faults.fail_next("submit_new_order", 10, kind="http_429", retry_after=0)
        with pytest.raises(bg.RateLimitError) as info:
            client.submit_new_order(_order("r429-3"))
    assert info.value.code == "429" and info.value.retry_after == 0
    assert ex.venue.trading.store.by_client_oid("r429-3") is None


def test_429_plans_are_checked():
    faults = Faults()
    with pytest.raises(ValueError, match="kind"):
        faults.fail_next("submit_new_order", when="after", kind="http_429")
    with pytest.raises(ValueError, match="retry_after"):
        faults.fail_next("submit_new_order", kind="http_429", retry_after=-1)
    with pytest.raises(ValueError, match="retry_after"):
        faults.fail_next("submit_new_order", kind="http_429", retry_after=0.5)  # type: ignore[arg-type]
    faults.fail_randomly("get_tickers", 1.0, kinds=[("before", "http_429")], retry_after=5)
    fault = faults.draw("get_tickers")
    assert fault is not None and fault.headers == {"Retry-After": "5"}
    assert (fault.code, fault.http_status) == ("429", 429)
