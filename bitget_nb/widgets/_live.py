"""Widget updates from a stream's thread, applied where widgets may be changed.

A :class:`~bitget_nb.stream.Stream` calls its callbacks on its own thread. Changing an
ipywidget's state there is unsafe since ipykernel 7 (ipywidgets #4020: the comm message is
sent from the wrong thread and can be lost or interleaved). :class:`UiLoop` captures the
asyncio loop running where the widget is made — the kernel's loop in JupyterLab, Voila and
nbval — and hands each update to it with ``call_soon_threadsafe``; with no running loop (a
script, plain pytest) it applies the update at once, under a lock.

:class:`Coalesced` turns many pushes into few renders: while one render waits for the loop,
further requests are absorbed, and the render reads the stream's views as they are then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Coalesced", "UiLoop", "remove_all", "until"]

logger = logging.getLogger(__name__)


class UiLoop:
    """Where widget updates run: the event loop running on the thread that made this (the
    kernel's), else directly on the caller's thread."""

    def __init__(self) -> None:
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None
        #: serialises direct updates (no loop): the stream's thread and the caller's
        self.lock = threading.RLock()

    def call(self, fn: Callable[[], None]) -> bool:
        """Run ``fn`` on the widget's loop soon (from any thread), or now when there is no
        loop; ``False`` when the loop has gone (the kernel is stopping) and nothing ran."""
        loop = self.loop
        if loop is None:
            with self.lock:
                fn()
            return True
        if loop.is_closed():
            return False
        try:
            loop.call_soon_threadsafe(fn)
        except RuntimeError:  # closed between the check and the call
            return False
        return True


class Coalesced:
    """``request()`` from any thread runs ``render()`` once on the :class:`UiLoop`, however
    many requests came while it waited; nothing after :meth:`stop`."""

    def __init__(self, ui: UiLoop, render: Callable[[], None]) -> None:
        self._ui = ui
        self._render = render
        self._lock = threading.Lock()
        self._pending = False
        self._stopped = False
        #: renders done by request (for tests and diagnostics)
        self.renders = 0

    def request(self) -> None:
        with self._lock:
            if self._pending or self._stopped:
                return
            self._pending = True
        if not self._ui.call(self._run):
            with self._lock:
                self._pending = False

    def _run(self) -> None:
        with self._lock:
            self._pending = False
            if self._stopped:
                return
        try:
            self._render()
            self.renders += 1
        except Exception:  # never into the kernel's loop or the stream's thread
            logger.warning("widget update failed", exc_info=True)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True


def remove_all(removers: list[Callable[[], None]]) -> None:
    """Call every remover (stream callbacks) once, emptying the list."""
    while removers:
        with contextlib.suppress(Exception):
            removers.pop()()


async def until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Wait (``await``, in a cell) until ``predicate()`` holds or ``timeout`` seconds passed,
    letting the loop — the kernel's — run the redraws meanwhile; the last result."""
    deadline = time.monotonic() + timeout
    while not (result := bool(predicate())) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return result
