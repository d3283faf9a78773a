"""``Replay``: recorded candles drive the local exchange (a :class:`~.marketdata.MarketData`).

>>> import pandas as pd
>>> import bitget_nb as bg
>>> bars = pd.DataFrame(
...     {"open": [100.0, 101.0], "high": [102.0, 101.5], "low": [99.0, 98.0],
...      "close": [101.0, 99.0], "volume": [5.0, 7.0], "turnover": [505.0, 700.0]},
...     index=pd.DatetimeIndex(["2026-11-02 00:00", "2026-11-02 00:01"], tz="UTC", name="ts"))
>>> replay = bg.Replay(bars, category="SPOT", symbol="BTCUSDT")
>>> with bg.LocalExchange(market=replay) as ex:              # a manual clock at the first bar
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     before = len(client.get_candles(category="SPOT", symbol="BTCUSDT", interval="1m"))
...     _ = ex.advance(bars=1)                                 # the first bar has closed
...     after = client.get_candles(category="SPOT", symbol="BTCUSDT", interval="1m")
>>> before, after["close"].tolist()
(0, [101.0])

What the replay serves, and the choices it makes (each one a parameter where it matters):

* **Instruments** come from the bundled catalogue; a recorded (category, symbol) it does not
  list is refused with an error naming what it lists. The replaying exchange lists only the
  recorded instruments (:attr:`Replay.catalogue`), and a new account's default wallet keeps
  the default coins that a recorded spot market can value (USDT always).
* **Inside a bar** the price moves through four waypoints on the 1-second grid the exchange
  matches on: the open at the bar's first second, the first extreme at one third of the bar,
  the second extreme at two thirds, the close at its last second, linearly in between
  (rounded to ticks, so never outside the bar's range). ``path="nearer_first"`` (default)
  visits the extreme nearer the open first (the high on a tie); ``"high_first"`` and
  ``"low_first"`` fix the order. Resting limits and TP/SL triggers are matched against this
  path (``extremes``, ``first_reach``), so a limit fills only if its bar reached it and a TP
  and an SL in one bar resolve in the path's order.
* **Between bars** (a gap in the recording) and after the last one the price stays at the
  last close; before an instrument's first bar it is that bar's open.
* **No look-ahead**: :meth:`Replay.candles` serves only bars that have closed by ``now``
  (a bar is visible from its close on); coarser intervals are aggregated from the recorded
  bars, again only once closed; intervals finer than the recording are refused. Tickers,
  books and public trades come from the path price at ``now``.
* **Book and slippage**: a synthetic book around the path price — best ask/bid
  ``spread_bps / 2`` away (at least one tick), each further level ``level_bps`` farther (at
  least one tick), ``levels`` per side. Each level holds the current bar's recorded volume
  (in a gap or after the recording, the last bar's),
  so an ordinary order fills on the first levels; with ``volume_share`` the whole side holds
  only that share of the bar's volume (at least one minimum order per level), which caps
  what one market order can take. A market order's fills therefore lie within the bar's
  range widened by ``spread_bps / 2 + (levels - 1) * level_bps`` (plus tick rounding).
* **Mark and index**: the index price is the last price. The mark price is too, unless
  ``mark`` gives a recorded mark series (mark candles such as
  ``client.get_candles(..., type="mark")`` returns, or a file of them; for several futures
  instruments a mapping of symbol to those): then mark prices — what positions are valued
  at, what ``mark_price`` triggers watch, the ticker's ``markPrice``, ``type=mark``
  candles — follow its bars' path the same way. Open interest is 0.
* **Funding**: ``funding`` is a constant rate (``Decimal``/``str``), a ``pd.Series`` of rates
  indexed by time (the rate in force at ``t`` is the latest at or before it), the frame
  ``client.get_history_funding_rate(...)`` returns (``fundingRate`` at each
  ``fundingRateTimestamp``, per ``symbol``), or a mapping of symbol to any of these; default
  0 (no funding paid or received). Funding is paid at the perpetual's funding times, at the
  rate in force then.
* ``epoch_ms`` is the first recorded bar's open; :attr:`Replay.end_ms` the last bar's close.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..intervals import INTERVALS, Interval
from . import defaults
from .instruments import STABLE_COINS, Catalogue, Instrument
from .marketdata import TURNOVER_DECIMALS, Book, Candle, PriceType, PublicTrade, TickerStats
from .params import bad

if TYPE_CHECKING:
    from ..store import CandleStore

__all__ = ["IntrabarPath", "Replay"]

#: The order in which a bar's extremes are visited (module docstring).
IntrabarPath = Literal["nearer_first", "high_first", "low_first"]

_MS_S = 1_000
_DAY_MS = 86_400_000
_TURNOVER_SCALE = 10**TURNOVER_DECIMALS
_COLUMNS = ("open", "high", "low", "close", "volume", "turnover")

Source = Any  # a DataFrame, a CandleStore, a CSV/Parquet path, or a mapping of them


@dataclass(frozen=True, slots=True)
class _Series:
    """One recorded instrument: bar open times and values as whole ticks / steps."""

    inst: Instrument
    interval: Interval
    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    turnover: np.ndarray

    @property
    def bar_ms(self) -> int:
        return self.interval.ms


class Replay:
    """A market replayed from recorded candles (module docstring for what it serves).

    ``source`` is a candle frame in the client's shape (``ts`` index or column, ``open high
    low close volume turnover``; give ``category`` and ``symbol``), a CSV or Parquet file of
    one, a :class:`~bitget_nb.store.CandleStore` (every stored series of ``interval``, or
    the ``series`` named, between ``start`` and ``end``), or a mapping of
    ``(category, symbol)`` to frames or files. ``interval`` defaults to the frame's
    ``attrs["interval"]``, else the smallest spacing of its bars.
    """

    def __init__(
        self,
        source: Source,
        *,
        category: str | None = None,
        symbol: str | None = None,
        interval: str | None = None,
        series: Iterable[tuple[str, str]] | None = None,
        start: Any = None,
        end: Any = None,
        path: IntrabarPath = "nearer_first",
        spread_bps: float = 2.0,
        level_bps: float = 1.0,
        levels: int = 20,
        volume_share: float | None = None,
        funding: Any = None,
        mark: Source = None,
    ) -> None:
        if path not in ("nearer_first", "high_first", "low_first"):
            raise ValueError(f"path must be nearer_first, high_first or low_first, not {path!r}")
        if spread_bps < 0 or level_bps < 0 or not 1 <= levels <= defaults.ORDERBOOK_LIMIT_MAX:
            raise ValueError(
                f"spread_bps and level_bps must be ≥ 0 and levels from 1 to "
                f"{defaults.ORDERBOOK_LIMIT_MAX}"
            )
        if volume_share is not None and not 0 < volume_share <= 1:
            raise ValueError(f"volume_share must be in (0, 1], got {volume_share!r}")
        self.path: IntrabarPath = path
        self.spread_bps = float(spread_bps)
        self.level_bps = float(level_bps)
        self.levels = int(levels)
        self.volume_share = volume_share
        self._funding = _funding(funding)
        bundled = Catalogue.bundled()
        frames = _frames(source, category, symbol, interval, series, start, end)
        if not frames:
            raise ValueError("the recording holds no bars")
        self._series: dict[str, _Series] = {}
        for (cat, sym), (frame, name) in frames.items():
            inst = bundled.get(cat, sym)
            if inst is None:
                listed = ", ".join(i.symbol for i in bundled.in_category(cat)) or "nothing"
                raise ValueError(
                    f"{cat} {sym} is recorded but not in the local exchange's catalogue; "
                    f"{cat} lists {listed}"
                )
            self._series[inst.key] = _series(inst, frame, name)
        self._marks: dict[str, _Series] = {
            inst.key: _series(inst, frame, None)
            for inst, frame in _mark_frames(mark, [s.inst for s in self._series.values()])
        }
        #: The catalogue the replaying exchange lists: the recorded instruments only.
        self.catalogue = _restricted(bundled, set(self._series))
        self.epoch_ms: int = min(int(s.ts[0]) for s in self._series.values())
        #: The close of the last recorded bar (the recording's end).
        self.end_ms: int = max(int(s.ts[-1]) + s.bar_ms for s in self._series.values())
        #: The bar length of the finest recorded interval (``ex.advance(bars=n)`` steps it).
        self.bar_ms: int = min(s.bar_ms for s in self._series.values())
        self._paths: dict[tuple[int, int], np.ndarray] = {}
        self._candle_lists: dict[tuple[int, str, bool], tuple[np.ndarray, list[Candle]]] = {}

    def __repr__(self) -> str:
        names = ", ".join(f"{s.inst.key} {s.interval.name}" for s in self._series.values())
        return f"Replay({names}, path={self.path!r})"

    @property
    def instruments(self) -> list[Instrument]:
        """The recorded instruments."""
        return [s.inst for s in self._series.values()]

    def default_balances(self) -> dict[str, str]:
        """The default wallet less the coins no recorded spot market can value."""
        from .accounts import DEFAULT_BALANCES

        known = set(self.catalogue.coins())
        return {
            coin: amount
            for coin, amount in DEFAULT_BALANCES.items()
            if coin in known
            and (coin in STABLE_COINS or self.catalogue.spot_usd_symbol(coin) is not None)
        }

    # -- the path -----------------------------------------------------------------------------

    def _of(self, inst: Instrument, price_type: PriceType = "market") -> _Series:
        """The recorded series of ``inst`` that ``price_type`` follows: the mark series for
        mark prices when one was given, else the market's."""
        found = self._series.get(inst.key)
        if found is None:
            raise bad(f"{inst.category} {inst.symbol} is not in the replayed recording")
        if price_type == "mark":
            return self._marks.get(inst.key, found)
        return found

    def _bar_path(self, s: _Series, i: int) -> np.ndarray:
        """The 1-second prices (ticks) of bar ``i``: open → extremes → close."""
        key = (id(s), i)
        cached = self._paths.get(key)
        if cached is not None:
            return cached
        o, h, lo, c = int(s.open[i]), int(s.high[i]), int(s.low[i]), int(s.close[i])
        high_first = self.path == "high_first" or (self.path == "nearer_first" and h - o <= o - lo)
        first, second = (h, lo) if high_first else (lo, h)
        n = s.bar_ms // _MS_S
        values = np.rint(np.interp(np.arange(n), _knots(n), [o, first, second, c]))
        values = values.astype(np.int64)
        if len(self._paths) > 4096:
            self._paths.clear()
        self._paths[key] = values
        return values

    def _pieces(self, s: _Series, a: int, b: int) -> list[tuple[int, np.ndarray]]:
        """The 1-second prices over the seconds starting in ``[a, b]`` (ms on the grid), as
        (first second's ms, values) runs; a flat stretch (gap, after the end, before the
        start) is one value standing for all its seconds."""
        out: list[tuple[int, np.ndarray]] = []
        if a > b:
            return out
        ts, bar = s.ts, s.bar_ms
        if a < int(ts[0]):
            out.append((a, np.array([s.open[0]], dtype=np.int64)))
            a = int(ts[0])
            if a > b:
                return out
        i0 = int(np.searchsorted(ts, a, "right")) - 1
        i1 = int(np.searchsorted(ts, b, "right")) - 1
        for i in range(i0, i1 + 1):
            start = int(ts[i])
            lo_ms, hi_ms = max(a, start), min(b, start + bar - _MS_S)
            if lo_ms <= hi_ms:
                path = self._bar_path(s, i)
                out.append((lo_ms, path[(lo_ms - start) // _MS_S : (hi_ms - start) // _MS_S + 1]))
            gap_end = int(ts[i + 1]) if i + 1 < len(ts) else None
            gap_lo = max(a, start + bar)
            if gap_lo <= b and (gap_end is None or gap_lo < gap_end):
                out.append((gap_lo, np.array([s.close[i]], dtype=np.int64)))
        return out

    def _ticks_at(self, s: _Series, t_ms: int) -> int:
        a = t_ms // _MS_S * _MS_S
        return int(self._pieces(s, a, a)[0][1][0])

    # -- MarketData ---------------------------------------------------------------------------

    def price(self, inst: Instrument, t_ms: int, price_type: PriceType = "market") -> Decimal:
        """The path price at ``t_ms`` (the index is the last price; the mark too unless a
        mark series was given)."""
        return Decimal(self._ticks_at(self._of(inst, price_type), t_ms)) * inst.tick

    def extremes(
        self, inst: Instrument, start_ms: int, end_ms: int, price_type: PriceType = "market"
    ) -> tuple[int, int]:
        """(high, low) in ticks of the path's 1-second prices in ``[start_ms, end_ms]``."""
        s = self._of(inst, price_type)
        a, b = max(start_ms, self.epoch_ms) // _MS_S * _MS_S, end_ms // _MS_S * _MS_S
        if b < a:
            raise ValueError("end_ms is before start_ms")
        high, low = -(2**62), 2**62
        # Whole bars strictly inside the span answer from their recorded high and low.
        i0 = int(np.searchsorted(s.ts, a, "left"))
        i1 = int(np.searchsorted(s.ts, b - s.bar_ms + _MS_S, "right"))
        if i1 > i0:
            high, low = int(s.high[i0:i1].max()), int(s.low[i0:i1].min())
            for lo_ms, hi_ms in ((a, int(s.ts[i0]) - _MS_S), (int(s.ts[i1 - 1]) + s.bar_ms, b)):
                for _, values in self._pieces(s, lo_ms, hi_ms):
                    high, low = max(high, int(values.max())), min(low, int(values.min()))
            return high, low
        for _, values in self._pieces(s, a, b):
            high, low = max(high, int(values.max())), min(low, int(values.min()))
        return high, low

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
        """The start of the first second in ``[start_ms, end_ms]`` whose path price is at or
        beyond ``ticks`` (strictly when ``strict``), or ``None``. Bars are screened by their
        recorded low/high, then the one bar that reached it is read second by second."""
        s = self._of(inst, price_type)
        a, b = max(start_ms, self.epoch_ms) // _MS_S * _MS_S, end_ms // _MS_S * _MS_S
        if b < a:
            return None

        def hits(values: np.ndarray) -> np.ndarray:
            if direction == "down":
                return values < ticks if strict else values <= ticks
            return values > ticks if strict else values >= ticks

        def scan(lo_ms: int, hi_ms: int) -> int | None:
            for first, values in self._pieces(s, lo_ms, hi_ms):
                found = np.flatnonzero(hits(values))
                if found.size:
                    return first + int(found[0]) * _MS_S if values.size > 1 else first
            return None

        i0 = int(np.searchsorted(s.ts, a, "left"))
        i1 = int(np.searchsorted(s.ts, b - s.bar_ms + _MS_S, "right"))
        if i1 <= i0:
            return scan(a, b)
        head = scan(a, int(s.ts[i0]) - _MS_S)
        if head is not None:
            return head
        summary = s.low[i0:i1] if direction == "down" else s.high[i0:i1]
        for j in np.flatnonzero(hits(summary))[:1]:
            bar = i0 + int(j)
            # The bars before it did not reach the price, nor did their flat gaps (a gap
            # holds a close, which lies within its bar's range).
            return scan(int(s.ts[bar]), int(s.ts[bar]) + s.bar_ms - _MS_S)
        return scan(int(s.ts[i1 - 1]) + s.bar_ms, b)

    def candles(
        self,
        inst: Instrument,
        interval: str,
        *,
        now_ms: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = defaults.CANDLES_LIMIT_DEFAULT,
        price_type: PriceType = "market",
    ) -> list[Candle]:
        """The closed candles of ``interval`` opening in ``[start_ms, end_ms]``, ascending, at
        most ``limit`` (the newest of the window unless
        :data:`defaults.CANDLES_NEWEST_IN_WINDOW` says otherwise). Index candles, and mark
        candles without a mark series, are the market's; both have zero volume."""
        s = self._of(inst, price_type)
        spec = INTERVALS[interval]
        if spec.ms and (spec.ms < s.bar_ms or spec.ms % s.bar_ms):
            raise bad(
                f"interval {interval} cannot be made from the recorded {s.interval.name} bars "
                f"of {inst.symbol}; ask for {s.interval.name} or a multiple of it"
            )
        if limit <= 0:
            return []
        starts, items = self._candle_list(s, spec, with_volume=price_type == "market")
        # A candle is visible once closed: it opened before the start of the current one.
        hi = int(np.searchsorted(starts, spec.floor(now_ms), "left"))
        if end_ms is not None:
            hi = min(hi, int(np.searchsorted(starts, end_ms, "right")))
        lo = 0 if start_ms is None else int(np.searchsorted(starts, start_ms, "left"))
        if hi <= lo:
            return []
        if defaults.CANDLES_NEWEST_IN_WINDOW:
            lo = max(lo, hi - limit)
        else:
            hi = min(hi, lo + limit)
        return items[lo:hi]

    def _candle_list(
        self, s: _Series, spec: Interval, *, with_volume: bool
    ) -> tuple[np.ndarray, list[Candle]]:
        """Every candle of ``spec`` the recording makes (open times, candles), built once:
        the recorded bars themselves, or coarser candles aggregated from them (a candle
        holds the bars that open inside it)."""
        key = (id(s), spec.name, with_volume)
        cached = self._candle_lists.get(key)
        if cached is not None:
            return cached
        if spec.name == s.interval.name:
            heads = np.arange(len(s.ts))
            starts = s.ts
        else:
            keys = _floor_all(spec, s.ts)
            heads = np.concatenate([[0], np.flatnonzero(np.diff(keys)) + 1]).astype(np.int64)
            starts = keys[heads]
        tails = np.append(heads[1:], len(s.ts)) - 1
        opens, closes = s.open[heads], s.close[tails]
        highs, lows = np.maximum.reduceat(s.high, heads), np.minimum.reduceat(s.low, heads)
        if with_volume:
            vols = np.add.reduceat(s.volume, heads)
            turns = np.add.reduceat(s.turnover, heads)
        else:
            vols = turns = np.zeros(len(heads), dtype=np.int64)
        items = [
            Candle(*values)
            for values in zip(
                starts.tolist(),
                opens.tolist(),
                highs.tolist(),
                lows.tolist(),
                closes.tolist(),
                vols.tolist(),
                turns.tolist(),
                strict=True,
            )
        ]
        built = (np.ascontiguousarray(starts, dtype=np.int64), items)
        self._candle_lists[key] = built
        return built

    def _bar_at(self, s: _Series, t_ms: int) -> int | None:
        """The index of the bar whose span holds ``t_ms``, or ``None`` (gap, outside)."""
        i = int(np.searchsorted(s.ts, t_ms, "right")) - 1
        return i if i >= 0 and t_ms < int(s.ts[i]) + s.bar_ms else None

    def book(self, inst: Instrument, t_ms: int, depth: int) -> Book:
        """The synthetic book around the path price at ``t_ms`` (module docstring)."""
        s = self._of(inst)
        if not 1 <= depth <= defaults.ORDERBOOK_LIMIT_MAX:
            raise ValueError(f"depth must be from 1 to {defaults.ORDERBOOK_LIMIT_MAX}")
        mid = self._ticks_at(s, t_ms)
        tick = float(inst.tick)
        half = max(1, math.ceil(mid * tick * self.spread_bps / 20_000 / tick - 1e-9))
        step = max(1, math.ceil(mid * tick * self.level_bps / 10_000 / tick - 1e-9))
        # A gap, or the time after the recording, keeps the liquidity of the last bar.
        i = max(0, int(np.searchsorted(s.ts, t_ms, "right")) - 1)
        bar_volume = int(s.volume[i])
        min_steps = max(1, math.ceil(inst.min_qty / inst.step))
        if self.volume_share is None:
            size = max(bar_volume, min_steps)
        else:
            size = max(int(bar_volume * self.volume_share / self.levels), min_steps)
        n = min(depth, self.levels)
        asks = [(mid + half + k * step, size) for k in range(n)]
        bids = [(mid - half - k * step, size) for k in range(n) if mid - half - k * step > 0]
        return Book(ts=t_ms, asks=asks, bids=bids)

    def trades(self, inst: Instrument, now_ms: int, limit: int) -> list[PublicTrade]:
        """Public trades at the path's waypoints that have happened by ``now_ms``, newest
        first: four a bar (open, first extreme, second extreme, close), each a quarter of the
        bar's volume (at least one step), the side the direction of the move into it."""
        s = self._of(inst)
        out: list[PublicTrade] = []
        i = int(np.searchsorted(s.ts, now_ms, "right")) - 1
        while i >= 0 and len(out) < limit:
            path = self._bar_path(s, i)
            size = max(1, int(s.volume[i]) // 4)
            previous = int(s.close[i - 1]) if i > 0 else int(s.open[i])
            points = []
            for k in _knots(len(path)):
                price = int(path[k])
                points.append((k, price, "buy" if price >= previous else "sell"))
                previous = price
            for k, price, side in reversed(points):
                ts = int(s.ts[i]) + k * _MS_S
                if ts > now_ms:
                    continue
                exec_id = f"{ts}{k:03d}"
                out.append(
                    PublicTrade(
                        exec_id=exec_id,
                        ts=ts,
                        price=price,
                        size=size,
                        side=side,
                        exec_link_id=f"r{exec_id}",
                    )
                )
                if len(out) == limit:
                    break
            i -= 1
        return out

    def ticker_stats(self, inst: Instrument, now_ms: int) -> TickerStats:
        """Last price, and the 24 h figures over the path and the bars closed by now (the
        current bar's volume counts in proportion to its elapsed seconds)."""
        s = self._of(inst)
        first = max(self.epoch_ms, now_ms - _DAY_MS)
        high, low = self.extremes(inst, first, now_ms)
        last = self._ticks_at(s, now_ms)
        lo = int(np.searchsorted(s.ts, now_ms - _DAY_MS, "left"))
        hi = int(np.searchsorted(s.ts, now_ms - s.bar_ms, "right"))
        volume = int(s.volume[lo:hi].sum()) if hi > lo else 0
        turnover = int(s.turnover[lo:hi].sum()) if hi > lo else 0
        current = self._bar_at(s, now_ms)
        if current is not None and current >= hi:
            share = ((now_ms - int(s.ts[current])) // _MS_S + 1) / (s.bar_ms // _MS_S)
            volume += int(int(s.volume[current]) * share)
            turnover += int(int(s.turnover[current]) * share)
        return TickerStats(
            last=last,
            open_24h=self._ticks_at(s, first),
            high_24h=high,
            low_24h=low,
            volume_24h=volume,
            turnover_24h=turnover,
            index=last,
            mark=self._ticks_at(self._of(inst, "mark"), now_ms),
            funding_rate=self.funding_rate(inst, now_ms),
            open_interest=0,
        )

    def funding_rate(self, inst: Instrument, t_ms: int) -> Decimal:
        """The funding rate in force at ``t_ms`` (module docstring; spot and default: 0)."""
        if not inst.is_futures:
            return Decimal(0)
        given = self._funding.get(inst.symbol, self._funding.get(None, _NO_FUNDING))
        if isinstance(given, Decimal):
            return given
        times, rates = given
        i = int(np.searchsorted(times, t_ms, "right")) - 1
        return rates[i] if i >= 0 else Decimal(0)


def _knots(n: int) -> list[int]:
    """The seconds of a bar of ``n`` seconds at which its path is at the open, the first
    extreme, the second extreme and the close (module docstring)."""
    return [0, n // 3, 2 * n // 3, n - 1]


# -- reading a recording --------------------------------------------------------------------------

_NO_FUNDING = Decimal(0)
_Funding = Decimal | tuple[np.ndarray, list[Decimal]]


def _funding(given: Any) -> dict[str | None, _Funding]:
    """``funding=`` as rates by symbol (``None``: every symbol): a constant, or the rates
    and the times from which each is in force."""
    if given is None:
        return {}
    if isinstance(given, pd.DataFrame):
        if "fundingRate" not in given.columns:
            raise ValueError(
                "a funding frame needs a fundingRate column (get_history_funding_rate's shape)"
            )
        frame = given
        if "fundingRateTimestamp" in frame.columns:
            frame = frame.set_index("fundingRateTimestamp")
        if "symbol" in frame.columns:
            return {str(sym): _rates(part["fundingRate"]) for sym, part in frame.groupby("symbol")}
        return {None: _rates(frame["fundingRate"])}
    if isinstance(given, Mapping):
        out: dict[str | None, _Funding] = {}
        for symbol, value in given.items():
            out.update({str(symbol): v for v in _funding(value).values()})
        return out
    if isinstance(given, pd.Series):
        return {None: _rates(given)}
    return {None: Decimal(str(given))}


def _rates(series: pd.Series) -> tuple[np.ndarray, list[Decimal]]:
    times = _ms_index(series.index)
    order = np.argsort(times, kind="stable")
    values = series.to_numpy()
    return times[order], [Decimal(str(values[i])) for i in order]


def _ms_index(index: pd.Index) -> np.ndarray:
    times = pd.DatetimeIndex(index)
    if times.tz is None:
        times = times.tz_localize("UTC")
    return np.asarray(times.as_unit("ms").asi8, dtype=np.int64)


def _read_file(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    raise ValueError(f"{path}: give a .csv or .parquet file of candles")


def _frames(
    source: Source,
    category: str | None,
    symbol: str | None,
    interval: str | None,
    series: Iterable[tuple[str, str]] | None,
    start: Any,
    end: Any,
) -> dict[tuple[str, str], tuple[pd.DataFrame, str | None]]:
    from ..store import CandleStore

    if isinstance(source, CandleStore):
        return _from_store(source, category, symbol, interval, series, start, end)
    if isinstance(source, Mapping):
        out = {}
        for key, value in source.items():
            cat, sym = key
            out[(str(cat), str(sym))] = (_one(value), interval)
        return out
    if category is None or symbol is None:
        raise ValueError("give category= and symbol= for a single recorded frame or file")
    return {(category, symbol): (_one(source), interval)}


def _one(value: Any) -> pd.DataFrame:
    if isinstance(value, str | os.PathLike):
        return _read_file(Path(value))
    if isinstance(value, pd.DataFrame):
        return value
    raise TypeError(
        f"a recording is a candle DataFrame, a CSV/Parquet path or a CandleStore, "
        f"not {type(value).__name__}"
    )


def _from_store(
    store: CandleStore,
    category: str | None,
    symbol: str | None,
    interval: str | None,
    series: Iterable[tuple[str, str]] | None,
    start: Any,
    end: Any,
) -> dict[tuple[str, str], tuple[pd.DataFrame, str | None]]:
    if interval is None:
        raise ValueError("give interval= to replay from a CandleStore")
    if series is not None:
        wanted = [(str(c), str(s)) for c, s in series]
    elif category is not None and symbol is not None:
        wanted = [(category, symbol)]
    else:
        listed = store.series()
        listed = listed[listed["interval"] == interval]
        wanted = list(zip(listed["category"], listed["symbol"], strict=True))
    return {
        key: (
            store.read(category=key[0], symbol=key[1], interval=interval, start=start, end=end),
            interval,
        )
        for key in wanted
    }


def _series(inst: Instrument, frame: pd.DataFrame, interval: str | None) -> _Series:
    if "ts" in frame.columns:
        frame = frame.set_index("ts")
    missing = [c for c in _COLUMNS[:4] if c not in frame.columns]
    if missing:
        raise ValueError(f"{inst.key}: the recording has no {', '.join(missing)} column")
    index: pd.Index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        numeric = pd.to_numeric(pd.Series(index), errors="coerce")
        parsed = (
            pd.to_datetime(numeric, unit="ms", utc=True)
            if numeric.notna().all()
            else pd.to_datetime(pd.Series(index), utc=True)
        )
        index = pd.DatetimeIndex(parsed)
    ts = _ms_index(index)
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    if len(ts) == 0:
        raise ValueError(f"{inst.key}: the recording holds no bars")
    if np.any(np.diff(ts) == 0):
        raise ValueError(f"{inst.key}: the recording has two bars with the same open time")
    name = interval or frame.attrs.get("interval")
    if name is None:
        if len(ts) < 2:
            raise ValueError(f"{inst.key}: give interval= for a recording of one bar")
        spacing = int(np.diff(ts).min())
        name = next((n for n, i in INTERVALS.items() if i.ms == spacing), None)
        if name is None:
            raise ValueError(f"{inst.key}: bars {spacing} ms apart are no Bitget interval")
    spec = INTERVALS.get(str(name))
    if spec is None or spec.ms == 0:
        raise ValueError(f"{inst.key}: cannot replay {name!r} bars; record 1m … 1W")
    if np.any(_floor_all(spec, ts) != ts):
        raise ValueError(f"{inst.key}: bar open times are not on the {spec.name} grid")

    def column(name: str, unit: Decimal, scale: float = 1.0) -> np.ndarray:
        if name not in frame.columns:
            return np.zeros(len(ts), dtype=np.int64)
        values = np.asarray(frame[name].to_numpy(dtype=float), dtype=float)[order]
        if scale != 1.0:
            return np.rint(values * scale).astype(np.int64)
        return np.rint(values / float(unit)).astype(np.int64)

    o, h, lo, c = (column(n, inst.tick) for n in _COLUMNS[:4])
    if np.any((h < np.maximum(o, c)) | (lo > np.minimum(o, c))):
        bad_at = int(np.flatnonzero((h < np.maximum(o, c)) | (lo > np.minimum(o, c)))[0])
        raise ValueError(
            f"{inst.key}: the bar at {pd.Timestamp(int(ts[bad_at]), unit='ms', tz='UTC')} has "
            "open or close outside its high–low range"
        )
    volume = np.floor(
        np.asarray(frame.get("volume", pd.Series(0.0, index=frame.index)), dtype=float)[order]
        / float(inst.step)
        + 1e-9
    ).astype(np.int64)
    turnover = column("turnover", Decimal(1), float(_TURNOVER_SCALE))
    return _Series(inst, spec, ts, o, h, lo, c, volume, turnover)


def _floor_all(spec: Interval, ts: np.ndarray) -> np.ndarray:
    if spec.ms == 0:
        return np.array([spec.floor(int(t)) for t in ts], dtype=np.int64)
    shift = spec.offset_ms + (3 * _DAY_MS if spec.weekly else 0)
    return (ts + shift) // spec.ms * spec.ms - shift


def _mark_frames(
    mark: Source, instruments: list[Instrument]
) -> list[tuple[Instrument, pd.DataFrame]]:
    """The recorded mark series of ``mark`` (class docstring), paired with their instruments."""
    if mark is None:
        return []
    futures = [i for i in instruments if i.is_futures]
    if isinstance(mark, Mapping):
        out = []
        for key, value in mark.items():
            symbol = key[1] if isinstance(key, tuple) else key
            found = [i for i in futures if i.symbol == str(symbol)]
            if not found:
                raise ValueError(f"a mark series for {symbol}, which is no recorded futures market")
            out += [(i, _one(value)) for i in found]
        return out
    if len(futures) != 1:
        raise ValueError(
            "give mark= as a mapping of symbol to mark candles: the recording holds "
            f"{len(futures)} futures markets"
        )
    return [(futures[0], _one(mark))]


def _restricted(bundled: Catalogue, keys: set[str]) -> Catalogue:
    """The bundled catalogue with only the instruments of ``keys`` (and their spot coins)."""
    text = resources.files(__package__).joinpath("data/instruments.json").read_text("utf-8")
    document = json.loads(text)
    document["instruments"] = [
        w for w in document["instruments"] if f"{w['category']}:{w['symbol']}" in keys
    ]
    spot = {
        c
        for i in bundled
        if i.key in keys and i.category == "SPOT"
        for c in (i.base_coin, i.quote_coin)
    }
    document["coins"]["list"] = [r for r in document["coins"]["list"] if r["coin"] in spot]
    return Catalogue(document)
