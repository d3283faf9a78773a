"""bitget_nb — trade and research Bitget's V3 Unified Trading Account from Jupyter.

>>> import bitget_nb as bg
>>> client = bg.connect()            # the embedded local paper exchange: no keys, no network
>>> client.get_tickers(category="SPOT")[["symbol", "lastPrice"]].shape[1]
2

The exchange and the widgets are imported on first use, so ``import bitget_nb`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .candles import CandleGapWarning
from .client import BitgetClient
from .config import Credentials
from .connection import connect, default_exchange
from .errors import (
    AuthenticationError,
    BitgetAPIError,
    BitgetError,
    ConfigurationError,
    DuplicateClientOidError,
    InsufficientBalanceError,
    InvalidParameterError,
    OrderNotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    PositionError,
    RateLimitError,
    RedirectError,
    ServerError,
    StreamError,
    StreamLoginError,
    StreamSubscriptionError,
    TimestampExpiredError,
    TransportError,
    ValidationError,
)
from .heartbeat import DeadMansSwitch, DeadMansSwitchWarning
from .models import PlaceOrderRequestV3, SeedAliasWarning, StrategyOrderRequestV3
from .rules import InstrumentRules
from .stream import Stream

if TYPE_CHECKING:
    from .backtest import RunResult, run
    from .exchange import LocalExchange, Replay
    from .journal import Journal
    from .report import TradeReport, trade_report
    from .store import CandleStore
    from .widgets import DeadMansSwitchToggle, KillSwitch, OrderForm, OrdersView, PriceLadder

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "BitgetAPIError",
    "BitgetClient",
    "BitgetError",
    "CandleGapWarning",
    "CandleStore",
    "ConfigurationError",
    "Credentials",
    "DeadMansSwitch",
    "DeadMansSwitchToggle",
    "DeadMansSwitchWarning",
    "DuplicateClientOidError",
    "InstrumentRules",
    "InsufficientBalanceError",
    "InvalidParameterError",
    "Journal",
    "KillSwitch",
    "LocalExchange",
    "OrderForm",
    "OrderNotFoundError",
    "OrdersView",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PlaceOrderRequestV3",
    "PositionError",
    "PriceLadder",
    "RateLimitError",
    "RedirectError",
    "Replay",
    "RunResult",
    "SeedAliasWarning",
    "ServerError",
    "StrategyOrderRequestV3",
    "Stream",
    "StreamError",
    "StreamLoginError",
    "StreamSubscriptionError",
    "TimestampExpiredError",
    "TradeReport",
    "TransportError",
    "ValidationError",
    "__version__",
    "connect",
    "default_exchange",
    "run",
    "trade_report",
]

# Loaded on first use: the exchange (Werkzeug), the candle store (pyarrow), the trade report
# and the widgets (ipywidgets) stay out of `import bitget_nb`.
_LAZY = {
    "LocalExchange": "bitget_nb.exchange",
    "Replay": "bitget_nb.exchange",
    "RunResult": "bitget_nb.backtest",
    "run": "bitget_nb.backtest",
    "CandleStore": "bitget_nb.store",
    "Journal": "bitget_nb.journal",
    "TradeReport": "bitget_nb.report",
    "trade_report": "bitget_nb.report",
    "OrderForm": "bitget_nb.widgets",
    "OrdersView": "bitget_nb.widgets",
    "PriceLadder": "bitget_nb.widgets",
    "KillSwitch": "bitget_nb.widgets",
    "DeadMansSwitchToggle": "bitget_nb.widgets",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bitget_nb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
