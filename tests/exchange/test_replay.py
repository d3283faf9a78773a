"""Replay: recorded candles drive the local exchange — the round trip, no look-ahead, limits
that fill only when reached, TP/SL resolved by the intrabar path, market fills within range
(bitget_nb.exchange.replay). The real client talks to the real exchange over HTTP."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bitget_nb as bg
from bitget_nb.exchange import LocalExchange, Replay

from .wire import START_MS

MIN = 60_000
SPOT = {"category": "SPOT", "symbol": "BTCUSDT"}
PERP = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}


def _bars(rows: list[tuple[float, float, float, float]], start_ms: int = START_MS) -> pd.DataFrame:
    index = pd.DatetimeIndex(
        pd.to_datetime([start_ms + i * MIN for i in range(len(rows))], unit="ms", utc=True),
        name="ts",
    ).as_unit("ms")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)
    frame["volume"] = 10.0
    frame["turnover"] = frame["close"] * 10.0
    frame.attrs["interval"] = "1m"
    return frame


def _client(ex: LocalExchange) -> bg.BitgetClient:
    return bg.BitgetClient(**ex.credentials, base_url=ex.base_url)


@pytest.fixture(scope="module")
def recorded() -> pd.DataFrame:
    """Three hours of 1m spot bars recorded from the synthetic local exchange."""
    with LocalExchange(start_time=START_MS + 3 * 3_600_000, rate_limits=False) as ex:
        frame = _client(ex).get_candles(
            **SPOT, interval="1m", startTime=START_MS, endTime=START_MS + 3 * 3_600_000 - MIN
        )
    assert len(frame) == 180
    return frame


def test_the_replaying_exchange_serves_exactly_the_recorded_bars_and_never_one_from_the_future(
    recorded: pd.DataFrame,
) -> None:
    with LocalExchange(market=Replay(recorded, **SPOT), rate_limits=False) as ex:
        client = _client(ex)
        assert ex.now_ms() == START_MS
        for step in range(len(recorded) + 1):
            now = pd.Timestamp(ex.now_ms(), unit="ms", tz="UTC")
            served = client.get_candles(**SPOT, interval="1m", limit=1000)
            closed = recorded[recorded.index + pd.Timedelta(minutes=1) <= now]
            assert len(served) == step == len(closed)
            pd.testing.assert_frame_equal(
                served[list(recorded.columns)], closed, check_freq=False, check_names=False
            )
            ex.advance(bars=1)


def test_coarser_candles_are_aggregated_from_the_recorded_ones_once_closed(
    recorded: pd.DataFrame,
) -> None:
    replay = Replay(recorded, **SPOT)
    with LocalExchange(market=replay, rate_limits=False) as ex:
        client = _client(ex)
        ex.advance(minutes=17)
        served = client.get_candles(**SPOT, interval="5m")
        assert len(served) == 3 and served.index[-1] == pd.Timestamp(
            START_MS + 10 * MIN, unit="ms", tz="UTC"
        )
        ex.advance(minutes=163)
        served = client.get_candles(**SPOT, interval="5m", limit=1000)
    expected = recorded.resample("5min").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum",
         "turnover": "sum"}
    )  # fmt: skip
    assert len(served) == 36
    np.testing.assert_allclose(
        served[["open", "high", "low", "close"]], expected[["open", "high", "low", "close"]]
    )
    np.testing.assert_allclose(served["volume"], expected["volume"], rtol=1e-9)
    coarse = Replay(recorded.iloc[::5], **SPOT, interval="5m")
    with (
        LocalExchange(market=coarse) as ex,
        pytest.raises(bg.BitgetAPIError, match="1m cannot be made from the recorded 5m bars"),
    ):
        _client(ex).get_candles(**SPOT, interval="1m")


def test_the_ticker_shows_the_path_price_now_not_the_bar_close() -> None:
    bars = _bars([(60000, 60300, 59600, 60100)])
    with LocalExchange(market=Replay(bars, **SPOT), rate_limits=False) as ex:
        client = _client(ex)
        assert client.get_tickers(**SPOT)["lastPrice"].iloc[0] == 60000  # the open
        ex.advance(seconds=20)  # the nearer extreme (the high: 300 away, the low 400)
        assert client.get_tickers(**SPOT)["lastPrice"].iloc[0] == 60300
        ex.advance(seconds=20)
        assert client.get_tickers(**SPOT)["lastPrice"].iloc[0] == 59600
        ex.advance(seconds=19)
        assert client.get_tickers(**SPOT)["lastPrice"].iloc[0] == 60100


def test_limits_inside_a_bars_range_fill_and_outside_never_fill() -> None:
    bars = _bars([(60000, 60000, 60000, 60000), (60000, 60100, 59800, 60050),
                  (60050, 60080, 59950, 60000)])  # fmt: skip
    with LocalExchange(market=Replay(bars, **SPOT), rate_limits=False) as ex:
        client = _client(ex)

        def limit(side: str, price: str) -> str:
            ack = client.submit_new_order(**SPOT, side=side, orderType="limit", qty="0.01",
                                          price=price)  # fmt: skip
            return str(ack["orderId"])

        inside_buy, outside_buy = limit("buy", "59900"), limit("buy", "59700")
        inside_sell, outside_sell = limit("sell", "60090"), limit("sell", "60200")
        ex.advance(bars=1)
        for oid in (inside_buy, outside_buy, inside_sell, outside_sell):
            assert client.get_order_info(orderId=oid)["orderStatus"] == "live"
        ex.advance(bars=2)
        status = {o: client.get_order_info(orderId=o)["orderStatus"]
                  for o in (inside_buy, outside_buy, inside_sell, outside_sell)}  # fmt: skip
        assert status == {inside_buy: "filled", outside_buy: "live", inside_sell: "filled",
                          outside_sell: "live"}  # fmt: skip
        fills = client.get_trade_fills(category="SPOT")
        assert sorted(fills["execPrice"]) == [59900.0, 60090.0]
        bar = pd.Timestamp(START_MS + MIN, unit="ms", tz="UTC")
        assert (fills["createdTime"] >= bar).all() and (
            fills["createdTime"] < bar + pd.Timedelta(minutes=1)
        ).all()
        ex.advance(hours=1)  # past the end of the recording the price stays at the last close
        assert client.get_order_info(orderId=outside_buy)["orderStatus"] == "live"


@pytest.mark.parametrize(("path", "leg"), [("nearer_first", "tp"), ("low_first", "sl")])
def test_a_take_profit_and_a_stop_loss_reached_in_one_bar_resolve_by_the_path(
    path: str, leg: str
) -> None:
    bars = _bars([(60000, 60000, 60000, 60000), (60000, 60300, 59600, 60000)])
    replay = Replay(bars, **PERP, path=path)  # type: ignore[arg-type]
    with LocalExchange(market=replay, rate_limits=False) as ex:
        client = _client(ex)
        client.submit_new_order(**PERP, side="buy", orderType="market", qty="0.1",
                                takeProfit="60200", stopLoss="59700")  # fmt: skip
        ex.advance(bars=2)
        assert client.get_current_position(category="USDT-FUTURES").empty
        fills = client.get_trade_fills(category="USDT-FUTURES").sort_values("createdTime")
        close = fills.iloc[-1]
        assert close["side"] == "sell"
        second = (close["createdTime"] - pd.Timestamp(START_MS + MIN, unit="ms", tz="UTC")).seconds
        if leg == "tp":  # the high is nearer the open: it comes first, at one third of the bar
            assert 60190 <= close["execPrice"] <= 60300 and 0 < second <= 20
        else:
            assert 59590 <= close["execPrice"] <= 59700 and 0 < second <= 20


def test_a_market_fill_lies_within_the_bars_range_plus_the_slippage_model(
    recorded: pd.DataFrame,
) -> None:
    replay = Replay(recorded, **SPOT, spread_bps=4, level_bps=2, levels=5, volume_share=0.5)
    width = 4 / 2 / 10_000 + 4 * 2 / 10_000
    with LocalExchange(market=replay, rate_limits=False) as ex:
        client = _client(ex)
        for k in range(30):
            ex.advance(seconds=37 if k % 2 else 61)
            side = "buy" if k % 2 else "sell"
            client.submit_new_order(**SPOT, side=side, orderType="market",
                                    qty="0.05" if side == "sell" else "3000")  # fmt: skip
        fills = client.get_trade_fills(category="SPOT", limit=100)
    assert len(fills) >= 30
    for _, fill in fills.iterrows():
        bar = recorded.loc[fill["createdTime"].floor("1min")]
        assert (
            bar["low"] * (1 - width) - 0.02 <= fill["execPrice"] <= bar["high"] * (1 + width) + 0.02
        )


def test_volume_share_caps_what_one_market_order_takes() -> None:
    bars = _bars([(60000, 60100, 59900, 60000)])
    replay = Replay(bars, **SPOT, volume_share=0.1, levels=5)  # the side holds 1 BTC
    with LocalExchange(market=replay, rate_limits=False) as ex:
        ack = _client(ex).submit_new_order(**SPOT, side="sell", orderType="market", qty="0.9")
        info = _client(ex).get_order_info(orderId=ack["orderId"])
    assert Decimal(str(info["cumExecQty"])) <= Decimal("1.0")


def test_a_recorded_symbol_missing_from_the_catalogue_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="SPOT DOGEUSDT is recorded but not in the local"):
        Replay(_bars([(1, 1, 1, 1)]), category="SPOT", symbol="DOGEUSDT", interval="1m")


def test_several_instruments_replay_and_only_they_are_listed(recorded: pd.DataFrame) -> None:
    perp = _bars([(60000, 60010, 59990, 60000)] * 180)
    both = Replay({("SPOT", "BTCUSDT"): recorded, ("USDT-FUTURES", "BTCUSDT"): perp})
    with LocalExchange(market=both, rate_limits=False) as ex:
        client = _client(ex)
        assert client.get_tickers(category="SPOT")["symbol"].tolist() == ["BTCUSDT"]
        ex.advance(bars=3)
        assert len(client.get_candles(**PERP, interval="1m")) == 3
        assert set(client.get_balances()["coin"]) == {"USDT", "BTC"}


@pytest.mark.parametrize("source", ["store", "csv", "parquet"])
def test_a_candle_store_a_csv_and_a_parquet_file_replay_as_the_frame_they_hold(
    tmp_path: Path, recorded: pd.DataFrame, source: str
) -> None:
    if source == "store":
        store = bg.CandleStore(tmp_path / "candles")
        with LocalExchange(start_time=START_MS + 3 * 3_600_000, rate_limits=False) as live:
            store.update(_client(live), **SPOT, interval="1m", start=START_MS,
                         end=START_MS + 3 * 3_600_000 - MIN)  # fmt: skip
        replay = Replay(store, interval="1m", series=[("SPOT", "BTCUSDT")])
    else:
        file = tmp_path / f"bars.{source}"
        recorded.to_csv(file) if source == "csv" else recorded.to_parquet(file)
        replay = Replay(file, **SPOT, interval="1m")
    with LocalExchange(market=replay, rate_limits=False) as ex:
        ex.advance(bars=len(recorded))
        served = _client(ex).get_candles(**SPOT, interval="1m", limit=1000)
    pd.testing.assert_frame_equal(served[list(recorded.columns)], recorded, check_freq=False)


@pytest.mark.parametrize("form", ["series", "history frame"])
@pytest.mark.parametrize(("spike_minute", "funded"), [(270, True), (210, False)])
def test_one_long_advance_runs_funding_and_a_take_profit_in_time_order(
    spike_minute: int, funded: bool, form: str
) -> None:
    # START is 12:00 UTC; funding falls at 16:00 (minute 240). The TP fires at the spike.
    rows = [(60000.0, 60000.0, 60000.0, 60000.0)] * 300
    rows[spike_minute] = (60000.0, 61000.0, 60000.0, 60000.0)
    times = pd.to_datetime([START_MS, START_MS + 3 * 3_600_000], unit="ms", utc=True)
    rates: pd.Series | pd.DataFrame = pd.Series(["0.0001", "0.0005"], index=times)
    if form == "history frame":  # the shape get_history_funding_rate returns, newest first
        rates = pd.DataFrame({"symbol": "BTCUSDT", "fundingRate": [0.0005, 0.0001],
                              "fundingRateTimestamp": times[::-1]})  # fmt: skip
    replay = Replay(_bars(rows), **PERP, funding=rates)
    with LocalExchange(market=replay, rate_limits=False) as ex:
        client = _client(ex)
        client.submit_new_order(**PERP, side="buy", orderType="market", qty="0.1",
                                takeProfit="60500")  # fmt: skip
        ex.advance(bars=300)  # one step over the whole recording
        assert client.get_current_position(category="USDT-FUTURES").empty
        history = client.get_position_history(category="USDT-FUTURES")
    funding = Decimal(str(history["totalFunding"].iloc[0]))
    assert funding == (Decimal("-3") if funded else Decimal(0))  # 0.0005 × 0.1 × 60000
