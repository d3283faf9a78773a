"""What the WebSocket says: login, subscriptions, pushes and trading over a :class:`Venue`.

:class:`Feed` is the protocol of ``shared/spec/bitget-v3-ws.md`` (cited as WS) without the
transport: :mod:`.ws` reads frames and hands every JSON operation to :meth:`Feed.handle`;
the feed answers through each connection's :class:`Sink`. Everything the feed does runs on
ONE worker thread, in the order it was asked (the server's executor), so a connection's
acks, snapshots, replies and pushes leave in a well-defined order:

* ``login`` (WS §2): the signature over ``timestamp + "GET" + "/user/verify"``, its failure
  codes (unknown key 30011, passphrase 30012, timestamp 30013 / 30014, sign 30015, anything
  else 30005), then the socket is closed; success is ``{"event":"login","code":0}`` with a
  NUMERIC 0 (WS §2.3, NODE needs it).
* ``subscribe`` / ``unsubscribe`` (WS §3): one ack per arg in request order, each before the
  first push of that channel; ``30001`` unknown channel, ``30004`` private before login,
  ``30016`` a malformed arg.
* public pushes (WS §4) follow the market: whenever the clock moved (a ``ClockMoved``
  event — ``ex.advance`` on a manual clock, the server's timer on the wall clock) the feed
  reads what REST would answer now and pushes what changed.
* private pushes (WS §5) follow the domain events (:mod:`.events`), in their order: order →
  fill → position → account. The feed only collects events inside the venue lock; it turns
  them into pushes after taking that lock itself, i.e. once the call that made them has
  returned (and, on a persistent exchange, committed): a push never shows a state REST does
  not show yet. Orders and fills are the events' copies; positions and the account are read
  through REST's handlers at push time, so they are what REST answers at that instant.
* ``op: "trade"`` (WS §6) runs the REST handler of the same operation through
  :meth:`Venue.call`, so every decision and code is REST's; exactly one reply per request,
  by its ``id``, before the pushes the request caused.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import vocab
from ..endpoints import ENDPOINTS
from ..intervals import INTERVALS
from ..signing import sign, signatures_equal
from . import defaults
from . import ws_records as wr
from .auth import authorize
from .events import (
    BalanceChanged,
    ClockMoved,
    Event,
    FillRecorded,
    FundingSettled,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderModified,
    PositionChanged,
    StrategyOrderChanged,
    TransferMade,
)
from .params import ExchangeError
from .positions import Position
from .records import fill_record, order_record, position_history_record, strategy_record
from .venue import Caller, Venue

__all__ = ["Channel", "Feed", "Sink"]

logger = logging.getLogger("bitget_nb.exchange")

_TIMESTAMP = re.compile(r"[0-9]{1,13}")
_PUBLIC_CATEGORIES = frozenset(defaults.MARKET_DATA_CATEGORIES)
#: ``op: "trade"`` topics → (endpoint, batch?). Both batch spellings (WS §6.2 conflict).
TRADE_TOPICS: dict[str, tuple[str, bool]] = {
    "place-order": ("submit_new_order", False),
    "batch-place": ("place_batch_orders", True),
    "batch-place-order": ("place_batch_orders", True),
    "cancel-order": ("cancel_order", False),
    "batch-cancel": ("cancel_batch_orders", True),
    "batch-cancel-order": ("cancel_batch_orders", True),
    "modify-order": ("modify_order", False),
    "batch-modify": ("batch_modify_orders", True),
    "batch-modify-order": ("batch_modify_orders", True),
}
#: Place-order argument spellings of the WS docs → REST's (WS §6.3 conflicts: both taken).
_ARG_ALIASES = {"takeprofit": "takeProfit", "stoploss": "stopLoss"}


class Sink(Protocol):
    """One connection as the feed sees it. ``send`` and ``close_soon`` may be called from
    any thread; ``caller`` and ``channels`` belong to the feed's worker thread."""

    conn_id: str
    caller: Caller | None
    channels: dict[Channel, dict[str, Any]]

    def send(self, text: str) -> None: ...

    def close_soon(self, delay: float, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Channel:
    """A subscription key: the topic, the REST category (``UTA`` for private topics), the
    symbol (``""`` for private topics) and the kline interval (``""`` otherwise)."""

    topic: str
    category: str
    symbol: str = ""
    interval: str = ""

    @property
    def private(self) -> bool:
        return self.category == "UTA"


@dataclass(slots=True)
class _Book:
    """The ``books`` state of one symbol as last pushed: levels as strings, its ``seq``."""

    seq: int
    bids: list[list[str]]
    asks: list[list[str]]
    ts: str


class _Refused(Exception):
    def __init__(self, code: int, msg: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.msg = msg or wr.WS_CODES[code]


@dataclass(slots=True)
class _Pending:
    events: list[Event] = field(default_factory=list)
    scheduled: bool = False


class Feed:
    """The WebSocket protocol over ``venue``; ``submit`` runs a job on the worker thread.

    >>> from bitget_nb.exchange.clock import ManualClock
    >>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
    >>> jobs = []
    >>> feed = Feed(venue, submit=jobs.append)
    >>> class Conn:
    ...     conn_id, caller, channels, sent = "c1", None, {}, []
    ...     def send(self, text): self.sent.append(text)
    ...     def close_soon(self, delay, reason): pass
    >>> conn = Conn()
    >>> feed.handle(conn, {"op": "subscribe", "args": [
    ...     {"instType": "spot", "topic": "books5", "symbol": "BTCUSDT"}]})
    >>> conn.sent[0]
    '{"event":"subscribe","arg":{"instType":"spot","topic":"books5","symbol":"BTCUSDT"},"connId":"c1"}'
    >>> '"action":"snapshot"' in conn.sent[1]
    True
    >>> feed.close()
    """

    def __init__(
        self,
        venue: Venue,
        *,
        submit: Callable[[Callable[[], None]], None],
        scheduled_push_ms: int | None = None,
    ) -> None:
        self.venue = venue
        self._submit = submit
        self._scheduled_ms = scheduled_push_ms
        self._last_scheduled = venue.now_ms()
        self._channels: dict[Channel, dict[Sink, dict[str, Any]]] = {}
        self._books: dict[tuple[str, str], _Book] = {}
        self._last: dict[Channel, Any] = {}
        self._pending = _Pending()
        self._pending_lock = threading.Lock()
        self._worker = threading.local()
        self._closed = False
        self._unsubscribe = venue.subscribe(self._on_event)

    # -- life cycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop following the venue (idempotent); jobs still queued find nothing to do."""
        self._closed = True
        self._unsubscribe()

    @property
    def subscribed(self) -> bool:
        """Whether any connection follows any channel (the wall-clock timer runs only then)."""
        return any(self._channels.values())

    # -- domain events (venue threads, inside the venue lock) ---------------------------------

    def _on_event(self, event: Event) -> None:
        """Collect ``event`` and ask for a drain; never blocks, never raises into the venue."""
        if self._closed or not self._channels:
            return
        if isinstance(event, ClockMoved) and getattr(self._worker, "draining", False):
            return  # the feed's own reads caught up: it refreshes the market anyway
        with self._pending_lock:
            self._pending.events.append(event)
            if self._pending.scheduled:
                return
            self._pending.scheduled = True
        try:
            self._submit(self.drain)
        except RuntimeError:  # the server is shutting down
            logger.debug("websocket feed: drain not scheduled (shutting down)")

    # -- the worker's jobs --------------------------------------------------------------------

    def drain(self, *, market: bool = False) -> None:
        """Turn the collected events into pushes (and the market into public pushes when the
        clock moved, or when ``market``). Takes the venue lock: the calls that made the events
        have returned."""
        if self._closed:
            return
        with self.venue.lock:
            self._worker.draining = True
            try:
                while True:
                    with self._pending_lock:
                        batch = self._pending.events
                        self._pending.events = []
                        self._pending.scheduled = False
                    if not batch:
                        break
                    market = market or any(isinstance(e, ClockMoved) for e in batch)
                    self._private(batch)
                if market:
                    self._public()
            finally:
                self._worker.draining = False

    def tick(self) -> None:
        """The wall clock's timer: catch the venue up to now (resting orders the market
        reached fill), push what changed, and the scheduled account/position pushes."""
        if self._closed or not self.subscribed:
            return
        self.venue.call("get_server_time", {})
        self.drain(market=True)
        now = self.venue.now_ms()
        if self._scheduled_ms is not None and now - self._last_scheduled >= self._scheduled_ms:
            self._last_scheduled = now
            with self.venue.lock:
                for channel in self._subscribed("account"):
                    self._push(channel, "update", [self._account()])
                for channel in self._subscribed("position"):
                    self._push(channel, "snapshot", self._positions())

    def drop(self, sink: Sink) -> None:
        """Forget a closed connection's subscriptions."""
        for channel in list(sink.channels):
            self._remove(sink, channel)

    def handle(self, sink: Sink, message: Mapping[str, Any]) -> None:
        """Answer one JSON operation of ``sink`` (WS §2, §3, §6)."""
        if self._closed:
            return
        op = message.get("op")
        try:
            if op == "login":
                self._login(sink, message)
            elif op in ("subscribe", "unsubscribe"):
                self._subscription(sink, message, subscribe=op == "subscribe")
            elif op == "trade":
                self._trade(sink, message)
            else:
                self._error(sink, 30003, f"{wr.WS_CODES[30003]}: {str(op)[:40]!r}")
        except Exception:
            # A bug must not kill the worker: the connection hears "illegal request".
            logger.exception("websocket operation %r failed", str(op)[:40])
            if op == "trade":
                self._trade_error(sink, message, "25000", "System error")
            else:
                self._error(sink, 30002)

    # -- login --------------------------------------------------------------------------------

    def _login(self, sink: Sink, message: Mapping[str, Any]) -> None:
        try:
            caller = self._verify(message.get("args"))
        except _Refused as refusal:
            self._error(sink, refusal.code, refusal.msg)
            sink.close_soon(defaults.WS_LOGIN_FAILURE_CLOSE_SECONDS, "login failed")
            return
        sink.caller = caller
        sink.send(wr.dumps({"event": "login", "code": 0, "msg": "", "connId": sink.conn_id}))

    def _verify(self, args: Any) -> Caller:
        """The caller behind a login arg, checked in the order of WS §2.4."""
        if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], dict):
            raise _Refused(30005, "login needs args: [{apiKey, passphrase, timestamp, sign}]")
        arg = args[0]
        api_key, passphrase, signature = (arg.get(k) for k in ("apiKey", "passphrase", "sign"))
        timestamp = arg.get("timestamp")
        if not all(isinstance(v, str) and v for v in (api_key, passphrase, signature)):
            raise _Refused(30005, "login needs apiKey, passphrase, timestamp and sign")
        assert isinstance(api_key, str) and isinstance(passphrase, str)
        assert isinstance(signature, str)
        caller = self.venue.find_key(api_key)
        if caller is None:
            raise _Refused(30011)
        if not signatures_equal(caller.key.passphrase, passphrase):
            raise _Refused(30012)
        # NODE sends a JSON number, the others a string: the signed text is the digits.
        if isinstance(timestamp, int) and not isinstance(timestamp, bool):
            text = str(timestamp)
        elif isinstance(timestamp, str):
            text = timestamp
        else:
            raise _Refused(30013)
        if not _TIMESTAMP.fullmatch(text):
            raise _Refused(30013)
        if abs(int(text) * 1000 - self.venue.now_ms()) > defaults.WS_LOGIN_WINDOW_MS:
            raise _Refused(30014)
        if not signatures_equal(sign(caller.key.secret, text, "GET", "/user/verify"), signature):
            raise _Refused(30015)
        return caller

    # -- subscriptions ------------------------------------------------------------------------

    def _subscription(self, sink: Sink, message: Mapping[str, Any], *, subscribe: bool) -> None:
        op = "subscribe" if subscribe else "unsubscribe"
        args = message.get("args")
        if not isinstance(args, list) or not args:
            self._error(sink, 30016, f"{op} needs a non-empty list of args")
            return
        for arg in args:
            if not isinstance(arg, dict):
                self._error(sink, 30016, f"each {op} arg must be an object")
                continue
            try:
                channel = self._channel(sink, arg)
            except _Refused as refusal:
                self._error(sink, refusal.code, refusal.msg, arg=arg)
                continue
            sink.send(wr.dumps({"event": op, "arg": arg, "connId": sink.conn_id}))
            if not subscribe:
                self._remove(sink, channel)
            elif channel not in sink.channels:
                with self.venue.lock:
                    # Bring the channel's subscribers to now first (a book: every channel
                    # that follows it): the newcomer's snapshot is then the state everyone
                    # else knows, and no update reaches it before that snapshot.
                    if self._channels.get(channel) and not channel.private:
                        self._refresh(channel, set())
                    elif channel.topic.startswith("books"):
                        self._move_book((channel.category, channel.symbol))
                    sink.channels[channel] = arg
                    self._channels.setdefault(channel, {})[sink] = arg
                    self._first_push(sink, channel, arg)

    def _channel(self, sink: Sink, arg: Mapping[str, Any]) -> Channel:
        topic, inst_type = arg.get("topic"), arg.get("instType")
        if not isinstance(topic, str) or not isinstance(inst_type, str):
            raise _Refused(30016, "an arg needs topic and instType")
        described = f"instType:{inst_type[:30]},topic:{topic[:30]}"
        if topic in wr.PRIVATE_TOPICS:
            if inst_type.upper() != "UTA":
                raise _Refused(30001, f"{described} doesn't exist (private topics: instType UTA)")
            if sink.caller is None:
                raise _Refused(30004)
            return Channel(topic, "UTA")
        if topic not in wr.PUBLIC_TOPICS:
            raise _Refused(30001, f"{described} doesn't exist")
        category = inst_type.upper()
        symbol = arg.get("symbol", arg.get("instId"))  # instId: JK's fixtures (WS §3.1)
        if category not in _PUBLIC_CATEGORIES or not isinstance(symbol, str):
            raise _Refused(30001, f"{described},symbol:{str(symbol)[:30]} doesn't exist")
        if self.venue.catalogue.get(category, symbol) is None:
            raise _Refused(30001, f"{described},symbol:{symbol[:30]} doesn't exist")
        interval = ""
        if topic == "kline":
            interval = arg.get("interval", "")
            if not isinstance(interval, str) or interval not in INTERVALS:
                raise _Refused(30001, f"{described},interval:{str(interval)[:10]} doesn't exist")
        return Channel(topic, category, symbol, interval)

    def _remove(self, sink: Sink, channel: Channel) -> None:
        sink.channels.pop(channel, None)
        subscribers = self._channels.get(channel)
        if subscribers is not None:
            subscribers.pop(sink, None)
            if not subscribers:
                del self._channels[channel]
                self._last.pop(channel, None)
                key = (channel.category, channel.symbol)
                if not any(c.topic.startswith("books") and (c.category, c.symbol) == key
                           for c in self._channels):  # fmt: skip
                    self._books.pop(key, None)

    def _first_push(self, sink: Sink, channel: Channel, arg: Mapping[str, Any]) -> None:
        """What a new subscription receives right after its ack (WS §4, §5)."""
        topic = channel.topic
        if topic == "account":
            self._send(sink, arg, "snapshot", [self._account()])
        elif topic == "position":
            self._send(sink, arg, "snapshot", self._positions())
        elif channel.private:
            return  # order, fill, fast-fill, strategy-order: no snapshot (WS §5)
        elif topic == "ticker":
            data = self._ticker(channel)
            self._last[channel] = data
            self._send(sink, arg, "snapshot", [data])
        elif topic == "kline":
            rows = self._candles(channel, limit=1)
            if rows:
                self._last[channel] = rows[-1]
                self._send(sink, arg, "snapshot", [wr.candle_push(rows[-1])])
        elif topic == "publicTrade":
            rows = self._trades(channel, defaults.WS_TRADES_SNAPSHOT)
            self._last[channel] = rows[0]["execId"] if rows else None
            if rows:
                self._send(sink, arg, "snapshot", [wr.trade_push(r) for r in rows])
        else:
            book = self._book(channel)
            if topic == "books":
                self._send(sink, arg, "snapshot", [self._book_data(book, book.bids, book.asks)])
            else:
                data = self._top(book, wr.BOOK_DEPTHS[topic])
                self._last[channel] = data
                self._send(sink, arg, "snapshot", [data])

    # -- public pushes ------------------------------------------------------------------------

    def _public(self) -> None:
        """Push what changed in the market for every public channel."""
        moved: set[tuple[str, str]] = set()
        for channel in list(self._channels):
            if not channel.private and self._channels.get(channel):
                self._refresh(channel, moved)

    def _refresh(self, channel: Channel, moved: set[tuple[str, str]]) -> None:
        """Push what changed for one public channel (``moved``: the books read this round,
        so a symbol's book moves once whatever number of book channels follow it)."""
        topic = channel.topic
        if topic.startswith("books"):
            key = (channel.category, channel.symbol)
            if key not in moved:
                moved.add(key)
                self._move_book(key)
            if topic != "books":
                data = self._top(self._books[key], wr.BOOK_DEPTHS[topic])
                if data != self._last.get(channel):
                    self._last[channel] = data
                    self._push(channel, "snapshot", [data])
        elif topic == "ticker":
            data = self._ticker(channel)
            if data != self._last.get(channel):
                self._last[channel] = data
                self._push(channel, "snapshot", [data])
        elif topic == "kline":
            self._kline_update(channel)
        elif topic == "publicTrade":
            self._trades_update(channel)

    def _book(self, channel: Channel) -> _Book:
        """The symbol's book state, made now if none (or moved to now, pushing the change to
        the ``books`` subscribers it already has)."""
        key = (channel.category, channel.symbol)
        self._move_book(key)
        return self._books[key]

    def _move_book(self, key: tuple[str, str]) -> None:
        """Read the book now (made at its first read); when it changed, push the ``books``
        update that gets there to that channel's subscribers. Every move of the book goes
        through here, so their sequence never skips one."""
        book = self._books.get(key)
        record = self._orderbook(*key)
        if book is None:
            self._books[key] = _Book(
                defaults.WS_SEQ_START, record["b"], record["a"], str(record["ts"])
            )
            return
        bids, asks = record["b"], record["a"]
        if bids == book.bids and asks == book.asks:
            return
        b, a = wr.book_diff(book.bids, bids), wr.book_diff(book.asks, asks)
        previous = book.seq
        book.seq, book.bids, book.asks, book.ts = previous + 1, bids, asks, str(record["ts"])
        data = self._book_data(book, b, a)
        data["pseq"] = previous
        books = Channel("books", *key)
        if books in self._channels:
            self._push(books, "update", [data])

    def _book_data(self, book: _Book, bids: list[list[str]], asks: list[list[str]]) -> dict:
        return {
            "a": asks,
            "b": bids,
            "checksum": wr.book_checksum(book.bids, book.asks),
            "pseq": 0,
            "seq": book.seq,
            "maxDepth": str(defaults.WS_BOOKS_DEPTH),
            "ts": book.ts,
        }

    def _top(self, book: _Book, depth: int) -> dict[str, Any]:
        """A ``booksN`` snapshot: checksum 0, pseq 0 (WS §4.3, §9 #9)."""
        return {
            "a": book.asks[:depth],
            "b": book.bids[:depth],
            "checksum": 0,
            "pseq": 0,
            "seq": book.seq,
            "ts": book.ts,
        }

    def _orderbook(self, category: str, symbol: str) -> dict[str, Any]:
        params = {"category": category, "symbol": symbol, "limit": defaults.WS_BOOKS_DEPTH}
        return self.venue.call("get_orderbook", params)

    def _ticker(self, channel: Channel) -> dict[str, Any]:
        params = {"category": channel.category, "symbol": channel.symbol}
        row = self.venue.call("get_tickers", params)[0]
        next_funding = None
        if channel.category in vocab.FUTURES_CATEGORIES:
            rates = self.venue.call("get_current_funding_rate", params)
            next_funding = rates[0]["nextUpdate"] if rates else None
        return wr.ticker_push(row, next_funding)

    def _candles(self, channel: Channel, *, limit: int, start: str | None = None) -> list:
        params: dict[str, Any] = {
            "category": channel.category,
            "symbol": channel.symbol,
            "interval": channel.interval,
            "limit": limit,
        }
        if start is not None:
            params["startTime"] = start
        rows = self.venue.call("get_candles", params)
        return sorted(rows, key=lambda row: int(row[0]))

    def _kline_update(self, channel: Channel) -> None:
        """Push the candles that changed since the last push: the last one pushed (it may
        have moved on) and every newer one (WS §4.2: consumers upsert by ``start``)."""
        last = self._last.get(channel)
        start = last[0] if last is not None else None
        rows = self._candles(channel, limit=defaults.WS_KLINE_MAX_PUSH, start=start)
        changed = [row for row in rows if row != last]
        if changed:
            self._last[channel] = rows[-1]
            self._push(channel, "update", [wr.candle_push(row) for row in changed])

    def _trades(self, channel: Channel, limit: int) -> list[dict[str, str]]:
        params = {"category": channel.category, "symbol": channel.symbol, "limit": limit}
        return self.venue.call("get_fills", params)

    def _trades_update(self, channel: Channel) -> None:
        """Push the public trades newer than the newest pushed, newest first (WS §4.4)."""
        newest = self._last.get(channel)
        rows = self._trades(channel, defaults.FILLS_LIMIT_MAX)
        fresh = []
        for row in rows:
            if row["execId"] == newest:
                break
            fresh.append(row)
        if fresh:
            self._last[channel] = fresh[0]["execId"]
            self._push(channel, "update", [wr.trade_push(r) for r in fresh])

    # -- private pushes -----------------------------------------------------------------------

    def _private(self, batch: list[Event]) -> None:
        """Pushes for one batch of events, in event order (order → fill → position →
        account). A position is pushed once, where it last changed, and the account once,
        after the last balance change: both read at push time, as REST reads them."""
        wanted = {c.topic for c, subs in self._channels.items() if c.private and subs}
        if not wanted:
            return
        steps: list[tuple[str, Any]] = []
        positions: dict[tuple[str, str, str], Position] = {}
        for event in batch:
            if isinstance(event, OrderAccepted | OrderFilled | OrderModified | OrderCancelled):
                if "order" in wanted:
                    steps.append(("order", event.order))
            elif isinstance(event, FillRecorded):
                if "fast-fill" in wanted:
                    steps.append(("fast-fill", event.fill))
                if "fill" in wanted:
                    steps.append(("fill", event.fill))
            elif isinstance(event, PositionChanged | FundingSettled):
                if "position" in wanted:
                    pos = event.position
                    key = (pos.category, pos.symbol, pos.pos_side)
                    steps = [s for s in steps if s != ("position", key)]
                    steps.append(("position", key))
                    positions[key] = pos
                if isinstance(event, FundingSettled) and "account" in wanted:
                    steps = [s for s in steps if s[0] != "account"]
                    steps.append(("account", None))
            elif isinstance(event, BalanceChanged | TransferMade):
                if "account" in wanted:
                    steps = [s for s in steps if s[0] != "account"]
                    steps.append(("account", None))
            elif isinstance(event, StrategyOrderChanged) and "strategy-order" in wanted:
                steps.append(("strategy-order", event.strategy))
        catalogue = self.venue.catalogue
        for topic, value in steps:
            if topic == "order":
                inst = catalogue.get(value.category, value.symbol)
                if inst is not None:
                    self._push_private(
                        topic, "snapshot", [wr.order_push(order_record(value, inst))]
                    )
            elif topic in ("fill", "fast-fill"):
                inst = catalogue.get(value.category, value.symbol)
                if inst is None:
                    continue
                record = fill_record(value, inst)
                if topic == "fill":
                    self._push_private(topic, "snapshot", [wr.fill_push(record)])
                else:
                    self._push_private(topic, "update", wr.fast_fill_push(record))
            elif topic == "position":
                self._push_private(topic, "update", [self._position(value, positions[value])])
            elif topic == "account":
                self._push_private(topic, "update", [self._account()])
            else:
                inst = catalogue.get(value.category, value.symbol)
                if inst is not None:
                    record = strategy_record(value, inst)
                    self._push_private(topic, "snapshot", [wr.strategy_push(record)])

    def _account(self) -> dict[str, Any]:
        return wr.account_push(self.venue.call("get_balances", {}, self.venue.trader))

    def _positions(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for category in vocab.FUTURES_CATEGORIES:
            page = self.venue.call(
                "get_current_position", {"category": category}, self.venue.trader
            )
            rows += [wr.position_push(row) for row in page["list"] or []]
        return rows

    def _position(self, key: tuple[str, str, str], last: Position) -> dict[str, Any]:
        """The position as REST shows it now; a closed one as ``ended``."""
        category, symbol, pos_side = key
        params = {"category": category, "symbol": symbol}
        page = self.venue.call("get_current_position", params, self.venue.trader)
        for row in page["list"] or []:
            if row["posSide"] == pos_side:
                return wr.position_push(row)
        return wr.closed_position_push(position_history_record(last))

    # -- trading over the socket (WS §6) ------------------------------------------------------

    def _trade(self, sink: Sink, message: Mapping[str, Any]) -> None:
        topic = message.get("topic")
        request_id = message.get("id")
        if not isinstance(request_id, str | int) or isinstance(request_id, bool):
            self._trade_error(sink, message, "30016", "a trade request needs a string id")
            return
        if sink.caller is None:
            self._trade_error(sink, message, "30004", wr.WS_CODES[30004])
            return
        if not isinstance(topic, str) or topic not in TRADE_TOPICS:
            known = ", ".join(TRADE_TOPICS)
            self._trade_error(sink, message, "30016", f"topic must be one of {known}")
            return
        endpoint, batch = TRADE_TOPICS[topic]
        args = message.get("args")
        if (
            not isinstance(args, list)
            or not args
            or not all(isinstance(a, dict) for a in args)
            or (not batch and len(args) != 1)
        ):
            many = "a list of objects" if batch else "a list of one object"
            self._trade_error(sink, message, "30016", f"args must be {many}")
            return
        category = message.get("category")
        items = [self._trade_arg(arg, category) for arg in args]
        caller = sink.caller
        result: Any
        try:
            authorize(ENDPOINTS[endpoint], caller)
            if batch:
                result = self._batch(endpoint, items, caller)
            else:
                result = self.venue.call(endpoint, items[0], caller)
        except ExchangeError as exc:
            self._trade_error(sink, message, exc.code, exc.msg)
        else:
            now = str(self.venue.now_ms())
            if batch:
                out = [
                    item if "code" in item else {**item, "code": "0", "msg": "Success"}
                    for item in result
                ]
            elif endpoint == "submit_new_order":
                out = [{"symbol": items[0].get("symbol"), **result, "cTime": now}]
            else:
                out = [result]
            reply: dict[str, Any] = {"event": "trade", "id": request_id}
            if isinstance(category, str) and endpoint in ("submit_new_order", "place_batch_orders"):
                reply["category"] = category
            reply.update(
                topic=topic, args=out, code="0", msg="success", connId=sink.conn_id, ts=now
            )
            sink.send(wr.dumps(reply))
        # The pushes the request caused follow its reply.
        self.drain()

    def _batch(self, endpoint: str, items: list[dict[str, Any]], caller: Caller) -> list[Any]:
        """Run a batch through REST's handler. WS batch cancel/modify items name the order
        only (WS §6.4, §6.5) where REST's also need its ``symbol``: the order is looked up
        first, and an item whose order is unknown answers that lookup's code."""
        if endpoint == "place_batch_orders":
            return self.venue.call(endpoint, items, caller)
        known: list[dict[str, Any]] = []
        answers: list[Any] = []
        for item in items:
            if "symbol" not in item:
                ref = {k: item[k] for k in ("orderId", "clientOid") if k in item}
                try:
                    order = self.venue.call("get_order_info", ref, caller)
                except ExchangeError as exc:
                    answers.append(
                        {"orderId": str(item.get("orderId", "")),
                         "clientOid": str(item.get("clientOid", "")),
                         "code": exc.code, "msg": exc.msg}
                    )  # fmt: skip
                    continue
                item = {**item, "symbol": order["symbol"]}
                item.setdefault("category", order["category"])
            known.append(item)
            answers.append(None)
        done = iter(self.venue.call(endpoint, known, caller) if known else [])
        return [answer if answer is not None else next(done) for answer in answers]

    @staticmethod
    def _trade_arg(arg: Mapping[str, Any], category: Any) -> dict[str, Any]:
        item = {_ARG_ALIASES.get(k, k): v for k, v in arg.items()}
        if "category" not in item and isinstance(category, str):
            item["category"] = category
        if isinstance(item.get("reduceOnly"), str):
            item["reduceOnly"] = item["reduceOnly"].upper()
        return item

    def _trade_error(self, sink: Sink, message: Mapping[str, Any], code: str, msg: str) -> None:
        """``{"event":"error","id",…,"code":"<string>"}`` (WS §6.6, §9 #15): no ``args``."""
        reply: dict[str, Any] = {"event": "error"}
        request_id = message.get("id")
        if isinstance(request_id, str | int) and not isinstance(request_id, bool):
            reply["id"] = request_id
        for name in ("topic", "category"):
            value = message.get(name)
            if isinstance(value, str):
                reply[name] = value[:40]
        reply.update(code=code, msg=msg, connId=sink.conn_id, ts=str(self.venue.now_ms()))
        sink.send(wr.dumps(reply))

    # -- sending ------------------------------------------------------------------------------

    def _error(self, sink: Sink, code: int, msg: str | None = None, *, arg: Any = None) -> None:
        """A connection-level error event, numeric ``code`` (WS §3.3, §8 #2)."""
        event: dict[str, Any] = {"event": "error"}
        if arg is not None:
            event["arg"] = arg
        event.update(code=code, msg=msg or wr.WS_CODES[code], connId=sink.conn_id)
        sink.send(wr.dumps(event))

    def _subscribed(self, topic: str) -> list[Channel]:
        return [c for c in self._channels if c.topic == topic and c.private]

    def _push_private(self, topic: str, action: str, data: Any) -> None:
        for channel in self._subscribed(topic):
            self._push(channel, action, data)

    def _push(self, channel: Channel, action: str, data: Any) -> None:
        for sink, arg in list(self._channels.get(channel, {}).items()):
            self._send(sink, arg, action, data)

    def _send(self, sink: Sink, arg: Mapping[str, Any], action: str, data: Any) -> None:
        message = {"action": action, "arg": arg, "data": data, "ts": self.venue.now_ms()}
        sink.send(wr.dumps(message))
