"""The same client code against a replaying exchange: the order form and the orders view,
TP/SL, both hold modes, a mark series, an account kept in a file, and the trade report —
the real client and widgets over HTTP on 127.0.0.1 (bitget_nb.exchange.replay)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import bitget_nb as bg
from bitget_nb.exchange import LocalExchange, PaperAccountMismatch, Replay

from .test_replay import MIN, PERP, SPOT, _bars, _client
from .wire import START_MS

#: An hour of BTCUSDT futures bars: flat at 60,000 for ten minutes, down to 59,400 by minute
#: 20, back up to 60,600 by minute 40, then flat.
RISE_AND_FALL = (
    [(60000.0, 60010.0, 59990.0, 60000.0)] * 10
    + [(60000.0 - 60 * k, 60000.0 - 60 * k, 59940.0 - 60 * k, 59940.0 - 60 * k) for k in range(10)]
    + [(59400.0 + 60 * k, 59460.0 + 60 * k, 59400.0 + 60 * k, 59460.0 + 60 * k) for k in range(20)]
    + [(60600.0, 60610.0, 60590.0, 60600.0)] * 20
)


def _at(minute: int) -> pd.Timestamp:
    return pd.Timestamp(START_MS + minute * MIN, unit="ms", tz="UTC")


def test_an_order_form_limit_with_tpsl_fills_when_the_recording_reaches_it_and_the_view_closes_it(
) -> None:  # fmt: skip
    with LocalExchange(market=Replay(_bars(RISE_AND_FALL), **PERP), rate_limits=False) as ex:
        client = _client(ex)
        form = bg.OrderForm(client)
        for name, value in {
            **PERP, "side": "buy", "orderType": "limit", "price": "59500", "qty": "0.1",
            "timeInForce": "gtc", "marginMode": "crossed", "takeProfit": "60500",
        }.items():  # fmt: skip
            form.fields[name].value = value
        assert form.errors == {}
        form.review_button.click()
        form.confirm_button.click()
        assert form.result is not None and form.result["orderStatus"] == "live"

        view = bg.OrdersView(client, category="USDT-FUTURES")
        assert list(view.orders["orderId"]) == [form.result["orderId"]]
        ex.advance(bars=15)  # the recording is at 59,700: not reached yet
        assert client.get_order_info(orderId=form.result["orderId"])["orderStatus"] == "live"
        ex.advance(bars=5)  # minute 18 reaches 59,500
        fill = client.get_trade_fills(category="USDT-FUTURES").iloc[0]
        assert fill["execPrice"] == 59500 and _at(17) <= fill["createdTime"] < _at(19)
        view.refresh_button.click()
        assert view.orders.empty and list(view.positions["symbol"]) == ["BTCUSDT"]

        view.position_select.value = (view.position_select.options[0][1],)
        view.close_button.click()
        view.confirm_button.click()
        assert view.result["ok"].all() and view.positions.empty
        # closed at minute 20's open, 59,400 less half the spread, before the TP was reached:
        # (59,394 − 59,500) × 0.1 less a maker fee on the way in and a taker fee on the way out
        history = client.get_position_history(category="USDT-FUTURES")
        assert len(history) == 1 and -17 < history["netProfit"].iloc[0] < -13


def test_hedge_mode_holds_a_long_and_a_short_on_the_recorded_prices() -> None:
    with LocalExchange(market=Replay(_bars(RISE_AND_FALL), **PERP), rate_limits=False) as ex:
        client = _client(ex)
        assert client.set_hold_mode(holdMode="hedge_mode") == "success"
        client.submit_new_order(**PERP, side="buy", posSide="long", orderType="market",
                                qty="0.1")  # fmt: skip
        client.submit_new_order(**PERP, side="sell", posSide="short", orderType="market",
                                qty="0.2", stopLoss="60300")  # fmt: skip
        positions = client.get_current_position(category="USDT-FUTURES")
        assert sorted(positions["posSide"]) == ["long", "short"]
        ex.advance(bars=40)  # down to 59,400, then up through 60,300: the short's SL fires
        positions = client.get_current_position(category="USDT-FUTURES")
        assert list(positions["posSide"]) == ["long"]
        closed = client.get_position_history(category="USDT-FUTURES").iloc[0]
        assert closed["posSide"] == "short" and _at(20) < closed["updatedTime"] <= _at(40)
        # sold at the bid, 59,994, bought back at the ask once the path reached 60,300 —
        # (59,994 − 60,306) × 0.2 = −62.4 — less two taker fees of about 7.2
        assert -80 < closed["netProfit"] < -74


def test_a_mark_series_values_positions_and_fires_mark_triggers_while_the_last_price_is_flat(
) -> None:  # fmt: skip
    flat = _bars([(60000.0, 60000.0, 60000.0, 60000.0)] * 30)
    mark = _bars([(60000.0 + 20 * k, 60000.0 + 20 * k, 60000.0 + 20 * k, 60000.0 + 20 * k)
                  for k in range(30)])  # fmt: skip
    with LocalExchange(market=Replay(flat, **PERP, mark=mark), rate_limits=False) as ex:
        client = _client(ex)
        client.submit_new_order(**PERP, side="buy", orderType="market", qty="0.1",
                                takeProfit="60300", tpTriggerBy="mark")  # fmt: skip
        ex.advance(bars=10)
        ticker = client.get_tickers(**PERP).iloc[0]
        assert ticker["lastPrice"] == 60000 and ticker["markPrice"] == 60200
        position = client.get_current_position(category="USDT-FUTURES").iloc[0]
        assert position["markPrice"] == 60200
        # bought at the ask, 60,006 (half the default 2 bps spread above the last price)
        assert position["unrealisedPnl"] == pytest.approx(0.1 * (60200 - 60006), abs=0.01)
        marks = client.get_candles(**PERP, interval="1m", type="mark")
        assert marks["close"].tolist() == [60000.0 + 20 * k for k in range(10)]
        ex.advance(bars=6)  # the mark reaches 60,300 at minute 15; the last price never does
        assert client.get_current_position(category="USDT-FUTURES").empty


def test_a_mark_series_needs_a_recorded_futures_market() -> None:
    with pytest.raises(ValueError, match="no recorded futures market"):
        Replay(_bars([(1.0, 1.0, 1.0, 1.0)] * 2), **SPOT, mark={"BTCUSDT": _bars([(1.0,) * 4])})


def test_a_replaying_account_in_a_file_resumes_where_it_stopped(tmp_path: Path) -> None:
    file = tmp_path / "replay.sqlite3"
    recording = _bars(RISE_AND_FALL)
    with LocalExchange(market=Replay(recording, **PERP), path=file, rate_limits=False) as ex:
        client = _client(ex)
        client.submit_new_order(**PERP, side="buy", orderType="limit", price="59500",
                                qty="0.1", clientOid="kept-1")  # fmt: skip
        ex.advance(bars=25)
        stopped_at, fills = ex.now_ms(), client.get_trade_fills(category="USDT-FUTURES")
        assert len(fills) == 1
    with LocalExchange(market=Replay(recording, **PERP), path=file, rate_limits=False) as again:
        client = _client(again)
        assert again.now_ms() == stopped_at
        pd.testing.assert_frame_equal(client.get_trade_fills(category="USDT-FUTURES"), fills)
        assert len(client.get_candles(**PERP, interval="1m", limit=100)) == 25
        assert client.get_order_info(clientOid="kept-1")["orderStatus"] == "filled"
        again.advance(bars=1)
        assert len(client.get_candles(**PERP, interval="1m", limit=100)) == 26
    later = _bars(RISE_AND_FALL, start_ms=START_MS + 3_600_000)
    with pytest.raises(PaperAccountMismatch, match="manual clock started at"):
        LocalExchange(market=Replay(later, **PERP), path=file)


def test_a_backtest_reconciles_in_the_trade_report() -> None:
    replay = Replay(_bars(RISE_AND_FALL), **PERP)
    ex = LocalExchange(market=replay, rate_limits=False)

    def strategy(client: bg.BitgetClient, now: pd.Timestamp) -> None:
        closes = client.get_candles(**PERP, interval="1m", limit=3)["close"]
        if len(closes) < 3:
            return
        held = client.get_current_position(category="USDT-FUTURES")
        rising = closes.iloc[-1] > closes.iloc[0]
        if rising and held.empty:
            client.submit_new_order(**PERP, side="buy", orderType="market", qty="0.05")
        elif not rising and not held.empty:
            client.close_all_positions(category="USDT-FUTURES")

    result = bg.run(strategy, ex, every="1m")
    report = bg.trade_report(result.client, start=result.start, end=result.end)
    assert len(report.round_trips) >= 1
    assert (report.reconcile()["difference"] == 0).all()
    assets = result.client.get_balances(raw=True)["data"]
    assert report.final_equity.quantize(Decimal("1e-8")) == Decimal(assets["usdtEquity"])
