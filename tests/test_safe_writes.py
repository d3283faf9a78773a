"""A write whose answer is lost is never sent again (design.md "Safety rules", spec §10.5).

The hard case: the exchange processes a request *after* the client's read timeout — before
the client's look-ups, between them, or after the client gave up. Injected latency on the
local exchange holds each request before processing it, so the original arrives late. In
every case the exchange ends with exactly one order per ``clientOid``, and the client either
returns that order or raises :class:`~bitget_nb.OutcomeUnknownError` naming the clientOid.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

import bitget_nb as bg
from bitget_nb.endpoints import ENDPOINTS

from .conftest import START

SPOT = {"category": "SPOT", "symbol": "BTCUSDT"}
FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
READ_TIMEOUT = 0.5

# -- the orders: each kind that a re-send could execute twice ----------------------------------


def _last(client: bg.BitgetClient, **where: str) -> float:
    return float(client.get_tickers(**where)["lastPrice"].iloc[0])


def market_buy(client: bg.BitgetClient, oid: str) -> dict[str, Any]:
    """The issue's case: a 100 USDT market buy (spot market buys are sized in quote)."""
    return {**SPOT, "side": "buy", "orderType": "market", "qty": "100", "clientOid": oid}


def ioc_buy(client: bg.BitgetClient, oid: str) -> dict[str, Any]:
    price = round(_last(client, **SPOT) * 1.01, 1)
    return {**SPOT, "side": "buy", "orderType": "limit", "timeInForce": "ioc", "qty": "0.001",
            "price": str(price), "clientOid": oid}  # fmt: skip


def fok_buy(client: bg.BitgetClient, oid: str) -> dict[str, Any]:
    price = round(_last(client, **SPOT) * 1.01, 1)
    return {**SPOT, "side": "buy", "orderType": "limit", "timeInForce": "fok", "qty": "0.001",
            "price": str(price), "clientOid": oid}  # fmt: skip


def gtc_bid(client: bg.BitgetClient, oid: str) -> dict[str, Any]:
    return {**SPOT, "side": "buy", "orderType": "limit", "timeInForce": "gtc", "qty": "0.001",
            "price": "60000", "clientOid": oid}  # fmt: skip


ORDERS: dict[str, Callable[[bg.BitgetClient, str], dict[str, Any]]] = {
    "market": market_buy,
    "ioc": ioc_buy,
    "fok": fok_buy,
    "gtc": gtc_bid,
}

#: (latency of the write, latency of a look-up, settle window): when the original is
#: processed relative to the client's read timeout (0.5 s) and its look-ups.
TIMINGS = {
    # processed at 0.6 s; the first look-up, sent at 0.5 s, is held until 0.9 s
    "before_the_lookups": (0.6, 0.4, 5.0),
    # processed at 1.5 s, after look-ups at 0.5, 0.75 and 1.25 s found nothing
    "between_the_lookups": (1.5, 0.0, 5.0),
    # processed at 2.0 s, after the client gave up at about 1.0 s
    "after_the_client_gave_up": (2.0, 0.0, 0.5),
}

SHORT = {
    "before_the_lookups": "pre",
    "between_the_lookups": "mid",
    "after_the_client_gave_up": "post",
}


def order_counts(exchange: bg.LocalExchange) -> collections.Counter[str]:
    return collections.Counter(o.client_oid for o in exchange.venue.trading.store.newest_orders())


def strategy_ids(client: bg.BitgetClient, oid: str) -> set[str]:
    """The distinct strategy orders (open or in the history) that carry ``oid``."""
    rows = [client.get_unfilled_strategy_orders(category="USDT-FUTURES"),
            client.get_history_strategy_orders(category="USDT-FUTURES")]  # fmt: skip
    return {
        str(i) for df in rows if not df.empty for i in df.loc[df["clientOid"] == oid, "orderId"]
    }


def wait_until(predicate: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``predicate`` (bounded) until the held original has been processed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def exchange():
    with bg.LocalExchange(seed=7, start_time=START, rate_limits=False) as ex:
        yield ex


class CountingSession(requests.Session):
    """Counts the requests sent per path: a write must leave this machine exactly once."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: collections.Counter[str] = collections.Counter()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent[str(request.path_url).split("?")[0]] += 1
        return super().send(request, **kwargs)


def impatient(exchange: bg.LocalExchange, settle_window: float) -> bg.BitgetClient:
    client = bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                             timeout=(2.0, READ_TIMEOUT), settle_window=settle_window,
                             session=CountingSession())  # fmt: skip
    # the manual clock is far from the wall clock: measure the offset now, so that the
    # first write is not refused with 40008 (a certain refusal, which is sent again)
    client.transport.sync_time()
    return client


def sent(client: bg.BitgetClient, name: str) -> int:
    session = client.transport._session
    assert isinstance(session, CountingSession)
    return session.sent[ENDPOINTS[name].path]


@pytest.fixture
def observer(exchange):
    """A patient client that only reads: it sees the exchange as it is."""
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url) as c:
        yield c


@pytest.mark.slow
@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("kind", ORDERS)
def test_an_order_processed_after_the_read_timeout_executes_exactly_once(
    exchange, observer, kind, timing
):
    write_delay, lookup_delay, window = TIMINGS[timing]
    oid = f"late-{kind}-{SHORT[timing]}"
    order = ORDERS[kind](observer, oid)
    exchange.faults.set_latency("submit_new_order", write_delay)
    exchange.faults.set_latency("get_order_info", lookup_delay)
    with impatient(exchange, window) as client:
        try:
            ack = client.submit_new_order(order)
        except bg.OutcomeUnknownError as exc:
            ack = None
            assert exc.client_oids == (oid,) and oid in str(exc)
        assert sent(client, "submit_new_order") == 1
    exchange.faults.clear()
    assert wait_until(lambda: order_counts(exchange)[oid] >= 1)  # the original, processed late
    assert order_counts(exchange)[oid] == 1
    if timing == "after_the_client_gave_up":
        assert ack is None
    else:
        assert ack is not None and ack.attrs["reconciled"] and ack["clientOid"] == oid
        assert ack["orderId"] == exchange.venue.trading.store.by_client_oid(oid).order_id


@pytest.mark.slow
@pytest.mark.parametrize("timing", TIMINGS)
def test_a_batch_of_market_orders_processed_late_executes_each_once(exchange, observer, timing):
    write_delay, lookup_delay, window = TIMINGS[timing]
    oids = [f"late-batch-{SHORT[timing]}-{i}" for i in range(4)]
    exchange.faults.set_latency("place_batch_orders", write_delay)
    exchange.faults.set_latency("get_order_info", lookup_delay)
    with impatient(exchange, window) as client:
        try:
            result = client.place_batch_orders([market_buy(client, oid) for oid in oids])
        except bg.OutcomeUnknownError as exc:
            result = None
            assert set(exc.client_oids) == set(oids)  # every one of them, not only the first
            assert all(oid in str(exc) for oid in oids)
            assert list(exc.results["clientOid"]) == oids and not exc.results["ok"].any()
        assert sent(client, "place_batch_orders") == 1
    exchange.faults.clear()
    assert wait_until(lambda: all(order_counts(exchange)[oid] for oid in oids))
    counts = order_counts(exchange)
    assert [counts[oid] for oid in oids] == [1, 1, 1, 1]
    if timing == "after_the_client_gave_up":
        assert result is None
    else:
        assert result is not None and result["ok"].all() and list(result["clientOid"]) == oids


@pytest.mark.slow
@pytest.mark.parametrize("timing", TIMINGS)
def test_a_strategy_order_processed_late_exists_once(exchange, observer, timing):
    write_delay, _lookup_delay, window = TIMINGS[timing]
    oid = f"late-tpsl-{SHORT[timing]}"
    observer.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
    stop = str(round(_last(observer, **FUT) * 0.9))
    exchange.faults.set_latency("submit_strategy_order", write_delay)
    with impatient(exchange, window) as client:
        try:
            ack = client.submit_strategy_order(
                **FUT, posSide="long", tpslMode="partial", qty="0.01", stopLoss=stop, clientOid=oid
            )
        except bg.OutcomeUnknownError as exc:
            ack = None
            assert exc.client_oids == (oid,)
        assert sent(client, "submit_strategy_order") == 1
    exchange.faults.clear()
    assert wait_until(lambda: bool(strategy_ids(observer, oid)))
    ids = strategy_ids(observer, oid)
    assert len(ids) == 1
    if timing == "after_the_client_gave_up":
        assert ack is None
    else:
        assert ack is not None and ack["orderId"] in ids


# -- what may and may not be sent again ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["http_503", "code_45001"])
def test_an_ambiguous_refusal_is_never_sent_again(exchange, kind):
    """A 503 or 45001 does not prove that nothing was done: the order is looked up, never
    re-sent, and its outcome is called unknown when the look-ups find nothing."""
    exchange.faults.fail_next("submit_new_order", when="before", kind=kind)
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                         settle_window=0.5) as client:  # fmt: skip
        with pytest.raises(bg.OutcomeUnknownError) as info:
            client.submit_new_order(gtc_bid(client, f"ambiguous-{kind}"))
        assert info.value.client_oid == f"ambiguous-{kind}"
        assert client.get_unfilled_orders(category="SPOT").empty  # sent once, refused once
    assert exchange.faults.injected == {("submit_new_order", "before", kind): 1}


def test_a_rate_limit_refusal_is_sent_again_and_places_once(exchange):
    """A 429 proves the request was not processed: it is re-sent after Retry-After."""
    exchange.faults.fail_next("submit_new_order", when="before", kind="http_429", retry_after=0)
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url) as client:
        ack = client.submit_new_order(gtc_bid(client, "limited-1"))
    assert exchange.venue.trading.store.by_client_oid("limited-1").order_id == ack["orderId"]
    assert order_counts(exchange)["limited-1"] == 1


def test_a_connection_refused_write_is_sent_again_until_it_connects():
    """Nothing reached an exchange that was not listening: the write may be sent again."""
    with bg.LocalExchange(seed=7, start_time=START) as ex:
        creds, url = ex.credentials, ex.base_url
    # the exchange is closed now: its port refuses connections
    with (
        bg.BitgetClient(**creds, base_url=url, sleep=lambda s: None, max_retries=2) as c,
        pytest.raises(bg.TransportError) as info,
    ):
        c.submit_new_order(gtc_bid(c, "refused-1"))
    assert info.value.maybe_sent is False and "refused" in str(info.value)


def test_a_lost_cancel_is_settled_by_looking_the_order_up_not_by_a_second_cancel(exchange):
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url) as client:
        ack = client.submit_new_order(gtc_bid(client, "cancel-late-1"))
        exchange.faults.fail_next("cancel_order", when="after", kind="code_40010")
        result = client.cancel_order(orderId=ack["orderId"], category="SPOT")
    assert result.attrs["reconciled"]
    assert exchange.faults.injected == {("cancel_order", "after", "code_40010"): 1}


def test_a_cancel_whose_outcome_stays_unknown_names_the_order(exchange):
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                         settle_window=0.4) as client:  # fmt: skip
        ack = client.submit_new_order(gtc_bid(client, "cancel-unknown-1"))
        exchange.faults.fail_next("cancel_order", when="before", kind="http_503")
        with pytest.raises(bg.OutcomeUnknownError) as info:
            client.cancel_order(clientOid="cancel-unknown-1", category="SPOT")
        assert info.value.client_oids == ("cancel-unknown-1",)
        # never sent twice: the order is still open, as the one (refused) cancel left it
        assert client.get_order_info(orderId=ack["orderId"])["orderStatus"] == "live"


def test_a_lost_cancel_all_is_settled_by_the_open_orders(exchange):
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url) as client:
        for i in range(3):
            client.submit_new_order(gtc_bid(client, f"all-{i}"))
        exchange.faults.fail_next("cancel_all_orders", when="after", kind="drop")
        result = client.cancel_all_orders(category="SPOT")
        assert result.attrs["reconciled"] and client.get_unfilled_orders(category="SPOT").empty


def test_a_lost_close_all_is_settled_by_the_positions(exchange):
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url) as client:
        client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
        exchange.faults.fail_next("close_all_positions", when="after", kind="drop")
        result = client.close_all_positions(category="USDT-FUTURES")
        assert result.attrs["reconciled"]
        assert client.get_current_position(category="USDT-FUTURES").empty
    assert exchange.faults.injected == {("close_all_positions", "after", "drop"): 1}


def test_a_batch_names_every_client_oid_whose_outcome_is_unknown(exchange):
    exchange.faults.fail_next("place_batch_orders", when="before", kind="http_503")
    oids = [f"unknown-batch-{i}" for i in range(3)]
    with (
        bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url, settle_window=0.3) as c,
        pytest.raises(bg.OutcomeUnknownError) as info,
    ):
        c.place_batch_orders([gtc_bid(c, oid) for oid in oids])
    assert info.value.client_oids == tuple(oids)
    assert list(info.value.results["ok"]) == [False, False, False]


def test_later_batch_chunks_are_not_sent_once_a_chunk_is_unknown(exchange):
    exchange.faults.fail_next("place_batch_orders", when="before", kind="http_503")
    orders = [gtc_bid(exchange, f"chunked-{i}") | {"price": str(50000 + i)} for i in range(25)]
    with (
        bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url, settle_window=0.3) as c,
        pytest.raises(bg.OutcomeUnknownError) as info,
    ):
        c.place_batch_orders(orders)
    rows = info.value.results
    assert len(info.value.client_oids) == 20 and len(rows) == 25
    assert list(rows["code"].iloc[20:]) == ["NOT_SENT"] * 5
    assert order_counts(exchange) == collections.Counter()


@pytest.mark.parametrize("kind", ["truncate", "bad_gzip"])
def test_an_order_whose_answer_is_cut_or_undecodable_is_settled_by_look_up(exchange, kind):
    """The order committed, then its answer arrived cut in the middle (requests raises
    ChunkedEncodingError) or claiming gzip it is not (ContentDecodingError): a typed
    failure whose outcome is unknown, settled by looking the order up — never re-sent."""
    exchange.faults.fail_next("submit_new_order", when="after", kind=kind)
    with impatient(exchange, 5.0) as client:
        ack = client.submit_new_order(gtc_bid(client, f"cut-{kind}".replace("_", "-")))
        assert sent(client, "submit_new_order") == 1
    assert ack.attrs["reconciled"]
    assert order_counts(exchange)[f"cut-{kind}".replace("_", "-")] == 1


@pytest.mark.parametrize("kind", ["truncate", "bad_gzip"])
def test_a_read_whose_answer_is_cut_is_retried_as_a_typed_failure(exchange, kind):
    exchange.faults.fail_next("get_tickers", when="after", kind=kind)
    with impatient(exchange, 5.0) as client:
        tickers = client.get_tickers(category="SPOT")
        assert sent(client, "get_tickers") == 2 and not tickers.empty
    with (
        bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url, max_retries=0) as c,
        pytest.raises(bg.TransportError, match=r"cut off|could not be decoded") as info,
    ):
        exchange.faults.fail_next("get_tickers", when="after", kind=kind)
        c.get_tickers(category="SPOT")
    assert info.value.maybe_sent and info.value.__context__ is None
