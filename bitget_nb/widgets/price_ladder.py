"""``PriceLadder``: a live ticker and the top of the order book of one symbol, updated in
place from a :class:`~bitget_nb.stream.Stream`; clicking a price puts it into an
:class:`~bitget_nb.widgets.OrderForm`'s ``price`` field (nothing is sent: the form's Review →
Confirm still decides).

Pushes arrive on the stream's thread; the ladder hands each redraw to the loop it was made on
(the kernel's, see :mod:`._live`), so it is safe in JupyterLab and Voila, and redraws at once
where there is no such loop (scripts, tests):

>>> import bitget_nb as bg
>>> with bg.LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     form = bg.OrderForm(client, symbol="BTCUSDT", orderType="limit")
...     ladder = PriceLadder(client, category="SPOT", symbol="BTCUSDT", order_form=form)
...     ok = ladder.stream.wait_until(lambda s: not s.book("BTCUSDT").empty, timeout=10)
...     ladder.refresh()
...     ladder.price_buttons[-1].click()  # the lowest bid shown
...     picked = form.fields["price"].value == ladder.prices[-1]
...     ladder.close()
...     client.close()
>>> ok, picked, ladder.stream.closed
(True, True, True)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd

from ..stream import Stream
from ._live import Coalesced, UiLoop, remove_all, until
from ._ui import Panel, esc, styled_button

if TYPE_CHECKING:
    from ..client import BitgetClient
    from .order_form import OrderForm

__all__ = ["PriceLadder"]

logger = logging.getLogger(__name__)

#: The book topic for a depth: the snapshot channels where they are deep enough, else the
#: checked incremental ``books``.
_BOOK_TOPICS = ((1, "books1"), (5, "books5"))


def _book_topic(depth: int) -> str:
    return next((topic for n, topic in _BOOK_TOPICS if depth <= n), "books")


def price_text(value: Any) -> str:
    """A price as the decimal text the exchange sent (the float's shortest form, never an
    exponent).

    >>> price_text(65861.83), price_text(1e-05), price_text(60000.0)
    ('65861.83', '0.00001', '60000')
    """
    text = format(Decimal(repr(float(value))), "f")
    return text[:-2] if text.endswith(".0") else text


def _size(value: Any) -> str:
    return "" if value is None or pd.isna(value) else format(float(value), ".6g")


class PriceLadder(Panel):
    """The ticker and ``depth`` levels a side of ``symbol`` (``category``), asks above bids,
    from ``source``: a :class:`~bitget_nb.stream.Stream` (shared: left open by :meth:`close`)
    or a client (the ladder opens a stream of its own and closes it with itself).

    ``price_buttons`` are the levels top to bottom (highest ask first); clicking one calls
    :meth:`pick` with its price, which fills ``order_form``'s price field. ``book``,
    ``ticker`` and ``prices`` hold what is shown; :meth:`refresh` redraws now.
    """

    def __init__(
        self,
        source: BitgetClient | Stream,
        /,
        *,
        category: str = "SPOT",
        symbol: str = "BTCUSDT",
        depth: int = 5,
        order_form: OrderForm | None = None,
    ) -> None:
        if not 1 <= depth <= 50:
            raise ValueError(f"depth must be 1 to 50 levels a side, got {depth}")
        owned = not isinstance(source, Stream)
        stream = source.stream() if not isinstance(source, Stream) else source
        super().__init__(None)
        self.stream = stream
        self.category, self.symbol, self.depth = category.upper(), symbol, depth
        self.order_form = order_form
        self.book = pd.DataFrame(columns=["side", "level", "price", "size", "ts"])
        self.ticker: pd.Series | None = None
        #: the price text of each button, top to bottom ("" where the book is thinner)
        self.prices: list[str] = [""] * (2 * depth)
        self._owned = owned
        self._closed = False
        self._ui = UiLoop()
        self._updates = Coalesced(self._ui, self._render)
        self._removers: list[Any] = []

        self._header = w.HTML()
        self._header.add_class("bgnb-ladder-ticker")
        self.price_buttons: list[w.Button] = []
        self._sizes: list[w.HTML] = []
        rows = []
        for i in range(2 * depth):
            side = "ask" if i < depth else "bid"
            style = "danger" if side == "ask" else "success"
            tip = "use this price in the order form"
            button = styled_button("", f"bgnb-ladder-{side}", style=style, tooltip=tip)
            button.layout.width = "12ch"
            button.on_click(lambda b, i=i: self._clicked(b, self._pick_level, i))
            size = w.HTML()
            self.price_buttons.append(button)
            self._sizes.append(size)
            rows.append(w.HBox([button, size]))
        self.children = [self._header, *rows, self._status]
        self.add_class("bgnb-price-ladder")
        try:
            self._removers += [stream.on(t, self._pushed) for t in ("ticker", self._topic)]
            stream.subscribe("ticker", category=self.category, symbol=symbol)
            stream.subscribe(self._topic, category=self.category, symbol=symbol)
        except Exception:
            self.close()
            raise
        self.refresh()

    @property
    def _topic(self) -> str:
        return _book_topic(self.depth)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "live"
        return f"PriceLadder({self.category} {self.symbol}, depth={self.depth}, {state})"

    # -- updates -------------------------------------------------------------------------------
    def _pushed(self, message: dict[str, Any]) -> None:
        """On the stream's thread: ask for a redraw on the widget's loop."""
        arg = message.get("arg") or {}
        if arg.get("symbol") == self.symbol and str(arg.get("instType", "")).upper() == (
            self.category
        ):
            self._updates.request()

    def refresh(self) -> None:
        """Redraw now from the stream's views (call it on the thread that shows the widget)."""
        if not self._closed:
            with self._ui.lock:
                self._render()

    def _render(self) -> None:
        if self._closed:
            return
        book = self.stream.book(self.symbol, self.category, depth=self.depth)
        self.ticker = self.stream._ticker(self.category, self.symbol)
        self.book = book
        asks = book[book["side"] == "ask"].sort_values("level", ascending=False)
        bids = book[book["side"] == "bid"].sort_values("level")
        pad = [None] * self.depth
        levels = [*pad[: self.depth - len(asks)], *asks.itertuples(), *bids.itertuples()]
        levels += pad[: 2 * self.depth - len(levels)]
        for i, level in enumerate(levels[: 2 * self.depth]):
            text = "" if level is None else price_text(level.price)
            self.prices[i] = text
            self.price_buttons[i].description = text or "—"
            self.price_buttons[i].disabled = not text
            self._sizes[i].value = "" if level is None else esc(_size(level.size))
        self._header.value = self._header_html()

    def _header_html(self) -> str:
        t = self.ticker
        if t is None:
            return f"<b>{esc(self.symbol)}</b> {esc(self.category)} · waiting for the ticker…"
        change = t.get("price24hPcnt")
        pct = "" if change is None or pd.isna(change) else f" · 24h {float(change):+.2%}"
        ts = t.get("ts")
        when = "" if ts is None or pd.isna(ts) else f" · {ts:%Y-%m-%d %H:%M:%S} UTC"
        return (
            f"<b>{esc(self.symbol)}</b> {esc(self.category)} · last "
            f"<b>{esc(price_text(t['lastPrice']))}</b>{esc(pct)}{esc(when)}"
        )

    async def until(self, predicate: Callable[[PriceLadder], bool], timeout: float = 10.0) -> bool:
        """``await ladder.until(lambda l: ..., timeout)`` in a cell: wait until
        ``predicate(ladder)`` holds, letting the kernel's loop redraw the ladder meanwhile (a
        blocking wait would hold the redraws back); the last result."""
        return await until(lambda: predicate(self), timeout)

    # -- clicks --------------------------------------------------------------------------------
    def _pick_level(self, i: int) -> None:
        if self.prices[i]:
            self.pick(self.prices[i])

    def pick(self, price: str) -> None:
        """Put ``price`` into the order form's price field (and say so); nothing is sent."""
        form = self.order_form
        if form is None:
            self._say(f"{price}: no order form to fill (PriceLadder(..., order_form=form))")
            return
        if form.fields["orderType"].value != "limit":
            form.fields["orderType"].value = "limit"  # a price is for a limit order
        form.fields["price"].value = price
        self._say(f"price {price} → order form", "ok")

    # -- closing -------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop updating (callbacks removed; the ladder's own stream closed and its thread
        joined) and close the widget."""
        self._closed = True
        updates = getattr(self, "_updates", None)
        if updates is not None:
            updates.stop()
        remove_all(getattr(self, "_removers", []))
        stream = getattr(self, "stream", None)
        if stream is not None and getattr(self, "_owned", False):
            stream.close()
        super().close()
