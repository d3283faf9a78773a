"""The exchange's WebSocket (shared/spec/bitget-v3-ws.md, cited as WS): a real client on
127.0.0.1 against a real LocalExchange — login, subscriptions, the book and its checksum,
private pushes that follow REST, trading over the socket, junk, the idle timeout, shutdown."""

from __future__ import annotations

import contextlib
import functools
import heapq
import json
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from bitget_nb.exchange import LocalExchange
from bitget_nb.exchange.clock import ManualClock
from bitget_nb.exchange.venue import Venue
from bitget_nb.exchange.ws_feed import Feed
from bitget_nb.exchange.ws_records import book_checksum
from bitget_nb.signing import sign

from .wire import START, START_MS, Wire, ok_data

PLACE = "/api/v3/trade/place-order"
FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
SPOT_BOOKS = {"instType": "spot", "topic": "books", "symbol": "BTCUSDT"}


class Socket:
    """A client connection that speaks JSON and keeps what it has not been asked for."""

    def __init__(self, ws: ClientConnection, exchange: LocalExchange) -> None:
        self.ws = ws
        self.exchange = exchange

    def send(self, message: Any) -> None:
        self.ws.send(message if isinstance(message, str | bytes) else json.dumps(message))

    def recv(self, timeout: float = 5.0) -> Any:
        text = self.ws.recv(timeout=timeout)
        return text if text == "pong" else json.loads(text)

    def until(self, wanted: Callable[[Any], bool], limit: int = 50) -> Any:
        for _ in range(limit):
            message = self.recv()
            if wanted(message):
                return message
        raise AssertionError("the awaited frame never came")

    def quiet(self, seconds: float = 0.3) -> list[Any]:
        """Every frame that arrives within ``seconds``."""
        out = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(self.recv(timeout=left))
            except TimeoutError:
                break
        return out

    def login(self, *, key: str = "rw") -> Any:
        creds = self.exchange.credentials if key == "rw" else self.exchange.read_only_credentials
        ts = self.exchange.now_ms() // 1000
        signature = sign(creds["api_secret"], str(ts), "GET", "/user/verify")
        self.send({"op": "login", "args": [
            {"apiKey": creds["api_key"], "passphrase": creds["api_pass"], "timestamp": ts,
             "sign": signature}]})  # fmt: skip
        return self.recv()

    def subscribe(self, *args: dict[str, str]) -> list[Any]:
        """Subscribe and return the acks (and first pushes) that follow at once."""
        self.send({"op": "subscribe", "args": list(args)})
        return self.quiet()


@pytest.fixture
def exchange() -> Iterator[LocalExchange]:
    with LocalExchange(seed=7, start_time=START, rate_limits=False) as ex:
        yield ex


@pytest.fixture
def sock(exchange: LocalExchange) -> Iterator[Socket]:
    with connect(exchange.ws_url, open_timeout=5) as ws:
        yield Socket(ws, exchange)


def _closed(socket: Socket, within: float = 2.0) -> bool:
    try:
        socket.quiet(within)
        socket.ws.recv(timeout=within)
    except ConnectionClosed:
        return True
    except TimeoutError:
        return False
    return False


# -- heartbeat, paths --------------------------------------------------------------------------


def test_ping_is_answered_with_a_text_pong(sock: Socket) -> None:
    sock.send("ping")
    assert sock.ws.recv(timeout=1) == "pong"


def test_public_and_private_paths_serve_alike_and_others_are_refused(
    exchange: LocalExchange,
) -> None:
    base = exchange.ws_url.rsplit("/", 1)[0]
    for path in ("/public", "/private"):
        with connect(base + path, open_timeout=5) as ws:
            ws.send("ping")
            assert ws.recv(timeout=1) == "pong"
    with pytest.raises(InvalidStatus) as refused, connect(base + "/elsewhere", open_timeout=5):
        pass
    assert refused.value.response.status_code == 404


# -- login (WS §2) -----------------------------------------------------------------------------


def test_the_login_signature_matches_the_spec_vectors() -> None:
    secret = "bitget-sim-secret-0001"
    assert sign(secret, "1700000000", "GET", "/user/verify") == (
        "4fM2iA+maYAgaf6D6cB7rF/pA4Geyd0Hf49af8rHfF0="
    )
    assert sign(secret, "1731000000", "GET", "/user/verify") == (
        "u7yYukXecsR3NvcOOJ/af8N+LYGmrGjTHTl/ToGkdw8="
    )


def test_login_is_acked_with_a_numeric_zero(sock: Socket) -> None:
    ack = sock.login()
    assert ack["event"] == "login" and ack["code"] == 0 and isinstance(ack["code"], int)
    assert ack["connId"]


def test_login_accepts_a_string_timestamp(sock: Socket, exchange: LocalExchange) -> None:
    creds = exchange.credentials
    ts = str(exchange.now_ms() // 1000)
    sock.send({"op": "login", "args": [{
        "apiKey": creds["api_key"], "passphrase": creds["api_pass"], "timestamp": ts,
        "sign": sign(creds["api_secret"], ts, "GET", "/user/verify")}]})  # fmt: skip
    assert sock.recv()["code"] == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"apiKey": "bg_unknown"}, 30011),
        ({"passphrase": "wrong"}, 30012),
        ({"timestamp": "soon"}, 30013),
        ({"timestamp": 1.5}, 30013),
        ({"timestamp": "ms"}, 30014),
        ({"timestamp": "late"}, 30014),
        ({"sign": "AAAA"}, 30015),
        ({"apiKey": None}, 30005),
    ],
)
def test_login_failures_answer_their_code_then_close(
    sock: Socket, exchange: LocalExchange, change: dict[str, Any], code: int
) -> None:
    creds = exchange.credentials
    seconds = exchange.now_ms() // 1000
    ts: Any = {"ms": seconds * 1000, "late": seconds - 31}.get(change.get("timestamp"), seconds)
    arg = {
        "apiKey": creds["api_key"],
        "passphrase": creds["api_pass"],
        "timestamp": ts,
        "sign": sign(creds["api_secret"], str(ts), "GET", "/user/verify"),
    }
    arg.update({k: v for k, v in change.items() if not (k == "timestamp" and v in ("ms", "late"))})
    arg = {k: v for k, v in arg.items() if v is not None}
    sock.send({"op": "login", "args": [arg]})
    error = sock.recv()
    assert error["event"] == "error" and error["code"] == code
    assert creds["api_secret"] not in json.dumps(error)
    assert _closed(sock)


# -- subscriptions (WS §3) ---------------------------------------------------------------------


def test_each_arg_is_acked_before_its_first_push(sock: Socket) -> None:
    ticker = {"instType": "usdt-futures", "topic": "ticker", "symbol": "BTCUSDT"}
    frames = sock.subscribe(ticker, SPOT_BOOKS)
    kinds = [(f.get("event") or f["action"], f["arg"]["topic"]) for f in frames]
    assert kinds == [
        ("subscribe", "ticker"), ("snapshot", "ticker"), ("subscribe", "books"),
        ("snapshot", "books"),
    ]  # fmt: skip
    assert frames[0]["arg"] == ticker and "id" not in frames[0]
    data = frames[1]["data"][0]
    assert {"lastPrice", "bid1Price", "markPrice", "fundingRate", "nextFundingTime"} <= set(data)
    assert "symbol" not in data and isinstance(frames[1]["ts"], int)


def test_bad_subscriptions_get_error_events_with_their_arg(sock: Socket) -> None:
    bogus = {"instType": "spot", "topic": "bogus", "symbol": "BTCUSDT"}
    unknown = {"instType": "spot", "topic": "ticker", "symbol": "NOPEUSDT"}
    interval = {"instType": "spot", "topic": "kline", "symbol": "BTCUSDT", "interval": "7m"}
    private = {"instType": "UTA", "topic": "order"}
    frames = sock.subscribe(bogus, unknown, interval, private, {"topic": "ticker"})
    assert [(f["event"], f["code"]) for f in frames] == [
        ("error", 30001), ("error", 30001), ("error", 30001), ("error", 30004), ("error", 30016),
    ]  # fmt: skip
    assert frames[0]["arg"] == bogus and frames[3]["arg"] == private


def test_unsubscribe_stops_the_pushes(sock: Socket, exchange: LocalExchange) -> None:
    books1 = {"instType": "spot", "topic": "books1", "symbol": "BTCUSDT"}
    sock.subscribe(books1)
    sock.send({"op": "unsubscribe", "args": [books1]})
    ack = sock.recv()
    assert (ack["event"], ack["arg"]) == ("unsubscribe", books1)
    exchange.advance(5)
    assert [f for f in sock.quiet() if "action" in f] == []


def test_an_instid_alias_and_any_instype_case_are_accepted_and_echoed(sock: Socket) -> None:
    arg = {"instType": "SPOT", "topic": "books5", "instId": "BTCUSDT"}
    frames = sock.subscribe(arg)
    assert frames[0]["arg"] == arg and frames[1]["arg"] == arg
    assert len(frames[1]["data"][0]["a"]) == 5 and frames[1]["data"][0]["checksum"] == 0


# -- the order book (WS §4.3) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bids", "asks", "expected"),
    [
        ([["43231.1", "4"], ["43231", "6"]], [["43232.8", "9"], ["43232.9", "8"]], -1504501796),
        ([["3366.1", "7"]], [["3366.8", "9"], ["3368", "8"], ["3372", "8"]], 831078360),
        (
            [["27000.5", "2.71"], ["27000.0", "1.10"], ["26999.5", "0.500"]],
            [["27001.0", "8.76"], ["27001.5", "0.20"]],
            152850598,
        ),
        (
            [["27000.5", "2.71"], ["26999.5", "0.500"], ["26999.0", "3.000"]],
            [["27001.0", "5.00"], ["27001.5", "0.20"], ["27002.0", "1.5"]],
            -1855477324,
        ),
    ],
)
def test_the_checksum_matches_the_spec_vectors(
    bids: list[list[str]], asks: list[list[str]], expected: int
) -> None:
    assert book_checksum(bids, asks) == expected


def test_the_checksum_takes_the_top_25_levels_only() -> None:
    """Vector C6: 30 levels a side, the checksum over 25 + 25."""
    bids = [
        [f"{Decimal('100.0') - Decimal('0.5') * i:.1f}", f"{1 + i / 10:.1f}"] for i in range(30)
    ]
    asks = [
        [f"{Decimal('100.5') + Decimal('0.5') * i:.1f}", f"{2 + i / 10:.1f}"] for i in range(30)
    ]
    assert book_checksum(bids, asks) == -1771641813


class _LocalBook:
    """The client algorithm of WS §4.3.1: apply updates, check sequence and checksum."""

    def __init__(self) -> None:
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}
        self.seq: int | None = None
        self.first = False

    def apply(self, message: dict[str, Any]) -> None:
        data = message["data"][0]
        seq, pseq = data["seq"], data["pseq"]
        assert isinstance(seq, int) and seq < 2**53
        if message["action"] == "snapshot":
            assert pseq == 0
            self.bids, self.asks = dict(data["b"]), dict(data["a"])
            self.first = True
        else:
            assert self.seq is not None and pseq != 0
            if self.first:
                assert pseq <= self.seq <= seq
                self.first = False
            else:
                assert pseq == self.seq, "a gap in the sequence"
            for side, key in ((self.bids, "b"), (self.asks, "a")):
                for price, size in data[key]:
                    if Decimal(size) == 0:
                        del side[price]  # a removed level was there
                    else:
                        side[price] = size
        self.seq = seq
        assert book_checksum(*self.top(25)) == data["checksum"]

    def top(self, depth: int | None = None) -> tuple[list[list[str]], list[list[str]]]:
        """Both sides best first (``depth``: only that many levels), ordered by the price's
        value, keyed by its text (WS §4.3.1)."""
        bids = heapq.nlargest(depth or len(self.bids), self.bids.items(), key=_value)
        asks = heapq.nsmallest(depth or len(self.asks), self.asks.items(), key=_value)
        return [list(b) for b in bids], [list(a) for a in asks]


@functools.lru_cache(maxsize=65_536)
def _price(text: str) -> Decimal:
    return Decimal(text)


def _value(level: tuple[str, str]) -> Decimal:
    return _price(level[0])


def test_the_book_checksum_and_sequence_hold_across_thousands_of_updates(
    sock: Socket, exchange: LocalExchange
) -> None:
    wire = Wire(exchange)
    book = _LocalBook()
    frames = sock.subscribe(SPOT_BOOKS)
    book.apply(frames[1])
    updates = 0
    for step in range(2_000):
        exchange.advance(1)
        message = sock.recv()
        assert message["action"] == "update"
        book.apply(message)
        updates += 1
        if step % 500 == 0:  # the pushed book is REST's book at that instant
            rest = ok_data(
                wire.get("/api/v3/market/orderbook", {**FUT, "category": "SPOT", "limit": 200})
            )
            assert book.top() == (rest["b"], rest["a"])
    assert updates == 2_000


class _Sink:
    """A connection as the feed sees one: it keeps every frame sent."""

    def __init__(self, conn_id: str) -> None:
        self.conn_id, self.caller, self.channels, self.sent = conn_id, None, {}, []

    def send(self, text: str) -> None:
        self.sent.append(json.loads(text) if text.startswith("{") else text)

    def close_soon(self, delay: float, reason: str) -> None:
        pass


def test_a_books_n_newcomer_does_not_cost_books_subscribers_an_update() -> None:
    """The feed's one worker may take a booksN subscription before the drain of a clock move
    that came first: the newcomer brings the symbol's book to now, and the books update of
    that move must still reach the books subscribers, or their sequence has a gap."""
    venue = Venue(clock=ManualClock(START_MS), seed=7)
    drains: list[Any] = []
    feed = Feed(venue, submit=drains.append)
    arg = {"instType": "spot", "symbol": "BTCUSDT"}
    books, books5 = {**arg, "topic": "books"}, {**arg, "topic": "books5"}
    follower = _Sink("follower")
    feed.handle(follower, {"op": "subscribe", "args": [books, books5]})
    for step in range(4):
        venue.advance(60_000)
        feed.handle(_Sink(f"newcomer-{step}"), {"op": "subscribe", "args": [books5]})
        feed.drain()
    chain = [(f["data"][0]["pseq"], f["data"][0]["seq"]) for f in follower.sent
             if isinstance(f, dict) and f.get("arg") == books and "data" in f]  # fmt: skip
    assert len(chain) == 5, chain  # the snapshot and an update per move
    assert all(pseq == seq for (pseq, _), (_, seq) in zip(chain[1:], chain, strict=False)), chain


def test_a_new_books_subscriber_gets_its_snapshot_before_any_update() -> None:
    """The symbol's book is followed on books5 and has moved since: a books newcomer's first
    frame is the snapshot of now (an update first would make a client resync at once)."""
    venue = Venue(clock=ManualClock(START_MS), seed=7)
    feed = Feed(venue, submit=lambda job: None)
    arg = {"instType": "spot", "symbol": "BTCUSDT"}
    feed.handle(_Sink("books5"), {"op": "subscribe", "args": [{**arg, "topic": "books5"}]})
    venue.advance(60_000)
    newcomer = _Sink("newcomer")
    feed.handle(newcomer, {"op": "subscribe", "args": [{**arg, "topic": "books"}]})
    pushes = [f for f in newcomer.sent if isinstance(f, dict) and "action" in f]
    assert [f["action"] for f in pushes] == ["snapshot"]


def test_books_n_and_the_ticker_follow_the_manual_clock(
    sock: Socket, exchange: LocalExchange
) -> None:
    books5 = {"instType": "spot", "topic": "books5", "symbol": "ETHUSDT"}
    ticker = {"instType": "spot", "topic": "ticker", "symbol": "ETHUSDT"}
    sock.subscribe(books5, ticker)
    assert sock.quiet() == []  # a manual clock that stands still pushes nothing
    exchange.advance(1)
    pushed = {f["arg"]["topic"]: f for f in sock.quiet()}
    assert set(pushed) == {"books5", "ticker"}
    assert pushed["books5"]["action"] == pushed["ticker"]["action"] == "snapshot"
    assert pushed["ticker"]["ts"] == exchange.now_ms()


def test_kline_and_public_trades_push_what_is_new(sock: Socket, exchange: LocalExchange) -> None:
    kline = {"instType": "spot", "topic": "kline", "symbol": "BTCUSDT", "interval": "1m"}
    trades = {"instType": "spot", "topic": "publicTrade", "symbol": "BTCUSDT"}
    first = sock.subscribe(kline, trades)
    snapshot = {f["arg"]["topic"]: f for f in first if "action" in f}
    assert snapshot["kline"]["action"] == "snapshot" and len(snapshot["kline"]["data"]) == 1
    newest = snapshot["publicTrade"]["data"][0]
    assert set(newest) == {"i", "L", "p", "v", "S", "T", "isRPI"}
    assert newest["isRPI"] == "no"  # WS §4.4 lowercase (REST's public fills say "NO")
    exchange.advance(minutes=2)
    pushed = [f for f in sock.quiet() if "action" in f]
    candles = next(f for f in pushed if f["arg"]["topic"] == "kline")["data"]
    starts = [int(c["start"]) for c in candles]
    assert candles[0]["start"] == snapshot["kline"]["data"][0]["start"]
    assert starts == sorted(starts) and len(starts) == 3  # the old one closed, two new
    fresh = next(f for f in pushed if f["arg"]["topic"] == "publicTrade")
    assert fresh["action"] == "update"
    assert newest["i"] not in {t["i"] for t in fresh["data"]}
    times = [int(t["T"]) for t in fresh["data"]]
    assert times == sorted(times, reverse=True) and times[-1] >= int(newest["T"])


# -- private channels (WS §5) ------------------------------------------------------------------

PRIVATE = [{"instType": "UTA", "topic": t} for t in ("order", "fill", "position", "account")]


def test_position_and_account_snapshot_on_subscribe(sock: Socket) -> None:
    sock.login()
    frames = sock.subscribe(*PRIVATE)
    pushes = {f["arg"]["topic"]: f for f in frames if "action" in f}
    assert set(pushes) == {"position", "account"}  # order and fill: no snapshot
    assert pushes["position"]["data"] == []
    account = pushes["account"]["data"][0]
    assert {"totalEquity", "unrealisedPnL", "coin"} <= set(account)
    assert {"debts", "borrow", "bonus"} <= set(account["coin"][0])  # bonus: typed-bitget


def test_pushes_of_a_rest_order_come_in_order_and_agree_with_rest(
    sock: Socket, exchange: LocalExchange
) -> None:
    wire = Wire(exchange)
    sock.login()
    sock.subscribe(*PRIVATE)
    ack = ok_data(wire.post(PLACE, {**FUT, "side": "buy", "orderType": "market", "qty": "0.02"}))
    pushes = [f for f in sock.quiet(0.5) if "action" in f]
    assert [f["arg"]["topic"] for f in pushes] == ["order", "order", "fill", "position", "account"]
    accepted, filled = pushes[0]["data"][0], pushes[1]["data"][0]
    assert accepted["orderId"] == filled["orderId"] == ack["orderId"]
    assert (accepted["orderStatus"], filled["orderStatus"]) == ("new", "filled")
    assert filled["category"] == "usdt-futures" and filled["reduceOnly"] == "no"
    order = ok_data(wire.get("/api/v3/trade/order-info", {"orderId": ack["orderId"]}, signed=True))
    assert filled["cumExecQty"] == order["cumExecQty"] and filled["avgPrice"] == order["avgPrice"]
    fills = ok_data(wire.get("/api/v3/trade/fills", {"orderId": ack["orderId"]}, signed=True))
    assert pushes[2]["data"][0]["execId"] == fills["list"][0]["execId"]
    assert (pushes[2]["data"][0]["isRPI"], fills["list"][0]["isRPI"]) == ("no", "NO")  # WS §5.4
    rest_position = ok_data(
        wire.get("/api/v3/position/current-position", {"category": "USDT-FUTURES"}, signed=True)
    )["list"][0]
    position = pushes[3]["data"][0]
    assert position["size"] == rest_position["total"] and Decimal(position["size"]) == Decimal(
        "0.02"
    )
    assert position["positionStatus"] == "opening" and "category" not in position
    assets = ok_data(wire.get("/api/v3/account/assets", signed=True))
    usdt = next(c for c in pushes[4]["data"][0]["coin"] if c["coin"] == "USDT")
    assert usdt["balance"] == next(a for a in assets["assets"] if a["coin"] == "USDT")["balance"]


def test_a_push_never_shows_what_rest_does_not(sock: Socket, exchange: LocalExchange) -> None:
    """Each push is checked against REST the moment it arrives: REST already shows it."""
    wire = Wire(exchange)
    sock.login()
    sock.subscribe({"instType": "UTA", "topic": "order"}, {"instType": "UTA", "topic": "account"})
    done = threading.Event()

    def place() -> None:
        for i in range(20):
            buy = i % 2 == 1  # a spot market buy is sized in USDT
            body = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy" if buy else "sell",
                    "orderType": "market", "qty": "80" if buy else "0.001"}  # fmt: skip
            ok_data(Wire(exchange).post(PLACE, body))
        done.set()

    worker = threading.Thread(target=place)
    worker.start()
    filled: set[str] = set()
    seen = 0
    while len(filled) < 20:
        message = sock.recv(timeout=5)
        if message.get("arg", {}).get("topic") != "order":
            continue
        seen += 1
        pushed = message["data"][0]
        rest = ok_data(
            wire.get("/api/v3/trade/order-info", {"orderId": pushed["orderId"]}, signed=True)
        )
        assert Decimal(rest["cumExecQty"]) >= Decimal(pushed["cumExecQty"])
        if pushed["orderStatus"] == "filled":
            assert rest["orderStatus"] == "filled"
            filled.add(pushed["orderId"])
    worker.join()
    assert done.is_set() and seen >= 40  # accepted, then one push per execution


def test_close_and_strategy_order_pushes(sock: Socket, exchange: LocalExchange) -> None:
    wire = Wire(exchange)
    sock.login()
    sock.subscribe({"instType": "UTA", "topic": "position"},
                   {"instType": "UTA", "topic": "strategy-order", "symbol": "default"})  # fmt: skip
    price = Decimal(ok_data(wire.get("/api/v3/market/tickers", FUT))[0]["lastPrice"])
    body = {**FUT, "side": "buy", "orderType": "market", "qty": "0.01",
            "takeProfit": str((price * Decimal("1.5")).quantize(Decimal("0.1")))}  # fmt: skip
    ok_data(wire.post(PLACE, body))
    frames = [f for f in sock.quiet(0.5) if "action" in f]
    topics = [f["arg"]["topic"] for f in frames]
    assert "position" in topics and "strategy-order" in topics
    strategy = next(f for f in frames if f["arg"]["topic"] == "strategy-order")["data"][0]
    assert strategy["status"] == "pending" and strategy["side"] == "sell"
    listed = {
        "category", "symbol", "orderId", "clientOid", "qty", "side", "posSide", "reduceOnly",
        "type", "status", "triggerType", "tpTriggerBy", "slTriggerBy", "takeProfit", "stopLoss",
        "tpOrderType", "slOrderType", "tpLimitPrice", "slLimitPrice", "triggerBy",
        "triggerPrice", "triggerOrderType", "triggerOrderPrice", "createdTime", "updatedTime",
    }  # every field WS §5.6 lists [solid]  # fmt: skip
    assert listed <= set(strategy) and strategy["triggerPrice"] == ""
    close = {**FUT, "side": "sell", "orderType": "market", "qty": "0.01", "reduceOnly": "YES"}
    ok_data(wire.post(PLACE, close))
    frames = [f for f in sock.quiet(0.5) if f.get("arg", {}).get("topic") == "position"]
    assert frames[-1]["data"][0]["positionStatus"] == "ended"
    assert frames[-1]["data"][0]["cashDividend"] == "0"  # WS §5.2: GO, typed-bitget
    assert frames[-1]["data"][0]["size"] == "0"


# -- trading over the socket (WS §6) -----------------------------------------------------------


def _trade(sock: Socket, request_id: str, topic: str, args: list, **extra: Any) -> Any:
    sock.send({"op": "trade", "id": request_id, "topic": topic, "args": args, **extra})
    return sock.until(lambda f: f.get("id") == request_id)


def test_ws_trading_replies_by_id_with_string_codes(sock: Socket, exchange: LocalExchange) -> None:
    wire = Wire(exchange)
    sock.login()
    order = {"symbol": "BTCUSDT", "orderType": "limit", "price": "1000", "qty": "0.001",
             "side": "buy", "clientOid": "ws-1"}  # fmt: skip
    placed = _trade(sock, "a1", "place-order", [order], category="spot")
    assert (placed["event"], placed["code"], placed["category"]) == ("trade", "0", "spot")
    assert placed["args"][0]["clientOid"] == "ws-1" and placed["args"][0]["symbol"] == "BTCUSDT"
    assert isinstance(placed["ts"], str) and placed["connId"]
    rest = ok_data(wire.get("/api/v3/trade/order-info", {"clientOid": "ws-1"}, signed=True))
    assert rest["orderStatus"] == "live" and rest["orderId"] == placed["args"][0]["orderId"]
    modified = _trade(sock, "a2", "modify-order", [{"clientOid": "ws-1", "price": "1001",
                                                   "qty": "0.001"}])  # fmt: skip
    assert modified["code"] == "0"
    cancelled = _trade(sock, "a3", "cancel-order", [{"orderId": rest["orderId"]}], category="spot")
    assert cancelled["code"] == "0" and cancelled["args"][0]["orderId"] == rest["orderId"]
    again = _trade(sock, "a4", "cancel-order", [{"orderId": rest["orderId"]}], category="spot")
    assert (again["event"], again["code"], again["topic"]) == ("error", "25204", "cancel-order")
    assert "args" not in again


def test_a_batch_reply_is_code_0_with_a_code_per_item(sock: Socket) -> None:
    sock.login()
    good = {"symbol": "BTCUSDT", "orderType": "limit", "price": "1000", "qty": "0.001",
            "side": "buy"}  # fmt: skip
    bad = {**good, "qty": "0.0000001"}
    reply = _trade(sock, "b1", "batch-place", [good, bad], category="spot")
    assert reply["event"] == "trade" and reply["code"] == "0"
    assert reply["args"][0]["code"] == "0" and reply["args"][1]["code"] not in ("0", "")
    cancel = [{"orderId": reply["args"][0]["orderId"]}, {"orderId": "1"}]
    cancelled = _trade(sock, "b2", "batch-cancel-order", cancel, category="spot")
    assert [item["code"] for item in cancelled["args"]] == ["0", "25204"]
    assert cancelled["topic"] == "batch-cancel-order"


def test_the_trade_reply_comes_before_the_pushes_it_caused(sock: Socket) -> None:
    sock.login()
    sock.subscribe({"instType": "UTA", "topic": "order"})
    order = {"symbol": "BTCUSDT", "orderType": "market", "qty": "0.001", "side": "sell"}
    sock.send({"op": "trade", "id": "c1", "category": "spot", "topic": "place-order",
               "args": [order]})  # fmt: skip
    frames = sock.quiet(0.5)
    assert frames[0]["id"] == "c1"
    assert [f["data"][0]["orderStatus"] for f in frames[1:]] == ["new", "filled"]


def test_trading_needs_a_login_and_a_trading_key(sock: Socket, exchange: LocalExchange) -> None:
    order = {"symbol": "BTCUSDT", "orderType": "market", "qty": "0.001", "side": "sell"}
    refused = _trade(sock, "d1", "place-order", [order], category="spot")
    assert (refused["event"], refused["code"]) == ("error", "30004")
    with connect(exchange.ws_url, open_timeout=5) as ws:
        read_only = Socket(ws, exchange)
        read_only.login(key="ro")
        denied = _trade(read_only, "d2", "place-order", [order], category="spot")
        assert (denied["event"], denied["code"]) == ("error", "40014")
    unknown = _trade(sock, "d3", "teleport", [order])
    assert unknown["code"] == "30004"  # not logged in comes first


# -- junk, idle, shutdown ----------------------------------------------------------------------


def test_junk_frames_get_error_events_and_the_connection_lives(sock: Socket) -> None:
    junk: list[Any] = [
        b'{"op":"subscribe"}',
        "not json",
        "[1, 2]",
        '"ping"',
        {"op": "dance"},
        {"op": "subscribe", "args": "ticker"},
        {"op": "subscribe", "args": [1]},
        {"op": "login"},
        {"op": "trade", "topic": "place-order", "args": []},
    ]
    codes = []
    for frame in junk[:-2]:
        sock.send(frame)
        codes.append(sock.recv()["code"])
    assert codes == [30002, 30002, 30002, 30002, 30003, 30016, 30016]
    sock.send(junk[-1])
    assert sock.recv()["code"] == "30016"  # a trade request without an id
    sock.send("ping")
    assert sock.recv() == "pong"
    sock.send(junk[-2])  # a login without args fails like any login: error, then close
    assert sock.recv()["code"] == 30005
    assert _closed(sock)


def test_an_idle_connection_is_closed() -> None:
    with (
        LocalExchange(start_time=START, ws_idle_timeout=0.3) as ex,
        connect(ex.ws_url, open_timeout=5) as ws,
    ):
        started = time.monotonic()
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
        assert 0.25 < time.monotonic() - started < 3
        assert ws.close_code == 1000


def test_the_wall_clock_timer_moves_the_market() -> None:
    with LocalExchange() as ex, connect(ex.ws_url, open_timeout=5) as ws:
        sock = Socket(ws, ex)
        sock.subscribe({"instType": "spot", "topic": "books", "symbol": "BTCUSDT"})
        updates = [f for f in sock.quiet(1.6) if f.get("action") == "update"]
        assert 1 <= len(updates) <= 4  # every 0.5 s, when the book changed


def test_close_ends_every_connection_and_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    ex = LocalExchange(start_time=START).start()
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(connect(ex.ws_url, open_timeout=5)) for _ in range(3)]
        for ws in clients:
            ws.send(json.dumps({"op": "subscribe", "args": [SPOT_BOOKS]}))
            ws.recv(timeout=5)
        ex.close()
        for ws in clients:
            with pytest.raises(ConnectionClosed):
                while True:
                    ws.recv(timeout=5)
            assert ws.close_code == 1001  # going away
    left = [t for t in threading.enumerate() if t.ident not in before]
    assert [t.name for t in left if t.name.startswith("bitget_nb")] == []
    with pytest.raises(RuntimeError):
        _ = ex.ws_url
