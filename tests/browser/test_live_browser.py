"""Live widgets in a real browser, in Voila and in JupyterLab: a notebook whose price ladder,
order ticket and orders view follow a WebSocket stream of a local exchange started by this
test (on a manual clock) runs, and then the page changes by itself — with no click, no
Refresh and no polling — when:

* the test moves the exchange's clock: the ladder shows the new ticker (its time and last
  price, as REST then answers) and the new book;
* the test places and cancels an order over REST from its own client: the orders view lists
  it and then says there are none;
* the test opens and closes a futures position over REST: the view's positions follow.

A click on a ladder price fills the ticket's price and sends nothing. The widgets change
state only on the kernel's loop (ipywidgets #4020; Voila #431, #465: background updates that
did not reach the page), so every update seen here crossed from the stream's thread to the
kernel's loop and on to the browser. No console error, no page error, no cut label.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import bitget_nb as bg
from bitget_nb.widgets.price_ladder import price_text

from .harness import (
    ARTIFACTS,
    CUT_LABELS_JS,
    chromium,
    exchange_env,
    jupyterlab,
    run_all_in_lab,
    settled,
    voila,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(150)]

START = "2026-01-05T00:00:00Z"
LIVE_WAIT_MS = 10_000

NOTEBOOK_CELLS = [
    "import bitget_nb as bg\n\n"
    "client = bg.connect()\n"
    "stream = client.stream()\n"
    'form = bg.OrderForm(client, category="SPOT", symbol="BTCUSDT", side="buy", qty="0.001")\n'
    'ladder = bg.PriceLadder(stream, category="SPOT", symbol="BTCUSDT", depth=5, order_form=form)\n'
    "ladder",
    "form",
    "view = bg.OrdersView(client)  # follows the open stream\nview",
]

#: The ladder's price buttons, top to bottom, as shown.
LADDER_PRICES_JS = """() => [...document.querySelectorAll(
    '.bgnb-price-ladder .bgnb-ladder-ask, .bgnb-price-ladder .bgnb-ladder-bid'
)].map(b => b.textContent.trim())"""


@pytest.fixture
def exchange() -> Iterator[bg.LocalExchange]:
    with bg.LocalExchange(seed=7, start_time=START) as ex:
        yield ex


@contextmanager
def _notebook_page(
    app: str, notebook: Path, tmp_path: Path, env: Mapping[str, str]
) -> Iterator[tuple[Any, list[str]]]:
    """``notebook`` run in ``app`` (Voila runs it on load; in JupyterLab: Run All), in
    Chromium: the page and its console/page errors."""
    serve = voila if app == "voila" else jupyterlab
    with serve(notebook, tmp_path, env) as url, chromium(url) as (page, problems):
        if app == "jupyterlab":
            run_all_in_lab(page)
        yield page, problems


def _last_price(client: bg.BitgetClient) -> str:
    ticker = client.get_tickers(category="SPOT", symbol="BTCUSDT")
    return price_text(ticker["lastPrice"].iloc[0])


@pytest.mark.parametrize("app", ["voila", "jupyterlab"])
def test_the_ladder_and_orders_view_update_in_the_page_from_stream_pushes(
    app: str, exchange: bg.LocalExchange, tmp_path: Path
):
    from playwright.sync_api import expect

    notebook = tmp_path / "live.ipynb"
    write_notebook(notebook, NOTEBOOK_CELLS)
    env = exchange_env(exchange)
    store = exchange.venue.trading.store
    with (
        bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url) as me,
        _notebook_page(app, notebook, tmp_path, env) as (page, problems),
    ):
        ladder = page.locator(".bgnb-price-ladder")
        header = ladder.locator(".bgnb-ladder-ticker")
        view = page.locator(".bgnb-orders-view")
        expect(view).to_be_visible(timeout=90_000)  # the last output: the kernel ran them all
        expect(header).to_contain_text("2026-01-05 00:00:00 UTC", timeout=LIVE_WAIT_MS)
        expect(header).to_contain_text(f"last {_last_price(me)}")
        page.wait_for_function(
            f"() => ({LADDER_PRICES_JS})().every(p => p !== '' && p !== '—')",
            timeout=LIVE_WAIT_MS,
        )
        before = page.evaluate(LADDER_PRICES_JS)
        assert [float(p) for p in before] == sorted((float(p) for p in before), reverse=True)

        # the market moves: only the exchange's push tells the page
        exchange.advance(seconds=30)
        expect(header).to_contain_text("2026-01-05 00:00:30 UTC", timeout=LIVE_WAIT_MS)
        expect(header).to_contain_text(f"last {_last_price(me)}")
        book = me.get_orderbook(category="SPOT", symbol="BTCUSDT", limit=5)
        asks = sorted(book[book["side"] == "ask"]["price"], reverse=True)
        bids = sorted(book[book["side"] == "bid"]["price"], reverse=True)
        expected = [price_text(p) for p in [*asks, *bids]]
        page.wait_for_function(
            f"expected => JSON.stringify(({LADDER_PRICES_JS})()) === JSON.stringify(expected)",
            arg=expected,
            timeout=LIVE_WAIT_MS,
        )
        assert expected != before

        # a click on the lowest bid fills the ticket's price; nothing is sent
        ladder.locator(".bgnb-ladder-bid").last.click()
        price = page.locator(".bgnb-order-form .bgnb-field-price input")
        expect(price).to_have_value(expected[-1], timeout=LIVE_WAIT_MS)
        expect(page.locator(".bgnb-order-form .bgnb-field-orderType select")).to_have_value("limit")
        expect(ladder.locator(".bgnb-status")).to_contain_text(f"price {expected[-1]}")
        assert store.open_orders() == []

        # an order placed and cancelled over REST by someone else: the view follows the pushes
        orders = view.locator(".bgnb-orders")
        expect(orders).to_contain_text("no open SPOT orders")
        ack = me.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy",
                                  orderType="limit", qty="0.001", price="60000",
                                  clientOid="browser-live-1")  # fmt: skip
        expect(orders).to_contain_text("browser-live-1", timeout=LIVE_WAIT_MS)
        expect(view.locator(".bgnb-order-select select option")).to_have_count(1)
        me.cancel_order(category="SPOT", symbol="BTCUSDT", orderId=ack["orderId"])
        expect(orders).to_contain_text("no open SPOT orders", timeout=LIVE_WAIT_MS)

        # and a futures position opened and closed over REST
        positions = view.locator(".bgnb-positions")
        expect(positions).to_contain_text("no USDT-FUTURES positions")
        me.submit_new_order(category="USDT-FUTURES", symbol="BTCUSDT", side="buy",
                            orderType="market", qty="0.01", clientOid="browser-live-2")  # fmt: skip
        expect(positions).to_contain_text("BTCUSDT", timeout=LIVE_WAIT_MS)
        expect(positions).to_contain_text("0.01")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"live-widgets-{app}.png"), full_page=True)
        me.close_all_positions(category="USDT-FUTURES", symbol="BTCUSDT")
        expect(positions).to_contain_text("no USDT-FUTURES positions", timeout=LIVE_WAIT_MS)

        assert settled(page, lambda: page.evaluate(CUT_LABELS_JS)) == []
        assert settled(page, lambda: problems) == []
