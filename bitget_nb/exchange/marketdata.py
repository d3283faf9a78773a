"""The market seam: :class:`MarketData` is everything the exchange asks of a market.

Prices at an instant (last, mark, index), book levels, public trades, candles, funding, and
the two questions catch-up asks while the clock moves — how high and low the price went over
a stretch, and when it first reached a level. Answers are typed records in whole ticks and
lot steps (the API layer formats them for the wire); nothing here reads a clock.

The seeded synthetic market (:class:`~.market.MarketProcess`) is the default implementation;
a recorded market replayed through the exchange is another, and a test can pass a
constant-price one (``LocalExchange(market=...)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from .instruments import Instrument

__all__ = [
    "TURNOVER_DECIMALS",
    "Book",
    "Candle",
    "MarketData",
    "PriceType",
    "PublicTrade",
    "TickerStats",
]

#: Which price: ``market`` (last traded), ``mark`` or ``index``.
PriceType = Literal["market", "mark", "index"]
#: Turnover is given in whole units of 10⁻⁴ quote coin, so that sums are exact.
TURNOVER_DECIMALS = 4


@dataclass(frozen=True, slots=True)
class Candle:
    """One candle; prices in ticks, volume in quantity steps, turnover in 10⁻⁴ quote."""

    ts: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    turnover: int


@dataclass(frozen=True, slots=True)
class Book:
    """Book depth: ``asks`` ascending and ``bids`` descending, as (price ticks, size steps)."""

    ts: int
    asks: list[tuple[int, int]]
    bids: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class PublicTrade:
    """One public trade (prices in ticks, size in steps). ``exec_link_id`` is the id of the
    match that the taker's and the maker's executions share (``execLinkId``, spec §4.5.6)."""

    exec_id: str
    ts: int
    price: int
    size: int
    side: str
    exec_link_id: str


@dataclass(frozen=True, slots=True)
class TickerStats:
    """What a ticker needs beyond the book: last price and the rolling 24 h figures."""

    last: int
    open_24h: int
    high_24h: int
    low_24h: int
    volume_24h: int
    turnover_24h: int
    index: int
    mark: int
    funding_rate: Decimal
    open_interest: int


@runtime_checkable
class MarketData(Protocol):
    """What the venue asks of a market. Times are ms; prices are whole ticks unless the
    method says Decimal; ``epoch_ms`` is the first instant the market knows (the venue's
    clock may not start before it, and the exchange matches in whole seconds counted from
    it)."""

    epoch_ms: int

    def price(self, inst: Instrument, t_ms: int, price_type: PriceType = "market") -> Decimal:
        """The price of ``inst`` at ``t_ms`` (last, mark or index)."""
        ...

    def book(self, inst: Instrument, t_ms: int, depth: int) -> Book:
        """Up to ``depth`` levels per side at ``t_ms``, best first."""
        ...

    def trades(self, inst: Instrument, now_ms: int, limit: int) -> list[PublicTrade]:
        """The newest ``limit`` public trades at or before ``now_ms``, newest first."""
        ...

    def candles(
        self,
        inst: Instrument,
        interval: str,
        *,
        now_ms: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int,
        price_type: PriceType = "market",
    ) -> list[Candle]:
        """Candles ascending: the newest ``limit`` opening in ``[start_ms, end_ms]``."""
        ...

    def ticker_stats(self, inst: Instrument, now_ms: int) -> TickerStats:
        """Last price, the rolling 24 h figures, index, mark, funding, open interest."""
        ...

    def funding_rate(self, inst: Instrument, t_ms: int) -> Decimal:
        """The funding rate of the period holding ``t_ms``."""
        ...

    def extremes(
        self, inst: Instrument, start_ms: int, end_ms: int, price_type: PriceType = "market"
    ) -> tuple[int, int]:
        """(high, low) in ticks of every 1-second price in ``[start_ms, end_ms]``."""
        ...

    def first_reach(
        self,
        inst: Instrument,
        start_ms: int,
        end_ms: int,
        ticks: int,
        *,
        direction: Literal["down", "up"],
        strict: bool,
        price_type: PriceType = "market",
    ) -> int | None:
        """The start of the first second in ``[start_ms, end_ms]`` whose price is at or
        beyond ``ticks`` (strictly beyond when ``strict``), or ``None``."""
        ...
