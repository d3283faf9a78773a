"""The dead man's switch: keep ``countdown-cancel-all`` armed while this process is alive.

``countdown-cancel-all`` (spec §4.1.9, §5.6) cancels every open order unless it is called
again within ``countdown`` seconds. :class:`DeadMansSwitch` arms it, re-arms it from a
daemon thread well inside the countdown, and disarms it (``"0"``) when stopped — so if the
kernel dies, the network drops or the notebook hangs, the exchange cancels the orders.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any

from .errors import BitgetError

if TYPE_CHECKING:
    from .client import BitgetClient

__all__ = ["DeadMansSwitch", "DeadMansSwitchWarning"]

logger = logging.getLogger(__name__)

#: countdown-cancel-all allows one request per second per account (spec §3).
MIN_INTERVAL = 1.0


class DeadMansSwitchWarning(RuntimeWarning):
    """Re-arming the countdown keeps failing: open orders may be cancelled any moment."""


class DeadMansSwitch:
    """Arms ``countdown`` on start, re-arms every ``interval`` seconds, disarms on stop.

    ``interval`` defaults to a third of the countdown (10 s → every 3.3 s, the cadence the
    docs suggest). After ``warn_after`` failed heartbeats in a row it warns loudly —
    ``warnings.warn`` with :class:`DeadMansSwitchWarning`, and a WARNING log record — and
    keeps trying. ``armed``, ``last_heartbeat`` (epoch seconds), ``failures`` and
    ``last_error`` describe its state.
    """

    def __init__(
        self,
        client: BitgetClient,
        *,
        countdown: int = 10,
        interval: float | None = None,
        warn_after: int = 2,
    ) -> None:
        if not 5 <= int(countdown) <= 60:
            raise ValueError(f"countdown must be 5–60 seconds, got {countdown!r}")
        chosen = interval if interval is not None else countdown / 3
        if not MIN_INTERVAL <= chosen < countdown:
            raise ValueError(
                f"interval must be from {MIN_INTERVAL} s (the endpoint's rate limit) to less "
                f"than the countdown ({countdown} s), got {chosen!r}"
            )
        self._client = client
        self.countdown = int(countdown)
        self.interval = float(chosen)
        self.warn_after = warn_after
        self.armed = False
        self.last_heartbeat: float | None = None
        self.failures = 0
        self.last_error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "armed" if self.armed else "disarmed"
        return f"DeadMansSwitch({state}, countdown={self.countdown}s, every {self.interval:g}s)"

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> DeadMansSwitch:
        """Arm now (raising if that fails) and start the heartbeat thread."""
        with self._lock:
            if self._thread is not None:
                return self
            self._beat(raise_errors=True)
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="bitget_nb-dead-mans-switch", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the heartbeat and disarm the countdown (idempotent)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._stop.set()
            thread.join(timeout=self.interval + 30)
            self._client.countdown_cancel_all(countdown="0")
            self.armed = False

    def __enter__(self) -> DeadMansSwitch:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()  # disarm whether the block finished or raised

    # -- heartbeat ----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._beat(raise_errors=False)

    def _beat(self, *, raise_errors: bool) -> None:
        try:
            self._client.countdown_cancel_all(countdown=str(self.countdown))
        except BitgetError as exc:
            if raise_errors:
                raise
            self.failures += 1
            self.last_error = exc
            logger.debug("dead man's switch heartbeat failed (%d in a row): %s", self.failures, exc)
            if self.failures >= self.warn_after:
                message = (
                    f"dead man's switch: {self.failures} heartbeats in a row failed "
                    f"(last: {exc}); unless one gets through within {self.countdown} s of the "
                    "last success, the exchange cancels every open order"
                )
                logger.warning(message)
                warnings.warn(message, DeadMansSwitchWarning, stacklevel=2)
            return
        self.armed = True
        self.failures = 0
        self.last_error = None
        self.last_heartbeat = time.time()
