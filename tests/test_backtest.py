"""The strategy loop and the in-process transport (bitget_nb.backtest,
bitget_nb.exchange.inprocess): the same client calls, signed and enveloped as over HTTP,
handed to the exchange's WSGI app; the loop steps a replay bar by bar without look-ahead."""

from __future__ import annotations

import pandas as pd
import pytest

import bitget_nb as bg
from bitget_nb.backtest import in_process_client

from .exchange.wire import START_MS

SPOT = {"category": "SPOT", "symbol": "BTCUSDT"}


@pytest.fixture(scope="module")
def recorded() -> pd.DataFrame:
    with bg.LocalExchange(start_time=START_MS + 3_600_000, rate_limits=False) as ex:
        client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
        return client.get_candles(
            **SPOT, interval="1m", startTime=START_MS, endTime=START_MS + 3_540_000
        )


def test_an_in_process_client_gets_the_same_answers_as_one_over_http() -> None:
    with bg.LocalExchange(start_time=START_MS, rate_limits=False) as ex:
        over_http = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
        direct = in_process_client(ex)
        ack = direct.submit_new_order(**SPOT, side="buy", orderType="limit", qty="0.001",
                                      price="50000")  # fmt: skip
        a = direct.get_order_info(orderId=ack["orderId"])
        b = over_http.get_order_info(orderId=ack["orderId"])
        pd.testing.assert_series_equal(a, b)
        pd.testing.assert_frame_equal(
            direct.get_candles(**SPOT, interval="1m"), over_http.get_candles(**SPOT, interval="1m")
        )


def test_the_in_process_transport_still_checks_signatures() -> None:
    with bg.LocalExchange(start_time=START_MS) as ex:
        wrong = {**ex.credentials, "api_secret": "not-the-secret"}
        from bitget_nb.exchange.inprocess import in_process_session

        client = bg.BitgetClient(
            **wrong,
            base_url="http://127.0.0.1:1",
            session=in_process_session(ex.wsgi_app, "http://127.0.0.1:1"),
            clock=lambda: ex.now_ms() / 1000,
        )
        with pytest.raises(bg.AuthenticationError):
            client.get_balances()


FAULTS = [("drop", 0.0), ("timeout", 0.6), ("truncate", 0.0), ("bad_gzip", 0.0)]


@pytest.mark.parametrize(("kind", "hold"), FAULTS)
def test_the_in_process_transport_carries_out_injected_faults_as_http_does(kind, hold) -> None:
    """``ex.faults`` reach an in-process client as they reach one over HTTP: the same typed
    failure of a read, and a write whose answer was lost settled by look-up, executed once."""
    with bg.LocalExchange(start_time=START_MS, rate_limits=False) as ex:
        options = {"timeout": (2.0, 0.5), "max_retries": 0, "settle_window": 0.3}
        over_http = bg.BitgetClient(**ex.credentials, base_url=ex.base_url, **options)
        over_http.transport.sync_time()  # the manual clock is far from the wall clock's
        direct = in_process_client(ex, **options)
        failures = []
        for client in (over_http, direct):
            ex.faults.fail_next("get_tickers", when="after", kind=kind, hold_seconds=hold)
            with pytest.raises(bg.TransportError) as info:
                client.get_tickers(category="SPOT")
            said = str(info.value).replace(client.base_url, "URL")
            failures.append((type(info.value), info.value.maybe_sent, said))
        assert failures[0] == failures[1] and failures[0][1]
        for n, client in enumerate((over_http, direct)):
            oid = f"fault-{kind.replace('_', '-')}-{n}"
            ex.faults.fail_next("submit_new_order", when="after", kind=kind, hold_seconds=hold)
            ack = client.submit_new_order(**SPOT, side="buy", orderType="limit", qty="0.001",
                                          price="50000", clientOid=oid)  # fmt: skip
            assert ack.attrs["reconciled"] and ack["clientOid"] == oid
            assert len(ex.venue.trading.store.open_orders()) == n + 1  # once each
        assert ex.faults.injected == {
            ("get_tickers", "after", kind): 2, ("submit_new_order", "after", kind): 2}  # fmt: skip


def test_run_calls_the_strategy_at_every_bar_close_and_it_never_sees_a_future_bar(
    recorded: pd.DataFrame,
) -> None:
    ex = bg.LocalExchange(market=bg.Replay(recorded, **SPOT), rate_limits=False)
    seen: list[tuple[pd.Timestamp, pd.Timestamp]] = []

    def strategy(client: bg.BitgetClient, now: pd.Timestamp) -> None:
        bars = client.get_candles(**SPOT, interval="1m", limit=5)
        seen.append((now, bars.index[-1]))
        if len(seen) % 10 == 1:
            client.submit_new_order(**SPOT, side="buy", orderType="market", qty="100")

    result = bg.run(strategy, ex, every="1m")
    assert result.steps == 60 == len(seen)
    assert all(last == now - pd.Timedelta(minutes=1) for now, last in seen)
    assert result.end == recorded.index[-1] + pd.Timedelta(minutes=1)
    report = bg.trade_report(result.client, start=result.start, end=result.end)
    assert len(result.client.get_trade_fills(category="SPOT")) == 6
    assert not report.equity.empty


def test_run_over_http_gives_the_same_fills_as_in_process(recorded: pd.DataFrame) -> None:
    def strategy(client: bg.BitgetClient, now: pd.Timestamp) -> None:
        if now.minute % 15 == 0:
            client.submit_new_order(**SPOT, side="buy", orderType="market", qty="50")

    prices = []
    for in_process in (True, False):
        with bg.LocalExchange(market=bg.Replay(recorded, **SPOT), rate_limits=False) as ex:
            result = bg.run(strategy, ex, every="1m", in_process=in_process)
            fills = result.client.get_trade_fills(category="SPOT")
            prices.append(sorted(fills["execPrice"]))
    assert prices[0] == prices[1] and len(prices[0]) == 4
