"""The local paper exchange: Bitget's V3 wire protocol over a seeded, simulated market.

:class:`LocalExchange` is the facade (a real HTTP server on 127.0.0.1); ``ex.venue`` is the
domain core behind it, which never imports HTTP (``ex.venue.call(endpoint, params,
ex.trader)`` runs an operation directly); ``ex.faults`` injects failures into the HTTP front.
``LocalExchange(path=...)`` keeps the paper account in a SQLite file that survives restarts
(:mod:`.persistence`); the ``PaperAccount*`` errors say why a file cannot be used.
"""

from __future__ import annotations

from .clock import Clock, ManualClock, WallClock
from .faults import Faults
from .local import LocalExchange
from .params import ExchangeError
from .persistence import PaperAccountError, PaperAccountInUse, PaperAccountMismatch
from .venue import Caller, Venue

__all__ = [
    "Caller",
    "Clock",
    "ExchangeError",
    "Faults",
    "LocalExchange",
    "ManualClock",
    "PaperAccountError",
    "PaperAccountInUse",
    "PaperAccountMismatch",
    "Venue",
    "WallClock",
]
