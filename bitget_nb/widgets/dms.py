"""``DeadMansSwitchToggle``: arm and disarm ``client.dead_mans_switch(countdown=...)`` with a
toggle, and watch its heartbeat.

While armed, the exchange cancels every open order unless the heartbeat re-arms it within
the countdown — so if the kernel dies, the orders go too. The status line shows whether it
is armed, the last heartbeat, and failures (refreshed every ``watch`` seconds while armed).

>>> import bitget_nb as bg
>>> with bg.LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
...     client = bg.BitgetClient(**ex.read_only_credentials, base_url=ex.base_url)
...     toggle = DeadMansSwitchToggle(client, countdown=10)
...     toggle.toggle.value = True           # a read-only key may not arm it …
...     client.close()
>>> toggle.armed, toggle.toggle.value       # … so the toggle falls back to off
(False, False)

A countdown outside the exchange's 5–60 seconds is said so, and the toggle waits for a good one:

>>> toggle.countdown.value = 90
>>> print(toggle.status)
disarmed
countdown 90 s is outside the exchange's range: choose 5–60 seconds
>>> toggle.toggle.disabled, toggle.countdown.value
(True, 90)
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import BitgetError, ValidationError
from ._ui import Panel, esc, explain

if TYPE_CHECKING:
    from ..client import BitgetClient
    from ..heartbeat import DeadMansSwitch

__all__ = ["DeadMansSwitchToggle"]

logger = logging.getLogger(__name__)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "never"
    stamp = dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%H:%M:%S UTC")
    return f"{stamp} ({max(0.0, time.time() - epoch):.0f} s ago)"


class DeadMansSwitchToggle(Panel):
    """A toggle bound to :meth:`BitgetClient.dead_mans_switch` (start / stop).

    ``toggle`` (a ``ToggleButton``) arms and disarms; ``countdown`` (5–60 s; another value
    is refused with a message, never replaced) is fixed while armed. :meth:`arm`,
    :meth:`disarm` and :meth:`refresh` mirror the controls; ``switch`` is the running
    :class:`~bitget_nb.DeadMansSwitch` (its ``armed``, ``last_heartbeat``, ``failures`` and
    ``last_error`` are what the status shows). ``watch`` is how often, in
    seconds, the status refreshes itself while armed (``0``: only on :meth:`refresh`).
    """

    def __init__(
        self,
        client: BitgetClient,
        /,
        *,
        countdown: int = 10,
        interval: float | None = None,
        watch: float = 1.0,
    ) -> None:
        super().__init__(client)
        self.switch: DeadMansSwitch | None = None
        self._interval = interval
        self._watch = watch
        self._stop_watch = threading.Event()
        self._watcher: threading.Thread | None = None
        self._updating = False
        self._lock = threading.RLock()
        self.toggle = w.ToggleButton(
            value=False, description="Dead man's switch: OFF", icon="power-off", button_style=""
        )
        self.toggle.layout = w.Layout(width="auto", flex="0 0 auto")  # the whole label
        self.toggle.add_class("bgnb-dms-toggle")
        # not a BoundedIntText: it would turn 90 into 60 without a word
        self.countdown = w.IntText(
            value=countdown,
            step=1,
            description="countdown s",
            style={"description_width": "initial"},
            layout=w.Layout(width="180px"),
        )
        self.countdown.add_class("bgnb-dms-countdown")
        self.toggle.observe(self._on_toggle, names="value")
        self.countdown.observe(lambda _change: self._safely(self.refresh), names="value")
        self.children = [
            w.HBox([w.HTML("<b>Dead man's switch</b>&nbsp;"), w.HTML(self._badge())]),
            w.HBox([self.toggle, self.countdown]),
            self._status,
        ]
        self.add_class("bgnb-dms")
        self.refresh()

    @property
    def armed(self) -> bool:
        """Whether the countdown is armed (the last heartbeat got through)."""
        return bool(self.switch is not None and self.switch.armed)

    def arm(self) -> DeadMansSwitch:
        """Arm the countdown and start the heartbeat (the toggle switched on)."""
        assert self._client is not None
        with self._lock:
            if self.switch is not None:
                return self.switch
            problem = self._countdown_problem()
            if problem:
                self._set_toggle(False)
                self.refresh()
                raise ValidationError(problem, field="countdown")
            switch = self._client.dead_mans_switch(
                countdown=int(self.countdown.value), interval=self._interval
            )
            try:
                switch.start()
            except BitgetError as exc:
                self._set_toggle(False)
                info = explain(exc)
                self._status.value = self._state_html(
                    error=f"could not arm: [{info['code']}] {info['message']} — {info['action']}"
                )
                raise
            self.switch = switch
            self._set_toggle(True)
            self._start_watching()
        self.refresh()
        return switch

    def disarm(self) -> None:
        """Stop the heartbeat and disarm the countdown (the toggle switched off)."""
        with self._lock:
            switch, self.switch = self.switch, None
            self._stop_watching()
            self._set_toggle(False)
            if switch is None:
                self.refresh()
                return
            try:
                switch.stop()
            except BitgetError as exc:
                info = explain(exc)
                self._status.value = self._state_html(
                    error=f"the heartbeat stopped, but disarming failed: [{info['code']}] "
                    f"{info['message']} — the countdown expires by itself"
                )
                raise
        self.refresh()

    def refresh(self) -> None:
        """Show the switch's current state (armed, last heartbeat, failures) and what is wrong
        with the countdown, if anything; ``status`` is the same as text."""
        problem = "" if self.switch is not None else self._countdown_problem()
        self.toggle.disabled = bool(problem)
        self._status.value = self._state_html(error=problem)

    def _countdown_problem(self) -> str:
        value = self.countdown.value
        if 5 <= value <= 60:
            return ""
        return f"countdown {value} s is outside the exchange's range: choose 5–60 seconds"

    def close(self) -> None:
        """Disarm (if armed) and close the widget."""
        try:
            self.disarm()
        except BitgetError:
            logger.debug("disarm on close failed", exc_info=True)
        super().close()

    def _state_html(self, error: str = "") -> str:
        switch = self.switch
        if switch is None:
            text = '<b style="color:#555">disarmed</b>'
        else:
            colour = "#2e7d32" if switch.armed and not switch.failures else "#ef6c00"
            text = (
                f'<b style="color:{colour}">{"ARMED" if switch.armed else "arming"}</b> · '
                f"countdown {switch.countdown} s, heartbeat every {switch.interval:.3g} s · "
                f"last heartbeat {esc(_when(switch.last_heartbeat))} · "
                f"failures {switch.failures}"
            )
            if switch.last_error is not None:
                text += f'<br><span style="color:#c62828">last error: {esc(switch.last_error)}'
                text += "</span>"
        if error:
            text += f'<br><span style="color:#c62828">{esc(error)}</span>'
        return f'<span class="bgnb-dms-state" style="font-size:13px">{text}</span>'

    def _set_toggle(self, on: bool) -> None:
        self._updating = True
        try:
            self.toggle.value = on
            self.toggle.description = f"Dead man's switch: {'ON' if on else 'OFF'}"
            self.toggle.button_style = "danger" if on else ""
            self.countdown.disabled = on
        finally:
            self._updating = False

    def _on_toggle(self, change: Mapping[str, Any]) -> None:
        if self._updating:
            return
        self._safely(self.arm if change["new"] else self.disarm)

    def _start_watching(self) -> None:
        if self._watch <= 0 or self._watcher is not None:
            return
        self._stop_watch.clear()
        self._watcher = threading.Thread(
            target=self._watch_loop, daemon=True, name="bitget_nb-dms-widget"
        )
        self._watcher.start()

    def _stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        self._stop_watch.set()
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(timeout=self._watch + 1)

    def _watch_loop(self) -> None:
        while not self._stop_watch.wait(self._watch):
            try:
                self.refresh()
            except Exception:  # the status is cosmetic: never let the thread die loudly
                logger.debug("dead man's switch status refresh failed", exc_info=True)

    def __repr__(self) -> str:
        state = "armed" if self.armed else "disarmed"
        return f"DeadMansSwitchToggle({self.env}, {state}, countdown={self.countdown.value}s)"
