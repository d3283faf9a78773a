"""``LocalExchange``: the paper exchange as a real HTTP server on 127.0.0.1.

>>> with LocalExchange(seed=7, start_time="2025-06-01T00:00:00Z") as ex:
...     ex.base_url.startswith("http://127.0.0.1:"), sorted(ex.credentials)
(True, ['api_key', 'api_pass', 'api_secret'])

With ``path=`` the paper account lives in a SQLite file (:mod:`.persistence`) and a new
``LocalExchange`` on the same file carries on where the last one stopped — same keys, uid,
orders, balances and clock:

>>> import tempfile, pathlib
>>> file = pathlib.Path(tempfile.mkdtemp()) / "paper.sqlite3"
>>> with LocalExchange(path=file, start_time="2025-06-01T00:00:00Z") as ex:
...     key = ex.credentials["api_key"]
...     _ = ex.advance(minutes=5)
>>> with LocalExchange(path=file) as again:
...     again.credentials["api_key"] == key, again.now_ms()
(True, 1748736300000)
"""

from __future__ import annotations

import os
import threading
import warnings
import weakref
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from .._net import is_loopback_host as is_loopback
from . import defaults
from .accounts import ApiKey, KeyCredentials
from .clock import Clock, ManualClock, WallClock, to_ms
from .faults import Faults
from .fees import FeeModel
from .http import ExchangeApp, ExchangeServer
from .instruments import Catalogue
from .market import MarketProcess
from .marketdata import MarketData
from .persistence import Journal, open_journal
from .replay import Replay
from .venue import Caller, Venue
from .ws import WsServer

__all__ = ["LocalExchange", "is_loopback", "ws_url_for"]


#: base URL → WebSocket URL of every exchange running in this process, so that a client
#: made from ``ex.base_url`` alone finds the WebSocket without asking over REST
#: (:func:`ws_url_for`, ``BitgetClient.ws_urls``).
_serving: dict[str, str] = {}
_serving_lock = threading.Lock()


def ws_url_for(base_url: str) -> str | None:
    """The ``ws_url`` of the exchange of this process that serves ``base_url``, if any.

    >>> with LocalExchange(start_time="2025-06-01T00:00:00Z") as ex:
    ...     ws_url_for(ex.base_url) == ex.ws_url
    True
    """
    with _serving_lock:
        return _serving.get(base_url.rstrip("/"))


class LocalExchange:
    """A local Bitget V3 paper exchange: seeded market, funded account, real HTTP.

    Time is the wall clock unless ``start_time`` (ms, ISO 8601 or datetime) is given: then a
    manual clock starts there and moves only through :meth:`advance`. Any client talks to it
    with the generated keys::

        with LocalExchange(seed=7) as ex:
            client = BitgetClient(**ex.credentials, base_url=ex.base_url)

    ``venue`` is the domain core, usable without HTTP: ``ex.venue.call(name, params,
    ex.trader)`` places or queries orders directly (fast seeding for benches). ``faults``
    injects failures into the HTTP front (:mod:`.faults`). Only loopback hosts are served
    unless ``allow_remote=True``.

    The exchange also serves Bitget's V3 WebSocket (:mod:`.ws`) at :attr:`ws_url` on a port
    of its own (``ws_port``, default a free one), started and stopped with the HTTP server:
    market channels that follow the clock, private channels that follow the account's
    events, and trading over the socket. ``ws_idle_timeout`` closes connections that send
    nothing for that many seconds.

    The account lives in memory unless ``path`` names a SQLite file (:mod:`.persistence`):
    then every state change is committed to it before the answer is sent, and a new
    ``LocalExchange(path=...)`` on the same file rebuilds the account — keys, uid, seed,
    orders, fills, balances, positions, strategy orders, transfers and the clock (a manual
    clock resumes where it stood, the wall clock simply continues). ``seed`` defaults to 7
    for a new account and to the file's seed for an existing one; a seed, ``start_time``,
    keys or ``balances`` that contradict the file are refused
    (:class:`~.persistence.PaperAccountMismatch`); a changed catalogue or library version
    never is. One process at a time may hold a file. ``snapshot_every`` is accepted for
    code written against 0.1.0 and has no effect (the account is stored as rows, not as a
    log with snapshots).

    ``market`` is the market the exchange trades on (any :class:`~.marketdata.MarketData`;
    default the seeded synthetic market of ``seed``) and ``fees`` the fee model (any
    :class:`~.fees.FeeModel`; default the catalogue's rates). A persistent account keeps
    what happened as it happened; new activity follows the market and fees given now.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        start_time: int | str | datetime | None = None,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        api_secret: str | None = None,
        api_pass: str | None = None,
        timestamp_window_ms: int = defaults.TIMESTAMP_WINDOW_MS,
        rate_limits: bool = True,
        balances: Mapping[str, str | Decimal] | None = None,
        max_body_bytes: int = 1_048_576,
        allow_remote: bool = False,
        path: str | os.PathLike[str] | None = None,
        snapshot_every: int | None = None,
        market: MarketData | None = None,
        fees: FeeModel | None = None,
        ws_port: int = 0,
        ws_idle_timeout: float = defaults.WS_IDLE_TIMEOUT_SECONDS,
    ) -> None:
        if clock is not None and start_time is not None:
            raise ValueError("give either clock or start_time, not both")
        if not allow_remote and not is_loopback(host):
            raise ValueError(
                f"host {host!r} is not a loopback address; the paper exchange serves this "
                "machine only unless allow_remote=True"
            )
        given = (api_key, api_secret, api_pass)
        if any(v is not None for v in given) and not all(given):
            raise ValueError("give api_key, api_secret and api_pass together (or none of them)")
        given_key = (
            ApiKey(api_key=api_key, secret=api_secret, passphrase=api_pass)
            if api_key and api_secret and api_pass
            else None
        )
        if snapshot_every is not None:
            warnings.warn(
                "LocalExchange(snapshot_every=...) has no effect since the paper account is "
                "stored as rows; drop the argument",
                DeprecationWarning,
                stacklevel=2,
            )
        self._journal: Journal | None = None
        replay = market if isinstance(market, Replay) else None
        if replay is not None:
            # A replay lists only its recorded instruments, starts a manual clock at its first
            # bar, and funds the coins its spot markets can value (:mod:`.replay`). A file
            # keeps the account and its clock: reopened on the same recording it resumes
            # where it stopped (another recording's first bar contradicts the file's clock).
            if clock is None and start_time is None:
                start_time = replay.epoch_ms
            if balances is None:
                balances = replay.default_balances()
        if path is not None and os.fspath(path) != ":memory:":
            if clock is not None:
                raise ValueError(
                    "a persistent exchange keeps its own clock: give start_time (a manual "
                    "clock) or nothing (the wall clock), not clock"
                )
            journal = open_journal(
                path,
                seed=seed,
                start_ms=to_ms(start_time) if start_time is not None else None,
                trading_key=given_key,
                balances=balances,
                catalogue=replay.catalogue if replay is not None else None,
                market=market,
                fees=fees,
            )
            # Let go of the file when the exchange is dropped without close().
            weakref.finalize(self, journal.close)
            self._journal = journal
            self.venue = journal.venue
            self.clock: Clock = journal.live_clock
            keys = self.venue.account.keys
            trading_key = next(k for k in keys if not k.read_only)
            read_only_key = next(k for k in keys if k.read_only)
        else:
            if clock is None:
                clock = ManualClock(to_ms(start_time)) if start_time is not None else WallClock()
            trading_key = given_key or ApiKey.generate()
            read_only_key = ApiKey.generate(read_only=True)
            self.clock = clock
            seed = 7 if seed is None else seed
            catalogue = replay.catalogue if replay is not None else Catalogue.bundled()
            self.venue = Venue(
                clock=clock,
                seed=seed,
                catalogue=catalogue,
                keys=[trading_key, read_only_key],
                balances=balances,
                market=market
                if market is not None
                else MarketProcess(seed=seed, catalogue=catalogue),
                fees=fees,
            )
        self.seed = self.venue.seed
        self._trading_key = trading_key
        self._read_only_key = read_only_key
        #: Fault injection for the HTTP front: ``ex.faults.fail_next("submit_new_order")``.
        self.faults = Faults()
        self._app_options: dict[str, Any] = {
            "timestamp_window_ms": timestamp_window_ms,
            "max_body_bytes": max_body_bytes,
            "faults": self.faults,
        }
        self._app = ExchangeApp(self.venue, rate_limits=rate_limits, **self._app_options)
        self._host = host
        self._port = port
        self._server: ExchangeServer | None = None
        self._ws_port = ws_port
        self._ws_idle_timeout = ws_idle_timeout
        self._ws: WsServer | None = None
        self._lock = threading.Lock()

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> LocalExchange:
        """Bind and serve in background threads (no-op when already running)."""
        with self._lock:
            if self._journal is not None and self._journal.closed:
                raise RuntimeError(
                    f"this exchange was closed and let go of {self._journal.path}; open it "
                    "again with LocalExchange(path=...)"
                )
            if self._server is None:
                server = ExchangeServer(self._host, self._port, self._app, now_ms=self.now_ms)
                server.start()
                wall = isinstance(self.clock, WallClock)
                ws = WsServer(
                    self.venue,
                    host=self._host,
                    port=self._ws_port,
                    tick_seconds=defaults.WS_TICK_SECONDS if wall else None,
                    idle_timeout=self._ws_idle_timeout,
                    scheduled_push_ms=defaults.WS_SCHEDULED_PUSH_MS if wall else None,
                )
                try:
                    ws.start()
                except BaseException:
                    server.close()
                    raise
                self._server, self._ws = server, ws
                self._port, self._ws_port = server.port, ws.port
                with _serving_lock:
                    _serving[self.base_url] = ws.url
        return self

    def close(self) -> None:
        """Stop serving, close every connection, join every thread (idempotent). A persistent
        exchange then writes a last snapshot and lets go of its file."""
        with self._lock:
            if self._server is not None:
                with _serving_lock:
                    _serving.pop(self.base_url, None)
            server, self._server = self._server, None
            ws, self._ws = self._ws, None
        if ws is not None:
            ws.close()
        if server is not None:
            server.close()
        if self._journal is not None:
            self._journal.close()

    def __enter__(self) -> LocalExchange:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- the paper account --------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The SQLite file the account is kept in (``None``: in memory)."""
        return None if self._journal is None else self._journal.path

    def reset(self) -> None:
        """Start the paper account over: the initial balances again, no orders, fills,
        positions, strategy orders or transfers, default settings.

        The uid and the keys are KEPT (clients, notebooks and printed credentials keep
        working) and so is the seed; the clock keeps its position (time never moves back),
        so the account is registered anew at the current time. A persistent exchange wipes
        its file's log in the same step.

        >>> ex = LocalExchange(start_time="2025-06-01T00:00:00Z")
        >>> ack = ex.venue.call("copy_futures_transfer",
        ...     {"type": "in", "coin": "USDT", "amount": "7"}, ex.trader)
        >>> ex.reset()
        >>> ex.venue.lead.balances, str(ex.venue.account.balance("USDT").available)
        ({}, '100000')
        """
        self.venue.reset()

    # -- addresses and keys -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (only once started: the port is chosen at bind time)."""
        if self._server is None:
            raise RuntimeError("the exchange is not running; use `with LocalExchange() as ex`")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:<port>/v3/ws/private``: Bitget's V3 WebSocket, public and private
        traffic on one URL (``/v3/ws/public`` serves the same), as the Node SDK's ``wsUrl``
        option expects (only once started).

        >>> with LocalExchange(start_time="2025-06-01T00:00:00Z") as ex:
        ...     ex.ws_url.startswith("ws://127.0.0.1:"), ex.ws_url.endswith("/v3/ws/private")
        (True, True)
        """
        if self._ws is None:
            raise RuntimeError("the exchange is not running; use `with LocalExchange() as ex`")
        return self._ws.url

    def drop_ws_connections(self) -> int:
        """Fault hook for tests: close every WebSocket connection from the exchange's side
        (close code 1012, "service restart") while the server keeps serving; returns how
        many were open. Clients see what a gateway restart looks like (WS §1.4, §7).

        >>> with LocalExchange(start_time="2025-06-01T00:00:00Z") as ex:
        ...     ex.drop_ws_connections()
        0
        """
        if self._ws is None:
            raise RuntimeError("the exchange is not running; use `with LocalExchange() as ex`")
        return self._ws.drop_connections()

    @property
    def wsgi_app(self) -> ExchangeApp:
        """The exchange's WSGI app (what the HTTP server serves; the in-process transport of
        :mod:`.inprocess` calls it directly)."""
        return self._app

    def backtest_app(self) -> ExchangeApp:
        """A WSGI app on the same venue, keys, faults and checks as :attr:`wsgi_app` but
        without rate limits: they count wall-clock seconds, which mean nothing to a backtest
        stepping simulated time (:func:`bitget_nb.run` hands its requests to this one)."""
        return ExchangeApp(self.venue, rate_limits=False, **self._app_options)

    @property
    def uid(self) -> str:
        return self.venue.account.uid

    @property
    def credentials(self) -> KeyCredentials:
        """The read-write key as ``{"api_key", "api_secret", "api_pass"}``."""
        return self._trading_key.credentials()

    @property
    def trader(self) -> Caller:
        """The read-write key's caller, for ``ex.venue.call(endpoint, params, ex.trader)``.

        >>> ex = LocalExchange(start_time="2025-06-01T00:00:00Z")
        >>> order = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy",
        ...          "orderType": "limit", "qty": "0.001", "price": "60000", "clientOid": "b-1"}
        >>> ack = ex.venue.call("submit_new_order", order, ex.trader)
        >>> ex.venue.call("get_order_info", {"clientOid": "b-1"}, ex.trader)["orderStatus"]
        'live'
        """
        caller = self.venue.find_key(self._trading_key.api_key)
        assert caller is not None
        return caller

    @property
    def read_only_credentials(self) -> KeyCredentials:
        """A read-only key of the same account, same shape as :attr:`credentials`."""
        return self._read_only_key.credentials()

    # -- time ---------------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The exchange's time in ms (server time, ``requestTime``, prices)."""
        return self.clock.now_ms()

    def advance(
        self,
        seconds: float = 0.0,
        *,
        minutes: float = 0,
        hours: float = 0,
        days: float = 0,
        bars: int = 0,
    ) -> int:
        """Move the exchange's time forward and return the new time in ms.

        >>> ex = LocalExchange(start_time=1_748_736_000_000)
        >>> ex.advance(minutes=1, seconds=0.5)
        1748736060500

        ``bars=n`` (a replaying exchange only) moves to the n-th bar close from now, on the
        grid of the finest recorded interval: from a bar's open, ``bars=1`` is its close.
        Everything due on the way (fills, triggers, funding, the countdown) happens in time
        order, as with any advance.
        """
        total = seconds + 60 * minutes + 3_600 * hours + 86_400 * days
        if total < 0 or bars < 0:
            raise ValueError("time only moves forward")
        ms = round(total * 1000)
        if bars:
            market = self.venue.market
            if not isinstance(market, Replay):
                raise ValueError("advance(bars=...) steps a replayed market; give seconds")
            now = self.clock.now_ms() + ms
            offset = (now - market.epoch_ms) % market.bar_ms
            ms += (market.bar_ms - offset) + (bars - 1) * market.bar_ms
        return self.venue.advance(ms)

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "not running"
        return f"LocalExchange({where}, uid={self.uid!r}, seed={self.seed!r})"
