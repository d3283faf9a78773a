"""One client shared between threads (a widget callback, trading threads and the dead man's
switch heartbeat), and one exchange serving concurrent requests: nothing lost, nothing done
twice, the books still add up."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import ClassVar

import pytest
import requests

import bitget_nb as bg
from bitget_nb.config import Credentials
from bitget_nb.endpoints import ENDPOINTS
from bitget_nb.signing import compact_json, sign
from bitget_nb.transport import RateLimiter, Transport

from . import ledger

SPOT = {"category": "SPOT", "symbol": "BTCUSDT"}


def _join_all(threads: list[threading.Thread], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a thread did not finish in time"


@pytest.mark.timeout(60)
def test_dead_mans_switch_widget_and_trading_threads_share_one_client_safely():
    """Rate limits on at both ends, wall clock: the heartbeat re-arms every second while
    three trading threads place and cancel and a "widget" thread refreshes its views."""
    beats: list[int] = []
    session = requests.Session()

    def count_beats(response: requests.Response, *args: object, **kwargs: object) -> None:
        if response.request.path_url.endswith("countdown-cancel-all") and response.ok:
            beats.append(response.status_code)

    session.hooks["response"].append(count_beats)
    with bg.LocalExchange(seed=7) as ex:
        initial = ledger.wallet_totals(ex)
        client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url, session=session)
        client.get_instruments(category="SPOT")
        bid = Decimal(str(client.get_tickers(**SPOT).loc[0, "bid1Price"]))
        acks: dict[str, str] = {}
        cancelled: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()
        stop = threading.Event()

        def trade(n: int) -> None:
            rng = random.Random(n)
            try:
                for i in range(12):
                    oid = f"thr-{n}-{i}"
                    price = bid * Decimal(str(rng.uniform(0.8, 0.9)))
                    ack = client.submit_new_order(
                        **SPOT,
                        side="buy",
                        orderType="limit",
                        qty="0.0005",
                        price=format(price.quantize(Decimal("0.01")), "f"),
                        clientOid=oid,
                    )
                    with lock:
                        acks[oid] = ack["orderId"]
                    if i % 2:
                        client.cancel_order(orderId=ack["orderId"], category="SPOT")
                        with lock:
                            cancelled.append(ack["orderId"])
            except BaseException as exc:
                with lock:
                    errors.append(exc)

        def widget() -> None:  # what an OrdersView refresh does, over and over
            try:
                while not stop.is_set():
                    client.get_unfilled_orders(category="SPOT", progress=False)
                    client.get_balances()
                    stop.wait(0.05)
            except BaseException as exc:
                with lock:
                    errors.append(exc)

        with client.dead_mans_switch(countdown=5, interval=1.0) as switch:
            assert ex.venue.trading.countdown.armed
            threads = [threading.Thread(target=trade, args=(n,)) for n in range(3)]
            threads.append(threading.Thread(target=widget))
            for thread in threads:
                thread.start()
            _join_all(threads[:3], 40)
            time.sleep(max(0.0, 2.2 - (time.time() - (switch.last_heartbeat or 0))))
            stop.set()
            _join_all(threads[3:], 10)
            assert switch.failures == 0 and switch.last_error is None and switch.armed
        assert not ex.venue.trading.countdown.armed  # disarmed on exit
        client.close()

        assert errors == []
        assert len(beats) >= 3  # armed, at least one re-arm, disarmed
        store = ex.venue.trading.store
        assert len(acks) == 36
        assert Counter(o.client_oid for o in store.newest_orders()) == Counter(list(acks))
        for oid, order_id in acks.items():
            assert store.get(order_id).client_oid == oid
        assert {o.order_id for o in store.newest_orders() if o.status == "cancelled"} == set(
            cancelled
        )
        assert ledger.consistency_errors(ex) == []
        assert ledger.conservation_errors(ex, initial) == []


def _signed(ex: bg.LocalExchange, session: requests.Session, path: str, body: object) -> dict:
    creds, data, ts = ex.credentials, compact_json(body), str(ex.now_ms())
    headers = {
        "ACCESS-KEY": creds["api_key"],
        "ACCESS-SIGN": sign(creds["api_secret"], ts, "POST", path, "", data),
        "ACCESS-TIMESTAMP": ts,
        "ACCESS-PASSPHRASE": creds["api_pass"],
        "Content-Type": "application/json",
    }
    response = session.post(ex.base_url + path, data=data, headers=headers, timeout=10)
    assert response.status_code < 500, response.text
    return response.json()


@pytest.mark.timeout(60)
def test_concurrent_makers_takers_and_cancels_never_double_fill_or_lose_an_update(
    open_exchange,
):
    """Makers rest sells inside the spread, takers' market buys hit them, cancellers race
    the takers for the same orders: every order ends filled, cancelled or open — once — and
    its fills, the locks and every balance agree with the books."""
    ex = open_exchange
    initial = ledger.wallet_totals(ex)
    inst = ex.venue.catalogue.get("SPOT", "BTCUSDT")
    book = ex.venue.market.book(inst, ex.now_ms(), 1)  # prices in ticks
    ask, bid = book.asks[0][0], book.bids[0][0]
    assert ask - bid >= 2, "the spread leaves room for resting sells inside it"
    inside = format((ask - 1) * inst.tick, "f")
    resting: list[str] = []
    answers: Counter[str] = Counter()
    cancelled_ok: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def maker(n: int) -> None:
        session = requests.Session()
        for i in range(40):
            order = {
                **SPOT,
                "side": "sell",
                "orderType": "limit",
                "qty": "0.0004",
                "price": inside,
                "clientOid": f"mk-{n}-{i}",
            }
            body = _signed(ex, session, "/api/v3/trade/place-order", order)
            with lock:
                answers[body["code"]] += 1
                if body["code"] == "00000":
                    resting.append(body["data"]["orderId"])

    def taker(n: int) -> None:
        session = requests.Session()
        for i in range(40):
            order = {
                **SPOT,
                "side": "buy",
                "orderType": "market",
                "qty": "15",
                "clientOid": f"tk-{n}-{i}",
            }
            body = _signed(ex, session, "/api/v3/trade/place-order", order)
            with lock:
                answers[body["code"]] += 1

    def canceller(n: int) -> None:
        session = requests.Session()
        rng = random.Random(n)
        for _ in range(60):
            with lock:
                target = rng.choice(resting) if resting else None
            if target is None:
                time.sleep(0.001)
                continue
            body = _signed(ex, session, "/api/v3/trade/cancel-order", {"orderId": target})
            with lock:
                answers[body["code"]] += 1
                if body["code"] == "00000":
                    cancelled_ok.append(target)

    def guarded(fn, n: int) -> None:
        try:
            fn(n)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    roles = [maker, maker, taker, taker, canceller, canceller]
    threads = [threading.Thread(target=guarded, args=(f, n)) for n, f in enumerate(roles)]
    for thread in threads:
        thread.start()
    _join_all(threads, 50)
    assert errors == []
    assert set(answers) <= {"00000", "25204"}, answers  # a cancel may lose the race: 25204
    store = ex.venue.trading.store
    fills_of_makers = [f for f in store.newest_fills() if f.client_oid.startswith("mk-")]
    assert fills_of_makers, "takers traded with the resting makers"
    assert len(cancelled_ok) == len(set(cancelled_ok))  # no order cancelled twice
    for order_id in cancelled_ok:
        order = store.get(order_id)
        assert order.status == "cancelled" and order.cum_exec_qty < order.qty
    clients = Counter(o.client_oid for o in store.newest_orders())
    assert max(clients.values()) == 1 and len(clients) == 160
    assert ledger.consistency_errors(ex) == []
    assert ledger.conservation_errors(ex, initial) == []


class _FakeTime:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _Recorded:
    status_code = 200
    headers: ClassVar[dict[str, str]] = {}
    content = b"{}"

    def json(self) -> dict:
        return {"code": "00000", "msg": "success", "requestTime": 0, "data": "success"}


def test_signature_timestamp_is_taken_after_the_rate_limit_wait():
    """A call that waits for the client's rate budget is signed when it leaves, not when it
    started waiting: a long queue never produces a stale ACCESS-TIMESTAMP (40008)."""
    fake = _FakeTime()
    sent: list[dict[str, str]] = []

    class Session:
        def request(self, method, url, *, data, headers, timeout, allow_redirects):
            assert allow_redirects is False
            sent.append(dict(headers))
            return _Recorded()

    transport = Transport(
        "http://127.0.0.1:9",
        Credentials("key-1", "secret-1", "pass-1"),
        session=Session(),  # type: ignore[arg-type]
        clock=lambda: fake.now,
        sleep=fake.sleep,
    )
    transport._limiter = RateLimiter(clock=lambda: fake.now, sleep=fake.sleep)
    countdown = ENDPOINTS["countdown_cancel_all"]  # 1 request per second
    transport.call(countdown, {"countdown": "10"})
    transport.call(countdown, {"countdown": "10"})  # waits one window for its slot
    first, second = (int(h["ACCESS-TIMESTAMP"]) for h in sent)
    assert second - first >= 1000
    assert second == int(fake.now * 1000)


@pytest.mark.timeout(60)
def test_sixteen_threads_share_one_client_without_overflowing_its_connection_pool(caplog):
    """requests' default pool keeps 10 connections; a client sized for its threads keeps one
    per thread, so the 11th thread does not log "Connection pool is full" on every call."""
    with (
        bg.LocalExchange(seed=7, rate_limits=False) as ex,
        bg.BitgetClient(**ex.credentials, base_url=ex.base_url, rate_limit=False) as client,
        caplog.at_level("WARNING", logger="urllib3.connectionpool"),
    ):
        barrier = threading.Barrier(16)

        def read() -> None:
            barrier.wait(10)
            for _ in range(10):
                client.get_tickers(category="SPOT", raw=True)

        threads = [threading.Thread(target=read) for _ in range(16)]
        for thread in threads:
            thread.start()
        _join_all(threads, 45)
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
