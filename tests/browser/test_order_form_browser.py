"""The widgets in a real browser: Voila serves a notebook, Debian's Chromium (driven by
Playwright) uses it, and every page must get through with no console error and no page error
at all (an ``Error setting state: …`` from a widget's update is a console error), and with
every label and button text shown whole.

* the order ticket with an orders view and the dead man's switch on one client: fill in,
  review, confirm onto a local exchange started by this test; the view lists the order with
  no Refresh, cancels it; a countdown out of range is said so;
* the ``05-order-form`` tutorial as Voila renders it: each displayed ticket shows the state
  its own cell built (the text form nbval keeps in the stored output);
* the same tutorial in JupyterLab: Run All, save, reload the page — the widgets' state is
  restored from the kernel.

The servers and the browser are :mod:`.harness`'s; every wait is bounded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import bitget_nb as bg

from ..tutorials import notebook_env
from .harness import (
    ARTIFACTS,
    CUT_LABELS_JS,
    ROOT,
    chromium,
    exchange_env,
    jupyterlab,
    run_all_in_lab,
    settled,
    voila,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(150)]

TUTORIAL = ROOT / "notebooks" / "05-order-form.ipynb"

NOTEBOOK_CELLS = [
    "import bitget_nb as bg\n\nclient = bg.connect()\nform = bg.OrderForm(client)\nform",
    "view = bg.OrdersView(client)\nview",
    "dms = bg.DeadMansSwitchToggle(client, watch=0)\ndms",
]

#: What each order ticket on the page shows: its fields, messages and round buttons.
TICKETS_JS = """() => [...document.querySelectorAll('.bgnb-order-form')].map(form => {
    const value = name => {
        const control = form.querySelector(`.bgnb-field-${name} select, .bgnb-field-${name} input`);
        return control ? control.value : null;
    };
    const names = ['category', 'symbol', 'side', 'orderType', 'qty', 'price'];
    const messages = [...form.querySelectorAll('[class*="bgnb-msg-"]')]
        .filter(m => m.textContent.trim() !== '').length;
    return {fields: Object.fromEntries(names.map(n => [n, value(n)])), messages,
            preview: form.querySelector('.bgnb-preview').textContent};
})"""


def test_ticket_view_and_switch_in_chromium_confirm_cancel_and_log_no_console_error(
    exchange: bg.LocalExchange, tmp_path: Path
):
    from playwright.sync_api import expect

    notebook = tmp_path / "order-form.ipynb"
    write_notebook(notebook, NOTEBOOK_CELLS)
    env = exchange_env(exchange)
    ARTIFACTS.mkdir(exist_ok=True)
    with voila(notebook, tmp_path, env) as url, chromium(url) as (page, problems):
        form = page.locator(".bgnb-order-form")
        expect(form).to_be_visible()
        expect(page.locator(".bgnb-dms")).to_be_visible()
        expect(page.locator(".bgnb-env").first).to_contain_text("LOCAL")

        page.locator(".bgnb-field-symbol select").select_option("BTCUSDT")
        page.locator(".bgnb-field-side select").select_option("buy")
        page.locator(".bgnb-field-orderType select").select_option("limit")
        page.locator(".bgnb-field-qty input").fill("0.0010005")
        page.locator(".bgnb-field-price input").fill("6e4")
        qty_message, price_message = page.locator(".bgnb-msg-qty"), page.locator(".bgnb-msg-price")
        expect(qty_message).to_contain_text("lot step 0.000001", timeout=10_000)
        expect(price_message).to_contain_text("not a plain decimal")  # both at once
        expect(page.locator("button.bgnb-round-qty")).to_be_visible()
        expect(page.locator("button.bgnb-review")).to_be_disabled()
        assert settled(page, lambda: page.evaluate(CUT_LABELS_JS)) == []

        page.locator(".bgnb-field-qty input").fill("0.001")
        page.locator(".bgnb-field-price input").fill("60000")
        page.locator(".bgnb-field-timeInForce select").select_option("gtc")
        page.locator(".bgnb-field-clientOid input").fill("browser-1")
        preview = page.locator(".bgnb-preview")
        expect(preview).to_contain_text('"clientOid":"browser-1"', timeout=10_000)
        expect(preview).to_contain_text("notional ≈ 60 USDT")
        expect(qty_message).to_have_text("")
        expect(price_message).to_have_text("")

        confirm = form.locator("button.bgnb-confirm")
        expect(confirm).to_be_disabled()
        form.locator("button.bgnb-review").click()
        expect(preview).to_contain_text("REVIEWED", timeout=10_000)
        expect(confirm).to_be_enabled()
        page.screenshot(path=str(ARTIFACTS / "order-form-reviewed.png"), full_page=True)
        confirm.click()
        result = form.locator(".bgnb-result")
        expect(result).to_contain_text("browser-1", timeout=15_000)
        expect(result.locator(".bgnb-order-status")).to_have_text("live")
        expect(confirm).to_be_disabled()
        shown_order_id = result.locator("code").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "order-form-sent.png"), full_page=True)
        order = exchange.venue.trading.store.by_client_oid("browser-1")
        assert order is not None and order.status == "live" and order.order_id == shown_order_id
        assert (str(order.qty), str(order.price), order.side) == ("0.001", "60000", "buy")

        view = page.locator(".bgnb-orders-view")
        expect(view.locator(".bgnb-orders")).to_contain_text("browser-1")  # no Refresh
        view.locator(".bgnb-order-select select").select_option(index=0)
        view.locator("button.bgnb-review-cancel").click()
        expect(view.locator(".bgnb-plan")).to_contain_text("REVIEWED", timeout=10_000)
        view.locator("button.bgnb-confirm").click()  # the list empties under its selection
        expect(view.locator(".bgnb-orders")).to_contain_text("no open SPOT orders")
        expect(view.locator(".bgnb-status")).to_contain_text("cancel: 1 ok, 0 failed")

        countdown = page.locator(".bgnb-dms-countdown input")
        countdown.fill("3")
        countdown.press("Enter")
        dms_status = page.locator(".bgnb-dms .bgnb-status")
        expect(dms_status).to_contain_text("countdown 3 s is outside the exchange's range")
        expect(countdown).to_have_value("3")  # said so, not turned into 5
        expect(page.locator(".bgnb-dms-toggle")).to_be_disabled()
        page.screenshot(path=str(ARTIFACTS / "order-form-view-dms.png"), full_page=True)
        assert settled(page, lambda: page.evaluate(CUT_LABELS_JS)) == []
        assert settled(page, lambda: problems) == []
    assert exchange.venue.trading.store.by_client_oid("browser-1").status == "cancelled"


def _stored_ticket_states(notebook: Path) -> list[str]:
    """The text form nbval keeps of each displayed OrderForm, in the order shown."""
    nb = json.loads(notebook.read_text())
    found = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("data", {}).get("text/plain", []))
            if "application/vnd.jupyter.widget-view+json" in output.get("data", {}) and (
                text.startswith("OrderForm(")
            ):
                found.append(text)
    return found


TICKET_REPR = re.compile(
    r"OrderForm\(\w+, [\w ]+: (?:(?P<fields>\S+ \S+ \S+ \S+ \S+)(?: @ (?P<price>\S+))?"
    r"|(?P<wrong>\d+) field\(s\) to fix)\)"
)


def test_each_ticket_of_the_order_form_tutorial_shows_the_state_its_cell_built(tmp_path: Path):
    from playwright.sync_api import expect

    stored = _stored_ticket_states(TUTORIAL)
    assert len(stored) >= 4
    with voila(TUTORIAL, tmp_path, notebook_env()) as url, chromium(url) as (page, problems):
        expect(page.locator(".bgnb-dms")).to_be_visible(timeout=90_000)  # the last output
        tickets = page.evaluate(TICKETS_JS)
        page.screenshot(path=str(ARTIFACTS / "order-form-tutorial.png"), full_page=True)
        assert len(tickets) == len(stored)
        for text, ticket in zip(stored, tickets, strict=True):
            match = TICKET_REPR.fullmatch(text)
            assert match, text
            if match["wrong"]:
                assert ticket["messages"] == int(match["wrong"]), (text, ticket)
                continue
            fields = ticket["fields"]
            shown = " ".join(fields[n] for n in ("category", "symbol", "side", "orderType", "qty"))
            assert (shown, fields["price"] or None) == (match["fields"], match["price"]), text
            assert ticket["messages"] == 0, (text, ticket)
        assert settled(page, lambda: page.evaluate(CUT_LABELS_JS)) == []
        assert settled(page, lambda: problems) == []


def test_the_order_form_tutorial_in_jupyterlab_runs_and_restores_with_no_console_error(
    tmp_path: Path,
):
    from playwright.sync_api import expect

    with (
        jupyterlab(TUTORIAL, tmp_path, notebook_env()) as url,
        chromium(url) as (page, problems),
    ):
        run_all_in_lab(page)
        expect(page.locator(".bgnb-dms")).to_be_visible(timeout=90_000)  # the last output
        expect(page.locator(".bgnb-order-form")).to_have_count(4)
        assert settled(page, lambda: problems) == []
        page.evaluate("() => { window.jupyterapp.commands.execute('docmanager:save'); }")
        expect(page.locator(".jp-mod-dirty")).to_have_count(0, timeout=10_000)
        page.reload(wait_until="domcontentloaded")  # the widgets come back from the kernel
        expect(page.locator(".bgnb-dms")).to_be_visible(timeout=60_000)
        expect(page.locator(".bgnb-order-form")).to_have_count(4)
        view_status = page.locator(".bgnb-orders-view .bgnb-status")  # its last state, restored
        expect(view_status).to_have_text("read again after the kill switch on USDT-FUTURES")
        page.screenshot(path=str(ARTIFACTS / "order-form-tutorial-lab.png"))
        assert settled(page, lambda: page.evaluate(CUT_LABELS_JS)) == []
        assert settled(page, lambda: problems) == []
