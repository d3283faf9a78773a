"""bg.trade_report over HTTP against the local exchange: frames, exports, journal join, plots."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

import bitget_nb as bg
from bitget_nb.report import BY_SYMBOL_COLUMNS, EQUITY_COLUMNS, ROUND_TRIP_COLUMNS

START = "2026-11-01T00:00:00Z"


@pytest.fixture(scope="module")
def traded():
    with bg.LocalExchange(seed=7, start_time=START) as ex:
        client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)

        def market(**fields: str) -> None:
            client.submit_new_order(orderType="market", **fields)

        market(category="SPOT", symbol="BTCUSDT", side="buy", qty="1000", clientOid="spot-buy")
        market(category="USDT-FUTURES", symbol="BTCUSDT", side="buy", qty="0.02", clientOid="l1")
        market(category="COIN-FUTURES", symbol="BTCUSD", side="sell", qty="0.05", clientOid="s1")
        ex.advance(hours=9)  # a funding time (08:00) passes
        market(category="SPOT", symbol="BTCUSDT", side="sell", qty="0.01", clientOid="spot-sell")
        market(category="USDT-FUTURES", symbol="BTCUSDT", side="sell", qty="0.03", clientOid="flip")
        ex.advance(hours=30)
        market(category="USDT-FUTURES", symbol="BTCUSDT", side="buy", qty="0.01", clientOid="c2")
        ex.advance(hours=1)
        report = bg.trade_report(client)
        yield ex, client, report
        client.close()


def test_frames_have_their_declared_columns_and_dtypes(traded):
    _, _, report = traded
    for frame, columns in (
        (report.round_trips, ROUND_TRIP_COLUMNS),
        (report.by_symbol, BY_SYMBOL_COLUMNS),
        (report.equity, EQUITY_COLUMNS),
    ):
        assert {c: str(t) for c, t in frame.dtypes.items()} == columns
    assert str(report.equity.index.dtype) == "datetime64[ms, UTC]"
    assert report.stats.dtype == "Float64"


def test_round_trips_of_a_one_way_flip_and_a_spot_lot(traded):
    _, _, report = traded
    trips = report.round_trips
    closed = trips[trips["status"] == "closed"].fillna({"openClientOid": ""})
    assert sorted(zip(closed["category"], closed["posSide"], closed["openClientOid"],
                      closed["closeClientOid"], strict=True)) == [
        # FIFO: the initial 1 BTC arrived first, so the sell closes it, not the lot bought
        ("SPOT", "long", "", "spot-sell"),
        ("USDT-FUTURES", "long", "l1", "flip"),
        ("USDT-FUTURES", "short", "flip", "c2"),
    ]  # fmt: skip
    open_ = trips[trips["status"] == "open"].set_index("category")
    assert open_.loc["COIN-FUTURES", "pnlCoin"] == "BTC"
    assert open_.loc["SPOT", "qty"] == pytest.approx(0.01507 - 0.00001507)
    assert open_.loc["SPOT", "openClientOid"] == "spot-buy"
    assert closed.set_index("category").loc["SPOT", "inventory"]


def test_the_inverse_short_received_funding_in_btc(traded):
    _, _, report = traded
    row = report.by_symbol.set_index("symbol").loc["BTCUSD"]
    assert row["pnlCoin"] == "BTC" and row["funding"] > 0


def test_every_balance_change_is_explained_and_equity_matches_the_exchange(traded):
    _, client, report = traded
    assert (report.reconcile()["difference"] == 0).all()
    usdt_equity = Decimal(client.get_balances(raw=True)["data"]["usdtEquity"])
    assert report.final_equity.quantize(Decimal("1e-8")) == usdt_equity


def test_returns_are_daily_utc_and_transactions_have_pyfolios_shape(traded):
    _, _, report = traded
    returns = report.returns()
    assert str(returns.index.tz) == "UTC" and (returns.index == returns.index.normalize()).all()
    tx = report.transactions()
    assert list(tx.columns) == ["amount", "price", "symbol"]
    assert str(tx.index.dtype) == "datetime64[ms, UTC]"
    assert (tx["amount"] < 0).sum() == 4  # inverse short, spot sell, the flip's two parts


def test_a_journal_is_joined_on_the_opening_clientoid():
    journal = bg.Journal()
    journal.note("l1", "breakout", tags=["momentum"])
    journal.note("other", "not traded")
    trips = pd.DataFrame(
        {"openClientOid": pd.array(["l1", "x", None], dtype="string"), "netPnl": [1.0, 2.0, 3.0]}
    )
    joined = bg.report.join_journal(trips, journal)
    assert joined["note"].tolist()[0] == "breakout" and joined["tags"].tolist()[0] == "momentum"
    assert joined["note"].isna().tolist() == [False, True, True]
    assert len(joined) == 3 and joined.index.equals(trips.index)
    bare = bg.report.join_journal(trips, None)
    assert bare["note"].isna().all() and str(bare["tags"].dtype) == "string"


def test_the_report_joins_the_accounts_own_journal(traded):
    _, client, _ = traded
    bg.Journal.for_client(client).note("l1", "first long", tags=["test"])
    trips = bg.trade_report(client).round_trips.set_index("openClientOid")
    assert trips.loc["l1", "note"] == "first long" and trips.loc["l1", "tags"] == "test"


def test_a_window_counts_only_what_closed_inside_it(traded):
    _, client, _ = traded
    later = bg.trade_report(client, start="2026-11-01T12:00:00Z")
    closed = later.round_trips[later.round_trips["status"] == "closed"]
    assert closed["closeClientOid"].tolist() == ["c2"]
    assert later.equity.index[0] == pd.Timestamp("2026-11-01T12:00:00Z")


def test_plot_returns_three_figures(traded):
    _, _, report = traded
    figures = report.plot()
    assert len(figures) == 3
    assert len(figures[2].axes) == 3  # one candle chart per symbol traded
