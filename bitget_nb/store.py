"""``CandleStore``: candles kept on disk as a partitioned Parquet dataset, downloaded once.

The layout is hive-style, one file per month of bars (the UTC month of each bar's open time),
so pyarrow, pandas, DuckDB, polars, Dask and Spark read the directory as it is::

    <root>/category=SPOT/symbol=BTCUSDT/interval=1m/month=2026-11/candles.parquet
    <root>/category=SPOT/symbol=BTCUSDT/interval=1m/_series.json     what was asked, the gaps

Each file holds ``ts`` (``timestamp[ms, tz=UTC]``, the bar's open time, ascending, unique)
and ``open high low close volume turnover`` (``float64``), the frame
:meth:`~bitget_nb.BitgetClient.get_candles` returns. Only market (last-traded) candles are
kept: ``type="mark"``/``"index"``/``"premium"`` are refused, so the layout has no ``type``
key. Names starting with ``_`` or ``.`` (the series' bookkeeping, temporary files, the lock)
are skipped by dataset readers, and temporary files do not end in ``.parquet``.

:meth:`CandleStore.update` fetches only what is missing — the bars after the last one asked
for, the bars before the first one when ``start`` is earlier, and known gaps — and stores
closed bars only. :meth:`CandleStore.read` reads the month files of the range and, inside
them, the row groups of the range. See docs/store.md.

>>> import tempfile
>>> import bitget_nb as bg
>>> with bg.LocalExchange(seed=7, start_time="2026-11-01T06:00:00Z") as ex:
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     store = bg.CandleStore(tempfile.mkdtemp())
...     first = store.update(client, category="SPOT", symbol="BTCUSDT", interval="1m",
...                          start="2026-11-01T05:00:00Z")
...     _ = ex.advance(minutes=5)
...     later = store.update(client, category="SPOT", symbol="BTCUSDT", interval="1m")
>>> int(first["new_bars"]), int(later["new_bars"]), int(later["bars"])  # the open bar waits
(60, 5, 65)
>>> bars = store.read(category="SPOT", symbol="BTCUSDT", interval="1m",
...                   start="2026-11-01T05:30:00Z", end="2026-11-01T05:39:00Z")
>>> len(bars), str(bars.index.dtype), list(bars.columns)
(10, 'datetime64[ms, UTC]', ['open', 'high', 'low', 'close', 'volume', 'turnover'])
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from .candles import missing_runs
from .errors import BitgetError, ValidationError
from .intervals import INTERVALS, Interval
from .models import time_ms
from .paging import iso_ms
from .vocab import CATEGORIES

if TYPE_CHECKING:
    from .client import BitgetClient

try:  # POSIX: one writer per series at a time (Windows: no lock, see docs/store.md)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "COLUMNS",
    "DATA_FILE",
    "GAP_RETRIES",
    "MANIFEST_FILE",
    "CandleStore",
    "CandleStoreError",
]

#: The candle columns after ``ts``, as :func:`bitget_nb.frames.candles_frame` has them.
COLUMNS: Final = ("open", "high", "low", "close", "volume", "turnover")
#: The one data file of each month partition.
DATA_FILE: Final = "candles.parquet"
#: Per series, beside the month partitions: what was asked for, the gaps and their retries.
MANIFEST_FILE: Final = "_series.json"
_LOCK_FILE: Final = ".lock"
_TEMP_SUFFIX: Final = ".tmp"
#: A gap the exchange did not fill is asked for again on this many later updates that
#: download new bars; then it stays recorded (``store.gaps(...)``) and is asked for only on
#: ``update(..., retry_gaps=True)``.
GAP_RETRIES: Final = 3
#: Rows per Parquet row group: a day of 1-minute bars, so a read of a few hours of a month
#: decodes about one day of it (each row group carries min/max ``ts`` statistics).
ROW_GROUP_ROWS: Final = 1440
_FORMAT: Final = 1
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class CandleStoreError(BitgetError, RuntimeError):
    """A store that cannot be read as it is: a damaged file or bookkeeping; the message says
    which file and what to do."""


# -- small pure helpers ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Key:
    """One series: where it lives under the root."""

    category: str
    symbol: str
    interval: str

    @classmethod
    def of(cls, category: str, symbol: str, interval: str) -> _Key:
        if category not in CATEGORIES:
            raise ValidationError(
                f"category must be one of {', '.join(CATEGORIES)}, got {category!r}",
                field="category",
            )
        if not isinstance(symbol, str) or not _SYMBOL.match(symbol):
            raise ValidationError(
                f"symbol {symbol!r} is not a symbol name such as 'BTCUSDT' (letters, digits, "
                "'_', '-', '.')",
                field="symbol",
            )
        if interval not in INTERVALS:
            raise ValidationError(
                f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}",
                field="interval",
            )
        return cls(category, symbol, interval)

    def directory(self, root: Path) -> Path:
        return (
            root
            / f"category={self.category}"
            / f"symbol={self.symbol}"
            / f"interval={self.interval}"
        )


@dataclass(slots=True)
class _Gap:
    """A run of bars the exchange did not have: open times ``start``…``end`` inclusive."""

    start: int
    end: int
    bars: int
    tries: int = 0  # times asked for again after it was found
    found: int = 0  # server time when it was found (ms)
    last_try: int = 0  # server time of the last download that covered it (ms)


@dataclass(slots=True)
class _Manifest:
    """What a series' downloads asked for and found.

    Every bar opening in ``[checked_from, checked_to]`` has been asked for; the ones the
    exchange did not have are in ``gaps`` (between ``first`` and ``last``, the first and last
    stored bars) or lie before ``first`` / after ``last`` (nothing there yet).
    """

    checked_from: int
    checked_to: int
    first: int | None = None
    last: int | None = None
    server_time: int = 0
    gaps: list[_Gap] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"format": _FORMAT, **asdict(self)}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> _Manifest:
        data = json.loads(text)
        if data.pop("format", None) != _FORMAT:
            raise ValueError("unknown format")
        gaps = [_Gap(**g) for g in data.pop("gaps")]
        return cls(**data, gaps=gaps)


def _month(ts: int) -> str:
    """``YYYY-MM``: the UTC month of ``ts``.

    >>> _month(1793491200000), _month(1793491199999)
    ('2026-11', '2026-10')
    """
    moment = datetime.fromtimestamp(ts / 1000, tz=UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def _missing_runs(spec: Interval, present: np.ndarray, first: int, last: int) -> list[_Gap]:
    """The gaps of ``[first, last]`` (see :func:`bitget_nb.candles.missing_runs`).

    >>> m = INTERVALS["1m"]
    >>> [(g.start, g.end, g.bars) for g in _missing_runs(m, np.array([0, 60_000, 240_000]),
    ...                                                   0, 360_000)]
    [(120000, 180000, 2), (300000, 360000, 2)]
    """
    return [_Gap(start=a, end=b, bars=n) for a, b, n in missing_runs(spec, present, first, last)]


def _ms_index(frame: pd.DataFrame) -> np.ndarray:
    index = pd.DatetimeIndex(frame.index)
    return np.asarray(index.as_unit("ms").asi8, dtype=np.int64)


def _empty_frame(columns: Sequence[str] = COLUMNS) -> pd.DataFrame:
    index = pd.DatetimeIndex([], dtype=pd.DatetimeTZDtype(unit="ms", tz="UTC"), name="ts")
    return pd.DataFrame({c: np.array([], dtype="float64") for c in columns}, index=index)


def _gaps_frame(gaps: Sequence[_Gap]) -> pd.DataFrame:
    def times(values: list[int]) -> pd.Series:
        naive = pd.DatetimeIndex(np.array(values, dtype="int64").view("M8[ms]"))
        return pd.Series(naive.tz_localize("UTC"))

    return pd.DataFrame(
        {
            "start": times([g.start for g in gaps]),
            "end": times([g.end for g in gaps]),
            "bars": pd.array([g.bars for g in gaps], dtype="Int64"),
            "tries": pd.array([g.tries for g in gaps], dtype="Int64"),
        }
    )


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [pa.field("ts", pa.timestamp("ms", tz="UTC"), nullable=False)]
        + [pa.field(c, pa.float64()) for c in COLUMNS]
    )


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows cannot open a directory
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_atomically(target: Path, write: Callable[[Any], None]) -> None:
    """Write ``target`` through a temporary file in its directory, then rename it over: a
    reader sees the old file or the new one, never half of one. The temporary name starts
    with ``.`` and does not end in ``.parquet``, so no dataset reader picks it up; a crash
    leaves it behind for the next update to remove."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}{_TEMP_SUFFIX}")
    try:
        with open(temp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(target.parent)


# -- the store --------------------------------------------------------------------------------


class CandleStore:
    """Candles of any number of series in a partitioned Parquet dataset under ``path``.

    ``update`` downloads what is missing through a client; ``read`` gives a range back as
    the frame ``client.get_candles`` returns; ``series()`` lists what is stored. The
    directory is created on the first update. Nothing is held open between calls, so a store
    may be shared by notebooks on one machine (updates of one series take turns; on POSIX).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._root = Path(path)

    @property
    def path(self) -> Path:
        """The dataset's root directory (pass it to pyarrow, DuckDB, polars …)."""
        return self._root

    def __repr__(self) -> str:
        count = sum(1 for _ in self._series_dirs())
        return f"CandleStore({str(self._root)!r}, series={count})"

    # -- writing ------------------------------------------------------------------------------

    def update(
        self,
        client: BitgetClient,
        *,
        category: str,
        symbol: str,
        interval: str,
        start: Any = None,
        end: Any = None,
        type: str | None = None,
        progress: bool | None = None,
        retry_gaps: bool = False,
    ) -> pd.Series:
        """Download what the store is missing of a series and keep its closed bars.

        What is asked for, with ``client.get_candles`` (each a whole range, paged):

        * the bars after the last one already asked for, up to ``end`` (default: the
          exchange's now). With ``end=None`` that is one ``get_server_time`` request, and
          only when a bar has closed since, a download; with an ``end`` the store already
          covers, no request at all;
        * the bars before the first one asked for, when ``start`` is earlier (the first
          update of a series needs ``start``);
        * known gaps — bars the exchange did not have when they were downloaded — once on
          each later update that brings new bars, up to :data:`GAP_RETRIES` times, or all
          of them with ``retry_gaps=True``. A gap the exchange no longer serves (too old)
          stays recorded.

        Only closed bars are stored (the bar still open at the server's time is fetched
        again next time). Each month file is replaced atomically, so an interrupted update
        leaves the store as it was before that file. ``progress`` is handed to
        ``client.get_candles`` (``True``: a bar at once; ``None``: after two seconds).
        ``type`` other than ``"market"`` is refused: the store keeps market candles only.

        Returns a Series: ``new_bars`` (stored by this update, filled gaps included),
        ``bars`` (stored in all), ``first``/``last`` (open times of the first and last stored
        bar), ``missing_bars`` (bars in recorded gaps), ``requests`` (HTTP requests made:
        server time and candle pages) and ``server_time`` (the exchange's, as last seen).
        """
        key = _Key.of(category, symbol, interval)
        if type not in (None, "market", "MARKET"):
            raise ValidationError(
                f"type={type!r}: CandleStore keeps market (last-traded) candles only; for "
                "mark, index or premium candles use client.get_candles(type=...) and "
                "save the frame with to_parquet",
                field="type",
            )
        spec = INTERVALS[key.interval]
        start_ms = None if start is None else spec.ceil(time_ms(start, "start"))
        end_ms = None if end is None else time_ms(end, "end")
        if start_ms is not None and end_ms is not None and end_ms < start_ms:
            raise ValidationError("end must not be before start", field="end")
        fetch: Callable[..., pd.DataFrame] = client.get_candles
        with self._locked(key):
            self._remove_stray_temps(key)
            manifest = self._manifest(key)
            if manifest is None:
                if start_ms is None:
                    raise ValidationError(
                        f"nothing is stored for {key.category} {key.symbol} {key.interval} "
                        f"under {self._root} yet: give start= (the first bar to download)",
                        field="start",
                    )
                manifest = _Manifest(checked_from=start_ms, checked_to=spec.previous(start_ms))
            run = _Update(self, key, spec, fetch, progress, manifest)
            if end_ms is not None:
                tail_end = end_ms
            else:
                # Up to the exchange's now: one request says whether a bar has closed since
                # the last one asked for, and the tail then ends at the last closed bar.
                now = int(client.get_server_time(raw=True)["data"]["serverTime"])
                run.requests += 1
                manifest.server_time = max(manifest.server_time, now)
                tail_end = spec.previous(spec.floor(now))
            new_tail = 0
            if spec.floor(tail_end) > manifest.checked_to:
                new_tail = run.tail(tail_end, start_ms)
            if start_ms is not None and start_ms < manifest.checked_from:
                run.head(start_ms)
            if new_tail or retry_gaps:
                run.retry_gaps(force=retry_gaps)
        return self._summary(key, manifest, new_bars=run.new_bars, requests=run.requests)

    # -- reading ------------------------------------------------------------------------------

    def read(
        self,
        *,
        category: str,
        symbol: str,
        interval: str,
        start: Any = None,
        end: Any = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """The stored bars opening in ``[start, end]`` (both optional, both inclusive) as the
        frame ``client.get_candles`` returns: ``ts`` index (``datetime64[ms, UTC]``),
        ``float64`` columns (``columns`` picks some of them). Only the month files of the
        range are opened, and in them only the row groups of the range are decoded.

        A series never stored gives an empty frame with the same columns and dtypes.
        ``attrs``: ``interval``, and ``gaps``, the recorded gaps that touch the range, as
        ``client.get_candles`` lists them (``{"start", "end", "bars"}``, ISO times;
        :func:`bitget_nb.candles.gaps` makes a frame of them).
        """
        key = _Key.of(category, symbol, interval)
        wanted = list(COLUMNS if columns is None else columns)
        unknown = [c for c in wanted if c not in COLUMNS]
        if unknown:
            raise ValidationError(
                f"columns: {unknown} are not candle columns; choose from {', '.join(COLUMNS)}",
                field="columns",
            )
        start_ms = None if start is None else time_ms(start, "start")
        end_ms = None if end is None else time_ms(end, "end")
        if start_ms is not None and end_ms is not None and end_ms < start_ms:
            raise ValidationError("end must not be before start", field="end")
        files = self._month_files(key, start_ms, end_ms)
        frame = self._read_files(files, start_ms, end_ms, wanted) if files else None
        if frame is None:
            frame = _empty_frame(wanted)
        frame.attrs["interval"] = key.interval
        manifest = self._manifest(key, rebuild=False) if files else None
        gaps = [
            g
            for g in (manifest.gaps if manifest else [])
            if (start_ms is None or g.end >= start_ms) and (end_ms is None or g.start <= end_ms)
        ]
        # JSON values, as client.get_candles gives them (bitget_nb.candles.gaps(frame) makes a
        # frame of them), so the result still saves with to_parquet
        frame.attrs["gaps"] = [
            {"start": iso_ms(g.start), "end": iso_ms(g.end), "bars": g.bars} for g in gaps
        ]
        return frame

    def series(self) -> pd.DataFrame:
        """One row per stored series: ``category``, ``symbol``, ``interval``, ``first`` and
        ``last`` (open times), ``bars`` and ``missing_bars`` (in recorded gaps)."""
        rows = []
        for directory in self._series_dirs():
            key = _Key(
                directory.parent.parent.name.partition("=")[2],
                directory.parent.name.partition("=")[2],
                directory.name.partition("=")[2],
            )
            manifest = self._manifest(key)
            summary = self._summary(key, manifest, new_bars=0, requests=0)
            rows.append(summary.drop(["new_bars", "requests", "server_time"]))
        columns = ["category", "symbol", "interval", "first", "last", "bars", "missing_bars"]
        if not rows:
            dtype = pd.DatetimeTZDtype(unit="ms", tz="UTC")
            return pd.DataFrame(
                {
                    "category": pd.Series([], dtype=str),
                    "symbol": pd.Series([], dtype=str),
                    "interval": pd.Series([], dtype=str),
                    "first": pd.Series([], dtype=dtype),
                    "last": pd.Series([], dtype=dtype),
                    "bars": pd.Series([], dtype="int64"),
                    "missing_bars": pd.Series([], dtype="int64"),
                }
            )
        frame = pd.DataFrame(rows, columns=columns).reset_index(drop=True)
        times = pd.DatetimeTZDtype(unit="ms", tz="UTC")
        return frame.astype(
            {"first": times, "last": times, "bars": "int64", "missing_bars": "int64"}
        )

    def gaps(self, *, category: str, symbol: str, interval: str) -> pd.DataFrame:
        """The recorded gaps of a series: ``start``/``end`` (open times of the first and last
        missing bar), ``bars`` and ``tries`` (times asked for again since found)."""
        manifest = self._manifest(_Key.of(category, symbol, interval))
        return _gaps_frame(manifest.gaps if manifest else [])

    # -- internals ----------------------------------------------------------------------------

    def _series_dirs(self) -> Iterator[Path]:
        if not self._root.is_dir():
            return
        # a directory with neither bookkeeping nor months is a first update that failed
        yield from sorted(
            d
            for d in self._root.glob("category=*/symbol=*/interval=*")
            if (d / MANIFEST_FILE).is_file() or any(d.glob(f"month=*/{DATA_FILE}"))
        )

    def _month_dirs(self, key: _Key) -> list[tuple[str, Path]]:
        directory = key.directory(self._root)
        if not directory.is_dir():
            return []
        found = []
        for month_dir in directory.glob("month=*"):
            month = month_dir.name.partition("=")[2]
            if (month_dir / DATA_FILE).is_file():
                found.append((month, month_dir / DATA_FILE))
        return sorted(found)

    def _month_files(self, key: _Key, start_ms: int | None, end_ms: int | None) -> list[Path]:
        low = None if start_ms is None else _month(start_ms)
        high = None if end_ms is None else _month(end_ms)
        return [
            path
            for month, path in self._month_dirs(key)
            if (low is None or month >= low) and (high is None or month <= high)
        ]

    def _read_files(
        self, files: list[Path], start_ms: int | None, end_ms: int | None, columns: list[str]
    ) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.dataset as ds

        schema = _schema()
        ts_type = schema.field("ts").type
        condition = None
        if start_ms is not None:
            condition = ds.field("ts") >= pa.scalar(start_ms, type=ts_type)
        if end_ms is not None:
            upper = ds.field("ts") <= pa.scalar(end_ms, type=ts_type)
            condition = upper if condition is None else condition & upper
        try:
            # The schema is given, so no file is opened to infer it; the filter prunes row
            # groups by their ts statistics.
            dataset = ds.dataset([str(f) for f in files], schema=schema, format="parquet")
            table = dataset.to_table(columns=["ts", *columns], filter=condition)
        except (OSError, pa.ArrowException) as exc:
            raise CandleStoreError(
                f"cannot read the candle store under {self._root}: {exc}. A damaged month "
                "file can be deleted; the next update downloads it again while the exchange "
                "still serves it"
            ) from None
        table = table.sort_by("ts")
        frame = table.to_pandas()
        frame = frame.set_index("ts")
        frame.index = pd.DatetimeIndex(frame.index).as_unit("ms")
        return frame[columns].astype("float64")

    def _read_month(self, path: Path) -> pd.DataFrame:
        frame = self._read_files([path], None, None, list(COLUMNS))
        return frame

    def _manifest(self, key: _Key, *, rebuild: bool = True) -> _Manifest | None:
        """The series' bookkeeping; rebuilt from the data when the file is missing (data
        copied without it, or a first update stopped before writing it) and ``rebuild``."""
        path = key.directory(self._root) / MANIFEST_FILE
        try:
            return _Manifest.from_json(path.read_text())
        except FileNotFoundError:
            if not rebuild:
                return None
        except (ValueError, TypeError, KeyError) as exc:
            raise CandleStoreError(
                f"{path} is not a candle store's bookkeeping ({exc}); delete it and the next "
                "update rebuilds it from the stored bars"
            ) from None
        files = [path for _, path in self._month_dirs(key)]
        if not files:
            return None
        present = _ms_index(self._read_files(files, None, None, []))
        if not len(present):
            return None
        spec = INTERVALS[key.interval]
        first, last = int(present[0]), int(present[-1])
        gaps = _missing_runs(spec, present, first, last)
        return _Manifest(checked_from=first, checked_to=last, first=first, last=last, gaps=gaps)

    def _write_manifest(self, key: _Key, manifest: _Manifest) -> None:
        text = manifest.to_json().encode("utf-8")
        _replace_atomically(key.directory(self._root) / MANIFEST_FILE, lambda f: f.write(text))

    def _write_month(self, path: Path, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {c: frame[c].to_numpy(dtype="float64") for c in COLUMNS}
        ts = pa.array(_ms_index(frame), type=pa.int64()).cast(pa.timestamp("ms", tz="UTC"))
        table = pa.Table.from_pydict({"ts": ts, **columns}, schema=_schema())

        def write(handle: Any) -> None:
            with pq.ParquetWriter(handle, table.schema) as writer:
                for offset in range(0, max(table.num_rows, 1), ROW_GROUP_ROWS):
                    writer.write_table(table.slice(offset, ROW_GROUP_ROWS))

        _replace_atomically(path, write)

    def _merge(self, key: _Key, bars: pd.DataFrame) -> int:
        """Put closed ``bars`` into their month files; the number of bars that were new."""
        if bars.empty:
            return 0
        added = 0
        months = np.array([_month(int(t)) for t in _ms_index(bars)])
        for month in sorted(set(months)):
            part = bars[months == month]
            path = key.directory(self._root) / f"month={month}" / DATA_FILE
            if path.is_file():
                old = self._read_month(path)
                both = pd.concat([old, part])
                both = both[~both.index.duplicated(keep="last")].sort_index()
                added += len(both) - len(old)
            else:
                both, added = part.sort_index(), added + len(part)
            self._write_month(path, both)
        return added

    def _remove_stray_temps(self, key: _Key) -> None:
        # Called under the series lock: no other writer is in flight, so every temp file
        # is left over from an interrupted update.
        directory = key.directory(self._root)
        for temp in directory.glob(f"**/.*{_TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                temp.unlink()

    @contextlib.contextmanager
    def _locked(self, key: _Key) -> Iterator[None]:
        directory = key.directory(self._root)
        directory.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        with open(directory / _LOCK_FILE, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _summary(
        self, key: _Key, manifest: _Manifest | None, *, new_bars: int, requests: int
    ) -> pd.Series:
        import pyarrow.parquet as pq

        bars = 0
        for _, path in self._month_dirs(key):
            try:
                bars += pq.ParquetFile(path).metadata.num_rows
            except Exception as exc:  # pyarrow raises OSError or ArrowInvalid
                raise CandleStoreError(
                    f"cannot read {path}: {exc}. Delete it; the next update downloads it "
                    "again while the exchange still serves it"
                ) from None

        def stamp(ms: int | None) -> Any:
            return pd.NaT if ms is None else pd.Timestamp(ms, unit="ms", tz="UTC")

        first = manifest.first if manifest else None
        last = manifest.last if manifest else None
        return pd.Series(
            {
                "category": key.category,
                "symbol": key.symbol,
                "interval": key.interval,
                "new_bars": new_bars,
                "bars": bars,
                "first": stamp(first),
                "last": stamp(last),
                "missing_bars": sum(g.bars for g in manifest.gaps) if manifest else 0,
                "requests": requests,
                "server_time": stamp(manifest.server_time if manifest else None),
            },
            name=f"{key.category} {key.symbol} {key.interval}",
            dtype=object,
        )


class _Update:
    """One ``CandleStore.update``: downloads, keeps closed bars, writes after each range."""

    def __init__(
        self,
        store: CandleStore,
        key: _Key,
        spec: Interval,
        fetch: Callable[..., pd.DataFrame],
        progress: bool | None,
        manifest: _Manifest,
    ) -> None:
        self.store = store
        self.key = key
        self.spec = spec
        self._fetch = fetch
        self.progress = progress
        self.manifest = manifest
        self.new_bars = 0
        self.requests = 0

    def download(self, start_ms: int, end_ms: int | None) -> tuple[pd.DataFrame, np.ndarray, int]:
        """The closed bars opening in ``[start_ms, end_ms]``, their open times, and the
        server time of the download."""
        try:
            frame = self._fetch(
                category=self.key.category,
                symbol=self.key.symbol,
                interval=self.key.interval,
                startTime=start_ms,
                endTime=end_ms,
                progress=self.progress,
            )
        except ValidationError:
            self.requests += 1  # the client asked the server time, then refused the range
            raise
        # the client asks for the server time, then pages (bitget_nb.candles)
        self.requests += 1 + int(frame.attrs.get("envelope", {}).get("pages", 0))
        server_time = frame.attrs.get("server_time")
        if server_time is None:
            raise CandleStoreError(
                "client.get_candles did not say the exchange's time (attrs['server_time']), "
                "so the store cannot tell closed bars from the open one; use a BitgetClient "
                "of this version of bitget_nb"
            )
        server_time = int(server_time)
        last_closed = self.spec.previous(self.spec.floor(server_time))
        upto = last_closed if end_ms is None else min(end_ms, last_closed)
        ts = _ms_index(frame)
        keep = (ts >= start_ms) & (ts <= upto)
        bars = frame.loc[keep, list(COLUMNS)].astype("float64")
        bars.index = pd.DatetimeIndex(bars.index).as_unit("ms").rename("ts")
        self.manifest.server_time = max(self.manifest.server_time, server_time)
        return bars, ts[keep], server_time

    def _commit(self, bars: pd.DataFrame) -> None:
        # Data first, bookkeeping second: after a crash in between, the bookkeeping asks
        # for a little too much next time, which is merged away, never for too little.
        self.new_bars += self.store._merge(self.key, bars)
        self.store._write_manifest(self.key, self.manifest)

    def _found(self, gaps: list[_Gap], server_time: int) -> None:
        for gap in gaps:
            gap.found = gap.last_try = server_time
        self.manifest.gaps = sorted(self.manifest.gaps + gaps, key=lambda g: g.start)

    def tail(self, end_ms: int | None, start_ms: int | None) -> int:
        """Bars after the last one asked for; the number of closed bars downloaded."""
        m, spec = self.manifest, self.spec
        begin = spec.next(m.checked_to)
        try:
            bars, ts, server_time = self.download(begin, end_ms)
        except ValidationError:
            # What follows the stored bars is older than the exchange serves: start again at
            # ``start`` and keep the stretch in between as a gap (retried, then kept).
            if start_ms is None or start_ms <= begin or m.last is None:
                raise
            begin = max(start_ms, begin)
            bars, ts, server_time = self.download(begin, end_ms)
            m.checked_to = spec.previous(begin)
        upto = spec.previous(spec.floor(server_time))
        if end_ms is not None:
            upto = min(upto, spec.floor(end_ms))
        if len(ts):
            low = int(ts[0]) if m.last is None else spec.next(m.last)
            self._found(_missing_runs(spec, ts, low, int(ts[-1])), server_time)
            m.first = int(ts[0]) if m.first is None else m.first
            m.last = int(ts[-1])
        m.checked_to = max(m.checked_to, upto)
        self._commit(bars)
        return len(ts)

    def head(self, start_ms: int) -> None:
        """Bars before the first one asked for, from ``start_ms``."""
        m, spec = self.manifest, self.spec
        bars, ts, server_time = self.download(start_ms, m.checked_from - 1)
        if len(ts):
            high = int(ts[-1]) if m.first is None else spec.previous(m.first)
            self._found(_missing_runs(spec, ts, int(ts[0]), high), server_time)
            m.last = int(ts[-1]) if m.last is None else m.last
            m.first = int(ts[0])
        m.checked_from = start_ms
        self._commit(bars)

    def retry_gaps(self, *, force: bool) -> None:
        """Ask again for the recorded gaps that are due (all of them when ``force``)."""
        m = self.manifest
        pending = list(m.gaps)
        done: list[_Gap] = []
        for i, gap in enumerate(pending):
            due = gap.tries < GAP_RETRIES and gap.last_try < m.server_time
            if not (due or force):
                done.append(gap)
                continue
            try:
                bars, ts, server_time = self.download(gap.start, gap.end)
            except ValidationError:
                # Older than the exchange serves now: it stays a gap, never asked for again.
                gap.tries = max(gap.tries, GAP_RETRIES)
                done.append(gap)
                continue
            for rest in _missing_runs(self.spec, ts, gap.start, gap.end):
                rest.tries, rest.found, rest.last_try = gap.tries + 1, gap.found, server_time
                done.append(rest)
            m.gaps = sorted(done + pending[i + 1 :], key=lambda g: g.start)
            self._commit(bars)
        m.gaps = sorted(done, key=lambda g: g.start)
        self.store._write_manifest(self.key, m)
