"""``Stream``: Bitget's V3 WebSocket as live pandas views, from a notebook or a script.

``client.stream()`` opens one. It runs a ``websockets`` client on an asyncio event loop of
its own, in a daemon thread of its own (``bitget_nb-stream``), so it works the same in
JupyterLab, Voila, nbval and plain scripts: it never touches the caller's event loop and
never needs ``nest_asyncio``. Its methods are synchronous and thread-safe
(``shared/spec/bitget-v3-ws.md``, cited as WS):

* :meth:`Stream.subscribe` / :meth:`Stream.unsubscribe` a topic (WS §3); they return once the
  exchange acknowledged it. A private topic (``order``, ``fill``, ``position``, ``account``…)
  logs in first with the client's key (WS §2); a refused login raises
  :class:`~bitget_nb.errors.StreamLoginError` with Bitget's code.
* The heartbeat: the text ``ping`` every ``ping_interval`` seconds (25, under the documented
  30); no frame within ``pong_timeout`` seconds after it drops the connection (WS §1.2, §11).
* A dropped connection is opened again with capped exponential backoff and jitter
  (0.5 s doubling to 30 s), then the stream logs in again and subscribes to everything again
  (WS §7). Order books restart from the fresh snapshot; the open orders, and the fills made
  while it was away, are read over REST (the ``order`` and ``fill`` channels replay nothing,
  WS §7).
* Every ``books`` push is checked (WS §4.3.1–4.3.2): ``pseq`` must continue ``seq`` and the
  CRC32 of the top 25 levels must match the ``checksum`` sent; on a gap or a mismatch the
  book is discarded and resubscribed for a fresh snapshot (``stats["resyncs"]``).

Views — current when read, built under the stream's lock, typed by the REST frames' schemas
of :mod:`bitget_nb.frames` so dtypes and missing values are those of the REST frames:
:attr:`Stream.tickers`, :meth:`Stream.book`, :attr:`Stream.orders` (open orders, as
``get_unfilled_orders`` shows them), :attr:`Stream.positions`, :attr:`Stream.fills`.
:meth:`Stream.on` registers a callback, called ON THE STREAM'S THREAD with each parsed push
(the JSON object as sent); an exception in it is caught and counted
(``stats["callback_errors"]``) and never stops the stream. Keep callbacks short, and hand
widget updates to the kernel's loop (``loop.call_soon_threadsafe``).

:meth:`Stream.close`, the stream's context manager, :meth:`BitgetClient.close` and the
interpreter's exit stop the loop and join the thread. The library never prints: log lines go
to the ``bitget_nb.stream`` logger.

>>> import bitget_nb as bg
>>> with bg.LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     with client.stream() as stream:
...         stream.subscribe("ticker", category="SPOT", symbol="BTCUSDT")
...         ok = stream.wait_until(lambda s: len(s.tickers) == 1, timeout=10)
...         ok, stream.tickers["symbol"].tolist()
...     client.close()
(True, ['BTCUSDT'])
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import heapq
import json
import logging
import random
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import frames, paging
from .config import Secret
from .errors import StreamError, StreamLoginError, StreamSubscriptionError
from .signing import BOOK_CHECKSUM_DEPTH, book_checksum, sign

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from .client import BitgetClient

__all__ = ["PRIVATE_TOPICS", "PUBLIC_TOPICS", "Stream", "book_checksum"]

logger = logging.getLogger(__name__)

#: Topics that need a login, subscribed with ``instType: "UTA"`` (WS §5).
PRIVATE_TOPICS = frozenset(
    {"account", "position", "order", "fill", "fast-fill", "strategy-order", "adl-notification"}
)
#: Market topics (WS §4).
PUBLIC_TOPICS = frozenset(
    {"ticker", "kline", "books", "books1", "books5", "books50", "publicTrade", "liquidation"}
)
#: Login refusals (WS §2.4): the login will not succeed by trying again.
_LOGIN_CODES = frozenset({30004, 30005, 30011, 30012, 30013, 30014, 30015})
#: A refused timestamp: measure the clock offset over REST and try once more.
_CLOCK_CODES = frozenset({30013, 30014})
#: Orders that are still open, in REST's words (the WS says ``new`` for ``live``, WS §5.3).
_OPEN = frozenset({"live", "partially_filled"})
#: WebSocket field names → REST's, per private channel (WS §5.2–5.4).
_ORDER_NAMES = {"holdSide": "posSide", "takeprofit": "takeProfit", "stoploss": "stopLoss"}
_ORDER_WS_ONLY = frozenset({"marginCoin", "leverage", "totalProfit", "matchType", "requestId"})
_FILL_NAMES = {"holdSide": "posSide", "execTime": "createdTime"}
_POSITION_NAMES = {"size": "total", "marginSize": "positionBalance",
                   "liqPrice": "liquidationPrice", "totalFundingFee": "totalFunding"}  # fmt: skip
_WS_STATUS = {"new": "live"}
#: At most this many args per subscribe frame (WS §11: ≤ 10; §1.3: ≤ 10 messages/s).
_ARGS_PER_FRAME = 10
_JOIN_SECONDS = 10.0

_live: weakref.WeakSet[Stream] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for stream in list(_live):
        stream.close()


def _key(arg: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (
        str(arg.get("topic", "")),
        str(arg.get("instType", "")).lower(),
        str(arg.get("symbol", "")),
        str(arg.get("interval", "")),
    )


def _arg(topic: str, category: str | None, symbol: str | None, interval: str | None) -> dict:
    """The wire arg of one subscription (WS §3.1), checked before anything is sent."""
    if topic in PRIVATE_TOPICS:
        arg: dict[str, str] = {"instType": "UTA", "topic": topic}
        if symbol:
            arg["symbol"] = symbol
        return arg
    if topic not in PUBLIC_TOPICS:
        known = ", ".join(sorted(PUBLIC_TOPICS | PRIVATE_TOPICS))
        raise StreamSubscriptionError(f"unknown topic {topic!r}; the topics are {known}")
    if not category:
        raise StreamSubscriptionError(
            f"{topic} needs category= (SPOT, USDT-FUTURES, COIN-FUTURES or USDC-FUTURES)"
        )
    arg = {"instType": category.lower(), "topic": topic}
    if topic != "liquidation":
        if not symbol:
            raise StreamSubscriptionError(f"{topic} needs symbol= (e.g. 'BTCUSDT')")
        arg["symbol"] = symbol
    if topic == "kline":
        if not interval:
            raise StreamSubscriptionError("kline needs interval= (1m, 5m, 1H, 1D …)")
        arg["interval"] = interval
    return arg


class _Refused(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(code, msg)
        self.code, self.msg = code, msg


def _code(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


@dataclass(slots=True)
class _Book:
    """One ``books*`` channel's local book: levels keyed by the price text as sent."""

    bids: dict[str, str] = field(default_factory=dict)
    asks: dict[str, str] = field(default_factory=dict)
    seq: int | None = None
    first: bool = False
    ts: Any = None

    #: price text → its value, parsed once (the checksum sorts the book after every push)
    values: dict[str, float] = field(default_factory=dict)

    def put(self, side: dict[str, str], price: str, size: str) -> None:
        """Set one level; a size of zero (``"0"``, ``"0.000"``) removes it (WS §4.3)."""
        if size.strip("0.") == "":
            side.pop(price, None)
            return
        if price not in self.values:
            if len(self.values) > 20_000:  # prices the book left long ago
                self.values = {p: self.values[p] for p in (*self.bids, *self.asks)}
            self.values[price] = float(price)
        side[price] = size

    def apply(self, levels: Mapping[str, Any]) -> None:
        """Set every bid (``b``) and ask (``a``) level of one pushed book entry."""
        for side, name in ((self.bids, "b"), (self.asks, "a")):
            for price, size, *_ in levels.get(name, []):
                self.put(side, price, size)

    def sorted(self, depth: int | None = None) -> tuple[list[list[str]], list[list[str]]]:
        n = depth if depth is not None else max(len(self.bids), len(self.asks))
        value = self.values.__getitem__
        bids = heapq.nlargest(n, self.bids, key=value)
        asks = heapq.nsmallest(n, self.asks, key=value)
        return [[p, self.bids[p]] for p in bids], [[p, self.asks[p]] for p in asks]


@dataclass(eq=False)
class _Link:
    """One WebSocket URL and what should be subscribed on it."""

    url: str
    subs: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    acked: set[tuple[str, str, str, str]] = field(default_factory=set)
    ws: ClientConnection | None = None
    logged_in: bool = False
    logging_in: bool = False
    clock_retried: bool = False
    login_waiter: asyncio.Future[None] | None = None
    last_rx: float = 0.0
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def private(self) -> list[dict[str, Any]]:
        return [a for k, a in self.subs.items() if a["instType"] == "UTA" and k not in self.acked]


class Stream:
    """Live WebSocket views for ``client`` (see the module docstring); ``client.stream()``
    makes one. ``ping_interval``/``pong_timeout`` set the heartbeat,
    ``ack_timeout`` how long :meth:`subscribe` waits for the exchange, ``max_backoff`` the
    longest pause between reconnects, ``max_fills`` how many fills :attr:`fills` keeps."""

    def __init__(
        self,
        client: BitgetClient,
        *,
        ping_interval: float = 25.0,
        pong_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_fills: int = 10_000,
    ) -> None:
        self._client = client
        public, private = client.ws_urls
        self._urls = {"public": public, "private": private}
        self.ping_interval, self.pong_timeout, self.ack_timeout = (
            ping_interval,
            pong_timeout,
            ack_timeout,
        )
        self.min_backoff, self.max_backoff, self.max_fills = min_backoff, max_backoff, max_fills
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stats = dict.fromkeys(
            ("connects", "reconnects", "pushes", "book_updates", "checksums_verified",
             "resyncs", "callback_errors", "frame_errors", "login_failures",
             "order_refreshes", "fill_refreshes"), 0,
        )  # fmt: skip
        self._tickers: dict[tuple[str, str], dict[str, Any]] = {}
        self._books: dict[tuple[str, str, str], _Book] = {}
        self._orders: dict[str, dict[str, Any]] = {}
        self._order_times: dict[str, int] = {}
        #: order pushes taken in so far, and the count at each order's last push: a REST
        #: read that began before a push knows less than it (exchange clocks tie, counts don't)
        self._order_pushes = 0
        self._order_pushed_at: dict[str, int] = {}
        self._positions: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._fills: dict[str, dict[str, Any]] = {}
        #: the account's newest fill when ``fill`` was first acked, (createdTime, execId):
        #: where a catch-up after a reconnect starts (absent: not read yet)
        self._fills_baseline: tuple[int, str] | None = None
        self._account: dict[str, Any] | None = None
        self._callbacks: dict[str, list[Callable[[dict[str, Any]], Any]]] = {}
        self._pending: dict[tuple[str, str, str, str], list[concurrent.futures.Future[None]]] = {}
        self._links: dict[str, _Link] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._clock_synced = False
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="bitget_nb-stream", daemon=True
        )
        self._thread.start()
        ready.wait(_JOIN_SECONDS)
        _live.add(self)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        subs = sum(len(link.subs) for link in list(getattr(self, "_links", {}).values()))
        return f"Stream({self._urls['private']!r}, {state}, subscriptions={subs})"

    # -- the caller's side ---------------------------------------------------------------------

    def subscribe(
        self,
        topic: str,
        *,
        category: str | None = None,
        symbol: str | None = None,
        interval: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Follow ``topic``; returns once the exchange acknowledged it (within ``timeout``,
        default ``ack_timeout``). Market topics take ``category`` (REST's: ``SPOT``,
        ``USDT-FUTURES``…) and ``symbol`` (``kline`` also ``interval``); private topics take
        neither. Raises :class:`~bitget_nb.errors.StreamLoginError` when the login is
        refused, :class:`~bitget_nb.errors.StreamSubscriptionError` when the exchange refuses
        the topic, :class:`~bitget_nb.errors.StreamError` when no answer came in time (the
        subscription then stays requested and is sent when the connection is back)."""
        arg = _arg(topic, category, symbol, interval)
        self._wait(self._submit(self._add, arg), timeout, f"subscribe to {topic}")

    def unsubscribe(
        self,
        topic: str,
        *,
        category: str | None = None,
        symbol: str | None = None,
        interval: str | None = None,
    ) -> None:
        """Stop following ``topic`` (same arguments as :meth:`subscribe`); its view stays as
        it was last seen."""
        arg = _arg(topic, category, symbol, interval)
        self._wait(self._submit(self._remove, arg), None, f"unsubscribe from {topic}")

    def on(self, topic: str, fn: Callable[[dict[str, Any]], Any]) -> Callable[[], None]:
        """Call ``fn(push)`` on the stream's thread with every push of ``topic`` (``"*"``: of
        every topic), the parsed JSON object (``action``, ``arg``, ``data``, ``ts``), after
        the views took it in. Returns a function that removes the callback. A callback may
        call :meth:`subscribe`/:meth:`unsubscribe`; they then return at once, unacknowledged."""
        with self._lock:
            self._callbacks.setdefault(topic, []).append(fn)

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._callbacks.get(topic, []).remove(fn)

        return remove

    def wait_until(self, predicate: Callable[[Stream], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate(stream)`` is true (checked after every push) or ``timeout``
        seconds passed; returns the last result."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (result := bool(predicate(self))):
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    break
                self._changed.wait(min(left, 0.5))
        return result

    @property
    def stats(self) -> dict[str, int]:
        """Counters: ``connects``, ``reconnects``, ``pushes``, ``book_updates``,
        ``checksums_verified``, ``resyncs``, ``callback_errors``, ``frame_errors`` (frames
        that could not be handled, logged), ``login_failures``, ``order_refreshes`` and
        ``fill_refreshes`` (REST reads after each ``order`` / ``fill`` ack)."""
        with self._lock:
            return dict(self._stats)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close the connections, stop the loop and join the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        _live.discard(self)
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._request_stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(_JOIN_SECONDS)
        with self._changed:
            self._changed.notify_all()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- views ---------------------------------------------------------------------------------

    @property
    def tickers(self) -> pd.DataFrame:
        """One row per (category, symbol) followed on ``ticker``: REST's ticker columns
        (``get_tickers``), ``ts`` the push's time."""
        with self._lock:
            rows = list(self._tickers.values())
        return frames.to_frame(rows, "ticker")

    def _ticker(self, category: str, symbol: str) -> pd.Series | None:
        """The one row of :attr:`tickers` for ``(category, symbol)``, or ``None`` (a widget
        redrawing on every book push needs no frame of every ticker)."""
        with self._lock:
            row = self._tickers.get((category.upper(), symbol))
        return None if row is None else frames.to_frame([row], "ticker").iloc[0]

    def book(
        self, symbol: str, category: str = "SPOT", *, depth: int | None = None
    ) -> pd.DataFrame:
        """The checked local order book of ``symbol`` followed on ``books`` (or ``booksN``)
        in the long shape of REST's :func:`~bitget_nb.frames.orderbook_frame`: ``side, level,
        price, size, ts``; empty until the first snapshot (and while it resyncs)."""
        inst = category.lower()
        with self._lock:
            found = [b for (t, i, s), b in self._books.items() if (i, s) == (inst, symbol)]
            book = next((b for b in found if b.seq is not None), None)
            if book is None:
                return frames.orderbook_frame({})
            bids, asks = book.sorted(depth)
            ts = book.ts
        return frames.orderbook_frame({"a": asks, "b": bids, "ts": ts})

    @property
    def orders(self) -> pd.DataFrame:
        """My open orders (``order`` channel, seeded and re-read over REST after every
        (re)connect): the columns and dtypes of ``get_unfilled_orders``, newest first."""
        with self._lock:
            rows = sorted(
                self._orders.values(),
                key=lambda r: (int(r.get("createdTime") or 0), str(r.get("orderId"))),
                reverse=True,
            )
        return frames.to_frame(rows, "order")

    @property
    def positions(self) -> pd.DataFrame:
        """My open positions (``position`` channel) with REST's ``current-position`` column
        names (``total``, ``positionBalance``, ``liquidationPrice``, ``totalFunding``). The
        push carries no ``category``; it is inferred from ``marginCoin`` as WS §5.2 tells
        clients to (USDT → ``USDT-FUTURES``, USDC → ``USDC-FUTURES``, a coin → ``COIN-FUTURES``)."""
        with self._lock:
            rows = list(self._positions.values())
        return frames.to_frame(rows, "position")

    @property
    def fills(self) -> pd.DataFrame:
        """My fills since subscribing to ``fill`` (the last ``max_fills``), oldest first,
        with REST's ``fills`` columns (``posSide``, ``createdTime``); those made while the
        stream was reconnecting are read over REST once it is back."""
        with self._lock:
            rows = list(self._fills.values())
        return frames.to_frame(rows, "fill")

    @property
    def account(self) -> dict[str, Any] | None:
        """The last ``account`` push's object as sent, or ``None``."""
        with self._lock:
            return None if self._account is None else dict(self._account)

    # -- hand-over to the loop -----------------------------------------------------------------

    def _submit(self, fn: Callable[..., None], *args: Any) -> concurrent.futures.Future[None]:
        if self._closed:
            raise StreamError("the stream is closed; open another with client.stream()")
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        try:
            self._loop.call_soon_threadsafe(functools.partial(fn, *args, future))
        except RuntimeError:  # the loop has ended
            raise StreamError("the stream is closed; open another with client.stream()") from None
        return future

    def _wait(
        self, future: concurrent.futures.Future[None], timeout: float | None, what: str
    ) -> None:
        if threading.current_thread() is self._thread:
            return  # from a callback: the loop cannot answer while it runs it; sent all the same
        limit = self.ack_timeout if timeout is None else timeout
        try:
            error = future.exception(timeout=limit)
        except concurrent.futures.TimeoutError:
            raise StreamError(
                f"{what}: no answer from {self._urls['private']} within {limit:g} s; it stays "
                "requested and is sent again when the connection is back"
            ) from None
        if error is not None:
            raise error

    # -- the loop thread -----------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main(ready))
        except Exception:
            logger.exception("stream loop failed")
        finally:
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(self._loop.shutdown_default_executor())
            self._loop.close()
            self._closed = True
            with self._changed:
                self._changed.notify_all()

    async def _main(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        ready.set()
        await self._stop.wait()
        for link in self._links.values():
            if link.ws is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(link.ws.close(), 2.0)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for futures in self._pending.values():
            for future in futures:
                if not future.done():
                    future.set_exception(StreamError("the stream was closed"))

    def _request_stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def _task(self, coro: Any) -> None:
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _link(self, arg: Mapping[str, Any]) -> _Link:
        url = self._urls["private" if arg["instType"] == "UTA" else "public"]
        link = self._links.get(url)
        if link is None:
            link = self._links[url] = _Link(url)
            self._task(self._keep_connected(link))
        return link

    def _add(self, arg: dict[str, Any], future: concurrent.futures.Future[None]) -> None:
        link, key = self._link(arg), _key(arg)
        if key in link.acked:
            future.set_result(None)
            return
        self._pending.setdefault(key, []).append(future)
        if key in link.subs:
            return  # already asked for; the same ack answers both
        link.subs[key] = arg
        if link.ws is None:
            link.wake.set()
        elif arg["instType"] != "UTA" or link.logged_in:
            self._task(self._send_subs(link, link.ws, [arg], "subscribe"))
        elif not link.logging_in:
            self._task(self._login_then_subscribe(link, link.ws))

    def _remove(self, arg: dict[str, Any], future: concurrent.futures.Future[None]) -> None:
        link, key = self._link(arg), _key(arg)
        link.subs.pop(key, None)
        was_acked = key in link.acked
        link.acked.discard(key)
        with self._lock:
            self._books.pop((key[0], key[1], key[2]), None)
        if link.ws is not None and was_acked:
            self._task(self._send_subs(link, link.ws, [arg], "unsubscribe"))
        future.set_result(None)

    def _resolve(self, key: tuple[str, str, str, str], error: BaseException | None) -> None:
        for future in self._pending.pop(key, []):
            if not future.done():
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

    # -- one connection, kept open -------------------------------------------------------------

    async def _keep_connected(self, link: _Link) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidURI, WebSocketException

        assert self._stop is not None
        failures = 0
        first = True
        while not self._stop.is_set():
            if not link.subs:
                link.wake.clear()
                await link.wake.wait()
                continue
            if not first:
                with self._lock:
                    self._stats["reconnects"] += 1
            first = False
            try:
                async with connect(
                    link.url,
                    ping_interval=None,  # Bitget's heartbeat is the text ping (WS §1.2)
                    open_timeout=self.ack_timeout,
                    close_timeout=2.0,
                    max_size=4 * 1_048_576,
                    logger=logger,
                ) as ws:
                    failures = 0
                    with self._lock:
                        self._stats["connects"] += 1
                    await self._session(link, ws)
            except InvalidURI as exc:
                self._fail_all(link, StreamError(f"cannot open {link.url}: {exc}"))
            except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as exc:
                logger.debug("stream %s: connection lost (%s)", link.url, type(exc).__name__)
            except Exception:
                logger.exception("stream %s: connection failed", link.url)
            finally:
                self._dropped(link)
            if self._stop.is_set():
                break
            delay = min(self.max_backoff, self.min_backoff * 2**failures)
            delay *= random.uniform(0.5, 1.0)  # jitter: reconnects of many clients spread out
            failures += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    def _dropped(self, link: _Link) -> None:
        link.ws, link.logged_in, link.logging_in = None, False, False
        link.acked.clear()
        if link.login_waiter is not None and not link.login_waiter.done():
            link.login_waiter.set_exception(ConnectionError("connection lost"))
        link.login_waiter = None
        with self._lock:
            for topic, inst, symbol, _ in link.subs:
                book = self._books.get((topic, inst, symbol))
                if book is not None:
                    book.seq = None  # a fresh snapshot comes with the new subscription (WS §7)

    def _fail_all(self, link: _Link, error: StreamError) -> None:
        for key in list(link.subs):
            self._resolve(key, error)
        link.subs.clear()

    async def _session(self, link: _Link, ws: ClientConnection) -> None:
        link.ws, link.last_rx = ws, time.monotonic()
        beat = self._loop.create_task(self._heartbeat(link, ws))
        try:
            public = [a for a in link.subs.values() if a["instType"] != "UTA"]
            if public:
                self._task(self._send_subs(link, ws, public, "subscribe"))
            if link.private():
                self._task(self._login_then_subscribe(link, ws))
            async for frame in ws:
                link.last_rx = time.monotonic()
                if frame == "pong" or isinstance(frame, bytes):
                    continue
                try:
                    self._dispatch(link, ws, frame)
                except Exception:  # a frame we cannot read must not end the stream
                    with self._lock:
                        self._stats["frame_errors"] += 1
                    logger.exception("stream %s: a frame could not be handled", link.url)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _heartbeat(self, link: _Link, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            sent = time.monotonic()
            await ws.send("ping")
            await asyncio.sleep(self.pong_timeout)
            if link.last_rx < sent:  # nothing came back: the connection is dead (WS §11)
                logger.debug("stream %s: no pong, reconnecting", link.url)
                ws.transport.abort()
                return

    async def _send_subs(
        self, link: _Link, ws: ClientConnection, args: list[dict[str, Any]], op: str
    ) -> None:
        for i in range(0, len(args), _ARGS_PER_FRAME):
            if i:
                await asyncio.sleep(0.125)  # ≤ 8 frames a second (WS §1.3, §11)
            chunk = args[i : i + _ARGS_PER_FRAME]
            with contextlib.suppress(Exception):
                await ws.send(json.dumps({"op": op, "args": chunk}, separators=(",", ":")))

    async def _login_then_subscribe(self, link: _Link, ws: ClientConnection) -> None:
        link.logging_in = True
        try:
            if not self._clock_synced:
                # the login is signed over the exchange's time (±30 s, WS §2.4): measure the
                # offset over REST once, as the REST client does on a 40008
                self._clock_synced = True
                with contextlib.suppress(Exception):
                    await self._loop.run_in_executor(None, self._client.transport.sync_time)
            await self._login(link, ws)
        except _Refused as refusal:
            with self._lock:
                self._stats["login_failures"] += 1
            if refusal.code in _CLOCK_CODES and not link.clock_retried:
                # the exchange's clock is not ours: measure the offset over REST, try again on
                # the next connection (the exchange closes this one, WS §1.4)
                link.clock_retried = True
                with contextlib.suppress(Exception):
                    await self._loop.run_in_executor(None, self._client.transport.sync_time)
                return
            error = StreamLoginError(str(refusal.code), refusal.msg)
            for arg in link.private():
                key = _key(arg)
                link.subs.pop(key, None)
                self._resolve(key, error)
            return
        except (ConnectionError, TimeoutError):
            return
        finally:
            link.logging_in = False
        link.logged_in, link.clock_retried = True, False
        await self._send_subs(link, ws, link.private(), "subscribe")

    async def _login(self, link: _Link, ws: ClientConnection) -> None:
        """WS §2: ``sign(secret, seconds + "GET" + "/user/verify")``; the frame and the
        signature are held as :class:`~bitget_nb.config.Secret` (hidden in any repr)."""
        creds = self._client._credentials
        if creds is None:
            raise _Refused(30004, "private topics need API credentials on the client")
        seconds = str(self._client.transport.now_ms() // 1000)
        frame = Secret(
            json.dumps(
                {"op": "login", "args": [{
                    "apiKey": creds.api_key, "passphrase": str(creds.api_pass),
                    "timestamp": seconds,
                    "sign": str(sign(creds.api_secret, seconds, "GET", "/user/verify")),
                }]},
                separators=(",", ":"),
            )
        )  # fmt: skip
        link.login_waiter = self._loop.create_future()
        await ws.send(frame)
        del frame
        try:
            await asyncio.wait_for(asyncio.shield(link.login_waiter), self.ack_timeout)
        finally:
            link.login_waiter = None

    # -- frames in -----------------------------------------------------------------------------

    def _dispatch(self, link: _Link, ws: ClientConnection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            logger.debug("stream %s: a frame that is not JSON", link.url)
            return
        if not isinstance(message, dict):
            return
        event = message.get("event")
        if event == "login":
            waiter = link.login_waiter
            if waiter is not None and not waiter.done():
                if _code(message.get("code")) == 0:  # 0 or "0" (WS §2.3)
                    waiter.set_result(None)
                else:
                    waiter.set_exception(
                        _Refused(_code(message.get("code")), str(message.get("msg")))
                    )
        elif event == "error":
            self._on_error(link, message)
        elif event in ("subscribe", "unsubscribe"):
            arg = message.get("arg")
            if isinstance(arg, dict) and event == "subscribe":
                key = _key(arg)
                if key in link.subs:
                    link.acked.add(key)
                    if key[0] == "order":
                        self._task(self._refresh_orders())
                    elif key[0] == "fill":
                        self._task(self._catch_up_fills())
                self._resolve(key, None)
        elif "action" in message and isinstance(message.get("arg"), dict):
            self._on_push(link, ws, message)

    def _on_error(self, link: _Link, message: Mapping[str, Any]) -> None:
        code, msg = _code(message.get("code")), str(message.get("msg", ""))
        arg = message.get("arg")
        waiter = link.login_waiter
        if not isinstance(arg, dict):
            if waiter is not None and not waiter.done() and code in _LOGIN_CODES:
                waiter.set_exception(_Refused(code, msg))
            else:
                logger.debug("stream %s: error %s %s", link.url, code, msg)
            return
        # a refused subscription is dropped, not sent again after every reconnect (WS §11)
        key = _key(arg)
        link.subs.pop(key, None)
        self._resolve(key, StreamSubscriptionError(f"[{code}] {msg}", code=str(code)))

    def _on_push(self, link: _Link, ws: ClientConnection, message: dict[str, Any]) -> None:
        arg = message["arg"]
        topic = str(arg.get("topic", ""))
        data = message.get("data")
        with self._changed:
            self._stats["pushes"] += 1
            if topic.startswith("books"):
                self._on_book(link, ws, arg, message)
            elif topic == "ticker":
                for row in data or []:
                    cat, sym = str(arg.get("instType", "")).upper(), str(arg.get("symbol", ""))
                    self._tickers[(cat, sym)] = {
                        "category": cat, "symbol": sym, **row, "ts": message.get("ts")
                    }  # fmt: skip
            elif topic == "order":
                for row in data or []:
                    self._on_order(row)
            elif topic == "fill":
                for row in data or []:
                    self._on_fill(row)
            elif topic == "position":
                self._on_positions(message.get("action"), data or [])
            elif topic == "account" and data:
                self._account = data[0]
            self._changed.notify_all()
            callbacks = [*self._callbacks.get(topic, ()), *self._callbacks.get("*", ())]
        for fn in callbacks:
            try:
                fn(message)
            except Exception:
                with self._lock:
                    self._stats["callback_errors"] += 1
                logger.warning("stream callback %r failed on %s", fn, topic, exc_info=True)

    # -- the order book (WS §4.3) --------------------------------------------------------------

    def _on_book(
        self, link: _Link, ws: ClientConnection, arg: Mapping[str, Any], message: Mapping[str, Any]
    ) -> None:
        key = _key(arg)
        if key not in link.acked:
            return  # unsubscribed, or a resync underway
        book = self._books.setdefault((key[0], key[1], key[2]), _Book())
        for d in message.get("data") or []:
            seq, pseq = _code(d.get("seq")), _code(d.get("pseq"))
            if message.get("action") == "snapshot":
                book.bids, book.asks = {}, {}
                book.apply(d)
                book.seq, book.first = seq, True
            else:
                if book.seq is None or pseq == 0:
                    self._resync(link, ws, arg, book)
                    return
                if book.first:  # the first update may overlap the snapshot (rule 5)
                    if not (pseq <= book.seq <= seq):
                        self._resync(link, ws, arg, book)
                        return
                    book.first = False
                elif pseq != book.seq:  # a gap (rule 3)
                    self._resync(link, ws, arg, book)
                    return
                book.apply(d)
                book.seq = seq
                self._stats["book_updates"] += 1
            book.ts = d.get("ts")
            sent = _code(d.get("checksum"))
            if sent not in (0, -1):
                bids, asks = book.sorted(BOOK_CHECKSUM_DEPTH)
                if book_checksum(bids, asks) != sent:
                    self._resync(link, ws, arg, book)
                    return
                self._stats["checksums_verified"] += 1

    def _resync(
        self, link: _Link, ws: ClientConnection, arg: Mapping[str, Any], book: _Book
    ) -> None:
        """Discard the book and resubscribe: the next push is a fresh snapshot (WS §4.3.1)."""
        book.seq, book.bids, book.asks = None, {}, {}
        self._stats["resyncs"] += 1
        logger.debug("stream: resync of %s", dict(arg))
        key = _key(arg)
        link.acked.discard(key)
        self._task(self._resubscribe(link, ws, dict(arg)))

    async def _resubscribe(self, link: _Link, ws: ClientConnection, arg: dict[str, Any]) -> None:
        await self._send_subs(link, ws, [arg], "unsubscribe")
        await self._send_subs(link, ws, [arg], "subscribe")

    # -- private views (WS §5) -----------------------------------------------------------------

    def _on_order(self, row: Mapping[str, Any]) -> None:
        record = _rest_order(row)
        self._order_pushes += 1
        self._order_pushed_at[str(record.get("orderId"))] = self._order_pushes
        self._put_order(record)

    def _put_order(self, record: dict[str, Any]) -> None:
        """Take in an order in REST's words (a push, or a row of a REST read) unless a newer
        state of it is known already: kept while open, dropped once closed."""
        oid = str(record.get("orderId"))
        updated = _code(record.get("updatedTime"))
        if updated < self._order_times.get(oid, -1):
            return
        self._order_times[oid] = updated
        if record.get("orderStatus") in _OPEN:
            self._orders[oid] = record
        else:
            self._orders.pop(oid, None)

    def _on_fill(self, row: Mapping[str, Any]) -> None:
        record = {_FILL_NAMES.get(k, k): v for k, v in row.items()}
        record["category"] = str(row.get("category", "")).upper()
        self._fills[str(record.get("execId"))] = record
        while len(self._fills) > self.max_fills:
            self._fills.pop(next(iter(self._fills)))

    def _on_positions(self, action: Any, rows: list[Mapping[str, Any]]) -> None:
        if action == "snapshot":
            self._positions.clear()
        for row in rows:
            record = {_POSITION_NAMES.get(k, k): v for k, v in row.items()}
            record.setdefault("category", _position_category(row.get("marginCoin")))
            key = (str(row.get("symbol")), str(row.get("marginCoin")), str(row.get("posSide")))
            if row.get("positionStatus") == "ended" or not _positive(row.get("size")):
                self._positions.pop(key, None)
            else:
                self._positions[key] = record

    async def _refresh_orders(self) -> None:
        """Read the open orders over REST (every page) after the ``order`` subscription: the
        channel has no snapshot and replays nothing missed while disconnected (WS §7)."""
        with self._lock:
            began = self._order_pushes  # pushes are taken in on this loop's thread
        try:
            rows = await self._loop.run_in_executor(None, self._unfilled)
        except Exception as exc:
            logger.debug("stream: open orders not read (%s)", type(exc).__name__)
            return
        with self._changed:
            listed = {str(row.get("orderId")) for row in rows}

            def pushed_since(oid: str) -> bool:
                return self._order_pushed_at.get(oid, 0) > began

            for row in rows:
                if not pushed_since(str(row.get("orderId"))):  # else the push knows better
                    self._put_order(dict(row))
            for oid in [o for o in self._orders if o not in listed]:
                # gone from REST and not pushed since the read began: closed while away
                if not pushed_since(oid):
                    self._orders.pop(oid)
            self._stats["order_refreshes"] += 1
            self._changed.notify_all()

    async def _catch_up_fills(self) -> None:
        """After the first ``fill`` ack, note the account's newest fill (or the exchange's
        time, when it has none); after each later ack (a reconnect), read over REST the
        fills made since then or since the newest one seen, whichever is later, and add those
        the channel did not push: it replays nothing missed (WS §7)."""
        try:
            if self._fills_baseline is None:
                envelope = await self._loop.run_in_executor(None, self._newest_fill)
                data = envelope.get("data")
                newest = next(iter(paging.page_rows(data)), None)
                with self._lock:
                    self._fills_baseline = (
                        (_code(newest.get("createdTime")), str(newest.get("execId")))
                        if isinstance(newest, Mapping)
                        else (_code(envelope.get("requestTime")), "")
                    )
                    self._stats["fill_refreshes"] += 1
                return
            base_ms, base_id = self._fills_baseline
            with self._lock:
                since = max([base_ms, *(_code(r.get("createdTime")) for r in self._fills.values())])
            rows = await self._loop.run_in_executor(None, self._fills_since, since)
        except Exception as exc:
            logger.debug("stream: fills not read (%s)", type(exc).__name__)
            return
        with self._changed:
            for row in rows:
                exec_id = str(row.get("execId"))
                if exec_id in self._fills or exec_id == base_id:
                    continue
                if _code(row.get("createdTime")) >= base_ms:
                    record = dict(row)
                    record["category"] = str(row.get("category", "")).upper()
                    self._fills[exec_id] = record
            ordered = sorted(
                self._fills.items(), key=lambda kv: (_code(kv[1].get("createdTime")), kv[0])
            )
            self._fills = dict(ordered[-self.max_fills :])
            self._stats["fill_refreshes"] += 1
            self._changed.notify_all()

    def _newest_fill(self) -> Mapping[str, Any]:
        return self._fills_page({"limit": "1"})

    def _fills_page(self, query: dict[str, Any]) -> Mapping[str, Any]:
        envelope = self._client.get_trade_fills(query, raw=True)
        return envelope if isinstance(envelope, Mapping) else {}

    def _fills_since(self, since_ms: int) -> list[Mapping[str, Any]]:
        """My fills from ``since_ms`` on (every business line), read over REST in the
        history's windows (at most 30 days each, 90 days back), up to ``max_fills``. The
        newest window has no ``endTime``: this machine's clock may be behind the exchange's."""
        transport = self._client.transport
        transport.sync_time()
        now = transport.now_ms()
        start = max(since_ms, now - paging.LOOKBACK_MS + 60_000)
        return paging.windowed_rows(
            self._fills_page, {}, min(start, now), now, now_ms=now,
            max_rows=self.max_fills, open_newest=True,
        )  # fmt: skip

    def _unfilled(self) -> list[Mapping[str, Any]]:
        """Every open order over REST, page after page."""
        pages = paging.follow_cursor(self._unfilled_page, {"limit": "100"})
        return [row for page in pages for row in paging.page_rows(page.get("data"))]

    def _unfilled_page(self, query: dict[str, Any]) -> Mapping[str, Any]:
        envelope = self._client.get_unfilled_orders(query, raw=True)
        return envelope if isinstance(envelope, Mapping) else {}


def _position_category(margin_coin: Any) -> str:
    """The business line of a ``position`` push, which names none (WS §5.2: "clients infer
    the business line from symbol/marginCoin"): linear contracts margin in their quote coin,
    inverse ones in their base coin.

    >>> _position_category("USDT"), _position_category("usdc"), _position_category("BTC")
    ('USDT-FUTURES', 'USDC-FUTURES', 'COIN-FUTURES')
    """
    coin = str(margin_coin or "").upper()
    if not coin:
        return ""
    return {"USDT": "USDT-FUTURES", "USDC": "USDC-FUTURES"}.get(coin, "COIN-FUTURES")


def _positive(value: Any) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False


def _rest_order(row: Mapping[str, Any]) -> dict[str, Any]:
    """An ``order`` push in REST's words (WS §5.3 ← REST ``order-info``): ``posSide``,
    ``takeProfit``/``stopLoss``, uppercase ``category`` and ``reduceOnly``, ``live`` for
    ``new``; the WS-only ``marginCoin``/``leverage``/``totalProfit`` left out."""
    out = {_ORDER_NAMES.get(k, k): v for k, v in row.items() if k not in _ORDER_WS_ONLY}
    if not out.get("cancelReason"):
        out.pop("cancelReason", None)  # REST's open orders have none
    out["category"] = str(row.get("category", "")).upper()
    out["reduceOnly"] = str(row.get("reduceOnly", "")).upper()
    status = str(row.get("orderStatus", ""))
    out["orderStatus"] = _WS_STATUS.get(status, status)
    return out
