"""The orders/positions view, the kill switch and the dead man's switch toggle."""

from __future__ import annotations

import threading
import time

import pytest

import bitget_nb as bg
from bitget_nb.heartbeat import DeadMansSwitch

from .conftest import make_client, store, text_of

CANCEL = "/api/v3/trade/cancel-order"
CANCEL_ALL = "/api/v3/trade/cancel-symbol-order"


def rest(client, oid: str, symbol: str = "BTCUSDT", price: str = "60000", qty: str = "0.001"):
    """A limit buy far below the market: it rests on the book."""
    return client.submit_new_order(
        category="SPOT",
        symbol=symbol,
        side="buy",
        orderType="limit",
        qty=qty,
        price=price,
        clientOid=oid,
    )


def futures_ready(exchange) -> bool:
    return all(
        exchange.venue.implements(name) for name in ("get_current_position", "close_all_positions")
    )


# -- orders / positions view --------------------------------------------------------------------
def test_orders_view_lists_open_orders_and_cancels_the_selected_behind_confirm(
    client, exchange, wire
):
    keep = rest(client, "view-keep")
    drop = rest(client, "view-drop", symbol="ETHUSDT", price="2000", qty="0.01")
    view = bg.OrdersView(client)
    assert set(view.orders["clientOid"]) == {"view-keep", "view-drop"}
    assert "view-drop" in text_of(view._orders_html)
    assert view.cancel_button.disabled and view.confirm_button.disabled
    view.order_select.value = (drop["orderId"],)
    view.cancel_button.click()
    assert "REVIEWED" in view._plan_html.value and "view-drop" in text_of(view._plan_html)
    assert wire.bodies(CANCEL) == []  # nothing is sent by Review
    view.confirm_button.click()
    view.confirm_button.click()  # a double click cancels once
    assert len(wire.bodies(CANCEL)) == 1
    assert store(exchange).by_client_oid("view-drop").status == "cancelled"
    assert store(exchange).by_client_oid("view-keep").status == "live"
    assert view.result[["action", "orderId", "clientOid", "ok"]].to_dict("records") == [
        {"action": "cancel", "orderId": drop["orderId"], "clientOid": "view-drop", "ok": True}
    ]
    assert list(view.orders["orderId"]) == [keep["orderId"]]  # read again after the write
    assert repr(view) == "OrdersView(local, 1 open SPOT order(s), 0 USDT-FUTURES position(s))"


def test_changing_the_selection_after_review_discards_it(client, exchange, wire):
    first, second = rest(client, "sel-1"), rest(client, "sel-2", price="59000")
    view = bg.OrdersView(client)
    view.review_cancel([first["orderId"]])
    view.order_select.value = (second["orderId"],)
    assert view.confirm_button.disabled and "discarded" in text_of(view._plan_html)
    with pytest.raises(bg.ValidationError, match="nothing reviewed"):
        view.confirm()
    assert wire.bodies(CANCEL) == []
    with pytest.raises(bg.ValidationError, match="select the rows"):
        view.review_close()


def test_an_order_cancelled_meanwhile_counts_as_cancelled(client, exchange):
    ack = rest(client, "gone-1")
    view = bg.OrdersView(client)
    view.review_cancel([ack["orderId"]])
    client.cancel_order(category="SPOT", symbol="BTCUSDT", orderId=ack["orderId"])
    result = view.confirm()  # the client's reconciliation: cancelled already is cancelled
    assert result.loc[0, "ok"] and result.loc[0, "clientOid"] == "gone-1"


def test_a_failed_cancel_is_a_row_with_code_and_what_to_do(exchange, wire):
    with make_client(exchange, wire, sleep=lambda _s: None) as client:
        ack = rest(client, "stuck-1")
        view = bg.OrdersView(client)
        view.review_cancel([ack["orderId"]])
        exchange.faults.fail_next("cancel_order", 10, when="before", kind="http_503")
        result = view.confirm()
    row = result.iloc[0]
    assert not row["ok"] and row["clientOid"] == "stuck-1" and row["code"] != ""
    assert "look it up" in row["message"] and "1 failed" in view.status
    assert store(exchange).by_client_oid("stuck-1").status == "live"


def test_positions_section_explains_when_positions_cannot_be_read(client, exchange):
    view = bg.OrdersView(client)
    if futures_ready(exchange):
        assert "Positions unavailable" not in view._positions_html.value
    else:
        shown = text_of(view._positions_html)
        assert "Positions unavailable" in shown and "40404" in shown


def test_positions_are_closed_behind_confirm(client, exchange):
    if not futures_ready(exchange):
        pytest.skip("the local exchange does not serve futures positions yet")
    client.submit_new_order(
        category="USDT-FUTURES",
        symbol="BTCUSDT",
        side="buy",
        orderType="market",
        qty="0.01",
        clientOid="pos-open-1",
    )
    view = bg.OrdersView(client)
    assert list(view.positions["symbol"]) == ["BTCUSDT"]
    view.position_select.value = (view.position_select.options[0][1],)
    view.close_button.click()
    assert "Close these positions" in view._plan_html.value
    view.confirm_button.click()
    assert view.result["action"].eq("close").all() and view.result["ok"].all()
    assert len(view.positions) == 0


# -- kill switch --------------------------------------------------------------------------------
def test_kill_switch_cancels_every_order_of_the_category_after_confirm(client, exchange, wire):
    rest(client, "kill-1")
    rest(client, "kill-2", symbol="ETHUSDT", price="2000", qty="0.01")
    kill = bg.KillSwitch(client, category="SPOT")
    assert kill.confirm_button.disabled
    summary = kill.review()
    assert summary == {"category": "SPOT", "open_orders": 2, "positions": None}
    assert "cancel 2 open order(s)" in text_of(kill._plan_html) and wire.bodies(CANCEL_ALL) == []
    kill.confirm_button.click()
    kill.confirm_button.click()
    assert len(wire.bodies(CANCEL_ALL)) == 1
    assert store(exchange).open_orders() == []
    assert sorted(kill.result["clientOid"]) == ["kill-1", "kill-2"] and kill.result["ok"].all()
    assert "2 ok, 0 failed" in kill.status


def test_kill_switch_review_is_discarded_when_the_category_changes(client, wire):
    kill = bg.KillSwitch(client, category="SPOT")
    kill.review()
    kill.category.value = "USDT-FUTURES"
    assert kill.confirm_button.disabled and "discarded" in text_of(kill._plan_html)
    with pytest.raises(bg.ValidationError, match="nothing reviewed"):
        kill.confirm()
    assert wire.bodies(CANCEL_ALL) == []


def test_kill_switch_on_futures_also_closes_positions(client, exchange):
    kill = bg.KillSwitch(client, category="USDT-FUTURES")
    kill.review()
    result = kill.confirm()
    if futures_ready(exchange):
        assert "close" in set(result["action"]) or result.empty
    else:  # close-all is not served yet: the refusal is a row that says so
        row = result[result["action"] == "close"].iloc[0]
        assert not row["ok"] and row["code"] == "40404" and "not available" in row["message"]


# -- dead man's switch --------------------------------------------------------------------------
class CountdownClient:
    """Just what the toggle uses of a client; records every countdown sent."""

    env = "demo"

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail
        self.beat = threading.Event()

    def get_account_info(self, raw: bool = False):
        return {"data": {"uid": "42"}}

    def countdown_cancel_all(self, countdown: str):
        if self.fail:
            raise bg.PermissionDeniedError("40014", "Incorrect permissions")
        self.sent.append(countdown)
        self.beat.set()
        return "success"

    def dead_mans_switch(self, countdown: int = 10, *, interval: float | None = None):
        return DeadMansSwitch(self, countdown=countdown, interval=interval)


def test_dms_toggle_arms_beats_shows_the_last_heartbeat_and_disarms():
    fake = CountdownClient()
    toggle = bg.DeadMansSwitchToggle(fake, countdown=5, interval=1.0, watch=0.05)
    assert "disarmed" in toggle.status and not toggle.armed
    toggle.toggle.value = True
    try:
        assert toggle.armed and toggle.switch.armed and fake.sent == ["5"]
        assert toggle.countdown.disabled and toggle.toggle.description.endswith("ON")
        fake.beat.clear()
        assert fake.beat.wait(3)  # the heartbeat re-arms from its thread
        time.sleep(0.2)  # the watcher refreshes the status by itself
        assert "ARMED" in toggle.status and "countdown 5 s" in toggle.status
        assert "last heartbeat" in toggle.status and "never" not in toggle.status
        assert "DEMO · account 42" in toggle.children[0].children[1].value
    finally:
        toggle.toggle.value = False
    assert fake.sent[-1] == "0" and not toggle.armed and toggle.switch is None
    assert "disarmed" in toggle.status and not toggle.countdown.disabled
    assert repr(toggle) == "DeadMansSwitchToggle(demo, disarmed, countdown=5s)"


def test_dms_toggle_that_cannot_arm_falls_back_to_off_and_says_why():
    toggle = bg.DeadMansSwitchToggle(CountdownClient(fail=True), watch=0)
    toggle.toggle.value = True
    assert toggle.toggle.value is False and not toggle.armed
    assert "could not arm: [40014]" in toggle.status and "read-write key" in toggle.status
    with pytest.raises(bg.PermissionDeniedError):
        toggle.arm()


def test_dms_toggle_against_the_local_exchange(exchange, client):
    toggle = bg.DeadMansSwitchToggle(client, countdown=10, watch=0)
    toggle.toggle.value = True
    try:
        if exchange.venue.implements("countdown_cancel_all"):
            assert toggle.armed and "ARMED" in toggle.status
        else:
            assert not toggle.armed and "could not arm: [40404]" in toggle.status
    finally:
        toggle.close()
    assert not toggle.armed


def test_kill_switch_reports_a_lost_but_settled_cancel_all_as_done(exchange, client):
    from bitget_nb.widgets import KillSwitch

    client.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit",
                            qty="0.001", price="60000")  # fmt: skip
    switch = KillSwitch(client)
    switch.category.value = "SPOT"
    switch.review()
    exchange.faults.fail_next("cancel_all_orders", when="after", kind="drop")
    result = switch.confirm()
    assert list(result["ok"]) == [True] and "answer lost" in result.loc[0, "message"]
    assert client.get_unfilled_orders(category="SPOT").empty


# -- the orders view hears of writes made elsewhere -----------------------------------------------
def test_a_kill_switch_confirm_makes_the_orders_view_read_again(client, exchange):
    rest(client, "kv-1")
    view = bg.OrdersView(client)
    kill = bg.KillSwitch(client, category="SPOT")
    kill.review()
    kill.confirm()
    assert view.orders.empty and "no open SPOT orders" in text_of(view._orders_html)
    assert view.status == "read again after the kill switch on SPOT"


# -- what a browser is sent, stale status lines, the countdown's range ----------------------------
def test_a_selection_never_outlives_the_options_it_points_at(client):
    """The browser applies new option labels before the new selection: labels that arrive while
    an index past their end is still selected fail there ("Cannot set properties of undefined
    (setting 'selected')"), so the view unselects before it changes the options."""
    acks = [rest(client, f"opt-{i}", price=str(59000 + i)) for i in range(3)]
    view = bg.OrdersView(client)
    seen: list[tuple[int, tuple[int, ...]]] = []
    view.order_select.observe(
        lambda change: seen.append((len(change["new"]), view.order_select.index)),
        names="_options_labels",
    )
    view.review_cancel([ack["orderId"] for ack in acks])
    view.confirm()  # three rows selected, then none left to list
    rest(client, "opt-3")
    view.refresh()
    assert [count for count, _ in seen] == [0, 1]
    assert all(all(i < count for i in index) for count, index in seen)


def test_changing_what_is_selected_or_listed_clears_the_status(client):
    first, second = rest(client, "clr-1"), rest(client, "clr-2", price="59000")
    view = bg.OrdersView(client)
    view.review_cancel([first["orderId"]])
    view.confirm()
    assert view.status == "cancel: 1 ok, 0 failed"
    view.order_select.value = (second["orderId"],)
    assert view.status == ""
    with pytest.raises(bg.ValidationError):
        view.review_close()
    view.position_category.value = "USDC-FUTURES"
    assert view.status == ""
    kill = bg.KillSwitch(client, category="SPOT")
    kill.review()
    assert kill.status.startswith("reviewed:")
    kill.category.value = "USDT-FUTURES"
    assert kill.status == ""


def test_a_countdown_outside_5_to_60_says_so_instead_of_becoming_5(client, exchange, wire):
    toggle = bg.DeadMansSwitchToggle(client, countdown=3, watch=0)
    assert toggle.countdown.value == 3 and toggle.toggle.disabled
    assert "countdown 3 s is outside the exchange's range: choose 5–60 seconds" in toggle.status
    with pytest.raises(bg.ValidationError, match="choose 5–60"):
        toggle.arm()
    toggle.countdown.value = 61
    assert toggle.countdown.value == 61 and "countdown 61 s" in toggle.status
    assert not [r for r in wire.requests if "countdown" in r[1]]  # nothing was sent
    toggle.countdown.value = 30
    assert toggle.status == "disarmed" and not toggle.toggle.disabled
    toggle.toggle.value = True
    try:
        assert toggle.armed and toggle.switch.countdown == 30
    finally:
        toggle.close()
