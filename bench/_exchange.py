"""The local exchange in a process of its own, for the benches that measure a client: its
work never competes with the client's for one interpreter (or one GIL)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def launched(*args: str, stop: int = signal.SIGTERM) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``python -m bitget_nb exchange *args`` in its own session, up and listening: yields
    its base URL and the process, and stops the whole process group with ``stop`` on the
    way out (a crash test kills it with SIGKILL)."""
    command = [sys.executable, "-m", "bitget_nb", "exchange", *args]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        url = None
        banner = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            banner.append(line)
            found = re.search(r"listening on (http://\S+)", line)
            url = found.group(1) if found else url
            if "Ctrl+C" in line:
                break
        if url is None or process.poll() is not None:
            err = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"the exchange did not start: {''.join(banner)}{err}")
        yield url, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, stop)
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def exchange_process(*args: str) -> Iterator[str]:
    """``python -m bitget_nb exchange *args`` in its own session; yields its base URL."""
    with launched(*args) as (url, _):
        yield url
