"""Trade analysis from broker data alone: fills + the account ledger → round trips, PnL per
symbol, equity, drawdowns and statistics (``bg.trade_report``).

>>> import bitget_nb as bg
>>> ex = bg.LocalExchange(seed=7, start_time="2026-11-01T00:00:00Z")
>>> with ex:
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     _ = client.submit_new_order(category="USDT-FUTURES", symbol="BTCUSDT", side="buy",
...                                 orderType="market", qty="0.01")
...     _ = ex.advance(hours=9)
...     _ = client.submit_new_order(category="USDT-FUTURES", symbol="BTCUSDT", side="sell",
...                                 orderType="market", qty="0.01")
...     report = bg.trade_report(client)
>>> report.round_trips[["symbol", "posSide", "status"]].values.tolist()
[['BTCUSDT', 'long', 'closed']]
>>> bool(report.reconcile()["difference"].eq(0).all())
True

Definitions, conventions and the exports: docs/report.md. Money is ``Decimal`` inside;
the frames are floats with declared dtypes; :attr:`TradeReport.totals` keeps the exact
figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from .. import paging
from ..endpoints import ENDPOINTS
from ..intervals import INTERVALS
from ..journal import Journal
from ..models import time_ms
from . import _stats
from ._equity import FUNDING_TYPES, LedgerRow, Point, equity_points
from ._lots import (
    STABLE_COINS,
    ZERO,
    Fill,
    Funding,
    FuturesBook,
    SpotBook,
    Totals,
    Trip,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..client import BitgetClient

__all__ = ["TradeReport", "join_journal", "trade_report"]

#: Where the ledger lives: every category, initial funds and transfers under SPOT.
_LEDGER_CATEGORIES = ("SPOT", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES")
#: Valuation intervals, finest first: the finest with at most _MAX_BARS bars over the span.
_INTERVALS = ("1m", "5m", "15m", "30m", "1H", "4H", "1D")
_MAX_BARS = 1500
#: One minute short of the API's 90-day look-back (the exchange measures it on arrival).
_LOOKBACK_MS = paging.LOOKBACK_MS - 120_000

_TIME: Any = "datetime64[ms, UTC]"
_STR: Any = "string"
_NUM: Any = "Float64"
_INT: Any = "Int64"

#: Declared columns of each frame (name → dtype); docs/report.md says what each means.
ROUND_TRIP_COLUMNS: dict[str, str] = {
    "category": _STR,
    "symbol": _STR,
    "posSide": _STR,
    "status": _STR,
    "openTime": _TIME,
    "closeTime": _TIME,
    "qty": _NUM,
    "entryPrice": _NUM,
    "exitPrice": _NUM,
    "pnlCoin": _STR,
    "grossPnl": _NUM,
    "fees": _NUM,
    "funding": _NUM,
    "netPnl": _NUM,
    "unrealisedPnl": _NUM,
    "netPnlUsdt": _NUM,
    "returnPct": _NUM,
    "fills": _INT,
    "inventory": "boolean",
    "openClientOid": _STR,
    "closeClientOid": _STR,
    # the journal's, by openClientOid (join_journal)
    "note": _STR,
    "tags": _STR,
}
BY_SYMBOL_COLUMNS: dict[str, str] = {
    "category": _STR,
    "symbol": _STR,
    "pnlCoin": _STR,
    "fills": _INT,
    "roundTrips": _INT,
    "winRate": _NUM,
    "volume": _NUM,
    "realisedPnl": _NUM,
    "fees": _NUM,
    "funding": _NUM,
    "netPnl": _NUM,
    "unrealisedPnl": _NUM,
    "realisedPnlUsdt": _NUM,
    "feesUsdt": _NUM,
    "fundingUsdt": _NUM,
    "netPnlUsdt": _NUM,
    "unrealisedPnlUsdt": _NUM,
}
EQUITY_COLUMNS: dict[str, str] = {
    "equity": _NUM,
    "flow": _NUM,
    "pnl": _NUM,
    "unrealisedPnl": _NUM,
    "drawdown": _NUM,
}


def _frame(rows: list[dict[str, Any]], columns: Mapping[str, str], **kw: Any) -> pd.DataFrame:
    data = {
        name: pd.array([r.get(name) for r in rows], dtype=cast(Any, dtype))
        for name, dtype in columns.items()
    }
    return pd.DataFrame(data, **kw)


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _ms_time(ms: int | None) -> pd.Timestamp | None:
    return None if ms is None else pd.Timestamp(ms, unit="ms", tz="UTC")


# -- prices ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    """A price as a step function of time: the last point at or before ``t`` (the first one
    before any)."""

    times: list[int] = field(default_factory=list)
    values: list[Decimal] = field(default_factory=list)

    def at(self, t: int) -> Decimal:
        import bisect

        if not self.times:
            raise LookupError("no price")
        i = bisect.bisect_right(self.times, t) - 1
        return self.values[max(i, 0)]

    def with_point(self, t: int, value: Decimal) -> _Line:
        """This line with ``value`` at ``t`` (replacing a point there), later points dropped:
        nothing after an exact price of now is known."""
        points = [(a, v) for a, v in zip(self.times, self.values, strict=True) if a < t]
        return _Line.from_points([*points, (t, value)])

    @classmethod
    def from_points(cls, points: Iterable[tuple[int, Decimal]]) -> _Line:
        merged: dict[int, Decimal] = {}
        for t, v in points:
            merged[t] = v
        times = sorted(merged)
        return cls(times, [merged[t] for t in times])


def _decimal(value: Any) -> Decimal:
    """A wire number (string) or a float that came from one (≤ 15 significant digits: its
    shortest repr is the wire's number) as a Decimal."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _candle_points(frame: pd.DataFrame, iv_ms: int) -> list[tuple[int, Decimal]]:
    """Each bar as two points: its open at its start, its close at its end."""
    points: list[tuple[int, Decimal]] = []
    if not len(frame):
        return points
    starts = pd.DatetimeIndex(frame.index).as_unit("ms").asi8
    for start, o, c in zip(starts, frame["open"], frame["close"], strict=True):
        ms = int(start)
        points.append((ms, _decimal(float(o))))
        points.append((ms + iv_ms, _decimal(float(c))))
    return points


# -- the report --------------------------------------------------------------------------------


@dataclass
class TradeReport:
    """What :func:`trade_report` found: round trips, per-symbol PnL, equity and statistics.

    * ``round_trips`` — one row per round trip (spot: a FIFO lot closed by a sell; futures:
      a position from flat to flat; open ones with ``status`` ``open`` and their unrealised
      PnL), PnL in ``pnlCoin`` and net in USDT;
    * ``by_symbol`` — one row per (category, symbol);
    * ``equity`` — the account in USDT at every event (and valuation bar), with the flows,
      cumulative PnL and drawdown;
    * ``stats`` — the statistics of docs/report.md (a 365-day year);
    * ``totals`` — the exact figures (``Decimal``) per symbol, for reconciliation.
    """

    round_trips: pd.DataFrame
    by_symbol: pd.DataFrame
    equity: pd.DataFrame
    stats: pd.Series
    totals: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    final_equity: Decimal
    ledger: pd.DataFrame
    #: The spot lots held at the end (``Decimal``s): coin, qty, price (quote coin), and
    #: whether the lot is inventory (coins not bought: held before the history, initial
    #: funds, transfers in); ``inventory``: all the inventory that arrived, coin → (qty,
    #: cost at the prices it arrived at).
    lots: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    inventory: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict, repr=False)
    candles: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict, repr=False)
    _fills: list[Fill] = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        closed = int((self.round_trips["status"] == "closed").sum())
        return (
            f"TradeReport({self.start.isoformat()} → {self.end.isoformat()}: "
            f"{closed} closed round trips on {len(self.by_symbol)} symbols, "
            f"equity {float(self.final_equity):,.2f} USDT)"
        )

    def returns(self) -> pd.Series:
        """Daily simple returns (UTC days, flows left out) — for quantstats or empyrical:
        ``quantstats.reports.html(report.returns(), periods_per_year=365)``."""
        return _stats.daily_returns(self.equity)

    @property
    def equity_daily(self) -> pd.DataFrame:
        """The equity at the end of each UTC day, with the day's return and drawdown."""
        daily = self.equity.resample("1D").last().ffill()
        out = pd.DataFrame(
            {"equity": daily["equity"], "return": self.returns(), "drawdown": daily["drawdown"]}
        )
        return out.astype("Float64")

    def transactions(self) -> pd.DataFrame:
        """The fills in pyfolio's transactions shape: index the fill time (UTC), columns
        ``amount`` (base coin, + bought / − sold), ``price``, ``symbol`` — e.g.
        ``pyfolio.round_trips.extract_round_trips(report.transactions())``."""
        fills = [f for f in self._fills if self.start.value // 1_000_000 <= f.time_ms]
        index = pd.DatetimeIndex(
            [pd.Timestamp(f.time_ms, unit="ms", tz="UTC") for f in fills], name="dt"
        ).astype(_TIME)
        return pd.DataFrame(
            {
                "amount": pd.array(
                    [float(f.qty if f.side == "buy" else -f.qty) for f in fills], dtype=_NUM
                ),
                "price": pd.array([float(f.price) for f in fills], dtype=_NUM),
                "symbol": pd.array([f.symbol for f in fills], dtype=_STR),
            },
            index=index,
        )

    def reconcile(self) -> pd.DataFrame:
        """Per coin, exactly (``Decimal``): the ledger's change over the report (flows left
        out) against what the fills and funding explain — futures realised PnL − fees +
        funding in the margin coin, spot coins given and received less their fees — and the
        difference (0 when every balance change is accounted for)."""
        explained: dict[str, Decimal] = {}

        def add(coin: str, value: Decimal) -> None:
            explained[coin] = explained.get(coin, ZERO) + value

        start_ms = int(self.start.value // 1_000_000)
        end_ms = int(self.end.value // 1_000_000)
        for f in self._fills:
            if not start_ms <= f.time_ms <= end_ms:
                continue
            if f.category == "SPOT":
                value = f.qty * f.price
                given, gave, got_coin, got = (
                    (f.quote, value, f.base, f.qty)
                    if f.side == "buy"
                    else (f.base, f.qty, f.quote, value)
                )
                add(given, -gave)
                add(got_coin, got)
                add(f.fee_coin or got_coin, -f.fee)
            else:
                add(f.coin, (f.exec_pnl or ZERO) - f.fee)
        ledger_change: dict[str, Decimal] = {}
        for row in self.ledger.to_dict("records"):
            at, coin, change = int(row["time_ms"]), str(row["coin"]), row["change"]
            if row["isFlow"] or not start_ms <= at <= end_ms:
                continue
            if row["type"] in FUNDING_TYPES:
                add(coin, change)
            ledger_change[coin] = ledger_change.get(coin, ZERO) + change
        coins = sorted(set(explained) | set(ledger_change))
        rows = [
            {
                "ledger": ledger_change.get(c, ZERO),
                "explained": explained.get(c, ZERO),
                "difference": ledger_change.get(c, ZERO) - explained.get(c, ZERO),
            }
            for c in coins
        ]
        return pd.DataFrame(
            rows,
            index=pd.Index(coins, name="coin", dtype=_STR),
            columns=["ledger", "explained", "difference"],
            dtype=object,
        )

    def plot(self) -> list[Figure]:
        """Three matplotlib figures: equity with drawdown, net PnL by symbol (USDT), and each
        traded symbol's candles with its fills marked (buys ▲, sells ▼)."""
        from ._plots import plot

        return plot(self)


# -- the journal seam --------------------------------------------------------------------------


def join_journal(round_trips: pd.DataFrame, journal: Journal | None) -> pd.DataFrame:
    """Left-join a journal's notes and tags onto the round trips by the clientOid of each
    round trip's opening fill (``openClientOid``); the closing one is in ``closeClientOid``
    for a join of your own. The ``note`` and ``tags`` columns are there either way (``<NA>``
    without a journal or a note)."""
    if journal is None:
        notes = pd.DataFrame({"openClientOid": pd.array([], dtype=_STR)})
    else:
        notes = journal.frame()[["clientOid", "note", "tags"]]
        notes = notes.rename(columns={"clientOid": "openClientOid"})
    joined = round_trips.drop(columns=["note", "tags"], errors="ignore").merge(
        notes, on="openClientOid", how="left"
    )
    for name in ("note", "tags"):
        joined[name] = (
            joined[name].astype(_STR)
            if name in joined
            else pd.Series(pd.NA, index=joined.index, dtype=_STR)
        )
    joined.index = round_trips.index
    return joined


# -- I/O -----------------------------------------------------------------------------------------


def _rows(
    client: BitgetClient, name: str, query: Mapping[str, str], since: int, until: int, now: int
) -> list[dict[str, Any]]:
    """Every row of a windowed, cursor-paged endpoint over ``[since, until]`` as the wire
    sent it (exact strings): 30-day windows, pages of 100."""
    ep = ENDPOINTS[name]
    transport = client.transport
    return paging.windowed_rows(
        lambda q: transport.call(ep, q), query, since, until, now_ms=now, cursor_key=ep.cursor_key
    )


def _fill(row: Mapping[str, Any], coins: Mapping[tuple[str, str], tuple[str, str]]) -> Fill:
    category, symbol = row["category"], row["symbol"]
    details = row.get("feeDetail") or []
    fee = sum((_decimal(d.get("fee")) for d in details), ZERO)
    fee_coins = {d.get("feeCoin", "") for d in details}
    base, quote = coins[(category, symbol)]
    pnl = row.get("execPnl")
    return Fill(
        exec_id=str(row.get("execId", "")),
        category=category,
        symbol=symbol,
        side=row["side"],
        price=_decimal(row["execPrice"]),
        qty=_decimal(row["execQty"]),
        fee=fee,
        fee_coin=next(iter(fee_coins)) if len(fee_coins) == 1 else "",
        time_ms=int(row["createdTime"]),
        base=base,
        quote=quote,
        client_oid=str(row.get("clientOid") or ""),
        order_id=str(row.get("orderId") or ""),
        pos_side=str(row.get("posSide") or ""),
        trade_side=str(row.get("tradeSide") or ""),
        exec_pnl=None if pnl in (None, "") or category == "SPOT" else _decimal(pnl),
    )


def _ledger_row(row: Mapping[str, Any]) -> LedgerRow:
    amount = row.get("positionAmount")
    return LedgerRow(
        seq=int(row["id"]),
        time_ms=int(row["ts"]),
        category=row["category"],
        symbol=row.get("symbol") or "",
        coin=row["coin"],
        type=row["type"],
        amount=_decimal(row["amount"]),
        fee=_decimal(row["fee"]),
        balance=_decimal(row["balance"]),
        position_amount=None if amount in (None, "") else _decimal(amount),
    )


def _interval(span_ms: int) -> str:
    for name in _INTERVALS:
        if span_ms / INTERVALS[name].ms <= _MAX_BARS:
            return name
    return _INTERVALS[-1]


def trade_report(
    client: BitgetClient,
    start: Any = None,
    end: Any = None,
    journal: Journal | None = None,
    *,
    interval: str | None = None,
    risk_free: float = 0.0,
    progress: bool | None = False,
) -> TradeReport:
    """Analyse the account's trading between ``start`` and ``end`` (ms, ISO strings or
    aware datetimes; default: the account's whole reachable history, up to now).

    The report reads the history the API keeps (90 days) so that positions and lots opened
    before ``start`` are known; its figures (round trips closed, PnL, fees, funding, equity,
    statistics) are those of ``[start, end]``. The requests it makes, all reads:

    * ``get_server_time`` once;
    * ``get_trade_fills`` (every category at once) and ``get_financial_records`` for SPOT,
      USDT-, USDC- and COIN-FUTURES, each over the look-back in 30-day windows, every page;
    * ``get_instruments`` for each category traded (the coins of each symbol);
    * ``get_balances``; ``get_current_position`` for each futures category traded and
      ``get_tickers`` for SPOT (the prices of now) — only when ``end`` is now;
    * ``get_candles`` over the span for the spot symbol pricing each coin held
      (``{coin}USDT``), the mark-price candles of each futures symbol traded, and the candles
      of each symbol traded (the trades chart) — one whole-range call each, at the finest
      ``interval`` with at most 1,500 bars unless given.

    ``journal``: the :class:`~bitget_nb.Journal` whose notes and tags are joined onto the
    round trips (default: ``bg.Journal.for_client(client)``, which makes no request).
    ``risk_free``: a yearly rate for Sharpe and Sortino.
    """
    now = int(client.get_server_time(raw=True)["data"]["serverTime"])
    since = now - _LOOKBACK_MS
    end_ms = now if end is None else min(time_ms(end, "end"), now)
    at_now = end_ms == now
    raw_fills = _rows(client, "get_trade_fills", {}, since, now, now)
    ledger = [
        _ledger_row(r)
        for category in _LEDGER_CATEGORIES
        for r in _rows(client, "get_financial_records", {"category": category}, since, now, now)
    ]
    ledger.sort(key=lambda r: (r.time_ms, r.seq))
    first_ms = min(
        [r.time_ms for r in ledger] + [int(r["createdTime"]) for r in raw_fills] + [end_ms]
    )
    start_ms = max(first_ms, time_ms(start, "start")) if start is not None else first_ms
    categories = sorted({r["category"] for r in raw_fills})
    coins: dict[tuple[str, str], tuple[str, str]] = {}
    for category in categories:
        envelope = client.get_instruments(category=category, raw=True)
        for inst in paging.page_rows(envelope.get("data")):
            coins[(category, inst["symbol"])] = (inst["baseCoin"], inst["quoteCoin"])
    fills = sorted((_fill(r, coins) for r in raw_fills), key=lambda f: f.key)
    fills = [f for f in fills if f.time_ms <= end_ms]
    balances_env = client.get_balances(raw=True)["data"]
    balances_now = {a["coin"]: _decimal(a["balance"]) for a in balances_env.get("assets") or []}

    # prices: candles over the span, exact prices of now when the report ends now
    name = interval or _interval(end_ms - first_ms)
    iv_ms = INTERVALS[name].ms
    held = {r.coin for r in ledger} | set(balances_now)
    held |= {f.coin for f in fills} | {f.fee_coin for f in fills if f.fee_coin}
    lines: dict[tuple[str, str], _Line] = {}
    candles: dict[tuple[str, str], pd.DataFrame] = {}

    def download(category: str, symbol: str, kind: str) -> pd.DataFrame:
        frame = client.get_candles(
            category=category,
            symbol=symbol,
            interval=name,
            startTime=str(max(first_ms - iv_ms, since)),
            endTime=str(end_ms),
            type=kind,
            progress=progress,
        )
        return frame

    # a coin is priced by its spot market against USDT (what account/assets values it by)
    pricing = {coin: f"{coin}USDT" for coin in sorted(held) if coin and coin not in STABLE_COINS}
    for symbol in pricing.values():
        frame = download("SPOT", symbol, "market")
        candles[("SPOT", symbol)] = frame
        lines[("SPOT", symbol)] = _Line.from_points(_candle_points(frame, iv_ms))
    futures_symbols = sorted({(f.category, f.symbol) for f in fills if f.category != "SPOT"})
    marks: dict[tuple[str, str], _Line] = {}
    for category, symbol in futures_symbols:
        marks[(category, symbol)] = _Line.from_points(
            _candle_points(download(category, symbol, "mark"), iv_ms)
        )
        candles[(category, symbol)] = download(category, symbol, "market")
    for category, symbol in sorted({(f.category, f.symbol) for f in fills if f.category == "SPOT"}):
        if (category, symbol) not in candles:
            candles[(category, symbol)] = download(category, symbol, "market")
    if at_now:
        # the exact prices of now win over a candle's: the last price (the spot index the
        # exchange values coins at) and each open position's mark price
        tickers = client.get_tickers(category="SPOT", raw=True)["data"]
        for row in paging.page_rows(tickers):
            key = ("SPOT", row["symbol"])
            if key in lines:
                lines[key] = lines[key].with_point(now, _decimal(row["lastPrice"]))
        for category in sorted({c for c, _ in futures_symbols}):
            envelope = client.get_current_position(category=category, raw=True)
            for row in paging.page_rows(envelope.get("data")):
                key = (category, row["symbol"])
                marks[key] = marks.get(key, _Line()).with_point(now, _decimal(row["markPrice"]))

    def price(coin: str, t: int) -> Decimal:
        if coin in STABLE_COINS:
            return Decimal(1)
        return lines[("SPOT", pricing[coin])].at(t)

    def mark(category: str, symbol: str, t: int) -> Decimal:
        return marks[(category, symbol)].at(t)

    def convert(amount: Decimal, source: str, target: str, t: int) -> Decimal:
        return amount * price(source, t) / price(target, t)

    # the books: everything from the start of the history; totals count from start_ms
    spot = SpotBook(convert=convert, since=start_ms)
    opening = _opening_balances(ledger, balances_now)
    for coin, qty in opening.items():
        if coin not in STABLE_COINS and qty > 0 and coin in pricing:
            spot.inventory(coin, qty, price(coin, first_ms), first_ms)
    futures = FuturesBook(since=start_ms, usdt=price)
    funding = [
        Funding(r.category, r.symbol, r.coin, r.change, r.time_ms, r.position_amount, r.seq)
        for r in ledger
        if r.type in FUNDING_TYPES and r.time_ms <= end_ms
    ]
    _replay(spot, futures, fills, funding, ledger, price, end_ms)
    trips = [
        t for t in spot.trips + futures.trips if t.close_ms is not None and t.close_ms >= start_ms
    ]
    open_trips = spot.open_trips(price, end_ms) + futures.open_trips(mark, end_ms)
    unrealised = futures.unrealised(mark, end_ms)

    # equity
    grid = set(range(first_ms - first_ms % iv_ms + iv_ms, end_ms, iv_ms)) | {end_ms, start_ms}
    margin = {(f.category, f.symbol): f.coin for f in fills if f.category != "SPOT"}
    points = equity_points(
        [r for r in ledger if r.time_ms <= end_ms],
        opening=opening,
        positions=futures.history,
        margin_coin=margin,
        times=grid,
        price=price,
        mark=mark,
    )
    points = [p for p in points if p.time_ms >= start_ms]
    equity = _equity_frame(points)
    final_equity = points[-1].equity if points else ZERO

    totals = _totals_frame(spot, futures, unrealised, open_trips)
    round_trips = _round_trips_frame(trips + open_trips, price, end_ms)
    if journal is None:
        journal = Journal.for_client(client)
    round_trips = join_journal(round_trips, journal)
    by_symbol = _by_symbol_frame(spot, futures, round_trips, open_trips, price, end_ms)
    volume = float(by_symbol["volume"].sum()) if len(by_symbol) else 0.0
    gross = float(by_symbol["realisedPnlUsdt"].sum()) if len(by_symbol) else 0.0
    stats = _stats.stats(
        equity,
        round_trips,
        start=_ms_time(start_ms),  # type: ignore[arg-type]
        end=_ms_time(end_ms),  # type: ignore[arg-type]
        volume=volume,
        fees=float(by_symbol["feesUsdt"].sum()) if len(by_symbol) else 0.0,
        funding=float(by_symbol["fundingUsdt"].sum()) if len(by_symbol) else 0.0,
        gross=gross,
        risk_free=risk_free,
    )
    ledger_frame = pd.DataFrame(
        {
            "time_ms": [r.time_ms for r in ledger],
            "coin": [r.coin for r in ledger],
            "type": [r.type for r in ledger],
            "change": [r.change for r in ledger],
            "isFlow": [r.is_flow for r in ledger],
        }
    )
    return TradeReport(
        round_trips=round_trips,
        by_symbol=by_symbol,
        equity=equity,
        stats=stats,
        totals=totals,
        start=_ms_time(start_ms),  # type: ignore[arg-type]
        end=_ms_time(end_ms),  # type: ignore[arg-type]
        final_equity=final_equity,
        ledger=ledger_frame,
        lots=pd.DataFrame(
            [
                {"coin": c, "qty": lot.qty, "price": lot.price, "inventory": lot.inventory}
                for c, held_lots in spot.lots.items()
                for lot in held_lots
            ],
            columns=["coin", "qty", "price", "inventory"],
            dtype=object,
        ),
        inventory=dict(spot.arrived),
        candles=candles,
        _fills=fills,
    )


def _opening_balances(ledger: list[LedgerRow], now: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Each coin's balance before the history: before its first ledger row, or (a coin the
    ledger never moved) its balance now."""
    out = dict(now)
    seen: set[str] = set()
    for row in ledger:
        if row.coin not in seen:
            seen.add(row.coin)
            out[row.coin] = row.balance - row.change
    return out


def _replay(
    spot: SpotBook,
    futures: FuturesBook,
    fills: list[Fill],
    funding: list[Funding],
    ledger: list[LedgerRow],
    price: Callable[[str, int], Decimal],
    end_ms: int,
) -> None:
    """Fills, funding and coins arriving or leaving from outside, in time order (funding
    before the fills of its millisecond, as the exchange settles it)."""
    events: list[tuple[int, int, int, object]] = []
    # at one millisecond: coins arriving first (the initial funds), then funding, then fills
    events += [
        (r.time_ms, 0, r.seq, r)
        for r in ledger
        if r.is_flow and r.coin not in STABLE_COINS and r.time_ms <= end_ms
    ]
    events += [(p.time_ms, 1, p.seq, p) for p in funding]
    events += [(f.time_ms, 2, f.key[1], f) for f in fills]
    events.sort(key=lambda e: e[:3])
    batch: list[Funding] = []
    for _, kind, _, item in events:
        if kind == 1:
            assert isinstance(item, Funding)
            if batch and (batch[0].time_ms, batch[0].symbol) != (item.time_ms, item.symbol):
                futures.fund(batch)
                batch = []
            batch.append(item)
            continue
        if batch:
            futures.fund(batch)
            batch = []
        if kind == 2:
            assert isinstance(item, Fill)
            (spot if item.category == "SPOT" else futures).apply(item)
        else:
            assert isinstance(item, LedgerRow)
            if item.change > 0:
                spot.inventory(item.coin, item.change, price(item.coin, item.time_ms), item.time_ms)
            else:
                spot.withdraw(item.coin, -item.change)
    if batch:
        futures.fund(batch)


def _usdt(trip: Trip, price: Callable[[str, int], Decimal], end_ms: int) -> Decimal:
    """The price that turns a trip's coin into USDT: 1 for stable coins, the exit (or mark)
    price for an inverse contract, else the coin's price at the close."""
    if trip.coin in STABLE_COINS:
        return Decimal(1)
    if trip.category == "COIN-FUTURES" and trip.exit_price is not None:
        return trip.exit_price
    return price(trip.coin, trip.close_ms if trip.close_ms is not None else end_ms)


def _round_trips_frame(
    trips: list[Trip], price: Callable[[str, int], Decimal], end_ms: int
) -> pd.DataFrame:
    rows = []
    for t in sorted(trips, key=lambda t: (t.open_ms, t.close_ms or end_ms, t.symbol)):
        rate = _usdt(t, price, end_ms)
        closed = t.close_ms is not None
        net = t.net
        entry = t.entry_value if t.category != "COIN-FUTURES" else t.qty
        rows.append(
            {
                "category": t.category,
                "symbol": t.symbol,
                "posSide": t.pos_side,
                "status": "closed" if closed else "open",
                "openTime": _ms_time(t.open_ms),
                "closeTime": _ms_time(t.close_ms),
                "qty": _f(t.qty),
                "entryPrice": _f(t.entry_price),
                "exitPrice": _f(t.exit_avg) if closed else None,
                "pnlCoin": t.coin,
                "grossPnl": _f(t.gross),
                "fees": _f(t.fees),
                "funding": _f(t.funding),
                "netPnl": _f(net),
                "unrealisedPnl": _f(t.unrealised),
                "netPnlUsdt": _f(net * rate)
                if closed
                else _f((net + (t.unrealised or ZERO)) * rate),
                "returnPct": _f(net / entry) if closed and entry else None,
                "fills": t.fills,
                "inventory": t.inventory,
                "openClientOid": t.open_oid or None,
                "closeClientOid": t.close_oid or None,
            }
        )
    return _frame(rows, ROUND_TRIP_COLUMNS)


def _all_totals(spot: SpotBook, futures: FuturesBook) -> list[Totals]:
    return sorted(
        list(spot.totals.values()) + list(futures.totals.values()),
        key=lambda t: (t.category, t.symbol),
    )


def _totals_frame(
    spot: SpotBook, futures: FuturesBook, unrealised: Mapping[str, Decimal], open_trips: list[Trip]
) -> pd.DataFrame:
    rows = []
    index = []
    for t in _all_totals(spot, futures):
        upnl = sum(
            (
                x.unrealised or ZERO
                for x in open_trips
                if (x.category, x.symbol) == (t.category, t.symbol)
            ),
            ZERO,
        )
        index.append((t.category, t.symbol))
        rows.append(
            {
                "coin": t.coin,
                "realisedPnl": t.realised,
                "fees": t.fees,
                "funding": t.funding,
                "netPnl": t.net,
                "unrealisedPnl": upnl,
                "volume": t.volume,
                "fills": t.fills,
                "uncoveredQty": t.uncovered_qty,
            }
        )
    frame = pd.DataFrame(
        rows,
        index=pd.MultiIndex.from_tuples(index, names=["category", "symbol"]) if index else None,
        dtype=object,
    )
    return frame


def _by_symbol_frame(
    spot: SpotBook,
    futures: FuturesBook,
    round_trips: pd.DataFrame,
    open_trips: list[Trip],
    price: Callable[[str, int], Decimal],
    end_ms: int,
) -> pd.DataFrame:
    rows = []
    for t in _all_totals(spot, futures):
        mine = round_trips[
            (round_trips["category"] == t.category)
            & (round_trips["symbol"] == t.symbol)
            & (round_trips["status"] == "closed")
        ]
        upnl = sum(
            (
                x.unrealised or ZERO
                for x in open_trips
                if (x.category, x.symbol) == (t.category, t.symbol)
            ),
            ZERO,
        )
        rate_now = Decimal(1) if t.coin in STABLE_COINS else price(t.coin, end_ms)
        rows.append(
            {
                "category": t.category,
                "symbol": t.symbol,
                "pnlCoin": t.coin,
                "fills": t.fills,
                "roundTrips": len(mine),
                "winRate": float((mine["netPnl"] > 0).mean()) if len(mine) else None,
                "volume": _f(t.volume),
                "realisedPnl": _f(t.realised),
                "fees": _f(t.fees),
                "funding": _f(t.funding),
                "netPnl": _f(t.net),
                "unrealisedPnl": _f(upnl),
                "realisedPnlUsdt": _f(t.realised_usdt),
                "feesUsdt": _f(t.fees_usdt),
                "fundingUsdt": _f(t.funding_usdt),
                "netPnlUsdt": _f(t.realised_usdt - t.fees_usdt + t.funding_usdt),
                "unrealisedPnlUsdt": _f(upnl * rate_now),
            }
        )
    return _frame(rows, BY_SYMBOL_COLUMNS)


def _equity_frame(points: list[Point]) -> pd.DataFrame:
    index = pd.DatetimeIndex(
        pd.array([_ms_time(p.time_ms) for p in points], dtype=_TIME), name="time"
    )
    base = points[0].equity if points else ZERO
    flows = ZERO
    pnl = []
    for i, p in enumerate(points):
        if i:
            flows += p.flow
        pnl.append(float(p.equity - base - flows))
    frame = pd.DataFrame(
        {
            "equity": pd.array([float(p.equity) for p in points], dtype=_NUM),
            "flow": pd.array(
                [float(p.flow) if i else 0.0 for i, p in enumerate(points)], dtype=_NUM
            ),
            "pnl": pd.array(pnl, dtype=_NUM),
            "unrealisedPnl": pd.array([float(p.unrealised) for p in points], dtype=_NUM),
        },
        index=index,
    )
    frame["drawdown"] = pd.array(
        _stats.drawdown(frame).to_numpy(dtype="float64", na_value=math.nan), dtype=_NUM
    )
    return frame
