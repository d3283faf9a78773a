"""Trading through the real client against the real local exchange, checked by its state."""

from __future__ import annotations

import collections
import random
from decimal import Decimal

import pandas as pd
import pytest
import requests

import bitget_nb as bg
from bitget_nb.errors import ValidationError

START = "2026-01-05T00:00:00Z"
SPOT = {"category": "SPOT", "symbol": "BTCUSDT"}


def store(exchange):
    """The exchange's own order book-keeping (the domain core, not its HTTP answers)."""
    return exchange.venue.trading.store


def orders_by_client_oid(exchange) -> collections.Counter:
    return collections.Counter(o.client_oid for o in store(exchange).newest_orders())


def balance(exchange, coin: str):
    return exchange.venue.account.balances[coin]


def far_bid(**extra):
    """A limit buy far below the market: it rests (the seed's 60000 example)."""
    return {**SPOT, "side": "buy", "orderType": "limit", "qty": "0.001", "price": "60000",
            **extra}  # fmt: skip


# -- the seed's spot examples ------------------------------------------------------------------
def test_seed_spot_limit_buy_rests_on_the_book_and_locks_quote(client, exchange):
    ack = client.submit_new_order(far_bid(timeInForce="gtc"))
    assert set(ack.index) >= {"orderId", "clientOid"} and not ack.attrs["reconciled"]
    order = store(exchange).get(ack["orderId"])
    assert order.status == "live" and order.price == Decimal("60000")
    assert balance(exchange, "USDT").locked >= Decimal("60")
    info = client.get_order_info(orderId=ack["orderId"])
    assert info["orderStatus"] == "live" and info["price"] == 60000.0
    assert not info["reduceOnly"]  # sent as "no", answered "NO" (spec §7 #1)
    open_orders = client.get_unfilled_orders(category="SPOT")
    assert list(open_orders["orderId"]) == [ack["orderId"]]


def test_seed_cancel_by_client_oid_releases_the_lock(client, exchange):
    client.submit_new_order(far_bid(clientOid="seed-spot-1"))
    ack = client.cancel_order(category="SPOT", symbol="BTCUSDT", clientOid="seed-spot-1")
    assert ack["clientOid"] == "seed-spot-1"
    order = store(exchange).by_client_oid("seed-spot-1")
    assert order.status == "cancelled" and order.cancel_reason == "normal_cancel"
    assert balance(exchange, "USDT").locked == 0
    info = client.get_order_info(clientOid="seed-spot-1")
    assert info["orderStatus"] == "cancelled" and info["cancelReason"] == "normal_cancel"


def test_market_buy_fills_and_moves_balances(client, exchange):
    usdt_before = balance(exchange, "USDT").available
    ack = client.submit_new_order(**SPOT, side="buy", orderType="market", qty="1000")
    order = store(exchange).get(ack["orderId"])
    # a quote-sized buy spends up to its amount; base quantities are whole lot steps
    assert order.status == "filled" and Decimal("999") < order.cum_exec_value <= Decimal("1000")
    assert balance(exchange, "USDT").available == usdt_before - order.cum_exec_value
    fills = client.get_trade_fills(category="SPOT", orderId=ack["orderId"])
    assert len(fills) >= 1 and (fills["tradeScope"] == "taker").all()
    assert fills["execQty"].sum() == pytest.approx(float(order.cum_exec_qty))
    assert fills["feeCoin"].eq("BTC").all() and (fills["fee"] > 0).all()
    assert str(fills.dtypes["createdTime"]) == "datetime64[ms, UTC]"


def test_a_market_orders_price_is_missing_not_zero_in_info_and_history(client):
    # the exchange sends "price": "0" for a market order, as Bitget does (spec §10.2)
    ack = client.submit_new_order(**SPOT, side="sell", orderType="market", qty="0.01")
    info = client.get_order_info(orderId=ack["orderId"])
    assert pd.isna(info["price"])
    assert client.get_order_info(orderId=ack["orderId"], raw=True)["data"]["price"] == "0"
    limit = client.submit_new_order(**far_bid(timeInForce="ioc"))
    history = client.get_history_orders(category="SPOT").set_index("orderId")
    assert pd.isna(history.loc[ack["orderId"], "price"])
    assert history.loc[limit["orderId"], "price"] == 60000


def test_cancel_twice_is_still_a_success(client):
    ack = client.submit_new_order(far_bid())
    client.cancel_order(orderId=ack["orderId"], category="SPOT")
    again = client.cancel_order(orderId=ack["orderId"], category="SPOT")
    assert again["orderId"] == ack["orderId"] and again.attrs["reconciled"]


def test_cancelling_an_unknown_order_raises_order_not_found(client):
    with pytest.raises(bg.OrderNotFoundError):
        client.cancel_order(orderId="1234567", category="SPOT")


def test_duplicate_client_oid_while_open_is_refused(client):
    client.submit_new_order(far_bid(clientOid="dup-1"))
    with pytest.raises(bg.DuplicateClientOidError):
        client.submit_new_order(far_bid(clientOid="dup-1"))


def test_modify_keeps_the_order_id_and_changes_the_price(client, exchange):
    ack = client.submit_new_order(far_bid())
    mod = client.modify_order(orderId=ack["orderId"], price="59000", qty="0.002")
    assert mod["orderId"] == ack["orderId"]
    order = store(exchange).get(ack["orderId"])
    assert (order.price, order.qty) == (Decimal("59000"), Decimal("0.002"))


def test_insufficient_balance_is_refused_and_nothing_changes(client, exchange):
    before = orders_by_client_oid(exchange)
    with pytest.raises(bg.InsufficientBalanceError):
        client.submit_new_order(**SPOT, side="sell", orderType="limit", qty="5", price="90000")
    assert orders_by_client_oid(exchange) == before


# -- batches -----------------------------------------------------------------------------------
def test_batch_with_a_partial_failure_reports_each_item_in_input_order(client, exchange):
    orders = [
        far_bid(clientOid="b-1"),
        {**SPOT, "side": "sell", "orderType": "limit", "qty": "50", "price": "90000",
         "clientOid": "b-2"},  # more BTC than the account has
        far_bid(clientOid="b-3", price="59000"),
    ]  # fmt: skip
    result = client.place_batch_orders(orders)
    assert list(result["clientOid"]) == ["b-1", "b-2", "b-3"]
    assert list(result["ok"]) == [True, False, True]
    assert result.loc[1, "code"] == "25202"
    # the exchange sends code/msg on the failed item only (spec §10.2)
    assert result[["code", "msg"]].loc[[0, 2]].isna().all().all()
    assert result.attrs["envelope"] == {"endpoint": "place_batch_orders",
                                        "path": "/api/v3/trade/place-batch"}  # fmt: skip
    assert {o.client_oid for o in store(exchange).open_orders()} == {"b-1", "b-3"}


def test_batches_go_out_in_chunks_of_twenty_in_input_order(exchange):
    bodies: list[int] = []
    session = requests.Session()

    def count(response, *args, **kwargs):
        # (a first call refused with 40008 — the exchange's manual clock — is re-signed)
        if response.request.path_url.endswith("place-batch") and response.ok:
            bodies.append(response.request.body.count(b'"clientOid"'))

    session.hooks["response"].append(count)
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                         session=session) as c:  # fmt: skip
        orders = [far_bid(clientOid=f"chunk-{i}", price=str(50000 + i)) for i in range(45)]
        result = c.place_batch_orders(orders)
    assert bodies == [20, 20, 5]
    assert list(result["clientOid"]) == [f"chunk-{i}" for i in range(45)] and result["ok"].all()


def test_batch_refuses_attached_tp_sl_before_sending(client):
    with pytest.raises(ValidationError, match="batch orders cannot carry an attached TP/SL"):
        client.place_batch_orders(
            [{"category": "USDT-FUTURES", "symbol": "BTCUSDT", "side": "buy",
              "orderType": "limit", "qty": "0.01", "price": "60000", "takeProfit": "70000"}]
        )  # fmt: skip


def test_cancel_batch_with_partial_success(client):
    a = client.submit_new_order(far_bid())
    result = client.cancel_batch_orders(
        [{**SPOT, "orderId": a["orderId"]}, {**SPOT, "orderId": "999999"}]
    )
    assert list(result["ok"]) == [True, False]


def test_cancel_all_returns_one_row_per_cancelled_order(client, exchange):
    for price in ("58000", "58100", "58200"):
        client.submit_new_order(far_bid(price=price))
    result = client.cancel_all_orders(category="SPOT", symbol="BTCUSDT")
    assert len(result) == 3 and result["ok"].all()
    assert store(exchange).open_orders() == []


# -- instrument rules before sending -----------------------------------------------------------
def test_known_instrument_rules_refuse_bad_orders_before_anything_is_sent(exchange):
    sent: list[str] = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request.path_url))
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                         session=session) as c:  # fmt: skip
        c.get_instruments(category="SPOT")
        sent.clear()
        with pytest.raises(ValidationError, match=r"try 60000\.12 or 60000\.13") as info:
            c.submit_new_order(far_bid(price="60000.123"))
        assert info.value.field == "price"
        with pytest.raises(ValidationError, match="below the minimum"):
            c.submit_new_order(far_bid(qty="0.000001"))
    assert sent == []


def test_round_order_snaps_to_tick_and_step(client):
    rounded = client.round_order(far_bid(price="60000.127", qty="0.0012345678"))
    assert (rounded.price, rounded.qty) == ("60000.13", "0.001234")


# -- paging and windows ------------------------------------------------------------------------
def test_history_pages_and_windows_cover_every_order_once_newest_first():
    with bg.LocalExchange(seed=11, start_time=START, rate_limits=False) as ex:
        c = bg.BitgetClient(**ex.credentials, base_url=ex.base_url, rate_limit=False)
        placed = []
        for day in range(50):  # one order a day for 50 days, each cancelled at once
            ack = c.submit_new_order(far_bid(clientOid=f"day-{day}"))
            c.cancel_order(orderId=ack["orderId"], category="SPOT")
            placed.append(ack["orderId"])
            ex.advance(days=1)
        now = pd.Timestamp(ex.now_ms(), unit="ms", tz="UTC")
        history = c.get_history_orders(
            category="SPOT", startTime=now - pd.Timedelta(days=55), endTime=now, limit=7
        )
        pages = history.attrs["envelope"]["pages"]
        c.close()
    assert len(history) == 50 and history["orderId"].is_unique
    assert set(history["orderId"]) == set(placed)
    assert history["createdTime"].is_monotonic_decreasing
    assert pages >= 8  # 50 orders in pages of 7, over two 30-day windows


def test_a_range_beyond_the_lookback_is_refused_locally(client):
    with pytest.raises(ValidationError, match="90-day look-back"):
        client.get_history_orders(
            category="SPOT", startTime=pd.Timestamp(START) - pd.Timedelta(days=120)
        )


def test_max_rows_caps_the_download(client):
    for i in range(5):
        client.submit_new_order(far_bid(price=str(50000 + i)))
    assert len(client.get_unfilled_orders(category="SPOT", limit=2, max_rows=3)) == 3


# -- safe retries under injected faults --------------------------------------------------------
def test_answer_lost_after_commit_is_reconciled_without_a_duplicate(client, exchange):
    exchange.faults.fail_next("submit_new_order", when="after", kind="drop")
    ack = client.submit_new_order(far_bid(clientOid="lost-1"))
    assert ack.attrs["reconciled"] and ack["clientOid"] == "lost-1"
    assert orders_by_client_oid(exchange)["lost-1"] == 1


def test_unknown_outcome_code_after_commit_is_reconciled(client, exchange):
    exchange.faults.fail_next("submit_new_order", when="after", kind="code_45001")
    client.submit_new_order(far_bid(clientOid="unknown-1"))
    assert orders_by_client_oid(exchange)["unknown-1"] == 1


def test_when_the_lookup_fails_too_the_error_names_the_client_oid(exchange):
    exchange.faults.fail_next("submit_new_order", when="after", kind="drop")
    exchange.faults.fail_next("get_order_info", count=100, when="before", kind="http_503")
    with (
        bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                        sleep=lambda s: None, max_retries=2, settle_window=1.0) as c,
        pytest.raises(bg.OutcomeUnknownError) as info,
    ):  # fmt: skip
        c.submit_new_order(far_bid(clientOid="who-knows-1"))
    assert info.value.client_oid == "who-knows-1" and "who-knows-1" in str(info.value)
    exchange.faults.clear()


def test_cancel_whose_answer_is_lost_is_reconciled(client, exchange):
    ack = client.submit_new_order(far_bid())
    exchange.faults.fail_next("cancel_order", when="after", kind="drop")
    again = client.cancel_order(orderId=ack["orderId"], category="SPOT")
    assert again.attrs["reconciled"] and store(exchange).get(ack["orderId"]).status == "cancelled"


def test_modify_whose_answer_is_lost_is_reconciled(client, exchange):
    ack = client.submit_new_order(far_bid())
    exchange.faults.fail_next("modify_order", when="after", kind="code_40010")
    mod = client.modify_order(orderId=ack["orderId"], price="59500")
    assert mod.attrs["reconciled"] and store(exchange).get(ack["orderId"]).price == 59500


def test_batch_chunk_lost_after_commit_places_each_order_once(client, exchange):
    exchange.faults.fail_next("place_batch_orders", when="after", kind="drop")
    orders = [far_bid(clientOid=f"lost-batch-{i}", price=str(55000 + i)) for i in range(5)]
    result = client.place_batch_orders(orders)
    assert result["ok"].all()
    counts = orders_by_client_oid(exchange)
    assert all(counts[f"lost-batch-{i}"] == 1 for i in range(5))


def test_300_orders_under_injected_faults_no_duplicates_no_losses():
    kinds = [("before", "http_503"), ("before", "code_45001"), ("after", "drop"),
             ("after", "code_45001"), ("after", "code_40010")]  # fmt: skip
    with bg.LocalExchange(seed=5, start_time=START, rate_limits=False) as ex:
        ex.faults.fail_randomly("submit_new_order", 0.3, kinds=kinds, seed=42)
        c = bg.BitgetClient(**ex.credentials, base_url=ex.base_url, rate_limit=False,
                            sleep=lambda s: None, settle_window=2.0)  # fmt: skip
        rng = random.Random(3)
        acknowledged, unknown = {}, []
        for i in range(300):
            oid = f"soak-{i}"
            # two symbols, so the 300 resting orders stay under the 200-per-symbol cap
            order = (
                far_bid(clientOid=oid, price=str(50000 + rng.randint(0, 5000)))
                if i % 2
                else far_bid(clientOid=oid, symbol="ETHUSDT", qty="0.01",
                             price=str(2500 + rng.randint(0, 300)))
            )  # fmt: skip
            try:
                acknowledged[oid] = c.submit_new_order(order)
            except bg.OutcomeUnknownError as exc:
                assert exc.client_oid == oid
                unknown.append(oid)
        injected = sum(ex.faults.injected.values())
        counts = orders_by_client_oid(ex)
        ids = {o.client_oid: o.order_id for o in store(ex).newest_orders()}
        c.close()
    assert injected >= 60  # at least 20 % of the 300 placements met a fault
    assert max(counts.values()) == 1  # zero duplicates
    for oid, ack in acknowledged.items():  # zero lost: every acknowledged order exists
        assert counts[oid] == 1 and ids[oid] == ack["orderId"]
    assert len(acknowledged) + len(unknown) == 300


def test_fee_rate_is_a_typed_series(client):
    rates = client.get_fee_rate(category="SPOT", symbol="BTCUSDT")
    assert rates["makerFeeRate"] == pytest.approx(0.001) and rates.dtype == "float64"


def test_all_fee_rates_is_a_typed_frame_one_row_per_symbol_agreeing_with_get_fee_rate(client):
    rates = client.get_all_fee_rates(category="SPOT")
    assert list(rates.columns) == ["symbol", "makerFeeRate", "takerFeeRate"]
    assert rates["symbol"].is_unique and len(rates) == len(client.get_instruments(category="SPOT"))
    assert str(rates.dtypes["makerFeeRate"]) == "float64"
    for row in rates.itertuples():
        one = client.get_fee_rate(category="SPOT", symbol=row.symbol)
        assert (row.makerFeeRate, row.takerFeeRate) == (one["makerFeeRate"], one["takerFeeRate"])
    only = client.get_all_fee_rates({"category": "USDT-FUTURES"}, symbol="ETHUSDT")
    assert only["symbol"].tolist() == ["ETHUSDT"] and only.loc[0, "takerFeeRate"] == 0.0006


def test_max_transferable_is_a_series_of_the_unified_account_not_the_lead(client):
    most = client.get_max_transferable(coin="usdt")
    assert list(most.index) == ["coin", "maxTransfer", "borrowMaxTransfer"]
    assert most["coin"] == "USDT" and most["maxTransfer"] == most["borrowMaxTransfer"] == 100000
    client.copy_futures_transfer(type="in", coin="USDT", amount="250")
    assert client.get_max_transferable(coin="USDT")["maxTransfer"] == 100000 - 250
    assert client.get_copy_futures_max_transferable(coin="USDT")["maxTransferable"] == 250
    with pytest.raises(bg.BitgetAPIError) as info:
        client.get_max_transferable(coin="NOPE")
    assert info.value.code == "25201"


def test_progress_bar_can_be_forced_for_a_download(client, capsys):
    client.submit_new_order(far_bid())
    df = client.get_unfilled_orders(category="SPOT", progress=True)
    assert len(df) == 1
    assert "get_unfilled_orders" in capsys.readouterr().err  # tqdm draws on stderr


def test_a_batch_cancel_item_whose_outcome_stays_unknown_is_never_ok(exchange):
    with bg.BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                         sleep=lambda s: None, max_retries=0) as c:  # fmt: skip
        ack = c.submit_new_order(far_bid())
        exchange.faults.fail_next("cancel_batch_orders", when="before", kind="http_503")
        exchange.faults.fail_next("get_order_info", count=50, when="before", kind="http_503")
        with pytest.raises(bg.OutcomeUnknownError) as info:
            c.cancel_batch_orders([{**SPOT, "orderId": ack["orderId"]}])
        exchange.faults.clear()
    result = info.value.results
    assert info.value.client_oids == (ack["orderId"],)
    assert list(result["ok"]) == [False] and result.loc[0, "code"]
    assert ("cancel_order", "before", "http_503") not in exchange.faults.injected  # no re-send
