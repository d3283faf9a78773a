"""Widgets that follow a stream: the price ladder and the stream-driven orders view, against a
real local exchange on a manual clock; every wait is bounded."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pandas as pd
import pytest

import bitget_nb as bg
from bitget_nb.widgets._live import Coalesced, UiLoop
from bitget_nb.widgets.price_ladder import PriceLadder

from .conftest import START, text_of
from .test_companions import rest

UNFILLED = "/api/v3/trade/unfilled-orders"
WAIT_S = 10.0


def eventually(predicate: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    """Poll ``predicate`` (the widget's state, from the test) until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("bitget_nb-stream")]


def shown_ts(ladder: PriceLadder) -> pd.Timestamp | None:
    return None if ladder.ticker is None else ladder.ticker["ts"]


def later(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(START) + pd.Timedelta(seconds=seconds)


# -- the price ladder ---------------------------------------------------------------------------
def test_the_ladder_shows_the_ticker_and_book_and_follows_the_clock(client, exchange):
    ladder = bg.PriceLadder(client, category="SPOT", symbol="BTCUSDT", depth=5)
    try:
        assert eventually(lambda: shown_ts(ladder) == later(0) and all(ladder.prices))
        book = ladder.book
        asks = book[book["side"] == "ask"]["price"]
        bids = book[book["side"] == "bid"]["price"]
        shown = [float(p) for p in ladder.prices]
        assert shown == sorted(shown, reverse=True)  # asks above bids, highest first
        assert shown[:5] == sorted(asks, reverse=True) and shown[5:] == sorted(bids, reverse=True)
        assert "BTCUSDT" in text_of(ladder._header) and "2026-01-05 00:00:00" in text_of(
            ladder._header
        )
        renders = ladder._updates.renders
        exchange.advance(seconds=5)  # no refresh: the pushes redraw it
        assert eventually(lambda: shown_ts(ladder) == later(5))
        assert "00:00:05" in text_of(ladder._header) and ladder._updates.renders > renders
        assert repr(ladder) == "PriceLadder(SPOT BTCUSDT, depth=5, live)"
    finally:
        ladder.close()


def test_a_click_on_a_price_fills_the_order_form_and_sends_nothing(client, wire):
    form = bg.OrderForm(client, symbol="BTCUSDT", side="buy", orderType="market", qty="0.001")
    ladder = bg.PriceLadder(client, category="SPOT", symbol="BTCUSDT", order_form=form)
    try:
        assert eventually(lambda: all(ladder.prices))
        sent = len(wire.requests)
        best_bid = ladder.prices[5]
        ladder.price_buttons[5].click()
        assert form.fields["orderType"].value == "limit"
        assert form.fields["price"].value == best_bid
        assert form.payload["price"] == best_bid and "price" not in form.errors
        assert "→ order form" in ladder.status
        assert [r for r in wire.requests[sent:] if r[0] == "POST"] == []  # Review still decides
    finally:
        ladder.close()
        form.close()


def test_a_ladder_without_a_form_says_where_the_price_would_go(client):
    with client.stream() as stream:
        ladder = bg.PriceLadder(stream, category="SPOT", symbol="ETHUSDT", depth=1)
        assert eventually(lambda: all(ladder.prices)) and len(ladder.price_buttons) == 2
        ladder.price_buttons[0].click()
        assert "no order form" in ladder.status
        ladder.close()
    with pytest.raises(ValueError, match="depth"):
        bg.PriceLadder(client, depth=0)


def test_closing_the_ladder_stops_its_updates_and_leaves_no_thread(client, exchange):
    ladder = bg.PriceLadder(client, category="SPOT", symbol="BTCUSDT")
    assert eventually(lambda: shown_ts(ladder) == later(0)) and stream_threads()
    ladder.close()
    assert ladder.stream.closed and stream_threads() == []
    exchange.advance(seconds=5)
    time.sleep(0.3)  # what a push would need to arrive
    assert shown_ts(ladder) == later(0) and repr(ladder).endswith("closed)")


def test_a_ladder_on_a_shared_stream_leaves_it_open_and_stops_hearing_it(client, exchange):
    with client.stream() as stream:
        ladder = bg.PriceLadder(stream, category="SPOT", symbol="BTCUSDT")
        assert eventually(lambda: shown_ts(ladder) == later(0))
        ladder.close()
        assert not stream.closed
        exchange.advance(seconds=5)
        assert stream.wait_until(lambda s: s.tickers["ts"].max() == later(5), WAIT_S)
        time.sleep(0.1)
        assert shown_ts(ladder) == later(0)
    assert stream_threads() == []


# -- marshalled onto the widget's loop ----------------------------------------------------------
def test_pushes_redraw_on_the_loop_the_widgets_were_made_on(client, exchange, monkeypatch):
    """As in a kernel: the widgets are made inside a running asyncio loop, and every redraw
    runs there, never on the stream's thread."""
    threads: set[str] = set()
    render, pushed = PriceLadder._render, bg.OrdersView._pushed

    def spy_render(self: PriceLadder) -> None:
        threads.add(threading.current_thread().name)
        render(self)

    def spy_pushed(self: bg.OrdersView, what: str) -> None:
        threads.add(threading.current_thread().name)
        pushed(self, what)

    monkeypatch.setattr(PriceLadder, "_render", spy_render)
    monkeypatch.setattr(bg.OrdersView, "_pushed", spy_pushed)

    async def in_a_kernel() -> tuple[PriceLadder, bg.OrdersView, bg.Stream]:
        stream = client.stream()
        ladder = bg.PriceLadder(stream, category="SPOT", symbol="BTCUSDT")
        view = bg.OrdersView(client, stream=stream)
        assert ladder._ui.loop is asyncio.get_running_loop()
        exchange.advance(seconds=5)
        rest(client, "loop-1")
        # awaiting lets the loop run the redraws the stream handed it
        assert await ladder.until(lambda lad: shown_ts(lad) == later(5), WAIT_S)
        assert await view.until(lambda v: "loop-1" in set(v.orders["clientOid"]), WAIT_S)
        assert not await view.until(lambda v: v.orders.empty, 0.05)  # bounded: False
        return ladder, view, stream

    monkeypatch.setattr(threading.current_thread(), "name", "widgets")
    ladder, view, stream = asyncio.run(in_a_kernel())
    try:
        assert shown_ts(ladder) == later(5) and "loop-1" in set(view.orders["clientOid"])
        assert threads == {"widgets"}
    finally:
        ladder.close()
        view.close()
        stream.close()


def test_updates_for_a_loop_that_has_gone_are_dropped():
    loop = asyncio.new_event_loop()
    ui = UiLoop()
    ui.loop = loop
    loop.close()
    calls: list[int] = []
    updates = Coalesced(ui, lambda: calls.append(1))
    updates.request()
    assert calls == [] and ui.call(lambda: calls.append(2)) is False
    direct = Coalesced(UiLoop(), lambda: calls.append(3))  # no running loop: at once
    direct.request()
    direct.stop()
    direct.request()
    assert calls == [3]


# -- the orders view, driven by the stream ------------------------------------------------------
def test_the_orders_view_shows_an_order_placed_over_rest_without_a_refresh(client, wire):
    with client.stream() as stream:
        view = bg.OrdersView(client, stream=stream)
        assert stream.wait_until(lambda s: s.stats["order_refreshes"] >= 1, WAIT_S)
        reads = wire.requests.count(("GET", UNFILLED, b""))
        ack = rest(client, "live-rest-1")
        assert eventually(lambda: "live-rest-1" in set(view.orders["clientOid"]))
        assert "live-rest-1" in text_of(view._orders_html)
        assert ack["orderId"] in view.order_select.options[0][1]
        assert wire.requests.count(("GET", UNFILLED, b"")) == reads  # pushed, not polled
        view.review_cancel([ack["orderId"]])
        client.cancel_order(category="SPOT", symbol="BTCUSDT", orderId=ack["orderId"])
        assert eventually(lambda: view.orders.empty)
        assert "no open SPOT orders" in text_of(view._orders_html)
        assert view._gate.plan is None and view.confirm_button.disabled  # its row is gone
        view.close()
        rest(client, "live-rest-2")
        assert stream.wait_until(lambda s: "live-rest-2" in set(s.orders["clientOid"]), WAIT_S)
        time.sleep(0.1)
        assert view.orders.empty  # closed: it no longer follows
        assert not stream.closed
    assert stream_threads() == []


POSITIONS = "/api/v3/position/current-position"


def test_the_orders_view_follows_the_clients_open_stream_unless_told_not_to(client):
    with client.stream() as older, client.stream() as stream:
        older.close()
        view = bg.OrdersView(client)  # no stream= : the newest one still open
        assert view.stream is stream
        rest(client, "live-adopted-1")
        assert eventually(lambda: "live-adopted-1" in set(view.orders["clientOid"]))
        view.close()
        alone = bg.OrdersView(client, stream=False)
        assert alone.stream is None
        rest(client, "live-adopted-2")
        assert stream.wait_until(lambda s: "live-adopted-2" in set(s.orders["clientOid"]), WAIT_S)
        time.sleep(0.1)
        assert "live-adopted-2" not in set(alone.orders["clientOid"])  # read once, not followed
        alone.close()
    assert bg.OrdersView(client).stream is None  # every stream closed: nothing to follow


def test_the_orders_view_redraws_positions_from_position_pushes_without_a_rest_read(client, wire):
    with client.stream() as stream:
        view = bg.OrdersView(client, stream=stream)
        reads = wire.requests.count(("GET", POSITIONS, b""))
        client.submit_new_order(category="USDT-FUTURES", symbol="BTCUSDT", side="buy",
                                orderType="market", qty="0.01", clientOid="live-pos-1")  # fmt: skip
        assert eventually(lambda: list(view.positions["symbol"]) == ["BTCUSDT"])
        assert view.positions["category"].tolist() == ["USDT-FUTURES"]  # from marginCoin
        assert float(view.positions["total"].iloc[0]) == 0.01
        assert "BTCUSDT" in text_of(view._positions_html)
        assert wire.requests.count(("GET", POSITIONS, b"")) == reads  # pushed, not read
        over_rest = client.get_current_position(category="USDT-FUTURES")
        assert over_rest[["symbol", "posSide", "total"]].equals(
            view.positions[["symbol", "posSide", "total"]]
        )
        client.close_all_positions(category="USDT-FUTURES", symbol="BTCUSDT")
        assert eventually(lambda: view.positions.empty)
        assert "no USDT-FUTURES positions" in text_of(view._positions_html)
        view.close()
