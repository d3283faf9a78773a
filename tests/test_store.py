"""``bg.CandleStore``: a partitioned Parquet dataset of candles, updated from the local
exchange with only the requests that are needed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import requests

import bitget_nb as bg
from bitget_nb.exchange.market import MarketProcess
from bitget_nb.exchange.marketdata import Candle
from bitget_nb.intervals import INTERVALS
from bitget_nb.models import time_ms
from bitget_nb.store import (
    COLUMNS,
    DATA_FILE,
    GAP_RETRIES,
    MANIFEST_FILE,
    CandleStoreError,
    _Key,
    _missing_runs,
)

ROOT = Path(__file__).resolve().parents[1]
#: The exchange's time in these tests: 06:00 on 1 Nov; stores start from 05:00.
NOW = "2026-11-01T06:00:00Z"
SERIES = {"category": "SPOT", "symbol": "BTCUSDT", "interval": "1m"}
MINUTE = 60_000
CANDLE_PATHS = {"/api/v3/market/candles", "/api/v3/market/history-candles"}


def _bars(first: str, count: int, *, step: int = MINUTE, value: float = 0.0) -> pd.DataFrame:
    """``count`` bars from ``first`` in the shape ``client.get_candles`` returns."""
    start = time_ms(first, "first")
    ms = np.arange(start, start + count * step, step, dtype="int64")
    index = pd.DatetimeIndex(ms.view("M8[ms]"), name="ts").tz_localize("UTC")
    data = {c: np.arange(count, dtype="float64") + value for c in COLUMNS}
    return pd.DataFrame(data, index=index)


def _month_file(root: Path, month: str) -> Path:
    return _Key.of(**SERIES).directory(root) / f"month={month}" / DATA_FILE


class _Requests:
    """What a real ``requests.Session`` sent: each request's path and query, from its
    response hook (the client's whole stack runs; nothing of ours is replaced)."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.session.trust_env = False
        self.sent: list[tuple[str, dict[str, list[str]]]] = []
        self.session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        url = urlsplit(str(response.request.url))
        self.sent.append((url.path, parse_qs(url.query)))

    def candles(self) -> list[dict[str, list[str]]]:
        return [query for path, query in self.sent if path in CANDLE_PATHS]

    def clear(self) -> None:
        self.sent.clear()


class _HoleyMarket(MarketProcess):
    """The seeded market, except that it has no candles opening in ``hole`` (ms, inclusive)
    while ``hole`` is set: an exchange with an outage in its history."""

    hole: tuple[int, int] | None = None

    def candles(self, inst, interval, **kwargs) -> list[Candle]:  # type: ignore[override]
        out = super().candles(inst, interval, **kwargs)
        if self.hole is None:
            return out
        low, high = self.hole
        return [c for c in out if not low <= c.ts <= high]


@pytest.fixture
def exchange():
    with bg.LocalExchange(seed=7, start_time=NOW) as ex:
        yield ex


@pytest.fixture
def sent():
    counter = _Requests()
    yield counter
    counter.session.close()


@pytest.fixture
def client(exchange, sent):
    with bg.BitgetClient(
        **exchange.credentials, base_url=exchange.base_url, session=sent.session
    ) as c:
        yield c


@pytest.fixture
def store(tmp_path):
    return bg.CandleStore(tmp_path / "candles")


# -- on disk, without an exchange --------------------------------------------------------------


def test_bars_written_read_back_equal_with_the_candle_frame_dtypes(store):
    bars = _bars("2026-10-31T23:50:00Z", 20)  # across a month boundary
    assert store._merge(_Key.of(**SERIES), bars) == 20
    back = store.read(**SERIES)
    pd.testing.assert_frame_equal(back, bars)
    assert str(back.index.dtype) == "datetime64[ms, UTC]" and back.index.name == "ts"
    assert list(back.dtypes) == ["float64"] * 6
    assert back.attrs["interval"] == "1m" and back.attrs["gaps"] == []


def test_layout_is_hive_one_file_per_utc_month_of_the_open_time(store):
    store._merge(_Key.of(**SERIES), _bars("2026-10-31T23:58:00Z", 4))
    files = sorted(p.relative_to(store.path).as_posix() for p in store.path.rglob("*.parquet"))
    assert files == [
        "category=SPOT/symbol=BTCUSDT/interval=1m/month=2026-10/candles.parquet",
        "category=SPOT/symbol=BTCUSDT/interval=1m/month=2026-11/candles.parquet",
    ]
    schema = pq.read_schema(store.path / files[0])
    assert str(schema.field("ts").type) == "timestamp[ms, tz=UTC]"
    assert [str(schema.field(c).type) for c in COLUMNS] == ["double"] * 6


def test_pyarrow_dataset_and_pandas_read_the_root_as_it_is_with_partition_columns(store):
    key = _Key.of(**SERIES)
    store._merge(key, _bars("2026-10-31T23:58:00Z", 4))
    store._merge(_Key.of("USDT-FUTURES", "ETHUSDT", "1H"), _bars("2026-11-01", 3, step=3_600_000))
    # bookkeeping, a lock and a stray temporary file must all be invisible to readers
    (key.directory(store.path) / MANIFEST_FILE).write_text("{}")
    (key.directory(store.path) / ".lock").write_bytes(b"")
    (key.directory(store.path) / "month=2026-11" / ".candles.parquet.1234.tmp").write_bytes(
        b"PAR1 half a file"
    )
    table = ds.dataset(store.path, partitioning="hive").to_table()
    assert table.num_rows == 7
    assert set(table.column_names) >= {"ts", *COLUMNS, "category", "symbol", "interval", "month"}
    spot = ds.dataset(store.path, partitioning="hive").to_table(
        filter=(ds.field("symbol") == "BTCUSDT") & (ds.field("month") == "2026-11")
    )
    assert spot.num_rows == 2
    frame = pd.read_parquet(store.path)
    assert len(frame) == 7 and str(frame["ts"].dtype) == "datetime64[ms, UTC]"


def test_read_by_range_opens_only_the_month_files_of_the_range(store):
    store._merge(_Key.of(**SERIES), _bars("2026-10-31T23:00:00Z", 120))
    _month_file(store.path, "2026-10").write_bytes(b"not parquet at all")  # damaged October
    november = store.read(**SERIES, start="2026-11-01T00:10:00Z", end="2026-11-01T00:19:00Z")
    assert len(november) == 10
    assert november.index[0] == pd.Timestamp("2026-11-01T00:10:00Z")
    assert november.index[-1] == pd.Timestamp("2026-11-01T00:19:00Z")  # end is inclusive
    with pytest.raises(CandleStoreError, match="damaged month file can be deleted"):
        store.read(**SERIES, start="2026-10-31T23:30:00Z", end="2026-11-01T00:10:00Z")


def test_read_decodes_only_the_row_groups_of_the_range(store):
    store._merge(_Key.of(**SERIES), _bars("2026-11-01", 3 * 1440))  # three days, 1 group a day
    path = _month_file(store.path, "2026-11")
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    fragment = next(iter(ds.dataset([str(path)], format="parquet").get_fragments()))
    start, end = pd.Timestamp("2026-11-02T01:00:00Z"), pd.Timestamp("2026-11-02T02:00:00Z")
    wanted = (ds.field("ts") >= start) & (ds.field("ts") <= end)
    assert [f.row_groups[0].id for f in fragment.split_by_row_group(filter=wanted)] == [1]
    assert len(store.read(**SERIES, start=start, end=end)) == 61


def test_read_accepts_ms_datetimes_and_iso_strings_and_picks_columns(store):
    store._merge(_Key.of(**SERIES), _bars("2026-11-01", 30))
    by_ms = store.read(**SERIES, start=time_ms("2026-11-01T00:05:00Z", "s"), columns=["close"])
    by_time = store.read(
        **SERIES, start=pd.Timestamp("2026-11-01T01:05", tz="Europe/Paris"), columns=["close"]
    )
    by_text = store.read(**SERIES, start="2026-11-01T00:05:00", columns=["close"])  # UTC
    assert list(by_ms.columns) == ["close"] and len(by_ms) == 25
    pd.testing.assert_frame_equal(by_ms, by_time)
    pd.testing.assert_frame_equal(by_ms, by_text)
    with pytest.raises(bg.ValidationError, match="not candle columns"):
        store.read(**SERIES, columns=["price"])
    with pytest.raises(bg.ValidationError, match="end must not be before start"):
        store.read(**SERIES, start="2026-11-02", end="2026-11-01")


def test_a_series_never_stored_reads_as_an_empty_frame_with_the_candle_dtypes(store):
    empty = store.read(category="SPOT", symbol="ETHUSDT", interval="5m")
    assert empty.empty and list(empty.columns) == list(COLUMNS)
    assert str(empty.index.dtype) == "datetime64[ms, UTC]" and empty.index.name == "ts"
    assert list(empty.dtypes) == ["float64"] * 6
    assert store.series().empty and list(store.series().columns) == [
        "category", "symbol", "interval", "first", "last", "bars", "missing_bars",
    ]  # fmt: skip


def test_bad_series_names_are_refused_before_anything_is_touched(store, tmp_path):
    with pytest.raises(bg.ValidationError, match="category must be one of"):
        store.read(category="spot", symbol="BTCUSDT", interval="1m")
    with pytest.raises(bg.ValidationError, match="interval must be one of"):
        store.read(category="SPOT", symbol="BTCUSDT", interval="1min")
    with pytest.raises(bg.ValidationError, match="not a symbol name"):
        store.read(category="SPOT", symbol="../BTCUSDT", interval="1m")
    assert not store.path.exists()


def test_gaps_are_runs_of_missing_open_times_also_for_calendar_months():
    month = INTERVALS["1Mutc"]
    starts = month.starts(time_ms("2026-01-01", "t"), time_ms("2026-12-31", "t"))
    present = np.array([starts[0], starts[1], starts[4], starts[11]], dtype="int64")
    runs = _missing_runs(month, present, starts[0], starts[11])
    assert [(r.start, r.end, r.bars) for r in runs] == [
        (starts[2], starts[3], 2),
        (starts[5], starts[10], 6),
    ]
    assert _missing_runs(INTERVALS["1m"], np.array([0, 60_000]), 0, 60_000) == []


def test_a_writer_that_fails_half_way_leaves_the_old_month_file_and_no_temporary(
    store, monkeypatch
):
    key = _Key.of(**SERIES)
    old = _bars("2026-11-01", 3000)  # three row groups
    store._merge(key, old)
    written = []

    def fail_after_one_group(self, table, *args, **kwargs):
        if written:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the file
        written.append(table.num_rows)
        return original(self, table, *args, **kwargs)

    original = pq.ParquetWriter.write_table
    monkeypatch.setattr(pq.ParquetWriter, "write_table", fail_after_one_group)
    with pytest.raises(KeyboardInterrupt):
        store._merge(key, _bars("2026-11-01", 4000, value=100.0))
    monkeypatch.undo()
    assert written == [1440]  # the new file was half written when it stopped
    pd.testing.assert_frame_equal(store.read(**SERIES), old)
    assert list(store.path.rglob(".*.tmp")) == []


def test_bookkeeping_lost_is_rebuilt_from_the_stored_bars_with_their_gaps(store):
    key = _Key.of(**SERIES)
    store._merge(key, pd.concat([_bars("2026-11-01", 10), _bars("2026-11-01T00:15:00Z", 5)]))
    gaps = store.gaps(**SERIES)
    assert gaps[["start", "end"]].astype(str).values.tolist() == [
        ["2026-11-01 00:10:00+00:00", "2026-11-01 00:14:00+00:00"]
    ]
    assert gaps["bars"].tolist() == [5]
    listed = store.series()
    assert listed[["bars", "missing_bars"]].values.tolist() == [[15, 5]]
    assert "series=1" in repr(store)


def test_damaged_bookkeeping_says_which_file_and_what_to_do(store):
    key = _Key.of(**SERIES)
    store._merge(key, _bars("2026-11-01", 3))
    (key.directory(store.path) / MANIFEST_FILE).write_text("{ not json")
    with pytest.raises(CandleStoreError, match=r"_series\.json .*delete it"):
        store.gaps(**SERIES)


# -- updates from the local exchange ---------------------------------------------------------


def test_first_update_stores_the_closed_bars_from_start_and_never_the_open_one(
    store, client, exchange
):
    summary = store.update(client, **SERIES, start="2026-11-01T05:00:00Z")
    stored = store.read(**SERIES)
    assert len(stored) == 60 and int(summary["new_bars"]) == 60
    assert stored.index[-1] == pd.Timestamp("2026-11-01T05:59:00Z")  # 06:00 is still open
    assert summary["last"] == pd.Timestamp("2026-11-01T05:59:00Z")
    assert summary["server_time"] == pd.Timestamp(NOW)
    same = client.get_candles(**SERIES, startTime="2026-11-01T05:00:00Z", endTime=NOW)
    pd.testing.assert_frame_equal(stored, same.iloc[:-1], check_freq=False)
    listed = store.series()
    assert listed.to_dict("records") == [
        {
            "category": "SPOT", "symbol": "BTCUSDT", "interval": "1m",
            "first": pd.Timestamp("2026-11-01T05:00:00Z"),
            "last": pd.Timestamp("2026-11-01T05:59:00Z"), "bars": 60, "missing_bars": 0,
        }
    ]  # fmt: skip
    assert str(listed["first"].dtype) == "datetime64[ms, UTC]"
    assert repr(store) == f"CandleStore({str(store.path)!r}, series=1)"


def test_update_after_the_last_bar_asks_only_for_the_new_bars(store, client, exchange, sent):
    store.update(client, **SERIES, start="2026-11-01T05:00:00Z")
    exchange.advance(minutes=5)
    sent.clear()
    summary = store.update(client, **SERIES)
    asked = sent.candles()
    assert asked and min(int(q["startTime"][0]) for q in asked) == time_ms(NOW, "t")
    assert int(summary["new_bars"]) == 5 and int(summary["bars"]) == 65
    assert int(summary["requests"]) == len(sent.sent) == 3  # our time, the download's, a page
    assert store.read(**SERIES).index[-1] == pd.Timestamp("2026-11-01T06:04:00Z")


def test_an_update_whose_end_is_already_stored_makes_no_request(store, client, exchange, sent):
    store.update(client, **SERIES, start="2026-11-01T05:00:00Z", end="2026-11-01T05:30:00Z")
    exchange.advance(hours=1)
    sent.clear()
    again = store.update(client, **SERIES, start="2026-11-01T05:00:00Z", end="2026-11-01T05:30:00Z")
    assert sent.sent == [] and int(again["new_bars"]) == 0 and int(again["requests"]) == 0
    assert int(again["bars"]) == 31  # 05:00 … 05:30, end inclusive


def test_an_update_to_now_with_nothing_closed_since_asks_only_the_server_time(
    store, client, exchange, sent
):
    store.update(client, **SERIES, start="2026-11-01T05:00:00Z")
    exchange.advance(seconds=59)  # 06:00 is still open
    sent.clear()
    again = store.update(client, **SERIES, start="2026-11-01T05:00:00Z")
    assert [path for path, _ in sent.sent] == ["/api/v2/public/time"]
    assert int(again["new_bars"]) == 0 and int(again["requests"]) == 1


def test_the_open_bar_is_stored_once_it_has_closed(store, client, exchange):
    store.update(client, **SERIES, start="2026-11-01T05:00:00Z")
    exchange.advance(seconds=30)  # 06:00 still open
    assert int(store.update(client, **SERIES)["new_bars"]) == 0
    exchange.advance(minutes=5)
    store.update(client, **SERIES)
    stored = store.read(**SERIES, start="2026-11-01T06:00:00Z")
    assert len(stored) == 5  # 06:00 … 06:04 closed; 06:05 open
    final = client.get_candles(**SERIES, startTime="2026-11-01T06:00:00Z", endTime=NOW)
    pd.testing.assert_frame_equal(stored.iloc[:1], final, check_freq=False)  # now complete


def test_a_start_before_the_first_stored_bar_fetches_only_the_missing_head(
    store, client, exchange, sent
):
    store.update(client, **SERIES, start="2026-11-01T05:00:00Z")
    sent.clear()
    summary = store.update(client, **SERIES, start="2026-11-01T04:00:00Z")
    heads = [q for q in sent.candles() if q.get("endTime")]
    assert heads and int(heads[-1]["endTime"][0]) < time_ms("2026-11-01T05:00:00Z", "t")
    assert int(summary["new_bars"]) == 60 and int(summary["bars"]) == 120
    assert summary["first"] == pd.Timestamp("2026-11-01T04:00:00Z")
    assert store.gaps(**SERIES).empty


def test_rerunning_a_notebook_makes_no_candle_request_for_data_already_stored(
    store, client, exchange, sent
):
    cell = {"start": "2026-11-01T04:00:00Z", "end": "2026-11-01T05:00:00Z"}
    store.update(client, **SERIES, **cell)
    for _ in range(3):
        sent.clear()
        store.update(client, **SERIES, **cell)
        assert sent.sent == []


def test_the_first_update_of_a_series_needs_a_start(store, client):
    with pytest.raises(bg.ValidationError, match="give start="):
        store.update(client, **SERIES)


def test_mark_and_index_candles_are_refused_with_what_to_do_instead(store, client, sent):
    with pytest.raises(bg.ValidationError, match=r"market .* candles only"):
        store.update(client, **SERIES, start="2026-11-01T05:00:00Z", type="mark")
    assert sent.sent == []


def test_progress_is_handed_to_the_download(store, client, capsys):
    store.update(client, **SERIES, start="2026-11-01T05:00:00Z", end="2026-11-01T05:10:00Z")
    assert "get_candles" not in capsys.readouterr().err  # short: quiet by default
    store.update(client, **SERIES, start="2026-11-01T04:00:00Z", progress=True)
    assert "get_candles" in capsys.readouterr().err


def test_a_start_older_than_the_exchange_serves_is_refused_with_the_earliest_start(store, client):
    with pytest.raises(bg.ValidationError, match="the earliest start is"):
        store.update(client, **SERIES, start="2026-07-01")
    assert store.series().empty


def test_bars_after_the_stored_ones_no_longer_served_are_kept_as_a_gap(
    store, client, exchange, sent
):
    store.update(client, **SERIES, start="2026-11-01T05:00:00Z", end="2026-11-01T05:59:00Z")
    exchange.advance(days=100)  # 1-minute bars reach back 90 days
    summary = store.update(client, **SERIES, start="2027-02-09T05:00:00Z")
    assert summary["last"] == pd.Timestamp("2027-02-09T05:59:00Z")
    gap = store.gaps(**SERIES)
    assert gap["start"].tolist() == [pd.Timestamp("2026-11-01T06:00:00Z")]
    assert gap["end"].tolist() == [pd.Timestamp("2027-02-09T04:59:00Z")]
    exchange.advance(minutes=5)
    sent.clear()
    again = store.update(client, **SERIES)  # asks for it, hears it is too old: never again
    assert int(again["requests"]) == len(sent.sent)
    assert store.gaps(**SERIES)["tries"].tolist() == [GAP_RETRIES]
    assert int(store.series()["bars"].iloc[0]) == 60 + 60 + 5


def _holey_exchange(hole: tuple[str, str]) -> tuple[bg.LocalExchange, _HoleyMarket]:
    from bitget_nb.exchange.instruments import Catalogue

    market = _HoleyMarket(seed=7, catalogue=Catalogue.bundled())
    market.hole = (time_ms(hole[0], "t"), time_ms(hole[1], "t"))
    return bg.LocalExchange(seed=7, start_time=NOW, market=market), market


def test_a_gap_the_exchange_has_is_recorded_and_filled_once_the_exchange_has_it(store, sent):
    ex, market = _holey_exchange(("2026-11-01T05:10:00Z", "2026-11-01T05:14:00Z"))
    with ex, bg.BitgetClient(**ex.credentials, base_url=ex.base_url, session=sent.session) as c:
        with pytest.warns(bg.CandleGapWarning, match="5 bars missing") as warned:
            first = store.update(c, **SERIES, start="2026-11-01T05:00:00Z")
        assert warned[0].filename == __file__  # the client says so, at the line of the update
        assert int(first["new_bars"]) == 55 and int(first["missing_bars"]) == 5
        gaps = store.gaps(**SERIES)
        assert gaps[["start", "end"]].astype(str).values.tolist() == [
            ["2026-11-01 05:10:00+00:00", "2026-11-01 05:14:00+00:00"]
        ]
        assert bg.candles.gaps(store.read(**SERIES))["bars"].tolist() == [5]
        market.hole = None  # the exchange repaired its history
        ex.advance(minutes=2)
        sent.clear()
        later = store.update(c, **SERIES)
        asked = [int(q["startTime"][0]) for q in sent.candles()]
        assert time_ms("2026-11-01T05:10:00Z", "t") in asked
        assert int(later["new_bars"]) == 2 + 5 and int(later["missing_bars"]) == 0
        assert store.gaps(**SERIES).empty
        assert len(store.read(**SERIES)) == 62


def test_a_gap_the_exchange_never_fills_is_asked_for_a_few_times_then_kept(store, sent):
    ex, _ = _holey_exchange(("2026-11-01T05:10:00Z", "2026-11-01T05:14:00Z"))
    gap_start = str(time_ms("2026-11-01T05:10:00Z", "t"))
    with ex, bg.BitgetClient(**ex.credentials, base_url=ex.base_url, session=sent.session) as c:
        with pytest.warns(bg.CandleGapWarning):
            store.update(c, **SERIES, start="2026-11-01T05:00:00Z")
        tries = []
        for _ in range(GAP_RETRIES + 2):
            ex.advance(minutes=1)
            sent.clear()
            store.update(c, **SERIES)
            tries.append(sum(q["startTime"] == [gap_start] for q in sent.candles()))
        assert tries == [1] * GAP_RETRIES + [0, 0]
        assert store.gaps(**SERIES)["tries"].tolist() == [GAP_RETRIES]
        sent.clear()
        store.update(c, **SERIES, retry_gaps=True)  # asked for on demand
        assert sum(q["startTime"] == [gap_start] for q in sent.candles()) == 1
        assert int(store.series()["missing_bars"].iloc[0]) == 5


_KILL_MID_WRITE = """
import sys, time
import pyarrow.parquet as pq
import bitget_nb as bg

original = pq.ParquetWriter.write_table
def write_then_hang(self, table, *args, **kwargs):
    original(self, table, *args, **kwargs)
    print("half written", flush=True)
    time.sleep(600)  # killed here, the month file half written
pq.ParquetWriter.write_table = write_then_hang

base_url, key, secret, passphrase, root = sys.argv[1:]
client = bg.BitgetClient(api_key=key, api_secret=secret, api_pass=passphrase, base_url=base_url)
bg.CandleStore(root).update(client, category="SPOT", symbol="BTCUSDT", interval="1m")
"""


def test_an_update_killed_mid_write_leaves_the_old_data_readable(store, client, exchange):
    store.update(client, **SERIES, start="2026-11-01T05:00:00Z")
    before = store.read(**SERIES)
    exchange.advance(days=2)  # three row groups of new bars to write
    creds = exchange.credentials
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [exchange.base_url, creds["api_key"], creds["api_secret"], creds["api_pass"]]
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_KILL_MID_WRITE), *argv, str(store.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "half written", process.stderr.read() if process.stderr else ""
        strays = list(store.path.rglob(".*.tmp"))
        assert len(strays) == 1 and strays[0].stat().st_size > 0
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    pd.testing.assert_frame_equal(store.read(**SERIES), before)
    assert ds.dataset(store.path, partitioning="hive").to_table().num_rows == len(before)
    summary = store.update(client, **SERIES)  # carries on, and removes the stray file
    assert int(summary["new_bars"]) == 2 * 1440
    assert list(store.path.rglob(".*.tmp")) == []
