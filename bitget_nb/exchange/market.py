"""The simulated market: one seeded, deterministic price path per base coin.

The price of an instrument at second ``t`` is a pure function of ``(seed, coin, t)`` — it does
not depend on when the exchange was started or in which order anything was asked — so a
restart later reproduces the same history, candles, books and trades.

How the path is made (all in a latent log-space variable ``Y``):

1. **Anchors** every :data:`BLOCK_HOURS` hours from the data file's epoch: an exact
   Ornstein–Uhlenbeck (OU) chain — mean-reverting, half-life of a day or two, stationary
   stdev of a few percent. Anchor ``k`` depends on the seeded draws of anchors ``0..k``.
2. **Hours** inside a block: an OU path from anchor ``k``, bent into an OU *bridge* that lands
   exactly on anchor ``k+1`` (Gaussian conditioning: add ``(target − end)·sinh(θt)/sinh(θT)``).
3. **Seconds** inside an hour: a Brownian bridge between the two hourly values with the same
   local volatility.

Every anchor, block of hours and day of seconds is drawn from its own generator seeded by
``(seed, coin, stream, index)``, made lazily and cached. The traded price is then

    price = referencePrice · exp(basis + band · tanh(Y / band))

which is monotone in ``Y`` (so candle highs and lows commute with it) and bounded to
``±band`` around the reference (10 % for BTC and ETH in the sample data): a BTCUSDT buy
limit at 60 000 or an ETHUSDT buy limit at 3 000 rests forever, and market orders fill.
Futures add a small fixed basis; the index is the spot path, and the mark price sits between
them: index × (1 + funding rate), the funding rate being the basis spread over the funding
periods of a day (:data:`defaults.FUNDING_PERIODS_PER_BASIS`). Mark and last therefore
differ by a few basis points — enough that a trigger "on mark" and one "on last" fire at
different moments.

Candles are built from per-minute open/high/low/close of the 1-second path, so they are
consistent across intervals by construction (a 1H high is the max of its 1m highs).

>>> from bitget_nb.exchange.instruments import Catalogue
>>> cat = Catalogue.bundled()
>>> market = MarketProcess(seed=7, catalogue=cat)
>>> btc = cat.get("SPOT", "BTCUSDT")
>>> t = 1_748_736_000_000
>>> market.price_ticks(btc, t) == MarketProcess(seed=7, catalogue=cat).price_ticks(btc, t)
True
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from decimal import Decimal
from typing import Any, Literal

import numpy as np

from ..intervals import INTERVALS, Interval
from . import defaults
from .clock import to_ms
from .instruments import Catalogue, Instrument, UnderlyingSpec
from .marketdata import (
    TURNOVER_DECIMALS,
    Book,
    Candle,
    PriceType,
    PublicTrade,
    TickerStats,
)

__all__ = [
    "BLOCK_HOURS",
    "INTERVALS",
    "Book",
    "Candle",
    "Interval",
    "MarketProcess",
    "PublicTrade",
    "TickerStats",
]

#: Hours per anchor block: ten whole days, so that a day never straddles two blocks.
BLOCK_HOURS = 240
_MS_S = 1_000
_MS_MIN = 60_000
_MS_H = 3_600_000
_MS_D = 86_400_000
_S_H = 3_600
_TURNOVER_SCALE = 10**TURNOVER_DECIMALS

# Independent random streams (part of every generator's seed).
_ANCHOR, _HOURS, _SECONDS, _VOLUME, _BOOK, _TRADES = 1, 2, 3, 4, 5, 6

_H_D = 24
_MIN_D = 1_440
_FRAC = np.arange(_S_H + 1, dtype=float) / _S_H

# Cache sizes, in days: minute summaries of ~400 days per coin and of 200 days of volumes per
# instrument; the 1-second detail (0.7 MB a day) of the last few days asked about.
_MINUTE_CACHE_DAYS = 400
_SECOND_CACHE_DAYS = 3
_VOLUME_CACHE_DAYS = 200
_BLOCK_CACHE = 64

#: Book shape: levels kept per side, chance of a two-tick spread, chance of a gap of one
#: or more empty ticks between levels.
BOOK_LEVELS = defaults.ORDERBOOK_LIMIT_MAX
_WIDE_SPREAD_P = 0.3
_GAP_P = 0.35
#: Mean number of public trades per minute for a volume factor of 1.
_TRADES_PER_MINUTE = 30.0


def _stable_id(text: str) -> int:
    """A process-independent 63-bit id (``hash()`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def _rng(seed: int, key: int, stream: int, index: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed % 2**63, key, stream, index]))
    )


class _LRU(OrderedDict[Any, Any]):
    """A bounded cache that forgets the least recently used entry first."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            return default
        self.move_to_end(key)
        return self[key]

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


# --------------------------------------------------------------------------------------------
# One coin's latent path
# --------------------------------------------------------------------------------------------


class _CoinPath:
    """The latent path ``Y`` of one base coin, at 1-second resolution from the epoch on."""

    def __init__(self, seed: int, spec: UnderlyingSpec) -> None:
        self.seed = seed
        self.key = _stable_id(f"path:{spec.coin}")
        self.spec = spec
        theta = math.log(2.0) / spec.half_life_hours  # per hour
        self.theta = theta
        self.decay = math.exp(-theta)
        self.sigma_hour = spec.stationary_stdev * math.sqrt(2.0 * theta)
        self.sigma_second = self.sigma_hour / math.sqrt(_S_H)
        self.stdev = spec.stationary_stdev
        block_decay = math.exp(-theta * BLOCK_HOURS)
        self._block_decay = block_decay
        self._block_noise = spec.stationary_stdev * math.sqrt(1.0 - block_decay**2)
        steps = np.arange(BLOCK_HOURS + 1, dtype=float)
        self._bridge_weight = np.sinh(theta * steps) / math.sinh(theta * BLOCK_HOURS)
        self._anchors: list[float] = []
        self._blocks = _LRU(_BLOCK_CACHE)
        self._seconds = _LRU(_SECOND_CACHE_DAYS)
        self._minutes = _LRU(_MINUTE_CACHE_DAYS)

    def anchor(self, k: int) -> float:
        while len(self._anchors) <= k:
            i = len(self._anchors)
            z = float(_rng(self.seed, self.key, _ANCHOR, i).standard_normal())
            if i == 0:
                self._anchors.append(self.stdev * z)
            else:
                prev = self._anchors[-1]
                self._anchors.append(self._block_decay * prev + self._block_noise * z)
        return self._anchors[k]

    def block(self, k: int) -> np.ndarray:
        """Hourly values of block ``k``: ``BLOCK_HOURS + 1`` points, anchors at both ends."""
        cached = self._blocks.get(k)
        if cached is not None:
            return cached
        eps = _rng(self.seed, self.key, _HOURS, k).standard_normal(BLOCK_HOURS)
        path = np.empty(BLOCK_HOURS + 1)
        path[0] = value = self.anchor(k)
        for i in range(BLOCK_HOURS):
            value = self.decay * value + self.sigma_hour * eps[i]
            path[i + 1] = value
        path += (self.anchor(k + 1) - path[-1]) * self._bridge_weight
        self._blocks.put(k, path)
        return path

    def hour_ends(self, h: int) -> tuple[float, float]:
        k, i = divmod(h, BLOCK_HOURS)
        path = self.block(k)
        return float(path[i]), float(path[i + 1])

    def _make_day(self, d: int) -> np.ndarray:
        """``Y`` at every second of day ``d``: shape (24, 3601), one Brownian bridge per hour
        between the hourly values (column 3600 repeats the next hour's first second)."""
        first = d * _H_D
        k, i = divmod(first, BLOCK_HOURS)
        ends = self.block(k)[i : i + _H_D + 1]
        steps = _rng(self.seed, self.key, _SECONDS, d).standard_normal((_H_D, _S_H))
        steps *= self.sigma_second
        walk = np.zeros((_H_D, _S_H + 1))
        np.cumsum(steps, axis=1, out=walk[:, 1:])
        walk -= _FRAC * walk[:, -1:]
        walk += ends[:-1, None] + _FRAC * (ends[1:] - ends[:-1])[:, None]
        return walk

    def day_seconds(self, d: int) -> np.ndarray:
        """The (24, 3601) second grid of day ``d`` (cached for the last few days asked)."""
        cached = self._seconds.get(d)
        if cached is None:
            cached = self._make_day(d)
            self._seconds.put(d, cached)
        return cached

    def seconds(self, h: int) -> np.ndarray:
        """``Y`` at each second of hour ``h`` (3 601 points; the last is the next hour's first)."""
        return self.day_seconds(h // _H_D)[h % _H_D]

    def minutes(self, d: int) -> np.ndarray:
        """Per-minute open, high, low, close of ``Y`` on day ``d``: shape (4, 1440)."""
        cached = self._minutes.get(d)
        if cached is not None:
            return cached
        grid = self._seconds.get(d)
        if grid is None:
            # Long ranges: keep the minute summary only, not the 1-second detail.
            grid = self._make_day(d)
        cube = grid[:, :_S_H].reshape(_MIN_D, 60)
        summary = np.stack([cube[:, 0], cube.max(axis=1), cube.min(axis=1), cube[:, -1]])
        self._minutes.put(d, summary)
        return summary

    def at(self, second: int) -> float:
        h, s = divmod(second, _S_H)
        return float(self.seconds(h)[s])

    def span(self, first: int, last: int) -> np.ndarray:
        """``Y`` at seconds ``first..last`` inclusive (a short span: at most a couple of hours)."""
        parts = []
        s = first
        while s <= last:
            h, off = divmod(s, _S_H)
            stop = min(last, (h + 1) * _S_H - 1)
            parts.append(self.seconds(h)[off : off + stop - s + 1])
            s = stop + 1
        return np.concatenate(parts)


# --------------------------------------------------------------------------------------------
# The market process
# --------------------------------------------------------------------------------------------


class MarketProcess:
    """Prices, candles, books, public trades and ticker figures for every instrument: the
    synthetic :class:`~.marketdata.MarketData` (the default market of a venue).

    All methods take the time they are asked about (ms); none reads a clock.
    """

    def __init__(self, *, seed: int, catalogue: Catalogue) -> None:
        self.seed = int(seed)
        self.catalogue = catalogue
        self.epoch_ms = to_ms(catalogue.market.epoch)
        self._paths = {
            coin: _CoinPath(self.seed, spec) for coin, spec in catalogue.market.underlyings.items()
        }
        self._volumes: dict[str, _LRU] = {}

    # -- time helpers -------------------------------------------------------------------------

    def _second(self, t_ms: int) -> int:
        if t_ms < self.epoch_ms:
            raise ValueError(
                f"the simulated market starts at {self.catalogue.market.epoch}; {t_ms} is earlier"
            )
        return (t_ms - self.epoch_ms) // _MS_S

    # -- price transform ----------------------------------------------------------------------

    def _exact(
        self, inst: Instrument, y: np.ndarray | float, price_type: PriceType = "market"
    ) -> np.ndarray:
        """The unrounded price for latent values ``y``."""
        spec = self.catalogue.market.underlyings[inst.base_coin]
        basis = 0.0
        if price_type == "market":
            basis = math.log1p(self.catalogue.market.basis_bps[inst.category] / 10_000.0)
        elif price_type == "mark":
            basis = math.log1p(float(self.funding_rate(inst)))
        return spec.reference_price * np.exp(basis + spec.band * np.tanh(np.asarray(y) / spec.band))

    def _transform(
        self, inst: Instrument, y: np.ndarray | float, price_type: PriceType = "market"
    ) -> np.ndarray:
        """Latent values ``y`` → prices in whole ticks (monotone in ``y``)."""
        return np.rint(self._exact(inst, y, price_type) / float(inst.tick)).astype(np.int64)

    def funding_rate(self, inst: Instrument, t_ms: int | None = None) -> Decimal:
        """The funding rate of one period (the same at every ``t_ms``): the premium of the
        perpetual over the index, spread over :data:`defaults.FUNDING_PERIODS_PER_BASIS`
        periods (spot: 0).

        >>> from bitget_nb.exchange.instruments import Catalogue
        >>> cat = Catalogue.bundled()
        >>> MarketProcess(seed=7, catalogue=cat).funding_rate(cat.get("USDT-FUTURES", "BTCUSDT"))
        Decimal('0.0001')
        """
        basis = self.catalogue.market.basis_bps[inst.category] / 10_000.0
        return Decimal(repr(round(basis / defaults.FUNDING_PERIODS_PER_BASIS, 6)))

    def price_ticks(self, inst: Instrument, t_ms: int, price_type: PriceType = "market") -> int:
        """The price of ``inst`` at ``t_ms`` in whole ticks (last, mark or index)."""
        y = self._paths[inst.base_coin].at(self._second(t_ms))
        return int(self._transform(inst, y, price_type))

    def price(self, inst: Instrument, t_ms: int, price_type: PriceType = "market") -> Decimal:
        """The price of ``inst`` at ``t_ms`` as a Decimal.

        >>> from bitget_nb.exchange.instruments import Catalogue
        >>> cat = Catalogue.bundled()
        >>> market = MarketProcess(seed=7, catalogue=cat)
        >>> p = market.price(cat.get("SPOT", "BTCUSDT"), 1748736000000)
        >>> Decimal("60000") < p < Decimal("76000")
        True
        """
        return Decimal(self.price_ticks(inst, t_ms, price_type)) * inst.tick

    def extremes(
        self, inst: Instrument, start_ms: int, end_ms: int, price_type: PriceType = "market"
    ) -> tuple[int, int]:
        """(high, low) in ticks of every 1-second price in ``[start_ms, end_ms]``.

        This is what resting limit orders are filled against as the clock moves.
        """
        first = self._second(max(start_ms, self.epoch_ms))
        last = self._second(end_ms)
        if last < first:
            raise ValueError("end_ms is before start_ms")
        high, low = self._y_extremes(inst.base_coin, first, last)
        ticks = self._transform(inst, np.array([high, low]), price_type)
        return int(ticks[0]), int(ticks[1])

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
        """The start (ms) of the first second in ``[start_ms, end_ms]`` whose price is at or
        below (``down``) / at or above (``up``) ``ticks`` — strictly beyond when ``strict`` —
        or ``None``. Dates the fill of a resting limit order the market went through.

        Whole minutes are screened with their high/low summaries, so a span of weeks costs
        one vectorised pass, then the one minute that reached the price is read per second.

        >>> from bitget_nb.exchange.instruments import Catalogue
        >>> cat = Catalogue.bundled()
        >>> market, btc = MarketProcess(seed=7, catalogue=cat), cat.get("SPOT", "BTCUSDT")
        >>> t = 1_748_736_000_000
        >>> high, low = market.extremes(btc, t, t + 3_600_000)
        >>> hit = market.first_reach(btc, t, t + 3_600_000, low, direction="down", strict=False)
        >>> market.price_ticks(btc, hit) == low
        True
        >>> market.first_reach(btc, t, t + 3_600_000, low, direction="down", strict=True) is None
        True
        """
        first = self._second(max(start_ms, self.epoch_ms))
        last = self._second(end_ms)
        if last < first:
            return None
        path = self._paths[inst.base_coin]

        def hits(values: np.ndarray) -> np.ndarray:
            if direction == "down":
                return values < ticks if strict else values <= ticks
            return values > ticks if strict else values >= ticks

        def scan(a: int, b: int) -> int | None:
            found = np.flatnonzero(hits(self._transform(inst, path.span(a, b), price_type)))
            return a + int(found[0]) if found.size else None

        head_end = min(last, (first // 60 + 1) * 60 - 1)
        second = scan(first, head_end)
        if second is None and head_end < last:
            full_start = head_end + 1  # a minute boundary
            tail_start = last // 60 * 60
            if last - tail_start == 59:
                tail_start = last + 1
            if tail_start > full_start:
                m0, m1 = full_start // 60, tail_start // 60
                _, high, low, _ = self._y_minutes(inst.base_coin, m0, m1)
                summary = self._transform(inst, low if direction == "down" else high, price_type)
                found = np.flatnonzero(hits(summary))
                if found.size:
                    minute = m0 + int(found[0])
                    # The summary is the extreme of these very seconds, so this finds one.
                    second = scan(minute * 60, minute * 60 + 59)
            if second is None and tail_start <= last:
                second = scan(tail_start, last)
        return None if second is None else self.epoch_ms + second * _MS_S

    def _y_extremes(self, coin: str, first: int, last: int) -> tuple[float, float]:
        path = self._paths[coin]
        head_end = min(last, (first // 60 + 1) * 60 - 1)
        values = [path.span(first, head_end)]
        if head_end < last:
            full_start = head_end + 1  # a minute boundary
            tail_start = last // 60 * 60
            if last - tail_start == 59:
                tail_start = last + 1
            if tail_start > full_start:
                _, high, low, _ = self._y_minutes(coin, full_start // 60, tail_start // 60)
                values.append(np.array([high.max(), low.min()]))
            if tail_start <= last:
                values.append(path.span(tail_start, last))
        joined = np.concatenate(values)
        return float(joined.max()), float(joined.min())

    def _y_minutes(
        self, coin: str, m0: int, m1: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Open/high/low/close of ``Y`` for whole minutes ``m0 .. m1-1`` (minute 0 = epoch)."""
        path = self._paths[coin]
        d0, d1 = m0 // _MIN_D, (m1 - 1) // _MIN_D
        summary = np.concatenate([path.minutes(d) for d in range(d0, d1 + 1)], axis=1)
        cut = summary[:, m0 - d0 * _MIN_D : m1 - d0 * _MIN_D]
        return cut[0], cut[1], cut[2], cut[3]

    # -- volumes ------------------------------------------------------------------------------

    def _day_volumes(self, inst: Instrument, d: int) -> np.ndarray:
        """Volume (steps) and turnover (10⁻⁴ quote) of each minute of day ``d``: (2, 1440).

        Busier minutes are the ones that moved more; the rest is seeded noise.
        """
        cache = self._volumes.setdefault(inst.key, _LRU(_VOLUME_CACHE_DAYS))
        cached = cache.get(d)
        if cached is not None:
            return cached
        path = self._paths[inst.base_coin]
        y = path.minutes(d)
        rng = _rng(self.seed, _stable_id(f"volume:{inst.key}"), _VOLUME, d)
        noise = rng.lognormal(mean=-0.125, sigma=0.5, size=_MIN_D)
        sigma_minute = path.sigma_second * math.sqrt(60.0)
        activity = 1.0 + 1.5 * np.abs(y[3] - y[0]) / sigma_minute
        factor = self.catalogue.market.volume_factor[inst.category]
        qty = path.spec.minute_volume * factor * noise * activity
        steps = np.floor(qty / float(inst.step)).astype(np.int64)
        typical = self._exact(inst, y).mean(axis=0)
        turnover = np.rint(steps * float(inst.step) * typical * _TURNOVER_SCALE).astype(np.int64)
        out = np.stack([steps, turnover])
        cache.put(d, out)
        return out

    def _minute_volumes(self, inst: Instrument, m0: int, m1: int) -> tuple[np.ndarray, np.ndarray]:
        d0, d1 = m0 // _MIN_D, (m1 - 1) // _MIN_D
        both = np.concatenate([self._day_volumes(inst, d) for d in range(d0, d1 + 1)], axis=1)
        cut = both[:, m0 - d0 * _MIN_D : m1 - d0 * _MIN_D]
        return cut[0], cut[1]

    # -- candles ------------------------------------------------------------------------------

    def candles(
        self,
        inst: Instrument,
        interval: str | Interval,
        *,
        now_ms: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = defaults.CANDLES_LIMIT_DEFAULT,
        price_type: PriceType = "market",
    ) -> list[Candle]:
        """Candles ascending by open time: the newest ``limit`` whose open time lies in
        ``[start_ms, end_ms]`` (``end_ms`` capped at ``now_ms``; the current candle is partial).
        Which end of a long window is served is :data:`defaults.CANDLES_NEWEST_IN_WINDOW`.

        ``mark`` and ``index`` candles carry zero volume.
        """
        spec = INTERVALS[interval] if isinstance(interval, str) else interval
        upper = now_ms if end_ms is None else min(end_ms, now_ms)
        lower = self.epoch_ms if start_ms is None else max(start_ms, self.epoch_ms)
        if upper < lower or limit <= 0:
            return []
        starts: list[int] = []
        if defaults.CANDLES_NEWEST_IN_WINDOW:
            t = spec.floor(upper)
            while len(starts) < limit and t >= lower:
                starts.append(t)
                t = spec.previous(t)
            starts.reverse()
        else:
            t = spec.floor(lower)
            t = t if t >= lower else spec.next(t)
            while len(starts) < limit and t <= upper:
                starts.append(t)
                t = spec.next(t)
        if not starts:
            return []
        return self._aggregate(inst, spec, starts, now_ms, price_type)

    def _aggregate(
        self,
        inst: Instrument,
        spec: Interval,
        starts: list[int],
        now_ms: int,
        price_type: PriceType,
    ) -> list[Candle]:
        coin = inst.base_coin
        now_s = self._second(now_ms)
        now_minute, now_sec_in_minute = divmod(now_s, 60)
        m0 = (starts[0] - self.epoch_ms) // _MS_MIN
        last_end = spec.next(starts[-1])
        m1 = min((last_end - self.epoch_ms) // _MS_MIN, now_minute + 1)
        o, h, lo, c = (a.copy() for a in self._y_minutes(coin, m0, m1))
        with_volume = price_type == "market"
        if with_volume:
            vol, turn = (a.copy() for a in self._minute_volumes(inst, m0, m1))
        if m1 == now_minute + 1:
            # The current minute is only partly traded: its close is the price now.
            part = self._paths[coin].span(now_minute * 60, now_s)
            o[-1], h[-1], lo[-1], c[-1] = part[0], part.max(), part.min(), part[-1]
            if with_volume:
                share = (now_sec_in_minute + 1) / 60.0
                vol[-1] = int(vol[-1] * share)
                turn[-1] = int(turn[-1] * share)
        bounds = np.array([(s - self.epoch_ms) // _MS_MIN - m0 for s in starts], dtype=np.int64)
        ends = np.append(bounds[1:], m1 - m0) - 1
        ticks = self._transform(inst, np.stack([o, h, lo, c]), price_type)
        opens = ticks[0][bounds]
        closes = ticks[3][ends]
        highs = np.maximum.reduceat(ticks[1], bounds)
        lows = np.minimum.reduceat(ticks[2], bounds)
        if with_volume:
            vols = np.add.reduceat(vol, bounds)
            turns = np.add.reduceat(turn, bounds)
        else:
            vols = turns = np.zeros(len(starts), dtype=np.int64)
        return [
            Candle(
                ts=starts[i],
                open=int(opens[i]),
                high=int(highs[i]),
                low=int(lows[i]),
                close=int(closes[i]),
                volume=int(vols[i]),
                turnover=int(turns[i]),
            )
            for i in range(len(starts))
        ]

    # -- order book ---------------------------------------------------------------------------

    def book(self, inst: Instrument, t_ms: int, depth: int = BOOK_LEVELS) -> Book:
        """Depth around the price at ``t_ms``: a spread of one or two ticks, sizes and gaps
        drawn from a generator seeded by the second, so the book is the same for every
        request in that second and for every depth asked."""
        if not 1 <= depth <= BOOK_LEVELS:
            raise ValueError(f"depth must be from 1 to {BOOK_LEVELS}")
        second = self._second(t_ms)
        path = self._paths[inst.base_coin]
        spec = self.catalogue.market.underlyings[inst.base_coin]
        exact = float(self._exact(inst, np.array([path.at(second)]))[0])
        # The last price rounds to the nearest tick; the best ask is the tick above the exact
        # price, so bid1 ≤ last ≤ ask1 always holds.
        best_ask = math.floor(exact / float(inst.tick)) + 1
        rng = _rng(self.seed, _stable_id(f"book:{inst.key}"), _BOOK, second)
        spread = 2 if rng.random() < _WIDE_SPREAD_P else 1
        best_bid = best_ask - spread
        factor = math.sqrt(self.catalogue.market.volume_factor[inst.category])
        min_steps = max(1, int(inst.min_qty / inst.step))
        sides = []
        for _ in range(2):
            gaps = np.where(
                rng.random(BOOK_LEVELS - 1) < _GAP_P, rng.geometric(0.5, BOOK_LEVELS - 1), 0
            )
            offsets = np.concatenate([[0], np.cumsum(1 + gaps)])
            sizes = spec.level_size * factor * rng.lognormal(-0.3, 0.8, BOOK_LEVELS)
            sizes *= 1.0 + 0.02 * np.arange(BOOK_LEVELS)
            steps = np.maximum(np.floor(sizes / float(inst.step)).astype(np.int64), min_steps)
            sides.append((offsets[:depth], steps[:depth]))
        (ask_off, ask_sz), (bid_off, bid_sz) = sides
        asks = [(best_ask + int(o), int(s)) for o, s in zip(ask_off, ask_sz, strict=True)]
        bids = [(best_bid - int(o), int(s)) for o, s in zip(bid_off, bid_sz, strict=True)]
        return Book(ts=t_ms, asks=asks, bids=[b for b in bids if b[0] > 0])

    # -- public trades ------------------------------------------------------------------------

    def trades(self, inst: Instrument, now_ms: int, limit: int) -> list[PublicTrade]:
        """The newest ``limit`` public trades at or before ``now_ms``, newest first.

        Each minute has its own seeded draw of trade times and sizes; a trade's price is the
        price of its second, its side the direction of the move into that second.
        """
        now_s = self._second(now_ms)
        minute = now_s // 60
        first_minute = 0
        out: list[PublicTrade] = []
        path = self._paths[inst.base_coin]
        factor = self.catalogue.market.volume_factor[inst.category]
        rate = _TRADES_PER_MINUTE * max(factor, 0.2)
        key = _stable_id(f"trades:{inst.key}")
        while len(out) < limit and minute >= first_minute:
            rng = _rng(self.seed, key, _TRADES, minute)
            count = int(rng.poisson(rate))
            offsets = np.sort(rng.integers(0, _MS_MIN, size=count))
            sizes = path.spec.minute_volume * factor / rate * rng.lognormal(-0.5, 1.0, count)
            coin_flips = rng.random(count)
            base_ms = self.epoch_ms + minute * _MS_MIN
            seconds = minute * 60 + offsets // _MS_S
            prices = self._transform(inst, np.array([path.at(int(s)) for s in seconds]))
            before = self._transform(
                inst, np.array([path.at(int(s) - 1) if s > 0 else path.at(0) for s in seconds])
            )
            steps = np.maximum(np.floor(sizes / float(inst.step)).astype(np.int64), 1)
            for i in range(count - 1, -1, -1):
                ts = base_ms + int(offsets[i])
                if ts > now_ms:
                    continue
                if prices[i] != before[i]:
                    side = "buy" if prices[i] > before[i] else "sell"
                else:
                    side = "buy" if coin_flips[i] < 0.5 else "sell"
                exec_id = f"{ts}{i:03d}"
                out.append(
                    PublicTrade(
                        exec_id=exec_id,
                        ts=ts,
                        price=int(prices[i]),
                        size=int(steps[i]),
                        side=side,
                        exec_link_id=str(_stable_id(f"match:{inst.key}:{exec_id}")),
                    )
                )
                if len(out) == limit:
                    break
            minute -= 1
        return out

    # -- ticker -------------------------------------------------------------------------------

    def ticker_stats(self, inst: Instrument, now_ms: int) -> TickerStats:
        """Last price and the rolling 24 h open/high/low/volume/turnover at ``now_ms``."""
        now_s = self._second(now_ms)
        first_s = max(0, now_s - 86_400)
        y_high, y_low = self._y_extremes(inst.base_coin, first_s, now_s)
        path = self._paths[inst.base_coin]
        ticks = self._transform(inst, np.array([path.at(now_s), path.at(first_s), y_high, y_low]))
        now_minute = now_s // 60
        m0 = max(0, now_minute - 1439)
        vol, turn = self._minute_volumes(inst, m0, now_minute + 1)
        share = (now_s % 60 + 1) / 60.0
        volume = int(vol[:-1].sum()) + int(vol[-1] * share)
        turnover = int(turn[:-1].sum()) + int(turn[-1] * share)
        index = self.price_ticks(inst, now_ms, "index")
        mark = self.price_ticks(inst, now_ms, "mark")
        funding = self.funding_rate(inst, now_ms)
        oi_noise = 1.0 + 0.2 * math.tanh(path.hour_ends(now_s // _S_H)[0] / path.stdev)
        factor = self.catalogue.market.volume_factor[inst.category]
        open_interest = int(path.spec.minute_volume * factor * 2_000 * oi_noise / float(inst.step))
        return TickerStats(
            last=int(ticks[0]),
            open_24h=int(ticks[1]),
            high_24h=int(ticks[2]),
            low_24h=int(ticks[3]),
            volume_24h=volume,
            turnover_24h=turnover,
            index=index,
            mark=mark,
            funding_rate=funding,
            open_interest=open_interest,
        )
