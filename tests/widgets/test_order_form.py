"""The order ticket, driven by ``.value`` and ``.click()`` against the real local exchange."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from decimal import Decimal

import ipywidgets as w
import pytest
import requests

import bitget_nb as bg
from bitget_nb.signing import compact_json

from .conftest import PLACE, Wire, make_client, store, text_of

LIMIT_BUY = {
    "category": "SPOT",
    "symbol": "BTCUSDT",
    "side": "buy",
    "orderType": "limit",
    "qty": "0.001",
    "price": "60000",
}


def reviewed_json(form: bg.OrderForm) -> str:
    """The JSON the preview shows (the exact body Confirm sends)."""
    return text_of(form._preview).split("POST /api/v3/trade/place-order", 1)[1].strip()


# -- derived from the model --------------------------------------------------------------------
def test_every_model_field_has_a_control_derived_from_its_metadata():
    form = bg.OrderForm()
    model_fields = dataclasses.fields(bg.PlaceOrderRequestV3)
    assert list(form.fields) == [f.name for f in model_fields]
    for f in model_fields:
        control = form.fields[f.name]
        assert f"bgnb-field-{f.name}" in control._dom_classes
        if "choices" in f.metadata:
            assert isinstance(control, w.Dropdown)
            values = [o[1] if isinstance(o, tuple) else o for o in control.options]
            required = f.default is dataclasses.MISSING
            assert values == ([] if required else [""]) + list(f.metadata["choices"])
        elif f.metadata.get("decimal"):
            assert isinstance(control, w.Text) and control.placeholder == "decimal"


def test_without_a_client_the_form_is_a_payload_builder():
    form = bg.OrderForm(**LIMIT_BUY, timeInForce="post_only", clientOid="pb-1")
    expected = bg.PlaceOrderRequestV3(**LIMIT_BUY, timeInForce="post_only", clientOid="pb-1")
    assert form.request == expected and form.payload == expected.to_payload()
    assert form.confirm_button.layout.display == "none"
    assert form.review() == expected and form.reviewed == expected
    with pytest.raises(bg.ConfigurationError, match="no client"):
        form.confirm()
    assert "NO CLIENT" in form._env_badge.value


def test_client_oid_is_prefilled_and_editable():
    form = bg.OrderForm(**LIMIT_BUY)
    generated = form.fields["clientOid"].value
    assert generated.startswith("bgnb-") and form.payload["clientOid"] == generated
    form.fields["clientOid"].value = "mine-1"
    assert form.payload["clientOid"] == "mine-1"
    form.fields["clientOid"].value = ""
    assert "clientOid" in form.errors and form.review_button.disabled
    assert form.new_client_oid() == form.payload["clientOid"] != generated


def test_price_is_disabled_for_market_orders_and_left_out_of_the_payload():
    form = bg.OrderForm(**LIMIT_BUY, clientOid="m-1")
    form.fields["orderType"].value = "market"
    assert form.fields["price"].disabled and "price" not in form.payload
    form.fields["orderType"].value = "limit"
    assert not form.fields["price"].disabled and form.payload["price"] == "60000"


def test_futures_and_tpsl_sections_show_only_for_futures_and_limit_prices_need_limit_legs():
    form = bg.OrderForm(**LIMIT_BUY, clientOid="f-1")
    assert form._futures_box.layout.display == "none" and form._tpsl_box.layout.display == "none"
    form.set(category="USDT-FUTURES", takeProfit="70000", tpTriggerBy="mark")
    assert form._futures_box.layout.display is None and form._tpsl_box.layout.display is None
    assert form.fields["tpLimitPrice"].disabled
    form.fields["tpOrderType"].value = "limit"
    assert "tpLimitPrice" in form.errors  # the model: a limit leg needs its limit price
    form.fields["tpLimitPrice"].value = "69990"
    assert form.payload == {
        **LIMIT_BUY,
        "category": "USDT-FUTURES",
        "clientOid": "f-1",
        "tpTriggerBy": "mark",
        "takeProfit": "70000",
        "tpOrderType": "limit",
        "tpLimitPrice": "69990",
    }


# -- the whole flow through the controls --------------------------------------------------------
def test_controls_by_value_and_click_send_exactly_the_reviewed_payload(client, exchange, wire):
    form = bg.OrderForm(client)
    for name, value in {
        **LIMIT_BUY,
        "timeInForce": "gtc",
        "stpMode": "cancel_taker",
        "clientOid": "ui-1",
    }.items():
        form.fields[name].value = value
    assert form.errors == {} and form.confirm_button.disabled
    form.review_button.click()
    frozen = form.reviewed
    assert frozen is not None and not form.confirm_button.disabled
    shown = reviewed_json(form)
    assert shown == compact_json(frozen.to_payload()) and "REVIEWED" in form._preview.value
    form.confirm_button.click()
    assert wire.bodies(PLACE) == [shown.encode()]  # byte for byte what was reviewed
    order = store(exchange).by_client_oid("ui-1")
    assert order is not None and order.status == "live" and order.stp_mode == "cancel_taker"
    assert form.result == {
        "ok": True,
        "orderId": order.order_id,
        "clientOid": "ui-1",
        "orderStatus": "live",
        "reconciled": False,
    }
    assert order.order_id in text_of(form._result_html) and "live" in text_of(form._result_html)
    assert form.fields["clientOid"].value != "ui-1"  # a fresh one for the next order
    assert form.confirm_button.disabled and form.reviewed is None


def test_preview_shows_notional_fee_json_and_the_environment(client):
    form = bg.OrderForm(client, **LIMIT_BUY, clientOid="pv-1")
    lines = form.preview.splitlines()
    assert lines[0] == f"LOCAL · account {form.account} draft — Review to freeze it"
    assert lines[1:] == [
        "notional ≈ 60 USDT · est. fee ≤ 0.06 USDT (taker 0.1 %)",
        "POST /api/v3/trade/place-order",
        form.payload_json,
    ]
    assert form.payload_json == compact_json(form.payload)
    assert form.estimate == {
        "notional": Decimal("60.000"),
        "fee": Decimal("0.060000"),
        "takerFeeRate": Decimal("0.001"),
        "coin": "USDT",
        "basis": "price",
    }


def test_a_market_order_is_estimated_at_the_last_price(client):
    form = bg.OrderForm(
        client, **{**LIMIT_BUY, "side": "sell", "orderType": "market"}, clientOid="mkt-1"
    )
    last = Decimal(
        client.get_tickers(category="SPOT", symbol="BTCUSDT", raw=True)["data"][0]["lastPrice"]
    )
    assert form.estimate["basis"] == "last price"
    assert form.estimate["notional"] == Decimal("0.001") * last
    assert "at the last price" in form.preview


def test_spot_market_buy_is_sized_in_quote_and_says_so(client):
    form = bg.OrderForm(
        client, **{**LIMIT_BUY, "orderType": "market", "qty": "25"}, clientOid="mb-1"
    )
    assert "quote coin" in text_of(form._messages["qty"])
    assert "notional ≈ 25 USDT" in text_of(form._preview)
    form.fields["qty"].value = "0.5"
    assert "minimum order amount 1" in form.errors["qty"]


def test_editing_after_review_discards_the_review(client, exchange, wire):
    form = bg.OrderForm(client, **LIMIT_BUY, clientOid="ed-1")
    form.review()
    form.fields["qty"].value = "0.002"
    assert form.reviewed is None and form.confirm_button.disabled
    assert "review again" in form.status and "draft" in form._preview.value
    form.confirm_button.click()
    with pytest.raises(bg.ValidationError, match="nothing reviewed"):
        form.confirm()
    assert wire.bodies(PLACE) == [] and store(exchange).by_client_oid("ed-1") is None
    form.review()
    form.confirm()
    assert wire.payloads(PLACE)[0]["qty"] == "0.002"


def test_invalid_input_blocks_confirm_with_the_rules_message(client, wire):
    form = bg.OrderForm(client, **{**LIMIT_BUY, "qty": "0.0010005"}, clientOid="bad-1")
    message = (
        "qty 0.0010005 is not a multiple of the lot step 0.000001 for BTCUSDT; "
        "try 0.001 or 0.001001"
    )
    assert form.errors == {"qty": message}
    assert message in text_of(form._messages["qty"])
    assert form.review_button.disabled and form.confirm_button.disabled
    with pytest.raises(bg.ValidationError, match="lot step") as raised:
        form.review()
    assert raised.value.field == "qty" and form.reviewed is None
    with pytest.raises(bg.ValidationError, match="nothing reviewed"):
        form.confirm()
    assert wire.bodies(PLACE) == []
    button = form.round_buttons["qty"]
    assert button.layout.display is None
    button.click()
    assert form.fields["qty"].value == "0.001" and form.errors == {}
    assert button.layout.display == "none"


def test_price_off_the_tick_offers_one_click_rounding(client):
    form = bg.OrderForm(client, **{**LIMIT_BUY, "price": "60000.123"}, clientOid="tick-1")
    assert "tick size 0.01" in form.errors["price"]
    form.round_buttons["price"].click()
    assert form.fields["price"].value == "60000.12" and form.errors == {}


def test_model_errors_are_shown_next_to_their_field(client):
    form = bg.OrderForm(client, **{**LIMIT_BUY, "qty": "1e-3"}, clientOid="model-1")
    assert "not a plain decimal" in form.errors["qty"]
    form.set(qty="0.001", price="")
    assert form.errors == {"price": "price: required for a limit order"}
    assert "required for a limit order" in text_of(form._messages["price"])


def test_hold_mode_decides_whether_pos_side_is_asked_for(client):
    form = bg.OrderForm(
        client, **{**LIMIT_BUY, "category": "USDT-FUTURES", "qty": "0.01"}, clientOid="hm-1"
    )
    assert client.hold_mode() == "one_way_mode"
    assert form._rows["posSide"].layout.display == "none" and "posSide" not in form.payload
    client.set_hold_mode(holdMode="hedge_mode")
    form.fields["qty"].value = "0.02"  # any edit validates again, with the new hold mode
    assert form._rows["posSide"].layout.display is None
    assert "the account is in hedge mode" in form.errors["posSide"]
    form.fields["posSide"].value = "long"
    assert form.errors == {} and form.payload["posSide"] == "long"


# -- sending once -------------------------------------------------------------------------------
def test_double_confirm_sends_one_order(client, exchange, wire):
    form = bg.OrderForm(client, **LIMIT_BUY, clientOid="dbl-1")
    form.review_button.click()
    form.confirm_button.click()
    form.confirm_button.click()
    with pytest.raises(bg.ValidationError, match="nothing reviewed"):
        form.confirm()
    assert len(wire.bodies(PLACE)) == 1
    assert sum(o.client_oid == "dbl-1" for o in store(exchange).newest_orders()) == 1


def test_confirm_is_disabled_while_a_request_is_in_flight(exchange):
    in_flight, release = threading.Event(), threading.Event()
    sent: list[bytes] = []

    def hold(response: requests.Response, *args, **kwargs) -> None:
        if response.request.path_url == PLACE:
            sent.append(response.request.body)
            in_flight.set()
            release.wait(10)

    session = requests.Session()
    session.hooks["response"].append(hold)
    with bg.BitgetClient(
        **exchange.credentials, base_url=exchange.base_url, session=session
    ) as client:
        form = bg.OrderForm(client, **LIMIT_BUY, clientOid="fly-1")
        form.review()
        worker = threading.Thread(target=form.confirm)
        worker.start()
        try:
            assert in_flight.wait(10)
            assert form.confirm_button.disabled and form.review_button.disabled
            form.confirm_button.click()
            with pytest.raises(bg.ValidationError, match="in flight"):
                form.confirm()
            with pytest.raises(bg.ValidationError, match="in flight"):
                form.review()
            assert "OrderForm(local, in flight" in repr(form)
        finally:
            release.set()
            worker.join(10)
    assert len(sent) == 1 and form.result["ok"] and form.result["clientOid"] == "fly-1"


def test_a_lost_answer_is_settled_by_client_oid_not_sent_twice(client, exchange):
    exchange.faults.fail_next("submit_new_order", when="after", kind="drop")
    form = bg.OrderForm(client, **LIMIT_BUY, clientOid="lost-1")
    form.review()
    result = form.confirm()
    assert result["ok"] and result["reconciled"] and result["orderStatus"] == "live"
    assert sum(o.client_oid == "lost-1" for o in store(exchange).newest_orders()) == 1
    assert "lookup" in text_of(form._result_html)


def test_an_exchange_refusal_is_shown_with_code_message_and_what_to_do(client, exchange):
    form = bg.OrderForm(
        client, **{**LIMIT_BUY, "side": "sell", "qty": "50", "price": "90000"}, clientOid="poor-1"
    )
    form.review()
    result = form.confirm()
    assert result["ok"] is False and result["code"] == "25202"
    assert result["action"].startswith("reduce qty") and result["clientOid"] == "poor-1"
    shown = text_of(form._result_html)
    assert "25202" in shown and "What to do" in shown and result["message"] in shown
    assert form.fields["clientOid"].value == "poor-1"  # nothing placed: the id stays
    assert store(exchange).by_client_oid("poor-1") is None


def test_an_unknown_outcome_says_so_and_keeps_the_client_oid(exchange, wire):
    exchange.faults.fail_next("submit_new_order", 10, when="before", kind="http_503")
    with make_client(exchange, wire, sleep=lambda _s: None) as client:
        form = bg.OrderForm(client, **LIMIT_BUY, clientOid="unk-1")
        form.review()
        result = form.confirm()
    assert result["ok"] is False and "get_order_info(clientOid='unk-1')" in result["action"]
    assert "Outcome unknown" in text_of(form._result_html)
    assert form.status.startswith("outcome unknown:")
    assert form.fields["clientOid"].value == "unk-1"


# -- environment and secrets --------------------------------------------------------------------
def test_live_badge_is_red_and_names_the_account(exchange, wire):
    with make_client(exchange, wire, env="live") as live:  # a local exchange, labelled live
        form = bg.OrderForm(live, **LIMIT_BUY, clientOid="live-1")
        assert form.account == exchange.uid
        badge = form._env_badge.value
        assert f"LIVE · account {exchange.uid}" in badge and "#c62828" in badge
        assert form.confirm_button.button_style == "danger"
        assert form.confirm_button.description == f"Confirm → LIVE {exchange.uid}"
        assert "LIVE" in text_of(form._preview)


def all_widgets(root: w.Widget) -> list[w.Widget]:
    """``root`` and every widget reachable from its traits."""
    found: dict[int, w.Widget] = {}
    stack = [root]
    while stack:
        widget = stack.pop()
        if id(widget) in found:
            continue
        found[id(widget)] = widget
        for value in widget.trait_values().values():
            items = value if isinstance(value, list | tuple) else (value,)
            stack += [v for v in items if isinstance(v, w.Widget)]
    return list(found.values())


def assert_no_secret(root: w.Widget, secrets: list[str]) -> int:
    widgets = all_widgets(root)
    for widget in widgets:
        text = repr(widget.get_state()) + repr(widget.trait_values()) + repr(widget)
        for secret in secrets:
            assert secret not in text, f"a secret is in the state of {type(widget).__name__}"
    return len(widgets)


def test_no_secret_in_any_widget_state(client, exchange, wire):
    form = bg.OrderForm(client, **LIMIT_BUY, clientOid="sec-1")
    form.review()
    form.confirm()
    refused = bg.OrderForm(client, **{**LIMIT_BUY, "qty": "50", "side": "sell"}, clientOid="sec-2")
    refused.review()
    refused.confirm()
    view = bg.OrdersView(client)
    view.review_cancel(list(view.order_select.value) or [view.order_select.options[0][1]])
    view.confirm()
    kill = bg.KillSwitch(client, category="SPOT")
    kill.review()
    kill.confirm()
    dms = bg.DeadMansSwitchToggle(client, watch=0)
    dms.toggle.value = True
    dms.toggle.value = False
    secrets = [
        exchange.credentials["api_secret"],
        exchange.credentials["api_pass"],
        *wire.signatures,
    ]
    assert len(wire.signatures) > 5
    checked = sum(assert_no_secret(widget, secrets) for widget in (form, refused, view, kill, dms))
    assert checked > 50


# -- surface ------------------------------------------------------------------------------------
def test_repr_is_short_and_says_what_the_form_holds(client):
    form = bg.OrderForm(client, **LIMIT_BUY, clientOid="repr-1")
    assert repr(form) == "OrderForm(local, editing: SPOT BTCUSDT buy limit 0.001 @ 60000)"
    form.review()
    assert repr(form).startswith("OrderForm(local, reviewed:")
    form.fields["qty"].value = "x"
    assert repr(form) == "OrderForm(local, editing: 1 field(s) to fix)"


def test_unknown_fields_and_choices_are_refused_by_name():
    with pytest.raises(TypeError, match="takeProfitPrice"):
        bg.OrderForm(takeProfitPrice="1")
    with pytest.raises(bg.ValidationError, match="side: 'hold' is not one of buy, sell"):
        bg.OrderForm(side="hold")
    assert bg.OrderForm(side="SELL", category="spot").fields["side"].value == "sell"


def test_import_bitget_nb_does_not_import_ipywidgets():
    code = (
        "import sys, bitget_nb as bg; assert 'ipywidgets' not in sys.modules; "
        "bg.OrderForm; assert 'ipywidgets' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_wire_records_what_was_sent(client, wire: Wire):
    client.get_balances()
    assert wire.requests[-1][:2] == ("GET", "/api/v3/account/assets") and wire.signatures


# -- every message at once, nothing stale, nothing that does not apply -------------------------
def test_every_wrong_field_shows_its_message_at_once(client):
    form = bg.OrderForm(
        client, **{**LIMIT_BUY, "qty": "abc", "price": "60000.123"}, clientOid="not ok!"
    )
    assert set(form.errors) == {"qty", "price", "clientOid"}
    assert "not a plain decimal" in form.errors["qty"]
    assert "tick size 0.01" in form.errors["price"]
    assert "must be 1–32 characters" in form.errors["clientOid"]
    for name in ("qty", "price", "clientOid"):
        assert form.errors[name] in text_of(form._messages[name])
    form.fields["qty"].value = "0.001"  # fixing one leaves the others standing
    assert set(form.errors) == {"price", "clientOid"}


def test_both_legs_on_the_wrong_side_of_the_price_are_shown_together(client):
    form = bg.OrderForm(
        client,
        **{**LIMIT_BUY, "category": "USDT-FUTURES", "qty": "0.01"},
        takeProfit="59000",
        stopLoss="61000",
        clientOid="legs-1",
    )
    assert set(form.errors) == {"takeProfit", "stopLoss"}
    assert "must be above its price 60000" in form.errors["takeProfit"]
    assert "must be below its price 60000" in form.errors["stopLoss"]
    assert form.review_button.disabled


def test_a_missing_price_does_not_hide_a_missing_leg_price_nor_invent_a_level_error(client):
    form = bg.OrderForm(
        client,
        **{**LIMIT_BUY, "category": "USDT-FUTURES", "qty": "0.01", "price": ""},
        takeProfit="70000",
        tpOrderType="limit",
        clientOid="legs-2",
    )
    # the take-profit's level cannot be judged without a price: no verdict on it yet
    assert form.errors == {
        "price": "price: required for a limit order",
        "tpLimitPrice": "tpLimitPrice: required when tpOrderType is 'limit'",
    }
    form.set(price="60000", tpLimitPrice="69990")
    assert form.errors == {} and form.payload["takeProfit"] == "70000"


def test_the_status_line_clears_when_an_input_changes(client, exchange):
    form = bg.OrderForm(
        client, **{**LIMIT_BUY, "side": "sell", "qty": "50", "price": "90000"}, clientOid="st-1"
    )
    form.review()
    form.confirm()
    assert form.status.startswith("refused:") and "25202" in text_of(form._result_html)
    form.fields["category"].value = "USDT-FUTURES"  # a stale "Insufficient balance" stayed here
    assert form.status == ""
    form.set(category="SPOT", qty="0.001", price="60000")
    form.review()
    assert form.status.startswith("reviewed:")
    form.fields["qty"].value = "0.002"
    assert form.status == "edited after Review: the review is discarded — review again"
    form.review()
    form.confirm()
    assert form.status == "sent; the form has a fresh clientOid for the next order"


def test_fields_that_no_longer_apply_are_dropped_from_the_payload(client, exchange, wire):
    form = bg.OrderForm(client, **LIMIT_BUY, timeInForce="gtc", clientOid="gone-tif-1")
    assert form.payload["timeInForce"] == "gtc"
    form.set(category="USDT-FUTURES", orderType="market", qty="0.01", clientOid="gone-tif-2")
    assert form.fields["timeInForce"].disabled and form.fields["price"].disabled
    assert "timeInForce" not in form.payload and "price" not in form.payload
    form.review()
    form.confirm()
    assert wire.payloads(PLACE) == [
        {
            "category": "USDT-FUTURES",
            "symbol": "BTCUSDT",
            "side": "buy",
            "orderType": "market",
            "qty": "0.01",
            "clientOid": "gone-tif-2",
        }
    ]
    form.fields["orderType"].value = "limit"  # what was typed comes back where it applies
    assert form.payload["timeInForce"] == "gtc" and form.payload["price"] == "60000"


def test_reduce_only_does_not_apply_in_hedge_mode(client):
    form = bg.OrderForm(
        client,
        **{**LIMIT_BUY, "category": "USDT-FUTURES", "qty": "0.01"},
        reduceOnly="no",
        clientOid="ro-1",
    )
    assert form.payload["reduceOnly"] == "no"
    client.set_hold_mode(holdMode="hedge_mode")
    form.set(posSide="long")
    assert form._rows["reduceOnly"].layout.display == "none"
    assert "reduceOnly" not in form.payload and form.payload["posSide"] == "long"


def test_an_orders_view_on_the_same_client_reads_again_after_a_confirm(client, exchange):
    view = bg.OrdersView(client)
    resting = client.submit_new_order(**{**LIMIT_BUY, "price": "59000"}, clientOid="rv-rest")
    view.refresh()
    view.review_cancel([resting["orderId"]])
    form = bg.OrderForm(client, **LIMIT_BUY, clientOid="rv-form-1")
    form.review()
    form.confirm()
    assert set(view.orders["clientOid"]) == {"rv-rest", "rv-form-1"}  # no Refresh clicked
    assert "rv-form-1" in text_of(view._orders_html)
    assert view.status == "read again after order rv-form-1 from an order form"
    assert view._gate.plan is not None  # the reviewed cancel still lists its order
    view.confirm()
    assert store(exchange).by_client_oid("rv-rest").status == "cancelled"
    assert store(exchange).by_client_oid("rv-form-1").status == "live"
    refused = bg.OrderForm(client, **{**LIMIT_BUY, "qty": "50", "side": "sell"}, clientOid="rv-2")
    refused.review()
    refused.confirm()  # nothing changed on the exchange: the view is left as it is
    assert view.status.startswith("cancel: 1 ok")
    view.close()
    form.review()
    form.confirm()  # a closed view is no longer told
    assert "rv-form-1" in set(view.orders["clientOid"]) and len(view.orders) == 1


def test_every_label_fits(client):
    form = bg.OrderForm(client, **{**LIMIT_BUY, "qty": "0.0010005", "price": "60000.123"})
    widgets = [form, bg.OrdersView(client), bg.KillSwitch(client), bg.DeadMansSwitchToggle(client)]
    buttons = [b for x in widgets for b in all_widgets(x) if isinstance(b, w.Button)]
    assert {b.description for b in buttons} >= {"round to step", "round to tick", "new"}
    for button in buttons:  # sized to its label and never squeezed: not "round to st…"
        assert button.layout.width == "auto" and button.layout.flex == "0 0 auto", button
    width = form.fields["qty"].style.description_width
    assert width.endswith("ch")
    assert all(int(width[:-2]) >= len(name) + 2 for name in form.fields)
