"""Records become typed pandas objects from declared schemas."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bitget_nb import frames

ORDER = {
    "orderId": "1", "clientOid": "c1", "category": "SPOT", "symbol": "BTCUSDT",
    "orderType": "limit", "side": "buy", "price": "60000", "qty": "0.001", "amount": "",
    "cumExecQty": "0", "cumExecValue": "0", "avgPrice": "0", "timeInForce": "gtc",
    "orderStatus": "live", "reduceOnly": "NO", "createdTime": "1700000000000",
    "updatedTime": "1700000000500",
    "feeDetail": [{"feeCoin": "BTC", "fee": "0.000001"}, {"feeCoin": "BTC", "fee": "0.000002"}],
    "unknownNewField": "kept",
}  # fmt: skip


def test_numeric_strings_become_floats_and_ms_become_utc_times():
    df = frames.to_frame([ORDER], "order")
    assert df.dtypes["price"] == "float64" and df.loc[0, "price"] == 60000.0
    assert str(df.dtypes["createdTime"]) == "datetime64[ms, UTC]"
    assert df.loc[0, "updatedTime"] == pd.Timestamp(1700000000500, unit="ms", tz="UTC")
    assert pd.isna(df.loc[0, "amount"])  # "" is missing, not zero


def test_reduce_only_yes_no_in_either_case_is_a_boolean():
    df = frames.to_frame([{**ORDER, "reduceOnly": "YES"}, {**ORDER, "reduceOnly": "no"}], "order")
    assert str(df.dtypes["reduceOnly"]) == "boolean"
    assert df["reduceOnly"].tolist() == [True, False]


def test_fee_detail_is_flattened_and_the_raw_list_kept():
    df = frames.to_frame([ORDER], "order")
    assert abs(df.loc[0, "fee"] - 0.000003) < 1e-12 and df.loc[0, "feeCoin"] == "BTC"
    assert df.loc[0, "feeDetail"] == ORDER["feeDetail"]


def test_unknown_fields_are_kept_after_the_schema_columns():
    df = frames.to_frame([ORDER], "order")
    assert df.columns[-1] == "unknownNewField" and df.loc[0, "unknownNewField"] == "kept"


def test_empty_list_gives_a_typed_empty_frame_with_the_schema_columns():
    df = frames.to_frame([], "order")
    assert len(df) == 0 and list(df.columns) == list(frames.SCHEMAS["order"])
    assert df.dtypes["price"] == "float64"
    assert str(df.dtypes["createdTime"]) == "datetime64[ms, UTC]"


def test_attrs_keep_the_envelopes_metadata_as_json_and_never_its_data():
    envelope = {"code": "00000", "msg": "success", "requestTime": 1, "data": [ORDER] * 1000}
    df = frames.to_frame([ORDER], "order", envelope=envelope)
    assert df.attrs["envelope"] == {"code": "00000", "msg": "success", "requestTime": 1}
    assert json.loads(json.dumps(df.attrs)) == df.attrs
    derived = df[df["price"] > 0]  # pandas propagates attrs through operations
    assert derived.attrs["envelope"] == df.attrs["envelope"]


def test_envelope_meta_keeps_scalars_and_adds_what_the_client_knows():
    meta = frames.envelope_meta(
        {"code": "00000", "requestTime": 5, "reconciled": True, "data": {"list": []},
         "odd": {"nested": 1}},
        endpoint="get_history_orders", pages=3, cursor=None,
    )  # fmt: skip
    assert meta == {"code": "00000", "requestTime": 5, "reconciled": True,
                    "endpoint": "get_history_orders", "pages": 3, "cursor": None}  # fmt: skip


def test_series_for_one_record_has_converted_values():
    s = frames.to_series(ORDER, "order")
    assert s["price"] == 60000.0 and s["createdTime"].year == 2023 and s["orderId"] == "1"


def test_instrument_times_of_minus_one_are_missing():
    df = frames.to_frame([{"symbol": "X", "offTime": "-1", "launchTime": "0"}], "instrument")
    assert df["offTime"].isna().all() and df["launchTime"].isna().all()


def test_instrument_maintain_time_empty_when_none_is_missing():
    # spec §10.2: maintainTime is "" when nothing is scheduled; offTime stays "-1"
    df = frames.to_frame([{"symbol": "X", "maintainTime": "", "offTime": "-1"}], "instrument")
    assert (
        df["maintainTime"].isna().all() and str(df.dtypes["maintainTime"]) == "datetime64[ms, UTC]"
    )


def test_a_market_orders_price_reads_as_missing_never_as_zero():
    # REST sends "0" (spec §10.2), the WebSocket "": neither is a price
    rows = [
        {**ORDER, "orderType": "market", "price": "0"},
        {**ORDER, "orderType": "market", "price": ""},
        {**ORDER, "orderType": "limit", "price": "60000"},
    ]
    df = frames.to_frame(rows, "order")
    assert df["price"].isna().tolist() == [True, True, False] and df.loc[2, "price"] == 60000
    assert pd.isna(frames.to_series(rows[0], "order")["price"])


def test_perm_type_reads_the_same_in_either_spelling():
    # live: read_and_write (typed-bitget); DOCS prose: read-and-write (spec §10.2)
    rows = [{"permType": w} for w in ("read_and_write", "read-and-write", "read-only", "read_only")]
    df = frames.to_frame(rows, "account_info")
    assert df["permType"].tolist() == ["read_and_write", "read_and_write", "read_only", "read_only"]


def test_batch_results_flag_failed_items():
    df = frames.batch_frame(
        [
            {"orderId": "1", "clientOid": "a"},
            {"orderId": "", "clientOid": "b", "code": "25204", "msg": "Order does not exist"},
            {"orderId": "3", "clientOid": "c", "code": "00000", "msg": "success"},
        ]
    )
    assert df["ok"].tolist() == [True, False, True]


def test_a_batch_whose_items_carry_only_ids_is_all_ok_with_empty_code_and_msg():
    # live Bitget: successful items have orderId and clientOid only (spec §10.2)
    df = frames.batch_frame(
        [{"orderId": "1", "clientOid": "a"}, {"orderId": "2", "clientOid": "b"}]
    )
    assert list(df.columns) == ["orderId", "clientOid", "code", "msg", "ok"]
    assert df["ok"].tolist() == [True, True] and df["code"].isna().all() and df["msg"].isna().all()


def test_candles_are_time_indexed_ascending_floats():
    rows = [
        ["1700000060000", "2", "3", "1", "2.5", "10", "25"],
        ["1700000000000", "1", "2", "1", "2", "5", "8"],
    ]
    df = frames.candles_frame(rows)
    assert list(df.columns) == ["open", "high", "low", "close", "volume", "turnover"]
    assert df.index.is_monotonic_increasing and str(df.index.dtype) == "datetime64[ms, UTC]"
    assert (df.dtypes == "float64").all()
    assert frames.candles_frame([]).empty


def test_orderbook_accepts_strings_or_numbers_and_dates_every_level():
    book = {"a": [["10.5", "1"], [10.6, 2]], "b": [[10.4, "3"]], "ts": "1700000000000"}
    df = frames.orderbook_frame(book)
    assert df["side"].tolist() == ["ask", "ask", "bid"]
    assert df["price"].tolist() == [10.5, 10.6, 10.4] and df["level"].tolist() == [0, 1, 0]
    assert (df["ts"] == pd.Timestamp(1700000000000, unit="ms", tz="UTC")).all()
    assert str(df.dtypes["ts"]) == "datetime64[ms, UTC]" and not df.attrs
    assert list(frames.orderbook_frame(None).columns) == ["side", "level", "price", "size", "ts"]


def test_assets_frame_keeps_account_totals_in_attrs_as_a_json_record():
    df = frames.assets_frame(
        {
            "accountEquity": "100",
            "imr": "2.5",
            "btcUnrealizedPnl": "0.001",
            "assets": [{"coin": "USDT", "balance": "100"}],
        }
    )
    assert df.loc[0, "balance"] == 100.0
    account = df.attrs["account"]
    assert account["accountEquity"] == 100.0 and account["btcUnrealisedPnl"] == 0.001
    assert "btcUnrealizedPnl" not in account  # one spelling, as the other totals
    assert json.loads(json.dumps(df.attrs)) == df.attrs
    # a list of names answers with a float Series, as a Series of the totals would
    picked = account[["accountEquity", "imr"]]
    assert picked.dtype == "float64" and picked.tolist() == [100.0, 2.5]


#: ccxt's captured live row of an SL-only strategy order (one row per order, no triggerType).
LIVE_STRATEGY_ROW = {
    "orderId": "1330984742276198400", "clientOid": "1330984742276198400", "symbol": "BTCUSDT",
    "category": "USDT-FUTURES", "qty": "0.001", "posSide": "long", "tpTriggerBy": "market",
    "slTriggerBy": "mark", "takeProfit": "", "stopLoss": "114000", "tpOrderType": "market",
    "slOrderType": "limit", "tpLimitPrice": "", "slLimitPrice": "113000",
    "createdTime": "1753057411736", "updatedTime": "1753057411747", "status": "pending",
}  # fmt: skip


def _legs(status_tp: str, status_sl: str) -> list[dict]:
    """The same TP+SL order as a row per leg, the shape NODE's optional triggerType allows."""
    base = {"orderId": "9", "clientOid": "c9", "category": "USDT-FUTURES", "symbol": "BTCUSDT",
            "qty": "0.01", "posSide": "long", "createdTime": "1753057411736"}  # fmt: skip
    return [
        {**base, "triggerType": "takeProfit", "status": status_tp, "takeProfit": "120000",
         "tpTriggerBy": "mark", "tpOrderType": "market", "tpLimitPrice": "", "stopLoss": "",
         "updatedTime": "1753057411800"},
        {**base, "triggerType": "stopLoss", "status": status_sl, "takeProfit": "",
         "stopLoss": "100000", "slTriggerBy": "market", "slOrderType": "limit",
         "slLimitPrice": "99000", "updatedTime": "1753057411900"},
    ]  # fmt: skip


def test_a_live_strategy_row_is_one_order_with_no_fired_leg():
    df = frames.to_frame([LIVE_STRATEGY_ROW], "strategy_order")
    (row,) = df.itertuples()
    assert (row.orderId, row.status, row.stopLoss, row.slLimitPrice) == (
        "1330984742276198400", "pending", 114000.0, 113000.0,
    )  # fmt: skip
    assert pd.isna(row.takeProfit) and pd.isna(row.triggerType)


def test_rows_per_leg_are_merged_into_one_row_per_strategy_order():
    (row,) = frames.to_frame(_legs("pending", "pending"), "strategy_order").itertuples()
    assert (row.orderId, row.status, row.takeProfit, row.stopLoss) == (
        "9", "pending", 120000.0, 100000.0,
    )  # fmt: skip
    assert (row.tpTriggerBy, row.slOrderType, row.slLimitPrice) == ("mark", "limit", 99000.0)
    assert pd.isna(row.triggerType)  # no leg has fired
    assert row.updatedTime == pd.Timestamp(1753057411900, unit="ms", tz="UTC")


def test_a_merged_order_is_as_finished_as_its_legs_and_names_the_leg_that_fired():
    (row,) = frames.to_frame(_legs("cancelled", "success"), "strategy_order").itertuples()
    assert (row.status, row.triggerType) == ("success", "stopLoss")
    # a failed leg does not settle an order whose other leg still waits
    (row,) = frames.to_frame(_legs("failed", "pending"), "strategy_order").itertuples()
    assert (row.status, pd.isna(row.triggerType)) == ("pending", True)
    (row,) = frames.to_frame(_legs("failed", "cancelled"), "strategy_order").itertuples()
    assert (row.status, row.triggerType) == ("failed", "takeProfit")
    (row,) = frames.to_frame(_legs("cancelled", "cancelled"), "strategy_order").itertuples()
    assert (row.status, pd.isna(row.triggerType)) == ("cancelled", True)


# -- values that do not apply -------------------------------------------------------------------
def test_zeros_that_stand_for_no_value_read_as_missing_in_frames_and_series():
    unfilled = {**ORDER, "avgPrice": "0", "cumExecQty": "0"}
    quote_buy = {**ORDER, "orderType": "market", "price": "0", "qty": "0", "amount": "100",
                 "avgPrice": "65000.5"}  # fmt: skip
    base_sized = {**ORDER, "amount": "0", "avgPrice": "60000", "cumExecQty": "0.001"}
    df = frames.to_frame([unfilled, quote_buy, base_sized], "order")
    assert df["avgPrice"].isna().tolist() == [True, False, False]
    assert df["qty"].isna().tolist() == [False, True, False]
    assert df["amount"].isna().tolist() == [True, False, True]  # ORDER's amount is "" too
    assert df.loc[0, "cumExecQty"] == 0  # nothing filled is a real zero
    series = frames.to_series(unfilled, "order")
    assert pd.isna(series["avgPrice"]) and series["cumExecQty"] == 0


def test_a_position_no_price_liquidates_has_no_liquidation_price():
    row = {"symbol": "BTCUSDT", "leverage": "20", "liquidationPrice": "0",
           "breakEvenPrice": "65960.7", "unrealisedPnl": "0"}  # fmt: skip
    df = frames.to_frame([row], "position")
    assert pd.isna(df.loc[0, "liquidationPrice"]) and df.loc[0, "breakEvenPrice"] == 65960.7
    assert df.loc[0, "unrealisedPnl"] == 0  # a PnL of zero is a value


def test_a_full_tpsl_order_has_no_quantity_of_its_own():
    df = frames.to_frame([{**LIVE_STRATEGY_ROW, "tpslMode": "full", "qty": "0"}], "strategy_order")
    assert pd.isna(df.loc[0, "qty"])


def test_integer_fields_are_nullable_integers():
    df = frames.to_frame(
        [{"symbol": "A", "pricePrecision": "2", "maxLeverage": "125", "fundInterval": "8"},
         {"symbol": "B", "pricePrecision": "", "maxLeverage": "75"}],
        "instrument",
    )  # fmt: skip
    assert str(df.dtypes["pricePrecision"]) == "Int64" and df["pricePrecision"].iloc[0] == 2
    assert pd.isna(df["pricePrecision"].iloc[1]) and pd.isna(df["fundInterval"].iloc[1])
    assert df["maxLeverage"].tolist() == [125, 75]
    assert frames.to_series({"symbol": "A", "pricePrecision": "2"}, "instrument")[
        "pricePrecision"
    ] == 2 and "2.0" not in repr(frames.to_series({"pricePrecision": "2"}, "instrument"))


def test_an_integer_field_that_carries_a_fraction_keeps_it_as_a_float_column():
    df = frames.to_frame([{"symbol": "A", "leverage": "12.5"}, {"leverage": "10"}], "position")
    assert df["leverage"].tolist() == [12.5, 10.0] and df.dtypes["leverage"] == "float64"


# -- spellings ------------------------------------------------------------------------------------
COPY_POSITION = {
    "symbol": "BTCUSDT", "holdSide": "long", "holdSize": "0.01", "avgPrice": "65881.6",
    "markPrice": "65868.4", "liqPrice": "0", "leverage": "10", "marginMode": "cross",
    "margin": "65.8816", "positionValue": "658.684", "unrealizedPnl": "-0.132",
    "realizedPnl": "0", "roi": "-0.002004",
}  # fmt: skip


def test_copy_positions_use_the_apis_one_spelling_and_name_the_wire_names():
    df = frames.to_frame([COPY_POSITION], "copy_position")
    assert list(df.columns) == list(frames.SCHEMAS["copy_position"])
    assert (df.loc[0, "posSide"], df.loc[0, "marginMode"]) == ("long", "crossed")
    assert df.loc[0, "unrealisedPnl"] == -0.132 and pd.isna(df.loc[0, "liquidationPrice"])
    assert df.attrs["wire_names"] == {
        "posSide": "holdSide", "liquidationPrice": "liqPrice",
        "unrealisedPnl": "unrealizedPnl", "realisedPnl": "realizedPnl",
    }  # fmt: skip
    series = frames.to_series(COPY_POSITION, "copy_position")
    assert series["posSide"] == "long" and series.attrs["wire_names"] == df.attrs["wire_names"]


def test_a_concept_has_one_column_name_in_every_schema():
    spellings = {}
    for kinds in frames.SCHEMAS.values():
        for column in kinds:
            spellings.setdefault(column.lower().replace("ize", "ise"), set()).add(column)
    assert not {key: names for key, names in spellings.items() if len(names) > 1}
    assert not any("realized" in c.lower() for kinds in frames.SCHEMAS.values() for c in kinds)
    assert "liqPrice" not in frames.SCHEMAS["copy_position"]


# -- nested lists ---------------------------------------------------------------------------------
def test_margin_details_are_one_row_per_symbol_and_margin_coin_with_integer_counts():
    pairs = [
        {"symbol": "BTCUSDT", "leverage": "20", "marginDetails": [
            {"marginCoin": "USDT", "maxLongCount": "10", "remainingLongCount": "9",
             "maxShortCount": "10", "remainingShortCount": "10"},
            {"marginCoin": "USDC", "maxLongCount": "5", "remainingLongCount": "5",
             "maxShortCount": "5", "remainingShortCount": "4"}]},
        {"symbol": "ETHUSDT", "leverage": "10", "marginDetails": []},
    ]  # fmt: skip
    df = frames.to_frame(pairs, "copy_trading_pair")
    assert df[["symbol", "marginCoin"]].values.tolist() == [
        ["BTCUSDT", "USDT"], ["BTCUSDT", "USDC"], ["ETHUSDT", np.nan]
    ]  # fmt: skip
    assert str(df.dtypes["remainingLongCount"]) == "Int64" and df["leverage"].tolist()[0] == 20
    assert df["remainingLongCount"].tolist()[:2] == [9, 5] and pd.isna(df["maxLongCount"][2])
    assert df.loc[0, "marginDetails"] == pairs[0]["marginDetails"]  # the list as it came


def test_fees_in_several_coins_are_not_added_up():
    mixed = {**ORDER, "feeDetail": [{"feeCoin": "BGB", "fee": "0.1"},
                                    {"feeCoin": "USDT", "fee": "0.2"}]}  # fmt: skip
    none = {**ORDER, "feeDetail": []}
    df = frames.to_frame([mixed, none, ORDER], "order")
    assert pd.isna(df.loc[0, "fee"]) and df.loc[0, "feeCoin"] == "BGB,USDT"
    assert pd.isna(df.loc[1, "fee"]) and pd.isna(df.loc[1, "feeCoin"])
    assert math.isclose(df.loc[2, "fee"], 0.000003) and df.loc[2, "feeCoin"] == "BTC"


# -- Series ---------------------------------------------------------------------------------------
#: One record per schema, in the wire's own spelling, with every kind of value.
RECORDS = {
    "instrument": {"symbol": "BTCUSDT", "minOrderQty": "0.00001", "pricePrecision": "2",
                   "maxLeverage": "125", "offTime": "-1", "launchTime": "1532454360000"},
    "ticker": {"symbol": "BTCUSDT", "lastPrice": "65861.83", "price24hPcnt": "-0.020888",
               "turnover24h": "312195691.8606", "ts": "1767571200000"},
    "public_fill": {"execId": "1", "price": "1.5", "size": "2", "side": "buy",
                    "ts": "1767571200000", "isRPI": "NO"},
    "spot_coin": {"coinId": "2", "coin": "USDT", "transfer": "true",
                  "chains": [{"chain": "TRC20"}], "areaCoin": "no"},
    "asset": {"coin": "USDT", "equity": "1", "balance": "1", "bonus": "0"},
    "account_totals": {"accountEquity": "1.5", "btcUnrealizedPnl": "-0.00001"},
    "account_settings": {"uid": "1", "holdMode": "one_way_mode",
                         "symbolConfigList": [{"symbol": "BTCUSDT", "leverage": "20"}]},
    "account_info": {"userId": "1", "permType": "read-and-write",
                     "permissions": ["uta_trade"], "regisTime": "1767571200000"},
    "fee_rate": {"makerFeeRate": "0.0002", "takerFeeRate": "0.0006"},
    "symbol_fee_rate": {"makerFeeRate": "0.00036", "takerFeeRate": "0.001", "symbol": "BTCUSDT"},
    "max_transferable": {"coin": "USDT", "maxTransfer": "1", "borrowMaxTransfer": "1"},
    "server_time": {"serverTime": "1767571200000"},
    "order_ack": {"orderId": "1", "clientOid": "c"},
    "batch_result": {"orderId": "1", "clientOid": "c", "code": "25202", "msg": "no"},
    "order": ORDER,
    "fill": {"execId": "1", "execPrice": "1", "execQty": "2", "isRPI": "NO",
             "feeDetail": [{"feeCoin": "USDT", "fee": "0.1"}], "createdTime": "1767571200000"},
    "strategy_order": LIVE_STRATEGY_ROW,
    "position": {"symbol": "BTCUSDT", "leverage": "20", "liquidationPrice": "0",
                 "marginMode": "crossed", "createdTime": "1767571200000"},
    "position_history": {"positionId": "1", "openPriceAvg": "1", "closePriceAvg": "0"},
    "copy_trading_pair": {"symbol": "BTCUSDT", "leverage": "10", "marginDetails": [
        {"marginCoin": "USDT", "maxLongCount": "10", "remainingLongCount": "9"}]},
    "copy_position": COPY_POSITION,
    "copy_max_transferable": {"maxTransferable": "5000", "available": "5000"},
    "copy_transfer": {"transferId": "7"},
    "copy_transfer_record": {"transferId": "7", "amount": "10", "status": "Successful",
                             "createdTime": "1767571200000"},
    "copy_current_follower": {"followerName": "f", "canRemove": "yes", "followDays": "3",
                              "startTime": "1767571200000"},
    "copy_history_follower": {"followerName": "f", "totalProfit": "1", "endTime": "0"},
    "copy_profit_summary": {"totalProfit": "1", "totalPendingProfit": "0"},
    "copy_profit_detail": {"followerName": "f", "shareRatio": "0.1",
                           "settleTime": "1767571200000"},
    "funding_rate": {"symbol": "BTCUSDT", "fundingRate": "0.000071", "fundingRateInterval": "8",
                     "nextUpdate": "1743062400000", "minFundingRate": "-0.003",
                     "maxFundingRate": "0.003"},
    "funding_rate_history": {"symbol": "BTCUSDT", "fundingRate": "0.0001",
                             "fundingRateTimestamp": "1754899200000"},
    "open_interest": {"symbol": "BTCUSDT", "openInterest": "2243.019", "ts": "1730969652411"},
    "position_tier": {"tier": "1", "minTierValue": "0", "maxTierValue": "100000",
                      "leverage": "125", "mmr": "0.004"},
    "financial_record": {"category": "MARGIN", "id": "13111111111111111", "symbol": "BTCUSDT",
                         "coin": "BTC", "type": "ORDER_DEALT_IN", "amount": "0.00531168",
                         "fee": "-0.00000531", "balance": "55.10017801", "ts": "1745853486185"},
}  # fmt: skip


def test_every_schema_has_a_sample_record():
    assert set(RECORDS) == set(frames.SCHEMAS)


@pytest.mark.parametrize("schema", sorted(RECORDS))
def test_a_series_holds_the_values_of_its_records_frame_row(schema):
    record = RECORDS[schema]
    series = frames.to_series(record, schema)
    (row,) = frames.to_frame([record], schema).to_dict("records")
    assert list(series.index) == list(row)
    for name, value in row.items():
        got = series[name]
        assert (pd.isna(got) and pd.isna(value)) if np.ndim(value) == 0 and pd.isna(value) \
            else got == value or list(got) == list(value), name  # fmt: skip


@pytest.mark.parametrize(
    ("schema", "dtype"),
    [("order_ack", "str"), ("fee_rate", "float64"), ("server_time", "datetime64[ms, UTC]"),
     ("copy_max_transferable", "float64"), ("order", "object")],
)  # fmt: skip
def test_a_series_of_one_kind_of_value_has_that_dtype(schema, dtype):
    assert str(frames.to_series(RECORDS[schema], schema).dtype) == dtype


# -- units ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("schema", sorted(frames.SCHEMAS))
def test_every_number_and_time_of_every_schema_has_a_unit(schema):
    described = frames.describe_schema(schema)
    numbers = described[described["dtype"].isin(["float64", "Int64", "datetime64[ms, UTC]"])]
    assert (numbers["unit"] != "").all(), numbers[numbers["unit"] == ""].index.tolist()
    assert list(described.index) == list(frames.SCHEMAS[schema])


def test_price24h_pcnt_is_declared_a_fraction_and_renamed_columns_name_their_wire_field():
    assert "0.01 = +1 %" in frames.describe_schema("ticker").loc["price24hPcnt", "unit"]
    copy = frames.describe_schema("copy_position")
    assert copy.loc["unrealisedPnl", "wire"] == "unrealizedPnl"
    assert copy.loc["symbol", "wire"] == "symbol"


# -- pages ----------------------------------------------------------------------------------------
def test_pages_converted_one_by_one_make_the_frame_of_all_their_rows():
    pages = [
        [{**ORDER, "orderId": str(i), "createdTime": str(1700000000000 - i)} for i in range(3)],
        [{**ORDER, "orderId": str(i), "createdTime": str(1700000000000 - i)} for i in range(3, 5)],
    ]
    collected = frames.PagedFrame("order")
    for page in pages:
        collected.add(page)
    whole = frames.to_frame(pages[0] + pages[1], "order")
    pd.testing.assert_frame_equal(collected.frame(), whole)


def test_pages_drop_rows_seen_before_and_stop_at_max_rows():
    collected = frames.PagedFrame("fill", max_rows=4)
    collected.add([{"execId": "1"}, {"execId": "2"}])
    collected.add([{"execId": "2"}, {"execId": "3"}])
    collected.add([{"execId": "4"}, {"execId": "5"}])
    assert collected.rows == 4 and collected.frame()["execId"].tolist() == ["1", "2", "3", "4"]


def test_a_column_only_later_pages_have_takes_its_schema_place_and_dtype():
    collected = frames.PagedFrame("order")
    collected.add([{"orderId": "2", "price": "10"}])
    collected.add([{"orderId": "1", "price": "11", "cancelReason": "normal_cancel",
                    "createdTime": "1700000000000", "leverage": "x"}])  # fmt: skip
    df = collected.frame()
    assert list(df.columns) == ["orderId", "price", "cancelReason", "createdTime", "leverage"]
    assert str(df.dtypes["createdTime"]) == "datetime64[ms, UTC]" and pd.isna(df["cancelReason"][0])


def test_an_integer_fraction_on_one_page_makes_the_column_float_on_all():
    collected = frames.PagedFrame("position_history")
    collected.add([{"positionId": "1", "openPriceAvg": "1"}])
    many = frames.PagedFrame("copy_current_follower")
    many.add([{"followerName": "a", "followDays": "2"}])
    many.add([{"followerName": "b", "followDays": "2.5"}])
    assert many.frame()["followDays"].tolist() == [2.0, 2.5]
    assert many.frame().dtypes["followDays"] == "float64"


def test_strategy_legs_on_different_pages_merge_into_one_row():
    tp, sl = _legs("cancelled", "success")
    collected = frames.PagedFrame("strategy_order")
    collected.add([tp])
    collected.add([sl])
    (row,) = collected.frame().itertuples()
    assert (row.status, row.triggerType, row.takeProfit, row.stopLoss) == (
        "success", "stopLoss", 120000.0, 100000.0,
    )  # fmt: skip


def test_long_columns_read_blanks_numbers_and_junk_as_short_ones_do():
    # columns past a thousand rows are converted by whole-array operations
    rows = [
        {"orderId": str(i) if i % 3 else 1000 + i, "symbol": "" if i % 2 else "BTCUSDT",
         "price": "" if i % 5 == 0 else "junk" if i == 7 else str(i), "qty": None}
        for i in range(1500)
    ]  # fmt: skip
    long = frames.to_frame(rows, "order")
    short = pd.concat([frames.to_frame(rows[i : i + 500], "order") for i in (0, 500, 1000)],
                      ignore_index=True)  # fmt: skip
    pd.testing.assert_frame_equal(long, short)
    assert long["orderId"][0] == "1000" and pd.isna(long["symbol"][1])
    assert pd.isna(long["price"][7]) and long["price"][8] == 8.0 and long["qty"].isna().all()


# -- the docs page --------------------------------------------------------------------------------
def _grouped(units: dict[str, str]) -> dict[str, list[str]]:
    by_unit: dict[str, list[str]] = {}
    for column, unit in units.items():
        by_unit.setdefault(unit, []).append(column)
    return by_unit


def test_the_frames_page_lists_every_declared_unit_and_rename():
    page = (Path(__file__).resolve().parents[1] / "docs" / "frames.md").read_text()

    def cells(columns: list[str]) -> str:
        return ", ".join(f"`{c}`" for c in columns)

    for unit, columns in _grouped(frames.UNITS).items():
        assert f"| {cells(columns)} | {unit} |" in page, unit
    for schema, units in frames.SCHEMA_UNITS.items():
        for unit, columns in _grouped(units).items():
            assert f"| {schema} | {cells(columns)} | {unit} |" in page, (schema, unit)
    for renames in frames.RENAMES.values():
        for wire, column in renames.items():
            assert f"| `{wire}` | `{column}` |" in page, wire
    for schema, columns in frames.ZERO_IS_NONE.items():
        for column in columns:
            assert f"`{column}`" in page, (schema, column)
