"""The research reads through the client, over real HTTP: funding, open interest, tiers, and
the account ledger agreeing with fills, positions and balances (spec §10.3)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

import bitget_nb as bg

from .conftest import START

FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}
SPOT = {"category": "SPOT", "symbol": "BTCUSDT"}
TIME = "datetime64[ms, UTC]"
SEED = {"USDT": Decimal("100000"), "BTC": Decimal("1"), "ETH": Decimal("10")}


def _dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {column: str(dtype) for column, dtype in frame.dtypes.items()}


def _ledger(client: bg.BitgetClient) -> pd.DataFrame:
    """Every row of every category, newest first."""
    frames = [client.get_financial_records(category=c) for c in ("SPOT", "USDT-FUTURES")]
    return pd.concat(frames).sort_values("id", ascending=False, ignore_index=True)


def _adds_up(client: bg.BitgetClient, exchange: bg.LocalExchange) -> None:
    """Per coin: the rows add up to the balance, and the newest row's balance is it."""
    ledger = _ledger(client)
    balances = client.get_balances().set_index("coin")["balance"]
    account = exchange.venue.account.balances
    for coin, rows in ledger.groupby("coin"):
        changes = zip(rows["amount"], rows["fee"], strict=True)
        total = sum(Decimal(str(a)) + Decimal(str(f)) for a, f in changes)
        assert total == account[coin].total, coin
        assert rows.iloc[0]["balance"] == pytest.approx(balances[coin]), coin


def test_current_funding_rate_frame_is_typed_and_names_the_next_funding_time(client):
    rates = client.get_current_funding_rate(category="USDT-FUTURES")
    assert _dtypes(rates) == {"symbol": "str", "fundingRate": "float64",
                              "fundingRateInterval": "Int64", "nextUpdate": TIME,
                              "minFundingRate": "float64", "maxFundingRate": "float64"}  # fmt: skip
    assert list(rates["symbol"]) == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert (rates["nextUpdate"] == pd.Timestamp(START) + pd.Timedelta(hours=8)).all()


def test_a_month_of_funding_history_is_one_typed_frame_to_plot(client, exchange):
    month = client.get_history_funding_rate(**FUT, startTime="2025-12-05T00:00:00Z", limit=20)
    assert _dtypes(month) == {"symbol": "str", "fundingRate": "float64",
                              "fundingRateTimestamp": TIME}  # fmt: skip
    stamps = month["fundingRateTimestamp"]
    assert stamps.iloc[0] == pd.Timestamp(START)  # a funding time: 00:00 UTC
    assert stamps.iloc[-1] == pd.Timestamp("2025-12-05T00:00:00Z")
    assert len(month) == 31 * 3 + 1 and stamps.is_monotonic_decreasing
    assert month.attrs["envelope"]["pages"] == 5  # 94 rows, 20 a page, read to startTime
    window = client.get_history_funding_rate(
        **FUT, startTime="2026-01-01T00:00:00Z", endTime="2026-01-02T00:00:00Z"
    )
    assert list(window["fundingRateTimestamp"].dt.hour) == [0, 16, 8, 0]
    capped = client.get_history_funding_rate(**FUT, max_rows=30)
    assert len(capped) == 30 and capped.attrs["envelope"]["pages"] == 1  # 100 a page
    raw = client.get_history_funding_rate(**FUT, limit=2, raw=True)
    assert len(raw["data"]["resultList"]) == 2


def test_open_interest_is_a_time_stamped_frame_that_follows_own_positions(client, exchange):
    before = client.get_open_interest(category="USDT-FUTURES")
    assert _dtypes(before) == {"symbol": "str", "openInterest": "float64", "ts": TIME}
    assert (before["ts"] == pd.Timestamp(START)).all()
    client.submit_new_order(**FUT, side="buy", orderType="market", qty="2")
    after = client.get_open_interest(**FUT)
    assert after.loc[0, "openInterest"] == pytest.approx(before.loc[0, "openInterest"] + 2)
    exchange.advance(hours=1)
    later = client.get_open_interest(**FUT)
    readings = pd.concat([after, later], ignore_index=True).set_index("ts")["openInterest"]
    assert readings.index.is_monotonic_increasing and len(readings) == 2


def test_position_tier_frame_is_typed(client):
    tiers = client.get_position_tier(**FUT)
    assert _dtypes(tiers) == {"tier": "Int64", "minTierValue": "float64",
                              "maxTierValue": "float64", "leverage": "Int64",
                              "mmr": "float64"}  # fmt: skip
    assert tiers.loc[0, "leverage"] == 125 and tiers.loc[0, "mmr"] == 0.004


def test_a_spot_trade_books_the_coin_given_and_the_coin_received_less_its_fee(client, exchange):
    ack = client.submit_new_order(**SPOT, side="sell", orderType="market", qty="0.01")
    (fill,) = client.get_trade_fills(orderId=ack["orderId"]).itertuples()
    rows = client.get_financial_records(category="SPOT", startTime=START)
    assert _dtypes(rows)["amount"] == "float64" and _dtypes(rows)["ts"] == TIME
    out, got = rows.iloc[1], rows.iloc[0]
    assert (out["type"], out["coin"], out["amount"], out["fee"]) == (
        "ORDER_DEALT_FROZEN_OUT", "BTC", -0.01, 0.0)  # fmt: skip
    assert (got["type"], got["coin"]) == ("ORDER_DEALT_IN", fill.feeCoin) == (
        "ORDER_DEALT_IN", "USDT")  # fmt: skip
    assert got["amount"] == pytest.approx(fill.execValue) and got["fee"] == -fill.fee
    assert got["symbol"] == "BTCUSDT" and got["ts"] == fill.createdTime
    _adds_up(client, exchange)


def test_a_futures_round_trip_across_a_funding_time_books_fees_funding_and_realised_pnl(
    client, exchange
):
    opened = client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.1")
    exchange.advance(hours=8, minutes=30)
    closed = client.submit_new_order(**FUT, side="sell", orderType="market", qty="0.1")
    fills = client.get_trade_fills(category="USDT-FUTURES").set_index("orderId")
    ledger = client.get_financial_records(category="USDT-FUTURES")
    assert list(ledger["type"]) == ["SELL_DEAL", "CONTRACT_MAIN_SETTLE_FEE_USER_OUT", "BUY_DEAL"]
    close, funding, open_ = (ledger.iloc[i] for i in range(3))
    assert open_["amount"] == 0 and open_["fee"] == -fills.loc[opened["orderId"], "fee"]
    assert close["fee"] == -fills.loc[closed["orderId"], "fee"]
    assert close["amount"] == fills.loc[closed["orderId"], "execPnl"]  # the realised PnL
    history = client.get_position_history(category="USDT-FUTURES").iloc[0]
    assert funding["amount"] == pytest.approx(history["totalFunding"])
    assert funding["ts"] == pd.Timestamp(START) + pd.Timedelta(hours=8)
    assert close["positionAmount"] == 0 and open_["positionType"] == "crossed"
    net = ledger["amount"].sum() + ledger["fee"].sum()
    assert net == pytest.approx(history["netProfit"])
    _adds_up(client, exchange)


def test_lead_account_transfers_are_ledger_rows_and_everything_adds_up(client, exchange):
    client.copy_futures_transfer(type="in", coin="USDT", amount="250")
    client.copy_futures_transfer(type="out", coin="USDT", amount="50")
    rows = client.get_financial_records(category="SPOT", coin="USDT")
    assert list(rows["type"][:2]) == ["TRANSFER_IN", "TRANSFER_OUT"]
    assert list(rows["amount"][:2]) == [50.0, -250.0]
    assert rows.iloc[0]["balance"] == 100000 - 200
    _adds_up(client, exchange)


def test_the_ledger_is_read_across_30_day_windows_and_pages(client, exchange):
    client.copy_futures_transfer(type="in", coin="USDT", amount="1")
    exchange.advance(days=40)
    for _ in range(3):
        client.copy_futures_transfer(type="in", coin="USDT", amount="1")
    rows = client.get_financial_records(category="SPOT", coin="USDT", startTime=START, limit=2)
    assert list(rows["type"]) == ["TRANSFER_OUT"] * 4 + ["PAPTRADING_USER_IN"]
    # two 30-day windows: three rows (pages of 2 and 1), then two (one page)
    assert rows.attrs["envelope"]["pages"] == 3
    recent = client.get_financial_records(category="SPOT", coin="USDT")  # the last 30 days
    assert len(recent) == 3


def test_the_ledger_survives_a_restart_of_a_persistent_exchange(tmp_path):
    path = tmp_path / "paper.sqlite3"
    with (
        bg.LocalExchange(path=path, start_time=START) as ex,
        bg.BitgetClient(**ex.credentials, base_url=ex.base_url) as c,
    ):
        c.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
        ex.advance(hours=8)
        before = _ledger(c)
    with (
        bg.LocalExchange(path=path) as ex,
        bg.BitgetClient(**ex.credentials, base_url=ex.base_url) as c,
    ):
        pd.testing.assert_frame_equal(_ledger(c), before)
        c.submit_new_order(**FUT, side="sell", orderType="market", qty="0.01")
        assert len(_ledger(c)) == len(before) + 1
        _adds_up(c, ex)
    seeded = before[before["type"] == "PAPTRADING_USER_IN"].set_index("coin")["amount"]
    assert {coin: Decimal(str(v)) for coin, v in seeded.items()} == SEED
