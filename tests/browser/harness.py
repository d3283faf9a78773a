"""What the browser tests share: servers (Voila, JupyterLab) started by their process group on
a free loopback port and stopped the same way, and headless Debian Chromium through Playwright
with every console and page error collected and every non-loopback request answered empty.

Under ``CI`` a missing Chromium, Playwright or Voila fails the test; elsewhere it is skipped
with the reason. Every wait is bounded.
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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

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
#: Every label and button whose text does not fit its box (the browser cuts it with "…").
CUT_LABELS_JS = """() => [...document.querySelectorAll(
    '.widget-label, .widget-button, .widget-toggle-button, .widget-inline-hbox label'
)].filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.textContent.trim()} (${e.scrollWidth}px in ${e.clientWidth}px)`)"""


def missing(reason: str) -> None:
    """Fail under CI (the browser test must run there); skip elsewhere, saying why."""
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run under CI: {reason}")
    pytest.skip(reason)


def requirements() -> None:
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("playwright is not installed (pip install -e '.[browser]')")
    if not VOILA.exists() and shutil.which("voila") is None:
        missing("voila is not installed (pip install -e '.[browser]')")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float) -> None:
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


def write_notebook(path: Path, sources: list[str]) -> None:
    """A notebook of one code cell per source, with no outputs, at ``path``."""
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"cell-{i}",
            "metadata": {},
            "outputs": [],
            "source": source,
        }
        for i, source in enumerate(sources)
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


def exchange_env(exchange: Any) -> dict[str, str]:
    """The environment that points a kernel's ``bg.connect()`` at ``exchange`` (a
    :class:`~bitget_nb.LocalExchange`), REST and WebSocket, with its account's keys."""
    creds = exchange.credentials
    return {
        "BITGET_NB_ENV": "local",
        "BITGET_NB_LOCAL_URL": exchange.base_url,
        "BITGET_NB_LOCAL_WS_URL": exchange.ws_url,
        "BITGET_API_KEY": creds["api_key"],
        "BITGET_API_SECRET": creds["api_secret"],
        "BITGET_API_PASS": creds["api_pass"],
    }


@contextmanager
def server(name: str, command: list[str], cwd: Path, tmp_path: Path, env: Mapping[str, str],
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
        wait_for_port(port, proc, log, timeout=60)
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
def voila(notebook: Path, tmp_path: Path, env: Mapping[str, str]) -> Iterator[str]:
    """Voila serving ``notebook``; yields its URL."""
    requirements()
    port = free_port()
    command = [
        str(VOILA if VOILA.exists() else shutil.which("voila")),
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--show_tracebacks=True",
    ]
    with server("voila", command, notebook.parent, tmp_path, env, port):
        yield f"http://127.0.0.1:{port}/"


@contextmanager
def chromium(url: str) -> Iterator[tuple[Any, list[str]]]:
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


def settled(page: Any, check: Callable[[], Any]) -> Any:
    """``check()`` after the page has had a moment to report late errors."""
    page.wait_for_timeout(500)
    return check()


#: JupyterLab shows the notebook, and its kernel is connected and idle.
KERNEL_READY_JS = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


@contextmanager
def jupyterlab(notebook: Path, tmp_path: Path, env: Mapping[str, str]) -> Iterator[str]:
    """JupyterLab on a copy of ``notebook`` (Lab saves into what it opens), its kernel
    started without asking; yields the notebook's URL. ``--LabApp.expose_app_in_browser``
    lets the test run commands through ``window.jupyterapp``."""
    requirements()
    if not JUPYTER.exists():
        missing("jupyterlab is not installed (pip install -e '.[browser]')")
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(notebook, work / notebook.name)
    # start the notebook's kernel without asking ("Select Kernel" would wait for a click)
    settings = tmp_path / "jupyter-config" / "lab" / "user-settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"autoStartDefaultKernel": True})
    )
    port = free_port()
    command = [
        str(JUPYTER), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=", "--LabApp.expose_app_in_browser=True",
        f"--notebook-dir={work}", "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *(["--allow-root"] if os.getuid() == 0 else []),
    ]  # fmt: skip
    with server("jupyterlab", command, work, tmp_path, env, port):
        yield f"http://127.0.0.1:{port}/lab/tree/{notebook.name}"


def run_all_in_lab(page: Any) -> None:
    """Once JupyterLab's notebook is open with its kernel idle: Run All (not awaited)."""
    from playwright.sync_api import expect

    commands = "window.jupyterapp && window.jupyterapp.commands"
    page.wait_for_function(f"{commands}.hasCommand('notebook:run-all-cells')", timeout=60_000)
    expect(page.locator(".jp-Notebook")).to_be_visible()
    page.wait_for_function(KERNEL_READY_JS, timeout=60_000)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
