"""``LocalExchange``: the paper exchange as a real HTTP server on 127.0.0.1.

>>> with LocalExchange(seed=7, start_time="2025-06-01T00:00:00Z") as ex:
...     ex.base_url.startswith("http://127.0.0.1:"), sorted(ex.credentials)
(True, ['api_key', 'api_pass', 'api_secret'])
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import TracebackType

from . import defaults
from .accounts import ApiKey
from .clock import Clock, ManualClock, WallClock, to_ms
from .faults import Faults
from .http import ExchangeApp, ExchangeServer
from .venue import Caller, Venue

__all__ = ["LocalExchange", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
    """

    def __init__(
        self,
        *,
        seed: int = 7,
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
        if clock is None:
            clock = ManualClock(to_ms(start_time)) if start_time is not None else WallClock()
        if api_key and api_secret and api_pass:
            trading_key = ApiKey(api_key=api_key, secret=api_secret, passphrase=api_pass)
        else:
            trading_key = ApiKey.generate()
        read_only_key = ApiKey.generate(read_only=True)
        self.seed = seed
        self.clock = clock
        self.venue = Venue(
            clock=clock, seed=seed, keys=[trading_key, read_only_key], balances=balances
        )
        self._trading_key = trading_key
        self._read_only_key = read_only_key
        #: Fault injection for the HTTP front: ``ex.faults.fail_next("submit_new_order")``.
        self.faults = Faults()
        self._app = ExchangeApp(
            self.venue,
            timestamp_window_ms=timestamp_window_ms,
            rate_limits=rate_limits,
            max_body_bytes=max_body_bytes,
            faults=self.faults,
        )
        self._host = host
        self._port = port
        self._server: ExchangeServer | None = None
        self._lock = threading.Lock()

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> LocalExchange:
        """Bind and serve in background threads (no-op when already running)."""
        with self._lock:
            if self._server is None:
                server = ExchangeServer(self._host, self._port, self._app, now_ms=self.now_ms)
                server.start()
                self._server = server
                self._port = server.port
        return self

    def close(self) -> None:
        """Stop serving, close every connection, join every thread (idempotent)."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.close()

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

    # -- addresses and keys -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (only once started: the port is chosen at bind time)."""
        if self._server is None:
            raise RuntimeError("the exchange is not running; use `with LocalExchange() as ex`")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def uid(self) -> str:
        return self.venue.account.uid

    @property
    def credentials(self) -> dict[str, str]:
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
    def read_only_credentials(self) -> dict[str, str]:
        """A read-only key of the same account, same shape as :attr:`credentials`."""
        return self._read_only_key.credentials()

    # -- time ---------------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The exchange's time in ms (server time, ``requestTime``, prices)."""
        return self.clock.now_ms()

    def advance(
        self, seconds: float = 0.0, *, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> int:
        """Move the exchange's time forward and return the new time in ms.

        >>> ex = LocalExchange(start_time=1_748_736_000_000)
        >>> ex.advance(minutes=1, seconds=0.5)
        1748736060500
        """
        total = seconds + 60 * minutes + 3_600 * hours + 86_400 * days
        if total < 0:
            raise ValueError("time only moves forward")
        return self.venue.advance(round(total * 1000))

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "not running"
        return f"LocalExchange({where}, uid={self.uid!r}, seed={self.seed!r})"
