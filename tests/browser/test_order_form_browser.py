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

Under ``CI`` a missing Chromium, Playwright or Voila fails the test; elsewhere it is skipped
with the reason. Every wait is bounded; Voila is stopped by its process group.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import bitget_nb as bg

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(150)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
VOILA = Path(sys.executable).with_name("voila")
JUPYTER = Path(sys.executable).with_name("jupyter")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TUTORIAL = ROOT / "notebooks" / "05-order-form.ipynb"

NOTEBOOK_CELLS = [
    "import bitget_nb as bg\n\nclient = bg.connect()\nform = bg.OrderForm(client)\nform",
    "view = bg.OrdersView(client)\nview",
    "dms = bg.DeadMansSwitchToggle(client, watch=0)\ndms",
]

#: Every label and button whose text does not fit its box (the browser cuts it with "…").
CUT_LABELS_JS = """() => [...document.querySelectorAll(
    '.widget-label, .widget-button, .widget-toggle-button, .widget-inline-hbox label'
)].filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.textContent.trim()} (${e.scrollWidth}px in ${e.clientWidth}px)`)"""

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


#: JupyterLab shows the notebook, and its kernel is connected and idle.
KERNEL_READY_JS = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


def _missing(reason: str) -> None:
    """Fail under CI (the browser test must run there); skip elsewhere, saying why."""
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run under CI: {reason}")
    pytest.skip(reason)


def _requirements() -> None:
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[browser]')")
    if not VOILA.exists() and shutil.which("voila") is None:
        _missing("voila is not installed (pip install -e '.[browser]')")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{log.stem} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"{log.stem} did not listen on {port} in {timeout} s:\n{log.read_text()[-3000:]}")


def _write_notebook(path: Path) -> None:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"cell-{i}",
            "metadata": {},
            "outputs": [],
            "source": source,
        }
        for i, source in enumerate(NOTEBOOK_CELLS)
    ]
    path.write_text(
        json.dumps(
            {
                "cells": cells,
                "metadata": {
                    "kernelspec": {
                        "display_name": "Python 3",
                        "language": "python",
                        "name": "python3",
                    }
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )


def _notebook_env() -> dict[str, str]:
    """``NOTEBOOK_ENV`` of ``notebooks/conftest.py``: what the tutorials' outputs were made with."""
    spec = importlib.util.spec_from_file_location(
        "_tutorials_env", ROOT / "notebooks" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.NOTEBOOK_ENV)


@contextmanager
def _server(name: str, command: list[str], cwd: Path, tmp_path: Path, env: Mapping[str, str],
            port: int) -> Iterator[None]:  # fmt: skip
    """``command`` running with ``env`` (nothing of this process's BITGET_ or JUPYTER settings)
    until the block ends, once it listens on ``port``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("BITGET_", "JUPYTER"))}
    full.update(
        env,
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(tmp_path / "ipython"),
    )
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=cwd, env=full, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for_port(port, proc, log, timeout=60)
        yield
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@contextmanager
def _voila(notebook: Path, tmp_path: Path, env: Mapping[str, str]) -> Iterator[str]:
    """Voila serving ``notebook``; yields its URL."""
    _requirements()
    port = _free_port()
    command = [
        str(VOILA if VOILA.exists() else shutil.which("voila")),
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--show_tracebacks=True",
    ]
    with _server("voila", command, notebook.parent, tmp_path, env, port):
        yield f"http://127.0.0.1:{port}/"


@contextmanager
def _chromium(url: str) -> Iterator[tuple[Any, list[str]]]:
    """A page at ``url`` in headless Chromium and the list every console error and page
    error goes to. Nothing leaves the machine: other hosts get an empty answer (Voila links
    Font Awesome from a CDN; an aborted request would itself be a console error)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    elsewhere: list[str] = []

    def only_loopback(route, request) -> None:
        if urlsplit(request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            elsewhere.append(request.url)
            route.fulfill(status=200, body="", content_type="text/css")

    def on_console(message) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 800})
            context.route("**/*", only_loopback)
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.on("console", on_console)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.goto(url, wait_until="domcontentloaded")
            yield page, problems
        finally:
            browser.close()
    assert all(urlsplit(u).hostname not in LOOPBACK for u in elsewhere)


def _settled(page: Any, check: Callable[[], Any]) -> Any:
    """``check()`` after the page has had a moment to report late errors."""
    page.wait_for_timeout(500)
    return check()


@pytest.fixture
def exchange() -> Iterator[bg.LocalExchange]:
    with bg.LocalExchange(seed=7) as ex:
        yield ex


def test_ticket_view_and_switch_in_chromium_confirm_cancel_and_log_no_console_error(
    exchange: bg.LocalExchange, tmp_path: Path
):
    from playwright.sync_api import expect

    notebook = tmp_path / "order-form.ipynb"
    _write_notebook(notebook)
    creds = exchange.credentials
    env = {
        "BITGET_NB_ENV": "local",
        "BITGET_NB_LOCAL_URL": exchange.base_url,
        "BITGET_API_KEY": creds["api_key"],
        "BITGET_API_SECRET": creds["api_secret"],
        "BITGET_API_PASS": creds["api_pass"],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    with _voila(notebook, tmp_path, env) as url, _chromium(url) as (page, problems):
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
        assert _settled(page, lambda: page.evaluate(CUT_LABELS_JS)) == []

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
        assert _settled(page, lambda: page.evaluate(CUT_LABELS_JS)) == []
        assert _settled(page, lambda: problems) == []
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
    with _voila(TUTORIAL, tmp_path, _notebook_env()) as url, _chromium(url) as (page, problems):
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
        assert _settled(page, lambda: page.evaluate(CUT_LABELS_JS)) == []
        assert _settled(page, lambda: problems) == []


def test_the_order_form_tutorial_in_jupyterlab_runs_and_restores_with_no_console_error(
    tmp_path: Path,
):
    from playwright.sync_api import expect

    _requirements()
    if not JUPYTER.exists():
        _missing("jupyterlab is not installed (pip install -e '.[browser]')")
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(TUTORIAL, work / TUTORIAL.name)  # JupyterLab saves into what it opens
    # start the notebook's kernel without asking ("Select Kernel" would wait for a click)
    settings = tmp_path / "jupyter-config" / "lab" / "user-settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"autoStartDefaultKernel": True})
    )
    port = _free_port()
    command = [
        str(JUPYTER), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=", "--LabApp.expose_app_in_browser=True",
        f"--notebook-dir={work}", "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *(["--allow-root"] if os.getuid() == 0 else []),
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/lab/tree/{TUTORIAL.name}"
    commands = "window.jupyterapp && window.jupyterapp.commands"
    with (
        _server("jupyterlab", command, work, tmp_path, _notebook_env(), port),
        _chromium(url) as (page, problems),
    ):
        page.wait_for_function(f"{commands}.hasCommand('notebook:run-all-cells')", timeout=60_000)
        expect(page.locator(".jp-Notebook")).to_be_visible()
        page.wait_for_function(KERNEL_READY_JS, timeout=60_000)
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        expect(page.locator(".bgnb-dms")).to_be_visible(timeout=90_000)  # the last output
        expect(page.locator(".bgnb-order-form")).to_have_count(4)
        assert _settled(page, lambda: problems) == []
        page.evaluate("() => { window.jupyterapp.commands.execute('docmanager:save'); }")
        expect(page.locator(".jp-mod-dirty")).to_have_count(0, timeout=10_000)
        page.reload(wait_until="domcontentloaded")  # the widgets come back from the kernel
        expect(page.locator(".bgnb-dms")).to_be_visible(timeout=60_000)
        expect(page.locator(".bgnb-order-form")).to_have_count(4)
        view_status = page.locator(".bgnb-orders-view .bgnb-status")  # its last state, restored
        expect(view_status).to_have_text("read again after the kill switch on USDT-FUTURES")
        page.screenshot(path=str(ARTIFACTS / "order-form-tutorial-lab.png"))
        assert _settled(page, lambda: page.evaluate(CUT_LABELS_JS)) == []
        assert _settled(page, lambda: problems) == []
