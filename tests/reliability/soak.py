"""The fault and load soak: several threads share one client and trade spot and futures on a
local exchange that fails the way networks and gateways do.

:func:`run_soak` is the whole experiment; ``tests/reliability/test_soak.py`` runs it small
and checks the report, ``bench/soak.py`` runs it large and prints it.

What happens:

* phase ``limited`` — the exchange's real rate limits are on, and the worker threads share
  one client whose limiter keeps them all under the budget together;
* phase ``open`` — rate limits off on both sides, for volume;
* throughout, every endpoint used fails at random (seeded): errors before the operation
  (HTTP 503, 45001, 429 with ``Retry-After``, a held-then-dropped connection) and after it
  commits (dropped connection, 40010 / 45001, a held-then-dropped connection); a chaos
  thread moves the manual clock (fills happen, funding settles) and now and then jumps it by
  minutes, so the client's next signed call is refused with 40008 and it resyncs; it also
  switches latency spikes on and off.

Every call's outcome is recorded: success (placements: the ack), a typed refusal the soak
can explain (a table of allowed refusals per operation), or
:class:`~bitget_nb.OutcomeUnknownError` naming the order. At the end, the exchange's own
books decide: no clientOid placed twice, every acknowledged order present, nothing refused
present, balances explained by fills + fees + funding to the last digit, orders explained by
their fills, locks explained by open orders and positions.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import requests

import bitget_nb as bg
from bitget_nb.errors import BitgetError
from bitget_nb.rules import InstrumentRules

from . import ledger

START = "2026-01-05T00:00:00Z"
#: Enough of every coin that refusals for balance stay the exception.
BALANCES = {"USDT": "2000000", "USDC": "200000", "BTC": "40", "ETH": "400", "SOL": "20000"}
#: The clientOid prefix of every order the soak sends (the exchange's own have others).
OID_PREFIX = "soak"

BEFORE_KINDS = ("http_503", "code_45001", "http_429", "timeout")
AFTER_KINDS = ("drop", "code_40010", "code_45001", "timeout", "truncate", "bad_gzip")
#: The endpoints the soak calls, each of which fails at random.
FAULTY_ENDPOINTS = (
    "submit_new_order",
    "place_batch_orders",
    "modify_order",
    "cancel_order",
    "cancel_batch_orders",
    "get_order_info",
    "get_unfilled_orders",
    "get_trade_fills",
    "get_tickers",
    "get_balances",
    "get_current_position",
)

#: Why a write may legitimately be refused: (operation kind, exception class) → reason.
#: Anything else that is not a success or an OutcomeUnknownError naming the order fails.
REFUSALS: dict[tuple[str, type[BaseException]], str] = {
    ("place", bg.InsufficientBalanceError): "other threads' orders held the balance or margin",
    ("place", bg.PositionError): "a reduce-only order found no position (left) to reduce",
    ("place", bg.RateLimitError): "429s outlasted every re-send: certainly not placed",
    # The transport resyncs once per call (40008 is refused before processing): a clock jump
    # between the resync and the re-send is raised, and nothing was placed.
    ("place", bg.TimestampExpiredError): "the clock jumped again between resync and re-send",
    ("cancel", bg.TimestampExpiredError): "the clock jumped again between resync and re-send",
    ("modify", bg.TimestampExpiredError): "the clock jumped again between resync and re-send",
    ("cancel", bg.OrderNotFoundError): "the order had filled or was cancelled already",
    ("cancel", bg.RateLimitError): "429s outlasted every re-send",
    ("modify", bg.OrderNotFoundError): "the order had filled or was cancelled already",
    ("modify", bg.InsufficientBalanceError): "the new price needed more than was free",
    ("modify", bg.RateLimitError): "429s outlasted every re-send",
}
#: Batch items may fail with these codes for the reasons above.
ITEM_REFUSALS = {
    "place": {"25202": "balance", "25203": "margin"},
    "cancel": {"25204": "already closed", "22001": "already closed"},
}
#: A read that failed after its retries: these types only (nothing can be unknown).
READ_FAILURES = (
    bg.TimestampExpiredError,
    bg.ServerError,
    bg.TransportError,
    bg.RateLimitError,
    bg.OutcomeUnknownError,
)


@dataclass(frozen=True)
class SoakConfig:
    """The size and the fault mix of one soak."""

    operations: int = 2400
    threads: int = 4
    #: Share of the operations run with the exchange's rate limits on.
    limited_share: float = 0.05
    seed: int = 11
    fault_rate: float = 0.04
    #: How long a ``timeout`` fault holds the request before closing it; above the client's
    #: read timeout for some endpoints, so both dropped connections and read timeouts occur.
    hold_seconds: tuple[float, ...] = (0.05, 0.7)
    read_timeout: float = 0.5
    #: Retry-After of the injected 429s (whole seconds).
    retry_after: int = 1
    #: The client's pauses between re-sends (backoff, Retry-After) are cut to this: the
    #: soak is about what is sent, not about waiting.
    max_pause: float = 0.05
    #: Chaos thread: every ``tick_seconds`` the exchange's clock moves by up to ``tick_advance``
    #: seconds (about as fast as the wall clock), and every ``jump_every``-th tick it jumps
    #: minutes ahead: the client's next signed calls get 40008 and resync.
    tick_seconds: float = 0.02
    tick_advance: float = 0.06
    jump_every: int = 40
    spike_every: int = 15
    #: Every ``burst_every``-th tick: a placement's answer is lost and the next lookups of
    #: an order fail too, so a client must say "outcome unknown" and name the clientOid.
    burst_every: int = 25
    #: Share of the latency spikes that hold a write longer than the client's read timeout:
    #: the exchange processes it after the client gave up waiting (late processing).
    late_share: float = 0.5
    #: The client's settle window (seconds of planned pauses; ``max_pause`` shortens them).
    settle_window: float = 2.0


@dataclass
class SoakReport:
    """What happened, and what the exchange's books say about it."""

    operations: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    acks: dict[str, str] = field(default_factory=dict)  # clientOid → orderId
    unknown: list[str] = field(default_factory=list)  # clientOids of unknown outcome
    #: What the unknown outcomes turned out to be, looked up once the faults stopped.
    unknown_resolved: Counter[str] = field(default_factory=Counter)
    refused: dict[str, str] = field(default_factory=dict)  # clientOid → reason
    refusals: Counter[str] = field(default_factory=Counter)
    read_failures: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)  # orderIds the client says it cancelled
    not_found: list[str] = field(default_factory=list)  # orderIds a cancel found closed
    duplicates: dict[str, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    phantoms: list[str] = field(default_factory=list)
    balance_errors: list[str] = field(default_factory=list)
    consistency_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)
    orders_in_store: int = 0
    fills_in_store: int = 0

    @property
    def problems(self) -> list[str]:
        """Everything that breaks an invariant, as sentences (empty when all is well)."""
        out = list(self.unexpected)
        out += [f"clientOid {oid} placed {n} times" for oid, n in self.duplicates.items()]
        out += [f"acknowledged order lost: {x}" for x in self.lost]
        out += [f"refused but present / never sent: {x}" for x in self.phantoms]
        return out + self.balance_errors + self.consistency_errors

    def summary(self) -> str:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
        return "\n".join(
            [
                f"operations          {self.operations} in {self.seconds:.1f} s "
                f"({', '.join(f'{k} {v:.1f} s' for k, v in self.phase_seconds.items())})",
                f"by operation        {dict(sorted(self.by_operation.items()))}",
                f"faults injected     {sum(self.faults.values())}: {faults}",
                f"orders / fills      {self.orders_in_store} / {self.fills_in_store} in the "
                "exchange",
                f"acknowledged        {len(self.acks)}",
                f"refused (typed)     {sum(self.refusals.values())}: {dict(self.refusals)}",
                f"outcome unknown     {len(self.unknown)} (then looked up: "
                f"{dict(self.unknown_resolved)})",
                f"reads failed        {sum(self.read_failures.values())}: "
                f"{dict(self.read_failures)}",
                f"duplicates          {len(self.duplicates)}",
                f"lost                {len(self.lost)}",
                f"balance mismatches  {len(self.balance_errors)}",
                f"state errors        {len(self.consistency_errors)}",
                f"untyped / unexplained outcomes {len(self.unexpected)}",
            ]
        )


class _Recorder:
    """The report, written to from every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.report = SoakReport()
        self._oids = itertools.count(1)

    def next_oid(self, worker: int) -> str:
        with self.lock:
            return f"{OID_PREFIX}-{worker}-{next(self._oids)}"

    def count(self, name: str) -> None:
        with self.lock:
            self.report.operations += 1
            self.report.by_operation[name] += 1

    def fault(self, kind: str, n: int = 1) -> None:
        with self.lock:
            self.report.faults[kind] += n

    def ack(self, oid: str, order_id: str) -> None:
        with self.lock:
            self.report.acks[oid] = order_id

    def unknown(self, oid: str) -> None:
        with self.lock:
            self.report.unknown.append(oid)

    def refused(self, oid: str | None, kind: str, reason: str) -> None:
        with self.lock:
            if oid is not None:
                self.report.refused[oid] = reason
            self.report.refusals[f"{kind}: {reason}"] += 1

    def read_failed(self, name: str, exc: BaseException) -> None:
        with self.lock:
            self.report.read_failures[f"{name}: {type(exc).__name__}"] += 1

    def unexpected(self, text: str) -> None:
        with self.lock:
            self.report.unexpected.append(text)

    def cancelled(self, order_id: str, found_closed: bool) -> None:
        with self.lock:
            (self.report.not_found if found_closed else self.report.cancelled).append(order_id)


@dataclass
class _Resting:
    order_id: str
    client_oid: str
    category: str
    symbol: str
    side: str
    price: Decimal


class _Worker:
    """One trading thread: its own resting orders, a share of the operations."""

    SPOT = ("BTCUSDT", "ETHUSDT")
    FUTURES = (("USDT-FUTURES", "BTCUSDT"), ("COIN-FUTURES", "BTCUSD"), ("USDT-FUTURES", "ETHUSDT"))
    #: (category, symbol) → the range of base quantities the soak trades.
    LOTS: ClassVar[dict[tuple[str, str], tuple[str, str]]] = {
        ("SPOT", "BTCUSDT"): ("0.0002", "0.002"),
        ("SPOT", "ETHUSDT"): ("0.005", "0.05"),
        ("USDT-FUTURES", "BTCUSDT"): ("0.001", "0.004"),
        ("COIN-FUTURES", "BTCUSD"): ("0.001", "0.003"),
        ("USDT-FUTURES", "ETHUSDT"): ("0.01", "0.05"),
    }
    MAX_RESTING = 30

    def __init__(
        self,
        index: int,
        client: bg.BitgetClient,
        recorder: _Recorder,
        rules: dict[tuple[str, str], InstrumentRules],
        prices: dict[tuple[str, str], Decimal],
        seed: int,
    ) -> None:
        self.index = index
        self.client = client
        self.rec = recorder
        self.rules = rules
        self.prices = prices
        self.rng = random.Random(seed * 1000 + index)
        self.resting: list[_Resting] = []

    # -- helpers ------------------------------------------------------------------------------
    def _qty(self, category: str, symbol: str) -> str:
        low, high = (Decimal(x) for x in self.LOTS[(category, symbol)])
        value = low + (high - low) * Decimal(self.rng.random())
        return format(self.rules[(category, symbol)].round_qty(value, "down"), "f")

    def _price(self, category: str, symbol: str, factor: float) -> Decimal:
        rules = self.rules[(category, symbol)]
        return rules.round_price(self.prices[(category, symbol)] * Decimal(str(factor)), "down")

    def _limit(self, category: str, symbol: str, near: bool) -> dict[str, Any]:
        side = self.rng.choice(("buy", "sell"))
        # near: inside the market's next moves, fills as the clock advances; far: rests
        away = self.rng.uniform(0.0002, 0.003) if near else self.rng.uniform(0.2, 0.3)
        factor = 1 - away if side == "buy" else 1 + away
        return {
            "category": category,
            "symbol": symbol,
            "side": side,
            "orderType": "limit",
            "qty": self._qty(category, symbol),
            "price": format(self._price(category, symbol, factor), "f"),
        }

    # -- operations ---------------------------------------------------------------------------
    def place(self, order: dict[str, Any], *, rest: bool) -> None:
        oid = self.rec.next_oid(self.index)
        try:
            ack = self.client.submit_new_order({**order, "clientOid": oid})
        except bg.OutcomeUnknownError as exc:
            self._unknown("place", oid, exc)
            return
        except BitgetError as exc:
            self._refusal("place", oid, exc)
            return
        if ack["clientOid"] != oid:
            self.rec.unexpected(f"place {oid}: acknowledged as {ack['clientOid']}")
        self.rec.ack(oid, str(ack["orderId"]))
        if rest:
            self.resting.append(
                _Resting(
                    str(ack["orderId"]),
                    oid,
                    order["category"],
                    order["symbol"],
                    order["side"],
                    Decimal(order["price"]),
                )
            )

    def place_batch(self) -> None:
        symbol = self.rng.choice(self.SPOT)
        orders = [
            {**self._limit("SPOT", symbol, near=False), "clientOid": self.rec.next_oid(self.index)}
            for _ in range(self.rng.randint(2, 4))
        ]
        try:
            frame = self.client.place_batch_orders(orders)
        except bg.OutcomeUnknownError as exc:
            # every item still unknown is named; the settled ones are in .results
            oids = [o["clientOid"] for o in orders]
            if not exc.client_oids or not set(exc.client_oids) <= set(oids):
                self.rec.unexpected(f"place_batch: names {exc.client_oids}, not among {oids}")
            rows = exc.results.to_dict("records") if exc.results is not None else []
            for oid, row in zip(oids, rows, strict=False):
                if oid in exc.client_oids:
                    self.rec.unknown(oid)
                elif row["ok"]:
                    self.rec.ack(oid, str(row["orderId"]))
            return
        except BitgetError as exc:
            self.rec.unexpected(f"place_batch: {type(exc).__name__}: {exc}")
            return
        for order, row in zip(orders, frame.to_dict("records"), strict=True):
            oid = order["clientOid"]
            if row["clientOid"] != oid:
                self.rec.unexpected(f"place_batch {oid}: row names {row['clientOid']}")
            if row["ok"]:
                self.rec.ack(oid, str(row["orderId"]))
                self.resting.append(
                    _Resting(
                        str(row["orderId"]),
                        oid,
                        "SPOT",
                        symbol,
                        order["side"],
                        Decimal(order["price"]),
                    )
                )
            elif row["code"] in ITEM_REFUSALS["place"]:
                self.rec.refused(oid, "place", ITEM_REFUSALS["place"][row["code"]])
            elif row["code"] in ("45001", "40010", "40725", "25001", "25000", "429"):
                self.rec.unknown(oid)  # not placed after every re-send: unknown, named
            else:
                self.rec.unexpected(f"place_batch {oid}: item code {row['code']} {row['msg']}")

    def cancel(self) -> None:
        if not self.resting:
            return
        order = self.resting.pop(self.rng.randrange(len(self.resting)))
        by_oid = self.rng.random() < 0.5
        ids = {"clientOid": order.client_oid} if by_oid else {"orderId": order.order_id}
        try:
            self.client.cancel_order(category=order.category, symbol=order.symbol, **ids)
        except bg.OutcomeUnknownError as exc:
            self._unknown("cancel", None, exc, expect=(order.client_oid, order.order_id))
            return
        except BitgetError as exc:
            if self._refusal("cancel", None, exc) and isinstance(exc, bg.OrderNotFoundError):
                self.rec.cancelled(order.order_id, found_closed=True)
            return
        self.rec.cancelled(order.order_id, found_closed=False)

    def cancel_batch(self) -> None:
        if len(self.resting) < 2:
            return
        chosen = [self.resting.pop(self.rng.randrange(len(self.resting))) for _ in range(2)]
        items = [
            {"category": o.category, "symbol": o.symbol, "orderId": o.order_id} for o in chosen
        ]
        try:
            frame = self.client.cancel_batch_orders(items)
            unknown: tuple[str, ...] = ()
        except bg.OutcomeUnknownError as exc:
            # the items still unknown are named (by orderId here); .results has every row
            ids = [o.order_id for o in chosen]
            if not exc.client_oids or not set(exc.client_oids) <= set(ids):
                self.rec.unexpected(f"cancel_batch: names {exc.client_oids}, not among {ids}")
            frame, unknown = exc.results, exc.client_oids
        except BitgetError as exc:
            self.rec.unexpected(f"cancel_batch: {type(exc).__name__}: {exc}")
            return
        for order, row in zip(chosen, frame.to_dict("records"), strict=True):
            if order.order_id in unknown:
                self.rec.unknown(order.client_oid)
            elif row["ok"]:
                self.rec.cancelled(order.order_id, found_closed=False)
            elif row["code"] in ITEM_REFUSALS["cancel"]:
                self.rec.refused(None, "cancel", ITEM_REFUSALS["cancel"][row["code"]])
                self.rec.cancelled(order.order_id, found_closed=True)
            elif row["code"] in ("45001", "40010", "40725", "25001", "25000", "429"):
                self.rec.unknown(order.client_oid)
            else:
                self.rec.unexpected(
                    f"cancel_batch {order.order_id}: item code {row['code']!r} {row['msg']}"
                )

    def modify(self) -> None:
        spot = [o for o in self.resting if o.category == "SPOT"]
        if not spot:
            return
        order = self.rng.choice(spot)
        rules = self.rules[(order.category, order.symbol)]
        step = rules.tick * self.rng.randint(1, 50)
        price = order.price - step if order.side == "buy" else order.price + step
        try:
            self.client.modify_order(
                orderId=order.order_id,
                category=order.category,
                symbol=order.symbol,
                price=format(price, "f"),
            )
        except bg.OutcomeUnknownError as exc:
            self._unknown("modify", None, exc, expect=(order.client_oid, order.order_id))
            return
        except BitgetError as exc:
            if self._refusal("modify", None, exc) and isinstance(exc, bg.OrderNotFoundError):
                self.resting.remove(order)
            return
        order.price = price

    def read(self) -> None:
        name = self.rng.choice(
            (
                "get_tickers",
                "get_order_info",
                "get_unfilled_orders",
                "get_balances",
                "get_current_position",
                "get_trade_fills",
            )
        )
        client = self.client
        try:
            if name == "get_tickers":
                category, symbol = self.rng.choice(list(self.prices))
                frame = client.get_tickers(category=category, symbol=symbol)
                self.prices[(category, symbol)] = Decimal(str(frame.loc[0, "lastPrice"]))
            elif name == "get_order_info":
                if not self.resting:
                    return
                try:
                    client.get_order_info(orderId=self.rng.choice(self.resting).order_id)
                except bg.OrderNotFoundError:
                    self.rec.unexpected("get_order_info: an acknowledged order is unknown")
            elif name == "get_unfilled_orders":
                client.get_unfilled_orders(category="SPOT", progress=False, max_rows=100)
            elif name == "get_balances":
                client.get_balances()
            elif name == "get_current_position":
                client.get_current_position(category="USDT-FUTURES")
            else:
                client.get_trade_fills(category="SPOT", limit=20, progress=False, max_rows=20)
        except READ_FAILURES as exc:
            self.rec.read_failed(name, exc)
        except BitgetError as exc:
            self.rec.unexpected(f"{name}: {type(exc).__name__}: {exc}")

    def step(self) -> str:
        """One operation, chosen by weight; returns its name."""
        rng = self.rng
        full = len(self.resting) >= self.MAX_RESTING
        roll = rng.random()
        if roll < 0.22:
            name, op = "read", self.read
        elif roll < 0.34 or (full and roll < 0.5):
            name, op = "cancel", self.cancel
        elif roll < 0.42:
            name, op = "modify", self.modify
        elif roll < 0.46:
            name, op = "cancel_batch", self.cancel_batch
        elif roll < 0.50 and not full:
            name, op = "place_batch", self.place_batch
        elif roll < 0.62 and not full:
            symbol = rng.choice(self.SPOT)
            name = "spot_limit"
            near = rng.random() < 0.5
            order = self._limit("SPOT", symbol, near=near)
            op = lambda: self.place(order, rest=True)  # noqa: E731
        elif roll < 0.74:
            name, op = "spot_market", self._spot_market
        elif roll < 0.86:
            name, op = "futures_market", self._futures_market
        elif roll < 0.92:
            name, op = "futures_reduce_only", self._futures_reduce
        elif not full:
            category, symbol = rng.choice(self.FUTURES)
            name = "futures_limit"
            order = self._limit(category, symbol, near=rng.random() < 0.3)
            op = lambda: self.place(order, rest=True)  # noqa: E731
        else:
            name, op = "cancel", self.cancel
        op()
        return name

    def _spot_market(self) -> None:
        symbol = self.rng.choice(self.SPOT)
        if self.rng.random() < 0.5:  # a market buy spends quote (spec §4.1.1)
            qty, side = str(self.rng.randint(5, 60)), "buy"
        else:
            qty, side = self._qty("SPOT", symbol), "sell"
        self.place(
            {"category": "SPOT", "symbol": symbol, "side": side, "orderType": "market", "qty": qty},
            rest=False,
        )

    def _futures_market(self) -> None:
        category, symbol = self.rng.choice(self.FUTURES)
        qty = self._qty(category, symbol)
        self.place(
            {
                "category": category,
                "symbol": symbol,
                "side": self.rng.choice(("buy", "sell")),
                "orderType": "market",
                "qty": qty,
            },
            rest=False,
        )

    def _futures_reduce(self) -> None:
        category, symbol = self.rng.choice(self.FUTURES)
        self.place(
            {
                "category": category,
                "symbol": symbol,
                "side": self.rng.choice(("buy", "sell")),
                "orderType": "market",
                "qty": self.LOTS[(category, symbol)][0],
                "reduceOnly": "yes",
            },
            rest=False,
        )

    # -- outcome checks -----------------------------------------------------------------------
    def _unknown(
        self,
        kind: str,
        oid: str | None,
        exc: bg.OutcomeUnknownError,
        *,
        expect: tuple[str, ...] = (),
        named_one: bool = False,
    ) -> None:
        """An unknown outcome must name the order it is about."""
        wanted = {oid} if oid else set(expect)
        if named_one:
            ok = bool(exc.client_oid) and exc.client_oid.startswith(OID_PREFIX)
        else:
            ok = exc.client_oid in wanted
        if not ok:
            self.rec.unexpected(
                f"{kind}: OutcomeUnknownError names {exc.client_oid!r}, not {sorted(wanted)}"
            )
        if oid is not None:
            self.rec.unknown(oid)
        elif expect:
            self.rec.unknown(expect[0])

    def _refusal(self, kind: str, oid: str | None, exc: BitgetError) -> bool:
        """Record a typed refusal if the soak can say why it happened; else it is a failure."""
        for (k, cls), reason in REFUSALS.items():
            if k == kind and type(exc) is cls:
                self.rec.refused(oid, kind, reason)
                return True
        self.rec.unexpected(f"{kind} {oid or ''}: {type(exc).__name__}: {exc}")
        return False


class _Chaos(threading.Thread):
    """Moves the manual clock (small steps, and jumps of minutes that cause 40008), and
    switches latency spikes on and off."""

    SPIKY = ("submit_new_order", "get_order_info", "cancel_order", "get_tickers")
    #: Writes held past the read timeout: processed after the client's look-ups began.
    LATE = ("submit_new_order", "place_batch_orders", "cancel_order", "modify_order")

    def __init__(self, ex: bg.LocalExchange, rec: _Recorder, config: SoakConfig) -> None:
        super().__init__(name="soak-chaos", daemon=True)
        self.ex, self.rec, self.config = ex, rec, config
        self.stop = threading.Event()
        self.rng = random.Random(config.seed)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the soak, never lost in a thread
            self.error = exc

    def _run(self) -> None:
        config, rng, faults = self.config, self.rng, self.ex.faults
        spiking: str | None = None
        for tick in itertools.count(1):
            if self.stop.wait(config.tick_seconds):
                break
            if tick % config.jump_every == 0:
                self.ex.advance(minutes=rng.uniform(2, 20))
                self.rec.fault("clock_jump")
            else:
                self.ex.advance(seconds=rng.uniform(0, config.tick_advance))
            if tick % config.burst_every == 0:
                faults.fail_next("submit_new_order", when="after", kind="drop")
                faults.fail_next("get_order_info", 4, kind="http_503")
                self.rec.fault("lookup_burst")
            if tick % config.spike_every == 0:
                if spiking is not None:
                    faults.set_latency(spiking, 0)
                    spiking = None
                elif rng.random() < config.late_share:
                    spiking = rng.choice(self.LATE)
                    rt = config.read_timeout
                    faults.set_latency(spiking, rng.uniform(rt * 1.2, rt * 3))
                    self.rec.fault("late_processing")
                else:
                    spiking = rng.choice(self.SPIKY)
                    faults.set_latency(spiking, rng.uniform(0.05, 0.25))
                    self.rec.fault("latency_spike")
        if spiking is not None:
            faults.set_latency(spiking, 0)


def _plan_faults(ex: bg.LocalExchange, config: SoakConfig) -> None:
    kinds = [("before", k) for k in BEFORE_KINDS] + [("after", k) for k in AFTER_KINDS]
    for n, endpoint in enumerate(FAULTY_ENDPOINTS):
        ex.faults.fail_randomly(
            endpoint,
            config.fault_rate,
            kinds=kinds,
            seed=config.seed + n,
            hold_seconds=config.hold_seconds[n % len(config.hold_seconds)],
            retry_after=config.retry_after,
        )


def _status_counter(rec: _Recorder, limited: bool) -> Callable[..., None]:
    """A session hook counting what the exchange answered that the faults do not count:
    40008 (the clock was off) and the exchange's own 429s (a rate limit, not a fault)."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code == 200:
            return
        try:
            code = response.json().get("code")
        except ValueError:
            return
        if code == "40008":
            rec.fault("40008_resync")
        elif response.status_code == 429 and "Retry-After" not in response.headers:
            rec.fault("exchange_429" + ("_limited" if limited else ""))

    return hook


def _client(ex: bg.LocalExchange, rec: _Recorder, config: SoakConfig, *, limited: bool):
    session = requests.Session()
    # One pool connection per thread, plus the chaos of dropped ones.
    adapter = requests.adapters.HTTPAdapter(pool_connections=2, pool_maxsize=config.threads + 4)
    session.mount("http://", adapter)
    session.hooks["response"].append(_status_counter(rec, limited))
    return bg.BitgetClient(
        **ex.credentials,
        base_url=ex.base_url,
        session=session,
        rate_limit=limited,
        timeout=(2.0, config.read_timeout),
        settle_window=config.settle_window,
        sleep=lambda s: time.sleep(min(s, config.max_pause)),
    ), session


def _run_phase(
    workers: list[_Worker], operations: int, rec: _Recorder, deadline: float
) -> list[BaseException]:
    errors: list[BaseException] = []
    share = max(1, operations // len(workers))

    def work(worker: _Worker) -> None:
        try:
            for _ in range(share):
                if time.monotonic() > deadline:
                    break
                rec.count(worker.step())
        except BaseException as exc:  # an untyped exception: the soak fails on it
            with rec.lock:
                errors.append(exc)
            rec.unexpected(f"worker {worker.index}: {type(exc).__name__}: {exc!r}")

    threads = [threading.Thread(target=work, args=(w,), name=f"soak-{w.index}") for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(1.0, deadline - time.monotonic() + 30))
    return errors


def _check(ex: bg.LocalExchange, report: SoakReport, initial: dict[str, Decimal]) -> None:
    store = ex.venue.trading.store
    ours = [o for o in store.newest_orders() if o.client_oid.startswith(OID_PREFIX)]
    counts = Counter(o.client_oid for o in ours)
    report.duplicates = {oid: n for oid, n in counts.items() if n > 1}
    for oid, order_id in report.acks.items():
        order = store.get(order_id)
        if order is None or order.client_oid != oid:
            report.lost.append(f"{oid} → {order_id}")
    sent = set(report.acks) | set(report.unknown) | set(report.refused)
    for order in ours:
        if order.client_oid in report.refused:
            report.phantoms.append(
                f"{order.client_oid} was refused ({report.refused[order.client_oid]}) but "
                f"the exchange has order {order.order_id}"
            )
        elif order.client_oid not in sent:
            report.phantoms.append(f"{order.client_oid}: on the exchange, no outcome recorded")
    for order_id in report.cancelled:
        order = store.get(order_id)
        if order is None or order.status != "cancelled":
            report.lost.append(
                f"cancel of {order_id} acknowledged, order is {order and order.status}"
            )
    for order_id in report.not_found:
        order = store.get(order_id)
        if order is None or order.is_open:
            report.lost.append(f"cancel of {order_id} said closed, order is open")
    for oid in report.unknown:
        order = store.by_client_oid(oid)
        report.unknown_resolved["placed" if order is not None else "absent"] += 1
    report.balance_errors = ledger.conservation_errors(ex, initial)
    report.consistency_errors = ledger.consistency_errors(ex)
    report.orders_in_store = len(store)
    report.fills_in_store = store.fill_count


def run_soak(config: SoakConfig = SoakConfig(), *, time_limit: float = 300.0) -> SoakReport:
    """Run the soak of :class:`SoakConfig` and return its report (see the module doc)."""
    rec = _Recorder()
    started = time.monotonic()
    deadline = started + time_limit
    with bg.LocalExchange(seed=config.seed, start_time=START, balances=BALANCES) as ex:
        initial = ledger.wallet_totals(ex)
        limited, limited_session = _client(ex, rec, config, limited=True)
        rules: dict[tuple[str, str], InstrumentRules] = {}
        prices: dict[tuple[str, str], Decimal] = {}
        for category in ("SPOT", "USDT-FUTURES", "COIN-FUTURES"):
            limited.get_instruments(category=category)  # the client checks orders locally
            for row in limited.get_tickers(category=category).to_dict("records"):
                key = (category, row["symbol"])
                rules[key] = limited.instrument_rules(*key)
                prices[key] = Decimal(str(row["lastPrice"]))
        _plan_faults(ex, config)
        chaos = _Chaos(ex, rec, config)
        chaos.start()
        try:
            phases = (("limited", limited, config.limited_share), ("open", None, 1.0))
            for n, (name, client, share) in enumerate(phases):
                began = time.monotonic()
                if client is None:
                    # Bitget's limits off on the exchange (a test-only switch of the app)
                    ex._app.rate_limits = False
                    client, session = _client(ex, rec, config, limited=False)
                    for category in ("SPOT", "USDT-FUTURES", "COIN-FUTURES"):
                        client.get_instruments(category=category, raw=True)
                count = round(config.operations * (share if n == 0 else 1 - config.limited_share))
                workers = [
                    _Worker(i, client, rec, rules, dict(prices), config.seed + n)
                    for i in range(config.threads)
                ]
                _run_phase(workers, count, rec, deadline)
                rec.report.phase_seconds[name] = time.monotonic() - began
                if client is not limited:
                    client.close()
                    session.close()
        finally:
            chaos.stop.set()
            chaos.join(10)
            ex.faults.clear()
            # requests still held by a late-processing spike arrive now: the books are read
            # only once every write the soak sent has been processed
            time.sleep(config.read_timeout * 3 + 0.2)
        if chaos.error is not None:
            rec.unexpected(f"chaos thread: {chaos.error!r}")
        for (_endpoint, when, kind), n in ex.faults.injected.items():
            rec.fault(f"{when}:{kind}", n)
        limited.close()
        limited_session.close()
        report = rec.report
        _check(ex, report, initial)
    report.seconds = time.monotonic() - started
    return report
