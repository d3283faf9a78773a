"""Every frame and Series the client returns saves to Parquet and CSV and reads back the same.

The real client against the real local exchange over HTTP: an account with open, filled and
cancelled spot orders, a futures position with TP/SL, a closed position, a lead account with
a lead position; then every endpoint method whose result is a pandas object.
"""

from __future__ import annotations

import ast
import io
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.api.types import is_object_dtype

import bitget_nb as bg
from bitget_nb import frames
from bitget_nb.endpoints import ENDPOINTS, Shape

START = "2026-01-05T00:00:00Z"
SPOT = {"category": "SPOT", "symbol": "BTCUSDT"}
FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}


@pytest.fixture(scope="module")
def account():
    """A client on an account with something in every list, and the results of its writes."""
    with (
        bg.LocalExchange(seed=7, start_time=START) as ex,
        bg.BitgetClient(**ex.credentials, base_url=ex.base_url) as c,
    ):
        writes: dict[str, Any] = {}
        c.get_instruments(category="SPOT")
        limit = {**SPOT, "side": "buy", "orderType": "limit", "qty": "0.001"}
        writes["submit_new_order"] = c.submit_new_order(**limit, price="60000", clientOid="s-1")
        writes["modify_order"] = c.modify_order(clientOid="s-1", price="60100")
        c.submit_new_order(**SPOT, side="buy", orderType="market", qty="100")  # quote-sized
        c.submit_new_order(**SPOT, side="sell", orderType="market", qty="0.002")
        writes["place_batch_orders"] = c.place_batch_orders(
            [{**limit, "price": "59000", "clientOid": "b-1"},
             {**limit, "price": "58000", "clientOid": "b-2"},
             {**limit, "side": "sell", "qty": "50", "price": "90000", "clientOid": "b-3"}]
        )  # fmt: skip
        writes["batch_modify_orders"] = c.batch_modify_orders(
            [{"clientOid": "b-1", "category": "SPOT", "symbol": "BTCUSDT", "price": "59100"}]
        )
        writes["cancel_order"] = c.cancel_order(category="SPOT", clientOid="b-2")
        writes["cancel_batch_orders"] = c.cancel_batch_orders([{**SPOT, "clientOid": "b-1"}])
        c.submit_new_order(**limit, price="57000", clientOid="s-2")
        writes["cancel_all_orders"] = c.cancel_all_orders(category="SPOT", symbol="ETHUSDT")
        # a lead account first, so that the futures position below is a lead position
        writes["copy_futures_transfer"] = c.copy_futures_transfer(type="in", coin="USDT",
                                                                  amount="1000")  # fmt: skip
        c.set_leverage(**FUT, leverage="20")
        eth = {"category": "USDT-FUTURES", "symbol": "ETHUSDT"}
        c.submit_new_order(**eth, side="buy", orderType="market", qty="0.1")
        ex.advance(minutes=30)
        writes["close_all_positions"] = c.close_all_positions(**eth)
        c.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
        c.submit_new_order(**FUT, side="buy", orderType="limit", qty="0.01", price="50000",
                           takeProfit="90000", stopLoss="40000")  # fmt: skip
        writes["submit_strategy_order"] = c.submit_strategy_order(
            **FUT, posSide="long", tpslMode="partial", qty="0.01", stopLoss="55000",
            clientOid="sl-1",
        )  # fmt: skip
        writes["modify_strategy_order"] = c.modify_strategy_order(
            clientOid="sl-1", qty="0.01", stopLoss="56000"
        )
        writes["cancel_strategy_order"] = c.cancel_strategy_order(clientOid="sl-1")
        c.submit_strategy_order(**FUT, posSide="long", tpslMode="full", takeProfit="99000")
        yield c, writes


#: Every read of the endpoint table that gives a pandas object, with its parameters.
READS: dict[str, dict[str, Any]] = {
    "get_server_time": {},
    "get_server_time_v3": {},
    "get_market_time": {},
    "get_instruments": {"category": "USDT-FUTURES"},
    "get_tickers": {"category": "USDT-FUTURES"},
    "get_orderbook": {**SPOT, "limit": 5},
    "get_candles": {**SPOT, "interval": "1H", "limit": 24},
    "get_history_candles": {**SPOT, "interval": "1D", "limit": 5},
    "get_fills": {**SPOT, "limit": 5},
    "get_spot_coin_info": {},
    "get_current_funding_rate": {"category": "USDT-FUTURES"},
    "get_history_funding_rate": {**FUT, "startTime": "2025-12-05T00:00:00Z"},
    "get_open_interest": {"category": "USDT-FUTURES"},
    "get_position_tier": FUT,
    "get_financial_records": {"category": "USDT-FUTURES"},
    "get_balances": {},
    "get_account_settings": {},
    "get_account_info": {},
    "get_fee_rate": SPOT,
    "get_all_fee_rates": {"category": "USDT-FUTURES"},
    "get_max_transferable": {"coin": "USDT"},
    "get_order_info": {"clientOid": "s-1"},
    "get_unfilled_orders": {},
    "get_history_orders": {"category": "SPOT"},
    "get_trade_fills": {},
    "get_unfilled_strategy_orders": {"category": "USDT-FUTURES"},
    "get_history_strategy_orders": {"category": "USDT-FUTURES"},
    "get_current_position": {"category": "USDT-FUTURES"},
    "get_position_history": {"category": "USDT-FUTURES"},
    "get_copy_futures_trading_pairs": {},
    "get_copy_futures_position_summary": {},
    "get_copy_futures_max_transferable": {"coin": "USDT"},
    "get_copy_futures_transfer_records": {},
    "get_copy_futures_current_followers": {},
    "get_copy_futures_history_followers": {},
    "get_copy_futures_profit_summary": {},
    "get_copy_futures_profit_details": {},
}
WRITES = (
    "submit_new_order", "modify_order", "place_batch_orders", "batch_modify_orders",
    "cancel_order", "cancel_batch_orders", "cancel_all_orders", "close_all_positions",
    "submit_strategy_order", "modify_strategy_order", "cancel_strategy_order",
    "copy_futures_transfer",
)  # fmt: skip


def test_every_endpoint_that_gives_a_pandas_object_is_saved_here():
    pandas_results = {name for name, ep in ENDPOINTS.items() if ep.shape is not Shape.STRING}
    assert pandas_results == set(READS) | set(WRITES)


def _missing(value: Any) -> bool:
    return np.ndim(value) == 0 and bool(pd.isna(value))


def _same(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if np.ndim(a) or np.ndim(b):  # nested lists come back from Parquet as arrays
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _same_attrs(a: dict, b: dict) -> bool:
    # JSON text compares NaN with NaN (the account totals may hold one)
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _parquet(frame: pd.DataFrame) -> pd.DataFrame:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return pd.read_parquet(io.BytesIO(buffer.getvalue()))


def _nested(text: Any) -> Any:
    """A nested list as CSV wrote it (its Python text), read back."""
    if isinstance(text, str) and text[:1] in "[{":
        return ast.literal_eval(text)
    return text


def _csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``to_csv`` and back, with the frame's own dtypes given to ``read_csv``."""
    indexed = not isinstance(frame.index, pd.RangeIndex)
    text = frame.to_csv(index=indexed)
    times = [c for c, t in frame.dtypes.items() if isinstance(t, pd.DatetimeTZDtype)]
    dtypes = {c: t for c, t in frame.dtypes.items() if c not in times}
    back = pd.read_csv(
        io.StringIO(text),
        dtype={c: (str if is_object_dtype(t) else t) for c, t in dtypes.items()},
        parse_dates=times + ([frame.index.name] if indexed else []),
        index_col=0 if indexed else None,
    )
    for name in times:
        back[name] = pd.to_datetime(back[name], utc=True).astype("datetime64[ms, UTC]")
    if indexed:
        back.index = pd.to_datetime(back.index, utc=True).astype("datetime64[ms, UTC]")
    for name, dtype in dtypes.items():
        if is_object_dtype(dtype):
            back[name] = back[name].map(_nested).astype(object)
    return back


def _check_frame(frame: pd.DataFrame) -> None:
    back = _parquet(frame)
    pd.testing.assert_frame_equal(back, frame)
    assert _same_attrs(back.attrs, frame.attrs)
    csv = _csv_frame(frame)
    pd.testing.assert_index_equal(csv.columns, frame.columns)
    pd.testing.assert_index_equal(csv.index, frame.index, exact=False)
    for name in frame.columns:
        if is_object_dtype(frame.dtypes[name]):
            assert all(_same(a, b) for a, b in zip(csv[name], frame[name], strict=True)), name
        else:
            pd.testing.assert_series_equal(csv[name], frame[name], check_index_type=False)


def _text_value(text: str, kind: str) -> Any:
    """A value of a record as ``Series.to_csv`` wrote it, read back by the column's kind."""
    if text == "":
        return np.nan
    if kind == "float":
        return float(text)
    if kind == "int":
        return int(float(text))
    if kind == "bool":
        return {"True": True, "False": False}[text]
    if kind == "time":
        return pd.Timestamp(text)
    return _nested(text)


def _check_series(series: pd.Series, schema: str | None) -> None:
    # a record saves to Parquet as a one-row frame, and reads back with .iloc[0]
    row = series.to_frame().T
    back = _parquet(row)
    assert _same_attrs(back.attrs, series.attrs)
    again = back.iloc[0]
    assert list(again.index) == list(series.index)
    assert all(_same(again[k], series[k]) for k in series.index), series.compare(again)
    if not is_object_dtype(series.dtype):
        assert again.dtype == series.dtype
    # and to CSV as label,value lines
    text = series.to_csv()
    lines = pd.read_csv(io.StringIO(text), index_col=0, dtype=str, keep_default_na=False)
    kinds = frames.SCHEMAS.get(schema or "", {})
    for label, value in series.items():
        read = _text_value(lines.loc[label].iloc[0], kinds.get(str(label), "object"))
        assert _same(read, value), (label, read, value)


def _check(result: Any, name: str) -> None:
    assert isinstance(result, pd.DataFrame | pd.Series), (name, type(result))
    assert result.attrs["envelope"]["endpoint"] == name
    json.dumps(result.attrs)  # every attr is JSON: nothing raw rides along
    if isinstance(result, pd.Series):
        endpoint = ENDPOINTS[name]
        server_time = endpoint.shape is Shape.SERVER_TIME
        _check_series(result, "server_time" if server_time else endpoint.schema)
    else:
        _check_frame(result)


@pytest.mark.parametrize("name", sorted(READS))
def test_every_read_saves_to_parquet_and_csv_and_reads_back_the_same(account, name):
    client, _ = account
    result = getattr(client, name)(**READS[name])
    if name not in ("get_copy_futures_current_followers", "get_copy_futures_history_followers",
                    "get_copy_futures_profit_details"):  # fmt: skip
        assert len(result), f"{name} gave nothing to save"  # nobody follows a paper lead
    _check(result, name)


@pytest.mark.parametrize("name", WRITES)
def test_every_write_result_saves_to_parquet_and_csv_and_reads_back_the_same(account, name):
    _, writes = account
    _check(writes[name], name)


def test_paged_frames_keep_metadata_not_pages(account):
    client, _ = account
    history = client.get_history_orders(category="SPOT", limit=2)
    meta = history.attrs["envelope"]
    assert len(history) == 4 and meta["pages"] == 2  # two market orders, two cancelled
    assert meta["cursor"] is None and meta["code"] == "00000"
    assert meta["path"] == "/api/v3/trade/history-orders"
    assert isinstance(meta["requestTime"], int) and "data" not in meta
    assert len(json.dumps(history.attrs)) < 300  # metadata, whatever the number of pages
    capped = client.get_history_orders(category="SPOT", limit=2, max_rows=2)
    assert len(capped) == 2 and capped.attrs["envelope"]["pages"] == 1
    assert capped.attrs["envelope"]["cursor"] == capped["orderId"].iloc[-1]  # more to read


def test_the_values_that_do_not_apply_read_as_missing(account):
    client, _ = account
    history = client.get_history_orders(category="SPOT").set_index("clientOid")
    cancelled = history[history["orderStatus"] == "cancelled"]
    assert cancelled["avgPrice"].isna().all()  # "0" on the wire: never filled
    market = history[history["orderType"] == "market"]
    assert market["price"].isna().all() and market["avgPrice"].notna().all()
    quote_buy = market[market["side"] == "buy"].iloc[0]
    assert pd.isna(quote_buy["qty"]) and quote_buy["amount"] == 100
    position = client.get_current_position(**FUT).iloc[0]
    assert position["leverage"] == 20 and isinstance(position["leverage"], int | np.integer)
    assert pd.isna(position["liquidationPrice"])  # a fresh 20× long of a funded account
    lead = client.get_copy_futures_position_summary().iloc[0]
    assert pd.isna(lead["liquidationPrice"]) and lead["marginMode"] == "crossed"
    full = client.get_unfilled_strategy_orders(category="USDT-FUTURES")
    assert full.loc[full["tpslMode"] == "full", "qty"].isna().all()
    instruments = client.get_instruments(category="SPOT")
    assert str(instruments.dtypes["pricePrecision"]) == "Int64"
    assert not math.isnan(instruments["pricePrecision"].iloc[0])
