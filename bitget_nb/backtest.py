"""A strategy loop for notebooks: step a :class:`~bitget_nb.LocalExchange` through time and
call a user function with a client at every step.

>>> import bitget_nb as bg
>>> ex = bg.LocalExchange(start_time="2025-06-01T00:00:00Z")
>>> seen = []
>>> result = bg.run(lambda client, now: seen.append(now), ex, every="1m", steps=3)
>>> [t.isoformat() for t in seen], result.steps
(['2025-06-01T00:01:00+00:00', '2025-06-01T00:02:00+00:00', '2025-06-01T00:03:00+00:00'], 3)

The strategy is ``strategy(client, now)``: ``client`` is an ordinary
:class:`~bitget_nb.BitgetClient` (the same calls a live notebook makes), ``now`` the
exchange's time as a ``pd.Timestamp``. The loop first moves the clock by ``every`` —
everything due in that stretch (fills, triggers, funding, the countdown) happens in time
order — then calls the strategy, so at each call the bar that just ended is visible and the
next one is not. It stops after ``steps`` calls, or once the clock reaches ``until`` (default:
the end of a replayed recording), or when the strategy returns ``False``.

By default the client talks to the exchange in-process (:mod:`bitget_nb.exchange.inprocess`:
the same signed requests handed to the exchange's WSGI app, no sockets), which is what makes
a month of 1-minute bars fit in a minute; ``in_process=False`` goes over HTTP (the exchange is
started if it is not running). The result holds the client, ready for
``bg.trade_report(result.client, start=result.start, end=result.end)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from .client import BitgetClient
from .intervals import INTERVALS

if TYPE_CHECKING:
    from .exchange import LocalExchange

__all__ = ["IN_PROCESS_URL", "RunResult", "in_process_client", "run"]

#: The base URL an in-process client uses (never resolved: no request leaves the process).
IN_PROCESS_URL = "http://127.0.0.1:1"

Strategy = Callable[[BitgetClient, pd.Timestamp], Any]


@dataclass(frozen=True, slots=True)
class RunResult:
    """What :func:`run` did: the client it used, the steps, the simulated span and the wall
    time it took."""

    client: BitgetClient
    steps: int
    start: pd.Timestamp
    end: pd.Timestamp
    wall_seconds: float

    @property
    def simulated_days_per_second(self) -> float:
        """Simulated days per wall-clock second."""
        days = (self.end - self.start) / pd.Timedelta(days=1)
        return days / self.wall_seconds if self.wall_seconds > 0 else float("inf")


def in_process_client(exchange: LocalExchange, **options: Any) -> BitgetClient:
    """A client with the exchange's trading key whose requests go straight to the exchange's
    WSGI app (:meth:`~bitget_nb.LocalExchange.backtest_app`: the wall-clock rate limits are
    off), signed and enveloped as over HTTP. Its clock is the exchange's, so a manual clock
    far from the wall clock signs valid timestamps."""
    from .exchange.inprocess import in_process_session

    session = in_process_session(exchange.backtest_app(), IN_PROCESS_URL)
    options.setdefault("clock", lambda: exchange.now_ms() / 1000)
    return BitgetClient(**exchange.credentials, base_url=IN_PROCESS_URL, session=session, **options)


def run(
    strategy: Strategy,
    exchange: LocalExchange,
    *,
    every: str = "1m",
    steps: int | None = None,
    until: Any = None,
    in_process: bool = True,
    client: BitgetClient | None = None,
) -> RunResult:
    """Call ``strategy(client, now)`` after each step of ``every`` (a candle interval name,
    ``"1m"`` … ``"1W"``) — module docstring."""
    spec = INTERVALS.get(every)
    if spec is None or spec.ms == 0:
        raise ValueError(f"every must be a candle interval such as '1m' or '1H', not {every!r}")
    from .exchange import Replay
    from .exchange.clock import to_ms

    market = exchange.venue.market
    if until is not None:
        stop_ms: int | None = to_ms(until)
    else:
        stop_ms = market.end_ms if isinstance(market, Replay) else None
    if steps is None and stop_ms is None:
        raise ValueError("give steps= or until= (a synthetic market never ends)")
    if client is None:
        if in_process:
            client = in_process_client(exchange, rate_limit=False)
        else:
            exchange.start()
            client = BitgetClient(
                **exchange.credentials,
                base_url=exchange.base_url,
                rate_limit=False,
                clock=lambda: exchange.now_ms() / 1000,
            )
    start_ms = exchange.now_ms()
    began = time.perf_counter()
    done = 0
    while steps is None or done < steps:
        target = spec.next(spec.floor(exchange.now_ms()))
        if stop_ms is not None and target > stop_ms:
            break
        exchange.advance((target - exchange.now_ms()) / 1000)
        done += 1
        if strategy(client, pd.Timestamp(exchange.now_ms(), unit="ms", tz="UTC")) is False:
            break
    wall = time.perf_counter() - began
    return RunResult(
        client=client,
        steps=done,
        start=pd.Timestamp(start_ms, unit="ms", tz="UTC"),
        end=pd.Timestamp(exchange.now_ms(), unit="ms", tz="UTC"),
        wall_seconds=wall,
    )
