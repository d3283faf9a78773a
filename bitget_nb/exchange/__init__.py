"""The local paper exchange: Bitget's V3 wire protocol over a seeded, simulated market.

:class:`LocalExchange` is the facade (a real HTTP server on 127.0.0.1); ``ex.venue`` is the
domain core behind it, which never imports HTTP (``ex.venue.call(endpoint, params,
ex.trader)`` runs an operation directly); ``ex.faults`` injects failures into the HTTP front.
``LocalExchange(path=...)`` keeps the paper account in a SQLite file that survives restarts
(:mod:`.persistence`); the ``PaperAccount*`` errors say why a file cannot be used.

The seams (docs/exchange.md): ``LocalExchange(market=...)`` takes any :class:`MarketData`
(default the seeded :class:`MarketProcess`), ``LocalExchange(fees=...)`` any
:class:`FeeModel` (default :class:`CatalogueFees`), and ``ex.venue.subscribe(...)`` follows
the domain events (:mod:`.events`).
"""

from __future__ import annotations

from .clock import Clock, ManualClock, WallClock
from .faults import Faults
from .fees import CatalogueFees, FeeModel, FlatFees
from .local import LocalExchange
from .market import MarketProcess
from .marketdata import MarketData
from .params import ExchangeError
from .persistence import PaperAccountError, PaperAccountInUse, PaperAccountMismatch
from .replay import Replay
from .venue import Caller, Venue

__all__ = [
    "Caller",
    "CatalogueFees",
    "Clock",
    "ExchangeError",
    "Faults",
    "FeeModel",
    "FlatFees",
    "LocalExchange",
    "ManualClock",
    "MarketData",
    "MarketProcess",
    "PaperAccountError",
    "PaperAccountInUse",
    "PaperAccountMismatch",
    "Replay",
    "Venue",
    "WallClock",
]
