"""The local paper exchange: Bitget's V3 wire protocol over a seeded, simulated market.

:class:`LocalExchange` is the facade (a real HTTP server on 127.0.0.1); ``ex.venue`` is the
domain core behind it, which never imports HTTP.
"""

from __future__ import annotations

from .clock import Clock, ManualClock, WallClock
from .local import LocalExchange
from .params import ExchangeError
from .venue import Venue

__all__ = ["Clock", "ExchangeError", "LocalExchange", "ManualClock", "Venue", "WallClock"]
