"""The dead man's switch (spec §4.1.9, §5.6): ``countdown-cancel-all`` arms it; when the
deadline passes without a re-arm, every open order is cancelled.

:class:`CountdownDesk` arms, re-arms and disarms the account's
:class:`~.accounts.Countdown`; catch-up (:mod:`.scheduler`) calls :meth:`CountdownDesk.expire`
at the deadline, which cancels through order entry.
"""

from __future__ import annotations

from typing import Protocol

from . import defaults
from .accounts import Countdown
from .events import Notifier
from .orders import Order, OrderStore

__all__ = ["Canceller", "CountdownDesk"]


class Canceller(Protocol):
    """Who cancels an open order at a given moment (order entry)."""

    def cancel_at(self, order: Order, reason: str, when: int) -> None: ...


class CountdownDesk:
    """Arms and fires the countdown of one account."""

    def __init__(
        self,
        countdown: Countdown,
        *,
        store: OrderStore,
        canceller: Canceller,
        notifier: Notifier,
    ) -> None:
        self.countdown = countdown
        self.store = store
        self.canceller = canceller
        self.notifier = notifier

    def arm(self, seconds: int, now: int) -> None:
        """``seconds`` > 0 arms or re-arms the switch (deadline = now + seconds); 0 disarms
        it. The bounds are :data:`defaults.COUNTDOWN_MIN_SECONDS` … ``MAX``; the API layer
        checks them."""
        if seconds == 0:
            self.countdown.seconds, self.countdown.deadline_ms = 0, None
        else:
            self.countdown.seconds = seconds
            self.countdown.deadline_ms = now + seconds * 1000
        self.notifier.countdown(self.countdown, now)

    def due(self, now: int) -> int | None:
        """The deadline, when it is at or before ``now``."""
        deadline = self.countdown.deadline_ms
        return deadline if deadline is not None and deadline <= now else None

    def expire(self, deadline: int, when: int) -> None:
        """The deadline ``deadline`` passed at ``when``: disarm, cancel every open order
        (:data:`defaults.CANCEL_REASON_COUNTDOWN`; strategy orders are left alone, spec §9
        #8). Nothing happens when the switch was re-armed or disarmed since."""
        if self.countdown.deadline_ms != deadline:
            return
        self.countdown.seconds, self.countdown.deadline_ms = 0, None
        self.notifier.countdown(self.countdown, when)
        for order in self.store.open_orders():
            self.canceller.cancel_at(order, defaults.CANCEL_REASON_COUNTDOWN, when)
