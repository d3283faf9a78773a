"""``client.stream()`` against a real LocalExchange over a real WebSocket on 127.0.0.1
(shared/spec/bitget-v3-ws.md, cited as WS): login, subscriptions, the checked order book,
private views that agree with REST, reconnects, callbacks, and threads that end with it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from websockets.sync.client import connect as ws_connect
from websockets.sync.server import Server, ServerConnection, serve

import bitget_nb as bg
from bitget_nb.config import WS_HOSTS

from .conftest import START

SPOT = {"category": "SPOT", "symbol": "BTCUSDT"}
BID = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
       "qty": "0.001"}  # fmt: skip
FAST = {"min_backoff": 0.05, "max_backoff": 0.2, "ack_timeout": 5.0}


@pytest.fixture
def exchange() -> Iterator[bg.LocalExchange]:
    with bg.LocalExchange(seed=7, start_time=START, rate_limits=False) as ex:
        yield ex


@pytest.fixture
def client(exchange: bg.LocalExchange) -> Iterator[bg.BitgetClient]:
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url) as client:
        yield client


def _stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bitget_nb-stream"]


def _rest_book(client: bg.BitgetClient) -> pd.DataFrame:
    return client.get_orderbook(**SPOT, limit=200)


def _same_book(stream: bg.Stream, client: bg.BitgetClient) -> bool:
    mine, rest = stream.book("BTCUSDT"), _rest_book(client)
    cols = ["side", "level", "price", "size"]
    return mine[cols].equals(rest[cols])


def _step(exchange: bg.LocalExchange, stream: bg.Stream, n: int) -> None:
    """Move the market ``n`` times, each time until the stream took the book's update in.
    First the snapshot: the exchange acks before it follows the channel, and a clock moved
    in between is in the snapshot, not in an update."""
    assert stream.wait_until(lambda s: not s.book("BTCUSDT").empty)
    for _ in range(n):
        before = stream.stats["book_updates"]
        exchange.advance(1)
        assert stream.wait_until(lambda s, n=before: s.stats["book_updates"] > n, 5)


# -- where it connects -------------------------------------------------------------------------


def test_the_urls_are_the_local_exchanges_or_bitgets_own(exchange, client):
    assert client.ws_urls == (exchange.ws_url, exchange.ws_url)
    live = bg.BitgetClient(base_url="https://api.bitget.com")
    demo = bg.BitgetClient(base_url="https://api.bitget.com", demo=True)
    assert live.ws_urls == WS_HOSTS["live"] == (
        "wss://ws.bitget.com/v3/ws/public", "wss://ws.bitget.com/v3/ws/private")  # fmt: skip
    assert demo.ws_urls == (
        "wss://wspap.bitget.com/v3/ws/public", "wss://wspap.bitget.com/v3/ws/private")  # fmt: skip
    given = bg.BitgetClient(base_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9/v3/ws")
    assert given.ws_urls == ("ws://127.0.0.1:9/v3/ws",) * 2
    with pytest.raises(bg.ConfigurationError, match=r"ws_url=ex\.ws_url"):
        bg.BitgetClient(base_url="http://127.0.0.1:9").stream()
    for c in (live, demo, given):
        c.close()


# -- login, subscriptions ----------------------------------------------------------------------


def test_a_refused_login_is_a_stream_login_error_with_bitgets_code(exchange):
    creds = dict(exchange.credentials, api_secret="not-the-secret")
    with bg.BitgetClient(**creds, base_url=exchange.base_url) as wrong, wrong.stream() as stream:
        with pytest.raises(bg.StreamLoginError) as refused:
            stream.subscribe("order")
        assert refused.value.code == "30015" and isinstance(refused.value, bg.AuthenticationError)
        assert stream.stats["login_failures"] == 1
        stream.subscribe("ticker", **SPOT)  # the public side lives on
        assert stream.wait_until(lambda s: len(s.tickers) == 1)


def test_a_bad_topic_is_refused_locally_and_by_the_exchange(client):
    with client.stream() as stream:
        with pytest.raises(bg.StreamSubscriptionError, match="unknown topic"):
            stream.subscribe("bogus", **SPOT)
        with pytest.raises(bg.StreamSubscriptionError, match="symbol="):
            stream.subscribe("ticker", category="SPOT")
        with pytest.raises(bg.StreamSubscriptionError) as refused:
            stream.subscribe("ticker", category="SPOT", symbol="NOSUCHUSDT")
        assert refused.value.code == "30001"


def test_subscribe_gives_a_snapshot_then_updates_in_the_views(exchange, client):
    with client.stream() as stream:
        stream.subscribe("ticker", **SPOT)
        stream.subscribe("books", **SPOT)
        assert stream.wait_until(lambda s: len(s.tickers) == 1 and not s.book("BTCUSDT").empty)
        rest = client.get_tickers(category="SPOT", symbol="BTCUSDT")
        mine = stream.tickers
        assert mine.loc[0, "lastPrice"] == rest.loc[0, "lastPrice"]
        assert mine["lastPrice"].dtype == rest["lastPrice"].dtype == "float64"
        assert str(mine["ts"].dtype) == "datetime64[ms, UTC]"
        book = stream.book("BTCUSDT")
        assert list(book.columns) == list(_rest_book(client).columns)
        assert _same_book(stream, client)
        _step(exchange, stream, 5)
        assert _same_book(stream, client)


def test_the_book_is_checked_across_a_thousand_updates_without_a_resync(exchange, client):
    # ~6 ms an update, nearly all of it the exchange's: bench/stream.py runs more
    with client.stream() as stream:
        stream.subscribe("books", **SPOT)
        _step(exchange, stream, 1000)
        stats = stream.stats
        assert stats["book_updates"] >= 1000 and stats["checksums_verified"] >= 1001
        assert stats["resyncs"] == 0
        assert _same_book(stream, client)


# -- a proxy between the stream and the exchange, to lose frames -------------------------------


class Proxy:
    """A WebSocket relay on 127.0.0.1: ``rewrite(frame)`` is what the client gets of each
    frame from the exchange (``None``: nothing)."""

    def __init__(self, upstream: str, rewrite: Callable[[str], str | None]) -> None:
        self.upstream, self.rewrite, self.dropped = upstream, rewrite, 0
        self.server: Server = serve(self._relay, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/v3/ws/private"

    def _relay(self, down: ServerConnection) -> None:
        with ws_connect(self.upstream) as up:

            def pump() -> None:
                try:
                    for frame in up:
                        if isinstance(frame, str):
                            frame = self.rewrite(frame)
                        if frame is None:
                            self.dropped += 1
                            continue
                        down.send(frame)
                except Exception:
                    pass  # either side closed: the relay ends with it
                down.close()

            back = threading.Thread(target=pump, daemon=True)
            back.start()
            try:
                for frame in down:
                    up.send(frame)
            except Exception:
                pass
            up.close()
            back.join(5)

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


def _nth_update(n: int, change: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """``change`` the ``n``-th ``books`` update, pass every other frame as it is."""
    seen = [0]

    def rewrite(frame: str) -> str | None:
        if '"topic":"books"' in frame and '"action":"update"' in frame:
            seen[0] += 1
            if seen[0] == n:
                return change(frame)
        return frame

    return rewrite


def _bid_on_top(frame: str) -> str:
    """One bid more, above the best: ``seq`` untouched, so only the CRC32 can tell."""
    message = json.loads(frame)
    message["data"][0]["b"].append(["999999.99", "5"])
    return json.dumps(message)


@pytest.mark.parametrize(
    ("change", "lost"),
    [(lambda frame: None, 1), (_bid_on_top, 0)],
    ids=["dropped-so-a-sequence-gap", "corrupted-so-a-checksum-mismatch"],
)
def test_a_lost_or_corrupted_book_update_is_caught_and_resynced(exchange, change, lost):
    proxy = Proxy(exchange.ws_url, _nth_update(3, change))
    try:
        with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                             ws_url=proxy.url) as client, client.stream() as stream:  # fmt: skip
            stream.subscribe("books", **SPOT)
            for _ in range(6):
                exchange.advance(1)
                stream.wait_until(lambda s: s.stats["resyncs"] == 1, 0.2)
            assert proxy.dropped == lost and stream.stats["resyncs"] == 1
            assert stream.wait_until(lambda s: not s.book("BTCUSDT").empty)
            _step(exchange, stream, 3)
            assert _same_book(stream, client) and stream.stats["resyncs"] == 1
    finally:
        proxy.close()


def _broken_level(frame: str) -> str:
    message = json.loads(frame)
    message["data"][0]["b"] = [["1"]]  # a level without its size
    return json.dumps(message)


def test_a_frame_it_cannot_read_is_counted_and_the_book_recovers(exchange):
    proxy = Proxy(exchange.ws_url, _nth_update(2, _broken_level))
    try:
        with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                             ws_url=proxy.url) as client, client.stream() as stream:  # fmt: skip
            stream.subscribe("books", **SPOT)
            for _ in range(5):
                exchange.advance(1)
                stream.wait_until(lambda s: s.stats["resyncs"] == 1, 0.2)
            assert stream.stats["frame_errors"] == 1 and stream.stats["resyncs"] == 1
            _step(exchange, stream, 2)
            assert _same_book(stream, client) and stream.stats["connects"] == 1
    finally:
        proxy.close()


def test_no_pong_drops_the_connection_and_it_comes_back(exchange):
    proxy = Proxy(exchange.ws_url, lambda frame: None if frame == "pong" else frame)
    try:
        with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                             ws_url=proxy.url) as client:  # fmt: skip
            stream = client.stream(ping_interval=0.2, pong_timeout=0.2, **FAST)
            stream.subscribe("books", **SPOT)
            assert stream.wait_until(lambda s: s.stats["connects"] >= 2, 5)
            assert stream.wait_until(lambda s: not s.book("BTCUSDT").empty, 5)
    finally:
        proxy.close()


# -- private views agree with REST -------------------------------------------------------------


def _open_orders(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.sort_values("orderId").reset_index(drop=True)
    out.attrs = {}
    return out


def test_private_pushes_arrive_in_order_and_the_orders_view_is_rests(exchange, client):
    with client.stream() as stream:
        seen: list[tuple[str, str]] = []
        stream.on("order", lambda m: seen.extend((r["clientOid"], r["orderStatus"])
                                                for r in m["data"]))  # fmt: skip
        stream.subscribe("order")
        stream.subscribe("fill")
        assert stream.wait_until(lambda s: s.stats["order_refreshes"] == 1)
        price = float(client.get_tickers(**SPOT).loc[0, "lastPrice"])
        for i in range(3):
            client.submit_new_order(BID, price=f"{price * 0.9 - i:.2f}", clientOid=f"s-{i}")
        client.cancel_order(clientOid="s-1")
        client.submit_new_order(BID, orderType="market", side="buy", qty="100",
                                clientOid="s-mkt")  # fmt: skip
        assert stream.wait_until(lambda s: len(s.fills) >= 1 and ("s-mkt", "filled") in seen)
        assert [s for s in seen if s[0] != "s-mkt"] == [
            ("s-0", "new"), ("s-1", "new"), ("s-2", "new"), ("s-1", "cancelled")]  # fmt: skip
        pd.testing.assert_frame_equal(
            _open_orders(stream.orders), _open_orders(client.get_unfilled_orders())
        )
        rest_fills = client.get_trade_fills(category="SPOT")
        assert set(stream.fills["execId"]) == set(rest_fills["execId"])
        assert stream.fills["execQty"].dtype == rest_fills["execQty"].dtype


def test_a_dropped_connection_comes_back_resubscribed_and_the_book_is_right(exchange, client):
    with client.stream(**FAST) as stream:
        stream.subscribe("books", **SPOT)
        stream.subscribe("order")
        assert stream.wait_until(lambda s: s.stats["order_refreshes"] == 1)
        assert stream.stats["connects"] == 1
        assert exchange.drop_ws_connections() == 1
        # an order placed while the stream is away is found by the REST read after it
        price = float(client.get_tickers(**SPOT).loc[0, "lastPrice"])
        client.submit_new_order(BID, price=f"{price * 0.9:.2f}", clientOid="away-1")
        assert stream.wait_until(lambda s: s.stats["connects"] == 2)
        assert stream.wait_until(lambda s: s.stats["order_refreshes"] == 2)
        assert stream.wait_until(lambda s: not s.book("BTCUSDT").empty)
        _step(exchange, stream, 3)
        assert _same_book(stream, client)
        assert stream.stats["reconnects"] == 1
        pd.testing.assert_frame_equal(
            _open_orders(stream.orders), _open_orders(client.get_unfilled_orders())
        )


def test_the_open_orders_read_after_subscribing_follow_every_rest_page(exchange, client):
    price = float(client.get_tickers(**SPOT).loc[0, "lastPrice"])
    orders = [{**BID, "price": f"{price * 0.9 - i * 0.01:.2f}"} for i in range(130)]
    for chunk in range(0, len(orders), 50):
        client.place_batch_orders(orders[chunk : chunk + 50])
    with client.stream() as stream:
        stream.subscribe("order")
        assert stream.wait_until(lambda s: s.stats["order_refreshes"] == 1)
        assert len(stream.orders) == 130  # REST pages hold 100 each
        pd.testing.assert_frame_equal(
            _open_orders(stream.orders), _open_orders(client.get_unfilled_orders())
        )


def test_fills_made_while_the_stream_was_away_are_read_over_rest_after_it_reconnects(
    exchange, client
):
    market = {**BID, "orderType": "market", "qty": "100"}  # 100 USDT of BTC
    client.submit_new_order(market, clientOid="before")  # before subscribing: not in the view
    with client.stream(**FAST) as stream:
        stream.subscribe("fill")
        assert stream.wait_until(lambda s: s.stats["fill_refreshes"] == 1)
        client.submit_new_order(market, clientOid="pushed")
        assert stream.wait_until(lambda s: set(s.fills["clientOid"]) == {"pushed"})
        assert exchange.drop_ws_connections() == 1
        for i in range(3):  # while it is away: the channel will not replay these
            client.submit_new_order(market, clientOid=f"away-{i}")
        assert stream.wait_until(lambda s: s.stats["fill_refreshes"] == 2)
        assert stream.stats["reconnects"] == 1
        rest = client.get_trade_fills(category="SPOT").sort_values(["createdTime", "execId"])
        after = rest[rest["clientOid"] != "before"]
        assert list(stream.fills["execId"]) == list(after["execId"])  # oldest first, once each
        assert list(stream.fills["clientOid"]) == ["pushed", "away-0", "away-1", "away-2"]
        client.submit_new_order(market, clientOid="back")  # and pushes go on
        assert stream.wait_until(lambda s: "back" in set(s.fills["clientOid"]))
        assert stream.fills["execQty"].dtype == rest["execQty"].dtype


# -- callbacks, closing ------------------------------------------------------------------------


def test_a_failing_callback_is_counted_and_the_stream_lives_on(exchange, client):
    with client.stream() as stream:
        calls: list[str] = []

        def broken(message: dict[str, Any]) -> None:
            calls.append(threading.current_thread().name)
            raise ZeroDivisionError

        stream.on("books", broken)
        stream.subscribe("books", **SPOT)
        _step(exchange, stream, 3)
        assert stream.stats["callback_errors"] == len(calls) >= 4
        assert set(calls) == {"bitget_nb-stream"}


def test_closing_the_stream_or_the_client_leaves_no_thread(exchange):
    assert _stream_threads() == []
    before = set(threading.enumerate())
    client = bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url)
    with client.stream() as first:
        first.subscribe("ticker", **SPOT)
    assert first.closed and _stream_threads() == []
    second = client.stream()
    second.subscribe("order")
    third = client.stream()
    assert len(_stream_threads()) == 2
    client.close()
    assert second.closed and third.closed and _stream_threads() == []
    # nothing of ours is left — the REST read's executor thread neither; the exchange's own
    # threads (its HTTP connection, its WebSocket feed worker) are the exchange's
    left = set(threading.enumerate()) - before
    assert {t.name for t in left if not t.name.startswith("bitget_nb-exchange")} == set()
    with pytest.raises(bg.StreamError, match="closed"):
        second.subscribe("ticker", **SPOT)
    assert "<hidden>" not in repr(second) and exchange.credentials["api_secret"] not in repr(second)


def test_connect_local_wires_the_exchanges_websocket():
    client = bg.connect("local", fresh=True)
    try:
        assert client.ws_urls[0] == bg.default_exchange().ws_url
        with client.stream() as stream:
            stream.subscribe("ticker", **SPOT)
            assert stream.wait_until(lambda s: len(s.tickers) == 1)
    finally:
        client.close()
