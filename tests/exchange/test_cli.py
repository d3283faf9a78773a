"""``python -m bitget_nb exchange``: runs as a subprocess, prints URL and keys, stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bitget_nb.__main__ import main
from bitget_nb.signing import sign

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float = 20) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return "".join(lines)
    process.kill()
    raise AssertionError(f"no {marker!r} in output: {''.join(lines)!r}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_on_the_given_port_prints_keys_and_exits_0_on_a_signal(
    stop_signal: signal.Signals,
) -> None:
    port = _free_port()
    command = [
        sys.executable, "-m", "bitget_nb", "exchange",
        "--port", str(port), "--seed", "11", "--start", "2025-06-01T00:00:00Z",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        banner = _read_until(process, "Ctrl+C")
        url = f"http://127.0.0.1:{port}"
        assert url in banner
        key = re.search(r"BITGET_API_KEY=(\S+)", banner)
        secret = re.search(r"BITGET_API_SECRET=(\S+)", banner)
        passphrase = re.search(r"BITGET_API_PASS=(\S+)", banner)
        assert key and secret and passphrase
        server_time = requests.get(url + "/api/v2/public/time", timeout=5).json()
        assert server_time["data"] == {"serverTime": "1748736000000"}
        ts = server_time["data"]["serverTime"]
        path = "/api/v3/account/info"
        headers = {
            "ACCESS-KEY": key[1],
            "ACCESS-SIGN": sign(secret[1], ts, "GET", path),
            "ACCESS-TIMESTAMP": ts,
            "ACCESS-PASSPHRASE": passphrase[1],
        }
        assert requests.get(url + path, headers=headers, timeout=5).json()["code"] == "00000"
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def test_cli_refuses_a_non_loopback_host_without_allow_remote(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["exchange", "--host", "0.0.0.0"])
    assert exit_info.value.code == 2
    assert "--allow-remote" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["exchange", "--api-key", "k"],
        ["exchange", "--start", "next tuesday"],
        ["exchange", "--port", "http"],
        [],
    ],
)
def test_cli_refuses_bad_arguments_with_status_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
