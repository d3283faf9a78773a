"""The seed page's futures, TP/SL, close-all, countdown and copy-trading examples, in Python,
through the real client against the real local exchange, checked by the exchange's state."""

from __future__ import annotations

import time
import warnings

import pandas as pd
import pytest

import bitget_nb as bg
from bitget_nb import frames
from bitget_nb.errors import ValidationError

START = "2026-01-05T00:00:00Z"
FUT = {"category": "USDT-FUTURES", "symbol": "BTCUSDT"}


def positions(client, **filters) -> pd.DataFrame:
    return client.get_current_position(category="USDT-FUTURES", **filters)


# -- hold modes and positions ------------------------------------------------------------------
def test_seed_futures_market_order_in_hedge_mode_opens_a_long(client):
    assert client.set_hold_mode(holdMode="hedge_mode") == "success"
    ack = client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01",
                                  posSide="long")  # fmt: skip
    info = client.get_order_info(orderId=ack["orderId"])
    assert info["orderStatus"] == "filled" and info["posSide"] == "long"
    pos = positions(client)
    assert list(pos["posSide"]) == ["long"] and pos.loc[0, "total"] == pytest.approx(0.01)
    assert pos.dtypes["avgPrice"] == "float64" and pos.loc[0, "holdMode"] == "hedge_mode"
    assert str(pos.dtypes["createdTime"]) == "datetime64[ms, UTC]"


def test_hedge_mode_order_without_pos_side_is_explained_before_sending(client):
    client.set_hold_mode(holdMode="hedge_mode")
    with pytest.raises(ValidationError, match="posSide='long' opens") as info:
        client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
    assert info.value.field == "posSide"


def test_one_way_order_with_pos_side_is_explained_before_sending(client):
    assert client.hold_mode() == "one_way_mode"
    with pytest.raises(ValidationError, match="one-way mode"):
        client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01",
                                posSide="long")  # fmt: skip


def test_hold_mode_cannot_change_while_a_position_is_open(client):
    client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
    with pytest.raises(bg.PositionError) as info:
        client.set_hold_mode(holdMode="hedge_mode")
    assert info.value.code == "25010"
    client.close_all_positions(category="USDT-FUTURES")
    assert client.set_hold_mode(holdMode="hedge_mode") == "success"
    assert client.hold_mode() == "hedge_mode"


def test_one_way_reduce_only_closes_and_the_history_records_it(client):
    client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.02")
    client.submit_new_order(**FUT, side="sell", orderType="market", qty="0.02", reduceOnly="yes")
    assert positions(client).empty
    history = client.get_position_history(category="USDT-FUTURES")
    assert len(history) == 1 and history.loc[0, "closeTotalPos"] == pytest.approx(0.02)
    assert history.dtypes["netProfit"] == "float64"


def test_set_leverage_is_reflected_in_settings_and_bounds_are_enforced(client):
    assert client.set_leverage(**FUT, leverage="20") == "success"
    settings = client.get_account_settings()
    configs = {c["symbol"]: c for c in settings["symbolConfigList"]
               if c["category"] == "USDT-FUTURES"}  # fmt: skip
    assert str(configs["BTCUSDT"]["leverage"]) == "20"
    with pytest.raises(bg.BitgetAPIError):
        client.set_leverage(**FUT, leverage="1000")


# -- TP/SL ---------------------------------------------------------------------------------------
def test_the_seed_names_work_as_keywords_of_the_client_too(client, monkeypatch):
    from bitget_nb import models

    monkeypatch.setattr(models, "_warned", set())
    last = client.get_tickers(**FUT)["lastPrice"].iloc[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ack = client.submit_new_order(
            **FUT, side="buy", orderType="limit", qty="0.01", price=str(round(last * 0.9)),
            takeProfitPrice=str(round(last * 1.2)), stopLossTriggerType="mark_price",
            stopLossPrice=str(round(last * 0.8)),
        )  # fmt: skip
    seed = [w for w in caught if issubclass(w.category, bg.SeedAliasWarning)]
    assert {w.filename for w in seed} == {__file__}  # each names this line
    info = client.get_order_info(orderId=ack["orderId"])
    assert (info["takeProfit"], info["slTriggerBy"]) == (round(last * 1.2), "mark")
    client.cancel_order(orderId=ack["orderId"])


def test_seed_futures_limit_with_tp_sl_in_the_seed_vocabulary(client, monkeypatch):
    from bitget_nb import models

    monkeypatch.setattr(models, "_warned", set())
    last = client.get_tickers(**FUT)["lastPrice"].iloc[0]
    price = round(last * 1.01)  # a buy limit above the market fills at once
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ack = client.submit_new_order(
            {**FUT, "side": "buy", "orderType": "limit", "qty": "0.01", "price": str(price),
             "takeProfitPrice": str(round(last * 1.2)), "stopLossPrice": str(round(last * 0.8)),
             "takeProfitTriggerType": "mark_price", "stopLossTriggerType": "last_price"}
        )  # fmt: skip
    assert any(issubclass(w.category, bg.SeedAliasWarning) for w in caught)
    info = client.get_order_info(orderId=ack["orderId"])
    assert info["tpTriggerBy"] == "mark" and info["slTriggerBy"] == "market"
    (row,) = client.get_unfilled_strategy_orders(category="USDT-FUTURES").itertuples()
    assert (row.takeProfit, row.stopLoss) == (round(last * 1.2), round(last * 0.8))
    assert (row.tpTriggerBy, row.slTriggerBy) == ("mark", "market")
    assert (row.qty, row.status) == (0.01, "pending") and pd.isna(row.triggerType)


def test_seed_cancel_strategy_order(client):
    client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
    last = client.get_tickers(**FUT)["lastPrice"].iloc[0]
    ack = client.submit_strategy_order(**FUT, posSide="long", tpslMode="partial", qty="0.01",
                                       stopLoss=str(round(last * 0.9)))  # fmt: skip
    assert ack["orderId"] in set(client.get_unfilled_strategy_orders(category="USDT-FUTURES")
                                 ["orderId"])  # fmt: skip
    client.cancel_strategy_order(orderId=ack["orderId"])
    assert client.get_unfilled_strategy_orders(category="USDT-FUTURES").empty
    history = client.get_history_strategy_orders(category="USDT-FUTURES")
    assert history.set_index("orderId").loc[ack["orderId"], "status"] == "cancelled"


def test_a_strategy_order_is_one_row_open_and_in_history_across_pages(client):
    client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.05")
    last = client.get_tickers(**FUT)["lastPrice"].iloc[0]
    ids = [
        client.submit_strategy_order(
            **FUT, posSide="long", tpslMode="partial", qty="0.01",
            stopLoss=str(round(last * 0.9)), takeProfit=str(round(last * 1.1)),
        )["orderId"]
        for _ in range(3)
    ]  # fmt: skip
    open_ = client.get_unfilled_strategy_orders(category="USDT-FUTURES")
    assert list(open_["orderId"]) == ids[::-1]  # newest first, one row per order
    assert open_[["takeProfit", "stopLoss"]].notna().all().all()
    assert open_["triggerType"].isna().all() and set(open_["status"]) == {"pending"}
    client.cancel_strategy_order(orderId=ids[1])  # cancels both legs: its one row
    assert list(client.get_unfilled_strategy_orders(category="USDT-FUTURES")["orderId"]) == [
        ids[2],
        ids[0],
    ]
    for order_id in (ids[0], ids[2]):
        client.cancel_strategy_order(orderId=order_id)
    history = client.get_history_strategy_orders(category="USDT-FUTURES", limit="1")
    assert list(history["orderId"]) == ids[::-1] and history.attrs["envelope"]["pages"] == 3
    assert set(history["status"]) == {"cancelled"} and history["triggerType"].isna().all()


def test_a_stop_loss_fires_when_the_market_falls_through_it(client, exchange):
    client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
    last = client.get_tickers(**FUT)["lastPrice"].iloc[0]
    client.submit_strategy_order(**FUT, posSide="long", tpslMode="full",
                                 stopLoss=str(round(last * 0.9995, 1)),
                                 takeProfit=str(round(last * 1.5, 1)))  # fmt: skip
    for _ in range(48):  # bounded: up to two days of market time, half an hour at a time
        if positions(client).empty:
            break
        exchange.advance(minutes=30)
    assert positions(client).empty
    (row,) = client.get_history_strategy_orders(category="USDT-FUTURES").itertuples()
    assert (row.status, row.triggerType) == ("success", "stopLoss")  # the leg that fired
    assert client.get_unfilled_strategy_orders(category="USDT-FUTURES").empty  # sibling gone


# -- close all, countdown --------------------------------------------------------------------------
def test_seed_close_all_positions_reports_one_row_per_position(client):
    client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
    client.submit_new_order(category="USDT-FUTURES", symbol="ETHUSDT", side="sell",
                            orderType="market", qty="0.1")  # fmt: skip
    result = client.close_all_positions(category="USDT-FUTURES")
    assert len(result) == 2 and result["ok"].all()
    assert positions(client).empty


def test_seed_countdown_cancel_all_cancels_open_orders_when_it_expires(client, exchange):
    ack = client.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy",
                                  orderType="limit", qty="0.001", price="60000")  # fmt: skip
    assert client.countdown_cancel_all(countdown="10") == "success"
    exchange.advance(seconds=5)
    client.countdown_cancel_all(countdown="10")  # a heartbeat re-arms it
    exchange.advance(seconds=8)
    assert client.get_order_info(orderId=ack["orderId"])["orderStatus"] == "live"
    exchange.advance(seconds=5)  # no heartbeat for 13 s: it fires
    assert client.get_order_info(orderId=ack["orderId"])["orderStatus"] == "cancelled"


@pytest.mark.parametrize("value", ["560", "4", "61", "-1", "ten", ""])
def test_countdown_outside_5_to_60_is_refused_locally(client, value):
    with pytest.raises(ValidationError, match="5 to 60"):
        client.countdown_cancel_all(countdown=value)


# -- the dead man's switch ---------------------------------------------------------------------
def test_dead_mans_switch_keeps_orders_alive_while_heartbeats_continue():
    with bg.LocalExchange(seed=4) as ex:  # real clock: the switch runs on wall time
        client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
        ack = client.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy",
                                      orderType="limit", qty="0.001", price="60000")  # fmt: skip
        with client.dead_mans_switch(countdown=5, interval=1.5) as switch:
            time.sleep(7)  # longer than the countdown: only the heartbeats keep it alive
            assert switch.armed and switch.failures == 0 and switch.last_heartbeat
            assert client.get_order_info(orderId=ack["orderId"])["orderStatus"] == "live"
        assert not switch.armed
        time.sleep(6)  # disarmed on exit: nothing fires later
        assert client.get_order_info(orderId=ack["orderId"])["orderStatus"] == "live"
        client.close()


def test_dead_mans_switch_lets_the_exchange_cancel_when_heartbeats_stop():
    with bg.LocalExchange(seed=4) as ex:
        client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url, sleep=lambda s: None)
        ack = client.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy",
                                      orderType="limit", qty="0.001", price="60000")  # fmt: skip
        switch = client.dead_mans_switch(countdown=5, interval=1.5).start()
        ex.faults.fail_next("countdown_cancel_all", count=100, when="before", kind="http_503")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            deadline = time.monotonic() + 25  # bounded: the countdown is 5 s
            while time.monotonic() < deadline:
                status = client.get_order_info(orderId=ack["orderId"])["orderStatus"]
                if status == "cancelled" and switch.failures >= 2:
                    break
                time.sleep(0.5)
        assert status == "cancelled"
        assert switch.failures >= 2
        assert any(issubclass(w.category, bg.DeadMansSwitchWarning) for w in caught)
        ex.faults.clear()
        switch.stop()
        client.close()


def test_dead_mans_switch_disarms_when_the_block_raises(client, exchange):
    with pytest.raises(RuntimeError), client.dead_mans_switch(countdown=10) as switch:
        assert switch.armed
        raise RuntimeError("strategy crashed")
    assert not switch.armed


# -- copy trading ---------------------------------------------------------------------------------
def test_seed_copy_trading_methods(client):
    pairs = client.get_copy_futures_trading_pairs()
    assert "BTCUSDT" in set(pairs["symbol"]) and str(pairs.dtypes["leverage"]) == "Int64"
    # marginDetails spread into columns: one row per symbol and margin coin (spec §4.6)
    btc = pairs.set_index("symbol").loc["BTCUSDT"]
    assert (btc["marginCoin"], btc["maxLongCount"], btc["remainingShortCount"]) == ("USDT", 10, 10)
    summary = client.get_copy_futures_position_summary()
    assert isinstance(summary, pd.DataFrame)
    assert client.get_copy_futures_max_transferable(coin="USDT")["maxTransferable"] == 0
    usdt = client.get_balances().set_index("coin").loc["USDT", "available"]
    ack = client.copy_futures_transfer(type="in", coin="USDT", amount="1000")
    assert ack["transferId"]
    after = client.get_balances().set_index("coin").loc["USDT", "available"]
    assert after == pytest.approx(usdt - 1000)
    # the lead account now holds the 1000 (max-transferable reads the lead side, spec §4.6)
    assert client.get_copy_futures_max_transferable(coin="USDT")["maxTransferable"] == 1000
    client.copy_futures_transfer(type="out", coin="USDT", amount="400")
    assert client.get_copy_futures_max_transferable(coin="USDT")["maxTransferable"] == 600
    records = client.get_copy_futures_transfer_records()
    assert len(records) == 2 and set(records["status"]) == {"Successful"}
    assert str(records.dtypes["createdTime"]) == "datetime64[ms, UTC]"


def test_follower_and_profit_methods_give_typed_frames_of_the_paper_lead(client):
    client.copy_futures_transfer(type="in", coin="USDT", amount="500")
    current = client.get_copy_futures_current_followers(limit="100")
    history = client.get_copy_futures_history_followers()
    details = client.get_copy_futures_profit_details(
        startTime=pd.Timestamp("2026-01-01", tz="UTC"), endTime=pd.Timestamp(START)
    )
    # nobody follows a paper lead account: empty frames that still carry the columns and dtypes
    assert current.empty and history.empty and details.empty
    assert list(current.columns) == list(frames.SCHEMAS["copy_current_follower"])
    assert str(current.dtypes["startTime"]) == "datetime64[ms, UTC]"
    assert current.dtypes["totalShareProfit"] == "float64"
    assert str(current.dtypes["canRemove"]) == "boolean"
    assert list(history.columns) == list(frames.SCHEMAS["copy_history_follower"])
    assert details.dtypes["shareRatio"] == "float64" and "settleTime" in details.columns
    summary = client.get_copy_futures_profit_summary()
    assert summary.to_dict() == {
        "totalProfit": 0.0,
        "totalAllocatedProfit": 0.0,
        "totalPendingProfit": 0.0,
    }


def test_copy_transfer_whose_answer_is_lost_is_not_resent(client, exchange):
    exchange.faults.fail_next("copy_futures_transfer", when="after", kind="drop")
    with pytest.raises(bg.OutcomeUnknownError, match="get_copy_futures_transfer_records"):
        client.copy_futures_transfer(type="in", coin="USDT", amount="10")
    assert len(client.get_copy_futures_transfer_records()) == 1  # committed once, not twice


# -- the seed's full workflow ------------------------------------------------------------------
def test_seed_full_trading_workflow(client):
    balances = client.get_balances().set_index("coin")
    assert balances.loc["USDT", "available"] > 100
    ack = client.submit_new_order(**FUT, side="buy", orderType="limit", qty="0.01",
                                  price="60000", clientOid="workflow-1")  # fmt: skip
    assert client.get_order_info(clientOid="workflow-1")["orderStatus"] == "live"
    assert ack["orderId"] in set(client.get_unfilled_orders(category="USDT-FUTURES")["orderId"])
    client.cancel_order(orderId=ack["orderId"], category="USDT-FUTURES")
    client.submit_new_order(**FUT, side="buy", orderType="market", qty="0.01")
    assert len(positions(client)) == 1
    client.close_all_positions(category="USDT-FUTURES")
    assert positions(client).empty
    fills = client.get_trade_fills(category="USDT-FUTURES")
    assert len(fills) >= 2 and "execPnl" in fills.columns
