"""The order ticket in a real browser: Voila serves a notebook with ``bg.OrderForm``, Debian's
Chromium (driven by Playwright) fills it in, reviews and confirms, and the order appears on a
local exchange started by this test.

Under ``CI`` a missing Chromium, Playwright or Voila fails the test; elsewhere it is skipped
with the reason. Every wait is bounded; Voila is stopped by its process group.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import bitget_nb as bg

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(120)]

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
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

NOTEBOOK_CELLS = [
    "import bitget_nb as bg\n\nclient = bg.connect()\nform = bg.OrderForm(client)\nform",
]


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
            pytest.fail(f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"voila did not listen on {port} within {timeout} s:\n{log.read_text()[-3000:]}")


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


@pytest.fixture
def exchange() -> Iterator[bg.LocalExchange]:
    with bg.LocalExchange(seed=7) as ex:
        yield ex


@pytest.fixture
def voila_url(exchange: bg.LocalExchange, tmp_path: Path) -> Iterator[str]:
    """Voila serving the order-form notebook, its kernel connected to ``exchange``."""
    _requirements()
    notebook = tmp_path / "order-form.ipynb"
    _write_notebook(notebook)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BITGET_", "JUPYTER"))}
    creds = exchange.credentials
    env.update(
        BITGET_NB_ENV="local",
        BITGET_NB_LOCAL_URL=exchange.base_url,
        BITGET_API_KEY=creds["api_key"],
        BITGET_API_SECRET=creds["api_secret"],
        BITGET_API_PASS=creds["api_pass"],
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(tmp_path / "ipython"),
    )
    port = _free_port()
    log = tmp_path / "voila.log"
    command = [
        str(VOILA if VOILA.exists() else shutil.which("voila")),
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--show_tracebacks=True",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_port(port, proc, log, timeout=30)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def test_order_form_in_chromium_reviews_and_confirms_onto_the_local_exchange(
    exchange: bg.LocalExchange, voila_url: str
):
    from playwright.sync_api import expect, sync_playwright

    blocked: list[str] = []

    def only_loopback(route, request) -> None:
        if urlsplit(request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 800})
            context.route("**/*", only_loopback)
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(voila_url, wait_until="domcontentloaded")
            form = page.locator(".bgnb-order-form")
            expect(form).to_be_visible()
            expect(page.locator(".bgnb-env")).to_contain_text("LOCAL")

            page.locator(".bgnb-field-symbol select").select_option("BTCUSDT")
            page.locator(".bgnb-field-side select").select_option("buy")
            page.locator(".bgnb-field-orderType select").select_option("limit")
            page.locator(".bgnb-field-qty input").fill("0.0010005")
            qty_message = page.locator(".bgnb-msg-qty")
            expect(qty_message).to_contain_text("lot step 0.000001", timeout=10_000)
            expect(page.locator("button.bgnb-review")).to_be_disabled()
            page.locator(".bgnb-field-qty input").fill("0.001")
            page.locator(".bgnb-field-price input").fill("60000")
            page.locator(".bgnb-field-timeInForce select").select_option("gtc")
            page.locator(".bgnb-field-clientOid input").fill("browser-1")
            preview = page.locator(".bgnb-preview")
            expect(preview).to_contain_text('"clientOid":"browser-1"', timeout=10_000)
            expect(preview).to_contain_text("notional ≈ 60 USDT")
            expect(qty_message).to_have_text("")

            confirm = page.locator("button.bgnb-confirm")
            expect(confirm).to_be_disabled()
            page.locator("button.bgnb-review").click()
            expect(preview).to_contain_text("REVIEWED", timeout=10_000)
            expect(confirm).to_be_enabled()
            page.screenshot(path=str(ARTIFACTS / "order-form-reviewed.png"), full_page=True)
            confirm.click()
            result = page.locator(".bgnb-result")
            expect(result).to_contain_text("browser-1", timeout=15_000)
            expect(result.locator(".bgnb-order-status")).to_have_text("live")
            expect(confirm).to_be_disabled()
            page.screenshot(path=str(ARTIFACTS / "order-form-sent.png"), full_page=True)
            shown_order_id = result.locator("code").first.inner_text()
        finally:
            browser.close()

    order = exchange.venue.trading.store.by_client_oid("browser-1")
    assert order is not None and order.status == "live" and order.order_id == shown_order_id
    assert (str(order.qty), str(order.price), order.side) == ("0.001", "60000", "buy")
    assert all(urlsplit(url).hostname not in LOOPBACK for url in blocked)
